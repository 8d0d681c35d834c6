"""What a training run can be told: the choices, their defaults, checks and the learning-rate math.

The settings live flat in ``project.training`` (one JSON object, one key a setting), so the
training panel, ``layerforge train`` and the engine read the same keys. This module is the
single list of them: the panel builds its form from :data:`OPTIMIZERS`, :data:`LOSSES`, ...,
:func:`check_settings` says in words what is wrong before a run starts, and
:func:`learning_rate_at` is the schedule the engine applies batch by batch (a plain
function, so the curve the panel previews is the one training follows).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any


@dataclass(frozen=True)
class Choice:
    """One entry of a drop-down: the stored key, a label for people, and a one-line hint."""

    key: str
    label: str
    hint: str = ""


OPTIMIZERS: tuple[Choice, ...] = (
    Choice("adam", "Adam", "A good default: adapts the step size per weight."),
    Choice("adamw", "AdamW", "Adam with decoupled weight decay; common for transformers."),
    Choice("sgd", "SGD", "Plain gradient descent; add momentum (and Nesterov) for speed."),
    Choice("rmsprop", "RMSprop", "Scales steps by recent gradient size; classic for RNNs."),
    Choice("adamax", "Adamax", "Adam with an infinity norm; steady on sparse gradients."),
    Choice("nadam", "Nadam", "Adam with Nesterov momentum."),
)

LOSSES: tuple[Choice, ...] = (
    Choice("sparse_categorical_crossentropy", "Sparse categorical cross-entropy",
           "Classes given as whole numbers (0, 1, 2, ...); softmax output, one unit per class."),
    Choice("categorical_crossentropy", "Categorical cross-entropy",
           "Classes given one-hot; softmax output, one unit per class."),
    Choice("binary_crossentropy", "Binary cross-entropy", "Two classes; one sigmoid output unit."),
    Choice("binary_focal_crossentropy", "Binary focal cross-entropy",
           "Two classes where one is rare; down-weights easy examples."),
    Choice("kl_divergence", "KL divergence", "Compares two probability distributions (one-hot targets)."),
    Choice("mse", "Mean squared error", "Regression; punishes large errors strongly."),
    Choice("mae", "Mean absolute error", "Regression; robust to outliers."),
    Choice("huber", "Huber", "Regression; squared for small errors, absolute for large ones."),
)

CLASSIFICATION_LOSSES = frozenset({
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "kl_divergence",
})
"""Losses whose targets are classes; the rest compare numbers (regression)."""

ONE_HOT_LOSSES = frozenset({"categorical_crossentropy", "kl_divergence"})
"""Losses that want one probability per class as the target."""

BINARY_LOSSES = frozenset({"binary_crossentropy", "binary_focal_crossentropy"})

METRICS: tuple[Choice, ...] = (
    Choice("accuracy", "Accuracy", "Share of samples with the right class."),
    Choice("top3_accuracy", "Top-3 accuracy", "Share where the right class is among the three best."),
    Choice("auc", "AUC", "Area under the ROC curve (two classes)."),
    Choice("precision", "Precision", "Of the samples called positive, the share that are (two classes)."),
    Choice("recall", "Recall", "Of the positive samples, the share found (two classes)."),
    Choice("mae", "Mean absolute error", "Average size of the error (regression)."),
    Choice("mse", "Mean squared error", "Average squared error (regression)."),
    Choice("rmse", "Root mean squared error", "Error in the target's own unit (regression)."),
)

SCHEDULES: tuple[Choice, ...] = (
    Choice("constant", "Constant", "The learning rate stays as set."),
    Choice("step", "Step decay", "Multiply by the decay rate every N epochs."),
    Choice("exponential", "Exponential decay", "Shrink smoothly by the decay rate every N epochs."),
    Choice("cosine", "Cosine decay", "Fall along a cosine from the set rate to zero at the last epoch."),
)

CLASS_WEIGHTS: tuple[Choice, ...] = (
    Choice("none", "None", "Every sample counts the same."),
    Choice("balanced", "Balanced", "Rare classes count more, so each class weighs the same in total."),
)

MONITORS = ("val_loss", "loss")

RECIPES: tuple[Choice, ...] = (
    Choice("supervised", "Supervised", "Learn the dataset's targets from its inputs (fit x -> y)."),
    Choice("autoencoder", "Autoencoder", "Rebuild the input from itself through a bottleneck; no labels needed."),
    Choice("vae", "Variational autoencoder",
           "An encoder gives z_mean and z_log_var, a decoder rebuilds the input from a sample of z."),
    Choice("gan", "GAN", "A generator turns noise into samples; a discriminator learns to tell them from real ones."),
)

DENOISE: tuple[Choice, ...] = (
    Choice("none", "None", "The autoencoder sees the clean input."),
    Choice("gaussian", "Gaussian noise", "Add noise with this standard deviation to the input (not the target)."),
    Choice("masking", "Masking", "Set this share of the input's values to zero (not the target's)."),
)

ROLES = {"autoencoder": (), "vae": ("encoder", "decoder"), "gan": ("generator", "discriminator")}
"""The parts each recipe needs, one disconnected sub-graph (with its own Input) each."""

RECIPE_LOSSES = frozenset({"mse", "mae", "huber", "binary_crossentropy"})
"""Losses an autoencoder or VAE can rebuild its input with (pixel by pixel)."""

DEFAULT_SETTINGS: dict[str, Any] = {
    "optimizer": "adam",
    "learning_rate": 0.001,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 0.004,
    "schedule": "constant",
    "decay_rate": 0.5,
    "decay_epochs": 5,
    "warmup_epochs": 0,
    "loss": "sparse_categorical_crossentropy",
    "metrics": ["accuracy"],
    "batch_size": 32,
    "epochs": 10,
    "validation_split": 0.2,
    "test_split": 0.1,
    "shuffle": True,
    "seed": 0,
    "class_weight": "none",
    "clipnorm": 0.0,
    "early_stopping": False,
    "patience": 3,
    "restore_best_weights": True,
    "monitor": "val_loss",
    "reduce_lr": False,
    "reduce_lr_factor": 0.5,
    "reduce_lr_patience": 2,
    "checkpoint": False,
    "checkpoint_path": "",
    "tensorboard_dir": "",
    "multi_gpu": False,
    "fine_tune_layers": 20,
    "fine_tune_epochs": 0,
    "fine_tune_learning_rate": 1e-5,
    "pretrained_weights": "",
    "recipe": "supervised",
    "denoise": "none",
    "denoise_strength": 0.3,
    "beta": 1.0,
    "label_smoothing": 0.0,
}
"""Every setting with its default. A project file may leave any of them out.

``roles`` is optional and has no default: a mapping from a recipe's role ("encoder",
"generator", ...) to the name of the Input of the sub-graph that plays it; without it the
roles follow from the sub-graphs' shapes (:mod:`app.core.recipes`)."""

FINE_TUNE_KEYS = ("fine_tune_layers", "fine_tune_epochs", "fine_tune_learning_rate")
"""Two-phase training: after ``epochs`` with the backbone frozen, unfreeze its top ``fine_tune_layers``
layers and train ``fine_tune_epochs`` more at ``fine_tune_learning_rate`` (0 epochs: one phase only)."""


def fine_tuning(settings: Mapping[str, Any]) -> bool:
    """Whether a run has a second, fine-tuning phase."""
    value = with_defaults(settings)["fine_tune_epochs"]
    return _whole(value) and value > 0


def total_epochs(settings: Mapping[str, Any]) -> int:
    """Epochs of both phases together (what the progress bar and the plots span)."""
    s = with_defaults(settings)
    return int(s["epochs"]) + (int(s["fine_tune_epochs"]) if fine_tuning(s) else 0)


def _weights_path_problem(value: Any) -> str | None:
    """The whole model's starting weights file: relative to the project, inside its folder."""
    if value in ("", None):
        return None
    from app.core.catalog.applications import weights_file_problem

    problem = weights_file_problem(value)
    return problem.replace("'weights_file'", "the pretrained weights file") if problem else None


@dataclass(frozen=True)
class SettingProblem:
    """A setting that cannot be used, with the key (for the form to mark) and what to do."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def keys_of(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(choice.key for choice in choices)


def label_of(choices: tuple[Choice, ...], key: str) -> str:
    """The label for ``key`` (the key itself when unknown, so old files still display)."""
    return next((choice.label for choice in choices if choice.key == key), key)


def with_defaults(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """``settings`` over :data:`DEFAULT_SETTINGS`: every key present, unknown keys kept."""
    merged = {key: (list(value) if isinstance(value, list) else value) for key, value in DEFAULT_SETTINGS.items()}
    merged.update(settings or {})
    return merged


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_settings(settings: Mapping[str, Any]) -> list[SettingProblem]:
    """Everything that would stop a run or make it meaningless, each with the fix in words."""
    s = with_defaults(settings)
    problems: list[SettingProblem] = []

    def bad(key: str, message: str) -> None:
        problems.append(SettingProblem(key, message))

    def choice(key: str, choices: tuple[Choice, ...]) -> None:
        if s[key] not in keys_of(choices):
            bad(key, f"unknown value {s[key]!r}; choose one of {', '.join(keys_of(choices))}")

    def number(key: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False,
               whole: bool = False) -> None:
        value = s[key]
        kind = "a whole number" if whole else "a number"
        if not (_whole(value) if whole else _number(value)):
            bad(key, f"must be {kind} (got {value!r})")
            return
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
            bad(key, f"must lie in {lo}{low:g}, {high:g}{hi} (got {value:g})")

    choice("optimizer", OPTIMIZERS)
    choice("loss", LOSSES)
    choice("schedule", SCHEDULES)
    choice("class_weight", CLASS_WEIGHTS)
    if s["monitor"] not in MONITORS:
        bad("monitor", f"unknown value {s['monitor']!r}; choose one of {', '.join(MONITORS)}")
    number("learning_rate", 0.0, 10.0, low_open=True)
    number("momentum", 0.0, 1.0, high_open=True)
    number("weight_decay", 0.0, 1.0)
    number("decay_rate", 0.0, 1.0, low_open=True)
    number("decay_epochs", 1, 100_000, whole=True)
    number("warmup_epochs", 0, 100_000, whole=True)
    number("batch_size", 1, 1_000_000, whole=True)
    number("epochs", 1, 100_000, whole=True)
    number("validation_split", 0.0, 1.0, high_open=True)
    number("test_split", 0.0, 1.0, high_open=True)
    number("seed", 0, 2**31 - 1, whole=True)
    number("clipnorm", 0.0, 1e6)
    number("patience", 0, 100_000, whole=True)
    number("reduce_lr_factor", 0.0, 1.0, low_open=True, high_open=True)
    number("reduce_lr_patience", 0, 100_000, whole=True)
    for key in ("nesterov", "shuffle", "early_stopping", "restore_best_weights", "reduce_lr", "checkpoint",
                "multi_gpu"):
        if not isinstance(s[key], bool):
            bad(key, f"must be true or false (got {s[key]!r})")
    metrics = s["metrics"]
    if not (isinstance(metrics, list) and all(isinstance(m, str) for m in metrics)):
        bad("metrics", f"must be a list of metric names (got {metrics!r})")
    else:
        unknown = [m for m in metrics if m not in keys_of(METRICS)]
        if unknown:
            bad("metrics", f"unknown metric {', '.join(map(repr, unknown))}; known: {', '.join(keys_of(METRICS))}")
    path_problem = checkpoint_path_problem(s["checkpoint_path"])
    if path_problem:
        bad("checkpoint_path", path_problem)
    tensorboard_problem = tensorboard_dir_problem(s["tensorboard_dir"])
    if tensorboard_problem:
        bad("tensorboard_dir", tensorboard_problem)
    number("fine_tune_layers", 0, 100_000, whole=True)
    number("fine_tune_epochs", 0, 100_000, whole=True)
    number("fine_tune_learning_rate", 0.0, 10.0, low_open=True)
    weights_problem = _weights_path_problem(s["pretrained_weights"])
    if weights_problem:
        bad("pretrained_weights", weights_problem)
    if fine_tuning(s) and _whole(s["fine_tune_layers"]) and s["fine_tune_layers"] == 0:
        bad("fine_tune_layers", "fine-tuning unfreezes the top N layers of the backbone; 0 unfreezes none: "
                                "set how many, or set fine-tuning epochs to 0")

    if not any(p.key in ("validation_split", "test_split") for p in problems):
        if s["validation_split"] + s["test_split"] >= 0.9:
            bad("validation_split", f"validation ({s['validation_split']:g}) and test ({s['test_split']:g}) "
                                    "leave under 10 % of the data to train on; lower one of them")
        if s["validation_split"] == 0 and s["monitor"] == "val_loss" and (s["early_stopping"] or s["reduce_lr"]):
            bad("monitor", "early stopping / reduce-on-plateau watch val_loss, but there is no validation "
                           "split: set a validation split or monitor 'loss'")
    if s["loss"] == "sparse_categorical_crossentropy" and isinstance(metrics, list):
        binary_only = [m for m in metrics if m in ("auc", "precision", "recall")]
        if binary_only:
            bad("metrics", f"{', '.join(binary_only)} compare one score per class with one-hot or 0/1 labels, but "
                           "sparse categorical cross-entropy uses class numbers: remove them, or use categorical "
                           "cross-entropy (one-hot) or binary cross-entropy (two classes)")
    problems += _recipe_problems(s)
    if s["reduce_lr"] is True and s["schedule"] != "constant":
        bad("reduce_lr", f"reduce-on-plateau and the {label_of(SCHEDULES, s['schedule']).lower()} schedule would "
                         "both set the learning rate; use one of them")
    return problems


def _recipe_problems(s: Mapping[str, Any]) -> list[SettingProblem]:
    """The recipe and the settings it reads; the settings it cannot honour, named."""
    recipe = s["recipe"]
    if recipe not in keys_of(RECIPES):
        return [SettingProblem("recipe", f"unknown value {recipe!r}; choose one of {', '.join(keys_of(RECIPES))}")]
    problems: list[SettingProblem] = []

    def bad(key: str, message: str) -> None:
        problems.append(SettingProblem(key, message))

    if s["denoise"] not in keys_of(DENOISE):
        bad("denoise", f"unknown value {s['denoise']!r}; choose one of {', '.join(keys_of(DENOISE))}")
    for key, high in (("denoise_strength", 10.0), ("beta", 1000.0), ("label_smoothing", 0.5)):
        value = s[key]
        if not _number(value) or not 0 <= value <= high or (key == "label_smoothing" and value >= high):
            bad(key, f"must be a number from 0 to {'under ' if key == 'label_smoothing' else ''}{high:g} "
                     f"(got {value!r})")
    if s["denoise"] == "masking" and _number(s["denoise_strength"]) and s["denoise_strength"] >= 1:
        bad("denoise_strength", "masking sets this share of the values to zero; it must be below 1")
    roles = s.get("roles", {})
    allowed = ROLES.get(recipe, ())
    if not isinstance(roles, Mapping) or not all(isinstance(v, str) for v in roles.values()):
        bad("roles", f"must map a role to the name of its sub-graph's Input (got {roles!r})")
    elif roles and set(roles) - set(allowed):
        unknown = ", ".join(sorted(map(str, set(roles) - set(allowed))))
        known = ", ".join(allowed) or "none: it uses the whole graph"
        bad("roles", f"the {recipe} recipe has no role {unknown}; its roles are {known}")
    if recipe == "supervised":
        return problems
    name = label_of(RECIPES, recipe)
    if recipe in ("autoencoder", "vae") and s["loss"] not in RECIPE_LOSSES:
        bad("loss", f"the {name} recipe rebuilds its input, so the loss compares values: use "
                    f"{', '.join(sorted(RECIPE_LOSSES))} (not {s['loss']!r})")
    if s["class_weight"] != "none":
        bad("class_weight", f"the {name} recipe uses no labels, so class weights mean nothing: set it to none")
    if _whole(s["fine_tune_epochs"]) and s["fine_tune_epochs"] > 0:
        bad("fine_tune_epochs", f"two-phase fine-tuning is for the supervised recipe; set it to 0 for {name}")
    if s["checkpoint"] is True:
        bad("checkpoint", f"the {name} recipe trains a model around its parts; save the parts after the run "
                          "(Export, or layerforge train --out) instead")
    if s["pretrained_weights"]:
        bad("pretrained_weights", f"the {name} recipe starts each part from the project's kept weights; "
                                  "a whole-model weights file does not apply")
    if recipe == "gan":
        for key in ("early_stopping", "reduce_lr"):
            if s[key] is True:
                bad(key, "a GAN has two losses that fight each other and no single loss to watch: turn it off")
        if s["schedule"] != "constant" or (_whole(s["warmup_epochs"]) and s["warmup_epochs"] > 0):
            bad("schedule", "a GAN trains with two optimizers at the constant learning rate: set the schedule to "
                            "constant and warm-up to 0")
    return problems


CHECKPOINT_SUFFIX = ".keras"


def checkpoint_path_problem(value: Any) -> str | None:
    """Why a project's ``checkpoint_path`` cannot be used, in words, or None.

    A project file is data, not orders: opened from anywhere, it may only name a file inside
    its own folder. So the name must be relative and must not climb out with ``..``; any
    other location is the user's own choice (``layerforge train --checkpoint PATH``).
    Empty means the default name next to the project.
    """
    if not isinstance(value, str):
        return f"must be a file name (got {value!r})"
    if value == "":
        return None
    problem = _outside_problem(value)
    if problem:
        return problem
    if value.endswith(("/", "\\")) or PurePosixPath(value.replace("\\", "/")).suffix != CHECKPOINT_SUFFIX:
        return f"{value!r} must be a file name ending in {CHECKPOINT_SUFFIX}"
    return None


def tensorboard_dir_problem(value: Any) -> str | None:
    """Why a project's ``tensorboard_dir`` cannot be used, in words, or None (empty: no logging).

    Like ``checkpoint_path``: a folder relative to the project's own folder, never outside it;
    another location is the user's own choice (``layerforge train --tensorboard DIR``).
    """
    if not isinstance(value, str):
        return f"must be a folder name (got {value!r})"
    if value == "":
        return None
    return _outside_problem(value, what="a TensorBoard log folder", example="logs",
                            flag="--tensorboard DIR")


def _outside_problem(value: str, *, what: str = "a checkpoint", example: str = "model.best.keras",
                     flag: str = "--checkpoint PATH") -> str | None:
    """Why the relative name ``value`` could lead outside its folder, judged from the text alone."""
    if any(not ch.isprintable() for ch in value):
        return f"{value!r} contains control characters; use a plain file name"
    posix = PurePosixPath(value.replace("\\", "/"))
    elsewhere = f"choose another location yourself (layerforge train {flag})"
    if posix.is_absolute() or PureWindowsPath(value).drive or value.startswith("~"):
        return (f"{value!r} is not inside the project's folder: a project file may only name {what} "
                f"relative to its own folder (such as {example!r}); {elsewhere}")
    if ".." in posix.parts:
        return (f"{value!r} leads out of the project's folder ('..'): a project file may only name "
                f"{what} inside its own folder; {elsewhere}")
    return None


def resolve_in_folder(folder: str | os.PathLike[str], relative: str) -> Path:
    """``relative`` under ``folder``, refusing (``ValueError``, in words) any way out of it.

    Symbolic links count: a link inside the folder that points elsewhere is refused too,
    because the file would be written where the link leads.
    """
    problem = _outside_problem(relative)
    if problem:
        raise ValueError(problem)
    base = Path(os.path.realpath(folder))
    full = Path(os.path.realpath(base / relative.replace("\\", "/")))
    if full != base and base not in full.parents:
        raise ValueError(f"{relative!r} leads out of the project's folder (through a link to {os.fspath(full)!r})")
    return full


def metric_spec(key: str, loss: str) -> str | tuple[str, dict[str, Any]]:
    """How Keras spells metric ``key`` for ``loss``: a name Keras resolves itself (``"accuracy"``
    picks binary / categorical / sparse from the loss), or a ``keras.metrics`` class and its
    arguments. The engine builds from it and the Python export writes it, so both agree."""
    if key in ("accuracy", "mae", "mse"):
        return key
    if key == "top3_accuracy":
        sparse = loss == "sparse_categorical_crossentropy"
        return ("SparseTopKCategoricalAccuracy" if sparse else "TopKCategoricalAccuracy"), {"k": 3, "name": key}
    classes = {"auc": "AUC", "precision": "Precision", "recall": "Recall", "rmse": "RootMeanSquaredError"}
    if key in classes:
        return classes[key], {"name": key}
    raise ValueError(f"unknown metric {key!r}")


def learning_rate_at(settings: Mapping[str, Any], step: int, steps_per_epoch: int) -> float:
    """The learning rate for training step ``step`` (0-based), from the schedule settings.

    Warmup rises linearly from near zero to the set rate over ``warmup_epochs``; the decay
    schedules then count epochs from the end of warmup. Fractions of an epoch count, so
    cosine and exponential decay change smoothly batch by batch.
    """
    s = with_defaults(settings)
    base = float(s["learning_rate"])
    per_epoch = max(1, int(steps_per_epoch))
    warmup_steps = int(s["warmup_epochs"]) * per_epoch
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    epoch = (step - warmup_steps) / per_epoch
    schedule = s["schedule"]
    if schedule == "step":
        return base * float(s["decay_rate"]) ** math.floor(epoch / int(s["decay_epochs"]))
    if schedule == "exponential":
        return base * float(s["decay_rate"]) ** (epoch / int(s["decay_epochs"]))
    if schedule == "cosine":
        span = max(1, int(s["epochs"]) - int(s["warmup_epochs"]))
        progress = min(1.0, epoch / span)
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))
    return base


__all__ = [
    "BINARY_LOSSES",
    "CHECKPOINT_SUFFIX",
    "CLASSIFICATION_LOSSES",
    "CLASS_WEIGHTS",
    "DEFAULT_SETTINGS",
    "DENOISE",
    "LOSSES",
    "METRICS",
    "MONITORS",
    "ONE_HOT_LOSSES",
    "OPTIMIZERS",
    "RECIPES",
    "RECIPE_LOSSES",
    "ROLES",
    "SCHEDULES",
    "Choice",
    "SettingProblem",
    "check_settings",
    "checkpoint_path_problem",
    "keys_of",
    "label_of",
    "learning_rate_at",
    "metric_spec",
    "resolve_in_folder",
    "tensorboard_dir_problem",
    "with_defaults",
]
