"""``layerforge datasets [NAME] [--json]``: the bundled datasets, which work offline.

Without NAME, one line per dataset (name, kind, size, a short summary) cut to the terminal's
width, so the list reads at a glance in 80 columns; ``layerforge datasets NAME`` prints one
dataset in full (description, task, options). An unknown NAME is an error (exit status 2)
that names the closest matches.

Your own data works too: pass a .csv, .npz/.npy file or an image folder (one sub-folder per
class) to ``layerforge train --dataset``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

EXIT_UNKNOWN = 2
OWN_DATA = ("Your own data: --dataset data.csv (table or text), data.npz / data.npy (arrays x, y), "
            "or a folder with one sub-folder of images per class.")
GAP = "  "
ELLIPSIS = "…"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="show one dataset in full")
    parser.add_argument("--json", action="store_true", help="print the list (or the one dataset) as JSON")


def terminal_width() -> int:
    """Columns to fit in: the terminal's, or $COLUMNS, or 80 when the output is not a terminal."""
    return max(20, shutil.get_terminal_size(fallback=(80, 24)).columns)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, at a word end where one is near, an ellipsis marking
    the cut."""
    if len(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    space = cut.rfind(" ")
    if space >= width * 0.6:  # a whole word is worth a few columns
        cut = cut[:space]
    return cut.rstrip(" ,;:—-") + ELLIPSIS


def split_title(title: str) -> tuple[str, str]:
    """"Iris flowers (150 × 4, 3 classes)" -> ("Iris flowers", "150 × 4, 3 classes"): the words and
    the size in brackets at the end (no brackets: all words, no size)."""
    match = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", title)
    return (match.group(1), match.group(2)) if match else (title, "")


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


def summary_lines(sets: Sequence[Any], width: int) -> list[str]:
    """The table: a header, then one line per dataset, none longer than ``width``."""
    rows = []
    for s in sets:
        words, size = split_title(s.title)
        rows.append((s.name, s.kind, size, f"{words} — {first_sentence(s.description)}"))
    headers = ("name", "kind", "size", "summary")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:3])]
    lines = []
    for row in [headers, *rows]:
        fixed = GAP.join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
        lines.append(fit(f"{fixed}{GAP}{row[3]}".rstrip(), width))
    return lines


def detail_lines(s: Any, width: int) -> list[str]:
    """Everything about one dataset, wrapped to ``width``."""
    words, size = split_title(s.title)
    wrap = textwrap.TextWrapper(width=max(20, width), initial_indent="  ", subsequent_indent="  ")
    lines = [s.title, "",
             f"  name:  {s.name}", f"  kind:  {s.kind}", f"  task:  {s.task}"]
    if size:
        lines.append(f"  size:  {size}")
    lines += ["", *wrap.wrap(s.description)]
    if s.options:
        lines += ["", "  options (defaults; set them in the project's dataset or the Data tab):"]
        lines += [fit(f"    {key} = {value!r}", width) for key, value in s.options.items()]
    usage = f"Train on it: layerforge train PROJECT.json --dataset {s.name}"
    lines += ["", *textwrap.wrap(usage, width=max(20, width))]
    return lines


def as_json(s: Any) -> dict[str, Any]:
    return {"name": s.name, "title": s.title, "kind": s.kind, "task": s.task, "description": s.description,
            "options": s.options}


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `layerforge datasets | head`: the reader has all it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit; it must not fail again
        return 0


def _run(args: argparse.Namespace) -> int:
    from app.data import list_datasets

    sets = list_datasets()
    name = getattr(args, "name", None)
    width = terminal_width()
    if name:
        by_name = {s.name: s for s in sets}
        found = by_name.get(name) or by_name.get(name.strip().lower())
        if found is None:
            close = difflib.get_close_matches(name.lower(), list(by_name), n=3, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            print(f"layerforge datasets: no bundled dataset is called '{name}'.{hint}", file=sys.stderr)
            print(textwrap.fill("Bundled: " + ", ".join(by_name), width=width), file=sys.stderr)
            return EXIT_UNKNOWN
        if args.json:
            print(json.dumps(as_json(found), indent=2))
        else:
            print("\n".join(detail_lines(found, width)))
        return 0
    if args.json:
        print(json.dumps([as_json(s) for s in sets], indent=2))
        return 0
    print(fit("Bundled datasets (offline); details: layerforge datasets NAME", width))
    print()
    print("\n".join(summary_lines(sets, width)))
    print()
    print(textwrap.fill(OWN_DATA, width=width))
    return 0
