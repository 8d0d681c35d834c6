"""The rest of Keras' convolution family: Conv3D, transposed 1D/3D convolutions, SeparableConv1D,
DepthwiseConv1D, and the 1D/3D padding, cropping and upsampling layers.

They reuse the axis helpers of :mod:`app.core.catalog.convolution`, written for any number of
spatial axes, so a volume (depth, height, width) is read exactly like an image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.catalog.convolution import (
    AXIS_NAMES,
    CATEGORY,
    RESHAPING_CATEGORY,
    _check_strides_with_dilation,
    _cpu_channels_first_warn,
    border_spec,
    conv_spec,
    data_format_param,
    depthwise_spec,
    int_tuple,
    join_channels,
    known_channels,
    padding_param,
    per_axis,
    require_spatial_rank,
    resize_cost,
    separable_spec,
    split_channels,
    transpose_cost,
    upsampling_rule,
)
from app.core.catalog.rules import deconv_length, elements, fmt_shape
from app.core.catalog.spec import (
    Config,
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    Shape,
    ShapeError,
    activation,
    base_params,
    constraint,
    initializer,
    no_weights,
    regularizer,
)

# --- Conv3D -----------------------------------------------------------------------------------

CONV3D = conv_spec(3, LayerDoc(
    summary="Slides small learned 3-D filters through a volume: a video clip (frames × height × width) or a "
    "medical scan (slices × height × width).",
    formula="y[d, i, j, f] = activation(Σ over the kd×kh×kw window and the channels of x · W + b[f])",
    shape="(None, D, H, W, C) -> (None, D', H', W', filters), each axis as in Conv2D. "
    "Weights: kd·kh·kw·(C/groups)·filters + filters.",
    use="Video classification and volumetric (CT, MRI) segmentation.",
    mistake="Feeding a single image: Conv3D needs a depth axis, (depth, height, width, channels).",
))


# --- Conv1DTranspose / Conv3DTranspose --------------------------------------------------------

def _transpose_params(n: int) -> tuple[Param, ...]:
    return (
        *base_params(),
        Param("filters", ParamKind.INT, 32, "Number of filters: the channels of the output.", minimum=1,
              required=True),
        int_tuple("kernel_size", [3] * n, n, "Size of the window along each axis.", required=True),
        int_tuple("strides", [1] * n, n, "Upsampling factor along each axis; 2 doubles the size."),
        padding_param(),
        int_tuple("output_padding", None, n, "Extra positions added to the output along each axis (each smaller "
                  "than strides); empty lets Keras choose.", minimum=0, nullable=True, advanced=True),
        data_format_param(),
        int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps.", advanced=True),
        activation(),
        Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each filter."),
        initializer("kernel_initializer", "glorot_uniform"),
        initializer("bias_initializer", "zeros"),
        regularizer("kernel_regularizer"),
        regularizer("bias_regularizer"),
        regularizer("activity_regularizer"),
        constraint("kernel_constraint"),
        constraint("bias_constraint"),
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


def _transpose_spec(class_name: str, n: int, doc: LayerDoc) -> LayerSpec:
    output, count, warn = _transpose_rules(class_name, n)
    return LayerSpec(class_name=class_name, category=CATEGORY, name_prefix=class_name.lower()
                     .replace("transpose", "_transpose"), params=_transpose_params(n), output=output, count=count,
                     warn=warn, doc=doc, cost=transpose_cost)


CONV1D_TRANSPOSE = _transpose_spec("Conv1DTranspose", 1, LayerDoc(
    summary="A learned upsampling of a sequence: each step spreads a learned pattern over several output steps, "
    "the reverse direction of a strided Conv1D.",
    formula="With 'same' padding and no output_padding: steps' = steps · s. With 'valid': "
    "steps' = (steps − 1) · s + max(k, s).",
    shape="(None, steps, C) -> (None, steps', filters). Weights: k·C·filters + filters.",
    use="Decoders that rebuild a signal or a time series from a short code.",
    mistake="Expecting strides to shorten the sequence as in Conv1D: here strides lengthen it.",
))

CONV3D_TRANSPOSE = _transpose_spec("Conv3DTranspose", 3, LayerDoc(
    summary="A learned upsampling of a volume: each input voxel spreads a learned 3-D pattern over a larger "
    "output block.",
    formula="Per axis, as Conv2DTranspose: 'same' gives size · s, 'valid' gives (size − 1) · s + max(k, s).",
    shape="(None, D, H, W, C) -> (None, D', H', W', filters). Weights: kd·kh·kw·C·filters + filters.",
    use="Decoders of volumetric segmentation networks (3-D U-Net) and video generators.",
    mistake="Forgetting that every axis grows: strides 2 makes the volume eight times larger.",
))


# --- SeparableConv1D / DepthwiseConv1D --------------------------------------------------------

SEPARABLE_CONV1D = separable_spec(1, LayerDoc(
    summary="A cheaper Conv1D in two steps: each channel is filtered along the sequence on its own, then a "
    "pointwise step (a 1-wide convolution) mixes the channels into the output filters.",
    formula="weights = k·C·m (depthwise) + C·m·filters (pointwise) + filters (bias), m = depth_multiplier",
    shape="(None, steps, C) -> (None, steps', filters), steps' as in Conv1D.",
    use="Light sequence models for audio or sensors, where Conv1D would need many more weights.",
    mistake="Using it on a sequence with a single channel, where it saves almost nothing.",
))

DEPTHWISE_CONV1D = depthwise_spec(1, LayerDoc(
    summary="Filters each channel of a sequence with its own small kernel; channels are never mixed.",
    formula="y[t, c·m + k] = Σ_u x[t·s + u, c] · W[u, c, k] + b",
    shape="(None, steps, C) -> (None, steps', C · depth_multiplier), steps' as in Conv1D. "
    "Weights: k·C·depth_multiplier + bias.",
    use="Inside light sequence blocks, followed by a 1-wide Conv1D that mixes the channels.",
    mistake="Looking for a filters setting: the output channels are fixed by the input and depth_multiplier.",
))


# --- Padding, cropping, upsampling in 1D and 3D ------------------------------------------------

ZERO_PADDING1D = border_spec(1, "padding", "Steps of zeros to add", [1, 1], LayerDoc(
    summary="Adds steps of zeros at the start and end of a sequence.",
    shape="(None, steps, C) -> (None, before + steps + after, C).",
    use="Before a 'valid' Conv1D so the output keeps the length you want.",
    mistake="Padding instead of choosing padding 'same' in the Conv1D itself, which is simpler.",
))

ZERO_PADDING3D = border_spec(3, "padding", "Zeros to add", [[1, 1], [1, 1], [1, 1]], LayerDoc(
    summary="Adds borders of zeros around a volume, on every side of depth, height and width.",
    shape="(None, D, H, W, C) -> (None, D + front + back, H + top + bottom, W + left + right, C).",
    use="Before a 'valid' Conv3D or pooling to control the output size exactly.",
    mistake="Padding by a lot: a volume grows on three axes, and so does the memory.",
))

CROPPING1D = border_spec(1, "cropping", "Steps to cut off", [1, 1], LayerDoc(
    summary="Cuts steps off the start and end of a sequence.",
    shape="(None, steps, C) -> (None, steps − before − after, C).",
    use="Matching the lengths of two sequences before adding or concatenating them.",
    mistake="Forgetting that its default already cuts one step from each end.",
))

CROPPING3D = border_spec(3, "cropping", "Amounts to cut off", [[1, 1], [1, 1], [1, 1]], LayerDoc(
    summary="Cuts slices, rows and columns off the borders of a volume.",
    shape="(None, D, H, W, C) -> (None, D − front − back, H − top − bottom, W − left − right, C).",
    use="Matching the sizes of two 3-D feature maps before joining them, as in a 3-D U-Net.",
    mistake="Forgetting that its default already cuts one from each side of every axis.",
))

UP_SAMPLING1D = LayerSpec(
    class_name="UpSampling1D",
    cost=resize_cost,
    category=RESHAPING_CATEGORY,
    name_prefix="up_sampling1d",
    params=(
        *base_params(),
        Param("size", ParamKind.INT, 2, "How many times each step is repeated.", minimum=1),
    ),
    output=upsampling_rule("UpSampling1D", 1),
    count=no_weights,
    doc=LayerDoc(
        summary="Lengthens a sequence by repeating every step; it learns nothing.",
        shape="(None, steps, C) -> (None, steps · size, C).",
        use="Decoders that rebuild a long sequence from a short one, often followed by a Conv1D.",
        mistake="Expecting new detail: repeated steps carry no new information; Conv1DTranspose learns it.",
    ),
)

UP_SAMPLING3D = LayerSpec(
    class_name="UpSampling3D",
    cost=resize_cost,
    category=RESHAPING_CATEGORY,
    name_prefix="up_sampling3d",
    params=(
        *base_params(),
        int_tuple("size", [2, 2, 2], 3, "How many times to repeat along depth, height and width."),
        data_format_param(),
    ),
    output=upsampling_rule("UpSampling3D", 3),
    count=no_weights,
    doc=LayerDoc(
        summary="Enlarges a volume by repeating every voxel along depth, height and width; it learns nothing.",
        shape="(None, D, H, W, C) -> (None, D·size[0], H·size[1], W·size[2], C).",
        use="Decoders of volumetric models, followed by a Conv3D that refines the enlarged map.",
        mistake="Upsampling by 2 on all three axes multiplies the memory by eight.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (
    CONV3D,
    CONV1D_TRANSPOSE,
    CONV3D_TRANSPOSE,
    SEPARABLE_CONV1D,
    DEPTHWISE_CONV1D,
    ZERO_PADDING1D,
    ZERO_PADDING3D,
    CROPPING1D,
    CROPPING3D,
    UP_SAMPLING1D,
    UP_SAMPLING3D,
)
