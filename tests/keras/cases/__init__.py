"""Hypothesis strategies of valid-looking layer cases, one module per catalog category.

Each module exposes ``CASES: dict[str, SearchStrategy[Case]]``. Cases may well be
invalid for the layer (a kernel bigger than the image, say): the oracle then checks
that our rules and Keras both refuse them.
"""

from tests.keras.cases import (
    attention,
    convolution,
    core,
    merge,
    normalization,
    pooling,
    preprocessing,
    recurrent,
)
from tests.keras.cases.base import Case

ALL_CASES = {}
for _module in (core, convolution, pooling, normalization, recurrent, attention, merge, preprocessing):
    overlap = ALL_CASES.keys() & _module.CASES.keys()
    assert not overlap, overlap
    ALL_CASES.update(_module.CASES)

__all__ = ["ALL_CASES", "Case"]
