"""Nested models with several outputs (issue 16): a sub-model whose results leave it from two
layers, or from two outputs of one layer (an LSTM's sequence and state), is built, exported
as Python and round-tripped through ``.keras`` with each outside layer reading the right
output: same predictions as the original with the same weights."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import keras
import numpy as np
import pytest

from app.core.blocks import block_ports
from app.core.catalog import get_spec
from app.core.codegen import generate_python
from app.core.graph import Graph
from app.core.nested_plan import sub_graph, sub_model_outputs
from app.core.project import Project
from app.core.shapes import analyze
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.export import export_python
from app.keras_bridge.importer import import_keras
from tests.keras.test_nested_models import _config_without_build, _round_trip


def two_layer_outputs() -> keras.Model:
    """A trunk whose two heads both leave it, listed in the opposite order to the layers'."""
    t_in = keras.Input((6,), name="t_in")
    hidden = keras.layers.Dense(5, activation="relu", name="t_hidden")(t_in)
    first = keras.layers.Dense(3, name="t_first")(hidden)
    second = keras.layers.Dense(2, name="t_second")(hidden)
    trunk = keras.Model(t_in, [second, first], name="trunk")
    x = keras.Input((6,), name="x")
    got_second, got_first = trunk(x)
    widened = keras.layers.Dense(3, name="widen")(got_second)
    joined = keras.layers.Concatenate(name="join")([got_first, widened])
    return keras.Model(x, keras.layers.Dense(4, name="out")(joined), name="two_heads")


def lstm_state_outputs() -> keras.Model:
    """An encoder sub-model returning an LSTM's sequence and both states; outside, a
    decoder starts from the states and the sequence is pooled, and the state h is an output."""
    e_in = keras.Input((5, 3), name="e_in")
    seq, h, c = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="e_lstm")(e_in)
    encoder = keras.Model(e_in, [seq, h, c], name="encoder")
    x = keras.Input((5, 3), name="x")
    y = keras.Input((2, 3), name="y")
    seq, h, c = encoder(x)
    decoded = keras.layers.LSTM(4, name="decoder")(y, initial_state=[h, c])
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(seq)
    joined = keras.layers.Concatenate(name="join")([decoded, pooled])
    return keras.Model([x, y], [keras.layers.Dense(2, name="out")(joined), h], name="seq2seq")


def _inputs(model: keras.Model, seed: int = 1) -> np.ndarray | list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(3, *t.shape[1:])).astype("float32") for t in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def _same_predictions(got: keras.Model, want: keras.Model) -> None:
    x = _inputs(want)
    a, b = got.predict(x, verbose=0), want.predict(x, verbose=0)
    for g, w in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build", [two_layer_outputs, lstm_state_outputs])
def test_a_sub_model_with_several_outputs_round_trips(build, tmp_path: Path) -> None:
    source = build()
    loaded, project = _round_trip(source, tmp_path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in source.layers]
    (block,) = project.blocks.blocks()
    sub = loaded.get_layer(block.name)
    assert len(sub.outputs) == len(source.get_layer(block.name).outputs)
    _same_predictions(loaded, source)


@pytest.mark.parametrize("build", [two_layer_outputs, lstm_state_outputs])
def test_python_export_of_several_outputs_predicts_the_same(build, tmp_path: Path) -> None:
    source = build()
    loaded, project = _round_trip(source, tmp_path)
    script = export_python(project, tmp_path / "model.py")
    rebuilt = runpy.run_path(str(script), run_name="exported")["model"]
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in source.layers]
    _same_predictions(rebuilt, source)


def _output_layers(model: keras.Model) -> list:
    return json.loads(model.to_json())["config"]["output_layers"]


def test_a_sub_model_returns_its_outputs_in_its_own_order(tmp_path: Path) -> None:
    """The trunk returns [second, first] although 'first' comes first among its layers; the
    order survives the project file, the .keras export and the Python export."""
    source = two_layer_outputs()
    loaded, project = _round_trip(source, tmp_path)
    want = _output_layers(source.get_layer("trunk"))
    assert [entry[0] for entry in want] == ["t_second", "t_first"]
    assert _output_layers(loaded.get_layer("trunk")) == want
    rebuilt = runpy.run_path(str(export_python(project, tmp_path / "m.py")), run_name="exported")["model"]
    assert _config_without_build(rebuilt) == _config_without_build(source)
    # an edit that changes what leaves the block falls back to the graph's order
    graph, tree = project.graph, project.blocks
    (block,) = tree.blocks()
    (edge,) = graph.in_edges(graph.node_by_name("widen").id)
    graph.disconnect(edge)
    graph.connect(graph.node_by_name("t_hidden").id, graph.node_by_name("widen").id, "input")
    part, _inner = sub_graph(graph, tree, block, analyze(graph))
    # (t_second, read by nothing now, has become an output of the whole model)
    assert [graph.node(nid).name for nid, _port in sub_model_outputs(part)] == ["t_hidden", "t_first", "t_second"]


def test_the_lstm_states_leave_as_outputs_one_and_two(tmp_path: Path) -> None:
    source = lstm_state_outputs()
    path = tmp_path / "s.keras"
    source.save(path)
    project, _ = import_keras(path)
    graph, tree = project.graph, project.blocks
    (block,) = tree.blocks()
    lstm = graph.node_by_name("e_lstm").id
    assert sorted(block_ports(graph, tree, block.id).output_tensors) == [(lstm, 0), (lstm, 1), (lstm, 2)]
    part, _inner = sub_graph(graph, tree, block, analyze(graph))
    assert sub_model_outputs(part) == [(lstm, 0), (lstm, 1), (lstm, 2)]
    source_text = generate_python(project)
    assert "e_lstm_2, e_lstm_h_2, e_lstm_c_2 = encoder(x)" in source_text
    assert "initial_state=[e_lstm_h_2, e_lstm_c_2]" in source_text
    model = compile_graph(graph, "m", blocks=tree)
    calls = {layer["name"]: layer for layer in json.loads(model.to_json())["config"]["layers"]}
    states = calls["decoder"]["inbound_nodes"][0]["kwargs"]["initial_state"]
    assert [(s["config"]["keras_history"][0], s["config"]["keras_history"][2]) for s in states] == [
        ("encoder", 1), ("encoder", 2)]


def _dense(graph: Graph, name: str, units: int) -> str:
    spec = get_spec("Dense")
    assert spec is not None
    return graph.add_node("Dense", name, {**spec.default_config(), "units": units}).id


def test_a_block_made_in_the_editor_gives_each_reader_its_output() -> None:
    """Grouping a layer and its two branches into a nested model: the outside layers read the branch they
    were wired to (widths 3 and 5 tell them apart) and the built model equals the flat one."""
    graph = Graph()
    x = graph.add_node("InputLayer", "x", {"batch_shape": [None, 4], "dtype": "float32"}).id
    hidden, a, b = _dense(graph, "hidden", 4), _dense(graph, "a", 3), _dense(graph, "b", 5)
    after_a, after_b = _dense(graph, "after_a", 2), _dense(graph, "after_b", 2)
    for src, dst in ((x, hidden), (hidden, a), (hidden, b), (a, after_a), (b, after_b)):
        graph.connect(src, dst, "input")
    project = Project(graph=graph, name="branches")
    project.blocks.group([hidden, a, b], "pair", kind="nested_model")
    nested = compile_graph(graph, "m", blocks=project.blocks)
    flat = compile_graph(graph, "m")
    pair = nested.get_layer("pair")
    assert [tuple(t.shape) for t in pair.outputs] == [(None, 3), (None, 5)]
    assert nested.get_layer("after_a").input.shape == (None, 3)
    assert nested.get_layer("after_b").input.shape == (None, 5)
    for layer in flat.layers:
        if layer.weights:
            holder = pair if layer.name in ("hidden", "a", "b") else nested
            holder.get_layer(layer.name).set_weights(layer.get_weights())
    x_in = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    for got, want in zip(nested.predict(x_in, verbose=0), flat.predict(x_in, verbose=0), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
