"""The ``layerforge`` command: the editor, and headless tools that share its core.

``layerforge`` opens the editor on the default example and ``layerforge FILE`` opens
FILE in it; ``layerforge COMMAND ...`` runs a tool. Each sub-command lives in
``app.commands.<name>`` and the GUI in ``app.gui``; both are imported only when run, so
``layerforge --help`` and ``check`` stay fast (no Qt, no TensorFlow import).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import Any

from app import __version__

# name -> (module, one-line description); the module provides add_arguments(parser) and run(args) -> int
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("app.commands.check", "Check a project (or a .keras model): its blocks, shapes, parameters, problems."),
    "import": ("app.commands.import_model", "Turn a .keras model into an editable Layerforge project."),
    "export": ("app.commands.export", "Export a project (or a .keras model) as a .keras file and/or Python code."),
    "train": ("app.commands.train", "Train a project on a dataset with live progress; save the trained model."),
    "weights": ("app.commands.weights", "Show a project's weights, or load them from a weights file by layer name."),
    "follow": ("app.commands.follow", "Watch a run's metrics log (a job's metrics.jsonl) live, as train shows it."),
    "job": ("app.commands.job", "Write a self-contained training job folder (model, data, train.py) to run elsewhere."),
    "sweep": ("app.commands.sweep", "Search hyperparameters (Optuna); every trial is kept as a run."),
    "datasets": ("app.commands.datasets", "List the bundled datasets that work offline."),
    "diagram": ("app.gui.diagram_command", "Draw a project or .keras model as the canvas shows it, to a PNG or SVG."),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerforge",
        usage="layerforge [FILE]\n       layerforge COMMAND [options]",
        description="Layerforge: draw Keras models as graphs, check them, train them, export them.",
        epilog="Without a command, the editor opens: on FILE (a project .json or a .keras model) "
               "or, with no FILE, on an example model.",
    )
    parser.add_argument("--version", action="version", version=f"layerforge {__version__}")
    # prog: without it argparse builds each sub-command's usage from the two-line top-level
    # usage ("layerforge [FILE]\n layerforge COMMAND [options] check ...").
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", prog=parser.prog)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # TensorFlow's C++ start-up chatter (CPU features, absl) is noise in a terminal tool;
    # users who want it can set the variable themselves.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("0", "1"):
        quiet_tensorflow_start_up()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        return open_editor(args_list)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


TF_NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
)
"""TensorFlow 2.21's start-up lines. Its native modules write them through absl while they load,
before TF_CPP_MIN_LOG_LEVEL is read, so the variable does not silence them;
``TF_ENABLE_ONEDNN_OPTS=0`` would, but only by turning off oneDNN's faster CPU kernels."""


def quiet_tensorflow_start_up() -> None:
    """From now on, load TensorFlow's native modules with file descriptor 2 captured and pass on
    everything they write except :data:`TF_NOISE`. Nothing is imported here: TensorFlow still
    loads only when a command needs it (``check`` and ``import`` never do)."""
    if not any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Wraps the loader of each ``tensorflow.*`` extension module; leaves every other import alone."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: object = None) -> Any:
        if not fullname.startswith("tensorflow."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.ExtensionFileLoader:
            return None  # the usual finders take it from here
        spec.loader = _QuietExtensionLoader(spec.loader.name, spec.loader.path)
        return spec


class _QuietExtensionLoader(importlib.machinery.ExtensionFileLoader):
    def create_module(self, spec: Any) -> Any:
        return run_quietly(lambda: super(_QuietExtensionLoader, self).create_module(spec))

    def exec_module(self, module: Any) -> None:
        run_quietly(lambda: super(_QuietExtensionLoader, self).exec_module(module))


def run_quietly(call: Callable[[], Any]) -> Any:
    """``call()`` with file descriptor 2 captured; then every captured line but :data:`TF_NOISE`
    is written to stderr, so a real error from a native library still shows.

    Safe across threads (the editor loads TensorFlow in the background): overlapping calls share
    one capture, the first one in redirects and the last one out restores. The lock guards only
    those few system calls, never an import, so it cannot deadlock with Python's import locks."""
    with _CAPTURE_LOCK:
        if _CAPTURE["depth"] == 0:
            sys.stderr.flush()
            _CAPTURE["saved"] = os.dup(2)
            _CAPTURE["file"] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the last one out)
            os.dup2(_CAPTURE["file"].fileno(), 2)
        _CAPTURE["depth"] += 1
    try:
        return call()
    finally:
        with _CAPTURE_LOCK:
            _CAPTURE["depth"] -= 1
            if _CAPTURE["depth"] == 0:
                captured, saved = _CAPTURE.pop("file"), _CAPTURE.pop("saved")
                os.dup2(saved, 2)
                os.close(saved)
                with captured:
                    captured.seek(0)
                    text = captured.read(1_000_000).decode("utf-8", "replace")
                kept = [line for line in text.splitlines() if line.strip() and not any(n in line for n in TF_NOISE)]
                if kept:
                    print("\n".join(kept), file=sys.stderr)


_CAPTURE_LOCK = threading.Lock()
_CAPTURE: dict[str, Any] = {"depth": 0}


def open_editor(args: Sequence[str]) -> int:
    """``layerforge [FILE]``: the GUI, on FILE or the default example."""
    if len(args) > 1:
        print(f"layerforge: expected one file to open, got {len(args)} arguments; see layerforge --help",
              file=sys.stderr)
        return 2
    path = args[0] if args else None
    if path is not None and not os.path.exists(path):
        from app.core.terminal_text import terminal_safe

        print(f"layerforge: '{terminal_safe(path)}' is neither a file nor a command ({', '.join(COMMANDS)}); "
              "see layerforge --help", file=sys.stderr)
        return 2
    from app.gui.app import run_gui

    return run_gui(path)


if __name__ == "__main__":
    raise SystemExit(main())
