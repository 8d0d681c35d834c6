"""Run a function on a plain Python thread and hear about it on the GUI thread.

Keras work (building a model, a forward pass, loading a dataset) must never run on the GUI
thread. A :class:`BackgroundJob` runs one function on a daemon thread (quitting never waits
for it) and emits ``done(token, value, error)``, which Qt queues to the GUI thread. The
token lets a caller ignore an answer that a newer request has made stale.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.gui import gc_guard


class BackgroundJob(QObject):
    """A function run on a plain thread; ``done(token, value, error)`` arrives queued on the GUI thread."""

    done = Signal(int, object, object)

    def __init__(self, token: int, function: Callable[[], Any]) -> None:
        super().__init__()
        self.token = token
        self._function = function
        self.worker_thread = threading.Thread(target=self._run, name=f"layerforge-job-{token}", daemon=True)

    def _run(self) -> None:
        try:
            value, error = self._function(), None
        except Exception as err:  # reported to the caller, which shows the reason
            value, error = None, err
        with contextlib.suppress(RuntimeError):  # the panel went away meanwhile
            self.done.emit(self.token, value, error)

    def start(self) -> None:
        gc_guard.watch(self.worker_thread)  # no garbage collection on that thread (it could free Qt objects there)
        self.worker_thread.start()


class Jobs(QObject):
    """Background jobs of one view: each answer arrives on the GUI thread, in a slot of this object.

    ``start`` returns a token; :meth:`forget` drops the answers of everything running (a
    newer request made them stale) without waiting for it.
    """

    idle_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[int, tuple[BackgroundJob, Callable[[Any, BaseException | None], None] | None]] = {}
        self._counter = 0

    @property
    def idle(self) -> bool:
        return not self._jobs

    def start(self, function: Callable[[], Any], callback: Callable[[Any, BaseException | None], None]) -> int:
        self._counter += 1
        job = BackgroundJob(self._counter, function)
        was_idle = self.idle
        self._jobs[job.token] = (job, callback)
        job.done.connect(self._done)  # a slot of this QObject: queued to the GUI thread
        job.start()
        if was_idle:
            self.idle_changed.emit(False)
        return job.token

    def forget(self) -> None:
        """Keep the jobs (they end on their own) but ignore what they answer."""
        for token, (job, _callback) in list(self._jobs.items()):
            self._jobs[token] = (job, None)

    def _done(self, token: int, value: Any, error: Any) -> None:
        entry = self._jobs.pop(token, None)
        if entry is None:
            return
        job, callback = entry
        job.worker_thread.join()
        gc_guard.check_now()
        job.deleteLater()
        try:
            if callback is not None:
                callback(value, error)
        finally:
            if self.idle:
                self.idle_changed.emit(True)

    def wait(self, timeout_s: float = 30.0) -> None:
        """Let running jobs end (the window is closing); their answers are not delivered."""
        for job, _callback in list(self._jobs.values()):
            with contextlib.suppress(RuntimeError):
                job.worker_thread.join(timeout_s)
