"""What a loaded dataset is: all samples as numpy arrays, plus the words the panel and CLI show."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

KINDS = ("image", "table", "series", "text", "points")
TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """All samples of one dataset, before it is split or fitted to a model.

    ``x`` holds every sample (images float32 (N, H, W, C) in 0..1, tables and points float32
    (N, F), series float32 (N, window, F), text int32 (N, L) token ids with 0 = padding and
    1 = unknown word); ``y`` holds int64 class ids or float32 targets. ``notes`` say in words
    what loading did, so nothing happens to the user's data silently.
    """

    name: str
    title: str
    kind: str
    task: str
    x: np.ndarray
    y: np.ndarray
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    vocabulary: list[str] | None = None
    series: np.ndarray | None = None
    ordered: bool = False
    image_shape: tuple[int, int, int] | None = None
    """(H, W, C) of image data, kept when ``x`` is flattened so previews can still draw the images."""
    input_columns: dict[str, tuple[int, int]] | None = None
    """Columns [start, stop) of ``x`` that feed the Input of each name, for sets made for a many-input model."""

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) if self.task == "classification" and self.class_names is not None else None

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    def copy_shallow(self) -> Dataset:
        """A new record sharing the (read-only) arrays, with its own lists: what caches hand out."""
        return dataclasses.replace(
            self,
            class_names=list(self.class_names) if self.class_names is not None else None,
            feature_names=list(self.feature_names) if self.feature_names is not None else None,
            notes=list(self.notes),
            vocabulary=list(self.vocabulary) if self.vocabulary is not None else None,
        )


@dataclass(frozen=True)
class BundledDataset:
    """A dataset that ships with Layerforge's dependencies and works offline; ``options`` are the
    settings it understands, with their defaults."""

    name: str
    title: str
    kind: str
    task: str
    description: str
    options: dict[str, Any] = field(default_factory=dict)


def frozen(array: np.ndarray) -> np.ndarray:
    """Mark an array read-only: cached datasets are shared, and a caller that changed one in place
    would change it for every later run."""
    array.flags.writeable = False
    return array


def freeze(ds: Dataset) -> Dataset:
    for arr in (ds.x, ds.y, ds.series):
        if arr is not None:
            frozen(arr)
    return ds


def count(n: int) -> str:
    """1,234 — the thousands separator makes sample counts readable."""
    return f"{n:,}"


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def make_title(label: str, ds_x: np.ndarray, task: str, n_classes: int | None, kind: str) -> str:
    """"Iris flowers (150 × 4, 3 classes)": samples × one sample's shape, then classes or regression."""
    sample = shape_text(tuple(ds_x.shape[1:]))
    unit = {"series": " windows", "text": " texts"}.get(kind, "")
    what = f"{n_classes} classes" if task == "classification" and n_classes is not None else "regression"
    return f"{label} ({count(ds_x.shape[0])}{unit} × {sample}, {what})"


__all__ = ["KINDS", "TASKS", "BundledDataset", "Dataset", "count", "freeze", "frozen", "make_title", "shape_text"]
