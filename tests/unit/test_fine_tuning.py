"""Two-phase training settings, the backbone's weights file and trainability, and their Python export."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.core.catalog.applications import (
    backbone_layer_count,
    imagenet_missing_message,
    keras_cache_dirs,
    weights_file_problem,
)
from app.core.codegen import generate_python
from app.core.graph import Graph
from app.core.project import Project, load_project
from app.core.shapes import analyze
from app.core.training_settings import DEFAULT_SETTINGS, check_settings, fine_tuning, total_epochs

MODELS = Path(__file__).resolve().parents[2] / "models"


def keys(settings: dict) -> set[str]:
    return {p.key for p in check_settings(settings)}


def test_fine_tuning_is_off_by_default_and_counts_in_the_epochs() -> None:
    assert DEFAULT_SETTINGS["fine_tune_epochs"] == 0 and not fine_tuning({})
    assert total_epochs({"epochs": 4}) == 4
    assert fine_tuning({"fine_tune_epochs": 3}) and total_epochs({"epochs": 4, "fine_tune_epochs": 3}) == 7
    assert keys({"fine_tune_epochs": 3, "fine_tune_layers": 10, "fine_tune_learning_rate": 1e-5}) == set()


@pytest.mark.parametrize(("settings", "key"), [
    ({"fine_tune_epochs": -1}, "fine_tune_epochs"),
    ({"fine_tune_epochs": 2, "fine_tune_layers": 0}, "fine_tune_layers"),
    ({"fine_tune_layers": 2.5}, "fine_tune_layers"),
    ({"fine_tune_learning_rate": 0}, "fine_tune_learning_rate"),
    ({"pretrained_weights": "/etc/passwd.h5"}, "pretrained_weights"),
    ({"pretrained_weights": "../up.keras"}, "pretrained_weights"),
    ({"pretrained_weights": "notes.txt"}, "pretrained_weights"),
])
def test_bad_fine_tuning_settings_are_named(settings: dict, key: str) -> None:
    assert key in keys(settings)


def test_weights_file_values() -> None:
    assert weights_file_problem("") is None and weights_file_problem("b.weights.h5") is None
    assert weights_file_problem("sub/b.keras") is None and weights_file_problem("old.h5") is None
    assert "relative" in (weights_file_problem("C:\\\\w.h5") or "")
    assert weights_file_problem(3) is not None


def backbone_project(config: dict, fine_tune: dict | None = None) -> Project:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, 96, 96, 3]})
    backbone = graph.add_node("MobileNetV2", name="backbone", config={"alpha": 0.35, "pooling": "avg", **config})
    scores = graph.add_node("Dense", name="scores", config={"units": 5, "activation": "softmax"})
    graph.connect(image.id, backbone.id)
    graph.connect(backbone.id, scores.id)
    return Project(graph=graph, name="t", training={**DEFAULT_SETTINGS, **(fine_tune or {})})


def test_top_layers_move_weights_between_trainable_and_frozen() -> None:
    frozen = analyze(backbone_project({"trainable": False}).graph)
    every = analyze(backbone_project({}).graph)
    top = analyze(backbone_project({"train_top_layers": 10}).graph)
    head = 1280 * 5 + 5
    assert frozen.trainable == head and every.non_trainable < top.non_trainable < frozen.non_trainable
    assert frozen.total_params == every.total_params == top.total_params
    assert backbone_layer_count("MobileNetV2", {"alpha": 0.35}) == 154


def test_missing_imagenet_file_is_a_problem_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_cache_dirs()[0] == tmp_path / "models"
    message = imagenet_missing_message("x", "ResNet50", {"weights": "imagenet"}, (None, 224, 224, 3))
    assert message and "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5" in message and "95 MB" in message
    analysis = analyze(backbone_project({"weights": "imagenet"}).graph)
    assert any("0.35_96_no_top.h5" in p.message and str(tmp_path / "models") in p.message for p in analysis.problems)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5").write_bytes(b"x")
    found = analyze(backbone_project({"weights": "imagenet"}).graph).problems
    assert not [p for p in found if "needs the file" in p.message]


def test_exported_python_trains_in_two_phases() -> None:
    project = backbone_project({"trainable": False, "weights_file": "bb.weights.h5"},
                               {"fine_tune_epochs": 3, "fine_tune_layers": 12, "fine_tune_learning_rate": 2e-5})
    source = generate_python(project)
    ast.parse(source)
    assert 'try:\n    backbone.load_weights("bb.weights.h5")\nexcept FileNotFoundError:\n' in source
    assert "backbone.trainable = False" in source and "training=False" in source
    assert "FINE_TUNE_LAYERS = 12" in source and "FINE_TUNE_EPOCHS = 3" in source
    assert "FINE_TUNE_LEARNING_RATE = 2e-05" in source and "def train_in_two_phases(x_train, y_train):" in source
    assert "for backbone in [backbone]:" in source and "initial_epoch=done" in source
    assert "weights_file" not in source and "train_top_layers" not in source


def test_exported_python_trains_only_the_top_layers() -> None:
    source = generate_python(backbone_project({"train_top_layers": 7}))
    assert "for layer in backbone.layers[:-7]:" in source and "training=False" in source
    assert "train_in_two_phases" not in source


def test_the_digits_lesson_exports_two_phases_over_its_frozen_layers() -> None:
    source = generate_python(load_project(MODELS / "transfer_digits.json"))
    ast.parse(source)
    assert "frozen = [layer for layer in model.layers if not layer.trainable]" in source
