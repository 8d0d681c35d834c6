"""The training engine: one run of ``fit`` on a snapshot of a project, reported as it goes.

Qt-free, so the training panel (in a ``QThread``) and ``layerforge train`` (in the terminal)
share it. A :class:`TrainingSession` copies the graph, settings and dataset reference when
it is made, so edits made afterwards cannot reach a running fit. ``run()`` never raises:
every way a run can end becomes a :class:`TrainingResult` whose ``reason`` says, in words,
what happened and what to change.

Cost matters: a callback that hooks every batch makes Keras wait for each batch's numbers.
Ours is ``async_safe``, so Keras hands the per-batch logs to a helper thread and the
training loop runs on; that thread throttles what it reports to at most 20 updates a
second. Stopping (the user's Stop or a NaN loss) sets ``model.stop_training``, which
``fit`` checks after every batch.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from app.core.project import Project
from app.core.recipes import RecipeError, RecipePlan, plan_recipe
from app.core.shapes import Analysis, analyze
from app.core.training_settings import (
    check_settings,
    fine_tuning,
    learning_rate_at,
    metric_spec,
    total_epochs,
    with_defaults,
)
from app.data import DataError, DataMismatch, Dataset, Prepared, load_dataset, prepare, split_dataset

if TYPE_CHECKING:
    import keras

PROGRESS_INTERVAL = 0.05
"""Seconds between progress reports: at most 20 a second, whatever the batch rate."""

MAX_ERROR_LINES = 6
"""Keras error messages can run to pages; the first lines carry the reason."""


@dataclass(frozen=True)
class Progress:
    """Where a run is, within an epoch. ``logs`` holds the running loss and metrics."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    logs: dict[str, float]
    learning_rate: float
    elapsed: float
    eta: float | None

    @property
    def fraction(self) -> float:
        """How far the whole run is, 0..1 (for a progress bar)."""
        total = self.epochs * max(1, self.batches)
        return min(1.0, ((self.epoch - 1) * max(1, self.batches) + self.batch) / total)


@dataclass(frozen=True)
class EpochEnd:
    """An epoch's final numbers: loss, metrics, their ``val_`` twins and ``learning_rate``."""

    epoch: int
    epochs: int
    logs: dict[str, float]
    elapsed: float
    phase: int = 1
    """2 for the fine-tuning epochs of a two-phase run (the live plots mark where it starts)."""


class TrainingListener(Protocol):
    """What a run reports to. Called from the training thread: hand work to your own thread."""

    def progress(self, progress: Progress) -> None: ...

    def epoch_end(self, epoch: EpochEnd) -> None: ...

    def message(self, text: str) -> None: ...


@dataclass(frozen=True)
class Probe:
    """Something to compute from the model while it trains (a live decision boundary, say).

    ``fn(model, prepared)`` runs off the caller's thread, at most every ``interval`` seconds,
    at the start and after every epoch; what it returns goes to ``listener.probe``. It reads
    the weights as they are at that moment, so it must not change the model.
    """

    fn: Callable[[Any, Prepared], Any]
    interval: float = 0.25


class _Silent:
    def progress(self, progress: Progress) -> None:
        pass

    def epoch_end(self, epoch: EpochEnd) -> None:
        pass

    def message(self, text: str) -> None:
        pass


@dataclass
class TrainingResult:
    """How a run ended, and everything the panel and the CLI show afterwards."""

    status: str
    reason: str
    history: dict[str, list[float]] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)
    model: keras.Model | None = None
    prepared: Prepared | None = None
    test_predictions: np.ndarray | None = None
    dataset: Dataset | None = None
    epochs_run: int = 0
    seconds: float = 0.0
    fit_seconds: float = 0.0
    """Time inside ``model.fit`` alone (``seconds`` also counts loading, building and testing)."""
    device: str = ""
    notes: list[str] = field(default_factory=list)
    fine_tune_from: int | None = None
    """The first epoch (1-based) of the fine-tuning phase, when the run had one."""
    tensorboard_log: Path | None = None
    """The folder this run's TensorBoard logs went to (None: no logging)."""

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class _Failed(Exception):
    """A run that cannot go on; the message is the result's reason."""


# --- checks that need no Keras ------------------------------------------------------------------

def _settings_problems(settings: Mapping[str, Any]) -> list[str]:
    return [f"training setting {p}" for p in check_settings(settings)]


def _graph_problems(analysis: Analysis) -> list[str]:
    return [f"model: {p.message}" for p in analysis.errors]


def _weights_problems(graph: Any, analysis: Analysis, settings: Mapping[str, Any], folder: Path | None,
                      weights: Any = None) -> list[str]:
    """Missing ImageNet files and weights files, named before any data is loaded or model built
    (a backbone that the kept ``weights`` cover needs no file: they win over it)."""
    from app.core.weights import ModelWeights, kept_backbones
    from app.keras_bridge.backbones import BackboneError, preflight, resolve_weights_file

    problems = preflight(graph, analysis, folder, kept_backbones(graph, analysis, weights or ModelWeights()))
    if settings.get("pretrained_weights"):
        try:
            resolve_weights_file(settings["pretrained_weights"], folder, "the model")
        except BackboneError as err:
            problems.append(f"training setting pretrained_weights: {err}")
    return problems


def _recipe_plan(graph: Any, settings: Mapping[str, Any], analysis: Analysis) -> RecipePlan | None:
    """The recipe's parts and roles (None: supervised); a graph that does not fit is refused by name."""
    try:
        return plan_recipe(graph, settings, analysis)
    except RecipeError as err:
        raise _Failed(f"model: {err}") from None


def _load(ref: Mapping[str, Any] | None, dataset: Dataset | None, base_dir: Path | None) -> Dataset:
    if dataset is not None:
        return dataset
    if not ref:
        raise _Failed("no dataset chosen: pick one in the training panel (or pass --dataset)")
    try:
        return load_dataset(ref, base_dir)
    except DataError as err:
        raise _Failed(f"the dataset could not be loaded: {err}") from None


def _base_dir(project: Project, base_dir: Path | None) -> Path | None:
    if base_dir is not None:
        return base_dir
    return project.path.parent if project.path is not None else None


def check_before_training(project: Project, dataset: Dataset | None = None,
                          overrides: Mapping[str, Any] | None = None, base_dir: Path | None = None) -> list[str]:
    """Everything that would stop a run, as sentences, without building a model (fast).

    Covers the settings, the graph's errors and whether the data fits the model's inputs,
    outputs and loss (see :func:`app.data.prepare`).
    """
    settings = with_defaults({**project.training, **(overrides or {})})
    problems = _settings_problems(settings)
    analysis = analyze(project.graph)
    problems += _graph_problems(analysis)
    if problems:
        return problems
    problems += _weights_problems(project.graph, analysis, settings, _base_dir(project, base_dir),
                                  getattr(project, "weights", None))
    if problems:
        return problems
    try:
        plan = _recipe_plan(project.graph, settings, analysis)
        ds = _load(project.dataset, dataset, _base_dir(project, base_dir))
        splits = split_dataset(ds, settings["validation_split"], settings["test_split"], settings["seed"])
        if plan is None:
            prepare(ds, splits, project.graph, settings, project.dataset, analysis)
        else:
            from app.keras_bridge.recipes import prepare_recipe_data

            prepare_recipe_data(ds, splits, project.graph, plan, settings, project.dataset)
    except _Failed as err:
        problems.append(str(err))
    except DataMismatch as err:
        problems += err.problems
    return problems


# --- Keras objects from settings ------------------------------------------------------------------

def _optimizer(settings: Mapping[str, Any]) -> Any:
    import keras

    name = settings["optimizer"]
    common: dict[str, Any] = {"learning_rate": float(settings["learning_rate"])}
    if settings["clipnorm"]:
        common["clipnorm"] = float(settings["clipnorm"])
    if name == "sgd":
        return keras.optimizers.SGD(momentum=float(settings["momentum"]), nesterov=bool(settings["nesterov"]),
                                    **common)
    if name == "adamw":
        return keras.optimizers.AdamW(weight_decay=float(settings["weight_decay"]), **common)
    classes = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
               "adamax": keras.optimizers.Adamax, "nadam": keras.optimizers.Nadam}
    return classes[name](**common)


def _metrics(settings: Mapping[str, Any]) -> list[Any]:
    import keras

    built: list[Any] = []
    for key in settings["metrics"]:
        spec = metric_spec(key, settings["loss"])
        if isinstance(spec, str):
            built.append(spec)
        else:
            class_name, kwargs = spec
            built.append(getattr(keras.metrics, class_name)(**kwargs))
    return built


def _device(settings: Mapping[str, Any]) -> tuple[str, Any]:
    """A description of where training runs, and a distribution strategy (or None)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU", None
    if len(gpus) > 1 and settings["multi_gpu"]:
        return f"{len(gpus)} GPUs (MirroredStrategy)", tf.distribute.MirroredStrategy()
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU 0: {details.get('device_name', gpus[0].name)}", None


def _first_lines(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    shown = "\n".join(lines[:MAX_ERROR_LINES])
    return shown + ("\n…" if len(lines) > MAX_ERROR_LINES else "")


def _as_inputs(arrays: Mapping[str, np.ndarray]) -> Any:
    """One array for a one-input model, else the list in the model's input order."""
    values = list(arrays.values())
    return values[0] if len(values) == 1 else values


# --- the callback --------------------------------------------------------------------------------

def _float(value: Any) -> float:
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return math.nan


def _reporter_class() -> type:
    import keras

    class Reporter(keras.callbacks.Callback):
        """Progress, stop requests, NaN detection and the learning-rate schedule, in one callback.

        ``on_train_batch_end`` runs on Keras' helper thread (``async_safe``); it reads only
        the logs Keras gives it and this object's own fields.
        """

        async_safe = True

        def __init__(self, session: TrainingSession, settings: Mapping[str, Any], schedule: bool) -> None:
            super().__init__()
            self.session = session
            self.settings = settings
            self.schedule = schedule
            self.epoch = 0
            self.step = 0
            self.started = time.perf_counter()
            self.last_report = 0.0
            self.nan_at: tuple[int, int] | None = None
            self.position = (0, 0)
            self.current_lr = float(settings["learning_rate"])
            # Keras may run batch-end callbacks on several pool threads at once: one lock keeps
            # the throttle honest and reports in order (an older batch is never sent after a newer).
            self.lock = threading.Lock()
            self.last_done = 0
            self.probe_lock = threading.Lock()
            self.last_probe = 0.0

        # main thread ---------------------------------------------------------------------------
        def on_train_begin(self, logs: Any = None) -> None:
            self.started = time.perf_counter()
            self.step = 0
            self._probe(force=True)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch + 1

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if self.session.stop_requested or self.nan_at is not None:
                self.model.stop_training = True
            if self.schedule:
                self.current_lr = learning_rate_at(self.settings, self.step, self.batches)
                self.model.optimizer.learning_rate.assign(self.current_lr)
            self.step += 1

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            values = {key: _float(value) for key, value in (logs or {}).items()}
            values["learning_rate"] = self._learning_rate()
            self.session._record_epoch(EpochEnd(epoch + 1, self.epochs, values, time.perf_counter() - self.started,
                                                self.session.phase))
            self._probe(force=True)

        # helper thread -------------------------------------------------------------------------
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            values = {key: _float(value) for key, value in (logs or {}).items()}
            self.position = (self.epoch, batch + 1)
            losses = [v for k, v in values.items() if k == "loss" or k.endswith("_loss")]  # a GAN has two
            if not all(math.isfinite(v) for v in losses) and self.nan_at is None:
                self.nan_at = self.position
                self.model.stop_training = True
            done = (self.epoch - 1) * self.batches + batch + 1
            with self.lock:
                now = time.perf_counter()
                if done <= self.last_done or (now - self.last_report < PROGRESS_INTERVAL and batch + 1 != self.batches):
                    return
                self.last_report, self.last_done = now, done
                elapsed = now - self.started
                total = self.epochs * self.batches
                eta = elapsed / done * (total - done)
                self.session.listener.progress(Progress(self.epoch, self.epochs, batch + 1, self.batches, values,
                                                        self._learning_rate(), elapsed, eta))
            self._probe(force=False)

        # either thread --------------------------------------------------------------------------
        def _probe(self, force: bool) -> None:
            """Run the session's probe unless one is running or (``force`` aside) it ran lately."""
            session = self.session
            probe = session.probe
            if probe is None or session.prepared is None:
                return
            if not force and time.perf_counter() - self.last_probe < probe.interval:
                return
            if not self.probe_lock.acquire(blocking=force):
                return
            try:
                self.last_probe = time.perf_counter()
                value = probe.fn(self.model, session.prepared)
            except Exception as err:  # a view's helper must never end the run: report it and stop probing
                session.probe = None
                session.listener.message(f"the live view stopped ({type(err).__name__}): {_first_lines(str(err))}")
                return
            finally:
                self.probe_lock.release()
            send = getattr(session.listener, "probe", None)
            if send is not None:
                send(value)

        # ---------------------------------------------------------------------------------------
        @property
        def batches(self) -> int:
            return int(self.params.get("steps") or 1)

        @property
        def epochs(self) -> int:
            return int(self.params.get("epochs") or 1)

        def _learning_rate(self) -> float:
            if self.schedule:
                return self.current_lr
            try:
                return float(np.asarray(self.model.optimizer.learning_rate))
            except (TypeError, ValueError, AttributeError):
                return self.current_lr

    return Reporter


# --- the checkpoint ------------------------------------------------------------------------------

def checkpoint_file(settings: Mapping[str, Any], base_dir: Path | None, model_name: str,
                    chosen: str | Path | None = None) -> Path:
    """The file a run's checkpoint writes, checked to be writable now; ``ValueError`` says why not.

    ``chosen`` is a location the user picked themselves (``--checkpoint``), used as given.
    Otherwise the project's ``checkpoint_path`` (or ``<model>.best.keras``) is taken inside
    ``base_dir``, the project's folder: a project file never decides where else to write.
    """
    from app.core.atomic import writable_problem
    from app.core.codegen import keras_model_name
    from app.core.training_settings import CHECKPOINT_SUFFIX, checkpoint_path_problem, resolve_in_folder

    if chosen is not None:
        path = Path(chosen)
        if path.suffix != CHECKPOINT_SUFFIX:
            raise ValueError(f"{os.fspath(chosen)!r} must end in {CHECKPOINT_SUFFIX}")
    else:
        given = settings["checkpoint_path"]
        problem = checkpoint_path_problem(given)
        if problem:
            raise ValueError(problem)
        name = given or f"{keras_model_name(model_name)}.best{CHECKPOINT_SUFFIX}"
        if base_dir is None:
            raise ValueError("the project has no folder yet: save the project first (the checkpoint goes next to "
                             "it) or choose the checkpoint file yourself")
        path = resolve_in_folder(base_dir, name)
    problem = writable_problem(path)
    if problem:
        raise ValueError(f"cannot write {os.fspath(path)!r}: {problem}")
    return path


def tensorboard_folder(settings: Mapping[str, Any], base_dir: Path | None,
                       chosen: str | Path | None = None) -> Path | None:
    """A new, empty sub-folder for one run's TensorBoard logs, or None when logging is off;
    ``ValueError`` says why it cannot be made.

    ``chosen`` is a folder the user picked themselves (``--tensorboard``), used as given;
    otherwise the project's ``tensorboard_dir`` is taken inside ``base_dir``, like the checkpoint.
    """
    from datetime import UTC, datetime

    from app.core.training_settings import resolve_in_folder, tensorboard_dir_problem

    if chosen is not None:
        parent = Path(chosen)
    else:
        given = settings["tensorboard_dir"]
        problem = tensorboard_dir_problem(given)
        if problem:
            raise ValueError(problem)
        if not given:
            return None
        if base_dir is None:
            raise ValueError("the project has no folder yet: save the project first (the logs go next to it)")
        parent = resolve_in_folder(base_dir, given)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        folder = parent / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as err:
            raise ValueError(f"cannot make the log folder {os.fspath(folder)!r}: {err.strerror or err}") from None
        return folder
    raise ValueError(f"{os.fspath(parent)!r} already holds 99 runs started at {stamp}")


def _checkpoint_class() -> type:
    import keras

    class AtomicCheckpoint(keras.callbacks.Callback):
        """Keras' ``ModelCheckpoint(save_best_only=True)``, saving through a temp file and a rename.

        ModelCheckpoint writes straight over the target, so a kill mid-save destroyed the
        previous best model; here the old file stays whole until the new one is complete.
        """

        def __init__(self, session: TrainingSession, path: Path, monitor: str) -> None:
            super().__init__()
            self.session = session
            self.path = path
            self.monitor = monitor
            self.best = math.inf
            self.warned = False

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            value = (logs or {}).get(self.monitor)
            if value is None:
                if not self.warned:
                    self.warned = True
                    self.session.listener.message(f"the checkpoint watches {self.monitor}, which this run does not "
                                                  "report: no checkpoint is written")
                return
            score = _float(value)
            if not math.isfinite(score) or score >= self.best:
                return
            self.best = score
            from app.keras_bridge.export import ExportError, save_model_file

            try:
                save_model_file(self.model, self.path)
            except ExportError as err:
                raise _Failed(f"the checkpoint could not be written: {err}") from None

    return AtomicCheckpoint


# --- the session ---------------------------------------------------------------------------------

class TrainingSession:
    """One training run on a snapshot of ``project``; :meth:`run` it in any thread, once.

    ``collect_garbage=False`` keeps the run from calling ``gc.collect()`` (Keras'
    ``clear_session`` does by default). A GUI must pass it: a collection on the training
    thread destroys the GUI's cyclic Qt garbage off the GUI thread, and Qt aborts (issue 20);
    the GUI collects on its own thread instead (``app.gui.gc_guard``).
    """

    def __init__(self, project: Project, *, dataset: Dataset | None = None,
                 listener: TrainingListener | None = None, overrides: Mapping[str, Any] | None = None,
                 base_dir: Path | None = None, probe: Probe | None = None, collect_garbage: bool = True) -> None:
        self.graph = project.graph.copy()
        self.name = project.name
        self.settings = with_defaults({**copy.deepcopy(project.training), **(overrides or {})})
        self.dataset_ref = copy.deepcopy(project.dataset)
        self.dataset = dataset
        self.base_dir = _base_dir(project, base_dir)
        self.listener: TrainingListener = listener or _Silent()
        self._stop = threading.Event()
        self._model: Any = None
        self._gradients_before: frozenset[str] | None = None
        self.history: dict[str, list[float]] = {}
        self.probe = probe
        self.prepared: Prepared | None = None
        self.collect_garbage = collect_garbage
        self.phase = 1
        """2 once a two-phase run has started fine-tuning."""
        self.start_weights = getattr(project, "weights", None)
        self.plan: RecipePlan | None = None
        """The recipe's parts once the run has checked the graph (None: supervised)."""
        self.tensorboard_log: Path | None = None
        """This run's TensorBoard folder once training has made it (None: no logging)."""
        self.recipe_data: Any = None
        """A recipe's :class:`app.keras_bridge.recipes.RecipeData` (labels beside the arrays)."""
        """The project's kept weights: the run starts from them (empty: from the initializers)."""

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the run to end after the current batch (safe from any thread)."""
        self._stop.set()
        model = self._model
        if model is not None:
            model.stop_training = True

    def _record_epoch(self, epoch: EpochEnd) -> None:
        for key, value in epoch.logs.items():
            self.history.setdefault(key, []).append(value)
        self.listener.epoch_end(epoch)

    def run(self) -> TrainingResult:
        """Train; every outcome, failures included, comes back as a result."""
        started = time.perf_counter()
        result = TrainingResult(status="failed", reason="")
        try:
            self._run(result)
        except _Failed as err:
            result.status, result.reason = "failed", str(err)
        except DataMismatch as err:
            result.status = "failed"
            result.reason = "the data does not fit the model:\n" + "\n".join(f"  - {p}" for p in err.problems)
        except MemoryError:
            result.status, result.reason = "failed", "out of memory: lower the batch size or use a smaller model"
        except Exception as err:  # a run must never take the app down; the reason is shown
            result.status = "failed"
            result.reason = f"training failed ({type(err).__name__}): {_first_lines(str(err))}"
        finally:
            self._release()
        result.history = self.history
        result.tensorboard_log = self.tensorboard_log
        result.epochs_run = self._epochs_recorded()
        result.seconds = time.perf_counter() - started
        return result

    def _run(self, result: TrainingResult) -> None:
        settings = self.settings
        problems = _settings_problems(settings)
        analysis = analyze(self.graph)
        problems += _graph_problems(analysis)
        if not problems:
            problems += _weights_problems(self.graph, analysis, settings, self.base_dir, self.start_weights)
        if problems:
            raise _Failed("cannot train yet:\n" + "\n".join(f"  - {p}" for p in problems))
        plan = self.plan = _recipe_plan(self.graph, settings, analysis)
        dataset = _load(self.dataset_ref, self.dataset, self.base_dir)
        result.dataset = dataset
        splits = split_dataset(dataset, settings["validation_split"], settings["test_split"], settings["seed"])
        if plan is None:
            prepared = prepare(dataset, splits, self.graph, settings, self.dataset_ref, analysis)
        else:
            from app.keras_bridge.recipes import prepare_recipe_data

            self.recipe_data = prepare_recipe_data(dataset, splits, self.graph, plan, settings, self.dataset_ref)
            prepared = self.recipe_data.prepared
            self.listener.message(plan.describe())
            if getattr(self.listener, "probe", None) is not None:  # a live view listens: the recipe's pictures
                from app.keras_bridge.recipes import recipe_view_probe

                self.probe = Probe(recipe_view_probe(plan, self.recipe_data, int(settings["seed"])),
                                   interval=math.inf)  # after each epoch only
        result.prepared = prepared
        self.prepared = prepared
        result.notes = [*dataset.notes, *prepared.notes]
        for note in result.notes:
            self.listener.message(note)
        if self._stop.is_set():
            result.status, result.reason = "stopped", "stopped by you before training started"
            return

        import keras

        from app.keras_bridge.compile import KERAS_STATE_LOCK
        from app.keras_bridge.release import custom_gradient_names

        with KERAS_STATE_LOCK:
            keras.backend.clear_session(free_memory=self.collect_garbage)
            self._gradients_before = custom_gradient_names()
            keras.utils.set_random_seed(int(settings["seed"]))
            result.device, strategy = _device(settings)
            self.listener.message(f"training on {result.device}")
            if plan is not None:
                model = self._build_recipe(plan)
            elif strategy is not None:
                with strategy.scope():
                    model = self._build(analysis)
            else:
                model = self._build(analysis)
        self._model = model
        result.model = model
        fit_started = time.perf_counter()
        reporter = self._fit(model, prepared, settings)
        reporter = self._fine_tune(model, prepared, settings, reporter, result)
        result.fit_seconds = time.perf_counter() - fit_started

        if reporter.nan_at is not None:
            epoch, batch = reporter.nan_at
            result.status = "failed"
            result.reason = (f"the loss became NaN or infinite at epoch {epoch}, batch {batch}, so training "
                             "stopped: lower the learning rate, add gradient clipping, or check the data for "
                             "huge or missing values")
            return
        epochs_run = self._epochs_recorded()
        if self._stop.is_set():
            epoch, batch = reporter.position
            result.status = "stopped"
            result.reason = f"stopped by you at epoch {epoch}, batch {batch}"
        elif epochs_run < total_epochs(settings):
            result.status = "finished"
            result.reason = (f"early stopping after epoch {epochs_run}: {settings['monitor']} stopped improving"
                             + (" (best weights restored)" if settings["restore_best_weights"] else ""))
        else:
            result.status = "finished"
            result.reason = f"finished {epochs_run} epoch{'s' if epochs_run != 1 else ''}"
        if prepared.test is not None:
            x_test, y_test = prepared.test
            scores = model.evaluate(_as_inputs(x_test), _as_inputs(y_test), batch_size=int(settings["batch_size"]),
                                    verbose=0, return_dict=True)
            result.test_metrics = {key: _float(value) for key, value in scores.items()}
            if plan is not None:  # a recipe's outputs are pictures, not answers to score
                return
            predictions = model.predict(_as_inputs(x_test), batch_size=int(settings["batch_size"]), verbose=0)
            result.test_predictions = np.asarray(predictions[0] if isinstance(predictions, list) else predictions)

    def _epochs_recorded(self) -> int:
        """Epochs that reported (every epoch records its learning rate, whatever its losses are called)."""
        return len(self.history.get("learning_rate", []))

    def _release(self) -> None:
        """Let TensorFlow forget this run's traced train step, or every run stays in memory (issue 11).

        See :mod:`app.keras_bridge.release`. The model stays usable: predict, evaluate, save.
        """
        before, self._gradients_before = self._gradients_before, None
        if before is None or self._model is None:
            return
        from app.keras_bridge.release import release_gradients

        with contextlib.suppress(Exception):  # freeing memory must never turn a finished run into a failed one
            release_gradients(before, self._model)

    def _compile_with_weights_files(self, analysis: Analysis) -> Any:
        """Build the model as export and insight do (:func:`app.keras_bridge.weights_io.build_model`):
        backbone weights files, then the pretrained-weights setting, then the kept weights (an import,
        an earlier run), which win; the reports and what did not fit become messages."""
        from app.keras_bridge.backbones import BackboneError, resolve_weights_file
        from app.keras_bridge.weights_io import build_model

        value = self.settings["pretrained_weights"]
        try:
            model_file = (resolve_weights_file(value, self.base_dir, "the model"), value) if value else None
            built = build_model(self.graph, self.name, folder=self.base_dir, weights=self.start_weights,
                                analysis=analysis, model_file=model_file)
        except BackboneError as err:
            raise _Failed(str(err)) from None
        for report in built.reports:
            self.listener.message(report.text())
        if self.start_weights:
            self.listener.message(f"starting from the weights {self.start_weights.describe()}")
        for note in built.notes:
            self.listener.message(note)
        return built.model

    def _build(self, analysis: Analysis) -> Any:
        settings = self.settings
        model = self._compile_with_weights_files(analysis)
        model.compile(optimizer=_optimizer(settings), loss=settings["loss"], metrics=_metrics(settings))
        return model

    def _build_recipe(self, plan: RecipePlan) -> Any:
        """A recipe model (:mod:`app.keras_bridge.recipes`) over its parts, each compiled from its own
        sub-graph (backbone weights files loaded, with reports) and given the kept weights that fit it."""
        from app.core.codegen import keras_model_name
        from app.core.recipes import subgraph
        from app.keras_bridge.backbones import BackboneError, weights_context
        from app.keras_bridge.compile import apply_weights, compile_graph
        from app.keras_bridge.recipes import build_recipe_model, compile_parts

        try:
            with weights_context(self.base_dir) as reports:
                parts = compile_parts(self.graph, plan, self.name, compile_graph)
        except BackboneError as err:
            raise _Failed(str(err)) from None
        for report in reports:
            self.listener.message(report.text())
        if self.start_weights:
            self.listener.message(f"starting from the weights {self.start_weights.describe()}")
            for role, part in parts.items():
                for note in apply_weights(part, self.start_weights, subgraph(self.graph, plan.parts[role])):
                    self.listener.message(note)
        return build_recipe_model(plan, parts, self.settings, lambda: _optimizer(self.settings),
                                  keras_model_name(self.name))

    def _callbacks(self, settings: Mapping[str, Any], reporter: Any) -> list[Any]:
        import keras

        callbacks: list[Any] = [reporter]
        monitor = settings["monitor"]
        if settings["early_stopping"]:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=monitor, patience=int(settings["patience"]),
                restore_best_weights=bool(settings["restore_best_weights"])))
        if settings["reduce_lr"]:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=float(settings["reduce_lr_factor"]),
                patience=int(settings["reduce_lr_patience"])))
        if settings["checkpoint"]:
            callbacks.append(_checkpoint_class()(self, self._checkpoint_path(settings), monitor))
        logs = self._tensorboard_folder(settings)
        if logs is not None:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=os.fspath(logs)))
        return callbacks

    def _tensorboard_folder(self, settings: Mapping[str, Any]) -> Path | None:
        """This run's own TensorBoard folder (made now; both phases of a run share it), or None.

        The user's own ``--tensorboard`` folder, else the project's ``tensorboard_dir`` inside its
        folder; each run writes a sub-folder named by its start time, so TensorBoard pointed at the
        folder shows the runs side by side.
        """
        if self.tensorboard_log is not None:
            return self.tensorboard_log
        chosen = getattr(self, "tensorboard_target", None)
        if chosen is None and not settings["tensorboard_dir"]:
            return None
        where = "--tensorboard" if chosen is not None else "training setting tensorboard_dir"
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise _Failed(f"{where}: the tensorboard package is not installed (pip install tensorboard), so no "
                          "logs can be written; install it or turn the logs off")
        try:
            folder = tensorboard_folder(settings, self.base_dir, chosen)
        except ValueError as err:
            raise _Failed(f"{where}: {err}") from None
        self.tensorboard_log = folder
        if folder is not None:
            self.listener.message(f"TensorBoard logs: {os.fspath(folder)} (tensorboard --logdir "
                                  f"{os.fspath(folder.parent)})")
        return folder

    def _checkpoint_path(self, settings: Mapping[str, Any]) -> Path:
        """Where the best model goes: the user's own choice, else a name inside the project's folder."""
        try:
            return checkpoint_file(settings, self.base_dir, self.name, getattr(self, "checkpoint_target", None))
        except ValueError as err:
            raise _Failed(f"training setting checkpoint_path: {err}") from None

    def _fine_tune(self, model: Any, prepared: Prepared, settings: Mapping[str, Any], reporter: Any,
                   result: TrainingResult) -> Any:
        """Phase 2 of a two-phase run: unfreeze the backbone's top layers, recompile with the lower
        learning rate (Keras only sees a trainability change when compiling) and train on."""
        if not fine_tuning(settings) or self._stop.is_set() or reporter.nan_at is not None:
            return reporter
        from app.keras_bridge.backbones import unfreeze_top

        done = len(self.history.get("loss", []))
        told = unfreeze_top(model, self.graph, int(settings["fine_tune_layers"]))
        rate = float(settings["fine_tune_learning_rate"])
        phase2 = {**settings, "learning_rate": rate, "schedule": "constant", "warmup_epochs": 0}
        model.compile(optimizer=_optimizer(phase2), loss=settings["loss"], metrics=_metrics(settings))
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        self.listener.message(f"fine-tuning from epoch {done + 1}: {told}; {trainable:,} weights now train, "
                              f"learning rate {rate:g}")
        self.phase = 2
        result.fine_tune_from = done + 1
        return self._fit(model, prepared, phase2, first_epoch=done, last_epoch=done + int(settings["fine_tune_epochs"]))

    def _fit(self, model: Any, prepared: Prepared, settings: Mapping[str, Any], first_epoch: int = 0,
             last_epoch: int | None = None) -> Any:
        schedule = settings["schedule"] != "constant" or int(settings["warmup_epochs"]) > 0
        reporter = _reporter_class()(self, settings, schedule)
        x_train, y_train = prepared.train
        validation = None
        if prepared.validation is not None:
            x_val, y_val = prepared.validation
            validation = (_as_inputs(x_val), _as_inputs(y_val))
        model.fit(
            _as_inputs(x_train), _as_inputs(y_train),
            batch_size=int(settings["batch_size"]),
            epochs=int(settings["epochs"]) if last_epoch is None else last_epoch,
            initial_epoch=first_epoch,
            validation_data=validation,
            shuffle=bool(settings["shuffle"]),
            class_weight=prepared.class_weight,
            callbacks=self._callbacks(settings, reporter),
            verbose=0,
        )
        return reporter


__all__ = [
    "EpochEnd",
    "Probe",
    "Progress",
    "TrainingListener",
    "TrainingResult",
    "TrainingSession",
    "check_before_training",
    "checkpoint_file",
    "tensorboard_folder",
]
