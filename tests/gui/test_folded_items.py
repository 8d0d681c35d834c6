"""Layers inside a collapsed block have no canvas items; opening the block makes them with the
current analysis, highlight and ports, and closing it drops them again."""

from __future__ import annotations

from app.gui.editor.interactions import DIMMED_OPACITY
from app.gui.editor.node_item import NodeItem
from tests.gui.test_block_cards import collapse, setup  # noqa: F401  (the fixture)


def node_items(view) -> set[str]:
    return {item.node_id for item in view.graph_scene().items() if isinstance(item, NodeItem)}


def test_opening_makes_the_items_and_closing_drops_them(setup) -> None:  # noqa: F811
    view, document, inside = setup
    graph = document.graph
    block_id = collapse(view, document, inside)
    assert not node_items(view) & set(inside)
    crossing = [e for e in graph.edges() if e.source in inside and e.target not in inside]
    assert crossing
    for edge in crossing:  # the visible layer after the block still shows its input connected
        port = view.scene_node_item(edge.target).input_port(edge.target_port)
        assert port.connected == len(graph.port_edges(edge.target, edge.target_port)) >= 1
    document.set_param(inside[0], "units", 0)  # a shape error made while the block is collapsed
    document.revalidate()
    view.block_layer().open_block(block_id)
    assert set(inside) <= node_items(view)
    broken = view.scene_node_item(inside[0])
    assert broken.severity == "error" and any(p.param == "units" for p in broken.problems)
    inner = [e for e in graph.edges() if e.source in inside or e.target in inside]
    assert all(e in view.graph_scene().edges and view.graph_scene().edges[e].isVisible() for e in inner)
    view.block_layer().close_block(block_id)
    assert not node_items(view) & set(inside)
    assert not [e for e in view.graph_scene().edges if e in inner]


def test_closing_deselects_and_step_through_highlight_waits_for_the_block(setup) -> None:  # noqa: F811
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    view.block_layer().open_block(block_id)
    view.select_nodes([inside[0]])
    assert view.selected_node_ids() == [inside[0]]
    view.block_layer().close_block(block_id)
    assert view.selected_node_ids() == []
    scene = view.graph_scene()
    scene.set_highlight(inside[1])  # step-through reaches a layer inside the collapsed block
    assert scene.highlighted() == inside[1]
    assert all(item.opacity() == DIMMED_OPACITY for item in scene.nodes.values())
    view.block_layer().open_block(block_id)
    item = scene.nodes[inside[1]]
    assert item.highlighted and item.opacity() == 1.0
    assert all(other.opacity() == DIMMED_OPACITY for node_id, other in scene.nodes.items() if node_id != inside[1])
