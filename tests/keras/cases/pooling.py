"""Cases for the pooling catalog module."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.keras.cases.base import Case
from tests.keras.cases.convolution import FORMATS, image_shape, int_list


@st.composite
def _pool(draw: st.DrawFn, n: int) -> Case:
    fmt = draw(FORMATS)
    strides = None if draw(st.booleans()) else int_list(draw, n, 1, 3)
    cfg = {
        "pool_size": int_list(draw, n, 1, 4),
        "strides": strides,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
    }
    channels = None if draw(st.integers(0, 9)) == 0 else draw(st.integers(1, 6))
    return Case(cfg, [image_shape(draw, n, fmt, channels)])


@st.composite
def _global(draw: st.DrawFn, n: int) -> Case:
    fmt = draw(FORMATS)
    cfg = {"data_format": fmt, "keepdims": draw(st.booleans())}
    channels = None if draw(st.integers(0, 9)) == 0 else draw(st.integers(1, 6))
    return Case(cfg, [image_shape(draw, n, fmt, channels)])


CASES = {
    "MaxPooling1D": _pool(1),
    "MaxPooling2D": _pool(2),
    "AveragePooling1D": _pool(1),
    "AveragePooling2D": _pool(2),
    "GlobalAveragePooling1D": _global(1),
    "GlobalAveragePooling2D": _global(2),
    "GlobalMaxPooling1D": _global(1),
    "GlobalMaxPooling2D": _global(2),
}
