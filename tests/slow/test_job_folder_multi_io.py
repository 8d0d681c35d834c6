"""A job's train.py feeds models with several inputs (two_input_concat: chemistry + colour;
seq2seq_reverse: encoder + decoder input) and cuts epochs short with --steps-per-epoch.

Found by tools/verify_job_folders.py: Batches handed Keras a list of arrays, which TensorFlow's
data pipeline refuses (``output_signature`` must hold ``tf.TypeSpec``); and --steps-per-epoch
passed to ``fit`` ran the feed dry by the second epoch. About 10 s each, most of it importing
TensorFlow in the subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.project import load_project
from app.keras_bridge.job_folder import write_job

MODELS = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("example", "inputs"), [
    ("two_input_concat", ["chemistry", "colour"]),
    ("seq2seq_reverse", ["encoder_input", "decoder_input"]),
])
def test_a_job_with_two_inputs_trains_short_epochs(tmp_path: Path, example: str, inputs: list[str]) -> None:
    job = tmp_path / "job"
    write_job(load_project(MODELS / f"{example}.json"), job, base_dir=MODELS)
    assert json.loads((job / "settings.json").read_text())["inputs"] == inputs
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(job / "train.py"), "--epochs", "3", "--steps-per-epoch", "2",
                           "--out", "trained.keras", "--metrics", "metrics.jsonl"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=55, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ran out of data" not in done.stderr
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert log[0]["batches"] == 2
    batches = [r for r in log if r["event"] == "batch"]
    assert {r["epoch"] for r in batches} == {1, 2, 3} and all(r["batches"] == 2 for r in batches)
    assert [r["epoch"] for r in log if r["event"] == "epoch"] == [1, 2, 3]
    assert log[-1]["status"] == "finished" and log[-1]["epochs_run"] == 3 and log[-1]["test_metrics"]
    trained = keras.models.load_model(tmp_path / "trained.keras")
    assert [i.name for i in trained.inputs] == inputs
    start = keras.models.load_model(job / "model.keras").get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(trained.get_weights(), start, strict=True))
