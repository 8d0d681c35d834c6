"""Helpers the sub-commands share: reading a project or a .keras model, and printing errors safely."""

from __future__ import annotations

import sys
from typing import Any

EXIT_UNREADABLE = 2
"""Every command exits with 2 when its input file cannot be read or is refused."""

KERAS_INPUTS = frozenset({".keras", ".h5", ".hdf5"})
"""Inputs handed to the Keras importer (which refuses legacy HDF5 with a hint)."""


def load_model_file(path: str) -> tuple[Any, bool] | int:
    """(project, imported) or an exit code after printing why the input cannot be used."""
    from pathlib import Path

    if Path(path).suffix.lower() in KERAS_INPUTS:
        try:
            from app.keras_bridge.importer import ImportRefused, import_keras
        except ImportError:
            error(f"{path}: importing Keras models is not available in this version of Layerforge")
            return EXIT_UNREADABLE
        try:
            project, notes = import_keras(path)
        except (ImportRefused, OSError) as err:
            error(str(err) if path in str(err) else f"{path}: {err}")
            return EXIT_UNREADABLE
        except Exception as err:  # an importer bug must still not show users a traceback
            error(f"{path}: the import failed unexpectedly ({type(err).__name__}: {err})")
            return EXIT_UNREADABLE
        for note in notes:
            print(f"note: {printable(str(note))}", file=sys.stderr)
        return project, True

    from app.core.project import ProjectError
    from app.keras_bridge.weights_io import open_project

    try:
        project, notes = open_project(path)  # with the weights saved beside it, when it has some
    except ProjectError as err:
        error(str(err))
        return EXIT_UNREADABLE
    for note in notes:
        print(f"note: {printable(str(note))}", file=sys.stderr)
    return project, False


def error(message: str) -> None:
    print(f"error: {printable(message)}", file=sys.stderr)


def printable(text: str) -> str:
    """Escape control characters, so names in messages cannot drive the terminal."""
    return "".join(ch if ch.isprintable() or ch == "\n" else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)
