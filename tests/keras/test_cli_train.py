"""``layerforge train`` and ``layerforge datasets`` end to end, as a newcomer runs them."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main

MODELS = Path(__file__).resolve().parents[2] / "models"


def layerforge(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


def test_datasets_lists_every_bundled_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "--json"]) == 0
    listed = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    for name in ("mnist_5k", "digits", "iris", "wine", "breast_cancer", "co2", "sunspots", "moons", "circles",
                 "xor", "spirals", "sentiment", "shapes"):
        assert name in listed, name
        assert listed[name]["description"]
    assert "generated" in listed["sentiment"]["description"].lower()
    assert main(["datasets"]) == 0
    table = capsys.readouterr().out
    assert "mnist_5k" in table and "Your own data" in table


def test_train_an_example_writes_the_model_and_a_metrics_log(tmp_path: Path) -> None:
    project = tmp_path / "mlp.json"
    shutil.copy(MODELS / "mlp_tabular.json", project)
    done = layerforge("train", str(project), "--epochs", "3", "--out", str(tmp_path / "iris.keras"),
                      "--log", str(tmp_path / "metrics.csv"))
    assert done.returncode == 0, done.stderr
    assert "finished 3 epochs" in done.stdout and "Test set" in done.stdout and "accuracy" in done.stdout
    assert "epoch 3/3" in done.stderr  # per-epoch lines go to stderr with the progress bar
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(rows[0])
    import keras

    model = keras.saving.load_model(tmp_path / "iris.keras")
    assert model.get_layer("species").units == 3 and model.optimizer is not None


def test_train_with_a_dataset_that_does_not_fit_says_what_to_change(tmp_path: Path) -> None:
    done = layerforge("train", str(MODELS / "mlp_tabular.json"), "--dataset", "wine", "--epochs", "1")
    assert done.returncode == 2
    assert "cannot train yet" in done.stderr and "measurements" in done.stderr and "13" in done.stderr
    assert "Traceback" not in done.stderr


def test_train_refuses_unknown_datasets_and_bad_files(tmp_path: Path) -> None:
    unknown = layerforge("train", str(MODELS / "mlp_tabular.json"), "--dataset", "imagenet")
    assert unknown.returncode == 2 and "iris" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = layerforge("train", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    bad_out = layerforge("train", str(MODELS / "mlp_tabular.json"), "--out", str(tmp_path / "model.h5"))
    assert bad_out.returncode == 3 and ".keras" in bad_out.stderr


def test_a_diverging_run_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    import numpy as np

    from app.core.graph import Graph
    from app.core.project import Project, save_project

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "huge.npz", x=rng.normal(size=(200, 2)).astype("float32"),
             y=(rng.normal(size=(200, 1)) * 1e37).astype("float32"))
    graph = Graph()
    x = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 2]})
    y = graph.add_node("Dense", name="value", config={"units": 1})
    graph.connect(x.id, y.id)
    save_project(Project(graph=graph, name="diverge", training={
        "loss": "mse", "metrics": [], "optimizer": "sgd", "learning_rate": 1.0, "epochs": 3},
        dataset={"name": "npz", "path": "huge.npz", "task": "regression"}), tmp_path / "diverge.json")
    done = layerforge("train", str(tmp_path / "diverge.json"))
    assert done.returncode == 1, done.stderr
    assert "NaN or infinite" in done.stderr and "Traceback" not in done.stderr


def test_the_project_own_dataset_options_are_kept_when_named_again(tmp_path: Path) -> None:
    done = layerforge("train", str(MODELS / "gru_timeseries.json"), "--dataset", "co2", "--epochs", "1",
                      "--batch-size", "256", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "finished 1 epoch" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_stops_cleanly_and_still_saves(tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "train", str(MODELS / "mlp_tabular.json"), "--epochs", "100000",
         "--batch-size", "1", "--out", str(tmp_path / "partial.keras")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    for line in process.stderr:  # wait until training reports, then press Ctrl+C
        if "epoch 1/" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "stopped by you" in out and (tmp_path / "partial.keras").is_file()
