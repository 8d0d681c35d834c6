"""The rest of Keras' convolution family: Conv3D, transposed 1D/3D convolutions, SeparableConv1D,
DepthwiseConv1D, and the 1D/3D padding, cropping and upsampling layers.

They reuse the axis helpers of :mod:`app.core.catalog.convolution`, written for any number of
spatial axes, so a volume (depth, height, width) is read exactly like an image.
"""

from __future__ import annotations

from app.core.catalog.convolution import (
    RESHAPING_CATEGORY,
    border_spec,
    conv_spec,
    data_format_param,
    depthwise_spec,
    int_tuple,
    resize_cost,
    separable_spec,
    transpose_spec,
    upsampling_rule,
)
from app.core.catalog.spec import (
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    base_params,
    no_weights,
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

CONV1D_TRANSPOSE = transpose_spec(1, LayerDoc(
    summary="A learned upsampling of a sequence: each step spreads a learned pattern over several output steps, "
    "the reverse direction of a strided Conv1D.",
    formula="With 'same' padding and no output_padding: steps' = steps · s. With 'valid': "
    "steps' = (steps − 1) · s + max(k, s).",
    shape="(None, steps, C) -> (None, steps', filters). Weights: k·C·filters + filters.",
    use="Decoders that rebuild a signal or a time series from a short code.",
    mistake="Expecting strides to shorten the sequence as in Conv1D: here strides lengthen it.",
))

CONV3D_TRANSPOSE = transpose_spec(3, LayerDoc(
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
