"""The sweep runs in a child process (``layerforge sweep --jsonl``), followed through a QProcess.

Why a process and not a thread: the sweep trains with TensorFlow for minutes, may start more
worker processes, and must not share Keras' global state with the Training dock (whose own run
may clear the session) nor run Python on a thread of the GUI process (``app.gui.gc_guard``). A
QProcess reports its output as signals on the GUI thread, so no Python thread is started here.
The child prints one JSON object a line; each becomes an ``event`` signal.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

KILL_AFTER_MS = 15000
"""A stop asks the sweep to end after the current batch; past this it is killed."""


class SweepProcess(QObject):
    """One ``layerforge sweep`` child; ``event(dict)`` per JSON line, ``ended(code, stderr)`` once."""

    event = Signal(dict)
    ended = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read_out)
        self.process.readyReadStandardError.connect(self._read_err)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._buffer = b""
        self._stderr = b""
        self._ended = False
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(KILL_AFTER_MS)
        self._kill_timer.timeout.connect(self.process.kill)

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def start(self, arguments: list[str]) -> None:
        """Start ``python -m app sweep ARGUMENTS... --jsonl`` with this interpreter."""
        import app

        env = QProcessEnvironment.systemEnvironment()
        root = str(Path(app.__file__).resolve().parent.parent)
        old = env.value("PYTHONPATH", "")
        env.insert("PYTHONPATH", root + (os.pathsep + old if old else ""))
        env.insert("TF_CPP_MIN_LOG_LEVEL", env.value("TF_CPP_MIN_LOG_LEVEL", "2"))
        self.process.setProcessEnvironment(env)
        self._buffer, self._stderr, self._ended = b"", b"", False
        self.process.start(sys.executable, ["-m", "app", "sweep", *arguments, "--jsonl"])

    def stop(self) -> None:
        """Ask the sweep to stop (SIGTERM: it ends each trial after the current batch), kill if it hangs."""
        if self.running:
            self.process.terminate()
            self._kill_timer.start()

    def _read_out(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("{"):
                continue
            try:
                event: Any = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                self.event.emit(event)

    def _read_err(self) -> None:
        self._stderr = (self._stderr + bytes(self.process.readAllStandardError().data()))[-20000:]

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        self._read_out()
        self._read_err()
        if not self._ended:
            self._ended = True
            self.ended.emit(int(code), self._stderr.decode("utf-8", "replace"))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._ended:
            self._ended = True
            self.ended.emit(-1, f"the sweep could not start: {self.process.errorString()}")
