"""What a GUI test sees of the desktop: the ``file:`` URLs the app asks QDesktopServices to open
(a log folder in the file manager), caught through Qt's own URL-handler hook instead of
starting the user's file manager."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices


class FileOpener(QObject):
    """Takes the desktop's ``file:`` URLs for the test (Qt's own hook: QDesktopServices.setUrlHandler)."""

    opened = Signal(QUrl)

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.emit(url)


@contextmanager
def file_urls_caught() -> Iterator[FileOpener]:
    """Within the block, every ``file:`` URL the app opens goes to the opener's ``opened`` signal."""
    opener = FileOpener()
    QDesktopServices.setUrlHandler("file", opener, "open")
    try:
        yield opener
    finally:
        QDesktopServices.unsetUrlHandler("file")


def opened_path(qtbot: Any, trigger: Callable[[], object]) -> Path:
    """The local path that ``trigger()`` opens on the desktop (the test fails if nothing is opened
    within two seconds)."""
    with file_urls_caught() as opener, qtbot.waitSignal(opener.opened, timeout=2000) as opened:
        trigger()
    return Path(opened.args[0].toLocalFile())
