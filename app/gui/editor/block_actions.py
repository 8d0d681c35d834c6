"""The canvas' block actions: the context menu of a collapsed card, of an open block's frame and
of a layer inside a block ("Block ‹name›"), and the actions the window puts in Edit › Block.

Open/Close, Rename… (F2), Ungroup (Ctrl+Shift+G), Make Nested Model / Make Group, Trainable,
Duplicate Block, Save Block to Library… and dropping a library block: each edit is one undo
step of the document, refused with its reason while training runs (saving to the library is
not an edit). :class:`BlockActions` is mixed into :class:`~app.gui.editor.view.GraphView`,
whose selection, messages and block layer it uses; kept apart so the view stays about viewing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu, QMessageBox

from app.core.graph import GraphError
from app.gui.document import block_library_folder

if TYPE_CHECKING:
    from app.gui.editor.view import GraphView

    _Base = GraphView
else:
    _Base = object


class BlockActions(_Base):
    """Block actions of the canvas (a mixin of GraphView: ``self`` is the view)."""

    # --- block actions: the context menus and the window's Edit › Block menu ---------------------

    def current_block_id(self, nodes: list[str] | None = None) -> str | None:
        """The block the Edit › Block actions act on: the one selected card, else the innermost
        block around every selected layer (an open block has no card to select); None if neither.
        ``nodes``: the selected layers when the caller has them already."""
        tree = self.document.blocks
        if not tree:
            return None
        cards = self.selected_block_ids()
        nodes = self.selected_node_ids() if nodes is None else nodes
        if cards:
            return cards[0] if len(cards) == 1 and not nodes and cards[0] in tree else None
        if not nodes:
            return None
        common: list[str] | None = None
        for node_id in nodes:
            chain = [b.id for b in tree.block_path(node_id)]
            if common is None:
                common = chain
            else:
                same = 0
                while same < min(len(common), len(chain)) and common[same] == chain[same]:
                    same += 1
                common = common[:same]
            if not common:
                return None
        return common[-1] if common else None

    def _build_block_actions(self) -> None:
        """The view's block actions (shortcuts work while the canvas has focus; the window puts the
        same actions in its Edit › Block menu). They act on :meth:`current_block_id`."""
        def action(text: str, slot: Callable[[str], object], shortcut: str | None = None,
                   tip: str = "") -> QAction:
            made = QAction(text, self)
            if shortcut is not None:
                made.setShortcut(QKeySequence(shortcut))
                made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made.setStatusTip(tip)
            made.triggered.connect(lambda _checked=False: self._on_current_block(slot))
            self.addAction(made)
            return made

        self.open_block_action = action("Open Block", self.toggle_block_open,
                                        tip="Open the block in place, or close it to one card")
        self.rename_block_action = action("Rename Block…", self.rename_block, "F2", "Give the block a new name")
        self.ungroup_action = action("Ungroup", self.ungroup_block, "Ctrl+Shift+G",
                                     "Dissolve the block: its layers stay where they are")
        self.block_kind_action = action("Make Nested Model", self.toggle_block_kind,
                                        tip="A nested model is exported as a Keras sub-model; a group only folds")
        self.block_trainable_action = QAction("Trainable", self)
        self.block_trainable_action.setCheckable(True)
        self.block_trainable_action.setStatusTip("Train the nested model's weights (off: frozen, as in fine-tuning)")
        self.block_trainable_action.triggered.connect(
            lambda checked: self._on_current_block(lambda b: self.set_block_trainable(b, bool(checked))))
        self.duplicate_block_action = action("Duplicate Block", self.duplicate_block,
                                             tip="A copy of the block with fresh layer names, beside it")
        self.save_block_action = action("Save Block to Library…", self.save_block_to_library,
                                        tip="Keep the block in My Blocks (the palette), to drop into any model")
        self.block_actions: list[QAction] = [
            self.open_block_action, self.rename_block_action, self.ungroup_action, self.block_kind_action,
            self.block_trainable_action, self.duplicate_block_action, self.save_block_action]
        """For the window's Edit › Block menu, in this order (Group Selection is :attr:`group_action`)."""

    def _on_current_block(self, slot: Callable[[str], object]) -> None:
        block_id = self.current_block_id()
        if block_id is None:
            self.show_message("Select a block first (its card, or layers inside it).")
            return
        slot(block_id)

    def _update_block_actions(self, *_args: object, nodes: list[str] | None = None) -> None:
        """Enable, label and check the block actions for :meth:`current_block_id`."""
        if self._scene is None:
            return
        block_id = self.current_block_id(nodes)
        block = self.document.blocks.block(block_id) if block_id is not None else None
        editable = block is not None and not self.document.locked
        for made in self.block_actions:
            made.setEnabled(editable)
        self.save_block_action.setEnabled(block is not None)  # writes no part of the model: fine while training
        self.open_block_action.setText("Open Block" if block is None or block.collapsed else "Close Block")
        nested = block is not None and block.kind == "nested_model"
        self.block_kind_action.setText("Make Group" if nested else "Make Nested Model")
        self.block_trainable_action.setEnabled(editable and nested)
        self.block_trainable_action.setChecked(nested and block is not None and block.trainable)

    def block_menu(self, block_id: str) -> QMenu:
        """The context menu of a collapsed card or an open block's frame."""
        menu = QMenu(self)
        self.fill_block_menu(menu, block_id)
        return menu

    def fill_block_menu(self, menu: QMenu, block_id: str) -> None:
        """The block actions for one block (a card, a frame, or the "Block ‹name›" submenu of a
        layer inside it); the edits are off while training runs, saving to the library is not."""
        block = self.document.blocks.block(block_id)
        editable = not self.document.locked
        nested = block.kind == "nested_model"

        def add(text: str, slot: Callable[[], object], shortcut: str | None = None, enabled: bool = True) -> QAction:
            made = menu.addAction(text)
            if shortcut is not None:
                made.setShortcut(QKeySequence(shortcut))
                made.setShortcutVisibleInContextMenu(True)
            made.setEnabled(enabled)
            made.triggered.connect(lambda _checked=False: slot())
            return made

        add("Open Block" if block.collapsed else "Close Block", lambda: self.toggle_block_open(block_id),
            enabled=editable)
        add("Rename Block…", lambda: self.rename_block(block_id), "F2", editable)
        add("Ungroup", lambda: self.ungroup_block(block_id), "Ctrl+Shift+G", editable)
        menu.addSeparator()
        add("Make Group" if nested else "Make Nested Model", lambda: self.toggle_block_kind(block_id),
            enabled=editable)
        trainable = menu.addAction("Trainable")
        trainable.setCheckable(True)
        trainable.setChecked(nested and block.trainable)
        trainable.setEnabled(editable and nested)
        trainable.triggered.connect(lambda checked: self.set_block_trainable(block_id, bool(checked)))
        menu.addSeparator()
        add("Duplicate Block", lambda: self.duplicate_block(block_id), enabled=editable)
        add("Save Block to Library…", lambda: self.save_block_to_library(block_id))

    def _block_edit(self, block_id: str, change: Callable[[], Any]) -> tuple[bool, Any]:
        """Run one block edit of the document: (done, its result). A refusal (locked, a name Keras
        refuses, a block gone meanwhile) is shown with its reason and gives (False, None)."""
        from app.core.blocks import BlockError

        if block_id not in self.document.blocks:
            self.show_message("That block is no longer in the model.")
            return False, None
        if self._refuse_if_locked():
            return False, None
        try:
            result = change()
        except KeyError as error:  # its text is the missing key, quoted
            self.show_message(f"No such block or layer: {error.args[0] if error.args else error}")
            return False, None
        except (BlockError, GraphError, PermissionError, ValueError) as error:
            self.show_message(str(error))
            return False, None
        self.block_layer().refresh()
        self._update_block_actions()
        return True, result

    def toggle_block_open(self, block_id: str) -> bool:
        """Open a collapsed block in place, or close an open one to its card (one undo step)."""
        if block_id not in self.document.blocks:
            return False
        layer = self.block_layer()
        if self.document.blocks.block(block_id).collapsed:
            return layer.open_block(block_id)
        return layer.close_block(block_id)

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        """A one-line question (the block's name); None when cancelled."""
        dialog = QInputDialog(self)
        dialog.setObjectName("block_name_dialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.textValue() if accepted else None
        finally:
            dialog.deleteLater()

    def rename_block(self, block_id: str, name: str | None = None) -> bool:
        """Rename… (F2): asks for the name unless given; one undo step."""
        if block_id not in self.document.blocks or self._refuse_if_locked():
            return False
        if name is None:
            name = self.ask_text("Rename Block", "Block name:", self.document.blocks.block(block_id).name)
            if name is None:
                return False
        new_name = name.strip()
        return self._block_edit(block_id, lambda: self.document.rename_block(block_id, new_name))[0]

    def ungroup_block(self, block_id: str) -> list[str]:
        """Ungroup (Ctrl+Shift+G): the block goes, its layers (selected afterwards) stay. A collapsed
        block's layers come into view, so the view is laid out again as opening does: one undo step."""
        from app.core.layout import apply_view_layout

        if block_id not in self.document.blocks:
            return []
        tree = self.document.blocks
        block = tree.block(block_id)

        def layout_too(graph: Any) -> list[str]:
            released = tree.ungroup(block_id)
            apply_view_layout(graph, tree)
            return released

        def change() -> list[str]:
            if not block.collapsed:
                return self.document.ungroup(block_id)
            return self.document.edit(f"Ungroup {block.name}", layout_too)

        done, released = self._block_edit(block_id, change)
        if not done:
            return []
        self.select_nodes([n for n in released if n in self.document.graph])
        return list(released)

    def toggle_block_kind(self, block_id: str) -> bool:
        if block_id not in self.document.blocks:
            return False
        nested = self.document.blocks.block(block_id).kind == "nested_model"
        return self.set_block_kind(block_id, "group" if nested else "nested_model")

    def set_block_kind(self, block_id: str, kind: str) -> bool:
        """Make Nested Model / Make Group (one undo step). A block Keras could not call as one
        model (two separate parts, no input, an Input inside...) is refused with the reason."""
        from app.core.blocks import validate_blocks

        if block_id not in self.document.blocks:
            return False
        if kind == "nested_model" and not self.document.locked:
            trial = self.document.blocks.copy()
            trial.set_kind(block_id, kind)
            problems = [p for p in validate_blocks(self.document.graph, trial) if p.block_id == block_id]
            if problems:
                self.show_message(f"Cannot make a nested model: {problems[0].message}.")
                return False
        return self._block_edit(block_id, lambda: self.document.set_block_kind(block_id, kind))[0]

    def set_block_trainable(self, block_id: str, trainable: bool) -> bool:
        """Trainable on/off for a nested model (its layers follow), one undo step."""
        if block_id not in self.document.blocks:
            return False
        if self.document.blocks.block(block_id).kind != "nested_model":
            self.show_message("Only a nested model has its own Trainable switch; make it a nested model first.")
            self._update_block_actions()
            return False
        done, _ = self._block_edit(block_id, lambda: self.document.set_block_trainable(block_id, trainable))
        self._update_block_actions()  # a refusal puts the check mark back
        return done

    def duplicate_block(self, block_id: str) -> str | None:
        """A copy with fresh layer names to the right of the block (one undo step), then selected."""
        from app.core.layout import COLUMN_GAP

        if block_id not in self.document.blocks:
            return None
        graph = self.document.graph
        xs = [graph.node(n).position[0] for n in self.document.blocks.nodes_in(block_id) if n in graph]
        offset = ((max(xs) - min(xs) if xs else 0.0) + COLUMN_GAP, 0.0)
        done, new_id = self._block_edit(block_id, lambda: self.document.duplicate_block(block_id, offset))
        if not done:
            return None
        self.select_block_or_layers(new_id)
        return str(new_id)

    def select_block_or_layers(self, block_id: str) -> None:
        """Select a block: its card when collapsed, else the layers inside it."""
        card = self.block_layer().cards.get(block_id)
        if card is not None:
            self.select_nodes([])
            card.setSelected(True)
        else:
            self.select_nodes(self.document.blocks.nodes_in(block_id))

    def save_block_to_library(self, block_id: str) -> Path | None:
        """Keep the block in the personal library (My Blocks in the palette), asking before it
        replaces a saved block of the same name. Not an edit of the model, so not an undo step."""
        from app.core.block_library import list_blocks
        from app.core.project import ProjectError

        if block_id not in self.document.blocks:
            return None
        name = self.document.blocks.block(block_id).name
        folder = block_library_folder()
        saved, _broken = list_blocks(folder)
        if any(entry.name == name for entry in saved):
            answer = QMessageBox.question(
                self, "Save Block to Library",
                f"My Blocks already has a block named {name!r}. Replace it with this one?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return None
        try:
            path = self.document.save_block_to_library(block_id, folder)
        except (ProjectError, OSError) as error:
            self.show_message(f"Could not save {name} to the library: {error}")
            return None
        self.show_message(f"Saved {name} to My Blocks.")
        self.block_saved.emit(path)
        return path

    def insert_library_block(self, path: str | Path, scene_point: QPointF | None = None) -> str | None:
        """Drop a library block (one undo step): its top-left corner at ``scene_point`` (the drop
        point; None: the middle of the view). Returns the new block's id, None when refused."""
        from app.core.blocks import BlockError
        from app.core.project import ProjectError

        if self._refuse_if_locked():
            return None
        if scene_point is None:  # a double-click in the palette: where no card already sits
            scene_point = self._free_spot(self.mapToScene(self.viewport().rect().center()))
        x, y = self.graph_scene().to_document(scene_point)
        try:
            block_id = self.document.insert_library_block(Path(path), (round(x, 1), round(y, 1)))
        except (ProjectError, BlockError, GraphError, OSError, PermissionError, ValueError) as error:
            self.show_message(f"Could not insert the block: {error}")
            return None
        self.block_layer().refresh()
        self.select_block_or_layers(block_id)
        self.setFocus()
        return block_id
