"""My Blocks in the palette: the personal block library, listed after a save, searched with
the layers, inserted by double-click (middle of the view) or drag and drop (at the drop point)
as one undo step; an unreadable library file is listed greyed out with the reason."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from app.gui.document import block_library_folder
from app.gui.editor.view import BLOCK_MIME
from app.gui.panels.palette import BLOCK_MIME_TYPE, MY_BLOCKS, NO_BLOCKS_TEXT, PalettePanel
from tests.gui.drag_helpers import drop_mime
from tests.gui.test_block_actions import card_point, names, right_click
from tests.gui.test_palette_block_library_edit import menu_on
from tests.gui.window_helpers import residual_document, shown_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A window on three residual blocks, block 2 (dense, dense, add) collapsed as "res2";
    LAYERFORGE_HOME (and so the library) in a temporary folder."""
    document, _triples = residual_document(3)
    nodes = [n.id for n in document.graph.nodes()]
    block_id = document.group_nodes(nodes[4:7], "res2")
    document.set_collapsed(block_id, True)
    document.undo_stack.clear()
    made = shown_window(qtbot, monkeypatch, tmp_path, document, (1200, 800))
    made.view.block_layer().refresh()
    yield made
    made.close()


def block_id_of(window, name: str) -> str:
    block = window.document.blocks.block_by_name(name)
    assert block is not None, name
    return block.id


def save_res2(window) -> None:
    """Save res2 through its card's context menu, as a user would."""
    view = window.view
    block_id = block_id_of(window, "res2")
    view.centerOn(card_point(view, block_id))
    seen = right_click(view, card_point(view, block_id), choose="Save Block to Library…")
    assert seen.chosen == "Save Block to Library…"


def test_the_mime_types_agree() -> None:
    assert BLOCK_MIME == BLOCK_MIME_TYPE


def test_an_empty_library_shows_a_hint_on_top(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    palette = PalettePanel()
    qtbot.addWidget(palette)
    top = palette.tree.topLevelItem(0)
    assert top.text(0) == MY_BLOCKS and top.childCount() == 1
    hint = top.child(0)
    assert hint.text(0) == NO_BLOCKS_TEXT and not hint.flags() & Qt.ItemFlag.ItemIsEnabled
    assert palette.block_names() == []


def test_saving_a_block_lists_it_in_my_blocks(qtbot, window) -> None:
    palette = window.palette_panel
    assert palette.block_names() == []
    save_res2(window)
    assert (block_library_folder() / "res2.block.json").is_file()
    assert palette.block_names() == ["res2"]  # refreshed by the save, no restart
    item = palette.block_item("res2")
    assert item.flags() & Qt.ItemFlag.ItemIsEnabled and item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert "Group · 3 layers" in item.toolTip(0) and "Dense" in item.toolTip(0)
    assert "Saved res2 to My Blocks" in window.view.last_message
    assert window.document.undo_stack.count() == 0  # saving is not an edit of the model


def test_saving_again_under_a_taken_name_asks_first(qtbot, window, monkeypatch) -> None:
    save_res2(window)
    path = block_library_folder() / "res2.block.json"
    first = path.read_text(encoding="utf-8")
    window.document.set_param(window.document.blocks.nodes_in(block_id_of(window, "res2"))[0], "units", 6)
    asked: list[str] = []

    def refuse(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", refuse)
    assert window.view.save_block_to_library(block_id_of(window, "res2")) is None
    assert asked and "already has a block named 'res2'" in asked[0]
    assert path.read_text(encoding="utf-8") == first
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.view.save_block_to_library(block_id_of(window, "res2")) == path
    assert path.read_text(encoding="utf-8") != first


def test_double_click_inserts_the_block_with_fresh_names_as_one_undo_step(qtbot, window) -> None:
    save_res2(window)
    document, palette = window.document, window.palette_panel
    before = {n.name for n in document.graph.nodes()}
    item = palette.block_item("res2")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    with qtbot.waitSignal(document.blocks_changed, timeout=3000):
        # QTest's double click in Qt 6 sends no first press, which item views need: click first.
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert document.undo_stack.count() == 1
    new = next(b for b in document.blocks.blocks() if b.name != "res2")
    inserted = names(document, document.blocks.nodes_in(new.id))
    assert len(inserted) == 3 and not set(inserted) & before
    assert window.view.selected_block_ids() == [new.id]
    document.undo_stack.undo()
    assert {n.name for n in document.graph.nodes()} == before and len(document.blocks) == 1


def test_a_drag_from_my_blocks_inserts_at_the_drop_point(qtbot, window) -> None:
    save_res2(window)
    document, view, palette = window.document, window.view, window.palette_panel
    mime = palette.tree.mimeData([palette.block_item("res2")])  # what the palette's drag carries
    assert mime.hasFormat(BLOCK_MIME_TYPE)
    point = view.mapToScene(view.viewport().rect().center()) + QPointF(300.0, 0.0)
    drop_mime(view, mime, point)
    assert document.undo_stack.count() == 1
    new = next(b for b in document.blocks.blocks() if b.name != "res2")
    positions = [document.graph.node(n).position for n in document.blocks.nodes_in(new.id)]
    x, y = view.graph_scene().to_document(point)
    assert min(p[0] for p in positions) == pytest.approx(x, abs=1.0)  # its top-left at the drop point
    assert min(p[1] for p in positions) == pytest.approx(y, abs=1.0)
    document.undo_stack.undo()
    assert len(document.blocks) == 1


def test_nothing_is_dropped_while_training_runs(qtbot, window) -> None:
    save_res2(window)
    document, view, palette = window.document, window.view, window.palette_panel
    document.set_locked(True)
    drop_mime(view, palette.tree.mimeData([palette.block_item("res2")]),
              view.mapToScene(view.viewport().rect().center()))
    assert len(document.blocks) == 1
    with qtbot.assertNotEmitted(palette.block_requested):
        palette.tree.block_chosen.emit(str(block_library_folder() / "res2.block.json"))
    document.set_locked(False)


def test_the_search_filters_my_blocks_too(qtbot, window) -> None:
    save_res2(window)
    palette = window.palette_panel
    palette.set_filter("res")
    assert palette.visible_block_names() == ["res2"] and not palette.empty_label.isVisible()
    palette.set_filter("add dense")  # the classes inside count too
    assert palette.visible_block_names() == ["res2"]
    palette.set_filter("conv2d")
    assert palette.visible_block_names() == [] and palette.tree.topLevelItem(0).isHidden()
    assert "Conv2D" in palette.visible_class_names()
    palette.set_filter("res2")  # only a block matches: Enter inserts it
    assert not palette.empty_label.isVisible()
    with qtbot.waitSignal(palette.block_requested, timeout=1000) as blocker:
        palette.search.setFocus()
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert blocker.args[0].endswith("res2.block.json")
    palette.set_filter("")
    assert not palette.tree.topLevelItem(0).isHidden()


def test_an_unreadable_library_file_is_listed_greyed_with_the_reason(qtbot, window) -> None:
    save_res2(window)
    folder = block_library_folder()
    (folder / "broken.block.json").write_text("{ not json", encoding="utf-8")
    palette = window.palette_panel
    palette.refresh_blocks()
    assert sorted(palette.block_names()) == ["broken.block.json", "res2"]
    item = palette.block_item("broken.block.json")
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert "broken.block.json" in item.toolTip(0) and "cannot be read" in item.text(0)
    assert len(item.toolTip(0)) > len(str(folder / "broken.block.json"))  # the reason, not just the name
    with qtbot.assertNotEmitted(palette.block_requested):
        palette.tree.itemDoubleClicked.emit(item, 0)
    assert palette.block_item("res2").flags() & Qt.ItemFlag.ItemIsEnabled  # the others still work


def test_enter_and_the_entrys_context_menu_insert_it_too(qtbot, window) -> None:

    save_res2(window)
    document, palette = window.document, window.palette_panel
    item = palette.block_item("res2")
    palette.tree.setCurrentItem(item)
    palette.tree.setFocus()
    qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert len(document.blocks) == 2 and document.undo_stack.count() == 1
    seen = menu_on(palette, item, "Insert res2 into the canvas")
    assert seen[0] == "Insert res2 into the canvas"  # first, before Rename and Remove
    assert len(document.blocks) == 3 and document.undo_stack.count() == 2
