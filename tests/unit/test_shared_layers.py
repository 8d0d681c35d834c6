"""Shared layers in the core graph, without Keras: one layer, several nodes, one config, weights once."""

from __future__ import annotations

import json

import pytest

from app.core.codegen import generate_python
from app.core.graph import Graph, GraphError
from app.core.graph_sync import same_state, sync_graph
from app.core.project import Project, ProjectError, dumps, loads
from app.core.shapes import analyze


def siamese(features_b: int = 4) -> tuple[Graph, str, str]:
    """Two Inputs through one Dense (4 -> 3: 15 weights), then Subtract; returns the graph and both calls."""
    g = Graph()
    a = g.add_node("InputLayer", "a", {"batch_shape": [None, 4]})
    b = g.add_node("InputLayer", "b", {"batch_shape": [None, features_b]})
    tower = g.add_node("Dense", "tower", {"units": 3})
    again = g.add_shared_call(tower.id)
    diff = g.add_node("Subtract", "difference")
    g.connect(a.id, tower.id)
    g.connect(b.id, again.id)
    g.connect(tower.id, diff.id, "inputs")
    g.connect(again.id, diff.id, "inputs")
    return g, tower.id, again.id


def test_a_shared_call_is_a_node_of_its_own_with_the_owners_layer() -> None:
    g, tower, again = siamese()
    assert g.node(again).shared_with == tower and g.node(tower).shared_with is None
    assert g.node(again).name == "tower_call" and g.node(again).config == g.node(tower).config
    assert g.shared_group(again) == g.shared_group(tower) == [tower, again]
    assert g.layer_owner(again) == tower


def test_weights_are_counted_once() -> None:
    g, tower, again = siamese()
    analysis = analyze(g)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.nodes[tower].params == 15 and analysis.nodes[again].params == 0
    assert analysis.total_params == 15
    assert analysis.nodes[again].output_shapes == [(None, 3)]


def test_a_call_whose_input_does_not_fit_the_weights_is_refused() -> None:
    g, _tower, again = siamese(features_b=6)
    (problem,) = analyze(g).problems_for(again)
    assert problem.code == "shared_layer" and "same size" in problem.message


def test_editing_any_call_edits_the_layer_and_undo_restores_both() -> None:
    g, tower, again = siamese()
    before = g.to_dict()
    changed: list[str] = []
    g.node_changed.connect(lambda node: changed.append(node.id))
    g.set_param(again, "units", 5)
    assert g.node(tower).config["units"] == g.node(again).config["units"] == 5
    assert sorted(changed) == sorted([tower, again])  # both cards redraw
    assert analyze(g).total_params == 4 * 5 + 5
    assert sync_graph(g, before)  # what Document's one undo step does
    assert g.node(tower).config["units"] == g.node(again).config["units"] == 3
    assert same_state(g.to_dict(), before)


def test_removing_the_owner_hands_the_layer_to_the_next_call() -> None:
    g, tower, again = siamese()
    third = g.add_shared_call(again).id
    assert g.node(third).shared_with == tower  # a call of a call calls the owner's layer
    before = g.to_dict()
    g.remove_node(tower)
    assert g.node(again).shared_with is None and g.node(third).shared_with == again
    sync_graph(g, before)
    assert g.node(again).shared_with == tower and g.node(third).shared_with == tower
    g.set_shared(third, None)
    assert g.shared_group(tower) == [tower, again] and g.shared_group(third) == [third]


def test_only_a_layer_of_the_same_class_can_be_shared() -> None:
    g, tower, _ = siamese()
    other = g.add_node("Dropout", "drop")
    with pytest.raises(GraphError, match="Dropout"):
        g.set_shared(other.id, tower)
    with pytest.raises(GraphError, match="only layers"):
        g.add_shared_call(g.input_nodes()[0].id)


def test_sharing_and_state_outputs_survive_the_project_file() -> None:
    g, tower, again = siamese()
    g.output_ports = {g.node_by_name("difference").id: [0]}  # type: ignore[union-attr]
    text = dumps(Project(graph=g, name="siamese"))
    data = json.loads(text)
    assert {n["name"]: n.get("shared_with") for n in data["graph"]["nodes"]}["tower_call"] == tower
    back = loads(text).graph
    assert back.node(again).shared_with == tower
    assert back.output_ports == g.output_ports
    assert same_state(back.to_dict(), g.to_dict())


def test_a_file_sharing_with_a_missing_node_is_refused_where_it_says_so() -> None:
    g, _tower, _again = siamese()
    data = json.loads(dumps(Project(graph=g, name="siamese")))
    data["graph"]["nodes"][3]["shared_with"] = "nowhere"
    with pytest.raises(ProjectError, match=r"nodes\[3\]\.shared_with"):
        loads(json.dumps(data))
    data["graph"]["nodes"][3].pop("shared_with")
    data["graph"]["output_ports"] = {"nowhere": [1]}
    with pytest.raises(ProjectError, match="output_ports"):
        loads(json.dumps(data))


def test_python_export_makes_the_layer_once_and_calls_it_twice() -> None:
    g, _tower, _again = siamese()
    script = generate_python(Project(graph=g, name="siamese"))
    assert script.count("layers.Dense(") == 1
    assert "tower = tower_layer(a)" in script and "tower_call = tower_layer(b)" in script


def test_inputs_and_operations_are_not_shared_even_from_a_file() -> None:
    g = Graph()
    x = g.add_node("InputLayer", "x", {"batch_shape": [None, 4]})
    double = g.add_node("ops.Multiply", "double", {"constant": 2.0})
    with pytest.raises(GraphError, match="only layers"):
        g.add_shared_call(double.id)
    again = g.add_node("ops.Multiply", "again", {"constant": 2.0})
    g.connect(x.id, double.id, "x")
    g.connect(x.id, again.id, "x")
    data = g.to_dict()
    data["nodes"][2]["shared_with"] = double.id  # as a hand-edited file could say
    loaded = Graph.from_dict(data)
    (problem,) = analyze(loaded).problems_for(again.id)
    assert problem.code == "shared_layer" and "cannot be shared" in problem.message
