"""Finding layers from the Summary dock: its row selection and the canvas selection follow each
other both ways, without echoing back and forth."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.panels.summary import NODE_ROLE


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="": None)
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    win = MainWindow(open_copy(examples_dir() / "lenet_mnist.json"), autosave_directory=tmp_path / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.resize(1400, 1000)
    win.summary_dock.show()
    win.summary_dock.raise_()
    win.resizeDocks([win.summary_dock], [400], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: win.summary.isVisible() and win.summary.tree.viewport().height() > 150)
    yield win
    win.close()


def item_of(summary, node_id: str):
    for i in range(summary.tree.topLevelItemCount()):
        item = summary.tree.topLevelItem(i)
        if item.data(0, NODE_ROLE) == node_id:
            return item
    raise AssertionError(node_id)


def test_clicking_rows_selects_the_nodes_on_the_canvas(qtbot, window) -> None:
    summary, view, graph = window.summary, window.view, window.document.graph
    c1, s2, f5 = (graph.node_by_name(name).id for name in ("c1", "s2", "f5"))
    tree = summary.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(item_of(summary, c1)).center())
    assert view.selected_node_ids() == [c1]
    assert window.inspector_dock.isVisible()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=tree.visualItemRect(item_of(summary, f5)).center())
    assert view.selected_node_ids() == [c1, f5]  # a Ctrl-click adds; it does not jump to one layer
    assert summary.selected_node_ids() == [c1, f5]
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=tree.visualItemRect(item_of(summary, s2)).center())
    assert set(view.selected_node_ids()) == set(summary.selected_node_ids())
    assert s2 in view.selected_node_ids()


def test_the_canvas_selection_comes_back_without_an_echo(qtbot, window) -> None:
    summary, view, graph = window.summary, window.view, window.document.graph
    c1, f5 = graph.node_by_name("c1").id, graph.node_by_name("f5").id
    requested: list[list[str]] = []
    summary.selection_requested.connect(requested.append)
    changes: list[list[str]] = []
    view.selection_changed.connect(changes.append)
    view.select_nodes([c1, f5])
    assert summary.selected_node_ids() == [c1, f5]
    assert requested == []  # the rows followed the canvas: nothing is sent back
    assert changes == [[c1, f5]]

    summary.tree.clearSelection()  # the user clears the rows
    assert view.selected_node_ids() == []
    assert requested == [[]]
    assert changes == [[c1, f5], []]


def test_rebuilding_the_rows_after_an_edit_does_not_touch_the_canvas(qtbot, window) -> None:
    summary, view, graph = window.summary, window.view, window.document.graph
    f5 = graph.node_by_name("f5").id
    last = graph.nodes()[-1].id
    view.select_nodes([f5])
    requested: list[list[str]] = []
    summary.selection_requested.connect(requested.append)
    window.document.remove_nodes([last])  # one row fewer
    qtbot.waitUntil(lambda: summary.tree.topLevelItemCount() == len(graph))
    window.document.set_param(f5, "units", 64)
    qtbot.waitUntil(lambda: any("64" in row[1] for row in summary.rows()))
    assert requested == []
    assert view.selected_node_ids() == [f5] == summary.selected_node_ids()
