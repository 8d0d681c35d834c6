"""``layerforge datasets [--json]``: the bundled datasets, which work offline.

Your own data works too: pass a .csv, .npz/.npy file or an image folder (one sub-folder per
class) to ``layerforge train --dataset``.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args: argparse.Namespace) -> int:
    from app.data import list_datasets

    sets = list_datasets()
    if args.json:
        print(json.dumps([{"name": s.name, "title": s.title, "kind": s.kind, "task": s.task,
                           "description": s.description, "options": s.options} for s in sets], indent=2))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Bundled datasets (offline)", title_justify="left", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("kind")
    table.add_column("task")
    table.add_column("what it is")
    table.add_column("options")
    for s in sets:
        options = ", ".join(f"{key}={value}" for key, value in s.options.items())
        table.add_row(s.name, s.kind, s.task, escape(f"{s.title}\n{s.description}"), escape(options))
    console = Console(highlight=False)
    console.print(table)
    console.print("Your own data: --dataset data.csv (table or text), data.npz / data.npy (arrays x, y), "
                  "or a folder with one sub-folder of images per class.")
    return 0
