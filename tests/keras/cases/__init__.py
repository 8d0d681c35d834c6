"""Hypothesis strategies of valid-looking layer cases, one module per catalog category.

Each module exposes ``CASES: dict[str, SearchStrategy[Case]]``. Cases may well be
invalid for the layer (a kernel bigger than the image, say): the oracle then checks
that our rules and Keras both refuse them.
"""

from tests.keras.cases import (
    attention,
    augmentation,
    convolution,
    convolution_extra,
    core,
    core_extra,
    merge,
    normalization,
    normalization_extra,
    pooling,
    preprocessing,
    preprocessing_extra,
    recurrent,
    recurrent_cells,
    recurrent_extra,
)
from tests.keras.cases.base import Case

ALL_CASES = {}
EXAMPLES: dict[str, int] = {}
"""Hypothesis examples per layer where a module asks for fewer than the default (its ``EXAMPLES``)."""
_MODULES = (
    core, core_extra, convolution, convolution_extra, pooling, normalization, normalization_extra, recurrent,
    recurrent_extra, recurrent_cells, attention, merge, preprocessing, preprocessing_extra, augmentation,
)
for _module in _MODULES:
    overlap = ALL_CASES.keys() & _module.CASES.keys()
    assert not overlap, overlap
    ALL_CASES.update(_module.CASES)
    EXAMPLES.update(getattr(_module, "EXAMPLES", {}))

__all__ = ["ALL_CASES", "EXAMPLES", "Case"]
