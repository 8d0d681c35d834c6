"""Block actions on the canvas: the context menus of a collapsed card, an open block's frame
and a layer inside a block, the window's Edit › Block menu, and what each action does (one
undo step each; refusals explained, never a traceback).

Menus are opened with real context-menu events on the viewport, read while they are up, and
an entry is chosen as a click would choose it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu

from app.core.layout import CARD_ROOM
from app.gui.document import Document
from app.gui.editor.scene import LOCKED_MESSAGE
from app.gui.editor.view import GraphView
from tests.gui.window_helpers import open_view, residual_document, shown_window

T = TypeVar("T")

POPUP_TRIES = 200
"""How many 10 ms looks for a popup or dialog before a helper gives up (the test then fails)."""
BLOCK_ENTRIES = ["Open Block", "Rename Block…", "Ungroup", "Make Nested Model", "Trainable", "Duplicate Block",
                 "Save Block to Library…"]


# --- helpers -------------------------------------------------------------------------------------

@dataclass
class MenuSeen:
    """What the popup held: entry texts (no separators), which were enabled, submenus by title."""

    texts: list[str] = field(default_factory=list)
    enabled: dict[str, bool] = field(default_factory=dict)
    checked: dict[str, bool] = field(default_factory=dict)
    submenus: dict[str, list[str]] = field(default_factory=dict)
    chosen: str | None = None


def popup_menu() -> QMenu | None:
    popup = QApplication.activePopupWidget()
    return popup if isinstance(popup, QMenu) else None


def _input_dialog() -> QInputDialog | None:
    dialog = QApplication.activeModalWidget()
    return dialog if isinstance(dialog, QInputDialog) else None


def _entries(menu: QMenu) -> list[QAction]:
    return [a for a in menu.actions() if not a.isSeparator()]


def when_shown(find: Callable[[], T | None], act: Callable[[T], None]) -> None:
    """Run ``act`` on what ``find`` returns once it returns something: a popup or modal dialog
    the next event opens (its event loop runs the looks, every 10 ms, POPUP_TRIES at the most)."""
    left = [POPUP_TRIES]

    def look() -> None:
        found = find()
        if found is None:
            left[0] -= 1
            if left[0] > 0:
                QTimer.singleShot(10, look)
            return
        act(found)

    QTimer.singleShot(0, look)


def right_click(view: GraphView, scene_pos: QPointF, choose: str | None = None,
                submenu: str | None = None) -> MenuSeen:
    """Send a real context-menu event at ``scene_pos``; read the popup; trigger ``choose``
    (inside ``submenu`` when given) after closing it, as a user's click would."""
    seen = MenuSeen()

    def pick(popup: QMenu) -> None:
        for action in _entries(popup):
            text = action.text()
            seen.texts.append(text)
            seen.enabled[text] = action.isEnabled()
            seen.checked[text] = action.isChecked()
            if action.menu() is not None:
                inner = _entries(action.menu())
                seen.submenus[text] = [a.text() for a in inner]
                for a in inner:
                    seen.enabled[f"{text}/{a.text()}"] = a.isEnabled()
                    seen.checked[f"{text}/{a.text()}"] = a.isChecked()
        target: QAction | None = None
        if choose is not None:
            menu: QMenu | None = popup
            if submenu is not None:
                holder = next((a for a in _entries(popup) if a.text() == submenu), None)
                menu = holder.menu() if holder is not None else None
            target = next((a for a in _entries(menu) if a.text() == choose), None) if menu is not None else None
        popup.close()
        if target is not None and target.isEnabled():
            seen.chosen = target.text()
            target.trigger()

    when_shown(popup_menu, pick)
    local = view.mapFromScene(scene_pos)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, view.viewport().mapToGlobal(local))
    QApplication.sendEvent(view.viewport(), event)
    return seen


def names(document: Document, node_ids: list[str]) -> list[str]:
    return [document.graph.node(n).name for n in node_ids]


def answer_dialog(text: str | None) -> list[str]:
    """Answer the next modal dialog: type ``text`` into a QInputDialog and accept it (None:
    cancel). Returns a list that gets the dialog's label once it was answered."""
    answered: list[str] = []

    def answer(dialog: QInputDialog) -> None:
        answered.append(dialog.labelText())
        if text is None:
            dialog.reject()
        else:
            dialog.setTextValue(text)
            dialog.accept()

    when_shown(_input_dialog, answer)
    return answered


@pytest.fixture
def setup(qtbot):
    """Three residual blocks laid out on a shown canvas; ``inside``: block 2's dense, dense, add."""
    document, triples = residual_document(3)
    view = open_view(qtbot, document, zoom_one=True)
    block_in, _branch_end, add = triples[1]
    nodes = [n.id for n in document.graph.nodes()]
    inside = nodes[nodes.index(block_in) + 1: nodes.index(add) + 1]
    return view, document, inside


def collapsed(view: GraphView, document: Document, inside: list[str], name: str = "res2") -> str:
    block_id = document.group_nodes(inside, name)
    document.set_collapsed(block_id, True)
    view.block_layer().refresh()
    card = view.block_layer().cards[block_id]
    view.centerOn(card.scenePos())
    return block_id


def card_point(view: GraphView, block_id: str) -> QPointF:
    return view.block_layer().cards[block_id].scenePos()


# --- the context menus ----------------------------------------------------------------------------

def test_a_collapsed_card_has_the_block_menu_and_open_is_one_undo_step(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    steps = document.undo_stack.count()
    seen = right_click(view, card_point(view, block_id), choose="Open Block")
    assert seen.texts == BLOCK_ENTRIES
    assert seen.enabled["Trainable"] is False  # a group has no Trainable switch of its own
    assert all(seen.enabled[t] for t in BLOCK_ENTRIES if t != "Trainable")
    assert seen.chosen == "Open Block"
    assert not document.blocks.block(block_id).collapsed
    assert document.undo_stack.count() == steps + 1
    assert block_id in view.block_layer().frames and block_id not in view.block_layer().cards
    document.undo_stack.undo()
    assert document.blocks.block(block_id).collapsed


def test_right_click_selects_the_card(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    loose = document.graph.nodes()[0].id
    view.select_nodes([loose])  # something else first
    assert view.selected_node_ids() == [loose]
    right_click(view, card_point(view, block_id))
    assert view.selected_block_ids() == [block_id] and view.selected_node_ids() == []
    assert view.current_block_id() == block_id


def test_an_open_blocks_frame_has_the_menu_anywhere_inside(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = document.group_nodes(inside, "res2")
    view.block_layer().refresh()
    frame = view.block_layer().frames[block_id]
    rect = frame.frame_rect()
    view.centerOn(rect.center())
    empty = QPointF(rect.left() + 8, rect.bottom() - 8)  # inside the frame, on no card
    assert view.node_at(view.mapFromScene(empty)) is None
    seen = right_click(view, empty, choose="Close Block")
    assert seen.texts[0] == "Close Block" and seen.texts[1:] == BLOCK_ENTRIES[1:]
    assert document.blocks.block(block_id).collapsed
    outside = QPointF(rect.right() + 400, rect.bottom() + 400)
    assert right_click(view, outside).texts == []  # empty canvas: no menu


def test_a_layer_inside_a_block_has_a_block_submenu(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = document.group_nodes(inside, "res2")
    view.block_layer().refresh()
    item = view.scene_node_item(inside[0])
    view.centerOn(item.scenePos())
    seen = right_click(view, item.scenePos(), choose="Make Nested Model", submenu="Block res2")
    assert seen.texts[0] == "Explain this layer" and seen.texts[-1] == "Block res2"
    assert seen.submenus["Block res2"] == ["Close Block", *BLOCK_ENTRIES[1:]]
    assert view.selected_node_ids() == [inside[0]]
    assert document.blocks.block(block_id).kind == "nested_model"
    loose = view.scene_node_item(document.graph.nodes()[0].id)  # the model's input: in no block
    assert "Block res2" not in right_click(view, loose.scenePos()).texts
    document.undo_stack.undo()
    assert document.blocks.block(block_id).kind == "group"


# --- what the actions do ----------------------------------------------------------------------------

def test_rename_with_f2_asks_for_the_name_and_is_one_undo_step(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    view.select_block(block_id)
    view.setFocus()
    steps = document.undo_stack.count()
    asked = answer_dialog("stem")
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert asked == ["Block name:"]
    assert document.blocks.block(block_id).name == "stem"
    assert view.block_layer().cards[block_id].name == "stem"
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    assert document.blocks.block(block_id).name == "res2"


def test_rename_from_the_menu_refuses_a_name_keras_refuses(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    steps = document.undo_stack.count()
    answer_dialog("a/b")
    right_click(view, card_point(view, block_id), choose="Rename Block…")
    assert document.blocks.block(block_id).name == "res2" and document.undo_stack.count() == steps
    assert "'/'" in view.last_message
    answer_dialog(None)  # cancelled: nothing happens
    right_click(view, card_point(view, block_id), choose="Rename Block…")
    assert document.blocks.block(block_id).name == "res2" and document.undo_stack.count() == steps


def test_ungroup_a_collapsed_block_brings_its_layers_back_and_undo_regroups(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    view.select_block(block_id)
    view.setFocus()
    steps = document.undo_stack.count()
    qtbot.keyClick(view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert block_id not in document.blocks and len(document.blocks) == 0
    assert document.undo_stack.count() == steps + 1
    assert all(view.scene_node_item(n) is not None for n in inside)  # drawn again
    assert sorted(view.selected_node_ids()) == sorted(inside)
    positions = [n.position for n in document.graph.nodes()]  # laid out as opening does: no overlap
    for i, (ax, ay) in enumerate(positions):
        for bx, by in positions[i + 1:]:
            assert abs(ax - bx) >= CARD_ROOM[0] or abs(ay - by) >= CARD_ROOM[1]
    document.undo_stack.undo()
    assert document.blocks.block(block_id).collapsed
    assert sorted(document.blocks.nodes_in(block_id)) == sorted(inside)
    qtbot.waitUntil(lambda: block_id in view.block_layer().cards)


def test_group_to_nested_model_to_group_and_trainable_through_the_view_actions(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = document.group_nodes(inside, "res2")
    view.select_nodes(inside[:2])  # layers inside an open block: the block is the current one
    assert view.current_block_id() == block_id
    assert view.block_kind_action.text() == "Make Nested Model"
    assert not view.block_trainable_action.isEnabled()
    steps = document.undo_stack.count()
    view.block_kind_action.trigger()
    assert document.blocks.block(block_id).kind == "nested_model"
    assert view.block_kind_action.text() == "Make Group"
    assert view.block_trainable_action.isEnabled() and view.block_trainable_action.isChecked()
    view.block_trainable_action.trigger()  # unchecks: frozen
    assert document.blocks.block(block_id).trainable is False
    assert all(document.graph.node(n).config.get("trainable") is False
               for n in inside if "trainable" in document.graph.node(n).config)
    assert not view.block_trainable_action.isChecked()
    view.block_kind_action.trigger()
    assert document.blocks.block(block_id).kind == "group"
    assert document.undo_stack.count() == steps + 3
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.blocks.block(block_id).trainable is True
    assert document.blocks.block(block_id).kind == "nested_model"


def test_a_block_keras_could_not_call_as_a_model_is_refused_with_the_reason(qtbot, setup) -> None:
    view, document, inside = setup
    later = [n.id for n in document.graph.nodes()][-3]  # block 3's first dense: not wired to block 2's
    block_id = document.group_nodes([inside[0], later], "apart")
    view.block_layer().refresh()
    steps = document.undo_stack.count()
    assert not view.set_block_kind(block_id, "nested_model")
    assert document.blocks.block(block_id).kind == "group" and document.undo_stack.count() == steps
    assert "not one connected region" in view.last_message


def test_duplicate_makes_a_copy_with_fresh_names_beside_it(qtbot, setup) -> None:
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    before = {n.name for n in document.graph.nodes()}
    steps = document.undo_stack.count()
    seen = right_click(view, card_point(view, block_id), choose="Duplicate Block")
    assert seen.chosen == "Duplicate Block" and document.undo_stack.count() == steps + 1
    copy = next(b for b in document.blocks.blocks() if b.id != block_id)
    copies = document.blocks.nodes_in(copy.id)
    assert len(copies) == len(inside) and copy.collapsed and copy.name != "res2"
    new_names = names(document, copies)
    assert not set(new_names) & before
    assert len({n.name for n in document.graph.nodes()}) == len(document.graph)  # every name unique
    assert view.selected_block_ids() == [copy.id]  # the copy's card is selected
    original, duplicate = card_point(view, block_id), card_point(view, copy.id)
    assert duplicate.x() - original.x() >= CARD_ROOM[0]  # beside it, not on top
    document.undo_stack.undo()
    assert len(document.blocks) == 1 and {n.name for n in document.graph.nodes()} == before


def test_training_locks_the_block_edits_but_not_saving(qtbot, setup, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    view, document, inside = setup
    block_id = collapsed(view, document, inside)
    view.select_block(block_id)
    assert view.ungroup_action.isEnabled()
    document.set_locked(True)
    assert not any(a.isEnabled() for a in view.block_actions if a is not view.save_block_action)
    assert view.save_block_action.isEnabled()
    seen = right_click(view, card_point(view, block_id))
    assert not any(seen.enabled[t] for t in BLOCK_ENTRIES[:-1]) and seen.enabled["Save Block to Library…"]
    steps = document.undo_stack.count()
    assert view.ungroup_block(block_id) == []
    assert view.last_message == LOCKED_MESSAGE and document.undo_stack.count() == steps
    assert not view.rename_block(block_id, "x") and document.blocks.block(block_id).name == "res2"
    assert view.save_block_to_library(block_id) is not None  # the model is not changed by it
    document.set_locked(False)
    assert view.ungroup_action.isEnabled()


def test_no_block_selected_disables_the_actions(qtbot, setup) -> None:
    view, document, inside = setup
    document.group_nodes(inside, "res2")
    loose = document.graph.nodes()[0].id
    view.select_nodes([loose])
    assert view.current_block_id() is None
    assert not any(a.isEnabled() for a in view.block_actions)
    view.select_nodes([loose, inside[0]])  # not all inside one block
    assert view.current_block_id() is None


# --- the window's Edit › Block menu -----------------------------------------------------------------

@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    document, _triples = residual_document(3)
    made = shown_window(qtbot, monkeypatch, tmp_path, document)
    yield made
    made.close()


def test_the_edit_block_menu_acts_on_the_selected_block(qtbot, window) -> None:
    document, view = window.document, window.view
    menu = window.block_menu
    assert menu.menuAction() in window.edit_menu.actions()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Group Selection", *BLOCK_ENTRIES]
    assert not any(a.isEnabled() for a in menu.actions() if a.text() in BLOCK_ENTRIES)  # nothing selected
    nodes = [n.id for n in document.graph.nodes()]
    block_id = document.group_nodes(nodes[4:7], "res2")
    document.set_collapsed(block_id, True)
    view.select_block(block_id)
    assert all(a.isEnabled() for a in menu.actions() if a.text() in BLOCK_ENTRIES and a.text() != "Trainable")
    document.set_locked(True)
    assert not any(a.isEnabled() for a in menu.actions()
                   if a.text() in BLOCK_ENTRIES and a.text() != "Save Block to Library…")
    document.set_locked(False)
    apart = document.group_nodes([nodes[1], nodes[-3]], "apart")  # blocks 1 and 3's first dense: two parts
    view.select_block_or_layers(apart)
    kind = next(a for a in menu.actions() if a.text() == "Make Nested Model")
    kind.trigger()
    assert document.blocks.block(apart).kind == "group"
    assert "not one connected region" in window.statusBar().currentMessage()  # the reason, in the status bar
    document.undo_stack.undo()
    view.select_block(block_id)
    ungroup = next(a for a in menu.actions() if a.text() == "Ungroup")
    ungroup.trigger()
    assert len(document.blocks) == 0
    assert not ungroup.isEnabled()  # the block is gone; its layers are selected, in no block
