"""Issue #19's figure: a 6-trial sweep against 6 sequential ``layerforge train`` runs.

The sweep (``layerforge sweep``, one process, 1 and 2 workers, no pruning so every trial trains
all its epochs) trains the MLP example on iris over ``learning_rate`` (log range) and
``hidden_1.units``. The baseline trains the same 6 value pairs the way a user would without a
sweep: 6 ``layerforge train`` commands, one after another, each on a copy of the project with the
trial's values (``train`` has ``--learning-rate`` but no option for a layer's units). Every figure
is the wall time of whole commands, TensorFlow's start-up included, because that is what a user
waits for. Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"
EPOCHS = "20"
SPACE = ["--param", "learning_rate=1e-3..1e-1", "--log", "learning_rate", "--param", "hidden_1.units=4..64"]


def _layerforge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _sweep(folder: Path, workers: int, name: str) -> tuple[float, list[dict[str, Any]]]:
    project = folder / "mlp.json"
    start = time.perf_counter()
    done = _layerforge("sweep", str(project), *SPACE, "--trials", "6", "--epochs", EPOCHS, "--no-prune",
                       "--sampler", "random", "--workers", str(workers), "--study-name", name, "--jsonl", cwd=folder)
    seconds = time.perf_counter() - start
    trials = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return seconds, [t for t in trials if t["event"] == "trial"]


def _sequential(folder: Path, trials: list[dict[str, Any]]) -> float:
    from app.core.project import load_project, save_project

    files = []
    for trial in trials:
        project = load_project(folder / "mlp.json")
        project.runs = []
        project.graph.set_param(project.graph.node_by_name("hidden_1").id, "units",
                                trial["values"]["hidden_1.units"])
        project.training["learning_rate"] = trial["values"]["learning_rate"]
        path = folder / f"trial_{trial['trial']}.json"
        save_project(project, path)
        files.append(path)
    start = time.perf_counter()
    for path in files:
        _layerforge("train", str(path), "--epochs", EPOCHS, "--quiet", cwd=folder)
    return time.perf_counter() - start


@pytest.mark.benchmark(group="sweep")
def test_sweep_against_sequential_train_runs(benchmark: Any, tmp_path: Path) -> None:
    shutil.copy(MODELS / "mlp_tabular.json", tmp_path / "mlp.json")
    figures: dict[str, float] = {}

    def measure() -> None:
        figures["sweep, 1 worker"], trials = _sweep(tmp_path, 1, "one")
        figures["sweep, 2 workers"], _ = _sweep(tmp_path, 2, "two")
        figures["6 x layerforge train"] = _sequential(tmp_path, trials)

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for name, seconds in figures.items():
        print(f"{name}: {seconds:.1f} s")
    benchmark.extra_info.update({k: round(v, 2) for k, v in figures.items()})
    assert figures["sweep, 1 worker"] < figures["6 x layerforge train"]
