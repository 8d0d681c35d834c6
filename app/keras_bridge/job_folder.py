"""A self-contained training job: a folder that trains the project's model on any machine with Python.

``write_job`` writes ``model.keras`` (the current weights, compiled as the app compiles it),
``data.npz`` (the train / validation / test splits exactly as the training engine prepares
them: the same loading, split, preprocessing and encoding), ``settings.json``, ``train.py``
(plain Keras, readable: :file:`job_templates/train_py.txt`), a pinned ``requirements.txt`` and a
README with the commands. The folder is built as a temp sibling and renamed into place, so a
failed or killed run leaves no half-written job behind.

model.keras holds the weights training would start from (backbone weights files, the
``pretrained_weights`` setting, the kept weights), so no file of this machine is referenced. A
recipe project (autoencoder, VAE, GAN) gets one file per part (``model_encoder.keras``, ...) and
``recipe.py``, the recipe's ``keras.Model`` subclass as the Python export writes it, whose
``train_step`` train.py trains with.

Multi-machine runs use Keras 3's own ``keras.distribution`` on the JAX backend (see the README
text below for why): measured here, ``tf.distribute.MultiWorkerMirroredStrategy`` fails inside
Keras 3.15's TensorFlow trainer (keras issue #20585), while two JAX processes joined by
``keras.distribution.initialize`` train in lockstep.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

from app.core.atomic import fsync_folder, pid_alive
from app.core.project import Project
from app.core.shapes import analyze
from app.core.training_settings import fine_tuning, tensorboard_dir_problem, with_defaults
from app.data import DataError, DataMismatch, load_dataset, prepare, split_dataset

FILES = ("model.keras", "data.npz", "settings.json", "train.py", "requirements.txt", "README.md")


class JobError(Exception):
    """The job folder cannot be written; the message says why and what to change. ``unwritable``:
    the file system is the cause (not the model or the data)."""

    def __init__(self, message: str, unwritable: bool = False) -> None:
        super().__init__(message)
        self.unwritable = unwritable


@dataclass
class JobSummary:
    folder: Path
    rows: dict[str, int]
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def output_problem(folder: str | os.PathLike[str], force: bool) -> str | None:
    """Why the job cannot go to ``folder`` (checked before any work), or None."""
    target = Path(os.path.realpath(folder))
    if target.exists() and not target.is_dir():
        return "a file is in the way (a job is a folder)"
    if not target.parent.is_dir():
        return f"the folder {os.fspath(target.parent)!r} does not exist"
    if target.is_dir() and any(target.iterdir()) and not force:
        return "the folder is not empty; choose a new or empty one, or pass --force to replace it"
    if not os.access(target.parent, os.W_OK):
        return f"cannot write in {os.fspath(target.parent)!r}"
    return None


def write_job(project: Project, folder: str | os.PathLike[str], *, base_dir: Path | None = None,
              force: bool = False, overrides: Mapping[str, Any] | None = None) -> JobSummary:
    """Write the job folder for ``project`` (its dataset reference is used); raises :class:`JobError`."""
    problem = output_problem(folder, force)
    if problem:
        raise JobError(f"{os.fspath(folder)}: {problem}", unwritable=True)
    target = Path(os.path.realpath(folder))
    settings = with_defaults({**project.training, **(overrides or {})})
    analysis = analyze(project.graph)
    if not analysis.valid:
        raise JobError(f"the model has {len(analysis.errors)} problem(s): "
                       + "; ".join(p.message for p in analysis.errors[:5]))
    plan = _recipe_plan(project, settings, analysis)
    problem = tensorboard_dir_problem(settings.get("tensorboard_dir", ""))
    if problem:
        raise JobError(f"training setting tensorboard_dir: {problem}")
    notes: list[str] = []
    scheduled = settings["schedule"] != "constant" or int(settings["warmup_epochs"]) > 0
    if plan is not None and fine_tuning(settings):
        notes.append("two-phase fine-tuning is for supervised models: this recipe's train.py trains in one phase")
    if plan is not None and scheduled:
        notes.append(f"learning-rate schedule {settings['schedule']!r} and warm-up are for supervised models: "
                     "this recipe's train.py keeps the learning rate constant")
    if not project.dataset:
        raise JobError("no dataset chosen: pass --dataset NAME|PATH")
    try:
        dataset = load_dataset(project.dataset, base_dir)
        splits = split_dataset(dataset, settings["validation_split"], settings["test_split"], settings["seed"])
        if plan is not None:
            from app.keras_bridge.recipes import prepare_recipe_data

            prepared = prepare_recipe_data(dataset, splits, project.graph, plan, settings, project.dataset).prepared
        else:
            prepared = prepare(dataset, splits, project.graph, settings, project.dataset, analysis)
    except DataError as err:
        raise JobError(f"the dataset could not be loaded: {err}") from None
    except DataMismatch as err:
        raise JobError("the data does not fit the model:\n" + "\n".join(f"  - {p}" for p in err.problems)) from None
    notes += [*dataset.notes, *prepared.notes]
    weights_folder = project.path.parent if project.path is not None else base_dir
    if plan is None:
        models = {"model.keras": _compiled_model(project, settings, weights_folder, notes)}
        recipe = None
    else:
        models, recipe = _recipe_parts(project, plan, settings, weights_folder, notes)

    arrays: dict[str, np.ndarray] = {}
    rows: dict[str, int] = {}
    for name, part in (("train", prepared.train), ("validation", prepared.validation), ("test", prepared.test)):
        if part is None:
            continue
        xs, ys = part
        if plan is not None:
            ys = {}  # a recipe's target is its input: stored once
        arrays.update({f"x_{name}/{key}": np.asarray(value) for key, value in xs.items()})
        arrays.update({f"y_{name}/{key}": np.asarray(value) for key, value in ys.items()})
        rows[name] = len(next(iter(xs.values())))
    xs, ys = prepared.train
    if plan is not None:
        ys = {}
    job_settings = {
        "model": project.name,
        "dataset": _dataset_text(project.dataset),
        "inputs": list(xs), "outputs": list(ys),
        "epochs": int(settings["epochs"]), "batch_size": int(settings["batch_size"]),
        "shuffle": bool(settings["shuffle"]), "seed": int(settings["seed"]),
        "monitor": settings["monitor"] if prepared.validation is not None else "loss",
        "early_stopping": bool(settings["early_stopping"]), "patience": int(settings["patience"]),
        "restore_best_weights": bool(settings["restore_best_weights"]),
        "reduce_lr": bool(settings["reduce_lr"]), "reduce_lr_factor": float(settings["reduce_lr_factor"]),
        "reduce_lr_patience": int(settings["reduce_lr_patience"]),
        "class_weight": {str(k): float(v) for k, v in (prepared.class_weight or {}).items()},
        "tensorboard_dir": settings.get("tensorboard_dir") or "",
        "tensorboard_pin": f"=={_version('tensorboard')}" if _version("tensorboard") else "",
        "rows": rows, "notes": notes,
    }
    if recipe is not None:
        job_settings["recipe"] = recipe
    else:
        if scheduled:
            job_settings["schedule"] = {key: settings[key] for key in SCHEDULE_KEYS}
        if fine_tuning(settings):
            job_settings["fine_tune"] = _fine_tune_plan(project, settings)
    texts = {
        "settings.json": json.dumps(job_settings, indent=2) + "\n",
        "train.py": _template("train_py.txt"),
        "requirements.txt": requirements_text(tensorboard=bool(job_settings["tensorboard_dir"])),
        **({"recipe.py": _recipe_module(recipe["kind"])} if recipe is not None else {}),
        **({"schedule.py": _schedule_module()} if "schedule" in job_settings else {}),
        "README.md": string.Template(_template("README_md.txt")).substitute(
            model=project.name, dataset=job_settings["dataset"], rows=_rows_text(rows),
            epochs=job_settings["epochs"], batch_size=job_settings["batch_size"], install_time=INSTALL_TIME,
            **_readme_parts(recipe, str(job_settings["tensorboard_dir"])),
            notes="".join(f"- {note}\n" for note in notes) or "- none\n"),
    }
    _write_folder(target, models, arrays, texts)
    return JobSummary(target, rows, notes, [*models, "data.npz", *texts])


SCHEDULE_KEYS = ("learning_rate", "schedule", "warmup_epochs", "decay_rate", "decay_epochs", "epochs")
"""The training settings :func:`~app.core.training_settings.learning_rate_at` reads."""


def _schedule_module() -> str:
    """schedule.py: the training engine's own learning-rate schedule, so a job follows the app's
    rates batch by batch (one definition: the function's source, not a second copy to keep in step)."""
    import inspect

    from app.core.training_settings import learning_rate_at

    return ('"""The learning-rate schedule of Layerforge\'s training engine (learning_rate_at in\n'
            'app/core/training_settings.py), written here by `layerforge job`; train.py sets the rate\n'
            'before each batch of the first phase."""\n\n'
            "from __future__ import annotations\n\nimport math\nfrom typing import Any, Mapping\n\n\n"
            "def with_defaults(settings: Mapping[str, Any]) -> Mapping[str, Any]:\n"
            '    """settings.json\'s "schedule" holds every setting the schedule reads."""\n'
            "    return settings\n\n\n" + inspect.getsource(learning_rate_at))


def _fine_tune_plan(project: Project, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What train.py's second phase unfreezes, as the engine's ``unfreeze_top`` does: the top
    ``layers`` layers of each backbone, or, with no backbone, of the layers set not to train."""
    from app.core.catalog import get_spec

    backbones = [n.name for n in project.graph.nodes()
                 if (spec := get_spec(n.class_name)) is not None and spec.is_application]
    frozen = [n.name for n in project.graph.nodes() if n.config.get("trainable") is False]
    return {"backbones": backbones, "frozen": [] if backbones else frozen,
            "layers": int(settings["fine_tune_layers"]), "epochs": int(settings["fine_tune_epochs"]),
            "learning_rate": float(settings["fine_tune_learning_rate"])}


def _compiled_model(project: Project, settings: Mapping[str, Any], folder: Path | None, notes: list[str]) -> Any:
    """The model with the weights training would start from (backbone weights files, the
    ``pretrained_weights`` setting, then the kept weights), compiled as the training engine compiles it.
    The weights go into model.keras, so the job needs none of those files."""
    from app.keras_bridge.backbones import BackboneError, resolve_weights_file
    from app.keras_bridge.nested import with_nested_models
    from app.keras_bridge.training import _metrics, _optimizer
    from app.keras_bridge.weights_io import build_model

    value = settings.get("pretrained_weights") or ""
    try:
        model_file = (resolve_weights_file(value, folder, "the model"), value) if value else None
        built = build_model(project.graph, project.name, folder=folder, weights=project.weights, model_file=model_file)
    except BackboneError as err:
        raise JobError(str(err)) from None
    notes += [report.text() for report in built.reports if report.unmatched] + built.notes
    model = with_nested_models(built.model, project.graph, project.blocks, project.name)
    model.compile(optimizer=_optimizer(settings), loss=settings["loss"], metrics=_metrics(settings))
    model.optimizer.build(model.trainable_variables)  # saved with its slots, so loading it warns of nothing
    return model


def _recipe_plan(project: Project, settings: Mapping[str, Any], analysis: Any) -> Any:
    """The recipe's parts and roles (None: a supervised model); a graph that does not fit is refused by node."""
    if settings.get("recipe", "supervised") in ("supervised", None, ""):
        return None
    from app.core.recipes import RecipeError, plan_recipe

    try:
        return plan_recipe(project.graph, settings, analysis)
    except RecipeError as err:
        where = f" (node {err.node!r})" if err.node else ""
        raise JobError(f"training recipe {settings['recipe']!r}: {err}{where}") from None


def _recipe_parts(project: Project, plan: Any, settings: Mapping[str, Any], folder: Path | None,
                  notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A recipe's parts as separate models (file name -> model, as ``layerforge train --out model.keras``
    names them) and what train.py needs to put them back together: recipe.py's class, its arguments
    and the optimizer. The parts start from the weights training would start from."""
    import keras

    from app.core.codegen_recipes import recipe_class_source
    from app.core.recipes import subgraph
    from app.keras_bridge.backbones import BackboneError, weights_context
    from app.keras_bridge.compile import apply_weights, compile_graph
    from app.keras_bridge.recipes import compile_parts, part_paths
    from app.keras_bridge.training import _optimizer

    try:
        with weights_context(folder) as reports:
            parts = compile_parts(project.graph, plan, project.name, compile_graph)
    except BackboneError as err:
        raise JobError(str(err)) from None
    notes += [report.text() for report in reports if report.unmatched]
    if project.weights:
        for role, part in parts.items():
            notes += apply_weights(part, project.weights, subgraph(project.graph, plan.parts[role]))
    files = dict(part_paths("model.keras", plan.recipe))
    if plan.recipe == "autoencoder":
        arguments: dict[str, Any] = {"denoise": settings["denoise"], "strength": float(settings["denoise_strength"]),
                                     "loss": settings["loss"]}
    elif plan.recipe == "vae":
        arguments = {"beta": float(settings["beta"]), "loss": settings["loss"]}
    else:
        arguments = {"latent_dim": int(plan.latent_dim), "label_smoothing": float(settings["label_smoothing"]),
                     "from_logits": bool(plan.from_logits)}
    recipe = {
        "kind": plan.recipe, "class": recipe_class_source(plan.recipe)[0], "arguments": arguments,
        "parts": [{"role": role, "attribute": "net" if role == "autoencoder" else role, "file": files[role]}
                  for role in parts],
        "optimizer": keras.optimizers.serialize(_optimizer(settings)),
    }
    recipe["optimizer"]["config"]["learning_rate"] = float(settings["learning_rate"])  # as set, not float32
    return {files[role]: part for role, part in parts.items()}, recipe


def _recipe_module(kind: str) -> str:
    """recipe.py: the recipe's ``keras.Model`` subclass with its own train_step, as Layerforge's export writes it."""
    from app.core.codegen_recipes import recipe_class_source

    cls, source = recipe_class_source(kind)
    return (f'"""The {cls} training recipe: its own train_step (written by `layerforge job`; train.py uses it).\n\n'
            'TensorFlow backend: the step records gradients with tf.GradientTape."""\n\n'
            "import keras\nimport tensorflow as tf\n\n\n" + source)


def _write_folder(target: Path, models: dict[str, Any], arrays: dict[str, np.ndarray], texts: dict[str, str]) -> None:
    clean_stale_jobs(target)
    tmp = target.parent / f".{target.name}.layerforge-tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        for name, model in models.items():
            model.save(os.fspath(tmp / name))
        with open(tmp / "data.npz", "wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # numpy's stubs want positional arrays
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8")
        from app.keras_bridge.deploy import replace_folder

        replace_folder(tmp, target)
    except OSError as err:
        raise JobError(f"{os.fspath(target)}: the job folder could not be written ({err.strerror or err})",
                       unwritable=True) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fsync_folder(target.parent)


def clean_stale_jobs(target: Path) -> None:
    """Remove temp job folders for ``target`` that a killed ``layerforge job`` left behind."""
    prefix = f".{target.name}.layerforge-"
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
                continue
            pid = entry.name[len(prefix):].split("-")[1:2]
            if pid and pid[0].isdigit() and int(pid[0]) != os.getpid() and not pid_alive(int(pid[0])):
                shutil.rmtree(entry.path, ignore_errors=True)


def _template(name: str) -> str:
    return resources.files("app.keras_bridge").joinpath("job_templates", name).read_text(encoding="utf-8")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


REQUIREMENT_PACKAGES = ("keras", "numpy", "tensorflow-cpu", "jax", "jaxlib")


def requirements_text(tensorboard: bool = False) -> str:
    """Pins of the versions this job was written and tested with (what is installed here); tensorboard
    only when the job logs for it (the project's ``tensorboard_dir``), else as a comment for --tensorboard."""
    lines = ["# The versions this job was written with. TensorFlow runs one machine (all its GPUs: use",
             "# tensorflow[and-cuda] instead of tensorflow-cpu); JAX runs multi-process jobs (use jax[cuda12]",
             "# on GPU machines)."]
    for package in REQUIREMENT_PACKAGES:
        version = _version(package)
        if version is None and package == "tensorflow-cpu":
            package, version = "tensorflow", _version("tensorflow")
        if version is not None:
            lines.append(f"{package}=={version}")
    version = _version("tensorboard")
    if version is not None:
        lines.append(f"tensorboard=={version}" if tensorboard
                     else f"# tensorboard=={version}  (only for train.py --tensorboard DIR)")
    return "\n".join(lines) + "\n"


INSTALL_TIME = "29-40 s, median 37 s (all 17 examples; docs/job_verification.md in Layerforge)"
"""What README.md says the install took: measured by tools/verify_job_folders.py (docs/job_verification.md)."""


def _readme_parts(recipe: Mapping[str, Any] | None, tensorboard_dir: str) -> dict[str, str]:
    """The README's lines that depend on the recipe and on TensorBoard logging."""
    if recipe is None:
        rows = ("| `model.keras` | the model, with the weights it had when the job was written, compiled (optimizer, "
                "loss, metrics) |")
        recipe_row = recipe_text = ""
    else:
        files = ", ".join(f"`{part['file']}` ({part['role']})" for part in recipe["parts"])
        rows = (f"| {files} | the model's parts, each a plain Keras model, with the weights they had when the job "
                "was written |")
        recipe_row = (f"| `recipe.py` | the {recipe['class']} training recipe: a `keras.Model` subclass whose "
                      "`train_step` trains the parts together |\n")
        recipe_text = (f"\nThis model trains with the {recipe['class']} recipe (recipe.py): its training step uses "
                       "TensorFlow's `GradientTape`, so it trains as one process on the TensorFlow backend "
                       "(the default); "
                       "`--out trained.keras` writes each part beside it (trained_encoder.keras, ...), as "
                       "`layerforge train` does.\n")
    if tensorboard_dir:
        tensorboard = (f"TensorBoard logs go to `{tensorboard_dir}/` here (the project's setting; `--tensorboard DIR` "
                       f"picks another folder): `tensorboard --logdir {tensorboard_dir}`.")
    else:
        tensorboard = ("For TensorBoard logs, `pip install tensorboard` (its version is in requirements.txt, commented "
                       "out) and pass `--tensorboard DIR`; then `tensorboard --logdir DIR`.")
    return {"model_rows": rows, "recipe_row": recipe_row, "recipe_text": recipe_text, "tensorboard_text": tensorboard}


def _dataset_text(ref: Mapping[str, Any] | None) -> str:
    if not ref:
        return ""
    return str(ref.get("path") or ref.get("name") or "")


def _rows_text(rows: Mapping[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in rows.items())


__all__ = ["FILES", "JobError", "JobSummary", "clean_stale_jobs", "output_problem", "requirements_text", "write_job"]
