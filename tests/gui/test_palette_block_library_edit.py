"""My Blocks entries are renamed and removed from their context menu (a QInputDialog, a
confirmation naming the block; refusals shown in a message box), a greyed unreadable entry
can be removed, and the list follows the library folder through a file watcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QTreeWidgetItem

from app.core.block_library import read_block, save_block
from app.core.blocks import BlockTree
from app.core.graph import Graph
from app.gui.document import block_library_folder
from app.gui.panels.palette import BLOCK_ROLE, REMOVE_BLOCK_TEXT, RENAME_BLOCK_TEXT, PalettePanel
from tests.gui.test_block_actions import answer_dialog, popup_menu, when_shown
from tests.unit.helpers import chain


def save_one(folder: Path, name: str) -> Path:
    """A two-dense block called ``name`` saved into ``folder`` (as Save Block to Library does)."""
    graph = Graph()
    nodes = chain(graph, ("InputLayer", {"batch_shape": [None, 8]}), ("Dense", {"units": 4}),
                  ("Dense", {"units": 3}))
    tree = BlockTree()
    block = tree.group([nodes[1].id, nodes[2].id], name)
    return save_block(graph, tree, block.id, folder)


@pytest.fixture
def palette(qtbot, tmp_path, monkeypatch) -> PalettePanel:
    """A shown palette on a library (under a temporary LAYERFORGE_HOME) holding res2 and encoder."""
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    save_one(block_library_folder(), "res2")
    save_one(block_library_folder(), "encoder")
    panel = PalettePanel()
    qtbot.addWidget(panel)
    panel.resize(320, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def menu_on(panel: PalettePanel, item: QTreeWidgetItem, choose: str | None) -> list[str]:
    """Right-click ``item``; return the menu's entries; trigger ``choose`` as a click would."""
    seen: list[str] = []

    def pick(popup: QMenu) -> None:
        actions = [a for a in popup.actions() if not a.isSeparator()]
        seen.extend(a.text() for a in actions)
        target = next((a for a in actions if a.text() == choose), None)
        popup.close()
        if target is not None:
            target.trigger()

    when_shown(popup_menu, pick)
    panel.tree.scrollToItem(item)
    local = panel.tree.visualItemRect(item).center()
    viewport = panel.tree.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local,
                                                       viewport.mapToGlobal(local)))
    return seen


def _message_box() -> QMessageBox | None:
    box = QApplication.activeModalWidget()
    return box if isinstance(box, QMessageBox) else None


def answer_box(button: QMessageBox.StandardButton) -> list[str]:
    """Answer the next message box with ``button``; the list gets its text once answered."""
    said: list[str] = []

    def answer(box: QMessageBox) -> None:
        said.append(box.text())
        box.button(button).click()

    when_shown(_message_box, answer)
    return said


def test_the_menu_offers_rename_and_remove(palette) -> None:
    seen = menu_on(palette, palette.block_item("res2"), None)
    assert seen == ["Insert res2 into the canvas", RENAME_BLOCK_TEXT, REMOVE_BLOCK_TEXT]


def test_rename_through_the_menu_renames_the_file_and_the_entry(palette) -> None:
    folder = block_library_folder()
    asked = answer_dialog("residual two")
    assert menu_on(palette, palette.block_item("res2"), RENAME_BLOCK_TEXT)
    assert asked and "res2" in asked[0]
    assert palette.block_names() == ["encoder", "residual two"]
    assert not (folder / "res2.block.json").exists()
    assert read_block(folder / "residual_two.block.json").name == "residual two"
    assert Path(palette.block_item("residual two").data(0, BLOCK_ROLE)).name == "residual_two.block.json"


def test_a_taken_name_is_refused_with_a_message_and_nothing_changes(palette) -> None:
    answer_dialog("encoder")
    said = answer_box(QMessageBox.StandardButton.Ok)
    menu_on(palette, palette.block_item("res2"), RENAME_BLOCK_TEXT)
    assert said and "already has a block named 'encoder'" in said[0] and "res2" in said[0]
    assert palette.block_names() == ["encoder", "res2"]
    assert read_block(block_library_folder() / "res2.block.json").name == "res2"


def test_cancelling_the_rename_keeps_the_block(palette) -> None:
    before = (block_library_folder() / "res2.block.json").read_bytes()
    answer_dialog(None)
    menu_on(palette, palette.block_item("res2"), RENAME_BLOCK_TEXT)
    assert palette.block_names() == ["encoder", "res2"]
    assert (block_library_folder() / "res2.block.json").read_bytes() == before


def test_remove_asks_naming_the_block_and_cancel_keeps_it(palette) -> None:
    said = answer_box(QMessageBox.StandardButton.No)
    menu_on(palette, palette.block_item("res2"), REMOVE_BLOCK_TEXT)
    assert said and "'res2'" in said[0]
    assert palette.block_names() == ["encoder", "res2"]
    assert (block_library_folder() / "res2.block.json").is_file()


def test_a_name_that_looks_like_html_is_shown_as_plain_text(qtbot, palette) -> None:
    save_one(block_library_folder(), "<b>bold</b>")  # a library file can come from someone else
    qtbot.waitUntil(lambda: "<b>bold</b>" in palette.block_names())
    formats: list[object] = []

    def answer(box: QMessageBox) -> None:
        formats.append((box.textFormat(), box.text()))
        box.button(QMessageBox.StandardButton.No).click()

    when_shown(_message_box, answer)
    menu_on(palette, palette.block_item("<b>bold</b>"), REMOVE_BLOCK_TEXT)
    assert formats and formats[0][0] == Qt.TextFormat.PlainText and "'<b>bold</b>'" in formats[0][1]


def test_remove_after_yes_deletes_the_file_and_the_entry(palette) -> None:
    said = answer_box(QMessageBox.StandardButton.Yes)
    menu_on(palette, palette.block_item("res2"), REMOVE_BLOCK_TEXT)
    assert said and "'res2'" in said[0]
    assert palette.block_names() == ["encoder"]
    assert not (block_library_folder() / "res2.block.json").exists()
    assert (block_library_folder() / "encoder.block.json").is_file()


def test_a_greyed_unreadable_entry_can_be_removed(palette) -> None:
    broken = block_library_folder() / "broken.block.json"
    broken.write_text("{ not json", encoding="utf-8")
    palette.refresh_blocks()
    item = palette.block_item("broken.block.json")
    said = answer_box(QMessageBox.StandardButton.Yes)
    assert menu_on(palette, item, REMOVE_BLOCK_TEXT) == [REMOVE_BLOCK_TEXT]  # no insert, no rename
    assert said and "broken.block.json" in said[0]
    assert not broken.exists() and palette.block_names() == ["encoder", "res2"]


def test_a_block_written_into_the_folder_appears(qtbot, palette) -> None:
    save_one(block_library_folder(), "copied in")  # as another window's save, or a copy by hand
    qtbot.waitUntil(lambda: "copied in" in palette.block_names(), timeout=5000)
    (block_library_folder() / "encoder.block.json").unlink()
    qtbot.waitUntil(lambda: "encoder" not in palette.block_names(), timeout=5000)
    assert palette.block_names() == ["copied in", "res2"]


def test_a_block_file_edited_in_place_is_listed_again(qtbot, tmp_path, palette) -> None:
    edited = save_one(tmp_path / "elsewhere", "edited").read_bytes()
    target = block_library_folder() / "encoder.block.json"
    with target.open("r+b") as stream:  # in place: the folder's entries do not change
        stream.write(edited)
        stream.truncate()
    qtbot.waitUntil(lambda: palette.block_names() == ["edited", "res2"], timeout=5000)


def test_a_library_folder_made_later_is_followed(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    panel = PalettePanel()
    qtbot.addWidget(panel)
    assert panel.block_names() == [] and not block_library_folder().exists()
    assert panel.watched_paths() and Path(panel.watched_paths()[0]) in block_library_folder().parents
    save_one(block_library_folder(), "first")  # makes home/…/blocks
    qtbot.waitUntil(lambda: panel.block_names() == ["first"], timeout=5000)
    assert sorted(panel.watched_paths()) == [str(block_library_folder()),
                                             str(block_library_folder() / "first.block.json")]
    save_one(block_library_folder(), "second")
    qtbot.waitUntil(lambda: panel.block_names() == ["first", "second"], timeout=5000)
