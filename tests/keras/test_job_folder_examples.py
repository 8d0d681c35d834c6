"""``layerforge job`` on the examples that go beyond a plain model: what the folder holds.

The weights training starts from travel inside the job (a backbone's weights file, the
``pretrained_weights`` setting), a recipe's parts and its training step are written beside
train.py, and the project's TensorBoard folder is carried into settings.json with tensorboard
pinned in requirements.txt only then. (tests/slow/test_job_folder_recipes.py trains them.)"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.project import load_project
from app.keras_bridge.job_folder import JobError, write_job

MODELS = Path(__file__).resolve().parents[2] / "models"


def keras_config(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("config.json").decode()


def test_the_pretrained_weights_setting_is_in_the_jobs_model(tmp_path: Path) -> None:
    """transfer_digits starts from conv1 / conv2 of digits_0_to_4_backbone.keras (its pretrained_weights)."""
    project = load_project(MODELS / "transfer_digits.json")
    summary = write_job(project, tmp_path / "job", base_dir=MODELS)
    job = keras.models.load_model(tmp_path / "job" / "model.keras")
    pretrained = keras.models.load_model(MODELS / "digits_0_to_4_backbone.keras")
    for name in ("conv1", "conv2"):
        for ours, theirs in zip(job.get_layer(name).get_weights(), pretrained.get_layer(name).get_weights(),
                                strict=True):
            assert np.array_equal(ours, theirs), name
    assert any("digits_0_to_4_backbone.keras" in note for note in summary.notes), summary.notes
    assert "digits_0_to_4_backbone" not in keras_config(tmp_path / "job" / "model.keras")
    assert not any(p.suffix == ".h5" for p in (tmp_path / "job").iterdir())


def test_a_recipe_job_holds_its_parts_and_its_training_step(tmp_path: Path) -> None:
    project = load_project(MODELS / "vae_mnist.json")
    summary = write_job(project, tmp_path / "job", base_dir=MODELS, overrides={"epochs": 2})
    job = tmp_path / "job"
    assert sorted(p.name for p in job.iterdir()) == sorted(summary.files)
    assert {"model_encoder.keras", "model_decoder.keras", "recipe.py"} <= set(summary.files)
    assert not (job / "model.keras").exists()
    settings = json.loads((job / "settings.json").read_text())
    assert settings["outputs"] == [] and settings["inputs"] == ["digit"]
    recipe = settings["recipe"]
    assert recipe["class"] == "VAE" and recipe["arguments"] == {"beta": 1.0, "loss": "binary_crossentropy"}
    assert [part["file"] for part in recipe["parts"]] == ["model_encoder.keras", "model_decoder.keras"]
    assert keras.optimizers.deserialize(recipe["optimizer"]).learning_rate.numpy() == pytest.approx(1e-3)
    with np.load(job / "data.npz") as data:
        assert not [name for name in data.files if name.startswith("y_")], "the input is stored once"
        assert data["x_train/digit"].shape[0] == summary.rows["train"]
    encoder = keras.models.load_model(job / "model_encoder.keras")
    assert [tuple(o.shape) for o in encoder.outputs] == [(None, 2), (None, 2)]
    source = (job / "recipe.py").read_text()
    compile(source, "recipe.py", "exec")
    assert "class VAE(keras.Model)" in source and "def train_step" in source
    readme = (job / "README.md").read_text()
    assert "`model_encoder.keras` (encoder)" in readme and "VAE recipe" in readme and "TODO" not in readme


def test_tensorboard_is_carried_and_pinned_only_when_the_project_logs(tmp_path: Path) -> None:
    import tensorboard

    project = load_project(MODELS / "mlp_tabular.json")
    write_job(project, tmp_path / "plain", base_dir=MODELS)
    assert json.loads((tmp_path / "plain" / "settings.json").read_text())["tensorboard_dir"] == ""
    lines = (tmp_path / "plain" / "requirements.txt").read_text().splitlines()
    assert not [line for line in lines if line.startswith("tensorboard")]
    assert any(line.startswith(f"# tensorboard=={tensorboard.__version__}") for line in lines)

    project.training["tensorboard_dir"] = "logs"
    write_job(project, tmp_path / "logged", base_dir=MODELS)
    assert json.loads((tmp_path / "logged" / "settings.json").read_text())["tensorboard_dir"] == "logs"
    assert f"tensorboard=={tensorboard.__version__}" in (tmp_path / "logged" / "requirements.txt").read_text()
    assert "tensorboard --logdir logs" in (tmp_path / "logged" / "README.md").read_text()

    project.training["tensorboard_dir"] = "../elsewhere"
    with pytest.raises(JobError, match="tensorboard_dir"):
        write_job(project, tmp_path / "outside", base_dir=MODELS)
    assert not (tmp_path / "outside").exists()
