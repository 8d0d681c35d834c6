"""Cases for ConvLSTM1D/2D/3D: short sequences of small signals, images or volumes."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import ACTIVATIONS, Case, Shape
from tests.keras.cases.convolution import FORMATS, int_list


@st.composite
def _conv_lstm(draw: Any, n: int) -> Case:
    fmt = draw(FORMATS)
    strides, dilation = [1] * n, [1] * n
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        strides = int_list(draw, n, 1, 2)
    elif kind <= 5:
        dilation = int_list(draw, n, 1, 2)
    elif kind == 6:
        strides, dilation = [2] * n, [2] * n  # refused by Keras and by us
    high = 7 if n < 3 else 5
    spatial: list[int | None] = int_list(draw, n, 2, high)
    if draw(st.integers(0, 11)) == 0:
        spatial[0] = None  # refused: ConvLSTM needs fixed frame sizes
    channels = draw(st.integers(1, 3))
    steps = draw(st.sampled_from([None, 1, 2, 3]))
    frame = [channels, *spatial] if fmt == "channels_first" else [*spatial, channels]
    shape: Shape = (None, steps, *frame)
    if draw(st.integers(0, 11)) == 0:
        shape = (None, *frame)  # no time axis
    cfg = {
        "filters": draw(st.integers(1, 4)),
        "kernel_size": int_list(draw, n, 1, 3),
        "strides": strides,
        "dilation_rate": dilation,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
        "return_sequences": draw(st.booleans()),
        "use_bias": draw(st.booleans()),
        "activation": draw(ACTIVATIONS),
    }
    return Case(cfg, [shape])


CASES = {f"ConvLSTM{n}D": _conv_lstm(n) for n in (1, 2, 3)}

EXAMPLES = {"ConvLSTM1D": 10, "ConvLSTM2D": 10, "ConvLSTM3D": 6}
