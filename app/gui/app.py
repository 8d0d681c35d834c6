"""Start the editor: the window first, TensorFlow in the background, recovery after a crash.

:func:`run_gui` is what ``layerforge`` and ``layerforge FILE`` call. The pieces are
separate functions so the start-up benchmark and the tests run the same path without
entering the event loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.core.project import ProjectError
from app.gui import autosave
from app.gui.background import BackgroundImporter, shared_importer
from app.gui.document import Document
from app.gui.gallery import default_example, open_copy
from app.gui.main_window import MainWindow, window_settings
from app.gui.recent import RecentFiles

_windows: list[MainWindow] = []
"""Windows opened by the app; kept here so Python never collects one that is still open."""
_importer: BackgroundImporter | None = None
"""The background Keras import every window's status bar follows (set by run_gui)."""


def display_problem() -> str | None:
    """Why no window could appear (Linux without a display), or None; Qt would abort instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("layerforge: no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run it in a desktop session, "
            "or use the command-line tools: layerforge --help")


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists), named so settings and dialogs say Layerforge."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Qt 6 scales for high-DPI screens by itself; pass fractional factors (150 %) through unrounded.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Layerforge")
    app.setOrganizationName("Layerforge")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("layerforge")
    return app


def windows() -> list[MainWindow]:
    """The app's open windows."""
    return list(_windows)


def _forget(window: MainWindow) -> None:
    if window in _windows:
        _windows.remove(window)


def new_window(document: Document | None = None) -> MainWindow:
    """A shown window the app keeps track of (deleted when closed)."""
    window = MainWindow(document, settings=window_settings())
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.destroyed.connect(lambda _obj=None, w=window: _forget(w))
    _windows.append(window)
    if _importer is not None:
        window.watch_importer(_importer)
    window.show()
    return window


def recover(orphans: list[autosave.Orphan]) -> list[MainWindow]:
    """Ask about work left by a crash; open a window per recovered project."""
    if not orphans:
        return []
    choice = autosave.ask_recovery(None, orphans)
    if choice != autosave.RECOVER:
        for orphan in orphans:
            if choice == autosave.DISCARD:
                orphan.discard()
            else:
                orphan.release()  # "later": offered again next time
        return []
    recovered = []
    for orphan in orphans:
        try:
            document = orphan.load()
        except ProjectError as err:
            orphan.set_aside()
            QMessageBox.warning(None, "Recovery failed", f"The autosave of “{orphan.name}” could not be read.\n\n{err}")
            continue
        window = new_window(document)
        window.autosaver.write()  # the recovered work is safe under this window's slot before the old one goes
        orphan.discard()
        window.statusBar().showMessage(f"Recovered “{orphan.name}”; save it to keep it.", 15000)
        recovered.append(window)
    return recovered


def last_project() -> Path | None:
    """The project file the user had open last (the newest existing .json in the recent list)."""
    for recent in RecentFiles().files():
        if recent.suffix.lower() == ".json" and recent.is_file():
            return recent
    return None


def open_windows(path: str | os.PathLike[str] | None = None) -> list[MainWindow]:
    """The windows a start shows: recovered work first, then ``path``, else the last project the
    user worked on, else (a first start) the default example."""
    opened = recover(autosave.find_orphans())
    if path is None and not opened:
        path = last_project()
        if path is not None:
            window = new_window()
            if window.open_path(path):
                return [window]
            window.close()
            path = None
    if path is not None:
        window = new_window()
        window.open_path(Path(path))
        opened.append(window)
    elif not opened:
        try:
            document = open_copy(default_example())
        except ProjectError:
            document = None  # no examples installed: start empty rather than not at all
        opened.append(new_window(document))
    return opened


def start_after_first_paint(window: MainWindow, callback: Callable[[], object], fallback_ms: int = 1500) -> None:
    """Run ``callback`` once the window has painted (or after ``fallback_ms`` if it never does)."""

    class _FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self.done = False

        def fire(self) -> None:
            if not self.done:
                self.done = True
                window.removeEventFilter(self)
                QTimer.singleShot(0, callback)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() in (QEvent.Type.Paint, QEvent.Type.UpdateRequest, QEvent.Type.Expose):
                self.fire()
            return False

    watcher = _FirstPaint()
    window.installEventFilter(watcher)
    QTimer.singleShot(fallback_ms, watcher, watcher.fire)


class ErrorHandler:
    """``sys.excepthook`` for the GUI: autosave every window, say what failed, keep running.

    PySide reports an exception raised in a slot through ``sys.excepthook`` and carries on,
    so one bug in a panel costs the user a message box, never their model.
    """

    def __init__(self) -> None:
        self.showing = False
        self.previous = sys.excepthook

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self.previous(exc_type, exc, tb)
            return
        traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
        saved = 0
        for window in windows():
            with contextlib.suppress(Exception):
                saved += bool(window.autosaver.write())
        if self.showing:  # an error while the message is up: printed above, not stacked
            return
        self.showing = True
        try:
            parent = QApplication.activeWindow()
            QMessageBox.critical(parent, "Something went wrong",
                                 f"{exc_type.__name__}: {exc}\n\n"
                                 + ("Your unsaved work was autosaved. " if saved else "")
                                 + "You can keep working; details were printed to the terminal.")
        finally:
            self.showing = False


def _quit_on_sigint(app: QApplication) -> None:
    """Ctrl+C in the terminal closes the windows (each still asks about unsaved changes)."""
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, QApplication.closeAllWindows))
    # Python runs signal handlers only between bytecodes; a idle timer gives it the chance.
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)


def run_gui(path: str | os.PathLike[str] | None = None) -> int:
    """Open the editor on ``path`` (or the default example) and run until the last window closes."""
    from app.gui.qt_preflight import xcb_problem

    problem = display_problem() or xcb_problem()  # Qt would abort the process instead of saying why
    if problem:
        print(problem, file=sys.stderr)
        return 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = create_application()
    sys.excepthook = ErrorHandler()
    _quit_on_sigint(app)
    global _importer
    importer = _importer = shared_importer()
    opened = open_windows(path)
    if opened:
        start_after_first_paint(opened[-1], importer.start)
    else:
        importer.start()
    return app.exec()
