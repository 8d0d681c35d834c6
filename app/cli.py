"""The ``layerforge`` command: headless tools that share the editor's core.

Each sub-command lives in ``app.commands.<name>`` and is imported only when run, so
``layerforge --help`` and ``check`` stay fast (no TensorFlow import).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app import __version__

# name -> (module, one-line description); the module provides add_arguments(parser) and run(args) -> int
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("app.commands.check", "Validate a project and print its layers, shapes, parameters and problems."),
    "import": ("app.commands.import_model", "Turn a .keras model into an editable Layerforge project."),
    "export": ("app.commands.export", "Export a project (or a .keras model) as a .keras file and/or Python code."),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerforge",
        description="Layerforge: draw Keras models as graphs, check them, train them, export them.",
    )
    parser.add_argument("--version", action="version", version=f"layerforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
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


if __name__ == "__main__":
    raise SystemExit(main())
