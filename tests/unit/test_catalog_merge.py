"""Layers with several inputs, without Keras: merges (Add, Concatenate, Dot, ...) and attention."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.graph import Graph
from app.core.shapes import Analysis, analyze


def merged(shapes: list[list[Any]], class_name: str, config: dict[str, Any] | None = None,
           ports: list[str] | None = None) -> tuple[Analysis, str]:
    """One Input per shape, all into one layer (the variadic 'inputs' port unless ports are given)."""
    g = Graph()
    node = g.add_node(class_name, config=config or {})
    for i, shape in enumerate(shapes):
        src = g.add_node("InputLayer", config={"batch_shape": shape})
        g.connect(src.id, node.id, ports[i] if ports else "inputs", check=False)
    return analyze(g), node.id


def output(shapes: list[list[Any]], class_name: str, config: dict[str, Any] | None = None,
           ports: list[str] | None = None) -> tuple[tuple, int]:
    analysis, node = merged(shapes, class_name, config, ports)
    info = analysis.nodes[node]
    assert info.ok, [p.message for p in info.problems]
    return info.output_shapes[0], info.params


def problem(shapes: list[list[Any]], class_name: str, config: dict[str, Any] | None = None,
            ports: list[str] | None = None) -> Any:
    analysis, node = merged(shapes, class_name, config, ports)
    (found,) = analysis.problems_for(node)
    return found


# --- element-wise merges ------------------------------------------------------------------------

@pytest.mark.parametrize("class_name", ["Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract"])
def test_same_shapes_pass_through(class_name: str) -> None:
    assert output([[None, 8, 16], [None, 8, 16]], class_name) == ((None, 8, 16), 0)


def test_add_names_the_axis_that_differs() -> None:
    found = problem([[None, 8, 32], [None, 8, 16]], "Add")
    assert found.message.endswith(
        "Add: input 2 has shape (None, 8, 16) but input 1 has (None, 8, 32): axis 2 differs (16 vs 32). "
        "All inputs must have the same shape; only a size of 1 can stretch to match."
    )
    assert found.port == "inputs"


def test_broadcasting_follows_keras() -> None:
    # squeeze-and-excitation: (None, 1, 1, C) scales (None, H, W, C)
    assert output([[None, 7, 7, 32], [None, 1, 1, 32]], "Multiply")[0] == (None, 7, 7, 32)
    # lower rank lines up from the last axis
    assert output([[None, 32], [None, 8, 32]], "Add")[0] == (None, 8, 32)
    # None wins over 1
    assert output([[None, None, 3], [None, 1, 3]], "Add")[0] == (None, None, 3)


def test_three_inputs_report_the_first_conflict() -> None:
    found = problem([[None, 4], [None, 4], [None, 5]], "Maximum")
    assert "input 3 has shape (None, 5) but input 1 has (None, 4): axis 1 differs (5 vs 4)" in found.message


def test_merge_needs_two_inputs() -> None:
    found = problem([[None, 4]], "Add")
    assert found.code == "unconnected_port"


def test_subtract_takes_exactly_two() -> None:
    g = Graph()
    node = g.add_node("Subtract")
    sources = [g.add_node("InputLayer", config={"batch_shape": [None, 3]}) for _ in range(3)]
    g.connect(sources[0].id, node.id, "inputs")
    g.connect(sources[1].id, node.id, "inputs")
    assert "at most 2" in g.can_connect(sources[2].id, node.id, "inputs")


def test_different_fixed_batch_sizes_are_refused() -> None:
    assert "different batch sizes" in problem([[2, 3], [4, 3]], "Add").message
    assert output([[2, 3], [None, 3]], "Add")[0] == (2, 3)


# --- Concatenate --------------------------------------------------------------------------------

def test_concatenate_adds_up_the_axis() -> None:
    assert output([[None, 8, 8, 16], [None, 8, 8, 32]], "Concatenate") == ((None, 8, 8, 48), 0)
    assert output([[None, 4, 5], [None, 3, 5]], "Concatenate", {"axis": 1})[0] == (None, 7, 5)
    assert output([[None, None, 5], [None, 3, 5]], "Concatenate", {"axis": 1})[0] == (None, None, 5)


def test_concatenate_names_the_axis_that_must_match() -> None:
    found = problem([[None, 8, 8, 16], [None, 4, 4, 16]], "Concatenate")
    assert "input 2 has shape (None, 4, 4, 16) but input 1 has (None, 8, 8, 16): axis 1 differs (4 vs 8)" \
        in found.message
    assert "except the concatenation axis (3)" in found.message


def test_concatenate_offers_the_axis_that_would_work() -> None:
    found = problem([[None, 4, 5], [None, 4, 6]], "Concatenate", {"axis": 1})
    assert "axis 2 differs (6 vs 5)" in found.message
    assert found.fix.action["op"] == "set_param"
    assert found.fix.action["value"] == -1


def test_concatenate_refuses_the_batch_axis_and_other_ranks() -> None:
    assert "batch axis" in problem([[None, 4], [None, 4]], "Concatenate", {"axis": 0}).message
    assert "does not exist" in problem([[None, 4], [None, 4]], "Concatenate", {"axis": 2}).message
    assert "different ranks" in problem([[None, 4, 5], [None, 20]], "Concatenate").message


# --- Dot ----------------------------------------------------------------------------------------

def test_dot_shapes() -> None:
    assert output([[None, 8], [None, 8]], "Dot", {"axes": 1})[0] == (None, 1)
    assert output([[None, 5, 8], [None, 7, 8]], "Dot", {"axes": -1})[0] == (None, 5, 7)
    assert output([[None, 5, 8], [None, 5, 3]], "Dot", {"axes": [1, 1]})[0] == (None, 8, 3)


def test_dot_mismatch_and_batch_axis() -> None:
    found = problem([[None, 5, 8], [None, 7, 6]], "Dot", {"axes": -1})
    assert "size 8 on axis 2 but input 2 (None, 7, 6) has size 6 on axis 2" in found.message
    found = problem([[None, 8], [None, 8]], "Dot", {"axes": 0})
    assert "batch axis" in found.message
    assert found.fix.action["value"] == -1


def test_dot_axes_must_be_int_or_pair() -> None:
    found = problem([[None, 8], [None, 8]], "Dot", {"axes": [1, 2, 3]})
    assert found.param == "axes"


# --- Attention ----------------------------------------------------------------------------------

QV = ["query", "value"]
QVK = ["query", "value", "key"]


def test_attention_output_takes_query_steps_and_value_features() -> None:
    assert output([[None, 5, 8], [None, 7, 8]], "Attention", ports=QV) == ((None, 5, 8), 0)
    assert output([[None, 5, 8], [None, 7, 3], [None, 7, 8]], "Attention", ports=QVK)[0] == (None, 5, 3)
    assert output([[None, 5, 8], [None, 7, 8]], "Attention", {"use_scale": True, "score_mode": "concat"},
                  ports=QV)[1] == 2


def test_attention_feature_mismatch_offers_a_projection() -> None:
    found = problem([[None, 5, 8], [None, 7, 6]], "Attention", ports=QV)
    assert "query has 8 features but value has 6" in found.message
    assert found.fix.action["class_name"] == "Dense"
    assert found.fix.action["config"] == {"units": 6}


def test_attention_key_and_value_lengths_must_match() -> None:
    found = problem([[None, 5, 8], [None, 7, 3], [None, 6, 8]], "Attention", ports=QVK)
    assert "key (None, 6, 8) has 6 timesteps but value (None, 7, 3) has 7" in found.message
    assert found.port == "key"


def test_multi_head_attention_self_attention_weights() -> None:
    cfg = {"num_heads": 2, "key_dim": 8}
    # query, key and value projections 16 -> 2·8 with bias, output 2·8 -> 16 with bias
    assert output([[None, 10, 16], [None, 10, 16]], "MultiHeadAttention", cfg, ports=QV) == (
        (None, 10, 16), 4 * (16 * 16 + 16))


def test_multi_head_attention_cross_attention_and_output_shape() -> None:
    cfg = {"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_gate": True}
    # q 5·6+6, k 8·6+6, v 7·8+8, gate 5·8+8, out 8·5+5
    assert output([[None, 4, 5], [None, 6, 7], [None, 6, 8]], "MultiHeadAttention", cfg, ports=QVK) == (
        (None, 4, 5), 36 + 54 + 64 + 48 + 45)
    cfg = {"num_heads": 2, "key_dim": 3, "output_shape": [2, 3]}
    assert output([[None, 4, 5], [None, 6, 7]], "MultiHeadAttention", cfg, ports=QV)[0] == (None, 4, 2, 3)


def test_multi_head_attention_flat_query_is_explained() -> None:
    found = problem([[None, 16], [None, 10, 16]], "MultiHeadAttention", ports=QV)
    assert "query must be a sequence (batch, timesteps, features)" in found.message
    assert found.port == "query"
    assert found.fix.action["config"] == {"target_shape": [1, 16]}


def test_multi_head_attention_key_must_match_value() -> None:
    found = problem([[None, 4, 5], [None, 6, 7], [None, 5, 7]], "MultiHeadAttention", ports=QVK)
    assert "same shape except for the last axis" in found.message


def test_multi_head_attention_axes_must_be_data_axes() -> None:
    cfg = {"attention_axes": [3]}
    found = problem([[None, 4, 4, 5], [None, 4, 4, 5]], "MultiHeadAttention", cfg, ports=QV)
    assert "not a data axis" in found.message
    assert found.fix.action == {"node": found.node, "op": "set_param", "param": "attention_axes", "value": None}


def test_multi_head_attention_sliding_window_needs_one_time_axis() -> None:
    cfg = {"sliding_window": 2}
    found = problem([[None, 4, 4, 5], [None, 4, 4, 5]], "MultiHeadAttention", cfg, ports=QV)
    assert "only works when attention runs along axis 1" in found.message
    assert found.fix.action["param"] == "sliding_window"
    cfg = {"sliding_window": 2, "attention_axes": [1]}
    assert output([[None, 4, 4, 5], [None, 4, 4, 5]], "MultiHeadAttention", cfg, ports=QV)[0] == (None, 4, 4, 5)
