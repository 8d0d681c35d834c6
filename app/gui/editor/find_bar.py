"""Find (Ctrl+F): a bar over the canvas that finds layers by name or class and jumps to them.

In a 1,000-layer network scrolling is no way to find ``conv4_block6_out``. The bar matches
the text (case-insensitive, anywhere) against each layer's name, its Keras class and its
palette title, shows "3 of 17", and Enter / Shift+Enter (or F3 / Shift+F3, or the arrows)
step through the matches in the graph's order. Each step selects the layer and centres it
(the view opens the blocks around it, see ``GraphView.reveal_node``). Esc closes the bar and
gives the focus back to the canvas. Finding is navigation: it works while training runs.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton

from app.core.catalog import get_spec
from app.core.graph import Graph
from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.view import GraphView

MARGIN = 10
"""Pixels between the bar and the viewport's top-right corner."""


def find_matches(graph: Graph, query: str) -> list[str]:
    """Ids of the nodes whose name, class or palette title contains ``query`` (any case), in the
    graph's order; nothing for an empty query."""
    needle = query.strip().casefold()
    if not needle:
        return []
    found = []
    for node in graph.nodes():
        spec = get_spec(node.class_name)
        title = spec.title if spec is not None else ""
        if any(needle in text.casefold() for text in (node.name, node.class_name, title)):
            found.append(node.id)
    return found


class FindBar(QFrame):
    """The find bar of one :class:`GraphView`, floating at the top right of its viewport."""

    current_changed = Signal(str)
    """The node id the bar jumped to."""

    def __init__(self, view: GraphView) -> None:
        super().__init__(view.viewport())
        self._view_ref = weakref.ref(view)
        """Weakly: a child widget holding its view strongly makes a reference cycle through Qt that
        PySide can crash on when the garbage collector frees it."""
        self._matches: list[str] = []
        self._index = -1
        self.setObjectName("find_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"#find_bar {{ background: {theme.MESSAGE_BACKGROUND}; border-radius: 6px; }}"
                           f"#find_bar QLabel {{ color: {theme.MESSAGE_TEXT}; }}")
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find a layer by name or type")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(220)
        self.count_label = QLabel("", self)
        self.count_label.setMinimumWidth(80)
        self.previous_button = self._button("▲", "Previous match (Shift+Enter, Shift+F3)", self.previous)
        self.next_button = self._button("▼", "Next match (Enter, F3)", self.next)
        self.close_button = self._button("✕", "Close (Esc)", self.close_bar)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.setSpacing(4)
        for widget in (self.field, self.count_label, self.previous_button, self.next_button, self.close_button):
            row.addWidget(widget)
        self.field.textChanged.connect(self._text_changed)
        self.field.installEventFilter(self)
        view.viewport().installEventFilter(self)
        self.hide()

    @property
    def _view(self) -> GraphView:
        view = self._view_ref()
        assert view is not None, "the view is gone"
        return view

    def _button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False: slot())  # type: ignore[operator]
        return button

    # --- opening and closing -----------------------------------------------------------------

    def open_bar(self) -> None:
        """Show the bar with its text selected, ready to type (Ctrl+F)."""
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        self._refresh()

    def close_bar(self) -> None:
        """Hide the bar; the canvas gets the focus back (the found layer stays selected)."""
        self.hide()
        self._view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _place(self) -> None:
        viewport = self._view.viewport().rect()
        self.move(QPoint(max(MARGIN, viewport.width() - self.width() - MARGIN), MARGIN))

    # --- matches ----------------------------------------------------------------------------------

    def matches(self) -> list[str]:
        return list(self._matches)

    def current(self) -> str | None:
        """The node id of the match shown now, or None."""
        return self._matches[self._index] if 0 <= self._index < len(self._matches) else None

    def count_text(self) -> str:
        return self.count_label.text()

    def set_text(self, text: str) -> None:
        self.field.setText(text)

    def _text_changed(self, _text: str) -> None:
        self._index = -1
        self._refresh()
        if self._matches:
            self._go(0)

    def _refresh(self) -> None:
        """Recompute the matches (the graph may have changed since) and keep the current one."""
        current = self.current()
        self._matches = find_matches(self._view.document.graph, self.field.text())
        self._index = self._matches.index(current) if current in self._matches else -1
        self._show_count()

    def next(self) -> None:
        self._step(+1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        self._refresh()
        if not self._matches:
            return
        if self._index < 0:
            self._go(0 if direction > 0 else len(self._matches) - 1)
        else:
            self._go((self._index + direction) % len(self._matches))

    def _go(self, index: int) -> None:
        self._index = index
        node_id = self._matches[index]
        self._show_count()
        self._view.reveal_node(node_id)
        self.current_changed.emit(node_id)

    def _show_count(self) -> None:
        if not self.field.text().strip():
            text = ""
        elif not self._matches:
            text = "No matches"
        elif self._index < 0:
            text = f"{len(self._matches)} found"
        else:
            text = f"{self._index + 1} of {len(self._matches)}"
        self.count_label.setText(text)
        self.previous_button.setEnabled(bool(self._matches))
        self.next_button.setEnabled(bool(self._matches))

    # --- keys ---------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._view_ref() is None:
            return False
        if watched is self._view.viewport():
            if event.type() == QEvent.Type.Resize and self.isVisible():
                self._place()
            return False
        if watched is self.field and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
                self.previous() if shift else self.next()
                return True
            if key == Qt.Key.Key_Down:
                self.next()
                return True
            if key == Qt.Key.Key_Up:
                self.previous()
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)
