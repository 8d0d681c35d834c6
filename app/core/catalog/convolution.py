"""Convolution layers (Conv1D/2D, transposed, separable, depthwise) and the spatial
reshaping layers used around them (UpSampling2D, ZeroPadding2D, Cropping2D).

The helpers at the top (axis layout, rank advice, window checks) are shared with
:mod:`app.core.catalog.pooling`, which reads images and sequences the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from app.core.catalog.costs import RESIZE_OPS, free, per_sample, times
from app.core.catalog.explaining import arrow, dims, params_text
from app.core.catalog.rules import conv_length, deconv_length, elements, fmt_shape
from app.core.catalog.spec import (
    Config,
    Cost,
    ExplainContext,
    ExplainRule,
    Fix,
    LayerDoc,
    LayerSpec,
    OutputRule,
    Param,
    ParamKind,
    Sentence,
    Shape,
    ShapeError,
    activation,
    base_params,
    constraint,
    initializer,
    kernel_bias_params,
    no_weights,
    regularizer,
)

CATEGORY = "Convolution"
RESHAPING_CATEGORY = "Reshaping"

DATA_FORMATS: tuple[str, ...] = ("channels_last", "channels_first")
AXIS_NAMES: dict[int, tuple[str, ...]] = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# --- Shared helpers: parameters -----------------------------------------------------------

def data_format_param() -> Param:
    return Param("data_format", ParamKind.CHOICE, "channels_last",
                 "Where the channel axis is: last (height, width, channels) or first (channels, height, width).",
                 choices=DATA_FORMATS, advanced=True)


def padding_param(causal: bool = False) -> Param:
    choices = ("valid", "same", "causal") if causal else ("valid", "same")
    text = "'valid': no padding, the output shrinks; 'same': pad so the output keeps size (divided by strides)."
    if causal:
        text += " 'causal': pad only the past, for time series."
    return Param("padding", ParamKind.CHOICE, "valid", text, choices=choices)


def int_tuple(name: str, default: Any, n: int, text: str, *, minimum: int = 1, required: bool = False,
              nullable: bool = False, advanced: bool = False) -> Param:
    """A per-axis whole-number setting such as kernel_size or strides, one value per spatial axis."""
    return Param(name, ParamKind.INT_TUPLE, default, text, minimum=minimum, length=n, required=required,
                 nullable=nullable, advanced=advanced)


# --- Shared helpers: axes -----------------------------------------------------------------

def per_axis(value: int | Sequence[int], n: int) -> tuple[int, ...]:
    """Keras accepts one int for every axis or one per axis; configs from Keras hold tuples."""
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def split_channels(shape: Shape, data_format: str) -> tuple[tuple[int | None, ...], int | None]:
    """(spatial dims, channels) of a batch shape in either layout."""
    if data_format == "channels_first":
        return tuple(shape[2:]), shape[1]
    return tuple(shape[1:-1]), shape[-1]


def join_channels(batch: int | None, spatial: Sequence[int | None], channels: int | None,
                  data_format: str) -> Shape:
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def layout(n: int, data_format: str) -> str:
    """The axis order the layer expects, in words."""
    spatial = ", ".join(AXIS_NAMES[n])
    if data_format == "channels_first":
        return f"(batch, channels, {spatial})"
    return f"(batch, {spatial}, channels)"


def _reshape_fix(dims: Sequence[int | None], text: str) -> Fix | None:
    """Insert a Reshape to ``dims``; one unknown size becomes -1, two cannot be reshaped."""
    if sum(d is None for d in dims) > 1:
        return None
    target = [-1 if d is None else d for d in dims]
    shown = fmt_shape([None if d == -1 else d for d in target])
    return Fix(f"{text} {shown}", {"op": "insert_before", "port": "input", "class_name": "Reshape",
                                  "config": {"target_shape": target}})


def _with_channel(dims: Sequence[int | None], channels: int, data_format: str) -> list[int | None]:
    return [channels, *dims] if data_format == "channels_first" else [*dims, channels]


def _flat_image_advice(shape: Shape, data_format: str) -> tuple[str, Fix | None]:
    """A 2-D (None, features) tensor fed to an image layer: maybe a flattened square image."""
    features = shape[1]
    if features is not None:
        for channels, kind in ((1, "grey"), (3, "colour")):
            side = math.isqrt(features // channels) if features % channels == 0 else 0
            if side > 1 and side * side * channels == features:
                dims = _with_channel([side, side], channels, data_format)
                text = (f" The {features} values look like a flattened {side}×{side} {kind} image: reshape them to "
                        f"{fmt_shape(dims)}, or give the Input the image shape {fmt_shape(dims)} directly.")
                return text, _reshape_fix(dims, "Insert a Reshape to")
    return (" Give the Input an image shape such as (height, width, channels); for flat feature vectors use "
            "Dense layers instead.", None)


def require_spatial_rank(shape: Shape, n: int, layer: str, data_format: str, counterpart: str = "",
                         global_pool: bool = False) -> None:
    """Raise a ShapeError explaining what a wrong-rank input probably is and how to fix it.

    ``n`` is the number of spatial axes (1 for sequences, 2 for images); ``counterpart``
    is the layer of the other family (Conv1D for Conv2D) to suggest when the data looks
    like the other kind.
    """
    want = n + 2
    rank = len(shape)
    if rank == want:
        return
    message = f"{layer} expects a {want}-D input {layout(n, data_format)} but gets {rank}-D {fmt_shape(shape)}."
    fix: Fix | None = None
    if global_pool and rank == 2:
        message += (" Each sample is already a flat vector, so there is nothing left to pool: remove this layer "
                    "(or the Flatten before it).")
    elif n == 2 and rank == 2:
        text, fix = _flat_image_advice(shape, data_format)
        message += text
    elif n == 2 and rank == 3:
        dims = _with_channel(list(shape[1:]), 1, data_format)
        message += (f" The channel axis is missing: a grey image needs a channel axis of size 1, i.e. "
                    f"{fmt_shape(dims)}.")
        if counterpart:
            message += f" If the data is a sequence (batch, steps, features), use {counterpart} instead."
        fix = _reshape_fix(dims, "Insert a Reshape adding a channel axis:")
    elif n == 1 and rank == 2:
        dims = _with_channel(list(shape[1:]), 1, data_format)
        message += (f" A sequence needs a feature (channel) axis; to treat each value as one step, reshape to "
                    f"{fmt_shape(dims)}.")
        fix = _reshape_fix(dims, "Insert a Reshape adding a channel axis:")
    elif n == 1 and rank == 4:
        message += " This looks like an image" + (f": use {counterpart} instead." if counterpart else ".")
    elif rank > want:
        message += " It has too many axes; remove the extra ones with Reshape, or pick a layer made for this data."
    else:
        message += " It has too few axes; check the Input shape."
    raise ShapeError(message, port="input", fix=fix)


def known_channels(channels: int | None, layer: str, data_format: str) -> int:
    """Weights need the number of channels; a None channel axis cannot be built."""
    if channels is None:
        where = "first (after the batch)" if data_format == "channels_first" else "last"
        raise ShapeError(
            f"{layer} needs to know the number of channels (the {where} axis), but it is None. "
            "Give the Input a fixed channel count, e.g. (None, None, 3) for colour images of any size.",
            port="input",
        )
    return channels


def _looks_channels_last(shape: Shape) -> bool:
    """A channels_first layer reading (None, 28, 28, 1): the last axis is tiny, the 'channels' large."""
    return len(shape) >= 3 and shape[-1] is not None and shape[1] is not None and shape[-1] <= 4 < shape[1]


def window_lengths(shape: Shape, n: int, layer: str, data_format: str, kernel: Sequence[int],
                   strides: Sequence[int], padding: str, dilation: Sequence[int], pooling: bool) -> list[int | None]:
    """Output length along each spatial axis, refusing windows larger than a 'valid' input axis."""
    spatial, _ = split_channels(shape, data_format)
    out: list[int | None] = []
    for i, (length, k, s, d) in enumerate(zip(spatial, kernel, strides, dilation, strict=True)):
        size = conv_length(length, k, s, padding, d)
        if size is not None and size <= 0:
            axis = AXIS_NAMES[n][i]
            effective = (k - 1) * d + 1
            if pooling:
                message = (f"{layer}: the pooling window is {k} along the {axis}, but the input {fmt_shape(shape)} "
                           f"has only {length} there, so nothing would be left. Earlier pooling or strided layers "
                           "have probably shrunk the data too far: remove a pooling step, use a smaller pool_size, "
                           "or use padding 'same'.")
            else:
                span = f"{effective} (kernel {k} with dilation {d})" if d > 1 else str(effective)
                message = (f"{layer}: the kernel covers {span} along the {axis}, but the input {fmt_shape(shape)} has "
                           f"only {length} there, so with padding 'valid' it does not fit. Use padding 'same', a "
                           "smaller kernel_size, or fewer pooling/strided layers before this one.")
            fix = Fix("Use padding 'same'", {"op": "set_param", "param": "padding", "value": "same"})
            if data_format == "channels_first" and _looks_channels_last(shape):
                message = (f"{layer}: data_format is 'channels_first', so {fmt_shape(shape)} is read as "
                           f"{layout(n, data_format)}: {shape[1]} channels and a {axis} of only {length}, too small "
                           f"for the window of {effective}. The shape looks channels-last: set data_format to "
                           "'channels_last'.")
                fix = Fix("Use data_format 'channels_last'",
                          {"op": "set_param", "param": "data_format", "value": "channels_last"})
            raise ShapeError(message, port="input", fix=fix)
        out.append(size)
    return out


def _check_strides_with_dilation(layer: str, strides: Sequence[int], dilation: Sequence[int]) -> None:
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            f"{layer}: strides {list(strides)} and dilation_rate {list(dilation)} cannot both be above 1. "
            "Use strides to shrink the output or dilation to widen the kernel, not both.",
            fix=Fix("Set dilation_rate back to 1",
                    {"op": "set_param", "param": "dilation_rate", "value": [1] * len(dilation)}),
        )


def _cpu_channels_first_warn(layer: str) -> Any:
    """TensorFlow's CPU kernels for (transposed) convolution only take channels_last."""
    def warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
        if cfg.get("data_format") != "channels_first":
            return []
        return [ShapeError(
            f"{layer} with data_format 'channels_first' only runs on a GPU with TensorFlow: training on a CPU "
            "fails. Keep 'channels_last' unless you train on a GPU.",
            port="input",
        )]
    return warn


# --- Conv1D / Conv2D ------------------------------------------------------------------------

def _conv_params(n: int, causal: bool) -> tuple[Param, ...]:
    return (
        *base_params(),
        Param("filters", ParamKind.INT, 32, "Number of filters: the channels of the output.", minimum=1,
              required=True),
        int_tuple("kernel_size", [3] * n, n, "Size of the sliding window along each axis.", required=True),
        int_tuple("strides", [1] * n, n, "Step of the window along each axis; 2 halves the size."),
        padding_param(causal),
        data_format_param(),
        int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps; above 1 widens the view "
                  "without more weights.", advanced=True),
        Param("groups", ParamKind.INT, 1, "Split channels into this many independent groups; input channels "
              "and filters must both be divisible by it.", minimum=1, advanced=True),
        activation(),
        Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each filter."),
        *kernel_bias_params(),
    )


def _conv_rules(layer: str, n: int, counterpart: str) -> tuple[Any, Any]:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        fmt = cfg["data_format"]
        require_spatial_rank(shape, n, layer, fmt, counterpart)
        kernel, strides, dilation = (per_axis(cfg[k], n) for k in ("kernel_size", "strides", "dilation_rate"))
        _check_strides_with_dilation(layer, strides, dilation)
        filters, groups = cfg["filters"], cfg["groups"]
        if filters % groups:
            raise ShapeError(
                f"{layer}: filters ({filters}) must be divisible by groups ({groups}).",
                fix=Fix("Set groups to 1", {"op": "set_param", "param": "groups", "value": 1}),
            )
        _, channels = split_channels(shape, fmt)
        channels = known_channels(channels, layer, fmt)
        if channels % groups:
            raise ShapeError(
                f"{layer}: the input has {channels} channel{'s' if channels != 1 else ''}, which cannot be split "
                f"into {groups} equal groups. "
                f"Use a groups value that divides {channels} (1 always works).",
                port="input",
                fix=Fix("Set groups to 1", {"op": "set_param", "param": "groups", "value": 1}),
            )
        spatial = window_lengths(shape, n, layer, fmt, kernel, strides, cfg["padding"], dilation, pooling=False)
        return join_channels(shape[0], spatial, filters, fmt)

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        _, channels = split_channels(inputs[0], cfg["data_format"])
        channels = known_channels(channels, layer, cfg["data_format"])
        kernel = elements(per_axis(cfg["kernel_size"], n)) or 0
        filters = cfg["filters"]
        return (kernel * (channels // cfg["groups"]) * filters + (filters if cfg["use_bias"] else 0), 0)

    return output, count


# --- Cost and explanation rules (shared with convolution_extra and pooling) --------------------

_AXIS_NAMES: dict[int, tuple[str, ...]] = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def window_sentence(ctx: ExplainContext, kernel: Sequence[int], strides: Sequence[int],
                    dilation: Sequence[int]) -> str | None:
    """How each spatial output size follows from the input, kernel, strides and padding."""
    fmt = ctx.cfg.get("data_format") or "channels_last"
    padding = ctx.cfg["padding"]
    spatial, _ = split_channels(ctx.shape_in, fmt)
    names = _AXIS_NAMES.get(len(spatial))
    if names is None:
        return None
    clauses: list[tuple[str, str]] = []
    for name, length, k, s, d in zip(names, spatial, kernel, strides, dilation, strict=True):
        if length is None:
            continue
        out = conv_length(length, k, s, padding, d)
        if padding in ("same", "causal"):
            text = f"ceil({length} / {s}) = {out}"
        else:
            span = (k - 1) * d + 1
            text = f"floor(({length} − {span}) / {s}) + 1 = {out}"
        clauses.append((name, text))
    if not clauses:
        return None
    if len({text for _, text in clauses}) == 1 and len(clauses) > 1:
        return f"With padding '{padding}', height and width are each {clauses[0][1]}."
    joined = "; ".join(f"the {name} is {text}" for name, text in clauses)
    return f"With padding '{padding}', {joined}."


def conv_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Conv1D/2D/3D: each output value sums kernel · (input channels / groups) products."""
    shape = inputs[0]
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(shape, fmt)
    out = per_sample(output)
    if channels is None or out is None:
        return None
    kernel = elements(per_axis(cfg["kernel_size"], len(shape) - 2))
    return (out * (kernel or 0) * (channels // cfg.get("groups", 1)), 0)


def depthwise_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each output channel filters one input channel: kernel products per output value."""
    out = per_sample(output)
    kernel = elements(per_axis(cfg["kernel_size"], len(inputs[0]) - 2))
    return None if out is None else (out * (kernel or 0), 0)


def separable_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Depthwise step (kernel per value of C·m maps) plus a 1x1 pointwise step to the filters."""
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(inputs[0], fmt)
    spatial, _ = split_channels(output, fmt)
    positions = elements(spatial)
    if channels is None or positions is None:
        return None
    mid = channels * cfg["depth_multiplier"]
    kernel = elements(per_axis(cfg["kernel_size"], len(spatial))) or 0
    return (positions * mid * kernel + positions * mid * cfg["filters"], 0)


def transpose_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every input value spreads its kernel over the output for every filter."""
    n = per_sample(inputs[0])
    kernel = elements(per_axis(cfg["kernel_size"], len(inputs[0]) - 2)) or 0
    return None if n is None else (n * kernel * cfg["filters"], 0)


def resize_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Resizing and upsampling: :data:`~app.core.catalog.costs.RESIZE_OPS` per output value."""
    ops = RESIZE_OPS.get(cfg.get("interpolation", "nearest"))
    return None if ops is None else times(per_sample(output), ops)


def _conv_explain(ctx: ExplainContext) -> list[str]:
    cfg = ctx.cfg
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(ctx.shape_in, fmt)
    assert channels is not None
    n = len(ctx.shape_in) - 2
    kernel = per_axis(cfg["kernel_size"], n)
    per_group = channels // cfg["groups"]
    filters = cfg["filters"]
    weights = f"{dims(kernel)}x{per_group}"
    each = f"({weights} + 1 bias)" if cfg["use_bias"] else weights
    total = filters * ((elements(kernel) or 0) * per_group + int(bool(cfg["use_bias"])))
    text = [f"{arrow(ctx)}: {filters} filters x {each} = {params_text(total)}"]
    if cfg["groups"] > 1:
        text.append(f"With groups={cfg['groups']}, each filter sees {per_group} of the {channels} input channels.")
    window = window_sentence(ctx, kernel, per_axis(cfg["strides"], n), per_axis(cfg["dilation_rate"], n))
    if window:
        text.append(window)
    return text


def _transpose_explain(ctx: ExplainContext) -> Sentence:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    weights = f"{dims(kernel)}x{channels}"
    each = f"({weights} + 1 bias)" if cfg["use_bias"] else weights
    total = cfg["filters"] * ((elements(kernel) or 0) * channels + int(bool(cfg["use_bias"])))
    return f"{arrow(ctx)}: {cfg['filters']} filters x {each} = {params_text(total)}", total


def _depthwise_explain(ctx: ExplainContext) -> list[str]:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    m = cfg["depth_multiplier"]
    each = f"({dims(kernel)} + 1 bias)" if cfg["use_bias"] else dims(kernel)
    by = f" x {m}" if m != 1 else ""
    total = channels * m * ((elements(kernel) or 0) + int(bool(cfg["use_bias"])))
    text = [f"{arrow(ctx)}: {channels} channels{by} x {each} = {params_text(total)}"]
    window = window_sentence(ctx, kernel, per_axis(cfg["strides"], 2), per_axis(cfg["dilation_rate"], 2))
    return [*text, window] if window else text


def _separable_explain(ctx: ExplainContext) -> list[str]:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    mid, filters = channels * cfg["depth_multiplier"], cfg["filters"]
    bias = f" + {filters} biases" if cfg["use_bias"] else ""
    total = (elements(kernel) or 0) * mid + mid * filters + (filters if cfg["use_bias"] else 0)
    text = [f"{arrow(ctx)}: depthwise {dims(kernel)} x {mid} channels + pointwise {mid} x {filters}{bias} "
            f"= {params_text(total)}"]
    window = window_sentence(ctx, kernel, per_axis(cfg["strides"], 2), per_axis(cfg["dilation_rate"], 2))
    return [*text, window] if window else text


def _upsampling_explain(ctx: ExplainContext) -> Sentence:
    size = per_axis(ctx.cfg["size"], 2)
    return (f"{arrow(ctx)}: each pixel becomes a {dims(size)} block ({ctx.cfg['interpolation']}); "
            f"{params_text(0)}", 0)


def _border_explain(key: str, verb: str) -> ExplainRule:
    """ZeroPadding2D and Cropping2D: how many rows and columns each side gains or loses."""
    def build(ctx: ExplainContext) -> Sentence:
        (top, bottom), (left, right) = _sides(ctx.cfg[key], 2)
        return (f"{arrow(ctx)}: {verb} {top} + {bottom} rows and {left} + {right} columns; {params_text(0)}", 0)
    return build


def conv_spec(n: int, doc: LayerDoc, explain: ExplainRule | None = None) -> LayerSpec:
    """Conv1D, Conv2D or Conv3D: the same parameters, rules and cost for ``n`` spatial axes
    ('causal' padding only for sequences)."""
    layer = f"Conv{n}D"
    output, count = _conv_rules(layer, n, "Conv2D" if n != 2 else "Conv1D")
    return LayerSpec(
        class_name=layer,
        cost=conv_cost,
        explain=explain,
        category=CATEGORY,
        name_prefix=f"conv{n}d",
        params=_conv_params(n, causal=n == 1),
        output=output,
        count=count,
        warn=_cpu_channels_first_warn(layer),
        doc=doc,
    )


CONV1D = conv_spec(1, LayerDoc(
    summary="Slides learned filters along a sequence; each filter detects one local pattern "
    "(a short motif in audio, text or sensor data).",
    formula="y[t, f] = activation(Σ_k Σ_c x[t·s + k·d, c] · W[k, c, f] + b[f])",
    shape="(None, steps, channels) -> (None, new_steps, filters). With 'valid': new_steps = "
    "floor((steps − (kernel−1)·dilation − 1) / strides) + 1; with 'same' or 'causal': ceil(steps / strides).",
    use="Time series, audio and text models; 'causal' padding keeps the model from seeing the future.",
    mistake="Feeding a 2-D (None, features) tensor: a sequence needs a channel axis, e.g. (steps, 1).",
), explain=_conv_explain)

CONV2D = conv_spec(2, LayerDoc(
    summary="Slides small learned filters over an image; each filter responds to one local pattern "
    "such as an edge, a texture or (deeper in the network) a part of an object.",
    formula="y[i, j, f] = activation(Σ_u Σ_v Σ_c x[i·s + u·d, j·s + v·d, c] · W[u, v, c, f] + b[f])",
    shape="(None, H, W, C) -> (None, H', W', filters). With 'valid': H' = floor((H − (k−1)·d − 1) / s) + 1; "
    "with 'same': H' = ceil(H / s). Weights: kh·kw·(C/groups)·filters + filters.",
    use="The main building block of image models: stacks of Conv2D + pooling, then a Dense head.",
    mistake="Feeding flat (None, 784) data or (None, 28, 28) images without a channel axis: "
    "Conv2D needs (height, width, channels), e.g. (28, 28, 1).",
), explain=_conv_explain)


# --- Transposed convolutions, for any number of spatial axes -------------------------------------

_OUTPUT_PADDING_HELP = (
    "Extra positions added to the output along each axis (each smaller than strides); empty lets Keras choose.",
    "Extra rows/columns added to the output (each smaller than strides); empty lets Keras choose.",
)
"""output_padding's help: for volumes and sequences, and (index 1) for images."""


def _transpose_params(n: int) -> tuple[Param, ...]:
    return (
        *base_params(),
        Param("filters", ParamKind.INT, 32, "Number of filters: the channels of the output.", minimum=1,
              required=True),
        int_tuple("kernel_size", [3] * n, n, "Size of the window along each axis.", required=True),
        int_tuple("strides", [1] * n, n, "Upsampling factor along each axis; 2 doubles the size."),
        padding_param(),
        int_tuple("output_padding", None, n, _OUTPUT_PADDING_HELP[n == 2], minimum=0, nullable=True, advanced=True),
        data_format_param(),
        int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps.", advanced=True),
        activation(),
        Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each filter."),
        *kernel_bias_params(),
    )


def _transpose_rules(layer: str, n: int) -> tuple[Any, Any, Any]:
    """Output, count and warn rules of an n-D transposed convolution (Keras' BaseConvTranspose)."""
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        fmt = cfg["data_format"]
        require_spatial_rank(shape, n, layer, fmt)
        kernel, strides, dilation = (per_axis(cfg[k], n) for k in ("kernel_size", "strides", "dilation_rate"))
        extra = None if cfg["output_padding"] is None else per_axis(cfg["output_padding"], n)
        if extra is not None:
            for axis, (pad, step) in enumerate(zip(extra, strides, strict=True)):
                if pad >= step:
                    raise ShapeError(
                        f"{layer}: output_padding must be smaller than strides on every axis, but along the "
                        f"{AXIS_NAMES[n][axis]} it is {pad} with strides {step}. Leave output_padding empty to "
                        "let Keras choose.",
                        fix=Fix("Clear output_padding", {"op": "set_param", "param": "output_padding",
                                                         "value": None}),
                    )
        _check_strides_with_dilation(layer, strides, dilation)
        spatial, channels = split_channels(shape, fmt)
        known_channels(channels, layer, fmt)
        out = [
            deconv_length(length, k, s, cfg["padding"], None if extra is None else extra[i], d)
            for i, (length, k, s, d) in enumerate(zip(spatial, kernel, strides, dilation, strict=True))
        ]
        return join_channels(shape[0], out, cfg["filters"], fmt)

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        _, channels = split_channels(inputs[0], cfg["data_format"])
        channels = known_channels(channels, layer, cfg["data_format"])
        kernel = elements(per_axis(cfg["kernel_size"], n)) or 0
        filters = cfg["filters"]
        return (kernel * channels * filters + (filters if cfg["use_bias"] else 0), 0)

    def warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
        warnings = _cpu_channels_first_warn(layer)(cfg, inputs)
        out = output(cfg, inputs)
        spatial, _ = split_channels(out, cfg["data_format"])
        if any(d == 0 for d in spatial):
            warnings.append(ShapeError(
                f"{layer} produces an empty output {fmt_shape(out)}: with padding 'same', an even kernel and "
                "output_padding 0, a size-1 input gives size 0. Use an odd kernel_size or a larger output_padding.",
                port="input",
            ))
        return warnings

    return output, count, warn


def transpose_spec(n: int, doc: LayerDoc, explain: ExplainRule | None = None) -> LayerSpec:
    """Conv1DTranspose, Conv2DTranspose or Conv3DTranspose for ``n`` spatial axes."""
    class_name = f"Conv{n}DTranspose"
    output, count, warn = _transpose_rules(class_name, n)
    return LayerSpec(class_name=class_name, category=CATEGORY, name_prefix=f"conv{n}d_transpose",
                     params=_transpose_params(n), output=output, count=count, warn=warn, doc=doc,
                     cost=transpose_cost, explain=explain)


CONV2D_TRANSPOSE = transpose_spec(2, LayerDoc(
    summary="A learned upsampling: each input pixel spreads a learned pattern over a larger output area, "
    "the reverse direction of a strided Conv2D (sometimes called 'deconvolution').",
    formula="With 'same' padding and no output_padding: H' = H · s. With 'valid': H' = (H − 1) · s + max(k, s).",
    shape="(None, H, W, C) -> (None, H', W', filters); strides 2 roughly doubles height and width. "
    "Weights: kh·kw·C·filters + filters.",
    use="Decoders of autoencoders, segmentation networks (U-Net) and GAN generators.",
    mistake="Expecting strides to shrink the image as in Conv2D: here strides enlarge it.",
), explain=_transpose_explain)


# --- Separable and depthwise convolutions, for any number of spatial axes ---------------------------

def _window_help(n: int, window: str) -> tuple[str, str]:
    """kernel_size and strides help: a length for sequences, a size per axis for images and volumes."""
    if n == 1:
        return f"Length of the {window}.", "Step of the window; 2 halves the length."
    return f"Size of the {window} along each axis.", "Step of the window along each axis; 2 halves the size."


def _depthwise_spatial(layer: str, n: int, cfg: Config, shape: Shape) -> tuple[list[int | None], int]:
    fmt = cfg["data_format"]
    require_spatial_rank(shape, n, layer, fmt)
    kernel, strides, dilation = (per_axis(cfg[k], n) for k in ("kernel_size", "strides", "dilation_rate"))
    _, channels = split_channels(shape, fmt)
    channels = known_channels(channels, layer, fmt)
    spatial = window_lengths(shape, n, layer, fmt, kernel, strides, cfg["padding"], dilation, pooling=False)
    return spatial, channels


def separable_spec(n: int, doc: LayerDoc, explain: ExplainRule | None = None) -> LayerSpec:
    """SeparableConv1D/2D: a depthwise step per channel, then a 1-wide pointwise step to the filters."""
    layer = f"SeparableConv{n}D"

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        spatial, _ = _depthwise_spatial(layer, n, cfg, shape)
        return join_channels(shape[0], spatial, cfg["filters"], cfg["data_format"])

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        _, channels = split_channels(inputs[0], cfg["data_format"])
        channels = known_channels(channels, layer, cfg["data_format"])
        kernel = elements(per_axis(cfg["kernel_size"], n)) or 0
        mid = channels * cfg["depth_multiplier"]
        filters = cfg["filters"]
        return (kernel * mid + mid * filters + (filters if cfg["use_bias"] else 0), 0)

    kernel_help, strides_help = _window_help(n, "depthwise window")
    return LayerSpec(
        class_name=layer,
        cost=separable_cost,
        explain=explain,
        category=CATEGORY,
        name_prefix=f"separable_conv{n}d",
        params=(
            *base_params(),
            Param("depth_multiplier", ParamKind.INT, 1, "Filters per input channel in the depthwise step.", minimum=1,
                  advanced=True),
            Param("filters", ParamKind.INT, 32, "Number of output channels (pointwise step).", minimum=1,
                  required=True),
            int_tuple("kernel_size", [3] * n, n, kernel_help, required=True),
            int_tuple("strides", [1] * n, n, strides_help),
            padding_param(),
            data_format_param(),
            int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps.", advanced=True),
            activation(),
            Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each output channel."),
            initializer("depthwise_initializer", "glorot_uniform"),
            initializer("pointwise_initializer", "glorot_uniform"),
            initializer("bias_initializer", "zeros"),
            regularizer("depthwise_regularizer"),
            regularizer("pointwise_regularizer"),
            regularizer("bias_regularizer"),
            regularizer("activity_regularizer"),
            constraint("depthwise_constraint"),
            constraint("pointwise_constraint"),
            constraint("bias_constraint"),
        ),
        output=output,
        count=count,
        doc=doc,
    )


def depthwise_spec(n: int, doc: LayerDoc, explain: ExplainRule | None = None) -> LayerSpec:
    """DepthwiseConv1D/2D: each channel filtered on its own, depth_multiplier outputs per channel."""
    layer = f"DepthwiseConv{n}D"

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        spatial, channels = _depthwise_spatial(layer, n, cfg, shape)
        return join_channels(shape[0], spatial, channels * cfg["depth_multiplier"], cfg["data_format"])

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        _, channels = split_channels(inputs[0], cfg["data_format"])
        channels = known_channels(channels, layer, cfg["data_format"])
        out = channels * cfg["depth_multiplier"]
        kernel = elements(per_axis(cfg["kernel_size"], n)) or 0
        return (kernel * out + (out if cfg["use_bias"] else 0), 0)

    kernel_help, strides_help = _window_help(n, "window")
    return LayerSpec(
        class_name=layer,
        cost=depthwise_cost,
        explain=explain,
        category=CATEGORY,
        name_prefix=f"depthwise_conv{n}d",
        params=(
            *base_params(),
            Param("depth_multiplier", ParamKind.INT, 1, "Output channels per input channel.", minimum=1),
            int_tuple("kernel_size", [3] * n, n, kernel_help, required=True),
            int_tuple("strides", [1] * n, n, strides_help),
            padding_param(),
            data_format_param(),
            int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps.", advanced=True),
            activation(),
            Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each output channel."),
            initializer("depthwise_initializer", "glorot_uniform"),
            initializer("bias_initializer", "zeros"),
            regularizer("depthwise_regularizer"),
            regularizer("bias_regularizer"),
            regularizer("activity_regularizer"),
            constraint("depthwise_constraint"),
            constraint("bias_constraint"),
        ),
        output=output,
        count=count,
        doc=doc,
    )


SEPARABLE_CONV2D = separable_spec(2, LayerDoc(
    summary="A cheaper Conv2D in two steps: a depthwise step filters every channel on its own, then a 1×1 "
    "pointwise step mixes the channels into the output filters.",
    formula="weights = kh·kw·C·m (depthwise) + C·m·filters (pointwise) + filters (bias), m = depth_multiplier",
    shape="(None, H, W, C) -> (None, H', W', filters), H' and W' as in Conv2D.",
    use="Mobile and efficient models (Xception style), where it needs far fewer weights than Conv2D.",
    mistake="Using it as the very first layer on a 1-channel image, where it saves almost nothing.",
), explain=_separable_explain)

DEPTHWISE_CONV2D = depthwise_spec(2, LayerDoc(
    summary="Filters each channel separately with its own small kernel; channels are never mixed.",
    formula="y[i, j, c·m + k] = Σ_u Σ_v x[i·s + u, j·s + v, c] · W[u, v, c, k] + b",
    shape="(None, H, W, C) -> (None, H', W', C · depth_multiplier), H' and W' as in Conv2D. "
    "Weights: kh·kw·C·depth_multiplier + bias.",
    use="Inside MobileNet/EfficientNet blocks, followed by a 1×1 Conv2D that mixes the channels.",
    mistake="Expecting a filters setting: the output channel count is fixed by the input and depth_multiplier.",
), explain=_depthwise_explain)


# --- Upsampling, zero padding and cropping, for any number of spatial axes ------------------------

def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


_SIDES: dict[int, str] = {
    1: "one number for both ends or [before, after]",
    2: "one number for all sides, [rows, columns], or [[top, bottom], [left, right]]",
    3: "one number for all sides, [depth, height, width], or [[front, back], [top, bottom], [left, right]]",
}
"""How per-side amounts may be written, for a parameter's help."""

_SIDES_REFUSED: dict[int, str] = {
    1: " or [before, after]",
    2: ", [rows, columns], or [[top, bottom], [left, right]]",
    3: " or [depth, height, width] or [[front, back], [top, bottom], [left, right]]",
}


def _check_sides(name: str, n: int) -> Any:
    """Keras' spellings of per-side amounts: one number, one per axis, or a (before, after) pair per axis."""
    def check(value: Any) -> str | None:
        if _is_count(value):
            return None
        if n == 1:
            ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_count(v) for v in value)
        else:
            ok = isinstance(value, (list, tuple)) and len(value) == n and all(
                _is_count(v) or (isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_count(x) for x in v))
                for v in value
            )
        return None if ok else f"'{name}' must be a whole number ≥ 0{_SIDES_REFUSED[n]} (got {value!r})"
    return check


def _sides(value: Any, n: int) -> list[tuple[int, int]]:
    """Per-axis (before, after) amounts from any of Keras' spellings."""
    if isinstance(value, int):
        return [(value, value)] * n
    if n == 1:
        return [(int(value[0]), int(value[1]))]
    return [(v, v) if isinstance(v, int) else (int(v[0]), int(v[1])) for v in value]


def _spatial_in(shape: Shape, n: int, layer: str, cfg: Config) -> tuple[tuple[int | None, ...], int | None, str]:
    fmt = cfg.get("data_format", "channels_last")
    require_spatial_rank(shape, n, layer, fmt)
    spatial, channels = split_channels(shape, fmt)
    return spatial, channels, fmt


def _zero_padding_rule(layer: str, n: int) -> OutputRule:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        spatial, channels, fmt = _spatial_in(shape, n, layer, cfg)
        out = [None if d is None else d + a + b for d, (a, b) in zip(spatial, _sides(cfg["padding"], n), strict=True)]
        return join_channels(shape[0], out, channels, fmt)
    return output


def _cropping_rule(layer: str, n: int) -> OutputRule:
    left = "row/column" if n == 2 else "position"

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        spatial, channels, fmt = _spatial_in(shape, n, layer, cfg)
        out: list[int | None] = []
        for axis, (d, (a, b)) in enumerate(zip(spatial, _sides(cfg["cropping"], n), strict=True)):
            if d is not None and a + b >= d:
                raise ShapeError(
                    f"{layer}: cropping {a} + {b} along the {AXIS_NAMES[n][axis]} removes all {d} of the input "
                    f"{fmt_shape(shape)}. Crop less so at least one {left} is left.",
                    port="input",
                )
            out.append(None if d is None else d - a - b)
        return join_channels(shape[0], out, channels, fmt)
    return output


def upsampling_rule(layer: str, n: int) -> OutputRule:
    """UpSampling1D/2D/3D: every spatial size times its repeat factor."""
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        spatial, channels, fmt = _spatial_in(shape, n, layer, cfg)
        size = per_axis(cfg["size"], n)
        out = [None if d is None else d * f for d, f in zip(spatial, size, strict=True)]
        return join_channels(shape[0], out, channels, fmt)
    return output


def border_spec(n: int, key: str, what: str, default: Any, doc: LayerDoc,
                explain: ExplainRule | None = None) -> LayerSpec:
    """ZeroPadding1D/2D/3D (``key`` 'padding') and Cropping1D/2D/3D ('cropping'); ``what`` says what the
    amounts are, ``default`` is Keras' default amount."""
    padding = key == "padding"
    class_name = f"ZeroPadding{n}D" if padding else f"Cropping{n}D"
    layout = () if (n == 1 and not padding) else (data_format_param(),)  # Keras' Cropping1D has no data_format
    return LayerSpec(
        class_name=class_name,
        cost=free,
        explain=explain,
        category=RESHAPING_CATEGORY,
        name_prefix=f"zero_padding{n}d" if padding else f"cropping{n}d",
        params=(
            *base_params(),
            Param(key, ParamKind.JSON, default, f"{what}: {_SIDES[n]}.", check=_check_sides(key, n)),
            *layout,
        ),
        output=(_zero_padding_rule if padding else _cropping_rule)(class_name, n),
        count=no_weights,
        doc=doc,
    )


UP_SAMPLING2D = LayerSpec(
    class_name="UpSampling2D",
    cost=resize_cost,
    explain=_upsampling_explain,
    category=RESHAPING_CATEGORY,
    name_prefix="up_sampling2d",
    params=(
        *base_params(),
        int_tuple("size", [2, 2], 2, "How many times to repeat each row and column."),
        data_format_param(),
        Param("interpolation", ParamKind.CHOICE, "nearest", "How new pixels are filled in: 'nearest' copies, "
              "'bilinear' blends neighbours.",
              choices=("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5")),
    ),
    output=upsampling_rule("UpSampling2D", 2),
    count=no_weights,
    doc=LayerDoc(
        summary="Enlarges an image by repeating (or interpolating) pixels; it learns nothing.",
        shape="(None, H, W, C) -> (None, H·size[0], W·size[1], C).",
        use="Decoders and segmentation models, often followed by a Conv2D to refine the enlarged map.",
        mistake="Expecting it to add detail: it only resizes. Use Conv2DTranspose for a learned upsampling.",
    ),
)

ZERO_PADDING2D = border_spec(2, "padding", "Rows and columns of zeros to add", [[1, 1], [1, 1]], LayerDoc(
    summary="Adds borders of zeros around an image.",
    shape="(None, H, W, C) -> (None, H + top + bottom, W + left + right, C).",
    use="Before a 'valid' convolution or pooling to control the output size exactly, as ResNet does "
    "before its first 7×7 convolution.",
    mistake="Padding a lot and then using 'valid' convolutions, when padding 'same' would do.",
), explain=_border_explain("padding", "adds zeros around each image:"))

CROPPING2D = border_spec(2, "cropping", "Rows and columns to cut off", [[0, 0], [0, 0]], LayerDoc(
    summary="Cuts rows and columns off the borders of an image.",
    shape="(None, H, W, C) -> (None, H − top − bottom, W − left − right, C).",
    use="Matching the sizes of two feature maps before joining them, e.g. the skip connections of a U-Net.",
    mistake="Cropping as much as the image is tall or wide, which leaves nothing.",
), explain=_border_explain("cropping", "cuts off"))


SPECS: tuple[LayerSpec, ...] = (
    CONV1D,
    CONV2D,
    CONV2D_TRANSPOSE,
    SEPARABLE_CONV2D,
    DEPTHWISE_CONV2D,
    UP_SAMPLING2D,
    ZERO_PADDING2D,
    CROPPING2D,
)
