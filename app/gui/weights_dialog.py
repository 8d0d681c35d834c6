"""File › Load Weights…: choose a weights file, load it into the model as one undo step, show the report.

The report (what matched, what did not and why, with both shapes for a mismatch) opens in a
window-modal dialog that does not block the event loop, so the editor (and a test) carries on
while it is shown. A file that is not a weights file, or matches no layer, gets a message that
says so, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.gui.document import Document

FILE_FILTER = "Keras weights (*.weights.h5 *.keras *.h5);;All files (*)"


class WeightsReportDialog(QDialog):
    """The report of one load: a summary line, then every line of the report, selectable."""

    def __init__(self, file: str, summary: str, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Weights loaded from {file}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setMinimumSize(560, 220)
        layout.addWidget(self.report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


def choose_weights_file(parent: QWidget, start: Path | None) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Load Weights", str(start or Path.home()), FILE_FILTER)
    return Path(path) if path else None


def load_weights(window: Any, document: Document, path: Path) -> WeightsReportDialog | None:
    """Load ``path`` into ``document``'s weights (one undo step) and open the report; on failure
    tell the user why through ``window.notify`` and return None."""
    from app.keras_bridge.weights_io import WeightsError

    window.statusBar().showMessage(f"Loading weights from {path.name}… (the first load waits for TensorFlow)")
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        report = document.load_weights(path)
    except Exception as err:  # a refused file, a locked document, Keras' own refusal: a message, never a traceback
        QApplication.restoreOverrideCursor()
        window.statusBar().clearMessage()
        reason = str(err) if isinstance(err, (WeightsError, PermissionError, OSError)) else \
            f"{type(err).__name__}: {err}"
        window.notify(QMessageBox.Icon.Warning, "Weights not loaded", f"No weights were loaded from “{path.name}”.",
                      reason)
        return None
    QApplication.restoreOverrideCursor()
    summary = (f"{len(report.matched)} layer(s) took their weights from {path.name}; every other layer kept "
               f"the weights it had. Undo puts the previous weights back.\n{document.weights_text()}")
    window.statusBar().showMessage(document.weights_text(), 10000)
    dialog = WeightsReportDialog(path.name, summary, report.text(limit=1000), window)
    dialog.open()
    return dialog


__all__ = ["FILE_FILTER", "WeightsReportDialog", "choose_weights_file", "load_weights"]
