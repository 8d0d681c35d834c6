"""The breadcrumb bar: nested paths, real clicks on its links closing one level at a time, a
path elided from the left when the canvas is narrow, and room left for the find bar and the
overview."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLabel

from app.gui.document import Document
from app.gui.editor.breadcrumb import ELLIPSIS, GAP, MARGIN, Breadcrumb
from app.gui.editor.view import GraphView
from tests.gui.window_helpers import open_view, residual_document


@pytest.fixture
def nested(qtbot) -> tuple[GraphView, Document, dict[str, str]]:
    """Six residual blocks; ``inner`` groups block 2, ``outer`` groups it with block 3."""
    document, _triples = residual_document(6)
    nodes = [n.id for n in document.graph.nodes()]
    inner = document.group_nodes(nodes[4:7], "inner_block")
    outer = document.group_nodes(nodes[7:10], "outer_stage", block_ids=[inner])
    document.undo_stack.clear()
    view = open_view(qtbot, document)
    return view, document, {"inner": inner, "outer": outer, "layer": nodes[6]}


def click_link(qtbot, crumb: Breadcrumb, link: str) -> None:
    """A real mouse click on a crumb's link (the label emits linkActivated)."""
    label = crumb.link_label(link)
    assert isinstance(label, QLabel) and label.isVisible(), link
    with qtbot.waitSignal(label.linkActivated, timeout=2000) as signal:
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=label.rect().center())
    assert signal.args == [link]


def test_a_nested_path_closes_one_level_per_click(qtbot, nested) -> None:
    view, document, ids = nested
    crumb = view.breadcrumb
    tree = document.blocks
    view.select_nodes([ids["layer"]])
    layer_name = document.graph.node(ids["layer"]).name
    assert crumb.texts() == ["Model", "outer_stage", "inner_block", layer_name]
    assert crumb.shown_texts() == crumb.texts()  # room enough: nothing elided
    click_link(qtbot, crumb, f"block:{ids['inner']}")
    assert tree.block(ids["inner"]).collapsed and not tree.block(ids["outer"]).collapsed
    assert view.selected_block_ids() == [ids["inner"]]
    assert crumb.texts() == ["Model", "outer_stage", "inner_block"]
    assert ids["outer"] in view.block_layer().frames  # the level above stays open
    click_link(qtbot, crumb, f"block:{ids['outer']}")
    assert tree.block(ids["outer"]).collapsed
    assert view.selected_block_ids() == [ids["outer"]]
    assert crumb.texts() == ["Model", "outer_stage"]
    assert document.undo_stack.count() == 2  # one undo step per level
    view.resetTransform()
    view.scale(3.0, 3.0)
    click_link(qtbot, crumb, "model")  # fits everything in view
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(view.block_layer().visible_rect())


def long_names(document: Document, ids: dict[str, str]) -> None:
    document.rename_block(ids["outer"], "a_very_long_name_for_the_outer_stage_of_this_network")
    document.rename_block(ids["inner"], "and_an_even_longer_name_for_the_inner_block_inside_it")


def test_a_long_path_is_elided_from_the_left_and_its_links_still_work(qtbot, nested) -> None:
    view, document, ids = nested
    long_names(document, ids)
    view.resize(520, 500)
    view.select_nodes([ids["layer"]])
    crumb = view.breadcrumb
    viewport = view.viewport().rect()
    qtbot.waitUntil(lambda: crumb.geometry().right() <= viewport.width() - MARGIN)
    shown = crumb.shown_texts()
    assert shown[0] == ELLIPSIS and shown[-1] == document.graph.node(ids["layer"]).name
    assert "a_very_long_name_for_the_outer_stage_of_this_network" not in shown
    assert len(crumb.texts()) == 4 and "a_very_long_name" in crumb.toolTip()  # the whole path
    assert crumb.geometry().left() >= MARGIN
    click_link(qtbot, crumb, f"block:{ids['inner']}")
    assert document.blocks.block(ids["inner"]).collapsed
    # wider again: the whole path comes back
    view.resize(1400, 700)
    qtbot.waitUntil(lambda: crumb.shown_texts() == crumb.texts())


def test_even_one_crumb_too_long_is_elided_to_the_room(qtbot, nested) -> None:
    view, document, ids = nested
    document.rename_block(ids["outer"], "x" * 300)
    view.block_layer().close_block(ids["outer"])
    view.select_block(ids["outer"])
    view.resize(400, 400)
    crumb = view.breadcrumb
    qtbot.waitUntil(lambda: crumb.geometry().right() <= view.viewport().width() - MARGIN)
    assert crumb.shown_texts()[0] == ELLIPSIS
    assert crumb.shown_texts()[-1].startswith(ELLIPSIS)  # the name's own end is kept


def test_the_bar_leaves_the_find_bar_and_the_overview_clear(qtbot, nested) -> None:
    view, document, ids = nested
    long_names(document, ids)
    view.select_nodes([ids["layer"]])
    crumb = view.breadcrumb
    view.find_bar.open_bar()
    qtbot.waitUntil(view.find_bar.isVisible)

    def clear(other) -> bool:
        return not crumb.geometry().adjusted(-GAP + 1, 0, GAP - 1, 0).intersects(other.geometry())

    qtbot.waitUntil(lambda: clear(view.find_bar))
    assert crumb.geometry().top() == MARGIN  # beside the find bar, cut short
    assert crumb.shown_texts()[0] == ELLIPSIS
    # too narrow beside the find bar: the bar moves below it
    view.resize(view.find_bar.width() + 2 * MARGIN + 60, 600)
    qtbot.waitUntil(lambda: clear(view.find_bar) and crumb.geometry().top() > view.find_bar.geometry().bottom())
    view.find_bar.close_bar()
    qtbot.waitUntil(lambda: crumb.geometry().top() == MARGIN)
    # a canvas so short that the overview in its bottom-right corner reaches the top row
    view.overview.setVisible(True)
    view.resize(700, view.overview.height() + 2 * MARGIN + 10)
    qtbot.waitUntil(lambda: view.overview.geometry().top() < crumb.geometry().bottom())
    qtbot.waitUntil(lambda: clear(view.overview))
    assert QRectF(crumb.geometry()).width() > 0
