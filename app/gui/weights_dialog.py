"""File › Load Weights…: choose a weights file, load it in the background, apply it as one undo step.

Reading a 98 MiB ``.keras`` file and building the model takes seconds, so that part
(:meth:`Document.compute_loaded_weights`) runs on a plain thread (:class:`app.gui.jobs.Jobs`) on a
private copy of the model, while the window stays responsive: the status bar says what is loading
and the action is off until it ends. The answer is applied on the GUI thread
(:meth:`Document.apply_loaded_weights`), unless the model was edited meanwhile (the weights would
not fit: the user is told so and offered to load again) or a run has started (refused as edits are).

The report (what matched, what did not and why, with both shapes for a mismatch) opens in a
window-modal dialog that does not block the event loop, so the editor (and a test) carries on
while it is shown. A file that is not a weights file, or matches no layer, gets a message that
says so, never a traceback.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.gui.jobs import Jobs

if TYPE_CHECKING:
    from app.gui.document import Document, WeightsLoadSnapshot

FILE_FILTER = "Keras weights (*.weights.h5 *.keras *.h5);;All files (*)"
NOT_LOADED = "Weights not loaded"


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


class LoadAgainBox(QMessageBox):
    """The model changed while the weights loaded: say so, and offer to load the file again."""

    def __init__(self, path: Path, reason: str, parent: QWidget) -> None:
        super().__init__(QMessageBox.Icon.Information, NOT_LOADED, f"No weights were loaded from “{path.name}”.",
                         QMessageBox.StandardButton.NoButton, parent)
        self.setInformativeText(reason)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.load_again_button = self.addButton("Load Again", QMessageBox.ButtonRole.AcceptRole)
        self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.load_again_button)
        self.path = path


def choose_weights_file(parent: QWidget, start: Path | None) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Load Weights", str(start or Path.home()), FILE_FILTER)
    return Path(path) if path else None


def _reason(err: BaseException) -> str:
    from app.keras_bridge.weights_io import WeightsError

    return str(err) if isinstance(err, (WeightsError, PermissionError, OSError)) else f"{type(err).__name__}: {err}"


class WeightsLoad(QObject):
    """One load of a weights file into a window's document, its heavy part on a plain thread.

    ``finished(applied)`` comes on the GUI thread once the answer was handled: the weights applied
    and the report shown (True), or the user told why not (False). Start it with :meth:`start`.
    """

    finished = Signal(bool)

    def __init__(self, window: Any, document: Document, path: Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self._document = weakref.ref(document)  # a load never keeps a closed project alive
        self._jobs = Jobs(self)
        self._busy: QProgressBar | None = None
        self.done = False
        self.applied = False
        self.dialog: WeightsReportDialog | None = None

    def start(self) -> bool:
        """Copy what the load reads and start it; False (the user told why) when it cannot start."""
        document = self._document()
        if document is None:
            return False
        try:
            snapshot = document.weights_load_snapshot()
        except PermissionError as err:  # training runs
            self._refuse(_reason(err))
            return False
        path = self.path
        self._show_busy(True)
        compute = type(document).compute_loaded_weights  # the thread holds the copy, not the document
        self._jobs.start(lambda: compute(snapshot.project, path),
                         lambda value, error: self._answered(snapshot, value, error))
        return True

    def wait(self) -> bool:
        """Wait for the answer, the window processing events meanwhile (scripts, tests); True when applied."""
        if not self.done:
            loop = QEventLoop()
            self.finished.connect(loop.quit)
            loop.exec()
        return self.applied

    def _show_busy(self, busy: bool) -> None:
        window = self.window
        window.load_weights_action.setEnabled(not busy)
        bar = window.statusBar()
        if busy:
            text = f"Loading weights from {self.path.name}…"
            self._busy = QProgressBar()
            self._busy.setRange(0, 0)  # no steps to count: a busy indicator
            self._busy.setMaximumWidth(160)
            self._busy.setToolTip(f"{text} (the first load waits for TensorFlow); you can go on working")
            bar.addPermanentWidget(self._busy)
            bar.showMessage(text)
        elif self._busy is not None:
            bar.removeWidget(self._busy)
            self._busy.deleteLater()
            self._busy = None
            bar.clearMessage()

    def _answered(self, snapshot: WeightsLoadSnapshot, value: Any, error: BaseException | None) -> None:
        from app.gui.document import ModelChangedError

        self._show_busy(False)
        document = self._document()
        try:
            if not self.window.isVisible():
                pass  # the window was closed meanwhile: nothing to load into, nobody to tell
            elif document is None or document is not self.window.document:
                self.window.statusBar().showMessage(
                    f"Weights from {self.path.name} were not loaded: another project is open now", 10000)
            elif error is not None:
                self._refuse(_reason(error))
            else:
                weights, report = value
                try:
                    document.apply_loaded_weights(weights, self.path, snapshot)
                except ModelChangedError as err:
                    self._offer_again(str(err))
                except PermissionError as err:  # a run started meanwhile
                    self._refuse(_reason(err))
                else:
                    self.applied = True
                    self._show_report(document, report)
        finally:
            self.done = True
            self.finished.emit(self.applied)
            self.deleteLater()

    def _refuse(self, reason: str) -> None:
        self.window.notify(QMessageBox.Icon.Warning, NOT_LOADED, f"No weights were loaded from “{self.path.name}”.",
                           reason)

    def _offer_again(self, reason: str) -> None:
        box = LoadAgainBox(self.path, reason, self.window)
        window, path = self.window, self.path
        box.load_again_button.clicked.connect(lambda: window.start_loading_weights(path))
        box.open()

    def _show_report(self, document: Document, report: Any) -> None:
        path = self.path
        summary = (f"{len(report.matched)} layer(s) took their weights from {path.name}; every other layer kept "
                   f"the weights it had. Undo puts the previous weights back.\n{document.weights_text()}")
        self.window.statusBar().showMessage(document.weights_text(), 10000)
        self.dialog = WeightsReportDialog(path.name, summary, report.text(limit=1000), self.window)
        self.dialog.open()


def start_loading(window: Any, document: Document, path: Path) -> WeightsLoad | None:
    """Start loading ``path`` into ``document`` in the background; None (the user told why) when it
    cannot start. Its ``finished`` says when the answer was handled."""
    load = WeightsLoad(window, document, path)
    if load.start():
        return load
    load.deleteLater()
    return None


def load_weights(window: Any, document: Document, path: Path) -> WeightsReportDialog | None:
    """Load ``path`` into ``document``'s weights (one undo step) and open the report, waiting for the
    background load with the window processing events; on failure the user is told why, and None."""
    load = start_loading(window, document, path)
    return load.dialog if load is not None and load.wait() else None


__all__ = ["FILE_FILTER", "LoadAgainBox", "WeightsLoad", "WeightsReportDialog", "choose_weights_file",
           "load_weights", "start_loading"]
