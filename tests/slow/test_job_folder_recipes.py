"""A job folder's train.py really trains, in a process of its own: the recipe examples (VAE, GAN,
denoising autoencoder) with their recipe's train_step, and TensorBoard logging when asked.

Each run is one epoch of a few batches (``--steps-per-epoch``) with this venv's Python; about
25 s each on an idle 2-core machine, most of it importing TensorFlow."""

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
TIMEOUT_S = 55

pytestmark = pytest.mark.slow


def train(job: Path, *args: str, backend: str = "tensorflow") -> subprocess.CompletedProcess[str]:
    """train.py, one epoch of 3 batches, run from the job's parent folder (so --out lands outside the job)."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, str(job / "train.py"), "--epochs", "1", "--steps-per-epoch", "3", *args],
                          cwd=job.parent, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def changed(trained: Path, start: Path) -> bool:
    before = keras.models.load_model(start).get_weights()
    after = keras.models.load_model(trained).get_weights()
    assert [a.shape for a in after] == [b.shape for b in before]
    return any(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))


@pytest.mark.parametrize(("example", "parts", "losses"), [
    ("vae_mnist", ("encoder", "decoder"), ("loss", "reconstruction_loss", "kl_loss")),
    ("dcgan_mnist", ("generator", "discriminator"), ("d_loss", "g_loss")),
    ("denoising_autoencoder", ("",), ("loss",)),
])
def test_a_recipe_job_trains_with_its_recipes_step(tmp_path: Path, example: str, parts: tuple[str, ...],
                                                    losses: tuple[str, ...]) -> None:
    job = tmp_path / "job"
    write_job(load_project(MODELS / f"{example}.json"), job, base_dir=MODELS)
    done = train(job, "--out", "trained.keras", "--metrics", "metrics.jsonl")
    assert done.returncode == 0, done.stderr[-3000:]
    log = records(tmp_path / "metrics.jsonl")
    assert log[0]["event"] == "start" and log[0]["batches"] == 3
    (epoch,) = [r for r in log if r["event"] == "epoch"]
    assert set(losses) <= set(epoch["logs"]) and all(np.isfinite(epoch["logs"][key]) for key in losses)
    assert log[-1]["event"] == "end" and log[-1]["status"] == "finished" and log[-1]["epochs_run"] == 1
    for role in parts:
        suffix = f"_{role}" if role else ""
        trained = tmp_path / f"trained{suffix}.keras"
        assert trained.is_file(), f"{trained.name} written"
        assert changed(trained, job / f"model{suffix}.keras"), f"the {role or 'autoencoder'} trained"


def test_a_recipe_job_refuses_the_jax_backend_with_a_reason(tmp_path: Path) -> None:
    job = tmp_path / "job"
    write_job(load_project(MODELS / "denoising_autoencoder.json"), job, base_dir=MODELS)
    done = train(job, backend="jax")
    assert done.returncode == 2
    assert "GradientTape" in done.stderr and "TensorFlow backend" in done.stderr and "Traceback" not in done.stderr
    assert not (job / "trained.keras").exists()


def test_train_py_logs_for_tensorboard_where_the_project_or_the_flag_says(tmp_path: Path) -> None:
    project = load_project(MODELS / "mlp_tabular.json")
    project.training["tensorboard_dir"] = "logs"
    job = tmp_path / "job"
    write_job(project, job, base_dir=MODELS)
    done = train(job, "--out", "trained.keras", "--metrics", "metrics.jsonl")
    assert done.returncode == 0, done.stderr[-3000:]
    events = list((job / "logs").rglob("events.out.tfevents.*"))
    assert events and all(path.stat().st_size > 0 for path in events), "TensorBoard event files in job/logs"
    assert {path.parent.name for path in events} >= {"train"}

    mine = tmp_path / "my-logs"
    done = train(job, "--tensorboard", str(mine), "--out", "again.keras", "--metrics", "")
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(mine.rglob("events.out.tfevents.*")), "--tensorboard DIR wins over the project's folder"
