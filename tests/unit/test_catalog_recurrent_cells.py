"""RNN with cells, without Keras: hand-computed shapes, weights and costs, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import get_spec
from app.core.catalog.recurrent import layer_value
from app.core.catalog.recurrent_cells import cell_value
from app.core.graph import Graph
from app.core.insight import node_cost
from app.core.shapes import analyze


def rnn(cell: dict[str, Any], shape: list[Any] | None = None, **config: Any) -> tuple[Any, str]:
    g = Graph()
    src = g.add_node("InputLayer", config={"batch_shape": shape or [None, 10, 8]})
    node = g.add_node("RNN", config={"cell": cell, **config})
    g.connect(src.id, node.id)
    return analyze(g), node.id


@pytest.mark.parametrize(("cell", "params"), [
    (cell_value("LSTMCell", units=16), 4 * 16 * (8 + 16 + 1)),  # the same as LSTM(16)
    (cell_value("GRUCell", units=4), 3 * 4 * (8 + 4) + 2 * 3 * 4),  # reset_after: two biases
    (cell_value("SimpleRNNCell", units=3, use_bias=False), 3 * (8 + 3)),
    # Stacked: the second cell reads the first's 6 units.
    (cell_value("StackedRNNCells", cells=[cell_value("GRUCell", units=6), cell_value("LSTMCell", units=2)]),
     3 * 6 * (8 + 6) + 2 * 3 * 6 + 4 * 2 * (6 + 2 + 1)),
])
def test_weights_are_those_of_each_cell(cell: dict[str, Any], params: int) -> None:
    analysis, node = rnn(cell)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.nodes[node].params == params


def test_the_last_cell_sizes_the_output_and_return_state_adds_the_cells_states() -> None:
    cells = [cell_value("GRUCell", units=6), cell_value("SimpleRNNCell", units=2)]
    stacked = cell_value("StackedRNNCells", cells=cells)
    analysis, node = rnn(stacked, return_sequences=True)
    assert analysis.nodes[node].output_shapes == [(None, 10, 2)]
    analysis, node = rnn(cell_value("LSTMCell", units=5), return_state=True)
    assert analysis.nodes[node].output_shapes == [(None, 5), (None, 5), (None, 5)]
    (problem,) = rnn(stacked, return_state=True)[0].problems_for(node)
    assert "nested list" in problem.message


@pytest.mark.parametrize(("cell", "words"), [
    (layer_value("Dense", {"units": 3}), "must wrap one of"),
    ({**cell_value("LSTMCell"), "config": {"activation": "tanh"}}, "needs 'units'"),
    (cell_value("LSTMCell", units=3, filters=2), "no parameter 'filters'"),
    (cell_value("StackedRNNCells", cells=[]), "a list of 1 to 64 cells"),
    (cell_value("StackedRNNCells", cells=[cell_value("StackedRNNCells", cells=[cell_value("GRUCell", units=2)])]),
     "cell 1 must be one of"),
    ({**cell_value("GRUCell", units=2), "module": "evil.cells"}, "module"),
])
def test_a_wrong_cell_is_refused_in_words(cell: dict[str, Any], words: str) -> None:
    param = get_spec("RNN").param("cell")
    assert param is not None
    problem = param.validate(cell)
    assert problem is not None and words in problem


def test_cost_is_each_cells_multiply_adds_per_step() -> None:
    stacked = cell_value("StackedRNNCells", cells=[cell_value("GRUCell", units=6), cell_value("LSTMCell", units=2)])
    g = Graph()
    src = g.add_node("InputLayer", config={"batch_shape": [None, 10, 8]})
    node = g.add_node("RNN", config={"cell": stacked})
    g.connect(src.id, node.id)
    cost = node_cost(g, node.id, analyze(g))
    assert cost.macs == 10 * (3 * (8 * 6 + 6 * 6) + 4 * (6 * 2 + 2 * 2))
