"""The Lesson dock: an example project's title and description, read beside its model.

Every example in ``models/`` carries a description that explains what the model does and
what to watch for; opening the example shows it here, so the class reads the story while
looking at the graph. The description is rendered as Markdown. Links never navigate the
panel: web links open in the system browser, anything else (files, scripts) is ignored,
and no image or other resource is ever loaded from a path or URL the text names.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.gui.gallery import is_example
from app.gui.theme import TEXT_MUTED

EMPTY_TEXT = ("This project has no lesson text. The examples in models/ open with their description here; "
              "File > Open one of them to start a lesson.")
"""Shown when the project has no description."""

TITLE_SCALE = 1.35
SAFE_SCHEMES = frozenset({"http", "https"})
"""Link schemes handed to the system browser; every other link is ignored."""


class LessonBrowser(QTextBrowser):
    """A read-only Markdown view that never loads resources the text points at."""

    def loadResource(self, kind: int, name: QUrl) -> Any:
        """No images, style sheets or files from the description: a description is data, not a page."""
        return None


class LessonPanel(QWidget):
    """The open example's title, its description as Markdown, and which file it came from.

    ``set_project(name, description, path)`` shows a project; ``has_lesson()`` says whether
    it has a description (the window may show the dock only then). ``link_opened(QUrl)`` is
    emitted for a web link the user clicked (after handing it to the system browser).
    """

    link_opened = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._description = ""
        self._name = ""
        self._path: Path | None = None
        self.open_links_externally = True
        """Tests turn this off so that a click never starts a browser."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.title_label = QLabel(self)
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)
        self.source_label = QLabel(self)
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.source_label)
        self.browser = LessonBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setFrameShape(QFrame.Shape.NoFrame)
        self.browser.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.browser.anchorClicked.connect(self._link_clicked)
        layout.addWidget(self.browser, 1)
        self._apply_title_font()
        self.set_project("", "", None)

    # --- public -------------------------------------------------------------------------

    def set_project(self, name: str, description: str, path: str | Path | None) -> None:
        """Show a project's lesson: ``name`` as the title, ``description`` as Markdown, and
        ``path``, the example it comes from (None for the user's own projects), below it."""
        self._name = name or ""
        self._description = (description or "").strip()
        self._path = Path(path) if path is not None else None
        title = self._name or (self._path.stem if self._path else "")
        self.title_label.setText(title)
        self.title_label.setVisible(bool(title))
        if self._path is not None:
            self.source_label.setText(f"<span style='color: {TEXT_MUTED};'>From the example: "
                                      f"<b>{html.escape(self._path.name)}</b></span>")
            self.source_label.setToolTip(str(self._path))
            self.source_label.show()
        else:
            self.source_label.clear()
            self.source_label.setToolTip("")
            self.source_label.hide()
        if self._description:
            self.browser.setMarkdown(self._description)
        else:
            self.browser.setHtml(f"<p style='color: {TEXT_MUTED};'>{html.escape(EMPTY_TEXT)}</p>")

    def set_document(self, document: Any) -> None:
        """Convenience: the lesson of a document's project (name, description, file), or empty for None."""
        if document is None:
            self.set_project("", "", None)
        else:
            example = getattr(document, "example", None)
            if example is None and document.path is not None and is_example(document.path):
                example = document.path
            self.set_project(document.project.name, document.project.description, example)

    def has_lesson(self) -> bool:
        """True when the project has a description to read."""
        return bool(self._description)

    def title(self) -> str:
        return self.title_label.text()

    def text(self) -> str:
        """What the panel shows, as plain text (title, source line, description)."""
        head = [t for t in (self.title_label.text(), self.source_label.text()) if t]
        return "\n".join([*(_strip_tags(t) for t in head), self.browser.toPlainText()])

    def description(self) -> str:
        return self._description

    def path(self) -> Path | None:
        return self._path

    # --- internals ------------------------------------------------------------------------

    def _link_clicked(self, url: QUrl) -> None:
        """Web links go to the system browser; the panel itself never navigates."""
        if url.scheme().lower() not in SAFE_SCHEMES:
            return
        if self.open_links_externally:
            QDesktopServices.openUrl(url)
        self.link_opened.emit(url)

    def _apply_title_font(self) -> None:
        font = self.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * TITLE_SCALE)
        else:
            font.setPixelSize(round(font.pixelSize() * TITLE_SCALE))
        font.setBold(True)
        self.title_label.setFont(font)

    def changeEvent(self, event: QEvent) -> None:
        """Presenter mode's larger font rescales the title with it."""
        if event.type() == QEvent.Type.FontChange:
            self._apply_title_font()
        super().changeEvent(event)


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))
