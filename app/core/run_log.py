"""Reading a training run's JSON-lines metrics log while it grows (a job's ``train.py`` writes it).

One JSON object per line, told apart by ``event``:

- ``start``: ``model``, ``dataset``, ``epochs``, ``batches`` (per epoch), ``batch_size``, ``device``;
- ``batch``: ``epoch``, ``epochs``, ``batch``, ``batches``, ``logs`` (running loss and metrics), at most
  a few a second;
- ``epoch``: ``epoch``, ``epochs``, ``logs`` (loss, metrics, their ``val_`` twins, ``learning_rate``);
- ``end``: ``status`` (finished, stopped, failed), ``reason``, ``epochs_run``, ``seconds``, ``test_metrics``.

Every line also carries ``time`` (seconds since the start). The same names as the training engine's
``Progress`` and ``EpochEnd``, so the terminal display and the live plots take them as they are.
Shared by ``layerforge follow`` and the app's File › Open Run Log…; pure Python.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

EVENTS = ("start", "batch", "epoch", "end")
MAX_LINE = 1_000_000
"""A line longer than this is not a metrics line: it is skipped, never held in memory whole."""


@dataclass
class RunLogReader:
    """New complete records of a growing log on each :meth:`poll`.

    A last line without its newline waits for the rest (the writer may be mid-write); when the
    run is over or the reader gives up it is dropped (:attr:`truncated`), never an error. A line
    that is not a JSON object with a known ``event`` is counted in :attr:`skipped`. A file that
    shrinks was started again by a new run: reading starts over.
    """

    path: str | os.PathLike[str]
    offset: int = 0
    pending: bytes = b""
    skipped: int = 0
    restarted: int = 0
    ended: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)

    def poll(self) -> list[dict[str, Any]]:
        """The records completed since the last poll (raises OSError when the file cannot be read)."""
        with open(self.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < self.offset:  # rewritten by a new run
                self.offset, self.pending, self.ended = 0, b"", False
                self.records = []
                self.restarted += 1
            fh.seek(self.offset)
            data = fh.read(max(0, size - self.offset))
        self.offset += len(data)
        chunk = self.pending + data
        lines = chunk.split(b"\n")
        self.pending = lines.pop()
        if len(self.pending) > MAX_LINE:
            self.pending = b""
            self.skipped += 1
        records = []
        for line in lines:
            record = parse_line(line)
            if record is not None:
                records.append(record)
            elif line.strip():
                self.skipped += 1
        for record in records:
            if record["event"] == "start" and self.records:
                self.records = []  # a second run appended to the same file
            self.records.append(record)
            if record["event"] == "end":
                self.ended = True
        return records

    @property
    def truncated(self) -> bool:
        """Whether an unfinished last line is being held (a killed run leaves one)."""
        return bool(self.pending.strip())


def parse_line(line: bytes | str) -> dict[str, Any] | None:
    """A record, or None for a blank, broken or unknown line."""
    if isinstance(line, bytes):
        if len(line) > MAX_LINE:
            return None
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        return None
    if record["event"] in ("batch", "epoch") and not isinstance(record.get("logs"), dict):
        return None
    return record


def _number(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def numbers(logs: Any) -> dict[str, float]:
    """Only the numeric entries of a record's ``logs`` (a log is data from elsewhere)."""
    if not isinstance(logs, dict):
        return {}
    return {str(key): float(value) for key, value in logs.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def as_progress(record: dict[str, Any]) -> SimpleNamespace:
    """A ``batch`` record shaped as the engine's ``Progress`` (what displays and plots take)."""
    return SimpleNamespace(
        epoch=max(1, _number(record.get("epoch"), 1)),
        epochs=max(1, _number(record.get("epochs"), 1)),
        batch=_number(record.get("batch")),
        batches=max(1, _number(record.get("batches"), 1)),
        logs=numbers(record.get("logs")),
        learning_rate=None,
        elapsed=float(_number(record.get("time"))),
        eta=None,
    )


def as_epoch_end(record: dict[str, Any]) -> SimpleNamespace:
    """An ``epoch`` record shaped as the engine's ``EpochEnd``."""
    return SimpleNamespace(epoch=max(1, _number(record.get("epoch"), 1)),
                           epochs=max(1, _number(record.get("epochs"), 1)), logs=numbers(record.get("logs")), phase=1)


def history(records: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per-epoch values by key, as a run record keeps them."""
    kept: dict[str, list[float]] = {}
    for record in records:
        if record["event"] == "epoch":
            for key, value in numbers(record.get("logs")).items():
                kept.setdefault(key, []).append(value)
    return kept


__all__ = ["EVENTS", "RunLogReader", "as_epoch_end", "as_progress", "history", "numbers", "parse_line"]
