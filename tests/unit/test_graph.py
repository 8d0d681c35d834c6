"""The graph model: editing API, events, refusals, ordering, snapshots."""

import pytest

from app.core.graph import Edge, Graph, GraphError, name_problem
from tests.unit.helpers import chain, mlp


def test_add_node_fills_keras_defaults_and_unique_names() -> None:
    graph = Graph()
    a = graph.add_node("Dense", config={"units": 5})
    b = graph.add_node("Dense")
    assert (a.name, b.name) == ("dense", "dense_1")
    assert a.config["units"] == 5 and a.config["activation"] == "linear" and a.config["use_bias"] is True
    assert b.config["units"] == 32


def test_events_fire_for_every_change() -> None:
    graph = Graph()
    seen: list[str] = []
    graph.node_added.connect(lambda n: seen.append(f"add {n.name}"))
    graph.edge_added.connect(lambda e: seen.append("connect"))
    graph.node_changed.connect(lambda n: seen.append(f"change {n.name}"))
    graph.edge_removed.connect(lambda e: seen.append("disconnect"))
    graph.node_removed.connect(lambda n: seen.append(f"remove {n.name}"))
    graph.node_moved.connect(lambda n: seen.append("move"))
    i = graph.add_node("InputLayer")
    d = graph.add_node("Dense")
    graph.connect(i.id, d.id)
    graph.set_param(d.id, "units", 3)
    graph.rename(d.id, "head")
    graph.move(d.id, (10, 20))
    graph.remove_node(i.id)
    assert seen == ["add input", "add dense", "connect", "change dense", "change head", "move",
                    "disconnect", "remove input"]


def test_connect_refuses_cycles_self_loops_taken_ports_and_unknown_ports() -> None:
    graph, (i, h, o) = mlp()
    graph.disconnect(graph.in_edges(h.id)[0])
    with pytest.raises(GraphError, match="cycle"):
        graph.connect(o.id, h.id)
    graph.connect(i.id, h.id)
    with pytest.raises(GraphError, match="itself"):
        graph.connect(h.id, h.id)
    with pytest.raises(GraphError, match="already connected"):
        graph.connect(i.id, o.id)
    with pytest.raises(GraphError, match="no input port 'query'"):
        graph.connect(i.id, o.id, "query")
    assert graph.can_connect(i.id, i.id) is not None


def test_unchecked_connect_keeps_invalid_edges_for_validation_to_report() -> None:
    graph, (i, h, o) = mlp()
    graph.connect(i.id, o.id, check=False)
    assert len(graph.port_edges(o.id, "input")) == 2


def test_topological_order_is_stable_and_outputs_are_sinks() -> None:
    graph, (i, h, o) = mlp()
    extra = graph.add_node("Dense", config={"units": 2})
    graph.connect(h.id, extra.id)
    assert graph.topological_order() == [i.id, h.id, o.id, extra.id]
    assert [n.id for n in graph.output_nodes()] == [o.id, extra.id]
    graph.output_order = [extra.id]
    assert [n.id for n in graph.output_nodes()] == [extra.id, o.id]


def test_remove_node_removes_its_edges() -> None:
    graph, (i, h, o) = mlp()
    graph.remove_node(h.id)
    assert graph.edges() == []
    assert graph.find_cycle() == []


def test_to_dict_from_dict_round_trip_and_copy_is_independent() -> None:
    graph, (i, h, o) = mlp()
    data = graph.to_dict()
    again = Graph.from_dict(data)
    assert again.to_dict() == data
    snapshot = graph.copy()
    graph.set_param(h.id, "units", 99)
    assert snapshot.node(h.id).config["units"] == 8


def test_variadic_ports_take_ordered_slots() -> None:
    graph = Graph()
    a, b = chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 4}))
    c = graph.add_node("Dense", config={"units": 4})
    graph.connect(a.id, c.id)
    merge = graph.add_node("Concatenate")
    assert merge.spec is not None, "Concatenate must be in the catalog"
    e1 = graph.connect(b.id, merge.id, "inputs")
    e2 = graph.connect(c.id, merge.id, "inputs")
    assert (e1.slot, e2.slot) == (0, 1)
    assert graph.ordered_in_edges(merge.id) == [e1, e2]


def test_config_tuples_are_stored_as_json_lists() -> None:
    graph = Graph()
    node = graph.add_node("Reshape", config={"target_shape": (7, 7, 16)})
    assert node.config["target_shape"] == [7, 7, 16]


def test_disconnect_unknown_edge_is_refused() -> None:
    graph, _ = mlp()
    with pytest.raises(GraphError):
        graph.disconnect(Edge("n1", "n99"))


@pytest.mark.parametrize(("name", "ok"), [("dense_1", True), ("block1/conv", False), ("", False),
                                          ('x"); __import__("os")', True), ("a b", True)])
def test_layer_names_are_checked(name: str, ok: bool) -> None:
    """Only what Keras refuses ('/') is refused; other text is kept and exported with repr()."""
    assert (name_problem(name) is None) == ok


def test_layered_layout_puts_every_node_below_its_inputs() -> None:
    from app.core.layout import apply_layout

    graph, (i, h, o) = mlp()
    side = graph.add_node("Dense", config={"units": 2})
    graph.connect(i.id, side.id)
    apply_layout(graph)
    for edge in graph.edges():
        assert graph.node(edge.source).position[1] < graph.node(edge.target).position[1]
    assert graph.node(h.id).position[1] == graph.node(side.id).position[1]
    assert graph.node(h.id).position[0] != graph.node(side.id).position[0]


def test_layout_survives_a_cycle() -> None:
    from app.core.layout import layered_positions

    graph, (i, h, o) = mlp()
    graph.connect(o.id, h.id, check=False)
    assert set(layered_positions(graph)) == {i.id, h.id, o.id}
