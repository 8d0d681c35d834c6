"""``layerforge import MODEL.keras [-o PROJECT.json] [--force]``: a .keras model -> a project.

The model file is checked and read as data (see :mod:`app.keras_bridge.importer`); nothing
in it runs, and TensorFlow is not even loaded. Its trained weights are kept beside the
project as ``PROJECT.weights.h5`` (see :mod:`app.keras_bridge.weights_io`). Exit codes: 0 imported (notes and any
validation problems are printed), 2 refused or unreadable; nothing is written then.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.core.project import ProjectError
from app.core.shapes import analyze
from app.core.terminal_text import terminal_safe

EXIT_OK, EXIT_REFUSED = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a Keras 3 model file (.keras)")
    parser.add_argument("-o", "--output", help="project file to write (default: the model's name with .json)")
    parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    parser.add_argument("--name", help="project name (default: the Keras model's name)")


def run(args: argparse.Namespace) -> int:
    from app.keras_bridge.importer import ImportRefused, import_keras
    from app.keras_bridge.weights_io import save_project_with_weights, sidecar_path

    model = Path(args.model)
    output = Path(args.output) if args.output else model.with_suffix(".json")
    if _same_file(model, output):
        return _fail(f"{output}: the output would overwrite the model file; choose another name with -o")
    if output.exists() and not args.force:
        return _fail(f"{output}: the file exists; use --force to overwrite it")
    try:
        project, notes = import_keras(model)
        if args.name:
            project.name = args.name
        analysis = analyze(project.graph)
        save_project_with_weights(project, output)  # the kept weights go beside it, NAME.weights.h5
    except (ImportRefused, ProjectError) as err:
        return _fail(str(err))
    except Exception as err:  # a bug must still not show users a traceback
        return _fail(f"{model}: the import failed unexpectedly ({type(err).__name__}: {err})")
    layers = sum(1 for n in project.graph.nodes() if n.class_name != "InputLayer")
    # The model's name and notes come from the file: escape them, so they cannot drive the terminal.
    print(f"imported '{terminal_safe(project.name)}' from {terminal_safe(model)}: {layers} layers, "
          f"{analysis.total_params:,} parameters ({analysis.trainable:,} trainable), {len(notes)} note(s) -> "
          f"{terminal_safe(output)}")
    if project.weights:
        print(f"  weights: {terminal_safe(project.weights.describe())} -> {terminal_safe(sidecar_path(output))}")
    for note in notes:
        print(f"  note: {terminal_safe(note)}")
    if not analysis.valid:
        print(f"  {len(analysis.errors)} problem(s) to fix in the editor; see: layerforge check "
              f"{terminal_safe(output)}")
    return EXIT_OK


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_REFUSED
