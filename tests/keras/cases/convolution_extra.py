"""Cases for the convolution_extra catalog module: Conv3D, transposed 1D/3D, SeparableConv1D,
DepthwiseConv1D and the 1D/3D padding, cropping and upsampling layers."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case
from tests.keras.cases.convolution import (
    FORMATS,
    L2_KERNEL,
    _channels,
    _common,
    _conv,
    _strides_and_dilation,
    image_shape,
    int_list,
)


@st.composite
def _conv_transpose(draw: st.DrawFn, n: int) -> Case:
    fmt = draw(FORMATS)
    strides, dilation = _strides_and_dilation(draw, n)
    output_padding = None
    if draw(st.booleans()):
        output_padding = [draw(st.integers(0, s - 1)) for s in strides]
        if draw(st.integers(0, 7)) == 0:
            output_padding[0] = strides[0]  # refused: must stay below strides
    cfg = {
        **_common(draw),
        "filters": draw(st.integers(1, 6)),
        "kernel_size": int_list(draw, n, 1, 4),
        "strides": strides,
        "dilation_rate": dilation,
        "output_padding": output_padding,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
    }
    if draw(st.integers(0, 4)) == 0:
        cfg["kernel_regularizer"] = L2_KERNEL
    return Case(cfg, [image_shape(draw, n, fmt, _channels(draw))])


@st.composite
def _separable1d(draw: st.DrawFn, depthwise: bool) -> Case:
    fmt = draw(FORMATS)
    strides, dilation = _strides_and_dilation(draw, 1)
    cfg = {
        **_common(draw),
        "kernel_size": int_list(draw, 1, 1, 4),
        "strides": strides,
        "dilation_rate": dilation,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
        "depth_multiplier": draw(st.integers(1, 3)),
    }
    if not depthwise:
        cfg["filters"] = draw(st.integers(1, 8))
    return Case(cfg, [image_shape(draw, 1, fmt, _channels(draw), low=3)])


def _sides(draw: st.DrawFn, n: int, high: int) -> Any:
    """Keras' spellings of per-side amounts for n axes."""
    form = draw(st.integers(0, 2))
    if form == 0:
        return draw(st.integers(0, high))
    if n == 1:
        return int_list(draw, 2, 0, high)
    if form == 1:
        return int_list(draw, n, 0, high)
    return [int_list(draw, 2, 0, high) for _ in range(n)]


@st.composite
def _pad_or_crop(draw: st.DrawFn, name: str, n: int, data_format: bool) -> Case:
    fmt = draw(FORMATS) if data_format else "channels_last"
    cfg: dict[str, Any] = {name: _sides(draw, n, 3)}
    if data_format:
        cfg["data_format"] = fmt
    low = 1 if name == "padding" else 3
    return Case(cfg, [image_shape(draw, n, fmt, draw(st.integers(1, 4)), low=low)])


@st.composite
def _up_sampling(draw: st.DrawFn, n: int) -> Case:
    if n == 1:
        return Case({"size": draw(st.integers(1, 3))}, [image_shape(draw, 1, "channels_last", draw(st.integers(1, 4)))])
    fmt = draw(FORMATS)
    return Case({"size": int_list(draw, n, 1, 3), "data_format": fmt},
                [image_shape(draw, n, fmt, draw(st.integers(1, 4)))])


CASES = {
    "Conv3D": _conv(3),
    "Conv1DTranspose": _conv_transpose(1),
    "Conv3DTranspose": _conv_transpose(3),
    "SeparableConv1D": _separable1d(depthwise=False),
    "DepthwiseConv1D": _separable1d(depthwise=True),
    "ZeroPadding1D": _pad_or_crop("padding", 1, True),
    "ZeroPadding3D": _pad_or_crop("padding", 3, True),
    "Cropping1D": _pad_or_crop("cropping", 1, False),
    "Cropping3D": _pad_or_crop("cropping", 3, True),
    "UpSampling1D": _up_sampling(1),
    "UpSampling3D": _up_sampling(3),
}

EXAMPLES = dict.fromkeys(CASES, 10)
"""Few examples each: these layers share their rules with the 2-D ones, which run 25."""
