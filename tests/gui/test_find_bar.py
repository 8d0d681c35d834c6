"""Find (Ctrl+F) on the canvas: typing, next/previous, jumping to the layer, Esc."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.core.project import Project
from app.gui.document import Document
from app.gui.editor.find_bar import find_matches
from app.gui.editor.view import GraphView
from tests.benchmarks.graphs import efficientnet_b0_like
from tests.gui.window_helpers import open_view, shown_window


@pytest.fixture
def view(qtbot) -> GraphView:
    document = Document(Project(graph=efficientnet_b0_like()))
    document.auto_layout()
    widget = open_view(qtbot, document)
    widget.fit_all()
    return widget


def visible_centre(view: GraphView):
    return view.mapToScene(view.viewport().rect().center())


def test_matches_by_name_or_class_any_case_in_graph_order(view: GraphView) -> None:
    graph = view.document.graph
    depthwise = [n.id for n in graph.nodes() if n.class_name == "DepthwiseConv2D"]
    assert len(depthwise) == 16
    assert find_matches(graph, "depthwiseconv") == depthwise
    first = graph.nodes()[5]
    assert find_matches(graph, first.name.upper())[0] == first.id
    assert find_matches(graph, "  ") == []
    assert find_matches(graph, "no such layer") == []


def test_typing_jumps_to_the_first_match_and_enter_steps_through(qtbot, view: GraphView) -> None:
    bar = view.find_bar
    bar.open_bar()
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "DEPTHWISE")
    matches = bar.matches()
    assert len(matches) == 16
    assert bar.count_text() == "1 of 16"
    assert view.selected_node_ids() == [matches[0]]
    item = view.scene_node_item(matches[0])
    assert view.viewport().rect().contains(view.mapFromScene(item.scenePos()))
    assert view.zoom() >= 0.8  # readable, not the fit-all strip

    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count_text() == "2 of 16"
    assert view.selected_node_ids() == [matches[1]]
    centre = visible_centre(view)
    target = view.scene_node_item(matches[1]).scenePos()
    assert abs(centre.x() - target.x()) < 2 and abs(centre.y() - target.y()) < 2

    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count_text() == "16 of 16"  # previous wraps around
    assert view.selected_node_ids() == [matches[-1]]
    qtbot.keyClick(bar.field, Qt.Key.Key_F3)
    assert bar.count_text() == "1 of 16"


def test_no_match_says_so_and_keeps_the_selection(qtbot, view: GraphView) -> None:
    bar = view.find_bar
    bar.open_bar()
    qtbot.keyClicks(bar.field, "multiply")
    found = view.selected_node_ids()
    assert len(found) == 1
    qtbot.keyClicks(bar.field, "zzz")
    assert bar.count_text() == "No matches"
    assert not bar.next_button.isEnabled()
    bar.next()
    assert view.selected_node_ids() == found


def test_escape_closes_the_bar_and_the_canvas_gets_the_focus(qtbot, view: GraphView) -> None:
    bar = view.find_bar
    bar.open_bar()
    qtbot.keyClicks(bar.field, "dense")
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()
    qtbot.waitUntil(view.hasFocus)
    assert view.selected_node_ids() == [bar.matches()[0]]


def test_the_matches_follow_edits(qtbot, view: GraphView) -> None:
    bar = view.find_bar
    bar.open_bar()
    bar.set_text("renamed_for_find")
    assert bar.count_text() == "No matches"
    node = view.document.graph.nodes()[3]
    view.document.rename(node.id, "renamed_for_find")
    bar.next()
    assert bar.count_text() == "1 of 1"
    assert view.selected_node_ids() == [node.id]


def test_ctrl_f_and_f3_in_the_main_window(qtbot, tmp_path, monkeypatch) -> None:
    window = shown_window(qtbot, monkeypatch, tmp_path, Document(Project(graph=efficientnet_b0_like())),
                          answer_prompts=False)
    assert window.find_action in window.edit_menu.actions()
    window.find_action.trigger()
    bar = window.view.find_bar
    assert bar.isVisible()
    qtbot.keyClicks(bar.field, "batchnorm")
    total = len(bar.matches())
    assert total > 20 and bar.count_text() == f"1 of {total}"
    window.find_next_action.trigger()
    assert bar.count_text() == f"2 of {total}"
    window.find_previous_action.trigger()
    assert bar.count_text() == f"1 of {total}"
    assert window.view.selected_node_ids() == [bar.matches()[0]]
    window.close()
