"""Turning a column of label texts into class ids or numbers, deciding which when not told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.data.csvread import as_number, is_missing
from app.data.errors import DataError

MAX_GUESSED_CLASSES = 20
"""A numeric target with at most this many different whole numbers, close together, is read as classes."""
MAX_CLASSES = 200


def looks_like_classes(values: Sequence[float]) -> bool:
    """Class codes are few whole numbers in a small range (0/1, 1..5 stars); 48000 and 52000 are amounts."""
    distinct = set(values)
    return (all(float(v).is_integer() for v in distinct) and len(distinct) <= MAX_GUESSED_CLASSES
            and max(distinct) - min(distinct) < 100)


@dataclass
class Target:
    y: np.ndarray
    task: str
    class_names: list[str] | None
    keep: np.ndarray
    """Rows kept (rows whose target is missing are dropped)."""
    notes: list[str] = field(default_factory=list)


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    return f"line{'s' if len(lines) > 1 else ''} {shown}{' ...' if len(lines) > 5 else ''}"


def _number_name(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def encode_target(cells: Sequence[str], lines: Sequence[int], column: str, path: str, task: str | None) -> Target:
    """Class ids (int64, classes sorted) or float32 values. ``task`` forces the choice; without it a
    column of text, or of few different whole numbers, means classification."""
    missing = np.array([is_missing(c) for c in cells])
    notes = []
    if missing.any():
        dropped = [lines[i] for i in np.flatnonzero(missing)]
        notes.append(f"dropped {len(dropped)} row{'s' if len(dropped) > 1 else ''} with no value in the target "
                     f"column {column!r} ({_lines_text(dropped)})")
    kept = [c.strip() for c, m in zip(cells, missing, strict=True) if not m]
    kept_lines = [n for n, m in zip(lines, missing, strict=True) if not m]
    if not kept:
        raise DataError("the target column has no values", path, None, column)
    numbers = [as_number(c) for c in kept]
    numeric = all(v is not None for v in numbers)
    distinct = sorted(set(numbers)) if numeric else sorted(set(kept))
    if task is None:
        task = "classification" if not numeric or looks_like_classes(distinct) else "regression"
        if numeric and task == "classification":
            notes.append(f"read the target {column!r} as {len(distinct)} classes (it holds few different whole "
                         "numbers); set the dataset option task to \"regression\" to predict it as a number")
    if task == "regression":
        if not numeric:
            bad = next(i for i, v in enumerate(numbers) if v is None)
            raise DataError(f"{kept[bad]!r} is not a number, but the target of a regression must be: fix the value, "
                            "or set the dataset option task to \"classification\"", path, kept_lines[bad], column)
        y = np.array(numbers, dtype=np.float32)
        return Target(y, "regression", None, ~missing, notes)
    if len(distinct) < 2:
        raise DataError(f"the target has only one value ({kept[0]!r}): a classifier needs at least two classes",
                        path, None, column)
    if len(distinct) > MAX_CLASSES:
        raise DataError(f"the target has {len(distinct)} different values, too many classes: set the dataset option "
                        "task to \"regression\" to predict it as a number, or pick another target column",
                        path, None, column)
    index = {value: i for i, value in enumerate(distinct)}
    y = np.array([index[v] for v in (numbers if numeric else kept)], dtype=np.int64)
    names = [_number_name(v) for v in distinct] if numeric else [str(v) for v in distinct]
    return Target(y, "classification", names, ~missing, notes)


__all__ = ["MAX_GUESSED_CLASSES", "Target", "encode_target", "looks_like_classes"]
