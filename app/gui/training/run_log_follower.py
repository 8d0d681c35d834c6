"""File › Open Run Log…: follow a run that trains elsewhere in the live plots, and keep it in the history.

A :class:`RunLogFollower` polls the log (a job's ``metrics.jsonl``, :mod:`app.core.run_log`) on a
``QTimer`` on the GUI thread: reading a few new lines is cheap, so no thread is needed. Records go
to the :class:`LivePlots` as the training panel's own progress does; at the run's end line the
run joins the project's run history, as if it had been trained in the app, and ``finished`` is
emitted. The document is held weakly: a run that ends after its project was closed is not kept.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.run_history import make_record
from app.core.run_log import RunLogReader, as_epoch_end, as_progress, history, numbers
from app.core.training_settings import with_defaults

POLL_MS = 250


class RunLogFollower(QObject):
    """Feeds ``plots`` from the log at ``path`` until its end line (or :meth:`stop`)."""

    progressed = Signal(str)
    """A short status line: 'epoch 3/20 — loss 0.41'."""
    finished = Signal(object)
    """The run record added to the history (a dict), or None when the log ended without one."""
    failed = Signal(str)
    """The log could not be read (the message says why)."""

    def __init__(self, path: Path, plots: Any, document: Any, parent: QObject | None = None,
                 interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.plots = plots
        self._document = weakref.ref(document) if document is not None else None
        self.reader = RunLogReader(self.path)
        self.record: dict[str, Any] | None = None
        self._started_at = datetime.now(UTC)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def following(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self.plots.reset(None)
        self.poll()
        if not self.reader.ended:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        """Read what is new; plot it; at the end line, keep the run and stop."""
        try:
            records = self.reader.poll()
        except OSError as err:
            if self.path.exists() or self.reader.records:
                self.stop()
                self.failed.emit(f"{self.path.name}: the run log cannot be read ({err.strerror or err})")
            return  # not there yet: a run about to start
        for record in records:
            self._show(record)
        if self.reader.ended:
            self.stop()
            self.plots.flush()
            self.record = self._keep_run()
            self.finished.emit(self.record)

    def _show(self, record: dict[str, Any]) -> None:
        event = record["event"]
        if event == "start":
            epochs = record.get("epochs")
            self.plots.reset(int(epochs) if isinstance(epochs, int) and epochs > 0 else None)
            elapsed = record.get("time")
            self._started_at = datetime.now(UTC) - timedelta(seconds=float(elapsed) if isinstance(
                elapsed, (int, float)) else 0.0)
            self.progressed.emit(f"following {self.path.name}: {record.get('model', '')} on {record.get('device', '')}")
        elif event == "batch":
            progress = as_progress(record)
            self.plots.add_progress(progress)
            self.progressed.emit(f"epoch {progress.epoch}/{progress.epochs}, batch {progress.batch}/"
                                 f"{progress.batches}: loss {progress.logs.get('loss', float('nan')):.4g}")
        elif event == "epoch":
            epoch = as_epoch_end(record)
            self.plots.add_epoch(epoch)
            self.progressed.emit(f"epoch {epoch.epoch}/{epoch.epochs}: loss {epoch.logs.get('loss', float('nan')):.4g}")

    def _keep_run(self) -> dict[str, Any] | None:
        document = self._document() if self._document is not None else None
        end = self.reader.records[-1]
        start = next((r for r in self.reader.records if r["event"] == "start"), {})
        if document is None:
            return None
        project = document.project
        settings = with_defaults(project.training)
        for key in ("epochs", "batch_size"):
            if isinstance(start.get(key), int):
                settings[key] = start[key]
        seconds = end.get("seconds")
        epochs_run = end.get("epochs_run")
        kept = history(self.reader.records)
        record = make_record(
            project.graph, settings, project.dataset, status=str(end.get("status", "finished")),
            reason=f"{end.get('reason', '')} (followed from {self.path.name}, on {start.get('device', 'elsewhere')})",
            history=kept, test_metrics=numbers(end.get("test_metrics")),
            epochs_run=int(epochs_run) if isinstance(epochs_run, int) else len(kept.get("loss", [])),
            seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0, started=self._started_at)
        record["log"] = str(self.path)
        document.add_run(record)
        return record


__all__ = ["POLL_MS", "RunLogFollower"]
