"""``layerforge train PROJECT [--dataset NAME|PATH] [--epochs N] [--batch-size B] [--out MODEL.keras] [--log CSV]``.

Training continues from the weights the project has (imported with it, or saved beside it
by an earlier run) unless ``--from-scratch`` is given; the project file itself is changed
only with ``--save-project``, which records the run and saves its trained weights beside
the project (``PROJECT.weights.h5``), so a plain run never rewrites the user's file.

Runs the same engine as the training panel, with a progress bar and live metrics in the
terminal. Ctrl+C stops after the current batch and still reports (and saves) what was
trained; a second Ctrl+C quits at once, still saving the model trained so far. Every
output (``--out``, ``--log``, the checkpoint) is checked to be writable before the first
batch, and each is replaced atomically, so neither a kill nor a full disk destroys an
older file. Exit codes: 0 trained; 1 training failed (the reason is printed: a NaN loss,
an error in the model); 2 the project, dataset or settings cannot be used (before any
training); 3 an output file could not be written; 130 stopped with Ctrl+C.

Every training recipe runs (the project's ``recipe`` setting): a VAE or a GAN writes each
part with ``--out OUT.keras`` (``OUT_encoder.keras`` and ``OUT_decoder.keras``,
``OUT_generator.keras`` and ``OUT_discriminator.keras``); an autoencoder writes one file.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
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
    parser.add_argument("--fine-tune-layers", type=int, metavar="N",
                        help="two-phase training: after --epochs with the backbone frozen, unfreeze its top N "
                             "layers (default: the project's setting)")
    parser.add_argument("--fine-tune-epochs", type=int, metavar="M",
                        help="epochs of the fine-tuning phase; 0 trains in one phase (default: the project's)")
    parser.add_argument("--fine-tune-learning-rate", type=float, metavar="LR",
                        help="the lower learning rate of the fine-tuning phase (default: the project's)")
    parser.add_argument("--out", metavar="MODEL.keras", help="save the trained model, weights included (a VAE or "
                        "GAN recipe writes each part: MODEL_encoder.keras, MODEL_generator.keras, ...)")
    parser.add_argument("--log", metavar="METRICS.csv", help="write one row of metrics per epoch as it ends")
    parser.add_argument("--checkpoint", metavar="BEST.keras",
                        help="save the best model so far here after each epoch (turns checkpoints on; a project "
                             "file can only name a checkpoint inside its own folder)")
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="write TensorBoard logs under DIR, one sub-folder per run (replaces the project's "
                             "tensorboard_dir, which can only name a folder inside the project's own)")
    parser.add_argument("--from-scratch", action="store_true",
                        help="start from freshly initialised weights (default: continue from the weights the "
                             "project has: imported, trained before, or saved beside it)")
    parser.add_argument("--save-project", action="store_true",
                        help="after training, keep the trained weights in the project: record the run and save "
                             "PROJECT.json with PROJECT.weights.h5 beside it (a .json project only; without this "
                             "the project file is never changed)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only the result")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
              "seed": args.seed, "fine_tune_layers": getattr(args, "fine_tune_layers", None),
              "fine_tune_epochs": getattr(args, "fine_tune_epochs", None),
              "fine_tune_learning_rate": getattr(args, "fine_tune_learning_rate", None)}
    if getattr(args, "checkpoint", None):  # the user's own location replaces the project's
        chosen.update(checkpoint=True, checkpoint_path="")
    if getattr(args, "tensorboard", None):  # likewise for the TensorBoard folder
        chosen.update(tensorboard_dir="")
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
    """One CSV row per epoch as it ends, so an interrupted run keeps what it learned.

    The user's existing file is not touched until the first complete row exists: the header
    and that row are written beside it and renamed over it (atomically). Later rows are
    appended, each with a single ``write`` of whole lines, so a kill never leaves half a row.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fields: list[str] | None = None
        self.target: Path | None = None
        self.rows = 0
        self.failure: str | None = None

    def write(self, epoch: int, logs: dict[str, float]) -> None:
        from app.core.atomic import atomic_write_bytes

        if self.failure is not None:
            return
        row = {"epoch": epoch, **logs}
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.fields or list(row), extrasaction="ignore", restval="")
        try:
            if self.fields is None:
                self.fields = list(row)
                writer.writeheader()
                writer.writerow(row)
                self.target = atomic_write_bytes(self.path, text.getvalue().encode("utf-8"))
            else:
                writer.writerow(row)
                fd = os.open(self.target or self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
                try:
                    os.write(fd, text.getvalue().encode("utf-8"))
                finally:
                    os.close(fd)
        except OSError as err:
            self.failure = f"{self.path}: the metrics log could not be written ({err.strerror or err})"
            return
        self.rows += 1


class _Terminal:
    """The listener: a rich progress bar with the latest metrics, and one line per epoch."""

    def __init__(self, quiet: bool, log: _MetricsLog | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.log = log
        self.log_warned = False
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
            self.bar.update(self.task, total=progress.epochs * progress.batches, completed=done,
                            epoch=f"{progress.epoch}/{progress.epochs}",
                            metrics=printable(self._metrics(progress.logs)))

    def epoch_end(self, epoch: Any) -> None:
        with self.lock:
            if self.log is not None:
                self.log.write(epoch.epoch, epoch.logs)
                if self.log.failure is not None and not self.log_warned:
                    self.log_warned = True  # once; training goes on, and the exit code says so (3)
                    self.bar.console.print(f"error: {printable(self.log.failure)}")
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
    project, imported = loaded
    if getattr(args, "save_project", False) and imported:
        error(f"{args.project}: --save-project keeps the weights in a Layerforge project (.json); import the "
              "model first (layerforge import), or save the trained model with --out")
        return EXIT_UNREADABLE
    if getattr(args, "from_scratch", False):
        from app.core.weights import ModelWeights

        project.weights = ModelWeights()  # the session then starts from the initializers
    from app.data import DataError

    try:
        project.dataset = _dataset_ref(project, args.dataset)
    except DataError as err:
        error(str(err))
        return EXIT_UNREADABLE
    base_dir = Path(args.project).resolve().parent
    overrides = _overrides(args)
    for given in (args.out, getattr(args, "checkpoint", None)):
        if given and Path(given).suffix != ".keras":
            error(f"{given}: a Keras model file must end in .keras")
            return EXIT_UNWRITABLE
    unwritable = _unwritable_outputs(args)
    if unwritable:
        for problem in unwritable:
            error(problem)
        return EXIT_UNWRITABLE

    from app.keras_bridge.training import TrainingSession, check_before_training

    problems = check_before_training(project, overrides=overrides, base_dir=base_dir)
    if problems:
        error("cannot train yet:")
        for problem in problems:
            print(f"  - {printable(problem)}", file=sys.stderr)
        return EXIT_UNREADABLE
    checkpoint = _checkpoint(project, overrides, base_dir, args)
    if isinstance(checkpoint, int):
        return checkpoint

    log = _MetricsLog(Path(args.log)) if args.log else None
    from datetime import UTC, datetime

    started = datetime.now(UTC)
    with _Interrupts() as interrupts, _Terminal(args.quiet, log) as terminal:
        session = TrainingSession(project, listener=terminal, overrides=overrides, base_dir=base_dir)
        session.checkpoint_target = checkpoint
        if getattr(args, "tensorboard", None):
            session.tensorboard_target = Path(args.tensorboard)

        def quit_now() -> None:
            terminal.bar.stop()
            _save_partial(project, session, args)

        result = _run_interruptibly(session, interrupts, quit_now)
        terminal.bar.stop()
        code = _report(project, result, interrupts.pressed > 0, args, log)
        if getattr(args, "save_project", False) and result.ok and result.model is not None and code in (
                EXIT_OK, EXIT_INTERRUPTED):
            code = _save_project(project, result, args, started) or code
        return code


def _save_project(project: Any, result: Any, args: argparse.Namespace, started: Any) -> int:
    """``--save-project``: the run joins the history and its weights become the project's, saved
    with the project (sidecar first, then the JSON). Returns an exit code on failure, else 0."""
    from app.core.project import ProjectError
    from app.core.run_history import append_run, make_record
    from app.core.training_settings import with_defaults
    from app.core.weights import run_source
    from app.keras_bridge.weights_io import WeightsError, extract_weights, save_project_with_weights, sidecar_path

    record = make_record(project.graph, with_defaults({**project.training, **_overrides(args)}), project.dataset,
                         status=result.status, reason=result.reason, history=result.history,
                         test_metrics=result.test_metrics, epochs_run=result.epochs_run, seconds=result.seconds,
                         started=started, tensorboard_log=result.tensorboard_log)
    project.runs = append_run(project.runs, record)
    source = run_source(record, len(project.runs))
    try:
        from app.keras_bridge.recipes import graph_model

        trained = graph_model(result.model, project.graph, project.name)  # a recipe's parts, as the graph's nodes
        project.weights = extract_weights(trained, project.graph, source)
        save_project_with_weights(project, args.project)
    except (ProjectError, WeightsError, OSError) as err:
        error(str(err))
        return EXIT_UNWRITABLE
    print(f"saved {printable(args.project)} with {printable(sidecar_path(args.project).name)} (weights "
          f"{printable(project.weights.describe())})")
    return 0


def _unwritable_outputs(args: argparse.Namespace) -> list[str]:
    """Every output that could not be written, in words, checked before any training (a
    30-epoch run must not end by throwing its model away)."""
    from app.core.atomic import writable_problem

    problems = []
    for kind, given in (("the model", args.out), ("the metrics log", args.log),
                        ("the checkpoint", getattr(args, "checkpoint", None))):
        problem = writable_problem(given) if given else None
        if problem:
            problems.append(f"{given}: cannot write {kind} here: {problem}")
    if getattr(args, "save_project", False):
        from app.keras_bridge.weights_io import sidecar_path

        for kind, given in (("the project", args.project), ("its weights", str(sidecar_path(args.project)))):
            problem = writable_problem(given)
            if problem:
                problems.append(f"{given}: cannot save {kind} here (--save-project): {problem}")
    return problems


def _checkpoint(project: Any, overrides: dict[str, Any], base_dir: Path,
                args: argparse.Namespace) -> Path | int | None:
    """The checkpoint file when the run keeps one (checked writable now), None, or an exit code."""
    from app.core.training_settings import with_defaults
    from app.keras_bridge.training import checkpoint_file

    settings = with_defaults({**project.training, **overrides})
    if settings["checkpoint"] is not True:
        return None
    chosen = getattr(args, "checkpoint", None)
    try:
        return checkpoint_file(settings, base_dir, project.name, chosen)
    except ValueError as err:
        error(f"cannot write the checkpoint: {err}")
        return EXIT_UNWRITABLE


class _Interrupts:
    """Ctrl+C while training: the first asks for a stop after the current batch; the second
    quits at once (saving what was trained); a third leaves without waiting for anything.

    A handler that only sets flags replaces Python's KeyboardInterrupt for the whole run and
    report: a KeyboardInterrupt raised in the main thread while TensorFlow's threads run made
    the interpreter tear down under them ("terminate called without an active exception",
    SIGABRT), and one raised inside the final save lost the model.
    """

    def __init__(self) -> None:
        self.pressed = 0
        self.quit = threading.Event()
        self.session: Any = None
        self.previous: Any = None

    def __enter__(self) -> _Interrupts:
        try:
            self.previous = signal.signal(signal.SIGINT, self._on_sigint)
        except ValueError:  # not the main thread (tests calling run() from a worker): leave Python's
            self.previous = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            return
        if self.pressed:
            # The user asked to stop and the command is ending with 130: a Ctrl+C that comes
            # after the run (a second press timed just after the stop) must not raise a
            # KeyboardInterrupt into the interpreter's teardown, which ended the process by SIGINT.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGINT, self.previous)

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.pressed += 1
        if self.pressed == 1:
            print("\nstopping after the current batch… (Ctrl+C again to quit at once, keeping the model "
                  "trained so far)", file=sys.stderr)
            if self.session is not None:
                self.session.stop()
        elif self.pressed == 2:
            self.quit.set()
        else:
            _leave(EXIT_INTERRUPTED)


def _leave(code: int) -> None:
    """End the process now, without the interpreter's teardown (TensorFlow's threads may still run)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _run_interruptibly(session: Any, interrupts: _Interrupts, quit_now: Callable[[], None]) -> Any:
    """Run in a worker thread so Ctrl+C in the main thread can ask for a clean stop.

    The main thread waits on an Event, not ``Thread.join``: a join interrupted by Ctrl+C can
    leave the thread looking finished on Python 3.11 while it still runs. When the user asks
    to quit at once, ``quit_now`` saves what there is and the process ends with exit 130.
    """
    box: dict[str, Any] = {}
    done = threading.Event()
    interrupts.session = session

    def work() -> None:
        try:
            box["result"] = session.run()
        finally:
            done.set()

    threading.Thread(target=work, name="training", daemon=True).start()
    if interrupts.pressed:  # Ctrl+C while the session was being made
        session.stop()
    while not done.is_set() and not interrupts.quit.is_set():
        done.wait(0.2)
    if not done.is_set():
        print("quitting at once", file=sys.stderr)
        quit_now()
        _leave(EXIT_INTERRUPTED)
    return box["result"]


def _save_partial(project: Any, session: Any, args: argparse.Namespace) -> None:
    """Save the model as trained so far when the user quits at once (atomically, like --out always is)."""
    model = getattr(session, "_model", None)
    if not args.out:
        return
    if model is None:
        print("no model was saved: training had not started yet", file=sys.stderr)
        return
    from app.keras_bridge.export import ExportError
    from app.keras_bridge.recipes import save_model_or_parts

    try:
        written = save_model_or_parts(model, args.out)
    except ExportError as err:
        error(str(err))
        return
    for path in written:
        print(f"wrote {printable(str(path))} (partly trained {_what(path, args.out)}, weights included)",
              file=sys.stderr)


def _what(path: Path, out: str) -> str:
    """"model", or the recipe part a file holds ("generator", ...) when --out wrote several."""
    stem = Path(out).stem
    return path.stem[len(stem) + 1:] if path.stem != stem and path.stem.startswith(stem + "_") else "model"


def _report(project: Any, result: Any, interrupted: bool, args: argparse.Namespace,
            log: _MetricsLog | None = None) -> int:
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
        from app.keras_bridge.export import ExportError
        from app.keras_bridge.recipes import save_model_or_parts

        try:
            written = save_model_or_parts(result.model, args.out)
        except ExportError as err:
            error(str(err))
            return EXIT_UNWRITABLE
        for path in written:
            console.print(f"wrote {printable(str(path))} (trained {_what(path, args.out)}, weights included)")
    if args.log:
        if log is not None and log.failure is not None:
            error(log.failure)
            return EXIT_UNWRITABLE
        console.print(f"wrote {printable(args.log)} ({result.epochs_run} epoch rows)")
    return EXIT_INTERRUPTED if interrupted else EXIT_OK
