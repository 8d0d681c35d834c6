"""Export to .keras and .py: loss-free, atomic, and the ``layerforge export`` command's exit codes."""

from __future__ import annotations

import argparse
import ast
import json
import os
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.commands import export as export_command
from app.core.codegen import generate_python
from app.core.graph import Graph
from app.core.project import Project, load_project, save_project
from app.keras_bridge.compile import CompileError, compile_graph
from app.keras_bridge.export import ExportError, export_keras, export_python

MODELS = Path(__file__).resolve().parents[2] / "models"


def example(name: str = "mlp_tabular") -> Project:
    return load_project(MODELS / f"{name}.json")


def architecture(model: Any) -> dict[str, Any]:
    data = json.loads(model.to_json())
    data.pop("compile_config", None)
    return data


def known_weights(model: Any) -> list[np.ndarray]:
    """Distinct, recognisable values for every weight (nothing a fresh model would start with)."""
    return [(np.arange(w.size, dtype="float64").reshape(w.shape) / 1000.0 + i).astype(w.dtype)
            for i, w in enumerate(model.get_weights())]


def invalid_project() -> Project:
    project = example()
    dense = project.graph.node_by_name("hidden_1")
    assert dense is not None
    project.graph.set_param(dense.id, "units", 0)
    return project


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- export_keras ------------------------------------------------------------------------------

def test_keras_export_keeps_config_and_trained_weights(tmp_path: Path) -> None:
    project = example()
    model = compile_graph(project.graph, project.name)
    weights = known_weights(model)
    model.set_weights(weights)
    written = export_keras(project, tmp_path / "trained.keras", model=model)
    assert written == tmp_path / "trained.keras" and files_in(tmp_path) == ["trained.keras"]
    loaded = keras.saving.load_model(written, safe_mode=True)
    assert architecture(loaded) == architecture(model)
    for got, want in zip(loaded.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_keras_export_without_a_model_compiles_the_project(tmp_path: Path) -> None:
    project = example("two_input_concat")
    export_keras(project, tmp_path / "fresh.keras")
    loaded = keras.saving.load_model(tmp_path / "fresh.keras", safe_mode=True)
    assert architecture(loaded) == architecture(compile_graph(project.graph, project.name))


def test_keras_export_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    export_keras(example(), target)
    assert keras.saving.load_model(target, safe_mode=True).name == "mlp_tabular_classifier"
    assert files_in(tmp_path) == ["model.keras"]


def test_keras_export_refuses_an_invalid_model_before_writing(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        export_keras(invalid_project(), tmp_path / "bad.keras")
    assert any(p.node_name == "hidden_1" and p.param == "units" for p in info.value.problems)
    assert files_in(tmp_path) == []


def test_keras_export_needs_the_keras_suffix(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"must end in \.keras"):
        export_keras(example(), tmp_path / "model.h5")
    assert files_in(tmp_path) == []


class _BrokenModel:
    """Writes part of a file, then fails the way a full disk or Keras itself would."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def save(self, path: str) -> None:
        Path(path).write_bytes(b"partial")
        raise self.error


@pytest.mark.parametrize("error, message", [
    (OSError(28, "No space left on device"), "No space left on device"),
    (ValueError("cannot serialise this layer"), "Keras could not save the model: cannot serialise"),
])
def test_a_failed_keras_save_keeps_the_previous_file_and_no_temp(tmp_path: Path, error: Exception,
                                                                   message: str) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")
    with pytest.raises(ExportError, match=message):
        export_keras(example(), target, model=_BrokenModel(error))
    assert target.read_bytes() == b"previous"
    assert files_in(tmp_path) == ["model.keras"]


def test_keras_failing_half_way_through_a_real_save_leaves_the_previous_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from keras.src.saving import saving_lib

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")
    monkeypatch.setattr(saving_lib, "_save_state", disk_full)  # after config.json went into the zip
    with pytest.raises(ExportError, match="No space left on device"):
        export_keras(example(), target)
    assert target.read_bytes() == b"previous"
    assert files_in(tmp_path) == ["model.keras"]


def test_an_interrupted_keras_save_propagates_and_leaves_no_temp(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        export_keras(example(), tmp_path / "model.keras", model=_BrokenModel(KeyboardInterrupt()))
    assert files_in(tmp_path) == []


# --- export_python -----------------------------------------------------------------------------

def test_python_export_writes_the_generated_script(tmp_path: Path) -> None:
    project = example("residual_cnn")
    written = export_python(project, tmp_path / "residual.py")
    text = written.read_text(encoding="utf-8")
    assert text == generate_python(project)
    ast.parse(text)
    assert files_in(tmp_path) == ["residual.py"]


def test_python_export_refuses_an_invalid_model_before_writing(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="1 problem"):
        export_python(invalid_project(), tmp_path / "bad.py")
    assert files_in(tmp_path) == []


def test_a_failed_python_write_keeps_the_previous_file_and_no_temp(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.atomic as atomic_module

    def failing_fsync(path: Path) -> None:
        raise OSError(5, "Input/output error")

    target = tmp_path / "model.py"
    target.write_text("previous", encoding="utf-8")
    monkeypatch.setattr(atomic_module, "fsync_file", failing_fsync)
    with pytest.raises(ExportError, match="Input/output error"):
        export_python(example(), target)
    assert target.read_text(encoding="utf-8") == "previous"
    assert files_in(tmp_path) == ["model.py"]


def test_unwritable_destinations_are_refused_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="does not exist"):
        export_python(example(), blocker / "model.py")
    with pytest.raises(ExportError, match="does not exist"):
        export_keras(example(), tmp_path / "missing" / "model.keras")
    (tmp_path / "folder.keras").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_keras(example(), tmp_path / "folder.keras")
    assert files_in(tmp_path) == ["file.txt", "folder.keras"]


# --- layerforge export ---------------------------------------------------------------------------

def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command as ``layerforge export`` does (parser + run), without the other commands."""
    parser = argparse.ArgumentParser(prog="layerforge export")
    export_command.add_arguments(parser)
    code = export_command.run(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_writes_both_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, str(MODELS / "mlp_tabular.json"), "--keras", str(tmp_path / "m.keras"),
                       "--python", str(tmp_path / "m.py"))
    assert code == 0
    assert f"wrote {tmp_path / 'm.py'} (Python script, 5 layers)" in out
    assert f"wrote {tmp_path / 'm.keras'} (Keras model, 403 parameters)" in out
    assert files_in(tmp_path) == ["m.keras", "m.py"]


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    valid = str(MODELS / "mlp_tabular.json")
    code, _, err = cli(capsys, str(tmp_path / "missing.json"), "--python", str(tmp_path / "x.py"))
    assert code == 2 and "cannot read the file" in err

    code, _, err = cli(capsys, valid)
    assert code == 2 and "--keras" in err and "--python" in err

    broken = tmp_path / "broken.json"
    save_project(invalid_project(), broken)
    code, _, err = cli(capsys, str(broken), "--keras", str(tmp_path / "x.keras"), "--python", str(tmp_path / "x.py"))
    assert code == 1 and "1 problem(s); nothing was written" in err and "hidden_1" in err and "units" in err

    code, _, err = cli(capsys, valid, "--python", str(tmp_path / "nowhere" / "x.py"))
    assert code == 3 and "does not exist" in err

    code, _, err = cli(capsys, valid, "--keras", str(tmp_path / "x.h5"))
    assert code == 3 and "must end in .keras" in err
    assert files_in(tmp_path) == ["broken.json"]


def test_cli_reports_values_that_cannot_be_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = example()
    project.training["optimizer"] = "my_optimizer"
    path = tmp_path / "odd.json"
    save_project(project, path)
    code, _, err = cli(capsys, str(path), "--python", str(tmp_path / "x.py"))
    assert code == 1 and "'my_optimizer' is not an optimizer" in err


def test_cli_escapes_control_characters_in_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = Graph()
    graph.add_node("InputLayer", name="in\x1b[2Jput", config={"batch_shape": [None, 3]})
    path = tmp_path / "escape.json"
    save_project(Project(graph=graph), path)
    code, _, err = cli(capsys, str(path), "--python", str(tmp_path / "x.py"))
    assert code == 1 and "\x1b" not in err and "\\x1b[2J" in err


# --- .keras input (needs the importer) ------------------------------------------------------------

def test_cli_exports_a_keras_file_with_its_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = example()
    model = compile_graph(project.graph, project.name)
    weights = known_weights(model)
    model.set_weights(weights)
    source = export_keras(project, tmp_path / "trained.keras", model=model)
    code, out, _ = cli(capsys, str(source), "--python", str(tmp_path / "out.py"), "--keras",
                       str(tmp_path / "out.keras"))
    assert code == 0 and "out.py" in out and "out.keras" in out
    ast.parse((tmp_path / "out.py").read_text(encoding="utf-8"))
    loaded = keras.saving.load_model(tmp_path / "out.keras", safe_mode=True)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for got, want in zip(loaded.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_cli_refuses_unreadable_keras_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a zip file")
    legacy = tmp_path / "legacy.h5"
    legacy.write_bytes(b"\x89HDF\r\n\x1a\n")
    for path in (garbage, legacy, tmp_path / "missing.keras"):
        code, _, err = cli(capsys, str(path), "--python", str(tmp_path / "x.py"))
        assert code == 2 and err.startswith("error: "), err
    assert sorted(files_in(tmp_path)) == ["garbage.keras", "legacy.h5"]


def test_layerforge_export_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["export", str(MODELS / "gru_timeseries.json"), "--python", str(tmp_path / "gru.py")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert os.path.getsize(tmp_path / "gru.py") > 0
