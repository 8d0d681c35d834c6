"""Sequential sub-models and keras.io-style models (issue 16): a functional model that calls a
``keras.Sequential`` (``x = data_augmentation(inputs)``) imports as a nested-model block and
exports back as a Sequential, in ``.keras`` and in Python; the "image classification from
scratch" and "transfer learning" patterns round-trip with the same predictions."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from app.core.nested_plan import nested_model_problems, sequential_chain
from app.core.project import Project, dumps, loads
from app.core.shapes import analyze
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.export import export_keras, export_python
from app.keras_bridge.importer import import_keras
from app.keras_bridge.weights_io import weights_from_file


def augmented_classifier() -> keras.Model:
    """keras.io's pattern: an augmentation Sequential and a classifier-head Sequential
    (weights, dropout) around a small functional body."""
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal", name="flip"), layers.RandomRotation(0.1, name="rotate")],
        name="data_augmentation")
    head = keras.Sequential([layers.Dense(8, activation="relu", name="head_hidden"), layers.Dropout(0.2, name="drop"),
                             layers.Dense(3, name="head_out")], name="head")
    inputs = keras.Input((16, 16, 3), name="image")
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, head(x), name="augmented")


def recurrent_sequential() -> keras.Model:
    """A Sequential of two LSTMs as the encoder of a functional model (keras.io's text models)."""
    encoder = keras.Sequential([keras.Input((5, 3), name="steps"), layers.LSTM(6, return_sequences=True, name="l1"),
                                layers.LSTM(4, name="l2")], name="encoder")
    inputs = keras.Input((5, 3), name="series")
    return keras.Model(inputs, layers.Dense(2, name="out")(encoder(inputs)), name="forecast")


def xception_like() -> keras.Model:
    """keras.io "Image classification from scratch", width-reduced: augmentation Sequential,
    then separable convolutions with residual projections."""
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="data_augmentation")
    inputs = keras.Input((32, 32, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [8, 16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(16, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    return keras.Model(inputs, layers.Dense(1, activation=None)(x))


def transfer_learning() -> keras.Model:
    """keras.io "Transfer learning & fine-tuning": a frozen keras.applications base (no
    downloaded weights) called with ``training=False`` under augmentation and a new head."""
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="data_augmentation")
    base_model = keras.applications.MobileNet(weights=None, input_shape=(32, 32, 3), include_top=False, alpha=0.25)
    base_model.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(scale=1 / 127.5, offset=-1)(x)
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, layers.Dense(1)(x))


def _randomise(model: keras.Model, seed: int = 0) -> None:
    """Non-initial weights in every layer of every sub-model (batch-norm variances positive),
    so a weight lost or given to the wrong layer changes the predictions."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            _randomise(layer, seed + 1)
        elif layer.weights:
            layer.set_weights([rng.uniform(0.5, 1.5, size=w.shape).astype("float32") if "variance" in w.path
                               else rng.normal(size=w.shape).astype("float32") * 0.3 for w in layer.weights])


def _import(source: keras.Model, tmp_path: Path) -> tuple[Project, Path]:
    _randomise(source)
    original = tmp_path / "source.keras"
    source.save(original)
    project, _notes = import_keras(original)
    project = loads(dumps(project))  # the blocks survive the project file
    project.weights, _ = weights_from_file(original, project)
    return project, original


def _check(project: Project) -> None:
    analysis = analyze(project.graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert nested_model_problems(project.graph, project.blocks, analysis.problems) == analysis.problems


def _same_predictions(got: keras.Model, want: keras.Model) -> None:
    x = np.random.default_rng(1).uniform(0, 255, size=(2, *want.input_shape[1:])).astype("float32")
    np.testing.assert_allclose(got.predict(x, verbose=0), want.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def _kinds(model: keras.Model) -> list[tuple[str, str]]:
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def test_a_sequential_sub_model_imports_as_a_nested_block_and_exports_as_sequential(tmp_path: Path) -> None:
    source = augmented_classifier()
    project, _ = _import(source, tmp_path)
    _check(project)
    blocks = {b.name: b for b in project.blocks.blocks()}
    assert {n: (b.kind, b.sequential) for n, b in blocks.items()} == {
        "data_augmentation": ("nested_model", True), "head": ("nested_model", True)}
    out = export_keras(project, tmp_path / "out.keras")
    loaded = keras.saving.load_model(out)
    assert _kinds(loaded) == _kinds(source)
    assert type(loaded.get_layer("head")).__name__ == "Sequential"
    assert [la.name for la in loaded.get_layer("head").layers] == [la.name for la in source.get_layer("head").layers]
    _same_predictions(loaded, source)


def test_a_sequential_of_recurrent_layers_stays_sequential(tmp_path: Path) -> None:
    source = recurrent_sequential()
    project, _ = _import(source, tmp_path)
    loaded = keras.saving.load_model(export_keras(project, tmp_path / "out.keras"))
    assert _kinds(loaded) == _kinds(source) == [("series", "InputLayer"), ("encoder", "Sequential"),
                                                ("out", "Dense")]
    assert [la.name for la in loaded.get_layer("encoder").layers] == ["l1", "l2"]
    x = np.random.default_rng(4).normal(size=(3, 5, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_the_python_export_writes_the_sequential_as_keras_io_does(tmp_path: Path) -> None:
    source = augmented_classifier()
    project, _ = _import(source, tmp_path)
    script = export_python(project, tmp_path / "model.py")
    text = script.read_text(encoding="utf-8")
    assert "data_augmentation = keras.Sequential(\n    [\n" in text
    assert '        layers.RandomFlip(mode="horizontal", name="flip"),\n' in text
    assert "= head(pool)\n" in text
    rebuilt = runpy.run_path(str(script), run_name="exported")["model"]
    assert _kinds(rebuilt) == _kinds(source)
    _same_predictions(rebuilt, source)
    got = json.loads(rebuilt.get_layer("head").to_json())["config"]["layers"]
    want = json.loads(source.get_layer("head").to_json())["config"]["layers"]
    assert [(la["class_name"], la["config"]["name"]) for la in got] == [
        (la["class_name"], la["config"]["name"]) for la in want]


def test_a_sequential_block_that_is_no_longer_a_chain_exports_as_a_functional_model(tmp_path: Path) -> None:
    source = augmented_classifier()
    project, _ = _import(source, tmp_path)
    graph, tree = project.graph, project.blocks
    head = tree.block_by_name("head")
    assert head is not None
    analysis = analyze(graph)
    chain = sequential_chain(graph, tree, head, analysis)
    assert chain is not None and [graph.node(n).name for n in chain] == [
        la.name for la in source.get_layer("head").layers]
    # a skip connection inside: hidden -> head_out as well as through dropout
    hidden, out = graph.node_by_name("head_hidden").id, graph.node_by_name("head_out").id
    added = graph.add_node("Add", "skip", {})
    port = added.spec.ports[0].name if added.spec else "inputs"
    for edge in list(graph.in_edges(out)):
        graph.disconnect(edge)
    graph.connect(graph.node_by_name("drop").id, added.id, port, 0)
    graph.connect(hidden, added.id, port, 1)
    graph.connect(added.id, out, "input")
    tree.block(head.id).members.append(added.id)
    tree.restore(tree.to_list())  # re-reads the members
    analysis = analyze(graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert sequential_chain(graph, tree, tree.block(head.id), analysis) is None
    model = compile_graph(graph, "m", analysis, blocks=tree)
    assert type(model.get_layer("head")).__name__ == "Functional"


@pytest.mark.parametrize("build", [xception_like, transfer_learning])
def test_keras_io_patterns_round_trip_with_the_same_predictions(build, tmp_path: Path) -> None:
    source = build()
    project, _ = _import(source, tmp_path)
    _check(project)
    nested = {b.name for b in project.blocks.blocks() if b.kind == "nested_model"}
    assert nested >= {"data_augmentation"}
    out = export_keras(project, tmp_path / "out.keras")
    loaded = keras.saving.load_model(out)
    assert _kinds(loaded) == _kinds(source)
    for got, want in zip(loaded.layers, source.layers, strict=True):
        assert got.trainable == want.trainable
    calls = _sub_model_calls(source)
    assert "data_augmentation" in calls
    assert build is not transfer_learning or calls["mobilenet_0.25_32"]["training"] is False
    assert _sub_model_calls(loaded) == calls  # base_model(x, training=False) stays so
    _same_predictions(loaded, source)


def _sub_model_calls(model: keras.Model) -> dict[str, dict]:
    """Each sub-model's call keywords (``training=False``) as the model's config records them."""
    layers_config = json.loads(model.to_json())["config"]["layers"]
    return {entry["name"]: entry["inbound_nodes"][0]["kwargs"] for entry in layers_config
            if entry["class_name"] in ("Functional", "Sequential")}


@pytest.mark.parametrize("build", [xception_like, transfer_learning])
def test_keras_io_patterns_export_as_python_with_the_same_predictions(build, tmp_path: Path) -> None:
    source = build()
    project, _ = _import(source, tmp_path)
    script = export_python(project, tmp_path / "model.py")
    text = script.read_text(encoding="utf-8")
    assert "data_augmentation = keras.Sequential(" in text
    rebuilt = runpy.run_path(str(script), run_name="exported")["model"]
    assert _kinds(rebuilt) == _kinds(source)
    _same_predictions(rebuilt, source)
