"""Autosave and crash recovery: unsaved work survives a crash, a power cut or a killed app.

Each window owns an :class:`Autosaver` with its own *slot* in the autosave folder
(:func:`autosave_dir`): ``<slot>.project.json`` (the project, written atomically by
:func:`app.core.project.save_project`), ``<slot>.marker.json`` (the original path and name)
and ``<slot>.lock``, a :class:`QLockFile` held while the window lives. A clean exit, a
save or a discard removes the slot. A slot whose lock can be taken at start-up belongs to
a process that died (QLockFile sees the dead PID), so it is offered for recovery; slots
of other running Layerforge windows stay locked and are left alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.project import ProjectError, load_project, save_project
from app.gui.document import Document
from app.gui.recent import data_dir, write_text_atomic

AUTOSAVE_INTERVAL_MS = 60_000
MARKER_FORMAT = "layerforge-autosave"
PROJECT_SUFFIX = ".project.json"
MARKER_SUFFIX = ".marker.json"
LOCK_SUFFIX = ".lock"


def autosave_dir() -> Path:
    """The autosave folder (under the user data folder, or ``$LAYERFORGE_HOME/data``)."""
    return data_dir() / "autosave"


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


class Autosaver(QObject):
    """Writes its document to its slot every ``interval_ms`` while it has unsaved changes."""

    saved = Signal(object)
    """Path of the autosave file just written."""
    failed = Signal(str)
    """Why an autosave could not be written (the window shows it; work goes on)."""

    def __init__(self, document: Document, interval_ms: int = AUTOSAVE_INTERVAL_MS,
                 directory: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.directory = Path(directory) if directory is not None else autosave_dir()
        self.slot = uuid.uuid4().hex
        self.project_file = self.directory / f"{self.slot}{PROJECT_SUFFIX}"
        self.marker_file = self.directory / f"{self.slot}{MARKER_SUFFIX}"
        self._lock = QLockFile(str(self.directory / f"{self.slot}{LOCK_SUFFIX}"))
        self._document: Document | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.write)
        self.timer.start()
        self.set_document(document)

    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document) -> None:
        """Follow another document; the previous one's autosave is dropped (it was saved or discarded)."""
        if self._document is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._document.dirty_changed.disconnect(self._dirty_changed)
        self.discard()
        self._document = document
        document.dirty_changed.connect(self._dirty_changed)

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty:  # saved, or undone back to the saved state: the file on disk has it all
            self.discard()

    def write(self) -> bool:
        """Autosave now if there are unsaved changes; True when a file was written."""
        document = self._document
        if document is None or not document.dirty:
            return False
        project = document.project
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._lock.isLocked():
                self._lock.tryLock(0)
            # A copy, because save_project records the path it wrote on the project it is given.
            save_project(dataclasses.replace(project), self.project_file)
            marker = {"format": MARKER_FORMAT, "version": 1, "name": project.name,
                      "original": str(project.path) if project.path else None, "saved_at": time.time()}
            write_text_atomic(self.marker_file, json.dumps(marker, indent=2, ensure_ascii=False) + "\n")
        except (ProjectError, OSError) as err:
            self.failed.emit(f"Autosave failed: {err}")
            return False
        self.saved.emit(self.project_file)
        return True

    def discard(self) -> None:
        """Remove this slot's files (the work is saved or deliberately thrown away)."""
        _remove(self.marker_file, self.project_file)
        if self._lock.isLocked():
            self._lock.unlock()

    def shutdown(self) -> None:
        """Clean exit of the window: stop the timer and leave nothing to recover."""
        self.timer.stop()
        self.discard()


@dataclass
class Orphan:
    """An autosave left by a process that ended without cleaning up: work to recover.

    Holds the slot's lock while it exists, so two Layerforge windows starting together
    never both recover it.
    """

    slot: str
    project_file: Path
    marker_file: Path
    name: str
    original: Path | None
    saved_at: float
    lock: QLockFile

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at)) if self.saved_at else "unknown time"
        where = str(self.original) if self.original else "never saved"
        return f"{self.name} ({where}), autosaved {when}"

    def load(self) -> Document:
        """The recovered document: marked unsaved, saving to its original file. Raises ProjectError."""
        project = load_project(self.project_file)
        project.path = self.original
        document = Document(project)
        document.undo_stack.resetClean()
        return document

    def discard(self) -> None:
        _remove(self.marker_file, self.project_file)
        self.release()

    def set_aside(self) -> None:
        """Keep an unreadable autosave on disk for a person to look at, but stop offering it."""
        with contextlib.suppress(OSError):
            self.project_file.replace(self.project_file.with_name(f"{self.slot}.unreadable.json"))
        self.discard()

    def release(self) -> None:
        """Leave the files for the next start."""
        if self.lock.isLocked():
            self.lock.unlock()


def _read_marker(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == MARKER_FORMAT else {}


def find_orphans(directory: Path | None = None) -> list[Orphan]:
    """Autosaves whose window is gone (crash), newest first; each comes locked for the caller."""
    folder = Path(directory) if directory is not None else autosave_dir()
    if not folder.is_dir():
        return []
    orphans: list[Orphan] = []
    for marker_file in folder.glob(f"*{MARKER_SUFFIX}"):
        slot = marker_file.name[: -len(MARKER_SUFFIX)]
        project_file = folder / f"{slot}{PROJECT_SUFFIX}"
        lock = QLockFile(str(folder / f"{slot}{LOCK_SUFFIX}"))
        lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
        if not lock.tryLock(0):
            continue  # another running window owns it
        if not project_file.is_file():
            _remove(marker_file)
            lock.unlock()
            continue
        marker = _read_marker(marker_file)
        original = marker.get("original")
        saved_at = marker.get("saved_at")
        orphans.append(Orphan(
            slot=slot,
            project_file=project_file,
            marker_file=marker_file,
            name=str(marker.get("name") or "Untitled"),
            original=Path(original) if isinstance(original, str) and original else None,
            saved_at=float(saved_at) if isinstance(saved_at, (int, float)) else project_file.stat().st_mtime,
            lock=lock,
        ))
    orphans.sort(key=lambda o: o.saved_at, reverse=True)
    return orphans


RECOVER, DISCARD, LATER = "recover", "discard", "later"


def ask_recovery(parent: QWidget | None, orphans: list[Orphan]) -> str:
    """Ask what to do with work left by a crash: :data:`RECOVER`, :data:`DISCARD` or :data:`LATER`."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Recover unsaved work")
    count = len(orphans)
    box.setText("Layerforge did not close properly last time."
                if count == 1 else f"Layerforge did not close properly; {count} models have unsaved work.")
    box.setInformativeText("Recover the autosaved work?\n\n" + "\n".join(f"• {o.describe()}" for o in orphans))
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Decide Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is recover:
        return RECOVER
    return DISCARD if clicked is discard else LATER
