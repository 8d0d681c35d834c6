"""Write a project out as a ``.keras`` model file or as a Python script.

Both writes are atomic: the file is written under a temporary name in the target's own
folder, flushed to disk, then renamed over the target in one step, so an interrupted or
failed export leaves the previous file as it was and no partial file behind. A model
with problems is refused before anything is written (:class:`CompileError`, as
``compile_graph`` raises), so an exported file always matches what ``check`` showed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.atomic import atomic_write
from app.core.codegen import generate_python
from app.core.project import Project
from app.core.shapes import analyze
from app.keras_bridge.compile import CompileError, compile_graph

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
        model = compile_graph(project.graph, project.name)
    _atomic_write(target, lambda tmp: model.save(os.fspath(tmp)), KERAS_SUFFIX, "Keras could not save the model")
    return target


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
    _atomic_write(target, lambda tmp: tmp.write_bytes(payload), target.suffix, "the script could not be written")
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


__all__ = ["KERAS_SUFFIX", "ExportError", "export_keras", "export_python"]
