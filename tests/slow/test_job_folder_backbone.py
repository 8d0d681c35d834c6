"""A backbone's weights file travels inside the job's model.keras: mobilenet_transfer's MobileNetV2
starts from mobilenet_transfer_backbone.weights.h5 on any machine, with no path of this one in the folder.

Slow: the example's data set is 1,500 generated 96x96 images."""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.project import load_project
from app.keras_bridge.job_folder import write_job
from app.keras_bridge.weights_io import build_model

MODELS = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.slow


def test_the_backbone_weights_file_is_inside_the_jobs_model(tmp_path: Path) -> None:
    project = load_project(MODELS / "mobilenet_transfer.json")
    job = tmp_path / "job"
    write_job(project, job, base_dir=MODELS)
    assert not [p.name for p in job.iterdir() if p.name.endswith(".h5")]
    with zipfile.ZipFile(job / "model.keras") as archive:
        config = archive.read("config.json").decode()
    assert "weights.h5" not in config and str(MODELS) not in config and "/work" not in config

    ours = keras.models.load_model(job / "model.keras").get_layer("backbone").get_weights()
    from_file = build_model(project.graph, project.name, folder=MODELS).model.get_layer("backbone").get_weights()
    bare = build_model(project.graph, project.name, folder=MODELS,
                       backbone_files=False).model.get_layer("backbone").get_weights()
    assert len(ours) == len(from_file) > 100
    assert all(np.array_equal(a, b) for a, b in zip(ours, from_file, strict=True)), "the file's weights"
    assert any(not np.array_equal(a, b) for a, b in zip(ours, bare, strict=True)), "not the initial ones"
