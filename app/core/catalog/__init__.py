"""The layer catalog: one :class:`LayerSpec` per supported Keras layer.

Each category lives in its own module with a ``SPECS`` tuple; this package gathers them
into one registry keyed by Keras class name.
"""

from __future__ import annotations

from app.core.catalog import (
    applications,
    attention,
    augmentation,
    convolution,
    convolution_extra,
    core_extra,
    core_layers,
    merge,
    normalization,
    normalization_extra,
    ops,
    pooling,
    preprocessing,
    preprocessing_extra,
    recurrent,
    recurrent_cells,
    recurrent_extra,
)
from app.core.catalog.spec import (
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    PortSpec,
    Shape,
    ShapeError,
)

_MODULES = (
    core_layers, core_extra, convolution, convolution_extra, pooling, normalization, normalization_extra, recurrent,
    recurrent_extra, recurrent_cells, attention, merge, preprocessing, preprocessing_extra, augmentation, ops,
    applications,
)

CATALOG: dict[str, LayerSpec] = {}
for _module in _MODULES:
    for _spec in _module.SPECS:
        if _spec.class_name in CATALOG:
            raise RuntimeError(f"duplicate catalog entry {_spec.class_name}")
        CATALOG[_spec.class_name] = _spec

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(spec.category for spec in CATALOG.values()))


def get_spec(class_name: str) -> LayerSpec | None:
    """The spec for a Keras class name, or None when the layer is not supported."""
    return CATALOG.get(class_name)


def classes_tagged(*tags: str) -> frozenset[str]:
    """Class names whose spec carries any of ``tags`` (``RNN_TAG``, ``RNN_WRAPPER_TAG`` in :mod:`.spec`), so
    that code outside the catalog never keeps its own list of, say, the recurrent layers."""
    return frozenset(name for name, spec in CATALOG.items() if spec.tags & set(tags))


__all__ = [
    "CATALOG",
    "CATEGORIES",
    "Fix",
    "LayerDoc",
    "LayerSpec",
    "Param",
    "ParamKind",
    "PortSpec",
    "Shape",
    "ShapeError",
    "classes_tagged",
    "get_spec",
]
