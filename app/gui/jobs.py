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


class BackgroundJob(QObject):
    """A function run on a plain thread; ``done(token, value, error)`` arrives queued on the GUI thread."""

    done = Signal(int, object, object)

    def __init__(self, token: int, function: Callable[[], Any]) -> None:
        super().__init__()
        self.token = token
        self._function = function
        self.thread = threading.Thread(target=self._run, name=f"layerforge-job-{token}", daemon=True)

    def _run(self) -> None:
        try:
            value, error = self._function(), None
        except Exception as err:  # reported to the caller, which shows the reason
            value, error = None, err
        with contextlib.suppress(RuntimeError):  # the panel went away meanwhile
            self.done.emit(self.token, value, error)

    def start(self) -> None:
        self.thread.start()
