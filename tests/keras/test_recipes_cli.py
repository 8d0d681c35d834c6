"""``layerforge train`` runs every recipe; ``--out`` writes each part; kept weights reach each part."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.core.project import Project, save_project
from app.keras_bridge.weights_io import open_project
from tests.keras.test_recipes_engine import autoencoder_graph
from tests.unit.test_recipes import gan_graph, vae_graph


def saved(tmp_path: Path, graph: object, recipe: str, **training: object) -> Path:
    settings = {"recipe": recipe, "epochs": 1, "batch_size": 64, "metrics": [], "loss": "mse", **training}
    path = tmp_path / f"{recipe}.json"
    save_project(Project(graph=graph, name=recipe, training=settings, dataset={"name": "digits"}), path)  # type: ignore[arg-type]
    return path


def test_train_gan_writes_generator_and_discriminator_and_logs_both_losses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    project = saved(tmp_path, gan_graph(), "gan", validation_split=0.0)
    out = tmp_path / "digits.keras"
    code = main(["train", str(project), "--quiet", "--out", str(out), "--log", str(tmp_path / "log.csv")])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert not out.exists()
    generator = keras.saving.load_model(tmp_path / "digits_generator.keras")
    discriminator = keras.saving.load_model(tmp_path / "digits_discriminator.keras")
    assert generator.input_shape == (None, 8) and discriminator.output_shape == (None, 1)
    assert discriminator(generator(np.zeros((2, 8), "float32"))).shape == (2, 1)
    flat = " ".join(printed.out.split())  # rich wraps long lines
    assert "(trained generator, weights included)" in flat and "(trained discriminator," in flat
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert {"d_loss", "g_loss"} <= set(rows[0])


def test_train_vae_writes_encoder_and_decoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    project = saved(tmp_path, vae_graph(), "vae", loss="binary_crossentropy")
    assert main(["train", str(project), "--quiet", "--out", str(tmp_path / "v.keras")]) == 0, capsys.readouterr().err
    encoder = keras.saving.load_model(tmp_path / "v_encoder.keras")
    decoder = keras.saving.load_model(tmp_path / "v_decoder.keras")
    z_mean, z_log_var = encoder(np.zeros((3, 64), "float32"))
    assert z_mean.shape == z_log_var.shape == (3, 2) and decoder(z_mean).shape == (3, 64)


def test_train_autoencoder_writes_one_file_and_saved_weights_start_the_next_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    project = saved(tmp_path, autoencoder_graph(), "autoencoder", denoise="gaussian", denoise_strength=0.2)
    out = tmp_path / "ae.keras"
    assert main(["train", str(project), "--quiet", "--out", str(out), "--save-project"]) == 0, capsys.readouterr().err
    trained = keras.saving.load_model(out)
    assert trained.output_shape == (None, 8, 8, 1)
    loaded = open_project(project)[0]
    assert loaded.weights and "code" in {loaded.graph.node(nid).name for nid in loaded.weights.layers}
    capsys.readouterr()
    assert main(["train", str(project), "--epochs", "1"]) == 0
    printed = capsys.readouterr()
    assert "starting from the weights trained in run 1" in " ".join((printed.out + printed.err).split())


def test_a_gan_run_keeps_each_parts_weights_in_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    project = saved(tmp_path, gan_graph(), "gan", validation_split=0.0)
    out = tmp_path / "g.keras"
    assert main(["train", str(project), "--quiet", "--out", str(out), "--save-project"]) == 0, capsys.readouterr().err
    loaded = open_project(project)[0]
    names = {loaded.graph.node(nid).name for nid in loaded.weights.layers}
    assert {"g1", "fake", "d1", "score"} <= names
    fake = next(nid for nid in loaded.weights.layers if loaded.graph.node(nid).name == "fake")
    trained = keras.saving.load_model(tmp_path / "g_generator.keras").get_layer("fake").get_weights()[0]
    kept = np.asarray(next(a for a in loaded.weights.layers[fake].arrays.values() if np.ndim(a) == 2))
    assert np.allclose(kept, trained)
