"""One set-up for GUI tests that need a canvas or the main window on screen: a shown
:class:`GraphView` once its first fit is over, a laid-out residual chain to show, and a
:class:`MainWindow` whose modal prompts answer themselves (so a test never blocks on a dialog)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.project import Project
from app.gui.document import Document
from app.gui.editor.view import GraphView
from tests.unit.test_layout import residual_chain

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def open_view(qtbot: Any, document: Document, size: tuple[int, int] = (1000, 700), *,
              zoom_one: bool = False) -> GraphView:
    """A ``size`` view of ``document`` on screen, after its first show has fitted the model in
    view (the fit comes later than ``show``, and would undo what a test does before it);
    ``zoom_one`` then sets the zoom back to 1."""
    view = GraphView(document)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view._fit_pending)
    if zoom_one:
        view.resetTransform()
    return view


def residual_document(blocks: int) -> tuple[Document, list[tuple[str, str, str]]]:
    """``blocks`` residual blocks (``tests.unit.test_layout.residual_chain``) laid out, with an
    empty undo stack; also each block's (input, branch end, add) node ids."""
    graph, triples = residual_chain(blocks)
    document = Document(Project(graph=graph))
    document.auto_layout()
    document.undo_stack.clear()
    return document, triples


def shown_window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: Document,
                 size: tuple[int, int] | None = None, *, answer_prompts: bool = True) -> MainWindow:
    """A main window on ``document``, shown, with settings, library and autosave under
    ``tmp_path`` (never the user's). ``answer_prompts``: ``notify`` shows nothing but keeps
    (title, text, details) in ``window.messages``, and ``ask_unsaved`` answers Discard, so no
    modal dialog can stop the test. The test closes it."""
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    messages: list[tuple[str, str, str]] = []
    if answer_prompts:
        monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="":
                            messages.append((title, text, details)))
        monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    window = MainWindow(document, autosave_directory=tmp_path / "autosave")
    window.messages = messages  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window
