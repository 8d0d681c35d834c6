"""Cases for the convolution catalog module: convolutions plus UpSampling2D, ZeroPadding2D, Cropping2D."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import ACTIVATIONS, Case, Shape

FORMATS = st.sampled_from(["channels_last", "channels_first"])

L2_KERNEL = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}
HE_FAN_OUT = {  # the kernel_initializer EfficientNet and MobileNetV2 configs carry
    "module": "keras.initializers",
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal", "seed": None},
    "registered_name": None,
}


def _dim(draw: st.DrawFn, low: int = 1, high: int = 12, unknown: bool = True) -> int | None:
    """A spatial size; now and then None (variable-size images)."""
    if unknown and draw(st.integers(0, 9)) == 0:
        return None
    return draw(st.integers(low, high))


def _channels(draw: st.DrawFn, high: int = 6) -> int | None:
    """A channel count; rarely None, which layers with weights must refuse."""
    return None if draw(st.integers(0, 24)) == 0 else draw(st.integers(1, high))


def image_shape(draw: st.DrawFn, n: int, data_format: str, channels: int | None, low: int = 1) -> Shape:
    """A batch shape with ``n`` spatial axes; about one case in eight gets a wrong rank."""
    spatial = [_dim(draw, low) for _ in range(n)]
    wrong = draw(st.integers(0, 15))
    if wrong == 0:
        spatial = spatial[:-1] if n > 1 else []  # channel axis missing / flattened data
        return (None, *spatial, draw(st.integers(1, 12)))
    if wrong == 1:
        spatial = [*spatial, draw(st.integers(1, 6))]  # one axis too many
    if data_format == "channels_first":
        return (None, channels, *spatial)
    return (None, *spatial, channels)


def int_list(draw: st.DrawFn, n: int, low: int, high: int) -> list[int]:
    return [draw(st.integers(low, high)) for _ in range(n)]


def _strides_and_dilation(draw: st.DrawFn, n: int) -> tuple[list[int], list[int]]:
    """Mostly one of the two above 1; sometimes both, which Conv1D/Conv2D refuse."""
    strides, dilation = [1] * n, [1] * n
    kind = draw(st.integers(0, 13))
    if kind <= 6:
        strides = int_list(draw, n, 1, 3)
    elif kind <= 10:
        dilation = int_list(draw, n, 1, 3)
    elif kind == 11:
        strides, dilation = int_list(draw, n, 2, 3), int_list(draw, n, 2, 3)
    return strides, dilation


def _common(draw: st.DrawFn) -> dict[str, Any]:
    cfg: dict[str, Any] = {"activation": draw(ACTIVATIONS), "use_bias": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        cfg["trainable"] = False
    return cfg


@st.composite
def _conv(draw: st.DrawFn, n: int) -> Case:
    fmt = draw(FORMATS)
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    channels = _channels(draw)
    if groups > 1 and channels is not None and draw(st.integers(0, 9)) > 0:
        channels = groups * draw(st.integers(1, 3))
    filters = draw(st.integers(1, 8))
    if groups > 1 and draw(st.integers(0, 9)) > 0:
        filters = groups * draw(st.integers(1, 3))
    strides, dilation = _strides_and_dilation(draw, n)
    padding = draw(st.sampled_from(["valid", "same", "causal"] if n == 1 else ["valid", "same"]))
    cfg = {
        **_common(draw),
        "filters": filters,
        "kernel_size": int_list(draw, n, 1, 4),
        "strides": strides,
        "dilation_rate": dilation,
        "padding": padding,
        "data_format": fmt,
        "groups": groups,
    }
    extra = draw(st.integers(0, 5))
    if extra == 0:
        cfg["kernel_regularizer"] = L2_KERNEL
    elif extra == 1:
        cfg["kernel_initializer"] = HE_FAN_OUT
    return Case(cfg, [image_shape(draw, n, fmt, channels, low=3)])


@st.composite
def _conv_transpose(draw: st.DrawFn) -> Case:
    fmt = draw(FORMATS)
    strides, dilation = _strides_and_dilation(draw, 2)
    output_padding = None
    if draw(st.booleans()):
        output_padding = [draw(st.integers(0, s - 1)) for s in strides]
        if draw(st.integers(0, 7)) == 0:
            output_padding[0] = strides[0]  # refused: must stay below strides
    cfg = {
        **_common(draw),
        "filters": draw(st.integers(1, 8)),
        "kernel_size": int_list(draw, 2, 1, 4),
        "strides": strides,
        "dilation_rate": dilation,
        "output_padding": output_padding,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
    }
    if draw(st.integers(0, 4)) == 0:
        cfg["kernel_regularizer"] = L2_KERNEL
    return Case(cfg, [image_shape(draw, 2, fmt, _channels(draw))])


@st.composite
def _separable(draw: st.DrawFn, depthwise: bool) -> Case:
    fmt = draw(FORMATS)
    strides, dilation = _strides_and_dilation(draw, 2)
    cfg = {
        **_common(draw),
        "kernel_size": int_list(draw, 2, 1, 4),
        "strides": strides,
        "dilation_rate": dilation,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": fmt,
        "depth_multiplier": draw(st.integers(1, 3)),
    }
    if depthwise:
        if draw(st.integers(0, 4)) == 0:
            cfg["depthwise_initializer"] = HE_FAN_OUT
    else:
        cfg["filters"] = draw(st.integers(1, 8))
        if draw(st.integers(0, 4)) == 0:
            cfg["pointwise_regularizer"] = L2_KERNEL
    return Case(cfg, [image_shape(draw, 2, fmt, _channels(draw), low=3)])


@st.composite
def _up_sampling(draw: st.DrawFn) -> Case:
    fmt = draw(FORMATS)
    cfg = {
        "size": int_list(draw, 2, 1, 3),
        "data_format": fmt,
        "interpolation": draw(st.sampled_from(["nearest", "bilinear", "bicubic", "area"])),
    }
    return Case(cfg, [image_shape(draw, 2, fmt, draw(st.integers(1, 4)))])


def _pairs_value(draw: st.DrawFn, high: int) -> Any:
    """Keras' three spellings of per-side amounts."""
    form = draw(st.integers(0, 3))
    if form == 0:
        return draw(st.integers(0, high))
    if form == 1:
        return int_list(draw, 2, 0, high)
    if form == 2:
        return [int_list(draw, 2, 0, high), draw(st.integers(0, high))]
    return [int_list(draw, 2, 0, high), int_list(draw, 2, 0, high)]


@st.composite
def _padding(draw: st.DrawFn, name: str) -> Case:
    fmt = draw(FORMATS)
    cfg = {name: _pairs_value(draw, 3), "data_format": fmt}
    low = 1 if name == "padding" else 4
    return Case(cfg, [image_shape(draw, 2, fmt, draw(st.integers(1, 4)), low=low)])


CASES = {
    "Conv1D": _conv(1),
    "Conv2D": _conv(2),
    "Conv2DTranspose": _conv_transpose(),
    "SeparableConv2D": _separable(depthwise=False),
    "DepthwiseConv2D": _separable(depthwise=True),
    "UpSampling2D": _up_sampling(),
    "ZeroPadding2D": _padding("padding"),
    "Cropping2D": _padding("cropping"),
}
