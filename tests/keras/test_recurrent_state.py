"""Recurrent state and masks (issue 15, point 4) against real Keras.

Every port of SimpleRNN, LSTM and GRU is checked the oracle's way: the shapes our rules give each
output (the sequence or last step, then the final states with ``return_state``) and the parameter
count equal what Keras builds with the same ``initial_state`` and ``mask`` arguments, and where our
rules refuse a state or a mask, Keras fails too (building, or running a batch). Then keras.io's
character-level sequence-to-sequence model (its training model and its two inference models)
imports, checks like Keras, trains on a generated reversal task and exports to Python and to
``.keras`` with the same configs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.core.catalog.recurrent import STATE_PORTS
from app.core.graph import Graph
from app.core.shapes import analyze
from app.data.synthetic import reverse_sequences, split_reverse_inputs
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.export import export_keras, export_python
from app.keras_bridge.importer import import_config, import_keras

KINDS = ("SimpleRNN", "LSTM", "GRU")


def _graph(kind: str, config: dict[str, Any], sequence: list[Any], states: list[list[Any]] | None,
           mask: list[Any] | None) -> tuple[Graph, str]:
    """Inputs -> one recurrent node; every output of the node is a model output."""
    g = Graph()
    x = g.add_node("InputLayer", "x", {"batch_shape": sequence})
    node = g.add_node(kind, "rnn", config)
    g.connect(x.id, node.id)
    for port, shape in zip(STATE_PORTS[kind], states or [], strict=False):
        given = g.add_node("InputLayer", port, {"batch_shape": shape})
        g.connect(given.id, node.id, port)
    if mask is not None:
        m = g.add_node("InputLayer", "m", {"batch_shape": mask, "dtype": "bool"})
        g.connect(m.id, node.id, "mask")
    outputs = 1 + (len(STATE_PORTS[kind]) if config.get("return_state") else 0)
    g.output_order = [node.id]
    g.output_ports = {node.id: list(range(outputs))}
    return g, node.id


def _keras_direct(kind: str, config: dict[str, Any], sequence: list[Any], states: list[list[Any]] | None,
                  mask: list[Any] | None) -> tuple[list[tuple[Any, ...]], int, bool]:
    """What Keras itself builds for ``layer(x, initial_state=..., mask=...)``: output shapes, weights,
    and whether a batch of 2 runs through it."""
    x = keras.Input(batch_shape=tuple(sequence))
    inputs = [x]
    kwargs: dict[str, Any] = {}
    if states:
        kwargs["initial_state"] = [keras.Input(batch_shape=tuple(s)) for s in states]
        inputs += kwargs["initial_state"]
    if mask is not None:
        kwargs["mask"] = keras.Input(batch_shape=tuple(mask), dtype="bool")
        inputs.append(kwargs["mask"])
    layer = getattr(keras.layers, kind)(**config)
    out = layer(x, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    model = keras.Model(inputs, outs)
    arrays = [np.ones(tuple(2 if d is None else d for d in t.shape), dtype=t.dtype) for t in inputs]
    try:
        model.predict(arrays, verbose=0)
        runs = True
    except Exception:  # any failure of Keras on real data counts as a refusal
        runs = False
    return [tuple(t.shape) for t in outs], layer.count_params(), runs


CASES = [
    (kind, {"units": 4, "return_state": state, "return_sequences": sequences}, states, mask)
    for kind in KINDS
    for state in (False, True)
    for sequences in (False, True)
    for states, mask in ((False, None), (True, None), (True, [None, 6]), (False, [None, 6]))
]


@pytest.mark.parametrize(("kind", "config", "with_states", "mask"), CASES,
                         ids=[f"{c[0]}-state{int(c[1]['return_state'])}-seq{int(c[1]['return_sequences'])}-"
                              f"init{int(c[2])}-mask{int(c[3] is not None)}" for c in CASES])
def test_every_port_has_keras_shape(kind: str, config: dict[str, Any], with_states: bool,
                                    mask: list[Any] | None) -> None:
    sequence = [None, 6, 3]
    states = [[None, config["units"]]] * len(STATE_PORTS[kind]) if with_states else None
    graph, node = _graph(kind, config, sequence, states, mask)
    analysis = analyze(graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    expected, params, runs = _keras_direct(kind, config, sequence, states, mask)
    assert runs
    assert analysis.nodes[node].output_shapes == expected
    assert analysis.total_params == params
    compiled = compile_graph(graph)
    assert [tuple(t.shape) for t in compiled.outputs] == expected
    assert compiled.count_params() == params


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("states", "mask", "port"), [
    ([[None, 5], [None, 5]], None, "initial_h"),  # states of another size than units
    (None, [None, 4], "mask"),  # a mask with fewer steps than the sequence
])
def test_what_we_refuse_keras_cannot_run(kind: str, states: list[list[Any]] | None, mask: list[Any] | None,
                                         port: str) -> None:
    config = {"units": 8, "return_state": True}
    states = states[: len(STATE_PORTS[kind])] if states else None
    graph, node = _graph(kind, config, [None, 6, 3], states, mask)
    problems = analyze(graph).problems_for(node)
    assert [p.port for p in problems] == [port], [p.message for p in problems]
    try:
        _, _, runs = _keras_direct(kind, config, [None, 6, 3], states, mask)
    except Exception:  # Keras refusing to build is a refusal too
        runs = False
    assert not runs


# --- keras.io: character-level sequence-to-sequence ------------------------------------------------

LENGTH, SYMBOLS, LATENT = 4, 5, 32


def seq2seq_models(num_encoder_tokens: int = SYMBOLS, num_decoder_tokens: int = SYMBOLS + 1,
                   latent_dim: int = LATENT) -> tuple[Any, Any, Any]:
    """keras.io/examples/nlp/lstm_seq2seq (fchollet): the training model, then the inference
    encoder and decoder rebuilt from its layers as the example does after reloading it."""
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)

    encoder_inputs = model.input[0]
    encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
    encoder_model = keras.Model(encoder_inputs, [state_h_enc, state_c_enc])
    decoder_inputs = model.input[1]
    decoder_state_input_h = keras.Input(shape=(latent_dim,))
    decoder_state_input_c = keras.Input(shape=(latent_dim,))
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_outputs, state_h_dec, state_c_dec = model.layers[3](decoder_inputs, initial_state=decoder_states_inputs)
    decoder_outputs = model.layers[4](decoder_outputs)
    decoder_model = keras.Model([decoder_inputs, *decoder_states_inputs], [decoder_outputs, state_h_dec, state_c_dec])
    return model, encoder_model, decoder_model


def _config(model: Any) -> Any:
    """The model config without the model's own name (the round trip names it after the project)."""
    config = json.loads(model.to_json())["config"]
    config.pop("name", None)
    return config


@pytest.fixture(scope="module")
def seq2seq() -> tuple[Any, Any, Any]:
    return seq2seq_models()


@pytest.mark.parametrize("which", [0, 1, 2], ids=["training", "inference_encoder", "inference_decoder"])
def test_seq2seq_imports_checks_and_exports(seq2seq: tuple[Any, Any, Any], which: int, tmp_path: Path) -> None:
    original = seq2seq[which]
    project, notes = import_config(json.loads(original.to_json()))
    assert notes == []
    analysis = analyze(project.graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.total_params == original.count_params()
    outputs = [analysis.nodes[node.id].output_shapes[port]  # type: ignore[index]
               for node, port in project.graph.output_refs()]
    assert outputs == [tuple(t.shape) for t in original.outputs]

    compiled = compile_graph(project.graph, original.name, analysis)
    assert _config(compiled) == _config(original)

    script = tmp_path / "seq2seq.py"
    export_python(project, script)
    text = script.read_text()
    assert "return_state=True" in text and ("initial_state=[" in text) == (which != 1)
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, str(script), "exec"), namespace)  # our own generated script
    assert _config(namespace["model"]) == _config(original)

    saved = export_keras(project, tmp_path / "seq2seq.keras")
    loaded = keras.saving.load_model(saved)
    assert _config(loaded) == _config(original)
    again, _ = import_keras(saved)
    assert again.graph.to_dict()["edges"] == project.graph.to_dict()["edges"]
    assert again.graph.output_ports == project.graph.output_ports


def test_seq2seq_learns_to_reverse_generated_strings() -> None:
    """Two epochs of teacher forcing on the generated reversal task, through the compiled import;
    then the inference encoder and decoder, sharing the trained weights, decode greedily."""
    model, encoder_model, decoder_model = seq2seq_models()
    project, _ = import_config(json.loads(model.to_json()))
    trained = compile_graph(project.graph, "seq2seq")
    data = reverse_sequences(samples=3000, length=LENGTH, symbols=SYMBOLS, seed=0)
    encoder_x, decoder_x = split_reverse_inputs(data, LENGTH, SYMBOLS)
    keras.utils.set_random_seed(0)
    trained.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    first = trained.evaluate([encoder_x, decoder_x], data.y, verbose=0)[0]
    history = trained.fit([encoder_x, decoder_x], data.y, batch_size=64, epochs=2, verbose=0)
    assert history.history["loss"][-1] < first  # it learns
    model.set_weights(trained.get_weights())  # the inference models share the training model's layers

    test = reverse_sequences(samples=64, length=LENGTH, symbols=SYMBOLS, seed=1)
    test_x, _ = split_reverse_inputs(test, LENGTH, SYMBOLS)
    h, c = encoder_model.predict(test_x, verbose=0)
    step = np.zeros((len(test_x), 1, SYMBOLS + 1), dtype=np.float32)
    step[:, 0, SYMBOLS] = 1.0  # the start token
    decoded = []
    for _ in range(LENGTH):
        probs, h, c = decoder_model.predict([step, h, c], verbose=0)
        token = probs[:, -1].argmax(axis=-1)
        decoded.append(token)
        step = np.eye(SYMBOLS + 1, dtype=np.float32)[token][:, None]
    accuracy = float((np.stack(decoded, axis=1) == test.y).mean())
    assert accuracy > 1.0 / SYMBOLS  # better than guessing after two epochs


# --- keras.layers.RNN with cells ------------------------------------------------------------------

def rnn_cells_model() -> Any:
    """keras.io/guides/working_with_rnns ("RNN layers and RNN cells"): RNN over a cell and over
    StackedRNNCells; here the single cell's states start an LSTM, as in an encoder-decoder."""
    tokens = keras.Input((None, 6), name="tokens")
    stacked = keras.layers.RNN(keras.layers.StackedRNNCells(
        [keras.layers.GRUCell(8), keras.layers.SimpleRNNCell(5)]), return_sequences=True, name="stacked")(tokens)
    _, h, c = keras.layers.RNN(keras.layers.LSTMCell(7), return_state=True, name="encoder")(stacked)
    decoded = keras.layers.LSTM(7, name="decoder")(stacked, initial_state=[h, c])
    return keras.Model(tokens, keras.layers.Dense(2, name="head")(decoded), name="cells")


def test_rnn_with_cells_imports_checks_and_exports(tmp_path: Path) -> None:
    original = rnn_cells_model()
    project, notes = import_config(json.loads(original.to_json()))
    assert notes == []
    analysis = analyze(project.graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.total_params == original.count_params()
    encoder = project.graph.node_by_name("encoder")
    assert encoder is not None and analysis.nodes[encoder.id].output_shapes == [(None, 7)] * 3
    assert _config(compile_graph(project.graph, "cells", analysis)) == _config(original)

    script = tmp_path / "cells.py"
    export_python(project, script)
    text = script.read_text()
    flat = " ".join(text.split())
    assert "layers.StackedRNNCells( [ layers.GRUCell(8, name=" in flat and "layers.LSTMCell(7, name=" in flat
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, str(script), "exec"), namespace)  # our own generated script
    exported = _config(namespace["model"])
    assert _without_cell_names(exported) == _without_cell_names(_config(original))

    saved = export_keras(project, tmp_path / "cells.keras")
    assert _config(keras.saving.load_model(saved)) == _config(original)


def _without_cell_names(value: Any) -> Any:
    """Keras names cells from a process-wide counter (``gru_cell_3``), so an exported script's cells
    are named anew; everything else must be equal."""
    if isinstance(value, dict):
        return {k: _without_cell_names(v) for k, v in value.items()
                if not (k == "name" and str(value.get("name", "")).endswith(tuple(f"cell{s}" for s in ("", "s"))))
                and not (k == "name" and "_cell" in str(value.get("name", "")))}
    if isinstance(value, list):
        return [_without_cell_names(v) for v in value]
    return value


@pytest.mark.parametrize("steps", [6, 4], ids=["fitting-mask", "short-mask"])
@pytest.mark.parametrize("class_name", ["Bidirectional", "RNN"])
def test_wrapper_and_cell_loop_take_an_explicit_mask_like_keras(class_name: str, steps: int) -> None:
    """``Bidirectional(LSTM)(x, mask=m)`` and ``RNN(GRUCell)(x, mask=m)``: shapes and weights as Keras
    builds them; a mask with other timesteps is refused here and fails in Keras on real data."""
    g = Graph()
    x = g.add_node("InputLayer", "x", {"batch_shape": [None, 6, 3]})
    m = g.add_node("InputLayer", "m", {"batch_shape": [None, steps], "dtype": "bool"})
    config = ({"layer": {"module": "keras.layers", "class_name": "LSTM", "config": {"units": 4},
                         "registered_name": None}} if class_name == "Bidirectional"
              else {"cell": {"module": "keras.layers", "class_name": "GRUCell", "config": {"units": 4},
                             "registered_name": None}})
    node = g.add_node(class_name, "seq", config)
    g.connect(x.id, node.id)
    g.connect(m.id, node.id, "mask")
    analysis = analyze(g)
    if steps != 6:
        assert [p.port for p in analysis.problems_for(node.id)] == ["mask"]
    layer = (keras.layers.Bidirectional(keras.layers.LSTM(4)) if class_name == "Bidirectional"
             else keras.layers.RNN(keras.layers.GRUCell(4)))
    xs, ms = keras.Input((6, 3)), keras.Input((steps,), dtype="bool")
    model = keras.Model([xs, ms], layer(xs, mask=ms))
    try:
        model.predict([np.ones((2, 6, 3)), np.ones((2, steps), dtype=bool)], verbose=0)
        runs = True
    except Exception:  # a failure on real data is Keras' refusal
        runs = False
    assert runs == (steps == 6)
    if steps == 6:
        assert analysis.valid, [p.message for p in analysis.errors]
        assert analysis.nodes[node.id].output_shapes == [tuple(model.outputs[0].shape)]
        assert analysis.total_params == model.count_params()
        compiled = compile_graph(g)
        assert compiled.count_params() == model.count_params()
