"""Autosave and crash recovery: unsaved work survives a crash, a power cut or a killed app.

Each window owns an :class:`Autosaver` with its own *slot* in the autosave folder
(:func:`autosave_dir`): ``<slot>.project.json`` (the project, written atomically by
:func:`app.core.project.save_project`), ``<slot>.weights.h5`` (the model's weights, in the
project sidecar's format, when it has any), ``<slot>.marker.json`` (the original path and name)
and ``<slot>.lock``, a :class:`QLockFile` held while the window lives. The weights can be large,
so they are written only when they changed since the last autosave wrote them (an identity
check: :class:`app.core.weights.ModelWeights` is immutable), never on every edit. A clean exit, a
save or a discard removes the slot. A slot whose lock can be taken at start-up belongs to
a process that died (QLockFile sees the dead PID), so it is offered for recovery; slots
of other running Layerforge windows stay locked and are left alone.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.project import ProjectError, dumps, load_project, weights_entry
from app.gui import gc_guard
from app.gui.document import Document
from app.gui.recent import data_dir, write_text_atomic

AUTOSAVE_INTERVAL_MS = 60_000
"""The backstop: a dirty document is written at least this often."""
AUTOSAVE_DELAY_MS = 3_000
"""An edit is written this long after the last one (each new edit restarts the wait)."""
MARKER_FORMAT = "layerforge-autosave"
PROJECT_SUFFIX = ".project.json"
MARKER_SUFFIX = ".marker.json"
WEIGHTS_SUFFIX = ".weights.h5"
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

    _written = Signal(object, str)
    """From the writer thread: (path or None, error text); delivered queued to the GUI thread."""

    def __init__(self, document: Document, interval_ms: int = AUTOSAVE_INTERVAL_MS,
                 directory: Path | None = None, parent: QObject | None = None,
                 delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self.directory = Path(directory) if directory is not None else autosave_dir()
        self.slot = uuid.uuid4().hex
        self.project_file = self.directory / f"{self.slot}{PROJECT_SUFFIX}"
        self.marker_file = self.directory / f"{self.slot}{MARKER_SUFFIX}"
        self.weights_file = self.directory / f"{self.slot}{WEIGHTS_SUFFIX}"
        self._weights_written: tuple[Any, str] | None = None
        """(weights, token) the slot's weights file holds (set once written, under the files lock)."""
        self._lock = QLockFile(str(self.directory / f"{self.slot}{LOCK_SUFFIX}"))
        self._document: Document | None = None
        self._files_lock = threading.Lock()
        self._generation = 0
        self._sequence = 0  # of queued writes: an older write never lands over a newer one
        self._written_sequence = 0
        self._pending: threading.Thread | None = None
        self._closed = False
        self._written.connect(self._report)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.write_soon)
        self.timer.start()
        self.debounce = QTimer(self)
        """Restarted by every edit; when it fires the document is written in the background."""
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(delay_ms)
        self.debounce.timeout.connect(self.write_soon)
        self.set_document(document)

    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document) -> None:
        """Follow another document; the previous one's autosave is dropped (it was saved or discarded)."""
        if self._document is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._document.dirty_changed.disconnect(self._dirty_changed)
            for signal in self._edit_signals(self._document):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(self._edited)
        self.discard()
        self._document = document
        document.dirty_changed.connect(self._dirty_changed)
        for signal in self._edit_signals(document):
            signal.connect(self._edited)

    @staticmethod
    def _edit_signals(document: Document) -> list[Any]:
        """What follows every edit, undo and redo: the graph's re-analysis, settings and runs.

        (Not the undo stack's own signals: it emits them from its destructor too.)"""
        return [document.analysis_changed, document.settings_changed, document.runs_changed,
                document.weights_changed]

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty:  # saved, or undone back to the saved state: the file on disk has it all
            self.debounce.stop()
            self.discard()

    def _edited(self, *_args: object) -> None:
        """Every edit, undo or redo restarts the short wait (see the module docstring)."""
        if not self._closed:
            self.debounce.start()

    def _texts(self) -> _Snapshot | None:
        """The project file and marker texts for the current state (and the weights to write, when
        they changed since the slot's weights file was written), or None when clean. GUI thread."""
        document = self._document
        try:
            if document is None or not document.dirty:
                return None
        except RuntimeError:  # the document was deleted under a pending timer
            return None
        project = document.project
        marker = {"format": MARKER_FORMAT, "version": 1, "name": project.name,
                  "original": str(project.path) if project.path else None, "saved_at": time.time()}
        weights, job = project.weights, None
        with self._files_lock:
            written = self._weights_written
        if not weights:
            meta = None
        elif written is not None and written[0] is weights:
            meta = weights_entry(project, self.weights_file.name, written[1])
        else:
            token = uuid.uuid4().hex
            meta = weights_entry(project, self.weights_file.name, token)
            job = (weights, project.graph.copy(), token)  # a copy: the graph changes on this thread meanwhile
        kept_meta = project.weights_meta
        project.weights_meta = meta
        try:
            text = dumps(project, self.project_file)
        finally:
            project.weights_meta = kept_meta
        return _Snapshot(text, json.dumps(marker, indent=2, ensure_ascii=False) + "\n", job, bool(weights))

    def _take_lock(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._lock.isLocked():
            self._lock.tryLock(0)

    def _write_files(self, texts: _Snapshot, generation: int, sequence: int | None = None) -> bool:
        """Write the files unless a discard or a newer write came after the texts were taken (any thread).
        The weights go first, so a project file never names a weights file that is not there yet."""
        from app.keras_bridge.weights_io import WeightsError, write_sidecar

        with self._files_lock:
            if generation != self._generation:
                return False
            if sequence is not None:
                if sequence < self._written_sequence:
                    return False
                self._written_sequence = sequence
            if texts.weights is not None:
                weights, graph, token = texts.weights
                try:
                    write_sidecar(self.weights_file, weights, graph, token)
                except WeightsError as err:
                    raise OSError(str(err)) from None
                self._weights_written = (weights, token)
            elif not texts.has_weights:
                _remove(self.weights_file)
                self._weights_written = None
            write_text_atomic(self.project_file, texts.project)
            write_text_atomic(self.marker_file, texts.marker)
            return True

    def write(self) -> bool:
        """Autosave now, on this thread, if there are unsaved changes; True when a file was written.

        For the moments that cannot wait: the error hook, recovery, tests.
        """
        self.debounce.stop()
        try:
            texts = self._texts()
            if texts is None:
                return False
            self._take_lock()
            written = self._write_files(texts, self._generation)
        except (ProjectError, OSError) as err:
            self.failed.emit(f"Autosave failed: {err}")
            return False
        if written:
            self.saved.emit(self.project_file)
        return written

    def write_soon(self) -> bool:
        """Autosave in the background if there are unsaved changes; True when a write was queued.

        ``saved`` or ``failed`` is emitted on the GUI thread once the file is on disk.
        """
        self.debounce.stop()
        try:
            texts = self._texts()
            if texts is None:
                return False
            self._take_lock()
        except (ProjectError, OSError) as err:
            self.failed.emit(f"Autosave failed: {err}")
            return False
        self._sequence += 1
        # One short-lived thread per write, watched by gc_guard: no garbage collection may run on it.
        thread = threading.Thread(target=self._write_job, args=(texts, self._generation, self._sequence),
                                  name=f"layerforge-autosave-{self._sequence}", daemon=True)
        gc_guard.watch(thread)
        self._pending = thread
        thread.start()
        return True

    def _write_job(self, texts: _Snapshot, generation: int, sequence: int) -> None:
        try:
            written = self._write_files(texts, generation, sequence)
        except OSError as err:
            self._written.emit(None, f"Autosave failed: {err}")
            return
        if written:
            self._written.emit(self.project_file, "")

    def _report(self, path: object, error: str) -> None:
        if error:
            self.failed.emit(error)
        elif self._document is not None and self._document.dirty and self.project_file.exists():
            self.saved.emit(path)

    def wait(self, timeout: float = 10.0) -> None:
        """Block until the queued background write (if any) has finished."""
        pending = self._pending
        if pending is not None:
            pending.join(timeout)

    def discard(self) -> None:
        """Remove this slot's files (the work is saved or deliberately thrown away)."""
        with self._files_lock:
            self._generation += 1  # a write queued before this point is dropped
            _remove(self.marker_file, self.project_file, self.weights_file)
            self._weights_written = None
        if self._lock.isLocked():
            self._lock.unlock()

    def shutdown(self) -> None:
        """Clean exit of the window: stop the timers, let a write in flight end, leave nothing to recover."""
        self._closed = True
        self.timer.stop()
        self.debounce.stop()
        self.discard()
        if self._pending is not None:
            self._pending.join()
            self._pending = None


@dataclass(frozen=True)
class _Snapshot:
    """What one autosave writes, taken on the GUI thread: texts, and the weights when they changed."""

    project: str
    marker: str
    weights: tuple[Any, Any, str] | None
    """(weights, a copy of the graph for the layer names, token), or None: the weights file stays as it is."""
    has_weights: bool


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

    @property
    def weights_file(self) -> Path:
        return self.project_file.with_name(f"{self.slot}{WEIGHTS_SUFFIX}")

    def load(self) -> Document:
        """The recovered document, with the weights it had: marked unsaved, saving to its original
        file (weights beside it). Raises ProjectError; a weights file that cannot be used is named
        in ``open_notes`` and the model starts from initial weights."""
        from app.keras_bridge.weights_io import load_project_weights

        project = load_project(self.project_file)
        notes = load_project_weights(project)  # the slot's weights file, named in the autosaved project
        project.path = self.original
        project.weights_meta = None  # the slot's file; the next save writes the weights beside the original
        document = Document(project)
        document.open_notes = notes
        document.undo_stack.resetClean()
        return document

    def discard(self) -> None:
        _remove(self.marker_file, self.project_file, self.weights_file)
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
