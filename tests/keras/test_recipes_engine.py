"""Training recipes through the real engine: autoencoder (denoising), VAE, GAN on sklearn's 8x8 digits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import Project
from app.keras_bridge.recipes import recipe_classes, recipe_parts
from app.keras_bridge.training import EpochEnd, TrainingSession, check_before_training
from tests.unit.test_recipes import chain, gan_graph, vae_graph


class Recorder:
    def __init__(self) -> None:
        self.epochs: list[EpochEnd] = []
        self.messages: list[str] = []

    def progress(self, progress: Any) -> None:
        pass

    def epoch_end(self, epoch: EpochEnd) -> None:
        self.epochs.append(epoch)

    def message(self, text: str) -> None:
        self.messages.append(text)


def autoencoder_graph() -> Graph:
    graph = Graph()
    chain(graph, ("pixels", "InputLayer", {"batch_shape": [None, 8, 8, 1]}),
          ("flat", "Flatten", {}), ("code", "Dense", {"units": 8, "activation": "relu"}),
          ("wide", "Dense", {"units": 64, "activation": "sigmoid"}),
          ("rebuilt", "Reshape", {"target_shape": [8, 8, 1]}))
    return graph


def project(graph: Graph, recipe: str, **training: Any) -> Project:
    settings = {"recipe": recipe, "epochs": 2, "batch_size": 64, "metrics": [], "loss": "mse", **training}
    return Project(graph=graph, name=recipe, training=settings, dataset={"name": "digits"})


def test_denoising_autoencoder_logs_its_loss_and_rebuilds_the_input_shape() -> None:
    recorder = Recorder()
    result = TrainingSession(project(autoencoder_graph(), "autoencoder", denoise="masking", denoise_strength=0.3),
                             listener=recorder).run()
    assert result.status == "finished", result.reason
    assert result.epochs_run == 2 and set(recorder.epochs[-1].logs) == {"loss", "val_loss", "learning_rate"}
    assert "loss" in result.test_metrics and result.test_predictions is None
    model = result.model
    assert type(model).__name__ == "DenoisingAutoencoder"
    x = result.prepared.test[0]["pixels"]  # type: ignore[union-attr]
    assert model.predict(x[:3], verbose=0).shape == (3, 8, 8, 1)
    corrupted = np.asarray(model.corrupt(x[:50]))
    zeroed = float(np.mean((corrupted == 0) & (x[:50] != 0)) / np.mean(x[:50] != 0))
    assert 0.2 < zeroed < 0.4  # masking hides about 30 % of the values, the clean target stays as it was


def test_vae_logs_reconstruction_and_kl_and_samples_with_the_reparameterization_trick() -> None:
    recorder = Recorder()
    result = TrainingSession(project(vae_graph(), "vae", loss="binary_crossentropy", beta=0.5),
                             listener=recorder).run()
    assert result.status == "finished", result.reason
    logs = recorder.epochs[-1].logs
    assert {"loss", "reconstruction_loss", "kl_loss", "val_kl_loss"} <= set(logs)
    assert math.isfinite(logs["kl_loss"]) and logs["kl_loss"] >= 0
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + 0.5 * logs["kl_loss"], rel=1e-4)
    assert any("encoder: the sub-graph from Input 'pixels'" in m for m in recorder.messages)
    parts = recipe_parts(result.model)
    assert [p.name for p in parts.values()] == ["vae_encoder", "vae_decoder"]
    z_mean = np.zeros((4, 2), "float32")
    z_log_var = np.full((4, 2), -20.0, "float32")  # sigma ~ 0: the sample is the mean
    assert np.allclose(np.asarray(result.model.sample(z_mean + 1.5, z_log_var)), 1.5, atol=1e-3)


def test_gan_runs_both_updates_and_logs_both_losses() -> None:
    recorder = Recorder()
    graph = gan_graph()
    result = TrainingSession(project(graph, "gan", label_smoothing=0.1, validation_split=0.0),
                             listener=recorder).run()
    assert result.status == "finished", result.reason
    assert set(recorder.epochs[0].logs) == {"d_loss", "g_loss", "learning_rate"} and result.epochs_run == 2
    gan = result.model
    assert gan.real_label == pytest.approx(0.9) and gan.latent_dim == 8
    assert gan.d_optimizer is not gan.g_optimizer
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) > 0  # one step each per batch


def test_a_graph_that_does_not_fit_the_recipe_is_refused_before_training() -> None:
    problems = check_before_training(project(vae_graph(decoder_in=3), "vae"))
    assert len(problems) == 1 and "'z'" in problems[0] and "latent size is 2" in problems[0]
    result = TrainingSession(project(gan_graph(disc_in=32), "gan")).run()
    assert result.status == "failed" and "discriminator's Input 'image'" in result.reason


def test_recipe_classes_are_keras_models_with_their_own_train_step() -> None:
    import keras

    for cls in recipe_classes().values():
        assert issubclass(cls, keras.Model) and "train_step" in vars(cls)


class ViewRecorder(Recorder):
    """A listener with a probe, as the GUI's: the engine then sends each epoch's pictures."""

    def __init__(self) -> None:
        super().__init__()
        self.views: list[Any] = []

    def probe(self, value: Any) -> None:
        self.views.append(value)


def test_the_engine_computes_each_epochs_pictures_for_a_listener_that_wants_them() -> None:
    recorder = ViewRecorder()
    result = TrainingSession(project(vae_graph(), "vae", loss="binary_crossentropy"), listener=recorder).run()
    assert result.status == "finished", result.reason
    assert [v.epoch for v in recorder.views] == [0, 1, 2]  # before training and after each epoch only
    last = recorder.views[-1]
    assert last.recipe == "vae" and last.latent.shape[1] == 2 and len(last.labels) == len(last.latent)
    assert set(np.unique(last.labels)) <= set(range(10)) and last.manifold.shape == (10, 10, 8, 8)
    assert not np.array_equal(recorder.views[0].latent, last.latent)

    gan = ViewRecorder()
    assert TrainingSession(project(gan_graph(), "gan", validation_split=0.0), listener=gan).run().ok
    first, last = gan.views[0].rows[0][1], gan.views[-1].rows[0][1]
    assert first.shape == (16, 8, 8) and not np.array_equal(first, last)


def test_a_listener_without_a_probe_gets_no_pictures_computed() -> None:
    session = TrainingSession(project(autoencoder_graph(), "autoencoder"), listener=Recorder())
    assert session.run().ok and session.probe is None
