"""Reading the options of a dataset reference: checked against the option table, noted when ignored.

What each option is (range, choices, default, which datasets use it) lives in
:mod:`app.data.option_table`; loaders call :func:`read` and write no ranges of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.data.option_table import TABLE, understood

REFERENCE_KEYS = frozenset({"name", "path", "inputs"})
"""Keys of a dataset reference that say which data it is, not how to load it."""

KNOWN_OPTIONS = frozenset(TABLE) | REFERENCE_KEYS
"""Every key a dataset reference may hold; others are reported in the notes as ignored (likely typos)."""


def read(ref: Mapping[str, Any], key: str, dataset: str | None = None) -> Any:
    """Option ``key`` of ``ref`` checked against the table (its range for ``dataset``), or its default.

    Bad values raise a DataError that names the option and what it accepts."""
    return TABLE[key].read(ref, dataset)


def ignored_options(ref: Mapping[str, Any], dataset: str) -> list[str]:
    """Notes for keys that this dataset does not use, so a typo ("windw") is not silently lost."""
    used = understood(dataset)
    notes = []
    for key in ref:
        if key in REFERENCE_KEYS or key == "task":
            continue
        if key not in KNOWN_OPTIONS:
            notes.append(f"ignored the unknown option {key!r} (known options: {', '.join(sorted(KNOWN_OPTIONS))})")
        elif key not in used:
            notes.append(f"ignored option {key!r}: {dataset!r} does not use it")
    return notes


def hashable(value: Any) -> Any:
    """Options as a cache key: lists become tuples, dicts sorted item tuples."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(hashable(v) for v in value)
    return value


__all__ = ["KNOWN_OPTIONS", "REFERENCE_KEYS", "hashable", "ignored_options", "read"]
