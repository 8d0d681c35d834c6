"""Nested models stay nested: import keeps them as blocks, export rebuilds them as sub-models
(issue 15 point 6): same top-level layers in ``model.summary()``, same predictions."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.blocks import top_level
from app.core.project import dumps, loads
from app.keras_bridge.compile import CompileError, compile_graph
from app.keras_bridge.export import export_keras
from app.keras_bridge.importer import import_keras
from app.keras_bridge.weights_io import weights_from_file


def transfer_model() -> keras.Model:
    """A small conv base, frozen and called with training=False, under a new head."""
    image = keras.Input((16, 16, 3), name="base_in")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="base_conv")(image)
    x = keras.layers.BatchNormalization(name="base_bn")(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="base_conv2")(x)
    base = keras.Model(image, x, name="base")
    base.trainable = False
    inputs = keras.Input((16, 16, 3), name="image")
    y = base(inputs, training=False)
    y = keras.layers.GlobalAveragePooling2D(name="pool")(y)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(y)
    return keras.Model(inputs, outputs, name="transfer")


def autoencoder() -> keras.Model:
    """An encoder and a decoder, each a functional model, called in turn."""
    enc_in = keras.Input((12,), name="enc_in")
    h = keras.layers.Dense(8, activation="relu", name="enc_hidden")(enc_in)
    code = keras.layers.Dense(3, name="enc_code")(h)
    encoder = keras.Model(enc_in, code, name="encoder")
    dec_in = keras.Input((3,), name="dec_in")
    h = keras.layers.Dense(8, activation="relu", name="dec_hidden")(dec_in)
    out = keras.layers.Dense(12, name="dec_out")(h)
    decoder = keras.Model(dec_in, out, name="decoder")
    inputs = keras.Input((12,), name="x")
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def _randomise(model: keras.Model) -> None:
    """Non-initial weights everywhere (batch-norm statistics too), so a lost weight shows."""
    rng = np.random.default_rng(0)
    for layer in model.layers:
        for sub in ([layer] if not hasattr(layer, "layers") else layer.layers):
            sub.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3 + (1.0 if "variance" in w.path else 0)
                             for w in sub.weights])


def _round_trip(source: keras.Model, tmp_path: Path) -> tuple[keras.Model, object]:
    _randomise(source)
    original = tmp_path / "source.keras"
    source.save(original)
    project, _notes = import_keras(original)
    project = loads(dumps(project))  # the blocks survive the project file
    project.weights, _ = weights_from_file(original, project)
    out = tmp_path / "out.keras"
    export_keras(project, out)
    return keras.saving.load_model(out), project


@pytest.mark.parametrize("build", [transfer_model, autoencoder])
def test_round_trip_keeps_top_level_layers_and_predictions(build, tmp_path: Path) -> None:
    source = build()
    loaded, project = _round_trip(source, tmp_path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in source.layers]
    for got, want in zip(loaded.layers, source.layers, strict=True):
        assert type(got).__name__ == type(want).__name__
        assert got.trainable == want.trainable
    x = np.random.default_rng(1).normal(size=(4, *source.input_shape[1:])).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_import_makes_collapsed_nested_model_blocks(tmp_path: Path) -> None:
    source = transfer_model()
    path = tmp_path / "t.keras"
    source.save(path)
    project, notes = import_keras(path)
    (block,) = project.blocks.blocks()
    assert (block.name, block.kind, block.trainable, block.training, block.collapsed) == (
        "base", "nested_model", False, False, True)
    assert sorted(project.graph.node(n).name for n in block.members) == ["base_bn", "base_conv", "base_conv2"]
    items = top_level(project.graph, project.blocks)
    assert [(i.kind, project.blocks.block(i.id).name if i.kind == "block" else project.graph.node(i.id).name)
            for i in items] == [("node", "image"), ("block", "base"), ("node", "pool"), ("node", "head")]
    assert any("nested-model blocks" in n for n in notes)


def test_the_training_call_is_kept_and_a_group_exports_as_plain_layers(tmp_path: Path) -> None:
    source = transfer_model()
    path = tmp_path / "t.keras"
    source.save(path)
    project, _ = import_keras(path)
    model = compile_graph(project.graph, "m", blocks=project.blocks)
    call = json.loads(model.to_json())["config"]["layers"][1]
    assert call["name"] == "base" and call["inbound_nodes"][0]["kwargs"]["training"] is False
    (block,) = project.blocks.blocks()
    project.blocks.set_kind(block.id, "group")
    flat = compile_graph(project.graph, "m", blocks=project.blocks)
    assert [layer.name for layer in flat.layers] == ["image", "base_conv", "base_bn", "base_conv2", "pool", "head"]


def test_a_nested_model_keras_cannot_call_is_refused_in_words(tmp_path: Path) -> None:
    source = autoencoder()
    path = tmp_path / "a.keras"
    source.save(path)
    project, _ = import_keras(path)
    graph, tree = project.graph, project.blocks
    encoder = tree.block_by_name("encoder")
    decoder = tree.block_by_name("decoder")
    tree.ungroup(decoder.id)
    tree.group([encoder.members[0], graph.node_by_name("dec_out").id], "broken", kind="nested_model")
    with pytest.raises(CompileError, match="not one connected region"):
        compile_graph(graph, "m", blocks=tree)


def _config_without_build(model: keras.Model) -> dict:
    """The model's config as JSON data; the sub-models' build shapes aside (a script builds
    them by calling them, a loaded file records them), the rest must match."""
    data = json.loads(model.to_json())["config"]
    for layer in data["layers"]:
        layer.pop("build_config", None)
    return data


@pytest.mark.parametrize("build", [transfer_model, autoencoder])
def test_python_export_rebuilds_the_same_config(build, tmp_path: Path) -> None:
    import runpy

    from app.core.codegen import generate_python

    source = build()
    path = tmp_path / "source.keras"
    source.save(path)
    project, _ = import_keras(path)
    script = tmp_path / "model.py"
    script.write_text(generate_python(project), encoding="utf-8")
    rebuilt = runpy.run_path(str(script), run_name="exported")["model"]
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in source.layers]
    assert _config_without_build(rebuilt) == _config_without_build(source)


def two_input_model() -> keras.Model:
    """A sub-model of two inputs whose second input is used first inside it (its first one
    only by a layer that also needs the second's result)."""
    a_in = keras.Input((4,), name="a_in")
    b_in = keras.Input((4,), name="b_in")
    from_b = keras.layers.Dense(4, name="db")(b_in)
    mixed = keras.layers.Multiply(name="da")([a_in, from_b])
    pair = keras.Model([a_in, b_in], keras.layers.Dense(3, name="sum")(mixed), name="pair")
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    return keras.Model([x, y], pair([x, keras.layers.Dense(4, name="pre_y")(y)]), name="outer")


def test_a_sub_model_keeps_which_input_is_which(tmp_path: Path) -> None:
    source = two_input_model()
    loaded, _project = _round_trip(source, tmp_path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in source.layers]
    pair = loaded.get_layer("pair")
    layers = {node["name"]: node for node in json.loads(pair.to_json())["config"]["layers"]}
    assert layers["db"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] == "b_in"
    assert layers["da"]["inbound_nodes"][0]["args"][0][0]["config"]["keras_history"][0] == "a_in"
    rng = np.random.default_rng(2)
    x, y = (rng.normal(size=(3, 4)).astype("float32") for _ in range(2))
    np.testing.assert_allclose(loaded.predict([x, y], verbose=0), source.predict([x, y], verbose=0), rtol=1e-5,
                               atol=1e-5)
