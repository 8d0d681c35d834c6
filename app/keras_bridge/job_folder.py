"""A self-contained training job: a folder that trains the project's model on any machine with Python.

``write_job`` writes ``model.keras`` (the current weights, compiled as the app compiles it),
``data.npz`` (the train / validation / test splits exactly as the training engine prepares
them: the same loading, split, preprocessing and encoding), ``settings.json``, ``train.py``
(plain Keras, readable: :file:`job_templates/train_py.txt`), a pinned ``requirements.txt`` and a
README with the commands. The folder is built as a temp sibling and renamed into place, so a
failed or killed run leaves no half-written job behind.

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
from app.core.training_settings import fine_tuning, with_defaults
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
    if settings.get("recipe", "supervised") not in ("supervised", None, ""):
        raise JobError(f"training recipe {settings['recipe']!r}: job folders train supervised models only")
    notes: list[str] = []
    if fine_tuning(settings):
        notes.append("two-phase fine-tuning is not part of job folders: train.py trains in one phase")
    if settings["schedule"] != "constant" or int(settings["warmup_epochs"]) > 0:
        notes.append(f"learning-rate schedule {settings['schedule']!r} and warm-up are not part of job folders: "
                     "train.py keeps the learning rate constant (ReduceLROnPlateau still applies when set)")
    if not project.dataset:
        raise JobError("no dataset chosen: pass --dataset NAME|PATH")
    try:
        dataset = load_dataset(project.dataset, base_dir)
        splits = split_dataset(dataset, settings["validation_split"], settings["test_split"], settings["seed"])
        prepared = prepare(dataset, splits, project.graph, settings, project.dataset, analysis)
    except DataError as err:
        raise JobError(f"the dataset could not be loaded: {err}") from None
    except DataMismatch as err:
        raise JobError("the data does not fit the model:\n" + "\n".join(f"  - {p}" for p in err.problems)) from None
    notes += [*dataset.notes, *prepared.notes]
    model = _compiled_model(project, settings, notes)

    arrays: dict[str, np.ndarray] = {}
    rows: dict[str, int] = {}
    for name, part in (("train", prepared.train), ("validation", prepared.validation), ("test", prepared.test)):
        if part is None:
            continue
        xs, ys = part
        arrays.update({f"x_{name}/{key}": np.asarray(value) for key, value in xs.items()})
        arrays.update({f"y_{name}/{key}": np.asarray(value) for key, value in ys.items()})
        rows[name] = len(next(iter(ys.values())))
    xs, ys = prepared.train
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
        "rows": rows, "notes": notes,
    }
    texts = {
        "settings.json": json.dumps(job_settings, indent=2) + "\n",
        "train.py": _template("train_py.txt"),
        "requirements.txt": requirements_text(),
        "README.md": string.Template(_template("README_md.txt")).substitute(
            model=project.name, dataset=job_settings["dataset"], rows=_rows_text(rows),
            epochs=job_settings["epochs"], batch_size=job_settings["batch_size"],
            notes="".join(f"- {note}\n" for note in notes) or "- none\n"),
    }
    _write_folder(target, model, arrays, texts)
    return JobSummary(target, rows, notes)


def _compiled_model(project: Project, settings: Mapping[str, Any], notes: list[str]) -> Any:
    """The model with its current weights, compiled as the training engine compiles it."""
    from app.keras_bridge.export import model_with_weights
    from app.keras_bridge.training import _metrics, _optimizer

    model, weight_notes = model_with_weights(project)
    notes += weight_notes
    model.compile(optimizer=_optimizer(settings), loss=settings["loss"], metrics=_metrics(settings))
    model.optimizer.build(model.trainable_variables)  # saved with its slots, so loading it warns of nothing
    return model


def _write_folder(target: Path, model: Any, arrays: dict[str, np.ndarray], texts: dict[str, str]) -> None:
    clean_stale_jobs(target)
    tmp = target.parent / f".{target.name}.layerforge-tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        model.save(os.fspath(tmp / "model.keras"))
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


def requirements_text() -> str:
    """Pins of the versions this job was written and tested with (what is installed here)."""
    lines = ["# The versions this job was written with. TensorFlow runs one machine (all its GPUs: use",
             "# tensorflow[and-cuda] instead of tensorflow-cpu); JAX runs multi-process jobs (use jax[cuda12]",
             "# on GPU machines)."]
    for package in REQUIREMENT_PACKAGES:
        version = _version(package)
        if version is None and package == "tensorflow-cpu":
            package, version = "tensorflow", _version("tensorflow")
        if version is not None:
            lines.append(f"{package}=={version}")
    return "\n".join(lines) + "\n"


def _dataset_text(ref: Mapping[str, Any] | None) -> str:
    if not ref:
        return ""
    return str(ref.get("path") or ref.get("name") or "")


def _rows_text(rows: Mapping[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in rows.items())


__all__ = ["FILES", "JobError", "JobSummary", "clean_stale_jobs", "output_problem", "requirements_text", "write_job"]
