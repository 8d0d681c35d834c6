"""Where new layers go: palette adds never cover a card, and a fix that inserts a layer makes
room below it and reuses an unconnected layer of that class already on the canvas."""

from __future__ import annotations

import itertools

from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.layout import CARD_ROOM, ROW_GAP, overlaps
from app.core.placement import accepts, add_from_palette
from app.core.shapes import analyze


def _column(graph: Graph, *layers: tuple[str, dict]) -> list[str]:
    """Layers one row apart, as the layered layout draws a chain, each feeding the next."""
    ids = [graph.add_node(cls, config=cfg, position=(0.0, ROW_GAP * i)).id for i, (cls, cfg) in enumerate(layers)]
    for a, b in itertools.pairwise(ids):
        graph.connect(a, b)
    return ids


def _no_overlaps(graph: Graph) -> bool:
    return all(not overlaps(graph, n.position, ignore=[n.id]) for n in graph.nodes())


def _flatten_fix(graph: Graph, dense: str) -> dict:
    problem = next(p for p in analyze(graph).problems if p.node == dense and p.fix is not None)
    assert problem.fix.action["class_name"] == "Flatten"
    return dict(problem.fix.action)


def test_fix_insert_moves_the_layers_below_down_a_row_instead_of_overlapping() -> None:
    graph = Graph()
    image, conv, dense, head = _column(graph, ("InputLayer", {"batch_shape": [None, 8, 8, 1]}),
                                       ("Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
                                       ("Dense", {"units": 4}), ("Dense", {"units": 2}))
    side = graph.add_node("Dropout", position=(460.0, ROW_GAP * 3)).id  # a layer beside the rows below
    (flat,) = apply_fix(graph, _flatten_fix(graph, dense))
    assert graph.node(flat).position == (0.0, ROW_GAP * 2)  # where the Dense was
    assert graph.node(dense).position == (0.0, ROW_GAP * 3)
    assert graph.node(head).position == (0.0, ROW_GAP * 4)
    assert graph.node(side).position == (460.0, ROW_GAP * 4)  # rows stay rows
    assert graph.node(image).position == (0.0, 0.0) and graph.node(conv).position == (0.0, ROW_GAP)
    assert _no_overlaps(graph)
    assert analyze(graph).nodes[head].output_shapes == [(None, 2)]


def test_fix_insert_uses_the_room_there_is_without_moving_anything() -> None:
    graph = Graph()
    image = graph.add_node("InputLayer", config={"batch_shape": [None, 4, 4, 2]}, position=(0.0, 0.0)).id
    dense = graph.add_node("Dense", config={"units": 3}, position=(0.0, 2 * ROW_GAP)).id
    graph.connect(image, dense)
    (flat,) = apply_fix(graph, _flatten_fix(graph, dense))
    assert graph.node(flat).position == (0.0, ROW_GAP) and graph.node(dense).position == (0.0, 2 * ROW_GAP)


def test_fix_insert_reuses_an_unconnected_layer_of_that_class() -> None:
    graph = Graph()
    image, dense = _column(graph, ("InputLayer", {"batch_shape": [None, 4, 4, 2]}), ("Dense", {"units": 3}))
    spare = graph.add_node("Flatten", position=(0.0, ROW_GAP)).id  # dropped right on the Dense, unwired
    wired = graph.add_node("Flatten", position=(900.0, 0.0)).id
    graph.connect(graph.add_node("InputLayer", config={"batch_shape": [None, 2, 2]}, position=(900, -110)).id, wired)
    before = len(graph)
    (used,) = apply_fix(graph, _flatten_fix(graph, dense))
    assert used == spare and len(graph) == before  # no twin Flatten
    assert [e.source for e in graph.in_edges(used)] == [image] and [e.target for e in graph.out_edges(used)] == [dense]
    assert _no_overlaps(graph)
    assert analyze(graph).valid


def test_fix_insert_reuse_takes_the_fix_settings() -> None:
    graph = Graph()
    image, conv = _column(graph, ("InputLayer", {"batch_shape": [None, 28, 28]}),
                          ("Conv2D", {"filters": 2, "kernel_size": [3, 3]}))
    spare = graph.add_node("Reshape", config={"target_shape": [7]}, position=(400.0, 0.0)).id
    problem = next(p for p in analyze(graph).problems if p.node == conv and p.fix is not None)
    assert problem.fix.action["op"] == "insert_before" and problem.fix.action["class_name"] == "Reshape"
    assert apply_fix(graph, problem.fix.action) == [spare]
    assert graph.node(spare).config["target_shape"] == problem.fix.action["config"]["target_shape"]
    assert analyze(graph).nodes[conv].ok


def test_add_input_fix_makes_room_above_the_first_layer() -> None:
    graph = Graph()
    above = graph.add_node("Dropout", position=(0.0, 0.0)).id
    dense = graph.add_node("Dense", position=(0.0, ROW_GAP)).id
    graph.connect(above, dense)
    problem = next(p for p in analyze(graph).problems if p.code == "missing_input")
    (new,) = apply_fix(graph, problem.fix.action)
    assert graph.node(new).class_name == "InputLayer" and _no_overlaps(graph)


def test_palette_add_goes_below_the_selected_layer_and_is_fed_by_it() -> None:
    graph = Graph()
    image, flat = _column(graph, ("InputLayer", {"batch_shape": [None, 28, 28, 1]}), ("Flatten", {}))
    new, connected = add_from_palette(graph, "Dense", {"units": 10}, after=flat, after_shape=(None, 784))
    assert connected and [e.source for e in graph.in_edges(new)] == [flat]
    assert graph.node(new).position == (0.0, 2 * ROW_GAP)
    again, connected = add_from_palette(graph, "Dropout", after=flat, after_shape=(None, 784))
    assert connected and _no_overlaps(graph)  # beside the Dense, a second branch
    x, y = graph.node(again).position
    assert y == 2 * ROW_GAP and abs(x) >= CARD_ROOM[0]


def test_palette_add_does_not_wire_what_the_shapes_refuse() -> None:
    graph = Graph()
    (flat_input,) = _column(graph, ("InputLayer", {"batch_shape": [None, 784]}))
    conv, connected = add_from_palette(graph, "Conv2D", after=flat_input, after_shape=(None, 784))
    assert not connected and not graph.in_edges(conv)
    assert graph.node(conv).position[1] == ROW_GAP  # still placed below the selected layer
    assert not accepts("Dense", None, None)  # unknown shape: no wiring
    assert accepts("Add", None, (None, 3))  # a merge waits for its second input
    assert not accepts("InputLayer", None, (None, 3))


def test_palette_add_without_selection_takes_the_free_spot_nearest_the_centre() -> None:
    graph = Graph()
    _column(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 2}))
    ids = [add_from_palette(graph, "Dense", centre=(10.0, 20.0))[0] for _ in range(6)]
    assert all(not graph.in_edges(i) for i in ids)
    assert _no_overlaps(graph)
