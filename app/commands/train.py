"""``layerforge train PROJECT [--dataset NAME|PATH] [--epochs N] [--batch-size B] [--out MODEL.keras] [--log CSV]``.

Runs the same engine as the training panel, with a progress bar and live metrics in the
terminal. Ctrl+C stops after the current batch and still reports (and saves) what was
trained. Exit codes: 0 trained; 1 training failed (the reason is printed: a NaN loss, an
error in the model); 2 the project, dataset or settings cannot be used (before any
training); 3 an output file could not be written; 130 stopped with Ctrl+C.
"""

from __future__ import annotations

import argparse
import csv
import sys
import threading
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_UNREADABLE, error, load_model_file, printable

EXIT_OK, EXIT_FAILED, EXIT_UNWRITABLE, EXIT_INTERRUPTED = 0, 1, 3, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Layerforge project (.json) or a Keras model (.keras)")
    parser.add_argument("--dataset", metavar="NAME|PATH",
                        help="a bundled dataset (see `layerforge datasets`), a .csv / .npz / .npy file or an image "
                             "folder; default: the project's own dataset")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs to train (default: the project's setting)")
    parser.add_argument("--batch-size", type=int, metavar="B", help="samples per batch (default: the project's)")
    parser.add_argument("--learning-rate", type=float, metavar="LR", help="learning rate (default: the project's)")
    parser.add_argument("--seed", type=int, help="random seed for splits and weights (default: the project's)")
    parser.add_argument("--out", metavar="MODEL.keras", help="save the trained model, weights included")
    parser.add_argument("--log", metavar="METRICS.csv", help="write one row of metrics per epoch as it ends")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only the result")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
              "seed": args.seed}
    return {key: value for key, value in chosen.items() if value is not None}


def _dataset_ref(project: Any, text: str | None) -> dict[str, Any] | None:
    """The project's own reference when ``text`` names it (keeping its options), else a new one."""
    from app.data import dataset_ref_from_text

    if text is None:
        return project.dataset
    own = project.dataset or {}
    if own.get("name") == text and not own.get("path"):
        return own
    return dataset_ref_from_text(text)


class _MetricsLog:
    """Appends one CSV row per epoch as it ends, so an interrupted run keeps what it learned."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("w", newline="", encoding="utf-8")
        self.writer: csv.DictWriter[str] | None = None

    def write(self, epoch: int, logs: dict[str, float]) -> None:
        row = {"epoch": epoch, **logs}
        if self.writer is None:
            self.writer = csv.DictWriter(self.file, fieldnames=list(row), extrasaction="ignore", restval="")
            self.writer.writeheader()
        self.writer.writerow(row)
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class _Terminal:
    """The listener: a rich progress bar with the latest metrics, and one line per epoch."""

    def __init__(self, quiet: bool, log: _MetricsLog | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.log = log
        self.lock = threading.Lock()
        self.bar = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[metrics]}"), TimeRemainingColumn(),
                            console=self.console, disable=quiet, transient=False)
        self.task: Any = None

    def __enter__(self) -> _Terminal:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    @staticmethod
    def _metrics(logs: dict[str, float]) -> str:
        return "  ".join(f"{key} {value:.4g}" for key, value in logs.items() if key != "learning_rate")

    def progress(self, progress: Any) -> None:
        with self.lock:
            if self.task is None:
                self.task = self.bar.add_task("train", total=progress.epochs * progress.batches, epoch="",
                                              metrics="")
            done = (progress.epoch - 1) * progress.batches + progress.batch
            self.bar.update(self.task, completed=done, epoch=f"{progress.epoch}/{progress.epochs}",
                            metrics=printable(self._metrics(progress.logs)))

    def epoch_end(self, epoch: Any) -> None:
        with self.lock:
            if self.log is not None:
                self.log.write(epoch.epoch, epoch.logs)
            if not self.quiet:
                self.bar.console.print(f"epoch {epoch.epoch}/{epoch.epochs}  {printable(self._metrics(epoch.logs))}"
                                       f"  lr {epoch.logs.get('learning_rate', float('nan')):.3g}")

    def message(self, text: str) -> None:
        if not self.quiet:
            self.bar.console.print(f"note: {printable(text)}")


def run(args: argparse.Namespace) -> int:
    loaded = load_model_file(args.project)
    if isinstance(loaded, int):
        return loaded
    project, _imported = loaded
    from app.data import DataError

    try:
        project.dataset = _dataset_ref(project, args.dataset)
    except DataError as err:
        error(str(err))
        return EXIT_UNREADABLE
    base_dir = Path(args.project).resolve().parent
    overrides = _overrides(args)
    if args.out and Path(args.out).suffix != ".keras":
        error(f"{args.out}: a Keras model file must end in .keras")
        return EXIT_UNWRITABLE

    from app.keras_bridge.training import TrainingSession, check_before_training

    problems = check_before_training(project, overrides=overrides, base_dir=base_dir)
    if problems:
        error("cannot train yet:")
        for problem in problems:
            print(f"  - {printable(problem)}", file=sys.stderr)
        return EXIT_UNREADABLE

    log = None
    if args.log:
        try:
            log = _MetricsLog(Path(args.log))
        except OSError as err:
            error(f"{args.log}: cannot write the metrics log ({err.strerror or err})")
            return EXIT_UNWRITABLE
    try:
        with _Terminal(args.quiet, log) as terminal:
            session = TrainingSession(project, listener=terminal, overrides=overrides, base_dir=base_dir)
            result, interrupted = _run_interruptibly(session)
    finally:
        if log is not None:
            log.close()
    return _report(project, result, interrupted, args)


def _run_interruptibly(session: Any) -> tuple[Any, bool]:
    """Run in a worker thread so Ctrl+C in the main thread can ask for a clean stop.

    The main thread waits on an Event, not ``Thread.join``: a join interrupted by Ctrl+C can
    leave the thread looking finished on Python 3.11 while it still runs.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["result"] = session.run()
        finally:
            done.set()

    threading.Thread(target=work, name="training", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            if not interrupted:
                print("\nstopping after the current batch… (Ctrl+C again to quit at once)", file=sys.stderr)
                interrupted = True
                session.stop()
            else:
                raise
    return box["result"], interrupted


def _report(project: Any, result: Any, interrupted: bool, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not result.ok:
        error(result.reason)
        return EXIT_FAILED
    console.print(f"{printable(result.reason)} in {result.seconds:.1f} s on {printable(result.device)}")
    if result.test_metrics:
        table = Table(title="Test set", title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in result.test_metrics.items():
            table.add_row(printable(key), f"{value:.4f}")
        console.print(table)
    if args.out and result.model is not None:
        from app.keras_bridge.export import ExportError, export_keras

        try:
            written = export_keras(project, args.out, model=result.model)
        except ExportError as err:
            error(str(err))
            return EXIT_UNWRITABLE
        console.print(f"wrote {printable(str(written))} (trained model, weights included)")
    if args.log:
        console.print(f"wrote {printable(args.log)} ({result.epochs_run} epoch rows)")
    return EXIT_INTERRUPTED if interrupted else EXIT_OK
