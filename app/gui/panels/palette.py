"""The layer palette: every catalog layer by category, searchable, to add or drag onto the canvas.

The palette knows nothing about documents' graphs: it says which layer the user wants
(``add_requested`` for double-click/Enter; a drag carrying ``LAYER_MIME_TYPE`` for drops)
and the canvas adds it through the document, as one undo step. Each layer also has a "?"
(a narrow second column; F1 on the current entry does the same) that asks the window to
explain it (``help_requested``).

On top, "My Blocks" lists the personal block library (:mod:`app.core.block_library`, in
:func:`app.gui.document.block_library_folder`): a double-click asks for the block
(``block_requested`` with its file), a drag carries the file as ``BLOCK_MIME_TYPE``. A file
that cannot be read is listed greyed out, the reason in its tooltip. An entry's context
menu renames it or removes it from the library (a greyed one can be removed too). The list
follows the folder: a file watcher re-lists it (debounced) when blocks are saved in another
window or copied in by hand; the window also calls :meth:`PalettePanel.refresh_blocks` after
a save.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QFileSystemWatcher,
    QMimeData,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.blocks import KIND_TITLES
from app.core.catalog import CATALOG, CATEGORIES, LayerSpec
from app.gui.document import block_library_folder, follow_document
from app.gui.theme import SELECTION, category_color

LAYER_MIME_TYPE = "application/x-layerforge-layer"
"""Drag payload: a catalog class name as UTF-8 (the canvas adds that layer where it is dropped)."""

BLOCK_MIME_TYPE = "application/x-layerforge-block"
"""Drag payload for a library block: its file's path as UTF-8 (the canvas inserts it at the drop)."""
MY_BLOCKS = "My Blocks"
NO_BLOCKS_TEXT = "No saved blocks yet: right-click a block on the canvas, Save Block to Library…"

CLASS_ROLE = Qt.ItemDataRole.UserRole
BLOCK_ROLE = Qt.ItemDataRole.UserRole + 1
"""A My Blocks entry's file path (as text)."""
RENAME_BLOCK_TEXT = "Rename…"
REMOVE_BLOCK_TEXT = "Remove from My Blocks…"
RELIST_DELAY_MS = 200
"""How long the folder must stay quiet before My Blocks is listed again (a copy of many
files, or one atomic save's temp file and rename, is one re-list)."""
SWATCH_SIZE = 12
NAME_COLUMN, HELP_COLUMN = 0, 1
HELP_TEXT = "?"


def teaching_html(spec: LayerSpec) -> str:
    """The layer's teaching text as rich text: summary, formula, shape rule, use, common mistake."""
    doc = spec.doc
    parts = [f"<b>{html.escape(spec.title)}</b> <i>({html.escape(spec.category)})</i>"]
    if spec.title != spec.class_name:
        parts[0] += f" &mdash; <code>{html.escape(spec.class_name)}</code>"
    parts.append(f"<p>{html.escape(doc.summary)}</p>")
    for label, text, code in (("Formula", doc.formula, True), ("Shape", doc.shape, False),
                              ("Use", doc.use, False), ("Common mistake", doc.mistake, False)):
        if text:
            body = f"<code>{html.escape(text)}</code>" if code else html.escape(text)
            parts.append(f"<p><b>{label}:</b> {body}</p>")
    # A fixed width makes Qt wrap the tooltip instead of drawing one very long line.
    return f"<div style='width: 360px'>{''.join(parts)}</div>"


def first_sentence(text: str) -> str:
    """The teaching summary's first sentence, for places with room for one line."""
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(SWATCH_SIZE, SWATCH_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(color.darker(130))
    painter.setBrush(color)
    painter.drawRoundedRect(0.5, 0.5, SWATCH_SIZE - 1, SWATCH_SIZE - 1, 3, 3)
    painter.end()
    return QIcon(pixmap)


def _haystack(spec: LayerSpec) -> str:
    return " ".join((spec.class_name, spec.title, spec.category, spec.doc.summary)).lower()


def _block_path(item: QTreeWidgetItem | None) -> str | None:
    path = item.data(0, BLOCK_ROLE) if item is not None else None
    return str(path) if path else None


class LayerTree(QTreeWidget):
    """Categories with their layers; layers can be dragged (as ``LAYER_MIME_TYPE``),
    double-clicked or activated with Enter. A click on a layer's "?" column, or F1,
    asks for its help (``help_chosen``)."""

    layer_chosen = Signal(str)
    help_chosen = Signal(str)
    block_chosen = Signal(str)
    """A My Blocks entry was double-clicked or activated: its file's path."""
    block_rename_chosen = Signal(str)
    """"Rename…" on a My Blocks entry: its file's path."""
    block_remove_chosen = Signal(str)
    """"Remove from My Blocks…" on an entry (a greyed, unreadable one too): its file's path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.setIconSize(QSize(SWATCH_SIZE, SWATCH_SIZE))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setUniformRowHeights(True)
        self.setMouseTracking(True)  # the "?" shows a pointing hand on hover
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(HELP_COLUMN, QHeaderView.ResizeMode.Fixed)
        self._size_help_column()
        self.itemDoubleClicked.connect(self._double_clicked)
        self.itemClicked.connect(self._clicked)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME_TYPE, BLOCK_MIME_TYPE]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        """The dragged layer's class name, or library block's file (the first among ``items``)."""
        data = QMimeData()
        for item in items:
            class_name, block = item.data(0, CLASS_ROLE), _block_path(item)
            if class_name:
                data.setData(LAYER_MIME_TYPE, str(class_name).encode("utf-8"))
                data.setText(str(class_name))
                break
            if block:
                data.setData(BLOCK_MIME_TYPE, block.encode("utf-8"))
                data.setText(item.text(0))
                break
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def help_rect(self, item: QTreeWidgetItem) -> QRect:
        """Where the item's "?" is drawn, in viewport coordinates (empty when scrolled away)."""
        return self.visualRect(self.indexFromItem(item, HELP_COLUMN))

    def _class_at(self, pos: QPoint, column: int | None = None) -> str | None:
        index = self.indexAt(pos)
        if not index.isValid() or (column is not None and index.column() != column):
            return None
        class_name = self.itemFromIndex(index).data(0, CLASS_ROLE)
        return str(class_name) if class_name else None

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        class_name = item.data(0, CLASS_ROLE)
        if class_name and column != HELP_COLUMN:  # two quick clicks on "?" are two help requests, not an add
            self.layer_chosen.emit(str(class_name))
        block = _block_path(item)
        if block and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.block_chosen.emit(block)

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        class_name = item.data(0, CLASS_ROLE)
        if class_name and column == HELP_COLUMN:
            self.help_chosen.emit(str(class_name))

    def current_class(self) -> str | None:
        """The class name of the current, listed layer entry (None on a category or nothing)."""
        item = self.currentItem()
        class_name = item.data(0, CLASS_ROLE) if item is not None and not item.isHidden() else None
        return str(class_name) if class_name else None

    def event(self, event: QEvent) -> bool:
        """Claim F1 before any window-wide F1 shortcut, so help follows the palette's focus."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_F1 and self.current_class():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if event.key() == Qt.Key.Key_F1:
            class_name = self.current_class()
            if class_name:
                self.help_chosen.emit(class_name)
                event.accept()
                return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            class_name, block = item.data(0, CLASS_ROLE), _block_path(item)
            if class_name:
                self.layer_chosen.emit(str(class_name))
            elif block:
                if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                    self.block_chosen.emit(block)
            else:
                item.setExpanded(not item.isExpanded())
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() == Qt.MouseButton.NoButton:
            if self._class_at(event.position().toPoint(), HELP_COLUMN):
                self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Right-click on a layer: add it, or read what it does; on a saved block: insert,
        rename or remove it (an unreadable one can only be removed)."""
        index = self.indexAt(event.pos())
        item = self.itemFromIndex(index) if index.isValid() else None
        block = _block_path(item)
        if item is not None and block:
            menu = QMenu(self)
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                insert = menu.addAction(f"Insert {item.text(0)} into the canvas")
                insert.setEnabled(self.dragEnabled())  # off while training runs, as adding a layer
                insert.triggered.connect(lambda: self.block_chosen.emit(block))
                menu.addSeparator()
                rename = menu.addAction(RENAME_BLOCK_TEXT)
                rename.triggered.connect(lambda: self.block_rename_chosen.emit(block))
            remove = menu.addAction(REMOVE_BLOCK_TEXT)
            remove.triggered.connect(lambda: self.block_remove_chosen.emit(block))
            menu.exec(event.globalPos())
            menu.deleteLater()
            return
        class_name = self._class_at(event.pos())
        if not class_name:
            return
        menu = QMenu(self)
        add = menu.addAction(f"Add {class_name} to the canvas")
        add.setEnabled(self.dragEnabled())  # adding is off while training runs (the tree stays usable)
        add.triggered.connect(lambda: self.layer_chosen.emit(class_name))
        explain = menu.addAction(f"What does {class_name} do?")
        explain.setShortcut(Qt.Key.Key_F1)
        explain.triggered.connect(lambda: self.help_chosen.emit(class_name))
        menu.exec(event.globalPos())
        menu.deleteLater()

    def help_font(self) -> QFont:
        """The "?" is the view's font in bold (recomputed when the font changes)."""
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _size_help_column(self) -> None:
        metrics = self.fontMetrics()
        self.header().resizeSection(HELP_COLUMN, metrics.horizontalAdvance(HELP_TEXT) + 2 * metrics.height())

    def changeEvent(self, event: QEvent) -> None:
        """Presenter mode's larger font widens the "?" column and enlarges the "?" with it."""
        if event.type() == QEvent.Type.FontChange:
            self._size_help_column()
            font = self.help_font()
            for top in range(self.topLevelItemCount()):
                category = self.topLevelItem(top)
                for index in range(category.childCount()):
                    if category.child(index).data(0, CLASS_ROLE):
                        category.child(index).setFont(HELP_COLUMN, font)
        super().changeEvent(event)


class PalettePanel(QWidget):
    """Searchable list of catalog layers grouped by category. Emits ``add_requested(class_name)``
    on double-click or Enter (the window adds it at the view centre); drags carry the class name.
    Emits ``help_requested(class_name)`` from a layer's "?" or F1 (the window shows the help panel)."""

    add_requested = Signal(str)
    help_requested = Signal(str)
    block_requested = Signal(str)
    """A saved block chosen in My Blocks (double-click, Enter): its file's path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = None
        self._locked = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers (name, category, what it does)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._add_first_match)
        self.search.installEventFilter(self)
        layout.addWidget(self.search)
        self.tree = LayerTree(self)
        self.tree.layer_chosen.connect(self._chosen)
        self.tree.help_chosen.connect(self.help_requested)
        self.tree.block_chosen.connect(self._block_chosen)
        self.tree.block_rename_chosen.connect(self.rename_block_entry)
        self.tree.block_remove_chosen.connect(self.remove_block_entry)
        layout.addWidget(self.tree, 1)
        self.empty_label = QLabel("No layer matches this search.", self)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        layout.addWidget(self.empty_label)
        self._category_items: dict[str, QTreeWidgetItem] = {}
        self._layer_items: dict[str, QTreeWidgetItem] = {}
        self._search_text: dict[str, str] = {}
        self._blocks_item = QTreeWidgetItem(self.tree, [MY_BLOCKS])
        self._block_items: dict[str, QTreeWidgetItem] = {}
        """Block name (file name for an unreadable file) -> its entry in My Blocks."""
        self._block_text: dict[int, str] = {}
        self._listed_folder: Path | None = None
        """The library folder My Blocks lists (None: the user's, looked up on each re-list)."""
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._folder_changed)
        self._watcher.fileChanged.connect(self._folder_changed)  # a block file edited in place
        self._relist_timer = QTimer(self)
        self._relist_timer.setSingleShot(True)
        self._relist_timer.setInterval(RELIST_DELAY_MS)
        self._relist_timer.timeout.connect(self._relist)
        self._populate()
        self.refresh_blocks()

    def _populate(self) -> None:
        by_category: dict[str, list[LayerSpec]] = {c: [] for c in CATEGORIES}
        for spec in CATALOG.values():
            by_category.setdefault(spec.category, []).append(spec)
        help_brush = QBrush(QColor(SELECTION))
        help_font = self.tree.help_font()
        for category, specs in by_category.items():
            top = QTreeWidgetItem(self.tree, [category])
            top.setIcon(0, _swatch(category_color(category)))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self._category_items[category] = top
            for spec in specs:
                label = spec.title if spec.title == spec.class_name else f"{spec.title}  ({spec.class_name})"
                item = QTreeWidgetItem(top, [label])
                item.setData(0, CLASS_ROLE, spec.class_name)
                item.setIcon(0, _swatch(category_color(category)))
                item.setToolTip(0, teaching_html(spec))
                item.setStatusTip(0, first_sentence(spec.doc.summary))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                item.setText(HELP_COLUMN, HELP_TEXT)
                item.setTextAlignment(HELP_COLUMN, Qt.AlignmentFlag.AlignCenter)
                item.setForeground(HELP_COLUMN, help_brush)
                item.setFont(HELP_COLUMN, help_font)
                item.setToolTip(HELP_COLUMN, f"What does {spec.title} do? Opens its help (F1).")
                self._layer_items[spec.class_name] = item
                self._search_text[spec.class_name] = _haystack(spec)
        self.tree.expandAll()

    # --- My Blocks: the personal block library ------------------------------------------

    def refresh_blocks(self, folder: Path | None = None) -> None:
        """List the library again (after a save; ``folder``: another library, for tests, which
        later re-lists follow)."""
        from app.core.block_library import SUFFIX, read_block
        from app.core.project import ProjectError

        if folder is not None:
            self._listed_folder = folder
        current = _block_path(self.tree.currentItem())
        top = self._blocks_item
        top.setIcon(0, _swatch(QColor("#8792A2")))
        top.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = top.font(0)
        font.setBold(True)
        top.setFont(0, font)
        top.setToolTip(0, "Blocks you saved (right-click a block on the canvas: Save Block to Library…); "
                          "double-click one or drag it onto the canvas")
        for index in reversed(range(top.childCount())):
            top.removeChild(top.child(index))
        self._block_items.clear()
        self._block_text.clear()
        base = self.library_folder()
        rows: list[tuple[str, QTreeWidgetItem]] = []
        try:
            paths = sorted(base.glob(f"*{SUFFIX}")) if base.is_dir() else []
        except OSError:
            paths = []
        self._watch(base, paths)
        for path in paths:
            try:
                entry = read_block(path)
            except (ProjectError, OSError, ValueError, KeyError) as error:
                item = QTreeWidgetItem([f"{path.name} (cannot be read)"])
                item.setFlags(Qt.ItemFlag.NoItemFlags)  # listed greyed out: it cannot be inserted
                item.setToolTip(0, html.escape(str(error)))
                item.setData(0, BLOCK_ROLE, str(path))
                rows.append((path.name.lower(), item))
                self._block_items[path.name] = item
                continue
            kind = KIND_TITLES.get(entry.kind, entry.kind)
            layers = f"{entry.layers} layer{'' if entry.layers == 1 else 's'}"
            item = QTreeWidgetItem([entry.name])
            item.setData(0, BLOCK_ROLE, str(path))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            classes = sorted({node.class_name for node in entry.graph.nodes()})
            item.setToolTip(0, f"<b>{html.escape(entry.name)}</b> — {kind} · {layers}<br>"
                               f"{html.escape(', '.join(classes))}<br><i>Double-click or drag onto the canvas</i>")
            item.setStatusTip(0, f"{kind} · {layers}")
            rows.append((entry.name.lower(), item))
            self._block_items[entry.name] = item
            self._block_text[id(item)] = " ".join([entry.name, kind, "block", *classes]).lower()
        rows.sort(key=lambda row: row[0])
        if not rows:
            hint = QTreeWidgetItem([NO_BLOCKS_TEXT])
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            hint.setToolTip(0, NO_BLOCKS_TEXT)
            rows.append(("", hint))
        top.addChildren([item for _, item in rows])
        top.setExpanded(True)
        self.set_filter(self.search.text())
        again = next((item for _, item in rows if current and _block_path(item) == current), None)
        if again is not None:  # a re-list keeps the entry the user was on
            self.tree.setCurrentItem(again)

    def library_folder(self) -> Path:
        """The folder My Blocks lists."""
        return self._listed_folder or block_library_folder()

    def watched_paths(self) -> list[str]:
        """What the file watcher follows: the library folder and its block files (a file edited
        in place changes no folder entry), or while the folder does not exist yet its nearest
        existing parent (so the folder's creation is seen)."""
        return [*self._watcher.directories(), *self._watcher.files()]

    def _watch(self, folder: Path, files: list[Path]) -> None:
        target = folder
        while not target.is_dir() and target.parent != target:
            target = target.parent
        wanted = {str(target), *(str(path) for path in files)}
        watched = set(self.watched_paths())
        if watched - wanted:
            self._watcher.removePaths(sorted(watched - wanted))
        if wanted - watched:
            self._watcher.addPaths(sorted(wanted - watched))  # a path that vanished meanwhile is skipped

    def _folder_changed(self, _path: str) -> None:
        self._relist_timer.start()  # restarts: a burst of changes is one re-list

    def _relist(self) -> None:
        self.refresh_blocks()

    def _entry_name(self, path: str) -> str:
        """How the entry at ``path`` is called in messages: its block name, else its file name."""
        return next((name for name, item in self._block_items.items() if _block_path(item) == path),
                    Path(path).name)

    def rename_block_entry(self, path: str) -> Path | None:
        """"Rename…": ask for a new name; the file and the name inside it change. Returns the
        new file, None when cancelled or refused (the reason is shown)."""
        from app.core.block_library import rename_block
        from app.core.project import ProjectError

        name = self._entry_name(path)
        new, ok = QInputDialog.getText(self, "Rename Block", f"New name for the saved block {name!r}:",
                                       QLineEdit.EchoMode.Normal, name)
        if not ok or new.strip() == name:
            return None
        try:
            renamed = rename_block(self.library_folder(), Path(path).name, new)
        except (ProjectError, OSError) as error:
            self._plain_box(QMessageBox.Icon.Warning, "Rename Block", f"Could not rename {name!r}: {error}")
            return None
        finally:
            self.refresh_blocks()
        return renamed

    def _plain_box(self, icon: QMessageBox.Icon, title: str, text: str,
                   buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
                   default: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok) -> QMessageBox.StandardButton:
        """A modal message as plain text: a block's name comes from a file, maybe someone else's, and
        Qt would render one that looks like HTML as rich text."""
        box = QMessageBox(icon, title, text, buttons, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(default)
        try:
            return QMessageBox.StandardButton(box.exec())
        finally:
            box.deleteLater()

    def remove_block_entry(self, path: str) -> bool:
        """"Remove from My Blocks…": after a confirmation naming the block, its file is
        deleted. True when removed; a refusal is shown."""
        from app.core.block_library import remove_block
        from app.core.project import ProjectError

        name = self._entry_name(path)
        answer = self._plain_box(
            QMessageBox.Icon.Question, "Remove from My Blocks",
            f"Remove the block {name!r} from My Blocks? Its file {Path(path).name} is deleted "
            "(models that use it keep their copy).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            remove_block(self.library_folder(), Path(path).name)
        except (ProjectError, OSError) as error:
            self._plain_box(QMessageBox.Icon.Warning, "Remove from My Blocks", f"Could not remove {name!r}: {error}")
            return False
        finally:
            self.refresh_blocks()
        return True

    def block_names(self) -> list[str]:
        """The entries of My Blocks (unreadable files by file name), listed or not."""
        return list(self._block_items)

    def visible_block_names(self) -> list[str]:
        """My Blocks entries listed under the current search, in display order."""
        top = self._blocks_item
        if top.isHidden():
            return []
        shown = {id(item): name for name, item in self._block_items.items()}
        return [shown[id(top.child(i))] for i in range(top.childCount())
                if id(top.child(i)) in shown and not top.child(i).isHidden()]

    def block_item(self, name: str) -> QTreeWidgetItem | None:
        return self._block_items.get(name)

    # --- public -------------------------------------------------------------------------

    def set_document(self, document) -> None:
        """Follow ``document``'s lock: no adding while training runs."""
        follow_document(self._document, document, {"locked_changed": self._locked_changed})
        self._document = document
        if document is not None:
            self._locked_changed(document.locked)
        else:
            self._locked_changed(False)

    def set_filter(self, text: str) -> None:
        """Show only layers whose class name, title, category or summary contain every word."""
        if self.search.text() != text:
            self.search.setText(text)  # re-enters through textChanged
            return
        words = text.lower().split()
        first: QTreeWidgetItem | None = None
        blocks_shown = self._filter_blocks(words)
        for top in self._category_items.values():
            any_shown = False
            for index in range(top.childCount()):
                item = top.child(index)
                hay = self._search_text[item.data(0, CLASS_ROLE)]
                shown = all(w in hay for w in words)
                item.setHidden(not shown)
                if shown:
                    any_shown = True
                    first = first or item
            top.setHidden(not any_shown)
            if words and any_shown:
                top.setExpanded(True)
        self.empty_label.setVisible(first is None and not blocks_shown)
        if words and first is not None:
            self.tree.setCurrentItem(first)

    def _filter_blocks(self, words: list[str]) -> bool:
        """Filter My Blocks like the layers (name, kind, the layers' classes); True if any is listed.
        Without a search the section always shows (its hint too, when the library is empty)."""
        top = self._blocks_item
        any_shown = False
        for index in range(top.childCount()):
            item = top.child(index)
            hay = self._block_text.get(id(item), item.text(0).lower() if _block_path(item) else "")
            shown = not words or (bool(hay) and all(w in hay for w in words))
            item.setHidden(not shown)
            any_shown = any_shown or (shown and bool(_block_path(item)))
        top.setHidden(bool(words) and not any_shown)
        if words and any_shown:
            top.setExpanded(True)
        return bool(words) and any_shown

    def visible_class_names(self) -> list[str]:
        """Class names currently listed, in display order."""
        names = []
        for top in self._category_items.values():
            if top.isHidden():
                continue
            for index in range(top.childCount()):
                item = top.child(index)
                if not item.isHidden():
                    names.append(str(item.data(0, CLASS_ROLE)))
        return names

    def item_for(self, class_name: str) -> QTreeWidgetItem | None:
        return self._layer_items.get(class_name)

    def help_rect(self, class_name: str) -> QRect:
        """The "?" of a layer's entry in the tree's viewport coordinates (for tests and tours)."""
        item = self._layer_items[class_name]
        return self.tree.help_rect(item)

    # --- internals ------------------------------------------------------------------------

    def _chosen(self, class_name: str) -> None:
        if not self._locked:
            self.add_requested.emit(class_name)

    def _add_first_match(self) -> None:
        names = self.visible_class_names() if self.search.text().strip() else []
        if names:
            self._chosen(names[0])
            return
        blocks = self.visible_block_names() if self.search.text().strip() else []
        item = self._block_items.get(blocks[0]) if blocks else None
        path = _block_path(item)
        if item is not None and path and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._block_chosen(path)

    def _block_chosen(self, path: str) -> None:
        if not self._locked:
            self.block_requested.emit(path)

    def _locked_changed(self, locked: bool) -> None:
        """While training runs layers cannot be added, but the list and its "?" help stay usable."""
        self._locked = locked
        self.tree.setDragEnabled(not locked)
        self.setToolTip("Layers cannot be added while training runs; ? still explains them." if locked else "")

    def _help_for_search(self) -> str | None:
        """F1 in the search box: the current entry if it is listed, else the first match."""
        current = self.tree.current_class()
        if current:
            return current
        names = self.visible_class_names() if self.search.text().strip() else []
        return names[0] if names else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down arrow in the search box moves into the list, so the keyboard alone suffices;
        F1 there explains the highlighted (or first matching) layer."""
        if watched is self.search and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_F1:
            class_name = self._help_for_search()
            if event.type() == QEvent.Type.ShortcutOverride and class_name:
                event.accept()
                return True
            if event.type() == QEvent.Type.KeyPress and class_name:
                self.help_requested.emit(class_name)
                return True
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down:
            names = self.visible_class_names()
            if names:
                current = self.tree.currentItem()
                if current is None or current.isHidden() or not current.data(0, CLASS_ROLE):
                    self.tree.setCurrentItem(self._layer_items[names[0]])
                self.tree.setFocus()
                return True
        return super().eventFilter(watched, event)
