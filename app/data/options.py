"""Reading the options of a dataset reference, each checked with a message that names the option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.data.errors import DataError

KNOWN_OPTIONS = frozenset({
    "name", "path", "noise", "samples", "seed", "window", "horizon", "symbol", "image_size", "flatten", "target",
    "text_column", "label_column", "sequence_length", "max_tokens", "pixels", "task", "inputs",
})
"""Every key a dataset reference may hold; others are reported in the notes as ignored (likely typos)."""

GENERIC_IMAGE_OPTIONS = ("image_size", "flatten", "pixels", "target")
"""Options every image dataset understands, on top of its own."""


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def whole(ref: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = ref.get(key, default)
    if value is None:
        return default
    if not _is_whole(value) or not low <= value <= high:
        raise DataError(f"option {key!r} must be a whole number from {low:,} to {high:,} (got {value!r})")
    return int(value)


def number(ref: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = ref.get(key, default)
    if value is None:
        return default
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)) or not low <= value <= high:
        raise DataError(f"option {key!r} must be a number from {low:g} to {high:g} (got {value!r})")
    return float(value)


def flag(ref: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = ref.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise DataError(f"option {key!r} must be true or false (got {value!r})")
    return value


def text(ref: Mapping[str, Any], key: str, default: str | None = None,
         choices: tuple[str, ...] | None = None) -> str | None:
    value = ref.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or (choices is not None and value not in choices):
        allowed = f"one of {', '.join(repr(c) for c in choices)}" if choices else "a text"
        raise DataError(f"option {key!r} must be {allowed} (got {value!r})")
    return value


def image_size(ref: Mapping[str, Any], default: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """``image_size`` as (height, width): a whole number for square images or [height, width]."""
    value = ref.get("image_size")
    if value is None:
        return default
    if _is_whole(value):
        value = [value, value]
    if (isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_whole(v) and 4 <= v <= 1024 for v in value)):
        return int(value[0]), int(value[1])
    raise DataError(f"option 'image_size' must be a whole number from 4 to 1024 or [height, width] (got {value!r})")


def ignored_options(ref: Mapping[str, Any], understood: set[str] | frozenset[str], dataset: str) -> list[str]:
    """Notes for keys that this dataset does not use, so a typo ("windw") is not silently lost."""
    notes = []
    for key in ref:
        if key in ("name", "path", "inputs", "task"):
            continue
        if key not in KNOWN_OPTIONS:
            notes.append(f"ignored the unknown option {key!r} (known options: {', '.join(sorted(KNOWN_OPTIONS))})")
        elif key not in understood:
            notes.append(f"ignored option {key!r}: {dataset!r} does not use it")
    return notes


def hashable(value: Any) -> Any:
    """Options as a cache key: lists become tuples, dicts sorted item tuples."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(hashable(v) for v in value)
    return value


__all__ = ["GENERIC_IMAGE_OPTIONS", "KNOWN_OPTIONS", "flag", "hashable", "ignored_options", "image_size", "number",
           "text", "whole"]
