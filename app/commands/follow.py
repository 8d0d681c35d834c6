"""``layerforge follow METRICS.jsonl [--no-wait]``: watch a training run that runs elsewhere.

Reads the JSON lines a job's ``train.py`` writes (:mod:`app.core.run_log`) as they arrive and
shows them with the same progress bar and epoch lines as ``layerforge train``, until the run's
end line, or Ctrl+C. A file that does not exist yet is waited for; a truncated last line (a run
killed mid-write) is skipped. ``--no-wait`` shows what the log holds now and returns.

Exit codes: 0 the run finished (or, with ``--no-wait``, has not ended yet); 1 the run failed;
2 the log cannot be read; 130 the run was stopped, or you pressed Ctrl+C.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_UNREADABLE, error, printable

EXIT_OK, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130
POLL_SECONDS = 0.25


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", metavar="METRICS.jsonl", help="the metrics log a job's train.py writes")
    parser.add_argument("--no-wait", action="store_true",
                        help="show what the log holds now and return, without waiting for more")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only the epochs and the end")


def run(args: argparse.Namespace) -> int:
    from app.commands.train import _Terminal  # the same display as `layerforge train`
    from app.core.run_log import RunLogReader

    path = Path(args.log)
    if path.exists() and not path.is_file():
        error(f"{args.log}: not a file")
        return EXIT_UNREADABLE
    reader = RunLogReader(path)
    waited = False
    with _Terminal(args.quiet, None) as terminal:
        while True:
            try:
                records = reader.poll() if path.exists() else None
            except OSError as err:
                terminal.bar.stop()
                error(f"{args.log}: cannot read the log ({err.strerror or err})")
                return EXIT_UNREADABLE
            if records is None:
                if args.no_wait:
                    terminal.bar.stop()
                    error(f"{args.log}: no such file")
                    return EXIT_UNREADABLE
                if not waited:
                    terminal.message(f"waiting for {printable(args.log)} to appear…")
                    waited = True
                time.sleep(POLL_SECONDS)
                continue
            for record in records:
                _show(terminal, record, reader.restarted)
            if reader.ended or args.no_wait:
                break
            time.sleep(POLL_SECONDS)
    if reader.skipped:
        print(f"note: skipped {reader.skipped} line(s) that were not metrics records", file=sys.stderr)
    if reader.truncated:
        print("note: the last line is incomplete (the run was killed while writing it); skipped", file=sys.stderr)
    end = reader.records[-1] if reader.records and reader.records[-1]["event"] == "end" else None
    return _report(end, reader)


def _show(terminal: Any, record: dict[str, Any], restarted: int) -> None:
    from app.core.run_log import as_epoch_end, as_progress

    event = record["event"]
    if event == "start":
        terminal.task = None  # a new run: a fresh bar
        details = ", ".join(printable(str(record[key])) for key in ("model", "dataset", "device") if record.get(key))
        terminal.message(f"{'a new run started' if restarted else 'run started'}: {details}")
    elif event == "batch":
        terminal.progress(as_progress(record))
    elif event == "epoch":
        terminal.epoch_end(as_epoch_end(record))


def _report(end: dict[str, Any] | None, reader: Any) -> int:
    from rich.console import Console
    from rich.table import Table

    from app.core.run_log import numbers

    console = Console(highlight=False)
    if end is None:
        epochs = sum(1 for record in reader.records if record["event"] == "epoch")
        console.print(f"the run has not ended yet ({epochs} epoch(s) so far): still running, or it was killed")
        return EXIT_OK
    status, reason = str(end.get("status", "")), printable(str(end.get("reason", "")))
    if status == "failed":
        error(f"the run failed: {reason}")
        return EXIT_FAILED
    seconds = end.get("seconds")
    took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
    console.print(f"{reason}{took}")
    test = numbers(end.get("test_metrics"))
    if test:
        table = Table(title="Test set", title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in test.items():
            table.add_row(printable(key), f"{value:.4f}")
        console.print(table)
    return EXIT_OK if status == "finished" else EXIT_STOPPED
