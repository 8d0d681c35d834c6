"""Pretrained backbones offline: Keras' cache without downloads, weights files with a report, trainability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.core.catalog.applications import imagenet_file
from app.core.graph import Graph
from app.core.shapes import analyze
from app.keras_bridge.backbones import (
    BackboneError,
    load_weights_file,
    preflight,
    weights_context,
)
from app.keras_bridge.compile import compile_graph

SMALL = {"alpha": 0.35, "pooling": "avg"}
"""The cheapest MobileNetV2 Keras has ImageNet weights for (with 96x96 inputs)."""


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


def backbone_graph(config: dict[str, Any], size: int = 96, channels: int = 3, head: int = 3) -> Graph:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, size, size, channels]})
    backbone = graph.add_node("MobileNetV2", name="backbone", config={**SMALL, **config})
    scores = graph.add_node("Dense", name="scores", config={"units": head, "activation": "softmax"})
    graph.connect(image.id, backbone.id)
    graph.connect(backbone.id, scores.id)
    return graph


def write_legacy_h5(model: Any, path: Path) -> None:
    """A Keras 2 style weights-only .h5, the format of Keras' ImageNet files."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)


# --- ImageNet weights from the cache ----------------------------------------------------------------

def test_imagenet_file_names_are_the_ones_keras_asks_for() -> None:
    import inspect

    from keras.src.applications import densenet, efficientnet, mobilenet_v2, resnet, vgg16

    assert imagenet_file("MobileNetV2", {"alpha": 0.35}, (None, 96, 96, 3))[0] == \
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    assert imagenet_file("MobileNetV2", {"alpha": 1.0}, (None, 100, 100, 3))[0].endswith("_1.0_224_no_top.h5")
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_" in inspect.getsource(mobilenet_v2)
    assert '_no_top.h5"' in inspect.getsource(mobilenet_v2)
    for module, class_name in ((resnet, "ResNet50"), (vgg16, "VGG16"), (densenet, "DenseNet121")):
        name = imagenet_file(class_name, {}, (None, 224, 224, 3))[0]
        source = inspect.getsource(module)
        assert name in source or name.replace("resnet50", "{weights_name}") in source, name
    assert imagenet_file("EfficientNetB0", {}, (None, 224, 224, 3))[0] == "efficientnetb0_notop.h5"
    assert 'file_suffix = "_notop.h5"' in inspect.getsource(efficientnet)


def test_cache_hit_loads_the_file_without_any_download(tmp_path: Path) -> None:
    reference = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None, **SMALL)
    rng = np.random.default_rng(1)
    reference.set_weights([rng.normal(size=w.shape).astype("float32") for w in reference.get_weights()])
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True)
    write_legacy_h5(reference, cache / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5")

    graph = backbone_graph({"weights": "imagenet", "trainable": False})
    analysis = analyze(graph)
    assert not [p for p in analysis.problems if "needs the file" in p.message]
    assert preflight(graph, analysis, None) == []
    model = compile_graph(graph)
    loaded = model.get_layer("backbone")
    for ours, theirs in zip(loaded.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_cache_miss_names_the_file_its_size_and_folder_before_training(tmp_path: Path) -> None:
    graph = backbone_graph({"weights": "imagenet"})
    analysis = analyze(graph)
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    folder = str(tmp_path / "keras_home" / "models")
    warnings = [p.message for p in analysis.problems if name in p.message]
    assert warnings and folder in warnings[0] and "MB" in warnings[0] and "never downloads" in warnings[0]
    told = preflight(graph, analysis, None)
    assert len(told) == 1 and name in told[0] and "'backbone'" in told[0]
    with pytest.raises(BackboneError, match=r"0\.35_96_no_top\.h5"):
        compile_graph(graph)


def test_training_stops_before_fit_when_the_imagenet_file_is_missing(tmp_path: Path) -> None:
    from app.core.project import Project
    from app.keras_bridge.training import TrainingSession, check_before_training

    project = Project(graph=backbone_graph({"weights": "imagenet"}, size=96), name="t",
                      dataset={"name": "shapes", "image_size": 96, "samples": 40},
                      training={"epochs": 1})
    problems = check_before_training(project)
    assert any("0.35_96_no_top.h5" in p for p in problems)
    result = TrainingSession(project).run()
    assert result.status == "failed" and "0.35_96_no_top.h5" in result.reason and result.epochs_run == 0
    assert "Traceback" not in result.reason


# --- weights files, with a report -------------------------------------------------------------------

def small_cnn(head: str = "head", units: int = 4, channels: int = 1, name: str = "m") -> Any:
    inputs = keras.Input((12, 12, channels), name="pixels")
    x = keras.layers.Conv2D(6, 3, name="conv_a")(inputs)
    x = keras.layers.BatchNormalization(name="norm_a")(x)
    x = keras.layers.Conv2D(8, 3, name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(units, name=head)(x)
    return keras.Model(inputs, x, name=name)


def randomise(model: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])


@pytest.mark.parametrize("kind", ["keras", "legacy_h5"])
def test_named_files_match_by_layer_name_and_report_mismatches(tmp_path: Path, kind: str) -> None:
    source = small_cnn(head="old_head", units=5)
    randomise(source, 2)
    path = tmp_path / ("source.keras" if kind == "keras" else "source.h5")
    if kind == "keras":
        source.save(path)
    else:
        write_legacy_h5(source, path)
    target = small_cnn(head="new_head", units=3)
    report = load_weights_file(target, path, target="the model")
    assert sorted(report.matched) == ["conv_a", "conv_b", "norm_a"]
    assert report.unmatched == [("new_head", "not in the file")]
    assert report.unused == ["old_head"]
    for name in ("conv_a", "conv_b", "norm_a"):
        for ours, theirs in zip(target.get_layer(name).get_weights(), source.get_layer(name).get_weights(),
                                strict=True):
            np.testing.assert_array_equal(ours, theirs)
    assert "3 layer(s) matched" in report.text()


def test_shape_mismatch_names_both_shapes(tmp_path: Path) -> None:
    source = small_cnn(channels=3)
    source.save(tmp_path / "rgb.keras")
    target = small_cnn(channels=1)
    report = load_weights_file(target, tmp_path / "rgb.keras")
    reasons = dict(report.unmatched)
    assert "(3, 3, 1, 6) here but (3, 3, 3, 6) in the file" in reasons["conv_a"]
    assert "conv_b" in report.matched


def test_weights_h5_matches_by_name_else_by_keras_paths_and_a_hopeless_file_is_refused(tmp_path: Path) -> None:
    source = small_cnn()
    randomise(source, 3)
    source.save_weights(tmp_path / "same.weights.h5")
    target = small_cnn(head="renamed")
    report = load_weights_file(target, tmp_path / "same.weights.h5")
    assert sorted(report.matched) == ["conv_a", "conv_b", "norm_a"] and "by layer name" in report.how
    assert report.unmatched == [("renamed", "not in the file")] and report.unused == ["head"]
    np.testing.assert_array_equal(target.get_layer("conv_b").get_weights()[0],
                                  source.get_layer("conv_b").get_weights()[0])
    # the same architecture with none of the names (Keras' automatic ones): Keras' paths line it up
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(6, 3)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv2D(8, 3)(x)
    x = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(x))
    unnamed = keras.Model(inputs, x)
    report = load_weights_file(unnamed, tmp_path / "same.weights.h5")
    assert len(report.matched) == 4 and "paths" in report.how
    np.testing.assert_array_equal(unnamed.layers[-1].get_weights()[0], source.get_layer("head").get_weights()[0])
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(BackboneError, match=r"junk\.weights\.h5"):
        load_weights_file(target, tmp_path / "junk.weights.h5")


def test_backbone_node_takes_a_weights_file_relative_to_the_project(tmp_path: Path) -> None:
    reference = keras.applications.MobileNetV2(input_shape=(32, 32, 1), include_top=False, weights=None, **SMALL)
    randomise(reference, 4)
    reference.save_weights(tmp_path / "bb.weights.h5")
    graph = backbone_graph({"weights_file": "bb.weights.h5", "trainable": False}, size=32, channels=1)
    with weights_context(tmp_path) as reports:
        model = compile_graph(graph)
    assert len(reports) == 1 and not reports[0].unmatched and len(reports[0].matched) > 50
    for ours, theirs in zip(model.get_layer("backbone").get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    missing = backbone_graph({"weights_file": "nowhere.weights.h5"}, size=32, channels=1)
    told = preflight(missing, analyze(missing), tmp_path)
    assert len(told) == 1 and "nowhere.weights.h5" in told[0] and "'backbone'" in told[0]


# --- trainability -------------------------------------------------------------------------------------

def test_frozen_backbone_keeps_batch_norm_in_inference_mode() -> None:
    graph = backbone_graph({"trainable": False}, size=32, channels=1)
    model = compile_graph(graph)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    norm = model.get_layer("backbone").get_layer("bn_Conv1")
    before = [np.array(w) for w in norm.get_weights()]
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 32, 32, 1)).astype("float32"), rng.integers(0, 3, 16), epochs=1, verbose=0)
    for ours, theirs in zip(norm.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)  # moving mean and variance did not move


@pytest.mark.parametrize("top", [0, 1, 5, 20, 60, 153, 500])
def test_top_n_trainable_counts_equal_keras(top: int) -> None:
    graph = backbone_graph({"trainable": True, "train_top_layers": top}, size=32, channels=1)
    analysis = analyze(graph)
    model = compile_graph(graph, analysis=analysis)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert (analysis.trainable, analysis.non_trainable) == (trainable, frozen)
    reference = keras.applications.MobileNetV2(input_shape=(32, 32, 1), include_top=False, weights=None, **SMALL)
    if top:
        for layer in reference.layers[:-top]:
            layer.trainable = False
    keras_trainable = sum(int(np.prod(w.shape)) for w in reference.trainable_weights)
    head = 1280 * 3 + 3
    assert trainable == keras_trainable + head


@pytest.mark.parametrize("class_name", ["ResNet50", "EfficientNetB0", "DenseNet121", "VGG16"])
def test_top_n_counts_for_other_backbones(class_name: str) -> None:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, 32, 32, 2]})
    backbone = graph.add_node(class_name, name="backbone", config={"train_top_layers": 7, "pooling": "avg"})
    graph.connect(image.id, backbone.id)
    analysis = analyze(graph)
    model = compile_graph(graph, analysis=analysis)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert (analysis.trainable, analysis.non_trainable) == (trainable, frozen)


# --- two-phase training ---------------------------------------------------------------------------

class _Phases:
    def __init__(self) -> None:
        self.epochs: list[tuple[int, int]] = []
        self.messages: list[str] = []

    def progress(self, progress: Any) -> None:
        pass

    def epoch_end(self, epoch: Any) -> None:
        self.epochs.append((epoch.epoch, epoch.phase))

    def message(self, text: str) -> None:
        self.messages.append(text)


def test_two_phase_run_unfreezes_the_top_layers_and_continues(tmp_path: Path) -> None:
    from app.core.project import Project
    from app.keras_bridge.training import TrainingSession

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "tiny.npz", x=rng.integers(0, 255, size=(60, 32, 32)).astype("uint8"),
             y=rng.integers(0, 3, size=60))
    project = Project(graph=backbone_graph({"trainable": False}, size=32, channels=1), name="two_phase",
                      dataset={"name": "npz", "path": "tiny.npz"},
                      training={"epochs": 2, "fine_tune_epochs": 1, "fine_tune_layers": 9,
                                "fine_tune_learning_rate": 1e-5, "batch_size": 30, "validation_split": 0.2,
                                "test_split": 0.2})
    listener = _Phases()
    result = TrainingSession(project, listener=listener, base_dir=tmp_path).run()
    assert result.status == "finished", result.reason
    assert result.epochs_run == 3 and result.fine_tune_from == 3
    assert listener.epochs == [(1, 1), (2, 1), (3, 2)]
    told = [m for m in listener.messages if m.startswith("fine-tuning from epoch 3")]
    assert told and "top 9 of 155 layers of 'backbone'" in told[0]
    reference = keras.applications.MobileNetV2(input_shape=(32, 32, 1), include_top=False, weights=None, **SMALL)
    for layer in reference.layers[:-9]:
        layer.trainable = False
    expected = sum(int(np.prod(w.shape)) for w in reference.trainable_weights) + 1280 * 3 + 3
    assert sum(int(np.prod(w.shape)) for w in result.model.trainable_weights) == expected
    assert f"{expected:,} weights now train" in told[0]


def test_cli_fine_tune_options_run_two_phases() -> None:
    import os
    import subprocess
    import sys

    lesson = Path(__file__).resolve().parents[2] / "models" / "transfer_digits.json"
    done = subprocess.run(
        [sys.executable, "-m", "app", "train", str(lesson), "--epochs", "1", "--fine-tune-epochs", "1",
         "--fine-tune-layers", "2", "--fine-tune-learning-rate", "0.0002"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert done.returncode == 0, done.stderr
    output = " ".join((done.stdout + done.stderr).split())  # the terminal wraps long notes
    assert "finished 2 epochs" in output
    assert "fine-tuning from epoch 2: unfroze the top 2 of 2 frozen layers (conv1, conv2)" in output
    assert "learning rate 0.0002" in output and "digits_0_to_4_backbone.keras" in output
    bad = subprocess.run([sys.executable, "-m", "app", "train", str(lesson), "--fine-tune-epochs", "2",
                          "--fine-tune-layers", "0", "--quiet"],
                         capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert bad.returncode == 2 and "fine_tune_layers" in bad.stderr and "Traceback" not in bad.stderr
