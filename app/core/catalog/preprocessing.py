"""Preprocessing layers (rescaling, normalization, resizing, cropping) and the random image
augmentations that only change images while training.

The image layers work on a batch of images, ``(None, height, width, channels)``. Keras'
symbolic build accepts any rank for most of them, but the first real batch of another rank
fails, so those ranks are refused here; a 3-D tensor is what Keras reads as one unbatched
image, which is allowed but flagged, because the batch axis then becomes the image height.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from app.core.catalog.convolution import resize_cost
from app.core.catalog.costs import AFFINE_OPS, free, per_output
from app.core.catalog.explaining import arrow, no_weights_sentence, params_text
from app.core.catalog.normalization import DATA_FORMATS, known_axis_sizes, resolve_axes
from app.core.catalog.rules import elements, fmt_shape
from app.core.catalog.spec import (
    Config,
    CostRule,
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
    WarnRule,
    base_params,
    no_weights,
    seed,
)

CATEGORY = "Preprocessing"
AUGMENTATION_CATEGORY = "Augmentation"

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
AFFINE_INTERPOLATIONS = ("bilinear", "nearest")
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


# --- value checks -------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def array_shape(value: Any) -> tuple[int, ...] | None:
    """Shape of a number or a rectangular nested list of numbers, like ``np.shape``; None if ragged."""
    if _is_number(value):
        return ()
    if not isinstance(value, (list, tuple)) or not value:
        return None
    shapes = {array_shape(item) for item in value}
    if len(shapes) != 1 or None in shapes:
        return None
    (inner,) = shapes
    return (len(value), *inner)  # type: ignore[misc]


def _array_check(name: str, example: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if array_shape(value) is None:
            return f"'{name}' must be a number or a list of numbers such as {example}, with rows of equal length"
        return None

    return check


def _factor_check(name: str, low: float, high: float, low_open: bool = False) -> Callable[[Any], str | None]:
    """A factor is one number or a pair [lower, upper], every value within Keras' bounds."""
    bounds = f"greater than {low:g} and at most {high:g}" if low_open else f"between {low:g} and {high:g}"

    def check(value: Any) -> str | None:
        if _is_number(value):
            values = [value]
        elif isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value):
            values = list(value)
        else:
            return f"'{name}' must be a number such as 0.1, or a pair [lower, upper] such as [-0.1, 0.2]"
        for v in values:
            if v > high or v < low or (low_open and v == low):
                return f"'{name}' values must be {bounds} (got {v:g})"
        return None

    return check


def _check_value_range(value: Any) -> str | None:
    if value[0] >= value[1]:
        return f"'value_range' must be [low, high] with low < high (got {list(value)})"
    return None


def _data_format() -> Param:
    return Param("data_format", ParamKind.CHOICE, "channels_last",
                 "Where the channels axis is: last (None, h, w, c) or first (None, c, h, w).",
                 choices=DATA_FORMATS, advanced=True)


def _fill_mode(default: str = "reflect") -> Param:
    return Param("fill_mode", ParamKind.CHOICE, default, "How to fill the area outside the moved image.",
                 choices=FILL_MODES)


def _fill_value() -> Param:
    return Param("fill_value", ParamKind.FLOAT, 0.0, "Value used for the empty area when fill_mode is 'constant'.",
                 advanced=True)


def _interpolation() -> Param:
    return Param("interpolation", ParamKind.CHOICE, "bilinear", "How pixels between grid points are computed.",
                 choices=AFFINE_INTERPOLATIONS, advanced=True)


def _value_range() -> Param:
    return Param("value_range", ParamKind.FLOAT_TUPLE, [0, 255],
                 "Range of the pixel values coming in: [0, 255] for raw images, [0, 1] after Rescaling(1/255).",
                 length=2, check=_check_value_range)


# --- image input rules ---------------------------------------------------------------------------

def _square_image(features: int | None, channels_first: bool) -> list[int] | None:
    """A plausible image a flat vector came from: n·n grey or n·n·3 colour."""
    if features is None:
        return None
    for channels in (1, 3):
        if features % channels:
            continue
        side = math.isqrt(features // channels)
        if side > 1 and side * side * channels == features:
            return [channels, side, side] if channels_first else [side, side, channels]
    return None


def _reshape_fix(target: list[int] | None) -> Fix | None:
    if target is None:
        return None
    return Fix(f"Insert a Reshape to {fmt_shape(tuple(target))} before it",
               {"op": "insert_before", "port": "input", "class_name": "Reshape",
                "config": {"target_shape": target}})


def require_image(shape: Shape, layer: str, data_format: str) -> None:
    """A batch of images (4-D) or one unbatched image (3-D); anything else fails in Keras
    on the first real batch, so it is refused with a hint on how to get an image."""
    rank = len(shape)
    if rank in (3, 4):
        return
    layout = "(None, channels, height, width)" if data_format == "channels_first" else \
        "(None, height, width, channels)"
    if rank == 2:
        target = _square_image(shape[1], data_format == "channels_first")
        hint = f" Reshape it to an image first, e.g. Reshape to {fmt_shape(tuple(target))}." if target else \
            " Reshape it to (height, width, channels) first, or remove this layer."
        raise ShapeError(
            f"{layer} works on images: it expects a 4-D batch {layout} but gets the flat vector "
            f"{fmt_shape(shape)}.{hint}",
            port="input",
            fix=_reshape_fix(target),
        )
    raise ShapeError(
        f"{layer} works on images: it expects a 4-D batch {layout} but gets the {rank}-D tensor "
        f"{fmt_shape(shape)}.",
        port="input",
    )


def _image_warn(layer: str, extra: WarnRule | None = None) -> WarnRule:
    """Flag a 3-D input: Keras reads it as ONE image, taking the batch axis for its height.
    ``extra`` adds the layer's own warnings."""

    def warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
        (shape,) = inputs
        problems = list(extra(cfg, inputs)) if extra else []
        if len(shape) != 3:
            return problems
        channels_first = cfg["data_format"] == "channels_first"
        target = None
        if shape[1] is not None and shape[2] is not None:
            target = [1, shape[1], shape[2]] if channels_first else [shape[1], shape[2], 1]
        add = f" Add a channels axis: Reshape to {fmt_shape(tuple(target))}." if target else \
            " Add a channels axis with a Reshape."
        problems.insert(0, ShapeError(
            f"{layer} gets the 3-D tensor {fmt_shape(shape)}, which Keras treats as a single image "
            f"(height, width, channels): the batch axis becomes the image height.{add}",
            port="input",
            fix=_reshape_fix(target),
        ))
        return problems

    return warn


def _center_crop_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    (shape,) = inputs
    if len(shape) != 4:
        return []
    h_axis, w_axis = (2, 3) if cfg["data_format"] == "channels_first" else (1, 2)
    height, width = shape[h_axis], shape[w_axis]
    if (height is None or cfg["height"] <= height) and (width is None or cfg["width"] <= width):
        return []
    return [ShapeError(
        f"CenterCrop: the crop {cfg['height']}×{cfg['width']} is larger than the image "
        f"{height}×{width}, so nothing is cut; Keras resizes the image up instead. Use Resizing if "
        "that is what you want.",
        port="input",
    )]


def _contrast_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    """Keras turns factor=f into the range [0, f], so contrast then only ever goes up."""
    factor = cfg["factor"]
    f = factor if _is_number(factor) else factor[1] if factor[0] == 0 else 0
    if f <= 0:
        return []
    return [ShapeError(
        f"RandomContrast: factor {factor} means the range [0, {f:g}], so contrast is only ever increased "
        f"(by up to {f:.0%}); a single number f becomes [0, f] in Keras. Write [{f:g}, {f:g}] to vary it "
        "both ways.",
        port="input",
        fix=Fix(f"Set factor to [{f:g}, {f:g}]", {"op": "set_param", "param": "factor", "value": [f, f]}),
    )]


def _same_image(layer: str) -> OutputRule:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        require_image(shape, layer, cfg["data_format"])
        return tuple(shape)

    return output


def _sized_image(layer: str) -> OutputRule:
    """Resizing and CenterCrop: height and width become the configured size (Keras' formula,
    which for a 3-D input writes them over the first two axes)."""

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        require_image(shape, layer, cfg["data_format"])
        if layer == "Resizing" and cfg["crop_to_aspect_ratio"] and cfg["pad_to_aspect_ratio"]:
            raise ShapeError(
                "Resizing: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be on; Keras fails on "
                "the first batch. Keep the one you want: crop cuts the edges, pad adds borders.",
                port="input",
                fix=Fix("Turn pad_to_aspect_ratio off", {"op": "set_param", "param": "pad_to_aspect_ratio",
                                                         "value": False}),
            )
        out = list(shape)
        first = len(shape) - 3 + (1 if cfg["data_format"] == "channels_first" else 0)
        out[first], out[first + 1] = cfg["height"], cfg["width"]
        return tuple(out)

    return output


# --- Rescaling ---------------------------------------------------------------------------------

def _check_broadcast(name: str, value: Any, shape: Shape) -> None:
    """A list scale/offset must broadcast onto the input without changing its shape."""
    vshape = array_shape(value) or ()
    if not vshape:
        return
    if len(vshape) >= len(shape):
        raise ShapeError(
            f"Rescaling: '{name}' has shape {fmt_shape(vshape)}, more axes than one sample of "
            f"{fmt_shape(shape)} has. Give one value per channel, e.g. a list as long as the last axis.",
            port="input",
        )
    for i in range(1, len(vshape) + 1):
        have, want = vshape[-i], shape[-i]
        if have != 1 and want is not None and have != want:
            axis = len(shape) - i
            raise ShapeError(
                f"Rescaling: '{name}' has {have} values along axis {axis} but the input {fmt_shape(shape)} "
                f"has {want} there; Keras fails on the first batch. Give one number"
                + (f", or one per channel ({want} values)." if want > 1 else "."),
                port="input",
            )


def _rescaling_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    _check_broadcast("scale", cfg["scale"], shape)
    _check_broadcast("offset", cfg["offset"], shape)
    return tuple(shape)


# --- Explanation rules ------------------------------------------------------------------------------

def _rescaling_explain(ctx: ExplainContext) -> Sentence:
    def num(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    return (f"{arrow(ctx)}: multiplies every value by {num(ctx.cfg['scale'])} and adds {num(ctx.cfg['offset'])}; "
            f"{params_text(0)}", 0)


def _normalization_explain(ctx: ExplainContext) -> Sentence:
    if ctx.cfg["mean"] is not None:
        return (f"{arrow(ctx)}: subtracts the given mean and divides by the given standard deviation; "
                f"{params_text(0)}", 0)
    axis = ctx.cfg["axis"]
    axes = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    n = elements(ctx.shape_in[a] for a in axes) or 1
    total = 2 * n + 1
    return (f"{arrow(ctx)}: a mean and a variance for each of the {n} entries plus a sample count, set by adapt() "
            f"and never trained: 2 x {n} + 1 = {params_text(total)}", total)


_resize_explain = no_weights_sentence("every image becomes {cfg[height]}x{cfg[width]} ({cfg[interpolation]})")
_center_crop_explain = no_weights_sentence("keeps the central {cfg[height]}x{cfg[width]} of each image")
_augmentation_explain = no_weights_sentence(
    "changes each image at random while training; images pass unchanged at inference")


RESCALING = LayerSpec(
    class_name="Rescaling",
    cost=per_output(AFFINE_OPS),
    explain=_rescaling_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("scale", ParamKind.JSON, 1 / 255, "Multiply every value by this (1/255 maps pixels to [0, 1]); "
              "a list gives one factor per channel.", required=True, check=_array_check("scale", "[0.5, 0.5, 0.5]")),
        Param("offset", ParamKind.JSON, 0.0, "Added after scaling (scale 1/127.5 with offset -1 maps to [-1, 1]).",
              check=_array_check("offset", "[-1, -1, -1]")),
    ),
    output=_rescaling_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Multiplies every value by a fixed scale and adds a fixed offset, inside the model.",
        formula="y = x · scale + offset",
        shape="Output shape equals input shape; there are no weights.",
        use="First layer of an image model, so it takes raw 0–255 pixels: scale 1/255 for [0, 1], or "
        "scale 1/127.5 with offset -1 for [-1, 1].",
        mistake="Rescaling images that were already divided by 255 in the data pipeline, which leaves "
        "values near 0.",
    ),
)


# --- Normalization -------------------------------------------------------------------------------

def _check_norm_axis(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(a, int) and not isinstance(a, bool)
                                                       for a in value):
        return "'axis' must be a whole number such as -1, a list such as [1, 2], or empty"
    if len(set(value)) != len(value):
        return f"'axis' lists the same axis twice (got {list(value)})"
    return None


def _norm_kept(cfg: Config, inputs: Sequence[Shape]) -> list[int]:
    """Sizes of the kept axes (one statistic per entry), after checking mean and variance fit."""
    (shape,) = inputs
    axis = cfg["axis"]
    axes = [] if axis is None else axis
    mean, variance = cfg["mean"], cfg["variance"]
    if (mean is None) != (variance is None):
        missing = "variance" if variance is None else "mean"
        raise ShapeError(f"Normalization: 'mean' and 'variance' go together; set '{missing}' too, or clear both "
                         "to have them learned with adapt().", port="input")
    mean_shape: tuple[int, ...] = ()
    if mean is not None:
        mean_shape = array_shape(mean) or ()
        if mean_shape != (array_shape(variance) or ()):
            raise ShapeError(f"Normalization: 'mean' has shape {fmt_shape(mean_shape)} but 'variance' has "
                             f"{fmt_shape(array_shape(variance) or ())}; they need the same shape.", port="input")
        count = 1 if isinstance(axes, int) else len(axes)
        if len(mean_shape) > count:
            raise ShapeError(f"Normalization: 'mean' has {len(mean_shape)} axes but 'axis' keeps only {count}; "
                             "give one value per entry of the kept axes (e.g. one per channel).", port="input")
    keep = sorted(resolve_axes(axes, shape, "Normalization"))
    sizes = known_axis_sizes(shape, keep, "Normalization", "hold one mean and variance per entry")
    for i in range(1, len(mean_shape) + 1):
        have, want = mean_shape[-i], sizes[-i]
        if have not in (1, want):
            raise ShapeError(
                f"Normalization: 'mean' and 'variance' have {have} values for axis {keep[-i]}, but the input "
                f"{fmt_shape(shape)} has {want} entries there. Give {want} values (one per entry) or a single one.",
                port="input",
            )
    return sizes


def _normalization_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _norm_kept(cfg, inputs)
    return tuple(inputs[0])


def _normalization_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    sizes = _norm_kept(cfg, inputs)
    if cfg["mean"] is not None:
        return (0, 0)  # given statistics are constants, not weights
    return (0, 2 * (elements(sizes) or 1) + 1)  # mean, variance and the sample count adapt() keeps


def _normalization_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    if cfg["mean"] is not None:
        return []
    return [ShapeError(
        "Normalization has no mean and variance yet, so it starts as 'do nothing' (mean 0, variance 1). "
        "Enter the per-channel mean and variance of your training data, or compute them with adapt().",
        port="input",
    )]


NORMALIZATION = LayerSpec(
    class_name="Normalization",
    cost=per_output(AFFINE_OPS),
    explain=_normalization_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("axis", ParamKind.JSON, [-1], "Axes that get their own mean and variance (-1: one per feature or "
              "channel); empty for one mean over everything.", nullable=True, check=_check_norm_axis),
        Param("invert", ParamKind.BOOL, False, "Undo a normalization instead: x · √variance + mean.", advanced=True),
        Param("mean", ParamKind.JSON, None, "Mean per kept entry, e.g. [0.485, 0.456, 0.406]; empty to learn it "
              "with adapt().", nullable=True, check=_array_check("mean", "[0.485, 0.456, 0.406]")),
        Param("variance", ParamKind.JSON, None, "Variance per kept entry (the square of the standard deviation).",
              nullable=True, check=_array_check("variance", "[0.052, 0.050, 0.051]")),
    ),
    output=_normalization_output,
    count=_normalization_count,
    warn=_normalization_warn,
    doc=LayerDoc(
        summary="Standardizes the input with a fixed mean and variance per feature (or channel), so values are "
        "centred on 0 with spread 1. The statistics are given, or computed once from the training data.",
        formula="y = (x − mean) / √variance",
        shape="Output shape equals input shape. Without given statistics it stores a mean and a variance per "
        "entry of the kept axes, plus a sample count, all non-trainable.",
        use="First layer for tabular or sensor data whose features have very different scales, and the "
        "ImageNet mean/std step of pretrained image models.",
        mistake="Giving the standard deviation as 'variance': variance is its square.",
    ),
)


# --- Resizing and CenterCrop --------------------------------------------------------------------

def _size(name: str, text: str) -> Param:
    return Param(name, ParamKind.INT, 224, text, minimum=1, required=True)


RESIZING = LayerSpec(
    class_name="Resizing",
    cost=resize_cost,
    explain=_resize_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        _data_format(),
        _size("height", "Height of the output images in pixels."),
        _size("width", "Width of the output images in pixels."),
        Param("interpolation", ParamKind.CHOICE, "bilinear", "How new pixels are computed from the old ones.",
              choices=RESIZE_INTERPOLATIONS),
        Param("crop_to_aspect_ratio", ParamKind.BOOL, False, "Cut the edges so the image is not stretched."),
        Param("pad_to_aspect_ratio", ParamKind.BOOL, False, "Add borders so the image is not stretched."),
        Param("fill_mode", ParamKind.CHOICE, "constant", "How borders are filled when padding.",
              choices=("constant",), advanced=True),
        _fill_value(),
        Param("antialias", ParamKind.BOOL, False, "Smooth before shrinking, to avoid jagged edges.", advanced=True),
    ),
    output=_sized_image("Resizing"),
    count=no_weights,
    warn=_image_warn("Resizing"),
    doc=LayerDoc(
        summary="Resizes every image to a fixed height and width.",
        shape="(None, h, w, c) -> (None, height, width, c); channels stay.",
        use="Feeding images of any size to a model, e.g. a pretrained backbone that wants 224×224.",
        mistake="Stretching images with a different aspect ratio; turn on crop_to_aspect_ratio or "
        "pad_to_aspect_ratio to keep shapes undistorted.",
    ),
)

CENTER_CROP = LayerSpec(
    class_name="CenterCrop",
    cost=free,
    explain=_center_crop_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        _data_format(),
        _size("height", "Height of the cut-out centre in pixels."),
        _size("width", "Width of the cut-out centre in pixels."),
    ),
    output=_sized_image("CenterCrop"),
    count=no_weights,
    warn=_image_warn("CenterCrop", _center_crop_warn),
    doc=LayerDoc(
        summary="Cuts the central height × width region out of every image, dropping the borders.",
        shape="(None, h, w, c) -> (None, height, width, c); channels stay.",
        use="Removing uninformative borders, or matching the input size of a pretrained model after Resizing "
        "to a slightly larger size.",
        mistake="A crop larger than the image: nothing is cut, Keras resizes the image up instead.",
    ),
)


# --- Augmentation --------------------------------------------------------------------------------

def image_layer_spec(class_name: str, params: Sequence[Param], doc: LayerDoc, *,
                     category: str = AUGMENTATION_CATEGORY, output: OutputRule | None = None, prefix: str = "",
                     cost: CostRule = free, explain: ExplainRule | None = None,
                     extra_warn: WarnRule | None = None) -> LayerSpec:
    """An image layer without weights (augmentations and the like): ``data_format`` after Keras'
    common keys, the same image shape out, and the 3-D-input warning. By default it does nothing
    at inference, so it costs nothing."""
    return LayerSpec(
        class_name=class_name,
        category=category,
        name_prefix=prefix,
        params=(*base_params(), _data_format(), *params),
        output=output or _same_image(class_name),
        count=no_weights,
        warn=_image_warn(class_name, extra_warn),
        doc=doc,
        cost=cost,
        explain=explain,
    )


_TRAINING_ONLY = " Only while training; at inference images pass through unchanged."

RANDOM_FLIP = image_layer_spec("RandomFlip", (
    seed(),
    Param("mode", ParamKind.CHOICE, "horizontal_and_vertical", "Which flips may happen.",
          choices=("horizontal", "vertical", "horizontal_and_vertical")),
), LayerDoc(
    summary="Mirrors each image left–right and/or upside down at random." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Data augmentation right after the Input, when a mirrored image still shows the same class "
    "(photos of animals: horizontal).",
    mistake="Vertical flips for digits, text or street scenes, where upside-down images change meaning "
    "(6 becomes 9).",
), explain=_augmentation_explain)

RANDOM_ROTATION = image_layer_spec("RandomRotation", (
    Param("factor", ParamKind.JSON, [-0.1, 0.1], "Rotation range as a fraction of a full turn: 0.1 or "
          "[-0.1, 0.1] is up to ±36°.", required=True, check=_factor_check("factor", -1, 1), saved_range=-1.0),
    _fill_mode(),
    _fill_value(),
    _interpolation(),
    seed(),
), LayerDoc(
    summary="Rotates each image by a random angle." + _TRAINING_ONLY,
    formula="angle ~ Uniform(lower, upper) · 360°",
    shape="Output shape equals input shape; corners are filled according to fill_mode.",
    use="Data augmentation when objects may appear slightly tilted.",
    mistake="Reading factor as degrees: 0.5 means up to half a turn (180°), not 0.5°.",
), explain=_augmentation_explain)

RANDOM_ZOOM = image_layer_spec("RandomZoom", (
    Param("height_factor", ParamKind.JSON, 0.1, "Vertical zoom range as a fraction: positive zooms out, "
          "negative zooms in; 0.2 is ±20%.", required=True,
          check=_factor_check("height_factor", -1, 1, low_open=True)),
    Param("width_factor", ParamKind.JSON, None, "Horizontal zoom range; empty keeps the aspect ratio "
          "(same zoom as the height).", nullable=True, check=_factor_check("width_factor", -1, 1, low_open=True)),
    _fill_mode(),
    _interpolation(),
    seed(),
    _fill_value(),
), LayerDoc(
    summary="Zooms each image in or out by a random amount, keeping its size." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Data augmentation when objects appear at different distances.",
    mistake="Mixing up the sign: in Keras a positive factor zooms out (the object gets smaller).",
), explain=_augmentation_explain)

RANDOM_TRANSLATION = image_layer_spec("RandomTranslation", (
    Param("height_factor", ParamKind.JSON, 0.1, "Vertical shift range as a fraction of the height; "
          "0.1 is up to ±10%.", required=True, check=_factor_check("height_factor", -1, 1)),
    Param("width_factor", ParamKind.JSON, 0.1, "Horizontal shift range as a fraction of the width.",
          required=True, check=_factor_check("width_factor", -1, 1)),
    _fill_mode(),
    _interpolation(),
    seed(),
    _fill_value(),
), LayerDoc(
    summary="Shifts each image up/down and left/right by a random amount." + _TRAINING_ONLY,
    shape="Output shape equals input shape; the uncovered strip is filled according to fill_mode.",
    use="Data augmentation when objects are not always centred.",
    mistake="Shifting so far (factor near 1) that the object leaves the image.",
), explain=_augmentation_explain)

RANDOM_CONTRAST = image_layer_spec("RandomContrast", (
    Param("factor", ParamKind.JSON, [0.2, 0.2], "Contrast change [lower, upper]: the contrast is multiplied "
          "by a number between 1 − lower and 1 + upper.", required=True, check=_factor_check("factor", 0, 1),
          saved_range=0.0),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Makes each image more or less contrasty by a random amount, per channel." + _TRAINING_ONLY,
    formula="y = (x − mean) · c + mean, c ~ Uniform(1 − lower, 1 + upper), clipped to value_range",
    shape="Output shape equals input shape.",
    use="Data augmentation against lighting differences between photos.",
    mistake="A value_range that does not match the data, e.g. [0, 255] after Rescaling(1/255); and a "
    "single number as factor, which in Keras only ever increases contrast.",
), explain=_augmentation_explain, extra_warn=_contrast_warn)

RANDOM_BRIGHTNESS = image_layer_spec("RandomBrightness", (
    Param("factor", ParamKind.JSON, [-0.1, 0.1], "Brightness change as a fraction of value_range: 0.1 or "
          "[-0.1, 0.1] shifts by up to ±10%.", required=True, check=_factor_check("factor", -1, 1),
          saved_range=-1.0),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Brightens or darkens each image by a random amount." + _TRAINING_ONLY,
    formula="y = clip(x + d · (high − low)), d ~ Uniform(lower, upper)",
    shape="Output shape equals input shape.",
    use="Data augmentation against photos taken in different light.",
    mistake="Forgetting to set value_range to [0, 1] when the images were already rescaled, which then "
    "shifts them far out of range before clipping.",
), explain=_augmentation_explain)


SPECS: tuple[LayerSpec, ...] = (
    RESCALING,
    NORMALIZATION,
    RESIZING,
    CENTER_CROP,
    RANDOM_FLIP,
    RANDOM_ROTATION,
    RANDOM_ZOOM,
    RANDOM_TRANSLATION,
    RANDOM_CONTRAST,
    RANDOM_BRIGHTNESS,
)
