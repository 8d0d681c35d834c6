"""``layerforge`` as a newcomer meets it: help, version, check (table and JSON), exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import COMMANDS, main
from app.core.project import Project, save_project
from tests.unit.helpers import mlp


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    graph, _ = mlp(features=4, hidden=8, classes=3)
    path = tmp_path / "mlp.json"
    save_project(Project(graph=graph, name="tiny mlp"), path)
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "units", 0)
    path = tmp_path / "bad.json"
    save_project(Project(graph=graph, name="broken"), path)
    return path


def test_help_lists_every_command_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name, (_module, text) in COMMANDS.items():
        assert name in out and text[:30] in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_check_prints_a_summary_table_and_exits_0(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(valid_file)]) == 0
    out = capsys.readouterr().out
    assert "dense (Dense)" in out and "(None, 8)" in out and "(None, 3)" in out
    assert "Total params: 67" in out and "valid" in out


def test_check_json_has_the_documented_fields(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(valid_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["total_params"] == 67 and report["problems"] == []
    first = report["nodes"][1]
    assert {"name", "class_name", "output_shapes", "params"} <= first.keys()
    assert first["output_shapes"] == [[None, 8]] and first["params"] == 40


def test_check_reports_flops_and_activation_memory(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """4 -> Dense(8) -> Dense(3): 4*8 and 8*3 multiply-adds; float32 outputs of 4, 8 and 3 values."""
    assert main(["check", str(valid_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    hidden = report["nodes"][1]
    assert (hidden["macs"], hidden["flops"], hidden["activation_bytes"]) == (32, 64, 32)
    assert (report["total_macs"], report["total_flops"], report["total_activation_bytes"]) == (56, 112, 60)
    assert report["costs_complete"] is True
    assert main(["check", str(valid_file)]) == 0
    out = capsys.readouterr().out
    assert "FLOPs" in out and "Memory" in out
    assert "Compute per sample: 112 FLOPs (56 MACs)" in out and "Activation memory per sample: 60 B" in out


def test_check_invalid_project_lists_problems_and_exits_1(invalid_file: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(invalid_file)]) == 1
    out = capsys.readouterr().out
    assert "layer 'dense'" in out and "parameter 'units'" in out and "must be ≥ 1" in out
    assert main(["check", str(invalid_file), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["problems"][0]["node"] == "dense" and "units" in report["problems"][0]["message"]


def test_check_unreadable_file_exits_2_without_traceback(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "layerforge-project", "version": 1, "graph": {"nodes": [', encoding="utf-8")
    assert main(["check", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "truncated" in err and "Traceback" not in err
    assert main(["check", str(tmp_path / "missing.json")]) == 2


def test_python_dash_m_app_runs_check_without_importing_tensorflow(valid_file: Path) -> None:
    code = ("import sys, runpy; sys.argv = ['app', 'check', sys.argv[1]];\n"
            "try:\n    runpy.run_module('app', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; raise\n")
    result = subprocess.run([sys.executable, "-c", code, str(valid_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Total params" in result.stdout
