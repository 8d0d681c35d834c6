"""The recipe examples really train (a short run each, on 1,000 of MNIST 5k's digits): the denoising
autoencoder's loss falls, the VAE's KL stays finite while its loss falls, the GAN updates both parts."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from app.core.project import load_project
from app.data import Dataset, load_dataset
from app.keras_bridge.training import EpochEnd, TrainingSession

MODELS = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.slow


class Epochs:
    def __init__(self) -> None:
        self.logs: list[dict[str, float]] = []

    def progress(self, progress: object) -> None:
        pass

    def epoch_end(self, epoch: EpochEnd) -> None:
        self.logs.append(epoch.logs)

    def message(self, text: str) -> None:
        pass


def digits(count: int = 1000) -> Dataset:
    full = load_dataset({"name": "mnist_5k"})
    return dataclasses.replace(full, x=full.x[:count], y=full.y[:count])


def train(example: str, epochs: int) -> tuple[object, Epochs]:
    project = load_project(MODELS / f"{example}.json")
    project.training["epochs"] = epochs
    epochs_seen = Epochs()
    result = TrainingSession(project, dataset=digits(), listener=epochs_seen).run()
    assert result.status == "finished", result.reason
    return result, epochs_seen


def test_denoising_autoencoder_loss_falls() -> None:
    result, seen = train("denoising_autoencoder", 3)
    losses = [logs["loss"] for logs in seen.logs]
    assert losses[-1] < 0.8 * losses[0], losses
    assert result.test_metrics["loss"] < losses[0]  # type: ignore[attr-defined]


def test_vae_kl_is_finite_and_its_loss_falls() -> None:
    _, seen = train("vae_mnist", 3)
    assert all(math.isfinite(logs["kl_loss"]) and logs["kl_loss"] >= 0 for logs in seen.logs)
    assert seen.logs[-1]["loss"] < seen.logs[0]["loss"]
    assert seen.logs[-1]["reconstruction_loss"] < seen.logs[0]["reconstruction_loss"]


def test_gan_runs_both_updates_and_logs_both_losses() -> None:
    result, seen = train("dcgan_mnist", 2)
    assert all({"d_loss", "g_loss"} <= set(logs) and math.isfinite(logs["d_loss"]) and math.isfinite(logs["g_loss"])
               for logs in seen.logs)
    gan = result.model  # type: ignore[attr-defined]
    steps = math.ceil(1000 / 64) * 2
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == steps
    samples = np.asarray(gan.generator(np.zeros((2, 64), "float32")))
    assert samples.shape == (2, 28, 28, 1) and 0 <= samples.min() <= samples.max() <= 1
