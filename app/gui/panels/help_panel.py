"""The Help dock: what a layer does, and the actual numbers of one node on the canvas.

Text comes from :mod:`app.core.explain` (the catalog's teaching text plus sentences with
the node's shapes, parameters, cost and memory), so the panel holds no teaching content
of its own. While it shows a node it follows that node's document: an edit updates the
numbers, deleting the node says so (and an undo brings it back), and another document
clears the panel, so it never shows numbers that belong to a model that is gone.

Everything is rich text in one selectable, scrollable browser that wraps at the dock's
width. Sizes are relative to the widget font, so presenter mode can enlarge it all with
``setFont``.
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.core.explain import Explanation, explain_layer, explain_node
from app.gui.document import Document, follow_document
from app.gui.theme import FALLBACK_COLOR, TEXT_MUTED, TEXT_SECONDARY, category_color, mix

EMPTY_HINT = "Click ? on a layer, or press F1, to read what it does."
"""What the panel says before anything is chosen."""

PALETTE_NOTE = "Add it to the canvas to see its numbers: its shapes, parameters, cost and memory."
"""Shown instead of the node's numbers for a palette entry."""

TITLE_SCALE = 1.35
"""The title is this much larger than the panel's font (follows presenter mode)."""


def _section(label: str, body: str) -> str:
    return (f"<p style='margin-top: 10px; margin-bottom: 2px; color: {TEXT_SECONDARY};'><b>{label}</b></p>"
            f"{body}")


def _formula_html(formula: str) -> str:
    """A formula in the system's fixed-width font on a light panel; it still wraps (pre-wrap)."""
    family = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    return ("<table width='100%' cellspacing='0' cellpadding='6' style='background-color: #F1F3F6;'><tr><td>"
            f"<span style=\"font-family: '{html.escape(family)}', monospace; white-space: pre-wrap;\">"
            f"{html.escape(formula)}</span></td></tr></table>")


def explanation_html(explanation: Explanation, *, for_node: bool) -> str:
    """The body of the panel (everything but the title) as rich text."""
    parts = [f"<p style='margin-top: 0px;'>{html.escape(explanation.summary)}</p>"]
    if explanation.formula:
        parts.append(_section("Formula", _formula_html(explanation.formula)))
    if explanation.shape_text:
        parts.append(_section("Shape", f"<p style='margin-top: 0px;'>{html.escape(explanation.shape_text)}</p>"))
    if for_node:
        items = "".join(f"<li style='margin-bottom: 4px;'>{html.escape(n)}</li>" for n in explanation.numbers)
        parts.append(_section("This node", f"<ul style='margin-top: 0px; margin-left: -20px;'>{items}</ul>"))
    elif explanation.category:
        parts.append(_section("This node", f"<p style='margin-top: 0px; color: {TEXT_MUTED};'><i>"
                                           f"{html.escape(PALETTE_NOTE)}</i></p>"))
    if explanation.use:
        parts.append(_section("Typical use", f"<p style='margin-top: 0px;'>{html.escape(explanation.use)}</p>"))
    if explanation.mistake:
        parts.append(_section("Common mistake",
                              f"<p style='margin-top: 0px;'>{html.escape(explanation.mistake)}</p>"))
    return "".join(parts)


class HelpPanel(QWidget):
    """A layer's teaching text; for a node also its numbers, kept up to date with the document.

    ``show_node(document, node_id)`` for a node on the canvas, ``show_layer(class_name)``
    for a palette entry, ``clear()`` for the empty hint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._node_id: str | None = None
        self._node_name: str | None = None
        self._class_name: str | None = None
        self._body_html = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.header = QFrame(self)
        self.header.setObjectName("helpHeader")
        header_layout = QVBoxLayout(self.header)
        header_layout.setContentsMargins(10, 4, 4, 4)
        header_layout.setSpacing(0)
        self.title_label = QLabel(self.header)
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.category_label = QLabel(self.header)
        self.category_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header_layout.addWidget(self.title_label)
        header_layout.addWidget(self.category_label)
        layout.addWidget(self.header)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setFrameShape(QFrame.Shape.NoFrame)
        self.browser.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.browser.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.browser, 1)
        self._apply_title_font()
        self.clear()

    # --- public -------------------------------------------------------------------------

    def show_node(self, document: Document, node_id: str) -> None:
        """Explain a node of ``document``; its numbers follow later edits of that document."""
        self._follow(document)
        self._node_id = node_id
        self._node_name = None
        self._class_name = None
        self._render_node()

    def show_layer(self, class_name: str) -> None:
        """Explain a palette entry: the teaching text, no numbers (there is no node yet)."""
        self._node_id = None
        self._class_name = class_name
        explanation = explain_layer(class_name)
        self._show(explanation.title, explanation.category, explanation_html(explanation, for_node=False))

    def clear(self) -> None:
        """Back to the empty hint (nothing chosen)."""
        self._node_id = None
        self._class_name = None
        self._set_header("", "")
        self.header.hide()
        self._set_body(f"<p align='center' style='margin-top: 24px; color: {TEXT_MUTED};'>"
                       f"{html.escape(EMPTY_HINT)}</p>")

    def set_document(self, document: Document | None) -> None:
        """The window's document changed: numbers of the old one must not stay on screen."""
        if document is self._document:
            return
        self._follow(document)
        if self._node_id is not None:
            self.clear()

    def title(self) -> str:
        """The heading shown ("" in the empty state)."""
        return self.title_label.text()

    def text(self) -> str:
        """Everything shown, as plain text (title, category and body)."""
        head = [t for t in (self.title_label.text(), self.category_label.text()) if t]
        return "\n".join([*head, self.browser.toPlainText()])

    def node_id(self) -> str | None:
        """The node shown, or None (empty, or a palette entry)."""
        return self._node_id

    def class_name(self) -> str | None:
        """The palette entry shown, or None."""
        return self._class_name

    def document(self) -> Document | None:
        return self._document

    # --- internals ------------------------------------------------------------------------

    def _follow(self, document: Document | None) -> None:
        if document is self._document:
            return
        follow_document(self._document, document, {"analysis_changed": self._analysis_changed})
        if document is not None:
            document.destroyed.connect(self._document_destroyed)
        if self._document is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._document.destroyed.disconnect(self._document_destroyed)
        self._document = document

    def _document_destroyed(self, *_args: Any) -> None:
        self._document = None
        if self._node_id is not None:
            self.clear()

    def _analysis_changed(self, _analysis: Any) -> None:
        if self._node_id is not None:
            self._render_node()

    def _render_node(self) -> None:
        document, node_id = self._document, self._node_id
        if document is None or node_id is None:
            return
        if node_id not in document.graph:
            name = self._node_name or "This layer"
            self._set_header(f"{name} (removed)", "")
            self.header.setStyleSheet(self._header_style(FALLBACK_COLOR))
            self.header.show()
            self._set_body(f"<p>{html.escape(name)} was removed from the model, so it has no numbers any more. "
                           "Undo (Ctrl+Z) brings it back.</p>"
                           f"<p style='color: {TEXT_MUTED};'>{html.escape(EMPTY_HINT)}</p>")
            return
        self._node_name = document.graph.node(node_id).name
        explanation = explain_node(document.graph, node_id, document.analysis)
        self._show(explanation.title, explanation.category, explanation_html(explanation, for_node=True))

    def _show(self, title: str, category: str, body: str) -> None:
        self._set_header(title, category)
        self.header.setStyleSheet(self._header_style(category_color(category).name()))
        self.header.show()
        self._set_body(body)

    def _set_header(self, title: str, category: str) -> None:
        if self.title_label.text() != title:
            self.title_label.setText(title)
        self.category_label.setText(category)
        self.category_label.setVisible(bool(category))

    def _header_style(self, accent: str) -> str:
        """A coloured stripe on the left (the node's category colour) on a light tint of it."""
        tint = mix(QColor(accent), QColor("#FFFFFF"), 0.12).name()
        return (f"QFrame#helpHeader {{ border-left: 5px solid {accent}; background-color: {tint}; "
                f"border-radius: 2px; }} QFrame#helpHeader QLabel {{ background: transparent; }}")

    def _set_body(self, body: str) -> None:
        """Replace the body only when it changed, keeping the reader's scroll position."""
        if body == self._body_html:
            return
        scroll = self.browser.verticalScrollBar()
        position = scroll.value()
        self._body_html = body
        self.browser.setHtml(body)
        scroll.setValue(min(position, scroll.maximum()))

    def _apply_title_font(self) -> None:
        font = self.font()
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * TITLE_SCALE)
        else:
            font.setPixelSize(round(font.pixelSize() * TITLE_SCALE))
        font.setBold(True)
        self.title_label.setFont(font)
        small = self.font()
        small.setItalic(True)
        self.category_label.setFont(small)

    def changeEvent(self, event: QEvent) -> None:
        """A new widget font (presenter mode) rescales the title with it."""
        if event.type() == QEvent.Type.FontChange:
            self._apply_title_font()
        super().changeEvent(event)
