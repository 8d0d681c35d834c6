"""``layerforge export PROJECT [--keras OUT.keras] [--python OUT.py] [--saved-model DIR] [--tflite OUT.tflite]
[--onnx OUT.onnx]``.

PROJECT is a Layerforge project (.json) or a Keras model (.keras), which is imported
first (safely, see :mod:`app.keras_bridge.importer`). Exports write the weights the
model has (imported, trained, or saved beside the project; initial when it has none) and
say which; ``--python`` also writes ``OUT.weights.h5`` then, which the script loads.
The deployable formats (``--saved-model``, ``--tflite``, ``--onnx``; see
:mod:`app.keras_bridge.deploy`) are run on a random batch and compared with Keras before
they are reported written; the largest difference is printed.

Exit codes: 0 written; 1 the model is invalid (problems listed), or a converter refused it or its
artifact did not match Keras (the other formats asked for are still written); 2 the input could not be
read or was refused (also: no output asked for); 3 an output could not be written.
"""

from __future__ import annotations

import argparse
import sys
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
    parser.add_argument("--saved-model", metavar="DIR", help="write a TensorFlow SavedModel folder (for serving)")
    parser.add_argument("--tflite", metavar="OUT.tflite", help="write a TFLite / LiteRT model (phones, browsers)")
    parser.add_argument("--onnx", metavar="OUT.onnx", help="write an ONNX model (needs layerforge[onnx])")


def run(args: argparse.Namespace) -> int:
    deploy = _deploy_targets(args)
    if not args.keras and not args.python and not deploy:
        _error("nothing to do: give --keras OUT.keras, --python OUT.py, --saved-model DIR, --tflite OUT.tflite "
               "and/or --onnx OUT.onnx")
        return EXIT_UNREADABLE
    for fmt, given in deploy:
        suffix = {"tflite": ".tflite", "onnx": ".onnx"}.get(fmt)
        if suffix and Path(given).suffix.lower() != suffix:
            _error(f"{given}: a {fmt.upper() if fmt == 'onnx' else 'TFLite'} model file must end in {suffix}")
            return EXIT_UNWRITABLE
    if args.keras and Path(args.keras).suffix != ".keras":
        _error(f"{args.keras}: a Keras model file must end in .keras")
        return EXIT_UNWRITABLE
    loaded = _load(args.project)
    if isinstance(loaded, int):
        return loaded
    project, _imported = loaded

    from app.core.codegen import CodegenError
    from app.core.shapes import analyze
    from app.keras_bridge.compile import CompileError
    from app.keras_bridge.export import ExportError, export_keras, export_python, python_weights_path, weights_text

    analysis = analyze(project.graph)
    if not analysis.valid:
        _error(f"the model has {len(analysis.errors)} problem(s); nothing was written:")
        for problem in analysis.errors:
            print(f"  - {_printable(problem.message)}", file=sys.stderr)
        return EXIT_INVALID
    held = weights_text(project)
    try:
        if args.python:
            written = _build(lambda: export_python(project, args.python))
            also = (f" and {_printable(str(python_weights_path(written)))} with {_printable(held)}, which the "
                    "script loads" if project.weights else "; initial weights: the script builds the architecture")
            print(f"wrote {_printable(str(written))} (Python script, {len(project.graph)} layers){also}")
        if args.keras:
            model, notes = _build(lambda: _model_with_weights(project))
            for note in notes:
                print(f"warning: {_printable(note)}", file=sys.stderr)
            written = export_keras(project, args.keras, model=model)
            print(f"wrote {_printable(str(written))} (Keras model, {model.count_params():,} parameters) with "
                  f"{_printable(held)}")
            if project.weights.source.kind == "imported":
                print(f"note: {_printable(held)} were carried over to the exported model", file=sys.stderr)
        if deploy:
            code = _export_deployable(project, deploy, held)
            if code:
                return code
    except (CompileError, CodegenError, _BuildError) as err:
        _error(str(err))
        return EXIT_INVALID
    except ExportError as err:
        _error(str(err))
        return EXIT_UNWRITABLE
    return EXIT_OK


def _deploy_targets(args: argparse.Namespace) -> list[tuple[str, str]]:
    chosen = (("saved_model", getattr(args, "saved_model", None)), ("tflite", getattr(args, "tflite", None)),
              ("onnx", getattr(args, "onnx", None)))
    return [(fmt, given) for fmt, given in chosen if given]


def _export_deployable(project: Any, targets: list[tuple[str, str]], held: str) -> int:
    """Each deployable format, verified against Keras; returns an exit code (0: all written)."""
    from app.keras_bridge.deploy import EXPORTERS, DeployError

    model, notes = _build(lambda: _model_with_weights(project))
    for note in notes:
        print(f"warning: {_printable(note)}", file=sys.stderr)
    code = EXIT_OK
    for fmt, given in targets:
        try:
            verified = EXPORTERS[fmt](model, given)
        except DeployError as err:
            _error(str(err))
            code = code or (EXIT_INVALID if err.refused else EXIT_UNWRITABLE)
            continue
        print(f"wrote {_printable(given)} ({_printable(verified.describe())}) with {_printable(held)}")
    return code


class _BuildError(Exception):
    """Keras itself refused to build a graph our checks accepted."""


def _model_with_weights(project: Any) -> tuple[Any, list[str]]:
    from app.keras_bridge.export import model_with_weights

    return model_with_weights(project)


def _build(step: Any) -> Any:
    """Run an export step; Keras' own refusal of a graph our checks accepted becomes a _BuildError."""
    from app.core.codegen import CodegenError
    from app.keras_bridge.compile import CompileError
    from app.keras_bridge.export import ExportError

    try:
        return step()
    except (CompileError, CodegenError, ExportError):
        raise
    except Exception as err:  # Keras' own refusal, with its message
        raise _BuildError(f"Keras could not build the model: {err}") from err
