"""Hyperparameter sweeps on Optuna: each trial is one :class:`TrainingSession` on a changed copy.

Why Optuna (not KerasTuner): its study lives in a local file (a journal file, or SQLite) that
several processes share through file locks, so ``--workers K`` is K ordinary processes on one
study, with no server and no chief/worker gRPC set-up; it has grid, random and TPE samplers and
a median pruner that ends bad trials early from their per-epoch reports; and it does not need
``tensorboard`` (KerasTuner 1.4.8 on TensorFlow 2.21 fails every trial without it).

Each trial trains with the project's own seed, so two trials differ only in the swept values,
and the best trial retrained with the same settings gives the same numbers (up to float noise).
A trial's run record (the same shape the training panel keeps, plus a ``sweep`` entry) is kept
in the study as a user attribute, so whoever watches the study (the CLI's coordinator, which
writes it into the project's run history) sees every worker's trials without other channels.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.project import Project
from app.core.run_history import make_record
from app.core.sweep_space import (
    DEFAULT_GRID_POINTS,
    SweepSpace,
    SweepSpaceError,
    apply_values,
    format_value,
    trial_label,
)
from app.core.training_settings import with_defaults
from app.data import DataError, Dataset, load_dataset

SAMPLERS = ("tpe", "random", "grid")
RECORD_ATTR = "layerforge_record"
REASON_ATTR = "layerforge_reason"
SECONDS_ATTR = "layerforge_seconds"


class SweepError(Exception):
    """A sweep that cannot start (the message says why, in words)."""


@dataclass
class SweepPlan:
    """Everything a worker needs; every worker process builds the same plan from the same arguments."""

    project: Project
    space: SweepSpace
    metric: str
    direction: str
    trials: int
    storage: Path
    study_name: str
    base_dir: Path | None = None
    sampler: str = "tpe"
    prune: bool = True
    seed: int = 0
    grid_points: int = DEFAULT_GRID_POINTS
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def budget(self) -> int:
        """Trials in all: a grid has no more than its points."""
        if self.sampler == "grid":
            return min(self.trials, self.space.grid_size(self.grid_points))
        return self.trials


@dataclass
class TrialRow:
    """One trial as the table shows it."""

    number: int
    state: str
    """``running``, ``finished``, ``pruned``, ``failed``."""
    values: dict[str, Any]
    value: float | None
    seconds: float | None
    reason: str = ""
    epoch: int = 0
    record: dict[str, Any] | None = None


# --- storage and study ---------------------------------------------------------------------------

def storage_for(path: Path) -> Any:
    """A journal file (any name), or SQLite for ``.db`` / ``.sqlite`` files: both local, no server."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return optuna.storages.RDBStorage(f"sqlite:///{path.resolve()}",
                                          engine_kwargs={"connect_args": {"timeout": 60}})
    return JournalStorage(JournalFileBackend(str(path)))


def _sampler(plan: SweepPlan, worker: int) -> Any:
    import optuna

    seed = plan.seed + 1000 * worker  # workers must not all propose the same first values
    if plan.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if plan.sampler == "grid":
        grid = {d.name: d.grid(plan.grid_points) for d in plan.space.dimensions}
        return optuna.samplers.GridSampler(grid, seed=seed)
    startup = min(10, max(3, plan.trials // 3))
    with warnings.catch_warnings():  # constant_liar is "experimental" since Optuna 2.8; it keeps workers apart
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


def _pruner(plan: SweepPlan) -> Any:
    import optuna

    if not plan.prune or plan.metric.startswith("test_"):
        return optuna.pruners.NopPruner()
    epochs = int(with_defaults({**plan.project.training, **plan.overrides})["epochs"])
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=max(1, epochs // 3))


def open_study(plan: SweepPlan, worker: int = 0) -> Any:
    """Create the study, or join it when another worker (or an earlier run) made it."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.create_study(storage=storage_for(plan.storage), study_name=plan.study_name,
                                   direction=plan.direction, sampler=_sampler(plan, worker),
                                   pruner=_pruner(plan), load_if_exists=True)
    except (OSError, ValueError) as err:
        raise SweepError(f"the study {plan.storage} cannot be opened: {err}") from None
    except Exception as err:  # SQLAlchemy and journal errors have no common base
        raise SweepError(f"the study {plan.storage} cannot be opened ({type(err).__name__}): {err}") from None


@contextlib.contextmanager
def _budget_lock(storage: Path) -> Iterator[None]:
    """Counting the trials and starting one happen under a file lock, so K workers start
    exactly the budget, not a few more."""
    try:
        import fcntl
    except ImportError:  # Windows: without the lock a sweep may run a trial or two extra
        yield
        return
    with open(storage.with_name(storage.name + ".budget.lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- one trial -------------------------------------------------------------------------------

def suggest(trial: Any, plan: SweepPlan) -> dict[str, Any]:
    """The trial's values, one per dimension, from the sampler."""
    values: dict[str, Any] = {}
    for dim in plan.space.dimensions:
        if plan.sampler == "grid":
            values[dim.name] = trial.suggest_categorical(dim.name, dim.grid(plan.grid_points))
        elif not dim.is_range:
            values[dim.name] = trial.suggest_categorical(dim.name, list(dim.values))
        elif dim.kind == "int":
            values[dim.name] = trial.suggest_int(dim.name, int(dim.low or 0), int(dim.high or 0), log=dim.log)
        else:
            values[dim.name] = trial.suggest_float(dim.name, float(dim.low or 0), float(dim.high or 0), log=dim.log)
    return values


def trial_project(plan: SweepPlan, values: Mapping[str, Any]) -> Project:
    """The project as this trial trains it: the swept values put into a copy."""
    base = plan.project
    graph, training = apply_values(base.graph, {**base.training, **plan.overrides}, plan.space, values)
    return dataclasses.replace(base, graph=graph, training=training, runs=[])


class _TrialListener:
    """Reports the metric after every epoch to Optuna and stops the run when the pruner says so."""

    def __init__(self, trial: Any, metric: str, on_epoch: Callable[[int, dict[str, float]], None] | None) -> None:
        self.trial = trial
        self.metric = metric
        self.on_epoch = on_epoch
        self.session: Any = None
        self.pruned_at: int | None = None
        self.pruned_value: float | None = None

    def progress(self, progress: Any) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def epoch_end(self, epoch: Any) -> None:
        if self.on_epoch is not None:
            self.on_epoch(epoch.epoch, dict(epoch.logs))
        value = epoch.logs.get(self.metric)
        if value is None or not math.isfinite(value) or self.pruned_at is not None:
            return
        self.trial.report(float(value), epoch.epoch)
        if epoch.epoch < epoch.epochs and self.trial.should_prune():
            self.pruned_at, self.pruned_value = epoch.epoch, float(value)
            if self.session is not None:
                self.session.stop()


def _objective_value(result: Any, metric: str) -> float | None:
    if metric.startswith("test_"):
        value = result.test_metrics.get(metric.removeprefix("test_"))
    else:
        history = result.history.get(metric) or []
        value = history[-1] if history else None
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def run_trial(plan: SweepPlan, study: Any, trial: Any, dataset: Dataset | None, *,
              stop: threading.Event, collect_garbage: bool = True, worker: int = 0,
              on_epoch: Callable[[int, dict[str, float]], None] | None = None) -> TrialRow:
    """Train one trial and tell the study how it went; never raises for a failing run."""
    import optuna

    from app.keras_bridge.training import TrainingSession

    started = time.perf_counter()
    values: dict[str, Any] = {}
    try:
        values = suggest(trial, plan)
        project = trial_project(plan, values)
    except (SweepSpaceError, ValueError) as err:
        return _tell_failed(study, trial, values, f"the values cannot be used: {err}", started)
    listener = _TrialListener(trial, plan.metric, on_epoch)
    session = TrainingSession(project, dataset=dataset, listener=listener, base_dir=plan.base_dir,
                              collect_garbage=collect_garbage)
    listener.session = session
    done = threading.Event()
    watcher = threading.Thread(target=_stop_when, args=(stop, done, session), daemon=True, name="sweep-stop")
    watcher.start()
    try:
        result = session.run()
    finally:
        done.set()
    seconds = time.perf_counter() - started
    value = _objective_value(result, plan.metric)
    if listener.pruned_at is not None and not stop.is_set():
        state, status = optuna.trial.TrialState.PRUNED, "stopped"
        reason = (f"pruned after epoch {listener.pruned_at}: {plan.metric} {format_value(listener.pruned_value)} "
                  "was worse than the median of earlier trials at that epoch")
    elif stop.is_set() and result.status != "failed":
        state, status, reason = optuna.trial.TrialState.FAIL, "stopped", "stopped by you"
    elif not result.ok:
        state, status, reason = optuna.trial.TrialState.FAIL, "failed", result.reason
    elif value is None:
        state, status = optuna.trial.TrialState.FAIL, "failed"
        reason = f"the run did not report a finite {plan.metric}"
    else:
        state, status, reason = optuna.trial.TrialState.COMPLETE, result.status, result.reason
    record = make_record(project.graph, session.settings, project.dataset, status=status, reason=reason,
                         history=result.history, test_metrics=result.test_metrics, epochs_run=result.epochs_run,
                         seconds=seconds, tensorboard_log=result.tensorboard_log)
    record["sweep"] = {"study": plan.study_name, "trial": trial.number, "values": values, "metric": plan.metric,
                       "value": value if state == optuna.trial.TrialState.COMPLETE else None,
                       "state": _state_name(state), "worker": worker}
    trial.set_user_attr(RECORD_ATTR, record)
    trial.set_user_attr(REASON_ATTR, reason)
    trial.set_user_attr(SECONDS_ATTR, round(seconds, 2))
    if state == optuna.trial.TrialState.COMPLETE:
        study.tell(trial, value)
    else:
        study.tell(trial, state=state)
    return TrialRow(trial.number, _state_name(state), values,
                    value if state == optuna.trial.TrialState.COMPLETE else None, seconds, reason, record=record)


def _stop_when(stop: threading.Event, done: threading.Event, session: Any) -> None:
    """Carry a worker-wide stop into the running session (checked a few times a second)."""
    while not done.is_set():
        if stop.wait(0.2):
            session.stop()
            return


def _tell_failed(study: Any, trial: Any, values: dict[str, Any], reason: str, started: float) -> TrialRow:
    import optuna

    seconds = time.perf_counter() - started
    trial.set_user_attr(REASON_ATTR, reason)
    trial.set_user_attr(SECONDS_ATTR, round(seconds, 2))
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return TrialRow(trial.number, "failed", values, None, seconds, reason)


# --- a worker ---------------------------------------------------------------------------------

def load_plan_dataset(plan: SweepPlan) -> Dataset:
    """The dataset, loaded once per worker and shared by its trials."""
    ref = plan.project.dataset
    if not ref:
        raise SweepError("no dataset chosen: pass --dataset NAME|PATH (see `layerforge datasets`)")
    try:
        return load_dataset(ref, plan.base_dir)
    except DataError as err:
        raise SweepError(f"the dataset could not be loaded: {err}") from None


def limit_threads(workers: int) -> None:
    """Share the CPU cores among the workers (TensorFlow would give each process all of them),
    and keep TensorFlow's retracing warnings (one per trial's new model) out of the table."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    if workers <= 1:
        return
    per_worker = max(1, (os.cpu_count() or 1) // workers)
    with contextlib.suppress(RuntimeError):  # TensorFlow already started: keep its threads
        tf.config.threading.set_intra_op_parallelism_threads(per_worker)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, min(2, per_worker)))


def run_worker(plan: SweepPlan, *, worker: int = 0, stop: threading.Event | None = None,
               collect_garbage: bool = True, on_trial: Callable[[TrialRow], None] | None = None,
               on_epoch: Callable[[int, int, dict[str, float]], None] | None = None) -> int:
    """Run trials on the shared study until it holds ``plan.budget`` of them; returns how many ran here."""
    stop = stop or threading.Event()
    study = open_study(plan, worker)
    dataset = load_plan_dataset(plan)
    ran = 0
    while not stop.is_set():
        with _budget_lock(plan.storage):
            if len(study.get_trials(deepcopy=False)) >= plan.budget:
                break
            trial = study.ask()
        epoch_hook = functools.partial(on_epoch, trial.number) if on_epoch is not None else None
        row = run_trial(plan, study, trial, dataset, stop=stop, collect_garbage=collect_garbage,
                        worker=worker, on_epoch=epoch_hook)
        ran += 1
        if on_trial is not None:
            on_trial(row)
    return ran


# --- reading the study ------------------------------------------------------------------------

def _state_name(state: Any) -> str:
    import optuna

    names = {optuna.trial.TrialState.COMPLETE: "finished", optuna.trial.TrialState.PRUNED: "pruned",
             optuna.trial.TrialState.FAIL: "failed", optuna.trial.TrialState.RUNNING: "running",
             optuna.trial.TrialState.WAITING: "waiting"}
    return names.get(state, str(state).lower())


def trial_rows(study: Any) -> list[TrialRow]:
    """Every trial of the study so far, oldest first."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        state = _state_name(t.state)
        seconds = t.user_attrs.get(SECONDS_ATTR)
        if seconds is None and t.datetime_start is not None:
            end = t.datetime_complete
            seconds = ((end.timestamp() if end else time.time()) - t.datetime_start.timestamp())
        epoch = max(t.intermediate_values) if t.intermediate_values else 0
        value = t.value if state == "finished" else None
        if state == "running" and t.intermediate_values:
            value = t.intermediate_values[epoch]
        rows.append(TrialRow(t.number, state, dict(t.params), value, seconds, str(t.user_attrs.get(REASON_ATTR, "")),
                             epoch, t.user_attrs.get(RECORD_ATTR)))
    return rows


def best_row(rows: list[TrialRow], direction: str) -> TrialRow | None:
    """The finished trial with the best value (the earliest among equals)."""
    done = [r for r in rows if r.state == "finished" and r.value is not None]
    if not done:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    return min(done, key=lambda r: (sign * float(r.value or 0.0), r.number))


def mark_abandoned(study: Any) -> int:
    """Trials left ``running`` by a worker that was killed become failed; returns how many."""
    import optuna

    count = 0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        with contextlib.suppress(Exception):
            study._storage.set_trial_user_attr(t._trial_id, REASON_ATTR, "its worker was stopped before it ended")
            study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
            count += 1
    return count


__all__ = [
    "SAMPLERS",
    "SweepError",
    "SweepPlan",
    "TrialRow",
    "best_row",
    "limit_threads",
    "load_plan_dataset",
    "mark_abandoned",
    "open_study",
    "run_trial",
    "run_worker",
    "storage_for",
    "suggest",
    "trial_label",
    "trial_project",
    "trial_rows",
]
