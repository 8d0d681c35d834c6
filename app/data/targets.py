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


def _lines_text(lines: Sequence[int], total: int | None = None) -> str:
    total = len(lines) if total is None else total
    shown = ", ".join(str(n) for n in lines[:5])
    return f"line{'s' if total > 1 else ''} {shown}{' ...' if total > 5 else ''}"


def _number_name(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32(values: np.ndarray, lines: Sequence[int], column: str, path: str) -> None:
    """A regression target is trained as float32: a value beyond its range would become infinite."""
    too_big = np.flatnonzero(np.abs(values) > FLOAT32_MAX)
    if len(too_big):
        k = int(too_big[0])
        raise DataError(f"the value {values[k]:g} is beyond the range of 32-bit floats (±{FLOAT32_MAX:.2e}) that "
                        "training uses: fix the value, or rescale the column", path, int(lines[k]), column)


def _encode_numbers(values: np.ndarray, lines: np.ndarray, column: str, path: str, task: str | None) -> Target:
    """:func:`encode_target` for a column read as float64 (NaN = missing), without a string per cell."""
    missing = np.isnan(values)
    notes = []
    if missing.any():
        dropped = [int(n) for n in lines[missing][:6]]
        total = int(missing.sum())
        notes.append(f"dropped {total} row{'s' if total > 1 else ''} with no value in the target "
                     f"column {column!r} ({_lines_text(dropped, total)})")
    kept = values[~missing]
    if not len(kept):
        raise DataError("the target column has no values", path, None, column)
    distinct, inverse = np.unique(kept, return_inverse=True)
    if task is None:
        task = "classification" if looks_like_classes(distinct.tolist()) else "regression"
        if task == "classification":
            notes.append(f"read the target {column!r} as {len(distinct)} classes (it holds few different whole "
                         "numbers); set the dataset option task to \"regression\" to predict it as a number")
    if task == "regression":
        _check_float32(kept, lines[~missing], column, path)
        return Target(kept.astype(np.float32), "regression", None, ~missing, notes)
    if len(distinct) < 2:
        raise DataError(f"the target has only one value ({_number_name(distinct[0])!r}): a classifier needs at least "
                        "two classes", path, None, column)
    if len(distinct) > MAX_CLASSES:
        raise DataError(f"the target has {len(distinct)} different values, too many classes: set the dataset option "
                        "task to \"regression\" to predict it as a number, or pick another target column",
                        path, None, column)
    names = [_number_name(v) for v in distinct.tolist()]
    return Target(inverse.astype(np.int64).reshape(-1), "classification", names, ~missing, notes)


def encode_target(cells: Sequence[str] | None, lines: Sequence[int] | np.ndarray, column: str, path: str,
                  task: str | None, numbers: np.ndarray | None = None) -> Target:
    """Class ids (int64, classes sorted) or float32 values. ``task`` forces the choice; without it a
    column of text, or of few different whole numbers, means classification. ``numbers`` is the
    column already read as float64 (see :class:`app.data.csvread.CsvTable`); then ``cells`` is unused."""
    if numbers is not None:
        return _encode_numbers(numbers, np.asarray(lines), column, path, task)
    assert cells is not None
    # Work on the distinct cell texts (a few class names, usually) and map back with one index per row.
    position: dict[str, int] = {}
    ids = np.fromiter((position.setdefault(c, len(position)) for c in cells), dtype=np.int64, count=len(cells))
    texts = list(position)
    missing = np.array([is_missing(c) for c in texts], dtype=bool)[ids]
    line_numbers = np.asarray(lines)
    notes = []
    if missing.any():
        total = int(missing.sum())
        dropped = [int(n) for n in line_numbers[missing][:6]]
        notes.append(f"dropped {total} row{'s' if total > 1 else ''} with no value in the target "
                     f"column {column!r} ({_lines_text(dropped, total)})")
    kept_ids = ids[~missing]
    if not len(kept_ids):
        raise DataError("the target column has no values", path, None, column)
    present = np.unique(kept_ids).tolist()
    stripped = [c.strip() for c in texts]
    as_numbers = {i: as_number(texts[i]) for i in present}
    numeric = all(v is not None for v in as_numbers.values())
    keys: dict[int, object] = as_numbers if numeric else {i: stripped[i] for i in present}  # type: ignore[assignment]
    distinct = sorted(set(keys.values()))  # type: ignore[type-var]
    if task is None:
        task = "classification" if not numeric or looks_like_classes(distinct) else "regression"  # type: ignore[arg-type]
        if numeric and task == "classification":
            notes.append(f"read the target {column!r} as {len(distinct)} classes (it holds few different whole "
                         "numbers); set the dataset option task to \"regression\" to predict it as a number")
    if task == "regression":
        if not numeric:
            k = next(k for k, i in enumerate(kept_ids.tolist()) if as_numbers[i] is None)
            raise DataError(f"{stripped[int(kept_ids[k])]!r} is not a number, but the target of a regression must be: "
                            "fix the value, or set the dataset option task to \"classification\"", path,
                            int(line_numbers[~missing][k]), column)
        lookup = np.zeros(len(texts), dtype=np.float64)
        for i, value in as_numbers.items():
            lookup[i] = value
        values = lookup[kept_ids]
        _check_float32(values, line_numbers[~missing], column, path)
        return Target(values.astype(np.float32), "regression", None, ~missing, notes)
    if len(distinct) < 2:
        raise DataError(f"the target has only one value ({stripped[int(kept_ids[0])]!r}): a classifier needs at least "
                        "two classes", path, None, column)
    if len(distinct) > MAX_CLASSES:
        raise DataError(f"the target has {len(distinct)} different values, too many classes: set the dataset option "
                        "task to \"regression\" to predict it as a number, or pick another target column",
                        path, None, column)
    index = {value: i for i, value in enumerate(distinct)}
    classes = np.zeros(len(texts), dtype=np.int64)
    for i, key in keys.items():
        classes[i] = index[key]
    y = classes[kept_ids]
    names = [_number_name(v) for v in distinct] if numeric else [str(v) for v in distinct]  # type: ignore[arg-type]
    return Target(y, "classification", names, ~missing, notes)


__all__ = ["MAX_GUESSED_CLASSES", "Target", "encode_target", "looks_like_classes"]
