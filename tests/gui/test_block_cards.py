"""Blocks on the canvas: collapsed cards, edges to them, opening in place, frames, the
breadcrumb, Ctrl+G, and Find opening the blocks around a layer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt

from app.core.layout import CARD_ROOM
from app.core.project import Project
from app.gui.document import Document
from app.gui.editor.block_item import BlockItem
from app.gui.editor.view import GraphView
from tests.gui.window_helpers import open_view, residual_document, shown_window
from tests.unit.test_layout import residual_chain


@pytest.fixture
def setup(qtbot):
    document, triples = residual_document(6)
    view = open_view(qtbot, document)
    block_in, branch_end, add = triples[1]
    nodes = [n.id for n in document.graph.nodes()]
    inside = nodes[nodes.index(block_in) + 1: nodes.index(add) + 1]  # dense, dense, add of block 2
    return view, document, inside


def collapse(view: GraphView, document: Document, inside: list[str], name: str = "res2") -> str:
    block_id = document.group_nodes(inside, name)
    document.set_collapsed(block_id, True)
    view.block_layer().refresh()
    return block_id


def test_a_collapsed_block_is_one_card_with_its_totals(setup) -> None:
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    layer = view.block_layer()
    assert layer.hidden == set(inside)
    assert all(view.scene_node_item(n) is None for n in inside)  # folded layers have no items at all
    assert view.graph_scene().folded() == set(inside)
    card = layer.cards[block_id]
    assert isinstance(card, BlockItem) and card.isVisible()
    title, kind, shapes, cost = card.lines
    assert (title, kind) == ("res2", "Group · 3 layers")
    assert shapes == "8 → 8"  # the batch dimension left out to fit; the tooltip has it
    assert "(None, 8) → (None, 8)" in card.toolTip()
    assert cost == "144 params · 264 FLOPs"  # two Dense(8) on 8 features: 2 x 72 params
    scene = view.graph_scene()
    drawn = {edge for edge in document.graph.edges() if edge.source not in inside and edge.target not in inside}
    assert set(scene.edges) == drawn  # the graph's own edges into folded layers have no items
    assert all(item.isVisible() for item in scene.edges.values())
    # the block's input, and its two outputs (next block's branch and skip) attach to the card
    assert len(layer.links) == 3
    top, bottom = card.top_anchor(), card.bottom_anchor()
    starts = [link.path().pointAtPercent(0) for link in layer.links]
    ends = [link.path().pointAtPercent(1) for link in layer.links]
    assert sum(1 for p in ends if (p - top).manhattanLength() < 1) == 1
    assert sum(1 for p in starts if (p - bottom).manhattanLength() < 1) == 2


def test_zooming_out_and_in_keeps_the_layers_folded(setup) -> None:
    view, document, inside = setup
    collapse(view, document, inside)
    view.set_zoom(0.1)
    view.set_zoom(1.0)
    assert all(view.scene_node_item(n) is None for n in inside)
    assert not [edge for edge in view.graph_scene().edges if edge.target in inside or edge.source in inside]
    assert all(item.isVisible() for item in view.graph_scene().edges.values())


def test_double_click_opens_in_place_and_undo_closes(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    card = view.block_layer().cards[block_id]
    view.centerOn(card.scenePos())
    at = view.mapFromScene(card.scenePos())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: not document.blocks.block(block_id).collapsed)
    layer = view.block_layer()
    assert not layer.cards and not layer.hidden
    assert all(view.scene_node_item(n).isVisible() for n in inside)
    frame = layer.frames[block_id]
    assert frame.label == "res2 · Group"
    for node_id in inside:  # the frame goes around its members
        item = view.scene_node_item(node_id)
        assert frame.frame_rect().contains(item.mapRectToScene(item.card_rect()))
    positions = [n.position for n in document.graph.nodes()]  # laid out again: nothing overlaps
    for i, (ax, ay) in enumerate(positions):
        for bx, by in positions[i + 1:]:
            assert abs(ax - bx) >= CARD_ROOM[0] or abs(ay - by) >= CARD_ROOM[1]
    document.undo_stack.undo()  # one step: closed again, positions back
    qtbot.waitUntil(lambda: block_id in view.block_layer().cards)
    assert document.blocks.block(block_id).collapsed


def test_enter_opens_the_selected_card(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    view.select_block(block_id)
    assert view.selected_block_ids() == [block_id]
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert not document.blocks.block(block_id).collapsed


def test_a_shape_error_inside_marks_the_card(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    card = view.block_layer().cards[block_id]
    assert card.severity is None
    document.set_param(inside[1], "units", 5)  # the Add inside now gets (None, 5) and (None, 8)
    qtbot.waitUntil(lambda: card.severity == "error")
    assert "problem" in card.toolTip()


def test_ctrl_g_groups_the_selection_and_the_frame_is_labelled(qtbot, setup) -> None:
    view, document, inside = setup
    view.select_nodes(inside[:2])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert len(document.blocks) == 1
    block = document.blocks.blocks()[0]
    assert sorted(block.members) == sorted(inside[:2])
    assert block.id in view.block_layer().frames
    document.undo_stack.undo()
    assert len(document.blocks) == 0


def test_ctrl_g_with_nothing_selected_explains(qtbot, setup) -> None:
    view, document, _ = setup
    view.select_nodes([])
    view.group_selection()
    assert "Select the layers" in view.last_message
    assert len(document.blocks) == 0


def test_find_opens_the_blocks_around_the_layer(qtbot, setup) -> None:
    view, document, inside = setup
    outer = collapse(view, document, inside, "res2")
    target = document.graph.node(inside[0])
    bar = view.find_bar
    bar.open_bar()
    bar.set_text(target.name)
    assert bar.current() == target.id
    assert not document.blocks.block(outer).collapsed
    assert view.selected_node_ids() == [target.id]
    assert view.scene_node_item(target.id).isVisible()


def test_the_breadcrumb_shows_where_the_selection_is_and_closes_a_block(qtbot, setup) -> None:
    view, document, inside = setup
    assert not view.breadcrumb.isVisible()  # no blocks: no breadcrumb
    block_id = document.group_nodes(inside, "res2")
    view.select_nodes([inside[0]])
    crumb = view.breadcrumb
    assert crumb.isVisible()
    assert crumb.texts() == ["Model", "res2", document.graph.node(inside[0]).name]
    crumb.follow(f"block:{block_id}")
    assert document.blocks.block(block_id).collapsed
    assert view.selected_block_ids() == [block_id]
    assert crumb.texts() == ["Model", "res2"]
    crumb.follow("model")


def test_fit_all_frames_what_is_drawn_not_the_folded_layers(setup) -> None:
    view, document, inside = setup
    block_id = collapse(view, document, inside)
    # move the folded layers far away: fit-all must not zoom out to show them
    document.move_nodes({n: (5000.0, 9000.0 + i * 110) for i, n in enumerate(inside[1:])})
    view.block_layer().refresh()
    view.fit_all()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert not shown.contains(QPointF(5000.0, 9000.0))
    assert shown.contains(view.block_layer().cards[block_id].scenePos())


def test_an_imported_application_opens_folded_with_readable_cards_at_fit_all(qtbot, tmp_path, monkeypatch) -> None:
    """The issue's first view: a keras.applications model in a 1280 x 800 window shows its
    top level (blocks as cards), laid out, with card text drawn at fit-all."""
    import keras

    from app.gui.editor.node_item import SIMPLE_LOD

    model = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10)
    path = tmp_path / "mobilenet.keras"
    model.save(path)
    window = shown_window(qtbot, monkeypatch, tmp_path, Document(), (1280, 800))
    assert window.open_path(path)
    view = window.view
    layer = view.block_layer()
    assert layer.cards and len(layer.hidden) > 100
    shown = [view.scene_node_item(n.id) for n in view.document.graph.nodes() if n.id not in layer.hidden]
    rects = [i.mapRectToScene(i.card_rect()) for i in shown] + \
        [c.mapRectToScene(c.card_rect()) for c in layer.cards.values()]
    assert len(rects) <= 40
    for i, a in enumerate(rects):
        assert not any(a.intersects(b) for b in rects[i + 1:])
    view.fit_all()
    assert view.zoom() >= SIMPLE_LOD  # names and shapes are drawn, not plain blocks
    window.close()


def test_a_problem_inside_a_collapsed_block_is_opened_to_from_the_problems_list(qtbot, tmp_path, monkeypatch) -> None:
    graph, triples = residual_chain(3)
    document = Document(Project(graph=graph))
    nodes = [n.id for n in graph.nodes()]
    inside = nodes[4:7]
    block_id = document.group_nodes(inside, "res2")
    document.set_collapsed(block_id, True)
    document.set_param(inside[1], "units", 5)  # the block's Add gets (None, 5) and (None, 8)
    window = shown_window(qtbot, monkeypatch, tmp_path, document)
    qtbot.waitUntil(lambda: any(p.node == inside[2] for p in window.document.analysis.problems))
    window.problems.node_activated.emit(inside[2])  # a click on the problem
    assert not document.blocks.block(block_id).collapsed
    assert window.view.selected_node_ids() == [inside[2]]
    window.close()
