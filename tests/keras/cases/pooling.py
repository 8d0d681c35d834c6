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


@st.composite
def _adaptive(draw: st.DrawFn, n: int) -> Case:
    fmt = draw(FORMATS)
    cfg = {"output_size": int_list(draw, n, 1, 5), "data_format": fmt}
    # Never one axis too few: Keras' adaptive ops then read the input as the lower rank and
    # run, while its symbolic shape claims the higher one; Layerforge refuses such inputs.
    spatial = [draw(st.one_of(st.none(), st.integers(1, 9))) for _ in range(n + draw(st.sampled_from([0] * 7 + [1])))]
    channels = draw(st.integers(1, 4))
    shape = (None, channels, *spatial) if fmt == "channels_first" else (None, *spatial, channels)
    return Case(cfg, [shape])


CASES = {
    "MaxPooling1D": _pool(1),
    "MaxPooling2D": _pool(2),
    "AveragePooling1D": _pool(1),
    "AveragePooling2D": _pool(2),
    "GlobalAveragePooling1D": _global(1),
    "GlobalAveragePooling2D": _global(2),
    "GlobalMaxPooling1D": _global(1),
    "GlobalMaxPooling2D": _global(2),
    "MaxPooling3D": _pool(3),
    "AveragePooling3D": _pool(3),
    "GlobalAveragePooling3D": _global(3),
    "GlobalMaxPooling3D": _global(3),
    **{f"Adaptive{kind}Pooling{n}D": _adaptive(n) for kind in ("Average", "Max") for n in (1, 2, 3)},
}

EXAMPLES = {name: 10 for name in CASES if name.endswith("3D") or name.startswith("Adaptive")}
"""The layers added with Keras' full catalog run fewer examples: the whole oracle must stay fast."""
