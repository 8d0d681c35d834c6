"""A job folder trains as the app trains: the fine-tuning phase of a transfer-learning project
(unfreeze, recompile with the lower rate, train on) and the project's learning-rate schedule
(the engine's own ``learning_rate_at``, written to schedule.py), in a process of its own."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.project import load_project
from app.core.training_settings import learning_rate_at, with_defaults
from app.keras_bridge.job_folder import write_job
from tests.slow.test_job_folder_recipes import MODELS, records, train

pytestmark = pytest.mark.slow


def kernels(path: Path) -> dict[str, np.ndarray]:
    model = keras.models.load_model(path)
    return {layer.name: layer.get_weights()[0] for layer in model.layers if layer.get_weights()}


def test_a_transfer_job_fine_tunes_the_top_frozen_layer_in_a_second_phase(tmp_path: Path) -> None:
    project = load_project(MODELS / "transfer_digits.json")
    assert project.training["fine_tune_layers"] == 1  # conv1 and conv2 frozen: phase 2 unfreezes conv2 only
    job = tmp_path / "job"
    write_job(project, job, base_dir=MODELS)
    plan = json.loads((job / "settings.json").read_text())["fine_tune"]
    assert plan["frozen"] == ["conv1", "conv2"] and plan["layers"] == 1
    done = train(job, "--fine-tune-epochs", "1", "--out", "trained.keras", "--metrics", "metrics.jsonl")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fine-tuning from epoch 2: unfroze 1 of 2 frozen layers" in done.stdout
    log = records(tmp_path / "metrics.jsonl")
    assert log[0]["epochs"] == 2  # the progress spans both phases
    epochs = [r for r in log if r["event"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2]
    rate = float(project.training["fine_tune_learning_rate"])
    assert epochs[1]["logs"]["learning_rate"] == pytest.approx(rate, rel=1e-5)  # recompiled at the lower rate
    assert log[-1]["reason"] == "finished 1 + 1 fine-tuning epoch"
    before, after = kernels(job / "model.keras"), kernels(tmp_path / "trained.keras")
    assert np.array_equal(before["conv1"], after["conv1"])  # frozen in both phases
    assert not np.array_equal(before["conv2"], after["conv2"])  # trained in phase 2 only


def test_a_job_follows_the_projects_learning_rate_schedule(tmp_path: Path) -> None:
    source = json.loads((MODELS / "mlp_tabular.json").read_text())
    source["training"].update(schedule="cosine", warmup_epochs=1)
    (tmp_path / "mlp.json").write_text(json.dumps(source))
    project = load_project(tmp_path / "mlp.json")
    job = tmp_path / "job"
    write_job(project, job, base_dir=MODELS)
    assert (job / "schedule.py").is_file()
    done = train(job, "--epochs", "3", "--metrics", "metrics.jsonl")  # (the later --epochs wins: 3 of 3 batches)
    assert done.returncode == 0, done.stderr[-3000:]
    epochs = [r for r in records(tmp_path / "metrics.jsonl") if r["event"] == "epoch"]
    settings = {**with_defaults(project.training), "epochs": 3}
    # the rate of each epoch's last batch, as the app's engine computes it
    expected = [learning_rate_at(settings, 3 * epoch - 1, 3) for epoch in (1, 2, 3)]
    assert [r["logs"]["learning_rate"] for r in epochs] == pytest.approx(expected, rel=1e-5)
    assert expected[0] > expected[1] > expected[2]  # warm-up to the full rate, then the cosine decay
