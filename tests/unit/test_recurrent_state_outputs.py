"""An encoder's states as model outputs (graph.output_ports), without Keras."""

from __future__ import annotations

from app.core.graph import Graph
from app.data.fit import model_io


def encoder() -> tuple[Graph, str]:
    g = Graph()
    x = g.add_node("InputLayer", "chars", {"batch_shape": [None, None, 5]})
    lstm = g.add_node("LSTM", "encoder", {"units": 8, "return_state": True})
    g.connect(x.id, lstm.id)
    g.output_order = [lstm.id]
    g.output_ports = {lstm.id: [1, 2]}
    return g, lstm.id


def test_state_outputs_are_the_models_outputs_in_order() -> None:
    g, lstm = encoder()
    assert [(node.id, port) for node, port in g.output_refs()] == [(lstm, 1), (lstm, 2)]
    _, outputs = model_io(g)
    assert [(o.name, o.shape) for o in outputs] == [("encoder output 1", (8,)), ("encoder output 2", (8,))]


def test_output_ports_are_saved_only_when_there_are_some_and_go_with_their_node() -> None:
    g, lstm = encoder()
    assert g.to_dict()["output_ports"] == {lstm: [1, 2]}
    assert Graph.from_dict(g.to_dict()).output_ports == {lstm: [1, 2]}
    g.remove_node(lstm)
    assert "output_ports" not in g.to_dict()
    plain = Graph()
    plain.add_node("InputLayer", "x", {"batch_shape": [None, 3]})
    assert "output_ports" not in plain.to_dict()
