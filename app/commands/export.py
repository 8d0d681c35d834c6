"""``layerforge export PROJECT [--keras OUT.keras] [--python OUT.py]``.

PROJECT is a Layerforge project (.json) or a Keras model (.keras), which is imported
first (safely, see :mod:`app.keras_bridge.importer`); exporting a .keras file to .keras
carries its weights over when the structure allows.

Exit codes: 0 written; 1 the model is invalid (problems listed); 2 the input could not be
read or was refused (also: no output asked for); 3 an output could not be written.
"""

from __future__ import annotations

import argparse
import io
import sys
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_UNREADABLE
from app.commands.common import error as _error
from app.commands.common import load_model_file as _load
from app.commands.common import printable as _printable

EXIT_OK, EXIT_INVALID, EXIT_UNWRITABLE = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Layerforge project (.json) or a Keras model (.keras)")
    parser.add_argument("--keras", metavar="OUT.keras", help="write the model as a Keras model file")
    parser.add_argument("--python", metavar="OUT.py", help="write the model as a standalone Python script")


def run(args: argparse.Namespace) -> int:
    if not args.keras and not args.python:
        _error("nothing to do: give --keras OUT.keras and/or --python OUT.py")
        return EXIT_UNREADABLE
    if args.keras and Path(args.keras).suffix != ".keras":
        _error(f"{args.keras}: a Keras model file must end in .keras")
        return EXIT_UNWRITABLE
    loaded = _load_with_notes(args.project, carrying_weights=bool(args.keras))
    if isinstance(loaded, int):
        return loaded
    project, imported = loaded

    from app.core.codegen import CodegenError
    from app.core.shapes import analyze
    from app.keras_bridge.compile import CompileError
    from app.keras_bridge.export import ExportError, export_keras, export_python

    analysis = analyze(project.graph)
    if not analysis.valid:
        _error(f"the model has {len(analysis.errors)} problem(s); nothing was written:")
        for problem in analysis.errors:
            print(f"  - {_printable(problem.message)}", file=sys.stderr)
        return EXIT_INVALID
    try:
        if args.python:
            written = export_python(project, args.python)
            print(f"wrote {_printable(str(written))} (Python script, {len(project.graph)} layers)")
            if imported:
                print("note: the script rebuilds the architecture only; trained weights are not included",
                      file=sys.stderr)
        if args.keras:
            model = _compile(project)
            if imported and not _carry_weights(model, args.project):
                model = _compile(project)  # a failed load may have filled some layers: start clean
            written = export_keras(project, args.keras, model=model)
            print(f"wrote {_printable(str(written))} (Keras model, {model.count_params():,} parameters)")
    except (CompileError, CodegenError, _BuildError) as err:
        _error(str(err))
        return EXIT_INVALID
    except ExportError as err:
        _error(str(err))
        return EXIT_UNWRITABLE
    return EXIT_OK


WEIGHTS_NOT_IMPORTED = "trained weights are not imported"
"""The importer's note for an editable project; an export to .keras says instead whether the
weights were carried over, so the two never contradict each other on one screen."""


def _load_with_notes(path: str, carrying_weights: bool) -> tuple[Any, bool] | int:
    """:func:`load_model_file`, minus the importer's "weights are not imported" note when the
    export will carry the weights over itself (it then reports what really happened)."""
    if not carrying_weights:
        return _load(path)
    held = io.StringIO()
    with redirect_stderr(held):
        loaded = _load(path)
    for line in held.getvalue().splitlines():
        if not (line.startswith("note:") and WEIGHTS_NOT_IMPORTED in line):
            print(line, file=sys.stderr)
    return loaded


class _BuildError(Exception):
    """Keras itself refused to build a graph our checks accepted."""


def _compile(project: Any) -> Any:
    from app.keras_bridge.compile import CompileError, compile_graph

    try:
        return compile_graph(project.graph, project.name)
    except CompileError:
        raise
    except Exception as err:  # Keras' own refusal, with its message
        raise _BuildError(f"Keras could not build the model: {err}") from err


def _carry_weights(model: Any, source: str) -> bool:
    """Load the imported file's trained weights into the rebuilt model; warn when they do not fit.

    Only the weight arrays are read (no config, no code), into the model the project built.
    """
    try:
        model.load_weights(source)
    except Exception as err:
        print(f"warning: the weights in {_printable(source)} could not be carried over ({_printable(str(err))}); "
              "the exported model starts from fresh weights", file=sys.stderr)
        return False
    print(f"note: the trained weights of {_printable(source)} were carried over to the exported model",
          file=sys.stderr)
    return True
