"""A backbone's weights file reaches every build (export, insight, training), and the project's own
weights for the backbone win over it until the user picks another file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, save_project
from app.core.shapes import analyze
from app.core.weights import WeightsSource, backbone_sources, stale_layers
from app.keras_bridge.export import model_with_weights, weights_text
from app.keras_bridge.training import check_before_training
from app.keras_bridge.weights_io import build_model, extract_weights

SMALL = {"alpha": 0.35, "pooling": "avg"}
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Any call to Keras' downloader fails the test; Keras' cache is an empty temp folder."""
    from keras.src.utils import file_utils

    def refuse_download(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("something tried to download weights")

    monkeypatch.setattr(file_utils, "get_file", refuse_download)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


def distinctive(model: Any) -> None:
    """Values no initializer gives (variances stay positive, so predictions stay finite)."""
    model.set_weights([RNG.uniform(0.5, 1.5, size=w.shape).astype("float32")
                       * (1 if "variance" in v.path else RNG.choice([-1, 1], size=w.shape))
                       for w, v in zip(model.get_weights(), model.weights, strict=True)])


def reference_backbone(path: Path) -> Any:
    """A MobileNetV2 as the project's backbone node builds it, with distinctive weights saved to ``path``."""
    reference = keras.applications.MobileNetV2(input_shape=(32, 32, 1), include_top=False, weights=None,
                                               name="backbone", **SMALL)
    distinctive(reference)
    reference.save_weights(path)
    return reference


def project_with_backbone(folder: Path, weights_file: str) -> Project:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, 32, 32, 1]})
    backbone = graph.add_node("MobileNetV2", name="backbone",
                              config={**SMALL, "weights_file": weights_file, "trainable": False})
    scores = graph.add_node("Dense", name="scores", config={"units": 3, "activation": "softmax"})
    graph.connect(image.id, backbone.id)
    graph.connect(backbone.id, scores.id)
    project = Project(graph=graph, name="transfer")
    save_project(project, folder / "transfer.json")
    project.path = folder / "transfer.json"
    return project


def expected_predictions(reference: Any, exported: Any, x: np.ndarray) -> np.ndarray:
    """What a Keras model made of the file's backbone and the exported head predicts."""
    head = exported.get_layer("scores")
    inputs = keras.Input((32, 32, 1))
    dense = keras.layers.Dense(3, activation="softmax")
    model = keras.Model(inputs, dense(reference(inputs, training=False)))
    dense.set_weights(head.get_weights())
    return np.asarray(model.predict(x, verbose=0))


def test_export_keras_writes_the_backbone_file_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reference = reference_backbone(tmp_path / "bb.weights.h5")
    project_with_backbone(tmp_path, "bb.weights.h5")
    out = tmp_path / "out.keras"
    assert main(["export", str(tmp_path / "transfer.json"), "--keras", str(out)]) == 0
    said = capsys.readouterr().out
    assert "backbone 'backbone' from bb.weights.h5" in said, said
    exported = keras.saving.load_model(out, safe_mode=True)
    for ours, theirs in zip(exported.get_layer("backbone").get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    x = RNG.normal(size=(4, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(exported.predict(x, verbose=0), expected_predictions(reference, exported, x),
                               rtol=1e-5, atol=1e-6)


def test_missing_backbone_file_stops_the_export_with_its_name(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    project_with_backbone(tmp_path, "nowhere.weights.h5")
    out = tmp_path / "out.keras"
    assert main(["export", str(tmp_path / "transfer.json"), "--keras", str(out)]) == 1
    said = capsys.readouterr().err
    assert "nowhere.weights.h5" in said and "'backbone'" in said and "Traceback" not in said
    assert not out.exists()


def test_kept_weights_win_over_the_file_until_another_file_is_chosen(tmp_path: Path) -> None:
    first = reference_backbone(tmp_path / "first.weights.h5")
    project = project_with_backbone(tmp_path, "first.weights.h5")
    assert backbone_sources(project.graph, analyze(project.graph), project.weights) == [
        "'backbone' from first.weights.h5"]
    # "trained": the project's own weights for every layer, backbone included, differ from the file's
    model, notes = model_with_weights(project)
    assert notes == []
    distinctive(model)
    project.weights = extract_weights(model, project.graph, WeightsSource(kind="trained", run=1))
    trained = model.get_layer("backbone").get_weights()
    (tmp_path / "first.weights.h5").unlink()  # not needed any more: the kept weights cover the backbone
    assert backbone_sources(project.graph, analyze(project.graph), project.weights) == []
    assert "from first.weights.h5" not in weights_text(project)
    assert not [p for p in check_before_training(project) if "first.weights.h5" in p]  # no file needed to train
    again, notes = model_with_weights(project)
    assert notes == []
    for ours, kept in zip(again.get_layer("backbone").get_weights(), trained, strict=True):
        np.testing.assert_array_equal(ours, kept)
    assert not np.array_equal(again.get_layer("backbone").get_weights()[0], first.get_weights()[0])

    # choosing another file drops the backbone's kept weights (only those) and the new file's are used
    second = reference_backbone(tmp_path / "second.weights.h5")
    backbone = next(n for n in project.graph.nodes() if n.name == "backbone")
    project.graph.set_param(backbone.id, "weights_file", "gone.weights.h5")  # not covered any more: needed
    assert any("gone.weights.h5" in p for p in check_before_training(project))
    project.graph.set_param(backbone.id, "weights_file", "second.weights.h5")
    stale = stale_layers(project.weights, project.graph, analyze(project.graph))
    assert stale == [backbone.id]
    project.weights = project.weights.without(stale)
    built = build_model(project.graph, project.name, folder=tmp_path, weights=project.weights)
    assert len(built.reports) == 1 and built.reports[0].source == "second.weights.h5"
    for ours, theirs in zip(built.model.get_layer("backbone").get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    scores = next(n for n in project.graph.nodes() if n.name == "scores")
    np.testing.assert_array_equal(built.model.get_layer("scores").get_weights()[0],
                                  project.weights.layers[scores.id].arrays["vars/0"])
    assert weights_text(project).endswith("backbone 'backbone' from second.weights.h5")
