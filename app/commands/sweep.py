"""``layerforge sweep PROJECT --param NAME=v1,v2 --param NAME=lo..hi [--log NAME] --trials N ...``.

Runs a hyperparameter sweep on Optuna (see :mod:`app.keras_bridge.sweep` for why Optuna). This
process is the coordinator: it runs one worker in a thread, starts ``--workers - 1`` more worker
processes (this same command with a hidden ``--worker-index``) on the same study file, and watches
the study: each trial is printed as it ends, from whichever worker ran it, and kept in the
project's run history (values, metrics, curves). A failing trial is reported with its reason and
the sweep goes on. The study file lives beside the project (``<name>.sweeps/<name>.journal``) unless
``--study`` says otherwise, so a sweep can be reopened and resumed with ``--study-name``.

Exit codes: 0 at least one trial finished; 1 none did; 2 the project, dataset, metric or a
``--param`` cannot be used (nothing trained); 3 an output cannot be written; 130 stopped with Ctrl+C.
``--jsonl`` prints one JSON object a line instead of the table (the Experiments dock reads it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_UNREADABLE, error, load_model_file, printable

EXIT_OK, EXIT_NONE_FINISHED, EXIT_UNWRITABLE, EXIT_INTERRUPTED = 0, 1, 3, 130
POLL_SECONDS = 0.3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Layerforge project (.json)")
    parser.add_argument("--dataset", metavar="NAME|PATH",
                        help="a bundled dataset, a .csv / .npz / .npy file or an image folder (default: the project's)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUES",
                        help="a dimension: NAME=v1,v2,v3 or NAME=low..high; NAME is a training setting "
                             "(learning_rate, batch_size, optimizer, ...) or LAYER.PARAM (hidden_1.units)")
    parser.add_argument("--log", action="append", default=[], metavar="NAME",
                        help="search the range of NAME on a log scale (for rates spanning decades)")
    parser.add_argument("--trials", type=int, default=10, metavar="N", help="trials in all (default 10)")
    parser.add_argument("--metric", metavar="NAME",
                        help="what to optimize: val_accuracy, val_loss, accuracy, test_accuracy, ... (default: "
                             "val_accuracy when reported, else val_loss); losses and errors are minimized")
    parser.add_argument("--direction", choices=("auto", "maximize", "minimize"), default="auto",
                        help="override whether the metric is maximized or minimized")
    parser.add_argument("--sampler", choices=("tpe", "random", "grid"), default="tpe",
                        help="tpe (Bayesian, default), random, or grid (ranges get --grid-points values)")
    parser.add_argument("--grid-points", type=int, default=3, metavar="P", help="values per range in a grid (3)")
    parser.add_argument("--no-prune", action="store_true",
                        help="train every trial to the end (default: stop trials below the median early)")
    parser.add_argument("--workers", type=int, default=1, metavar="K",
                        help="worker processes sharing the study (default 1)")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs per trial (default: the project's)")
    parser.add_argument("--seed", type=int, help="seed for weights, splits and the sampler (default: the project's)")
    parser.add_argument("--study", metavar="FILE",
                        help="the study file (a journal file, or .db for SQLite); default "
                             "<project folder>/<name>.sweeps/<name>.journal")
    parser.add_argument("--study-name", metavar="NAME", help="resume or extend this study (default: a new one)")
    parser.add_argument("--out-project", metavar="BEST.json", help="write the project with the best values applied")
    parser.add_argument("--jsonl", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--no-history", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-dir", help=argparse.SUPPRESS)
    parser.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)


def _stem(path: Path) -> str:
    return path.stem or "project"


def _plan(args: argparse.Namespace) -> Any:
    """The checked plan, or an exit code after printing why the sweep cannot start."""
    path = Path(args.project)
    if path.suffix.lower() != ".json":
        error(f"{args.project}: a sweep needs a Layerforge project (.json), because every trial is kept in its run "
              "history; import a .keras model first (layerforge import MODEL.keras PROJECT.json)")
        return EXIT_UNREADABLE
    loaded = load_model_file(args.project)
    if isinstance(loaded, int):
        return loaded
    project, _imported = loaded
    from app.commands.train import _dataset_ref
    from app.core.sweep_space import (
        SweepSpaceError,
        default_metric,
        metric_direction,
        metric_problem,
        parse_space,
    )
    from app.core.training_settings import with_defaults
    from app.data import DataError

    try:
        project.dataset = _dataset_ref(project, args.dataset)
    except DataError as err:
        error(str(err))
        return EXIT_UNREADABLE
    try:
        space = parse_space(args.param, project.graph, args.log)
    except SweepSpaceError as err:
        error(f"--param {err}")
        return EXIT_UNREADABLE
    for flag, value, low in (("--trials", args.trials, 1), ("--workers", args.workers, 1),
                             ("--grid-points", args.grid_points, 2), ("--epochs", args.epochs, 1)):
        if value is not None and value < low:
            error(f"{flag} must be at least {low} (got {value})")
            return EXIT_UNREADABLE
    if args.workers > 32:
        error(f"--workers {args.workers}: at most 32 worker processes")
        return EXIT_UNREADABLE
    overrides = {key: value for key, value in (("epochs", args.epochs), ("seed", args.seed)) if value is not None}
    settings = with_defaults({**project.training, **overrides})
    metric = args.metric or default_metric(settings)
    problem = metric_problem(metric, settings)
    if problem:
        error(problem)
        return EXIT_UNREADABLE
    base_dir = Path(args.base_dir).resolve() if args.base_dir else path.resolve().parent
    study = Path(args.study) if args.study else base_dir / f"{_stem(path)}.sweeps" / f"{_stem(path)}.journal"
    name = args.study_name or f"{_stem(path)}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    from app.keras_bridge.sweep import SweepPlan

    direction = metric_direction(metric) if args.direction == "auto" else args.direction
    return SweepPlan(project=project, space=space, metric=metric, direction=direction, trials=args.trials,
                     storage=study, study_name=name, base_dir=base_dir, sampler=args.sampler,
                     prune=not args.no_prune, seed=int(settings["seed"]), grid_points=args.grid_points,
                     overrides=overrides)


def run(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if isinstance(plan, int):
        return plan
    if args.worker_index is not None:
        return _run_worker_process(plan, args)
    return _Coordinator(plan, args).run()


def _run_worker_process(plan: Any, args: argparse.Namespace) -> int:
    """A worker started by a coordinator: trials until the budget is used; SIGTERM/SIGINT stop it cleanly."""
    from app.keras_bridge.sweep import SweepError, limit_threads, run_worker

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    limit_threads(args.workers)
    try:
        run_worker(plan, worker=args.worker_index, stop=stop)
    except SweepError as err:
        error(str(err))
        return EXIT_UNREADABLE
    return EXIT_OK


class _Coordinator:
    """Runs worker 0 in a thread and K-1 worker processes, and reports the study as trials end."""

    def __init__(self, plan: Any, args: argparse.Namespace) -> None:
        self.plan = plan
        self.args = args
        self.jsonl = bool(args.jsonl)
        self.stop = threading.Event()
        self.interrupted = 0
        self.reported: set[int] = set()
        self.progress: dict[int, int] = {}
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.worker_error: str | None = None
        from rich.console import Console

        self.console = Console(highlight=False, soft_wrap=True)

    # --- output -----------------------------------------------------------------------------
    def emit(self, event: str, **fields: Any) -> None:
        print(json.dumps(_finite({"event": event, **fields}), default=str, allow_nan=False), flush=True)

    def _note(self, text: str) -> None:
        if self.jsonl:
            self.emit("note", text=text)
        else:
            print(f"note: {printable(text)}", file=sys.stderr, flush=True)

    # --- running ---------------------------------------------------------------------------
    def run(self) -> int:
        from app.keras_bridge.sweep import SweepError, open_study

        plan = self.plan
        out_problem = self._out_problem()
        if out_problem:
            error(out_problem)
            return EXIT_UNWRITABLE
        problems = self._check()
        if problems:
            error("cannot train yet:")
            for problem in problems:
                print(f"  - {printable(problem)}", file=sys.stderr)
            return EXIT_UNREADABLE
        try:
            study = open_study(plan)
        except SweepError as err:
            error(str(err))
            return EXIT_UNWRITABLE
        if plan.sampler == "grid" and plan.budget < plan.trials:
            self._note(f"the grid has {plan.budget} points, so {plan.budget} trials run, not {plan.trials}")
        already = {t.number for t in study.get_trials(deepcopy=False)}
        self.reported |= already
        self._start_message(len(already))
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        with_handlers = threading.current_thread() is threading.main_thread()
        if with_handlers:
            signal.signal(signal.SIGINT, self._on_signal)
            signal.signal(signal.SIGTERM, self._on_signal)
        started = time.perf_counter()
        try:
            self._start_processes()
            thread = threading.Thread(target=self._worker0, name="sweep-worker-0", daemon=True)
            thread.start()
            while thread.is_alive() or any(p.poll() is None for p, _ in self.processes):
                self._poll(study)
                time.sleep(POLL_SECONDS)
            self._poll(study)
        finally:
            self._end_processes()
            if with_handlers:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        from app.keras_bridge.sweep import mark_abandoned

        if mark_abandoned(study):
            self._poll(study)
        return self._summary(study, time.perf_counter() - started)

    def _check(self) -> list[str]:
        from app.keras_bridge.training import check_before_training

        return check_before_training(self.plan.project, overrides=self.plan.overrides, base_dir=self.plan.base_dir)

    def _out_problem(self) -> str | None:
        from app.core.atomic import writable_problem

        out = self.args.out_project
        if not out:
            return None
        if Path(out).suffix.lower() != ".json":
            return f"{out}: --out-project writes a project file, so its name must end in .json"
        problem = writable_problem(out)
        return f"{out}: cannot write the best project here: {problem}" if problem else None

    def _start_message(self, existing: int) -> None:
        plan = self.plan
        dims = [d.describe() for d in plan.space.dimensions]
        if self.jsonl:
            self.emit("start", study=str(plan.storage), study_name=plan.study_name, metric=plan.metric,
                      direction=plan.direction, trials=plan.budget, workers=self.args.workers,
                      dimensions=[d.to_dict() for d in plan.space.dimensions], existing=existing)
            return
        self.console.print(f"sweep [bold]{printable(plan.study_name)}[/bold]: {plan.budget} trials, "
                           f"{plan.direction} {printable(plan.metric)}, sampler {plan.sampler}, "
                           f"{self.args.workers} worker{'s' if self.args.workers != 1 else ''}", markup=True)
        for d in dims:
            self.console.print(f"  {printable(d)}", markup=False)
        self.console.print(f"  study: {printable(str(plan.storage))}"
                           + (f" ({existing} trials from before)" if existing else ""), markup=False)
        self.console.print(f"{'trial':>5}  {'status':<8}  {plan.metric[:12]:>12}  {'time':>7}  values", markup=False)

    def _worker0(self) -> None:
        from app.keras_bridge.sweep import SweepError, limit_threads, run_worker

        on_epoch = None
        if self.jsonl:
            def on_epoch(number: int, epoch: int, logs: dict[str, float]) -> None:
                self.emit("epoch", trial=number, epoch=epoch, logs=logs)
        try:
            limit_threads(self.args.workers)
            run_worker(self.plan, worker=0, stop=self.stop, on_epoch=on_epoch)
        except SweepError as err:
            self.worker_error = str(err)
            self.stop.set()
        except Exception as err:  # a worker bug must not leave the sweep hanging without a word
            self.worker_error = f"the sweep's worker failed ({type(err).__name__}): {err}"
            self.stop.set()

    def _worker_command(self, index: int) -> list[str]:
        args, plan = self.args, self.plan
        command = [sys.executable, "-m", "app", "sweep", str(Path(args.project).resolve()),
                   "--trials", str(args.trials), "--metric", plan.metric, "--direction", plan.direction,
                   "--sampler", args.sampler, "--grid-points", str(args.grid_points), "--workers", str(args.workers),
                   "--study", str(plan.storage.resolve()), "--study-name", plan.study_name,
                   "--seed", str(plan.seed), "--base-dir", str(plan.base_dir), "--worker-index", str(index)]
        if args.dataset:  # the same text, read from the same working folder, names the same data
            command += ["--dataset", args.dataset]
        for spec in args.param:
            command += ["--param", spec]
        for name in args.log:
            command += ["--log", name]
        if args.no_prune:
            command.append("--no-prune")
        if args.epochs is not None:
            command += ["--epochs", str(args.epochs)]
        return command

    def _start_processes(self) -> None:
        import app

        env = dict(os.environ)
        root = str(Path(app.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        logs = self.plan.storage.parent
        for index in range(1, self.args.workers):
            log_path = logs / f"{self.plan.study_name}.worker-{index}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(self._worker_command(index), stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, env=env)
            self.processes.append((process, log_path))

    def _end_processes(self) -> None:
        for process, _log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process, _log in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for index, (process, log) in enumerate(self.processes, start=1):
            if process.returncode == 0:
                log.unlink(missing_ok=True)  # a worker that ended well leaves nothing behind
            elif process.returncode not in (None, -signal.SIGTERM) and not self.stop.is_set():
                tail = _tail(log)
                self._note(f"worker {index} ended with exit code {process.returncode}"
                           + (f": {tail}" if tail else f" (its log: {log})"))

    def _on_signal(self, signum: int, frame: object) -> None:
        self.interrupted += 1
        self.stop.set()
        if self.interrupted == 1:
            print("\nstopping the sweep after the current batch of each trial… (Ctrl+C again to quit at once)",
                  file=sys.stderr, flush=True)
            for process, _log in self.processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
        else:
            for process, _log in self.processes:
                if process.poll() is None:
                    process.kill()
            os._exit(EXIT_INTERRUPTED)

    # --- watching the study ------------------------------------------------------------------
    def _poll(self, study: Any) -> None:
        from app.keras_bridge.sweep import trial_rows

        try:
            rows = trial_rows(study)
        except Exception as err:  # a half-written journal line: read again next time
            self._note(f"the study could not be read just now ({type(err).__name__}); retrying")
            return
        for row in rows:
            if row.state in ("running", "waiting"):
                if self.jsonl and self.progress.get(row.number, -1) != row.epoch:
                    self.progress[row.number] = row.epoch
                    self.emit("running", trial=row.number, values=row.values, epoch=row.epoch, value=row.value,
                              seconds=row.seconds)
                continue
            if row.number in self.reported:
                continue
            self.reported.add(row.number)
            self._report_trial(row)
            if row.record is not None and not self.args.no_history:
                self._keep_run(row.record)

    def _report_trial(self, row: Any) -> None:
        from app.core.sweep_space import trial_label

        if self.jsonl:
            self.emit("trial", trial=row.number, state=row.state, values=row.values, value=row.value,
                      seconds=row.seconds, reason=row.reason, record=row.record)
            return
        value = "—" if row.value is None else f"{row.value:.4f}"
        seconds = "" if row.seconds is None else f"{row.seconds:.1f} s"
        colour = {"finished": "green", "pruned": "yellow", "failed": "red"}.get(row.state, "white")
        line = f"{row.number:>5}  {row.state:<8}  {value:>12}  {seconds:>7}  {printable(trial_label(row.values))}"
        self.console.print(f"[{colour}]{line.replace('[', chr(92) + '[')}[/{colour}]", markup=True)
        if row.state != "finished" and row.reason:
            first = row.reason.strip().splitlines()
            self.console.print(f"{'':>7}{printable(' '.join(x.strip() for x in first[:3]))}", markup=False)

    def _keep_run(self, record: dict[str, Any]) -> None:
        """Append one trial to the project file's run history (read fresh, saved atomically)."""
        from app.core.project import ProjectError, load_project, save_project
        from app.core.run_history import append_run

        path = Path(self.args.project)
        try:
            project = load_project(path)
            project.runs = append_run(project.runs, record)
            save_project(project, path)
        except (ProjectError, OSError) as err:
            if not getattr(self, "_history_warned", False):
                self._history_warned = True
                self._note(f"the run history in {path} could not be updated: {err}")

    # --- the end -------------------------------------------------------------------------------
    def _summary(self, study: Any, seconds: float) -> int:
        from app.core.sweep_space import trial_label
        from app.keras_bridge.sweep import best_row, trial_rows

        plan = self.plan
        if self.worker_error:
            error(self.worker_error)
        rows = [r for r in trial_rows(study) if r.number in self.reported or r.state != "running"]
        best = best_row(rows, plan.direction)
        counts = {state: sum(r.state == state for r in rows) for state in ("finished", "pruned", "failed")}
        if self.jsonl:
            self.emit("done", seconds=round(seconds, 2), counts=counts,
                      best=None if best is None else {"trial": best.number, "values": best.values, "value": best.value})
        else:
            self._table(rows)
            self.console.print(f"{counts['finished']} finished, {counts['pruned']} pruned, {counts['failed']} failed "
                               f"in {seconds:.1f} s", markup=False)
        if best is None:
            if not self.jsonl:
                error("no trial finished, so there is no best value" + (" (the reasons are above)" if rows else
                                                                         ": no trial ran"))
            return EXIT_INTERRUPTED if self.interrupted else EXIT_NONE_FINISHED
        if not self.jsonl:
            self.console.print(f"best: trial {best.number}  {printable(plan.metric)} {best.value:.4f}  "
                               f"{printable(trial_label(best.values))}", markup=False)
        if self.args.out_project:
            code = self._write_best(best.values)
            if code:
                return code
        return EXIT_INTERRUPTED if self.interrupted else EXIT_OK

    def _table(self, rows: list[Any]) -> None:
        from rich.table import Table

        from app.core.sweep_space import format_value

        plan = self.plan
        sign = -1.0 if plan.direction == "maximize" else 1.0
        ordered = sorted(rows, key=lambda r: (r.value is None, sign * (r.value or 0.0), r.number))
        table = Table(title=f"Trials by {plan.metric}", title_justify="left")
        table.add_column("trial", justify="right")
        for name in plan.space.names():
            table.add_column(printable(name), justify="right")
        table.add_column(printable(plan.metric), justify="right")
        table.add_column("status")
        table.add_column("time", justify="right")
        for r in ordered:
            table.add_row(str(r.number), *[printable(format_value(r.values.get(n, "—"))) for n in plan.space.names()],
                          "—" if r.value is None else f"{r.value:.4f}", r.state,
                          "" if r.seconds is None else f"{r.seconds:.1f} s")
        self.console.print(table)

    def _write_best(self, values: dict[str, Any]) -> int:
        from app.core.project import ProjectError, load_project, save_project
        from app.core.sweep_space import apply_values

        plan = self.plan
        try:
            project = load_project(self.args.project)  # with the runs this sweep just added
            graph, training = apply_values(project.graph, {**project.training, **plan.overrides}, plan.space, values)
            project.graph, project.training = graph, training
            project.dataset = plan.project.dataset
            save_project(project, self.args.out_project)
        except (ProjectError, OSError) as err:
            error(f"{self.args.out_project}: the best project could not be written: {err}")
            return EXIT_UNWRITABLE
        if self.jsonl:
            self.emit("wrote", path=str(self.args.out_project))
        else:
            self.console.print(f"wrote {printable(str(self.args.out_project))} (the project with the best values)",
                               markup=False)
        return 0


def _finite(value: Any) -> Any:
    """JSON has no NaN: a diverged value is sent as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])
