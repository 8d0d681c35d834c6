"""Run a :class:`~app.keras_bridge.training.TrainingSession` in a ``QThread``, reported by signals.

The worker never touches widgets or the live graph (DESIGN.md, rule 3). It copies the
project when it is made, on the GUI thread; the thread builds the session from that copy
(so importing Keras, which the session does, never happens on the GUI thread) and runs it.

The engine reports from its own threads (the fit loop, and Keras' helper threads for batch
ends). Those reports are posted to the worker, which lives on the GUI thread, so Qt queues
them and every signal of the worker (``progress``, ``epoch_end``, ``message``, ``finished``)
is emitted on the GUI thread. Progress is coalesced: if the GUI is busy, only the newest
report is kept, so a slow redraw can never build a backlog. Reports that arrive out of
order (Keras' helper threads race) are dropped.

A running thread is kept alive by a module registry even if its worker is deleted, so Qt
never destroys a running ``QThread``; :func:`stop_all` stops and waits for every run (the
application calls it when quitting).

One process-wide setting keeps the window responsive while a run goes on, and is put
back when the last run ends:

- Python's thread switch interval is lowered (:data:`TRAINING_SWITCH_INTERVAL`): the GUI
  thread needs the GIL for every step of a redraw, and with the default 5 ms a busy
  training thread makes each of those steps wait, turning a 20 ms repaint into a few
  hundred milliseconds of frozen window.

The long-lived heap (the imported modules, TensorFlow's among them, and the window) is
hidden from the garbage collector for good, by the background importer once TensorFlow is
in or by the first run at the latest (:func:`~app.gui.background.freeze_long_lived_heap`):
a full collection holds the GIL, and over TensorFlow's ~1 M objects it froze the window for
340–530 ms at each start.

No garbage is collected on the training thread (issue 20): a collection there destroyed
the GUI's cyclic Qt garbage (closed windows, dropped dialogs) off the GUI thread, and Qt
aborted the process. The session is made with ``collect_garbage=False`` (so Keras'
``clear_session`` does not collect), :mod:`app.gui.gc_guard` turns automatic collection
over to the GUI thread while the run goes on, and the collection ``clear_session`` did is
done on the GUI thread just before the thread starts.

The training thread also runs at a lower CPU priority (:data:`TRAINING_NICE`), and so do
the threads TensorFlow and Keras start from it (their thread pools): on a two-core laptop
the GUI thread then gets a core when it needs one, and training still uses every cycle
the GUI leaves idle.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import os
import sys
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from app.core.project import Project
from app.gui import gc_guard
from app.gui.background import freeze_long_lived_heap
from app.keras_bridge.training import TrainingResult

SessionFactory = Callable[..., Any]
"""Builds a session: ``factory(project, dataset=..., listener=..., overrides=..., base_dir=...)``."""

_RUNNING: set[_TrainingThread] = set()
"""Threads that have not finished yet (they outlive a deleted worker; see the module docstring)."""

TRAINING_SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits, during training (Python's default: 0.005)."""
_saved_switch_interval: float | None = None
TRAINING_NICE = 10
"""How much the training thread (and the threads it starts) yields the CPU to others (Linux nice)."""


def _enter_training_mode() -> None:
    """Lower the switch interval and freeze the long-lived heap (see the module docstring).

    The heap is never unfrozen: collecting what piled up after ``gc.unfreeze()`` on the GUI
    thread crashed PySide (segfault in a test run of an earlier version).
    """
    global _saved_switch_interval
    freeze_long_lived_heap()
    if _saved_switch_interval is None:
        _saved_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(_saved_switch_interval, TRAINING_SWITCH_INTERVAL))


def _leave_training_mode() -> None:
    global _saved_switch_interval
    if _saved_switch_interval is not None and not _RUNNING:
        sys.setswitchinterval(_saved_switch_interval)
        _saved_switch_interval = None


def failed_result(reason: str) -> TrainingResult:
    """A failed result with ``reason`` (importing the engine loads no Keras, so this always works)."""
    return TrainingResult(status="failed", reason=reason)


def snapshot_project(project: Project) -> Project:
    """A private copy of what a run needs: edits after this cannot reach the run."""
    return Project(graph=project.graph.copy(), name=project.name, description=project.description,
                   training=copy.deepcopy(project.training), dataset=copy.deepcopy(project.dataset),
                   runs=[], path=project.path, weights=project.weights)


def _default_factory(project: Project, **kwargs: Any) -> Any:
    from app.keras_bridge.training import TrainingSession

    # No gc.collect() on the training thread: it would destroy the GUI's Qt garbage there (gc_guard).
    return TrainingSession(project, collect_garbage=False, **kwargs)


class _Listener:
    """The engine's listener: called on training threads, it only posts to the GUI thread.

    It reaches its thread through a weak reference: a strong one made the QThread part of a
    reference cycle, cyclic garbage that only a collection frees (see ``app.gui.gc_guard``).
    """

    def __init__(self, thread: _TrainingThread) -> None:
        self._thread_ref = weakref.ref(thread)
        self._lock = threading.Lock()
        self._latest: Any = None
        self._probe_value: Any = None
        self._probe_pending = False

    def progress(self, progress: Any) -> None:
        with self._lock:
            pending = self._latest is not None
            self._latest = progress
        if not pending:  # one wake-up at a time; the GUI takes the newest report when it gets there
            self._emit("progress_posted")

    def _emit(self, signal: str, *args: Any) -> None:
        thread = self._thread_ref()
        if thread is not None:
            getattr(thread, signal).emit(*args)

    def take_progress(self) -> Any:
        with self._lock:
            latest, self._latest = self._latest, None
        return latest

    def epoch_end(self, epoch: Any) -> None:
        self._emit("epoch_posted", epoch)

    def probe(self, value: Any) -> None:
        with self._lock:
            pending = self._probe_pending
            self._probe_value, self._probe_pending = value, True
        if not pending:  # coalesced like progress: the GUI takes the newest value
            self._emit("probe_posted")

    def take_probe(self) -> tuple[bool, Any]:
        with self._lock:
            pending, value = self._probe_pending, self._probe_value
            self._probe_value, self._probe_pending = None, False
        return pending, value

    def message(self, text: str) -> None:
        self._emit("message_posted", str(text))


class _TrainingThread(QThread):
    """Builds the session from the snapshot and runs it; the result waits in ``result``."""

    progress_posted = Signal()
    probe_posted = Signal()
    epoch_posted = Signal(object)
    message_posted = Signal(str)

    def __init__(self, factory: SessionFactory, project: Project, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.setObjectName("layerforge-training")
        self._factory = factory
        self._project = project
        self._kwargs = kwargs
        self.listener = _Listener(self)
        self.result: Any = None
        self._lock = threading.Lock()
        self._session: Any = None
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            session = self._session
        if session is not None:
            session.stop()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        if sys.platform.startswith("linux"):  # Qt's thread priorities do nothing there; per-thread nice does
            with contextlib.suppress(OSError, AttributeError):
                native = threading.get_native_id()
                os.setpriority(os.PRIO_PROCESS, native, max(os.getpriority(os.PRIO_PROCESS, native),
                                                            TRAINING_NICE))
        try:
            session = self._factory(self._project, listener=self.listener, **self._kwargs)
            with self._lock:
                self._session = session
            if self._stop.is_set():
                session.stop()
            self.result = session.run()
        except Exception as err:  # run() should never raise; if it does, say so instead of crashing
            self.result = failed_result(f"training could not run ({type(err).__name__}): {err}")
        finally:
            with self._lock:
                self._session = None  # drop the model graph references held through the session


class TrainingWorker(QObject):
    """One training run of a project snapshot in its own thread (see the module docstring)."""

    started = Signal()
    progress = Signal(object)
    epoch_end = Signal(object)
    message = Signal(str)
    probe = Signal(object)
    """What the run's :class:`~app.keras_bridge.training.Probe` computed (newest only)."""
    finished = Signal(object)
    """The result (the engine's TrainingResult); the thread has ended when this is emitted."""

    def __init__(self, project: Project, *, dataset: Any = None, overrides: Mapping[str, Any] | None = None,
                 base_dir: Path | None = None, session_factory: SessionFactory | None = None,
                 probe: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = snapshot_project(project)
        self._kwargs: dict[str, Any] = {"dataset": dataset, "overrides": dict(overrides or {}), "base_dir": base_dir}
        if probe is not None:
            self._kwargs["probe"] = probe
        self._factory = session_factory or _default_factory
        self._thread: _TrainingThread | None = None
        self._stop_early = False
        self._last_position: tuple[int, int] = (0, 0)
        self.result: Any = None

    @property
    def project(self) -> Project:
        """The snapshot this worker trains."""
        return self._project

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start the run (once); returns at once."""
        if self._thread is not None or self.result is not None:
            raise RuntimeError("this worker has already been started")
        _prune()
        thread = _TrainingThread(self._factory, self._project, self._kwargs)
        thread.progress_posted.connect(self._progress_posted)
        thread.probe_posted.connect(self._probe_posted)
        thread.epoch_posted.connect(self._epoch_posted)
        thread.message_posted.connect(self.message)
        thread.finished.connect(self._thread_finished)
        self._thread = thread
        _RUNNING.add(thread)
        _enter_training_mode()
        gc_guard.watch(thread)  # collections happen on this thread until that one has ended
        gc.collect()  # what clear_session collected on the training thread, now on the GUI thread
        if self._stop_early:  # Stop came before the start: the run ends before training begins
            thread.stop()
        thread.start(QThread.Priority.LowPriority)
        self.started.emit()

    def stop(self) -> None:
        """Ask the run to end after the current batch (safe from any thread). Before :meth:`start`,
        the run will end as soon as it starts."""
        self._stop_early = True
        thread = self._thread
        if thread is not None:
            thread.stop()

    @property
    def stop_requested(self) -> bool:
        return self._stop_early

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the thread has ended (for shutdown only); True if it has. ``finished``
        still comes through the event loop afterwards."""
        thread = self._thread
        return thread is None or thread.wait(timeout_ms)

    # --- on the GUI thread ---------------------------------------------------------------------

    def _progress_posted(self) -> None:
        thread = self._thread
        if thread is None:
            return
        progress = thread.listener.take_progress()
        if progress is None:
            return
        position = (int(progress.epoch), int(progress.batch))
        if position <= self._last_position:
            return
        self._last_position = position
        self.progress.emit(progress)

    def _probe_posted(self) -> None:
        thread = self._thread
        if thread is not None:
            pending, value = thread.listener.take_probe()
            if pending:
                self.probe.emit(value)

    def _epoch_posted(self, epoch: Any) -> None:
        # Everything of this epoch has been reported; the next epoch starts from batch 0.
        self._progress_posted()
        self._last_position = max(self._last_position, (int(epoch.epoch), 1 << 30))
        self.epoch_end.emit(epoch)

    def _thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()  # 'finished' comes from the thread just before it ends
        gc_guard.check_now()
        self._progress_posted()
        self._thread = None
        _RUNNING.discard(thread)
        _prune()
        self.result = thread.result if thread.result is not None else failed_result("training ended without a result")
        thread.deleteLater()
        self.finished.emit(self.result)


def _prune() -> None:
    for thread in [t for t in _RUNNING if t.isFinished()]:
        _RUNNING.discard(thread)
    _leave_training_mode()


def running_count() -> int:
    """Training threads still running in this process (tests check none is left behind)."""
    _prune()
    return sum(1 for t in _RUNNING if t.isRunning())


def stop_all(timeout_ms: int = 30_000) -> bool:
    """Stop every run and wait for the threads (when the application quits); True if all ended."""
    threads = list(_RUNNING)
    for thread in threads:
        thread.stop()
    ended = all(thread.wait(timeout_ms) for thread in threads)
    _prune()
    return ended
