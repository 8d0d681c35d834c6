"""Recurrent catalog rules without Keras: hand-computed shapes, weights and student mistakes."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import get_spec
from app.core.catalog.recurrent import layer_value
from app.core.graph import Graph
from app.core.shapes import Analysis, analyze


def chain(batch_shape: list[Any], class_name: str, config: dict[str, Any]) -> tuple[Analysis, str]:
    """Input -> one layer; returns the analysis and the layer's node id."""
    g = Graph()
    src = g.add_node("InputLayer", config={"batch_shape": batch_shape})
    node = g.add_node(class_name, config=config)
    g.connect(src.id, node.id)
    return analyze(g), node.id


def result(batch_shape: list[Any], class_name: str, config: dict[str, Any]) -> tuple[tuple, int]:
    analysis, node = chain(batch_shape, class_name, config)
    info = analysis.nodes[node]
    assert info.ok, [p.message for p in info.problems]
    return info.output_shapes[0], info.params


def only_problem(analysis: Analysis, node: str) -> Any:
    (problem,) = analysis.problems_for(node)
    return problem


@pytest.mark.parametrize(
    ("class_name", "config", "shape", "params"),
    [
        # 4 gates · 16 units · (8 features + 16 recurrent + 1 bias)
        ("LSTM", {"units": 16}, (None, 16), 4 * 16 * (8 + 16 + 1)),
        ("LSTM", {"units": 16, "return_sequences": True}, (None, 10, 16), 1600),
        ("LSTM", {"units": 16, "use_bias": False}, (None, 16), 4 * 16 * (8 + 16)),
        # reset_after keeps two bias vectors per gate
        ("GRU", {"units": 4}, (None, 4), 3 * 4 * (8 + 4) + 2 * 3 * 4),
        ("GRU", {"units": 4, "reset_after": False}, (None, 4), 3 * 4 * (8 + 4) + 3 * 4),
        ("SimpleRNN", {"units": 5, "return_sequences": True}, (None, 10, 5), 5 * (8 + 5) + 5),
    ],
)
def test_recurrent_shapes_and_weights(class_name: str, config: dict, shape: tuple, params: int) -> None:
    assert result([None, 10, 8], class_name, config) == (shape, params)


def test_unknown_timesteps_are_fine() -> None:
    assert result([None, None, 3], "GRU", {"units": 2, "return_sequences": True})[0] == (None, None, 2)


def test_lstm_on_flat_vector_explains_and_offers_reshape() -> None:
    analysis, node = chain([None, 20], "LSTM", {"units": 8})
    problem = only_problem(analysis, node)
    assert "3-D input (batch, timesteps, features)" in problem.message
    assert "2-D (None, 20)" in problem.message
    assert "Embedding" in problem.message
    assert problem.port == "input"
    assert problem.fix.action == {"node": node, "op": "insert_before", "port": "input", "class_name": "Reshape",
                                  "config": {"target_shape": [20, 1]}}


def test_lstm_on_image_suggests_rows_as_timesteps() -> None:
    analysis, node = chain([None, 28, 28, 1], "LSTM", {"units": 8})
    problem = only_problem(analysis, node)
    assert "4-D (None, 28, 28, 1)" in problem.message
    assert problem.fix.action["config"] == {"target_shape": [28, 28]}


def test_stacked_lstm_without_return_sequences_is_explained() -> None:
    g = Graph()
    src = g.add_node("InputLayer", config={"batch_shape": [None, 10, 8]})
    first = g.add_node("LSTM", config={"units": 8})
    second = g.add_node("LSTM", config={"units": 4})
    g.connect(src.id, first.id)
    g.connect(first.id, second.id)
    problem = only_problem(analyze(g), second.id)
    assert "return_sequences=True" in problem.message
    assert problem.fix is not None


@pytest.mark.parametrize(("class_name", "sequences", "outputs"), [
    ("LSTM", False, [(None, 8), (None, 8), (None, 8)]),
    ("LSTM", True, [(None, 10, 8), (None, 8), (None, 8)]),
    ("GRU", True, [(None, 10, 8), (None, 8)]),
    ("SimpleRNN", False, [(None, 8), (None, 8)]),
])
def test_return_state_adds_the_final_states_as_outputs(class_name: str, sequences: bool,
                                                       outputs: list[tuple[Any, ...]]) -> None:
    analysis, node = chain([None, 10, 8], class_name, {"units": 8, "return_state": True,
                                                       "return_sequences": sequences})
    assert analysis.nodes[node].output_shapes == outputs
    assert analysis.problems_for(node) == []


def _decoder(states: dict[str, list[Any]], units: int = 8, mask: list[Any] | None = None) -> tuple[Analysis, str]:
    """Input (None, 10, 3) -> LSTM, with initial states (and a mask) from Inputs of the given shapes."""
    g = Graph()
    src = g.add_node("InputLayer", config={"batch_shape": [None, 10, 3]})
    node = g.add_node("LSTM", config={"units": units})
    g.connect(src.id, node.id)
    for port, shape in {**states, **({"mask": mask} if mask else {})}.items():
        given = g.add_node("InputLayer", config={"batch_shape": shape})
        g.connect(given.id, node.id, port)
    return analyze(g), node.id


def test_initial_states_and_mask_are_checked_by_port() -> None:
    analysis, node = _decoder({"initial_h": [None, 8], "initial_c": [None, 8]}, mask=[None, 10])
    assert analysis.nodes[node].output_shapes == [(None, 8)]
    wrong = only_problem(_decoder({"initial_h": [None, 8], "initial_c": [None, 5]})[0], node)
    assert wrong.port == "initial_c" and "(None, 8)" in wrong.message
    half = only_problem(_decoder({"initial_h": [None, 8]})[0], node)
    assert half.port == "initial_c" and "or none" in half.message
    mask = only_problem(_decoder({}, mask=[None, 7])[0], node)
    assert mask.port == "mask" and "timesteps" in mask.message


def test_stateful_needs_a_batch_size() -> None:
    analysis, node = chain([None, 10, 8], "SimpleRNN", {"units": 3, "stateful": True})
    assert "fixed batch size" in only_problem(analysis, node).message
    assert result([4, 10, 8], "SimpleRNN", {"units": 3, "stateful": True})[0] == (4, 3)


def test_unknown_feature_size_is_refused() -> None:
    analysis, node = chain([None, 10, None], "GRU", {"units": 3})
    assert "known number of features" in only_problem(analysis, node).message


# --- Bidirectional ------------------------------------------------------------------------------

def bidirectional(kind: str = "LSTM", units: int = 8, inner: dict[str, Any] | None = None,
                  **extra: Any) -> dict[str, Any]:
    return {"layer": layer_value(kind, {"units": units, **(inner or {})}), **extra}


def test_bidirectional_concat_doubles_features_and_weights() -> None:
    assert result([None, 5, 3], "Bidirectional", bidirectional()) == ((None, 16), 2 * 4 * 8 * (3 + 8 + 1))


def test_bidirectional_sum_keeps_units() -> None:
    shape, _ = result([None, 5, 3], "Bidirectional",
                      bidirectional("GRU", 6, merge_mode="sum", inner={"return_sequences": True}))
    assert shape == (None, 5, 6)


def test_bidirectional_default_wraps_a_full_lstm_config() -> None:
    spec = get_spec("Bidirectional")
    layer = spec.default_config()["layer"]
    assert layer["module"] == "keras.layers"
    assert layer["class_name"] == "LSTM"
    assert set(layer["config"]) == {p.name for p in get_spec("LSTM").params}


def test_bidirectional_merge_mode_none_is_refused_with_fix() -> None:
    analysis, node = chain([None, 5, 3], "Bidirectional", bidirectional(merge_mode=None))
    problem = only_problem(analysis, node)
    assert "two separate outputs" in problem.message
    assert problem.fix.action == {"node": node, "op": "set_param", "param": "merge_mode", "value": "concat"}


def test_bidirectional_inner_go_backwards_is_explained() -> None:
    analysis, node = chain([None, 5, 3], "Bidirectional", bidirectional(inner={"go_backwards": True}))
    problem = only_problem(analysis, node)
    assert "go_backwards" in problem.message
    assert problem.fix.action["value"]["config"]["go_backwards"] is False


def test_bidirectional_backward_layer_must_match() -> None:
    back = layer_value("LSTM", {"units": 5, "go_backwards": True})
    analysis, node = chain([None, 5, 3], "Bidirectional", bidirectional(backward_layer=back))
    found = only_problem(analysis, node)
    assert "units=8 but backward_layer has units=5" in found.message
    assert found.fix.action == {"node": node, "op": "set_param", "param": "backward_layer", "value": None}
    back = layer_value("GRU", {"units": 8, "go_backwards": True})
    _, params = result([None, 5, 3], "Bidirectional", bidirectional(backward_layer=back))
    assert params == 4 * 8 * 12 + (3 * 8 * 11 + 2 * 3 * 8)


def test_bidirectional_wrapped_value_is_validated() -> None:
    param = get_spec("Bidirectional").param("layer")
    assert param.validate(layer_value("LSTM", {"units": 4})) is None
    assert "module" in param.validate({"class_name": "LSTM", "config": {"units": 4}})
    assert "must wrap one of" in param.validate(layer_value("Dense", {"units": 4}))
    assert "no parameter 'filters'" in param.validate(layer_value("LSTM", {"filters": 4}))
    assert "'units' must be ≥ 1" in param.validate(layer_value("GRU", {"units": 0}))
    assert "states are not given out" in param.validate(layer_value("GRU", {"return_state": True}))


# --- TimeDistributed ----------------------------------------------------------------------------

def test_time_distributed_dense_applies_per_step() -> None:
    cfg = {"layer": layer_value("Dense", {"units": 4})}
    assert result([None, 6, 3], "TimeDistributed", cfg) == ((None, 6, 4), 3 * 4 + 4)


def test_time_distributed_conv2d_on_video() -> None:
    cfg = {"layer": layer_value("Conv2D", {"filters": 2, "kernel_size": [3, 3]})}
    assert result([None, 4, 8, 8, 1], "TimeDistributed", cfg) == ((None, 4, 6, 6, 2), 2 * 9 + 2)


def test_time_distributed_needs_a_time_axis() -> None:
    analysis, node = chain([None, 6], "TimeDistributed", {"layer": layer_value("Dense", {"units": 4})})
    assert "at least a 3-D input (batch, timesteps, ...)" in only_problem(analysis, node).message


def test_time_distributed_reports_the_wrapped_layers_problem() -> None:
    cfg = {"layer": layer_value("Reshape", {"target_shape": [5]})}
    param = get_spec("TimeDistributed").param("layer")
    assert "must wrap one of" in param.validate(cfg["layer"])
    flat = {"layer": layer_value("Dense", {"units": 2, "trainable": False})}
    analysis, node = chain([None, 6, 3], "TimeDistributed", flat)
    assert analysis.nodes[node].trainable == 0
    assert analysis.nodes[node].non_trainable == 8


def test_wrapped_layer_saved_built_for_another_shape() -> None:
    """Configs taken from a built Keras model carry build_config; a new input shape must drop it."""
    value = {**layer_value("Dense", {"units": 2}), "build_config": {"input_shape": [None, 5]}}
    analysis, node = chain([None, 6, 3], "TimeDistributed", {"layer": value})
    found = only_problem(analysis, node)
    assert "built for input (None, 5), but now receives (None, 3)" in found.message
    assert "build_config" not in found.fix.action["value"]
    ok = {**value, "build_config": {"input_shape": [None, 3]}}
    assert result([None, 6, 3], "TimeDistributed", {"layer": ok})[0] == (None, 6, 2)
