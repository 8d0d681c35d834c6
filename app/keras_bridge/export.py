"""Write a project out as a ``.keras`` model file or as a Python script.

Both writes are atomic: the file is written under a temporary name in the target's own
folder, flushed to disk, then renamed over the target in one step, so an interrupted or
failed export leaves the previous file as it was and no partial file behind. A model
with problems is refused before anything is written (:class:`CompileError`, as
``compile_graph`` raises), so an exported file always matches what ``check`` showed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.atomic import atomic_write, pid_alive
from app.core.codegen import generate_python
from app.core.project import Project
from app.core.shapes import analyze
from app.keras_bridge.compile import CompileError
from app.keras_bridge.nested import with_nested_models

KERAS_SUFFIX = ".keras"


class ExportError(Exception):
    """An output file could not be written; the message names the file and the reason."""

    def __init__(self, message: str, path: str | os.PathLike[str]) -> None:
        super().__init__(f"{os.fspath(path)}: {message}")
        self.message = message
        self.path = os.fspath(path)


def export_keras(project: Project, path: str | os.PathLike[str], model: Any = None) -> Path:
    """Save ``project`` as a Keras model file; returns the path written.

    With ``model`` (a trained ``keras.Model`` of this project) that model is saved, weights
    included; otherwise the graph is compiled afresh. Raises :class:`CompileError` for an
    invalid graph and :class:`ExportError` when the file cannot be written.
    """
    target = Path(path)
    if target.suffix != KERAS_SUFFIX:
        raise ExportError(f"a Keras model file must end in {KERAS_SUFFIX}", path)
    if model is None:
        model = model_with_weights(project)[0]
    save_model_file(model, target)
    return target


def model_with_weights(project: Project) -> tuple[Any, list[str]]:
    """The project's model with the weights it has: its backbones' weights files, then its kept
    weights on top (see :func:`app.keras_bridge.weights_io.build_model`), and notes naming any layer
    left with initial weights. A backbone's missing weights file is a CompileError naming it."""
    from app.keras_bridge.backbones import BackboneError
    from app.keras_bridge.weights_io import build_model

    folder = project.path.parent if project.path is not None else None
    try:
        built = build_model(project.graph, project.name, folder=folder, weights=project.weights)
    except BackboneError as err:
        raise CompileError(str(err)) from None
    notes = [report.text() for report in built.reports if report.unmatched] + built.notes
    return with_nested_models(built.model, project.graph, project.blocks, project.name), notes


def weights_text(project: Project) -> str:
    """What an export holds, in words: 'initial weights', 'the weights imported from m.keras'."""
    from app.core.weights import backbone_sources

    weights = project.weights
    analysis = analyze(project.graph)
    files = backbone_sources(project.graph, analysis, weights)
    backbones = f"; backbone{'s' if len(files) > 1 else ''} {', '.join(files)}" if files else ""
    if not weights:
        return f"initial (untrained) weights{backbones.replace(';', ', except', 1)}"
    layers = len(weights.layers)
    initial = [project.graph.node(nid).name for nid in analysis.order
               if analysis.nodes[nid].params > 0 and nid not in weights.layers]
    if not initial:
        return f"the weights {weights.describe()} ({layers} layer{'s' if layers != 1 else ''}){backbones}"
    shown = ", ".join(initial[:5]) + (f" and {len(initial) - 5} more" if len(initial) > 5 else "")
    return (f"the weights {weights.describe()} for {layers} of {layers + len(initial)} layers ({shown}: "
            f"initial weights){backbones}")


def python_weights_path(script: str | os.PathLike[str]) -> Path:
    """``out/net.py`` -> ``out/net.weights.h5``, the file the exported script loads when present."""
    path = Path(script)
    return path.with_name(path.stem + ".weights.h5")


def save_model_file(model: Any, path: str | os.PathLike[str]) -> Path:
    """Save a ``keras.Model`` to ``path`` atomically (temp file beside it, then rename); returns the path.

    Shared by exports, ``--out`` and training checkpoints, so every model file Layerforge
    writes survives a kill mid-save: the previous file stays whole, and the temp file (and
    Keras' own scratch folder) carry names that the next save recognises and removes.
    Raises :class:`ExportError` naming the file and the reason.
    """
    target = Path(path)
    if target.suffix != KERAS_SUFFIX:
        raise ExportError(f"a Keras model file must end in {KERAS_SUFFIX}", path)
    use_recognisable_keras_temp()
    clean_stale_keras_temp()
    _atomic_write(target, lambda tmp: model.save(os.fspath(tmp)), KERAS_SUFFIX, "Keras could not save the model")
    return target


KERAS_TEMP_PREFIX = "layerforge-keras-"
"""Keras saves a model's assets through a scratch folder made by ``tempfile.mkdtemp()``
(``/tmp/tmpXXXX/assets``); a kill mid-save leaves it behind. Ours are named
``layerforge-keras-<pid>-XXXX`` so a later save can tell whose they were."""

_KERAS_TEMP_NAME = re.compile(rf"^{re.escape(KERAS_TEMP_PREFIX)}(?P<pid>\d{{1,10}})-")


def use_recognisable_keras_temp() -> None:
    """Make Keras' saving scratch folders carry :data:`KERAS_TEMP_PREFIX` and this process id.

    Keras has no option for it, so its module-level ``get_temp_dir`` is replaced (once) by
    one that only changes the folder's name; when a Keras version lacks it, nothing changes.
    """
    try:
        from keras.src.saving import saving_lib
    except ImportError:
        return
    current = getattr(saving_lib, "get_temp_dir", None)
    if current is None or getattr(current, "layerforge", False):
        return

    def get_temp_dir() -> str:
        return tempfile.mkdtemp(prefix=f"{KERAS_TEMP_PREFIX}{os.getpid()}-")

    get_temp_dir.layerforge = True  # type: ignore[attr-defined]
    saving_lib.get_temp_dir = get_temp_dir


def clean_stale_keras_temp(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove Keras scratch folders of ours whose process is gone (or is this one, idle); returns them.

    Only folders (never links) named by :func:`use_recognisable_keras_temp` and owned by this
    user are touched, so nothing else in the shared temp folder can be made to go.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder or tempfile.gettempdir()))
    except OSError:
        return removed
    for entry in entries:
        match = _KERAS_TEMP_NAME.match(entry.name)
        if not match:
            continue
        pid = int(match["pid"])
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except (OSError, AttributeError):
            continue
        if pid == os.getpid() or pid_alive(pid):
            continue  # this process may be saving on another thread; a live one may be mid-save
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def export_python(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write the project as a standalone Keras script (see :mod:`app.core.codegen`); returns the path.

    Raises :class:`CompileError` for an invalid graph, :class:`app.core.codegen.CodegenError`
    for a value that cannot be written as safe code, :class:`ExportError` when writing fails.
    """
    analysis = analyze(project.graph)
    if not analysis.valid:
        errors = analysis.errors
        listed = "\n".join(f"  - {p.message}" for p in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise CompileError(f"the model has {len(errors)} problem(s):\n{listed}{more}", errors)
    payload = generate_python(project).encode("utf-8")
    target = Path(path)
    if project.weights:
        export_python_weights(project, target)
    _atomic_write(target, lambda tmp: tmp.write_bytes(payload), target.suffix, "the script could not be written")
    return target


def export_python_weights(project: Project, script: str | os.PathLike[str]) -> Path:
    """Write the project's weights beside the script with Keras' own ``save_weights`` (atomically)."""
    from app.keras_bridge.weights_io import SIDECAR_SUFFIX

    target = python_weights_path(script)
    model = model_with_weights(project)[0]
    _atomic_write(target, lambda tmp: model.save_weights(os.fspath(tmp)), SIDECAR_SUFFIX,
                  "Keras could not save the weights")
    return target


def _atomic_write(target: Path, write: Callable[[Path], object], suffix: str, failure: str) -> None:
    """:func:`app.core.atomic.atomic_write` with export's checks and error messages."""
    shown = target
    target = Path(os.path.realpath(target))
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"the folder {os.fspath(folder)!r} does not exist", shown)
    if target.is_dir():
        raise ExportError("this is a folder, not a file name", shown)
    try:
        atomic_write(target, write, suffix)
    except OSError as err:
        raise ExportError(f"cannot write the file: {err.strerror or err}", shown) from None
    except Exception as err:  # e.g. Keras refusing to serialise a model
        raise ExportError(f"{failure}: {err}", shown) from err


__all__ = ["KERAS_SUFFIX", "KERAS_TEMP_PREFIX", "ExportError", "clean_stale_keras_temp", "export_keras",
           "export_python", "export_python_weights", "model_with_weights", "python_weights_path", "save_model_file",
           "use_recognisable_keras_temp", "weights_text"]
