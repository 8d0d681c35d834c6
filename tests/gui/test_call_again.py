"""Edit › Call Again (Shared Layer) and the node's context menu: a new node calling the same layer
(same weights) beside it, one undo step; Inputs are refused in words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

ACTION = "Call Again (Shared Layer)"


pytestmark = pytest.mark.usefixtures("home")  # LAYERFORGE_HOME in a temporary folder (tests/gui/conftest.py)


@pytest.fixture
def window(qtbot, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    win = MainWindow(open_copy(examples_dir() / "mlp_tabular.json"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def first(window: MainWindow, class_name: str) -> str:
    return next(n.id for n in window.document.graph.nodes() if n.class_name == class_name)


def test_the_edit_menu_calls_the_selected_layer_again_in_one_undo_step(window: MainWindow) -> None:
    doc, view = window.document, window.view
    dense = first(window, "Dense")
    action = window.call_again_action
    assert action in window.edit_menu.actions() and action.text().replace("&", "") == ACTION
    view.select_nodes([])
    window._update_actions()
    assert not action.isEnabled()  # nothing selected: nothing to call
    view.select_nodes([dense])
    window._update_actions()
    assert action.isEnabled()
    before, steps = len(doc.graph), doc.undo_stack.count()
    action.trigger()
    assert len(doc.graph) == before + 1 and doc.undo_stack.count() == steps + 1
    (new_id,) = view.selected_node_ids()
    new = doc.graph.node(new_id)
    original = doc.graph.node(dense)
    assert new.shared_with == dense and new.config == original.config
    assert doc.graph.shared_group(dense) == [dense, new_id]
    assert new.position[1] == original.position[1] and new.position[0] > original.position[0]  # beside it
    assert new_id in view.graph_scene().nodes
    assert doc.undo_stack.undoText() == f"Call {original.name} Again"
    doc.undo_stack.undo()
    assert len(doc.graph) == before and new_id not in doc.graph and doc.graph.shared_group(dense) == [dense]


def test_a_second_call_goes_further_right_and_inputs_are_refused(window: MainWindow) -> None:
    doc, view = window.document, window.view
    dense = first(window, "Dense")
    a, b = doc.call_again(dense), doc.call_again(dense)
    assert doc.graph.node(b).position[0] > doc.graph.node(a).position[0]
    assert doc.graph.shared_group(dense) == [dense, a, b]
    source = first(window, "InputLayer")
    view.select_nodes([source])
    before = len(doc.graph)
    window.call_again_action.trigger()
    assert len(doc.graph) == before
    assert "cannot be shared" in window.statusBar().currentMessage()


def test_the_node_context_menu_offers_call_again(qtbot, window: MainWindow) -> None:
    doc, view = window.document, window.view
    dense = first(window, "Dense")
    item = view.graph_scene().nodes[dense]
    chosen: list[str] = []

    def choose() -> None:
        popup = QApplication.activePopupWidget()
        if popup is None:
            QTimer.singleShot(10, choose)
            return
        action = next(a for a in popup.actions() if a.text().replace("&", "") == ACTION)
        chosen.append(action.text())
        popup.close()
        action.trigger()

    QTimer.singleShot(0, choose)
    local = view.mapFromScene(item.scenePos())
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, view.viewport().mapToGlobal(local))
    with qtbot.waitSignal(doc.undo_stack.indexChanged, timeout=3000):
        QApplication.sendEvent(view.viewport(), event)
    assert chosen and len(doc.graph.shared_group(dense)) == 2
