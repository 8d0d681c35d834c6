"""Shared layers (issue 15, point 5) against real Keras: one layer called at several places.

The shared embedding of Keras' functional API guide ("Shared layers": one Embedding and one LSTM
read two text inputs) and a Siamese network (one convolutional tower applied to two images, then
the absolute difference) import as one node per call linked to the node that owns the layer;
``check`` counts the weights once, as ``count_params()`` does; the compiled model, the exported
Python and the exported ``.keras`` file have Keras' own config, each shared layer made once and
called twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest

from app.core.shapes import analyze
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.export import export_keras, export_python
from app.keras_bridge.importer import ImportRefused, import_config, import_keras


def shared_embedding() -> Any:
    """keras.io/guides/functional_api, "Shared layers": two texts through one Embedding and one LSTM."""
    shared_embedding = keras.layers.Embedding(1000, 128, name="shared_embedding")
    text_input_a = keras.Input(shape=(None,), dtype="int32", name="text_a")
    text_input_b = keras.Input(shape=(None,), dtype="int32", name="text_b")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    reader = keras.layers.LSTM(16, name="shared_reader")
    merged = keras.layers.Concatenate(name="both")([reader(encoded_input_a), reader(encoded_input_b)])
    out = keras.layers.Dense(1, activation="sigmoid", name="same_topic")(merged)
    return keras.Model([text_input_a, text_input_b], out, name="same_topic_model")


def siamese() -> Any:
    """A Siamese network: one conv tower (weights shared) on two 28×28 images, |a - b|, a sigmoid."""
    conv1 = keras.layers.Conv2D(8, 3, activation="relu", name="tower_conv1")
    pool = keras.layers.MaxPooling2D(name="tower_pool")
    conv2 = keras.layers.Conv2D(16, 3, activation="relu", name="tower_conv2")
    flat = keras.layers.GlobalAveragePooling2D(name="tower_gap")
    embed = keras.layers.Dense(10, name="tower_embedding")
    a = keras.Input((28, 28, 1), name="image_a")
    b = keras.Input((28, 28, 1), name="image_b")
    towers = [embed(flat(conv2(pool(conv1(x))))) for x in (a, b)]
    distance = keras.ops.absolute(keras.layers.Subtract(name="difference")(towers))
    out = keras.layers.Dense(1, activation="sigmoid", name="same_digit")(distance)
    return keras.Model([a, b], out, name="siamese")


def _config(model: Any) -> Any:
    """The model's config without its own name and with Keras operations named by their place: an
    exported script lets Keras name ``keras.ops.absolute`` itself, from a process-wide counter."""
    text = model.to_json()
    config = json.loads(text)["config"]
    for i, layer in enumerate(config["layers"]):
        if layer["module"].startswith("keras.src.ops"):
            text = text.replace(f'"{layer["name"]}"', f'"operation_{i}"')
    config = json.loads(text)["config"]
    config.pop("name", None)
    return config


@pytest.mark.parametrize("build", [shared_embedding, siamese])
def test_shared_layers_stay_shared_through_every_round_trip(build: Any, tmp_path: Path) -> None:
    original = build()
    shared = {layer.name for layer in original.layers if len(layer._inbound_nodes) > 1}
    assert shared
    project, notes = import_config(json.loads(original.to_json()))
    assert notes == []
    graph = project.graph
    for name in shared:
        owner = graph.node_by_name(name)
        assert owner is not None and owner.shared_with is None
        calls = graph.shared_group(owner.id)
        assert len(calls) == 2, name
        assert graph.node(calls[1]).config == owner.config

    analysis = analyze(graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.total_params == original.count_params()  # weights counted once
    by_name = {n.name: n for n in graph.nodes()}
    for layer in original.layers:
        node = by_name.get(layer.name)
        if node is not None and node.class_name != "InputLayer" and layer.name not in shared:
            assert analysis.nodes[node.id].output_shapes == [tuple(layer.output.shape)], layer.name

    compiled = compile_graph(graph, original.name, analysis)
    assert _config(compiled) == _config(original)
    assert compiled.count_params() == original.count_params()

    script = tmp_path / "shared.py"
    export_python(project, script)
    text = script.read_text()
    for name in shared:
        assert text.count(f'name="{name}"') == 1, f"{name} is made once"
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, str(script), "exec"), namespace)  # our own generated script
    assert _config(namespace["model"]) == _config(original)

    saved = export_keras(project, tmp_path / "shared.keras")
    assert _config(keras.saving.load_model(saved)) == _config(original)
    again, _ = import_keras(saved)
    assert sorted((n.name, n.shared_with is not None) for n in again.graph.nodes()) == sorted(
        (n.name, n.shared_with is not None) for n in graph.nodes())


def test_a_shared_layer_fed_by_its_own_output_imports_in_call_order() -> None:
    """``d(d(x))``: the second call reads the first; both are one layer."""
    x = keras.Input((4,), name="x")
    d = keras.layers.Dense(4, name="twice")
    original = keras.Model(x, d(d(x)))
    project, _ = import_config(json.loads(original.to_json()))
    analysis = analyze(project.graph)
    assert analysis.total_params == original.count_params() == 20
    assert _config(compile_graph(project.graph, "m", analysis)) == _config(original)


def test_a_nested_model_called_twice_is_refused_by_name() -> None:
    inner_in = keras.Input((4,))
    tower = keras.Model(inner_in, keras.layers.Dense(3)(inner_in), name="tower_model")
    a, b = keras.Input((4,)), keras.Input((4,))
    outer = keras.Model([a, b], keras.layers.Add()([tower(a), tower(b)]))
    with pytest.raises(ImportRefused, match="tower_model"):
        import_config(json.loads(outer.to_json()))
