"""sync_graph moves a graph between states through the API; clipboard copy/paste."""

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.clipboard import copy_nodes, paste_nodes
from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.graph_sync import same_state, sync_graph
from app.core.shapes import analyze
from tests.unit.helpers import chain, mlp


def test_sync_undoes_and_redoes_a_fix() -> None:
    graph = Graph()
    i, d = chain(graph, ("InputLayer", {"batch_shape": [None, 4, 4, 1]}), ("Dense", {"units": 2}))
    before = graph.to_dict()
    apply_fix(graph, analyze(graph).problems[0].fix.action)
    after = graph.to_dict()
    assert sync_graph(graph, before)
    assert graph.to_dict() == before
    assert sync_graph(graph, after)
    assert same_state(graph.to_dict(), after)
    assert not sync_graph(graph, after)


def test_sync_emits_only_the_events_of_what_changed() -> None:
    graph, (i, h, o) = mlp()
    before = graph.to_dict()
    graph.set_param(h.id, "units", 5)
    events: list[str] = []
    graph.node_changed.connect(lambda n: events.append(f"changed {n.name}"))
    graph.node_added.connect(lambda n: events.append("added"))
    graph.node_removed.connect(lambda n: events.append("removed"))
    sync_graph(graph, before)
    assert events == ["changed dense"]


@settings(max_examples=60)
@given(st.lists(st.sampled_from(["add", "remove", "connect", "param", "rename", "move"]), min_size=1, max_size=12),
       st.randoms(use_true_random=False))
def test_random_edit_sequences_round_trip(ops: list[str], rnd) -> None:
    graph, _ = mlp()
    states = [graph.to_dict()]
    for op in ops:
        nodes = graph.nodes()
        if op == "add":
            graph.add_node("Dense", config={"units": rnd.randint(1, 9)}, position=(rnd.random(), rnd.random()))
        elif op == "remove" and nodes:
            graph.remove_node(rnd.choice(nodes).id)
        elif op == "connect" and len(nodes) > 1:
            a, b = rnd.sample(nodes, 2)
            if graph.can_connect(a.id, b.id) is None:
                graph.connect(a.id, b.id)
        elif op == "param" and nodes:
            node = rnd.choice(nodes)
            if node.class_name == "Dense":
                graph.set_param(node.id, "units", rnd.randint(1, 50))
        elif op == "rename" and nodes:
            graph.rename(rnd.choice(nodes).id, f"n{rnd.randint(0, 99)}")
        elif op == "move" and nodes:
            graph.move(rnd.choice(nodes).id, (rnd.random() * 100, rnd.random() * 100))
        states.append(graph.to_dict())
    for state in reversed(states):
        sync_graph(graph, state)
        assert same_state(graph.to_dict(), state)
    for state in states:
        sync_graph(graph, state)
        assert same_state(graph.to_dict(), state)


def test_copy_paste_keeps_internal_edges_with_new_ids_and_names() -> None:
    graph, (i, h, o) = mlp()
    data = copy_nodes(graph, [h.id, o.id])
    assert len(data["edges"]) == 1
    new = paste_nodes(graph, data)
    assert len(new) == 2 and not set(new) & {i.id, h.id, o.id}
    names = {graph.node(n).name for n in new}
    assert names == {"dense_2", "dense_1_1"}
    assert [(e.source, e.target) for e in graph.edges() if e.source in new] == [(new[0], new[1])]
    assert graph.node(new[0]).position == (h.position[0] + 40, h.position[1] + 40)


def test_paste_ignores_foreign_or_malformed_data() -> None:
    graph, _ = mlp()
    assert paste_nodes(graph, {"format": "something else"}) == []
    bad = {"format": "layerforge-nodes", "nodes": [{"id": "x", "class_name": "Lambda", "name": "evil",
                                                     "config": {}, "position": [0, 0]}, {"oops": 1}],
           "edges": [{"source": "x", "target": "y"}]}
    assert paste_nodes(graph, bad) == [] and len(graph) == 3


def test_undoing_a_delete_restores_the_node_order_so_files_are_identical() -> None:
    from app.core.project import Project, dumps

    graph, (i, h, o) = mlp()
    project = Project(graph=graph)
    before_text, before = dumps(project), graph.snapshot()
    graph.remove_node(h.id)
    sync_graph(graph, before)
    assert dumps(project) == before_text


def test_snapshots_share_unchanged_nodes_and_refresh_changed_ones() -> None:
    graph, (i, h, o) = mlp()
    first = graph.snapshot()
    graph.set_param(h.id, "units", 3)
    graph.move(o.id, (5, 5))
    second = graph.snapshot()
    assert second["nodes"][0] is first["nodes"][0]
    assert second["nodes"][1]["config"]["units"] == 3 and first["nodes"][1]["config"]["units"] == 8
    assert second["nodes"][2]["position"] == [5.0, 5.0]
    assert second == graph.to_dict()
