"""The rest of Keras' image augmentation and image preprocessing layers (keras.layers'
``image_preprocessing`` package): crops, colour changes, blurs, erasing, mixing, policies.

They all keep the image's shape except RandomCrop, which cuts it to height × width; some
work on colour and so need RGB images (3 channels), as Keras' colour-space code does.
Equalization is left out: in Keras 3.15 it returns its own input tensor outside training, so
any functional model holding it fails with "part of a cycle". Ranges Keras writes as
``[lower, upper]`` are kept in that form (a single number is one of Keras' spellings of the
same range; the importer writes it as the pair Keras saves).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.core.catalog.costs import AFFINE_OPS, free, per_output
from app.core.catalog.preprocessing import (
    AFFINE_INTERPOLATIONS,
    AUGMENTATION_CATEGORY,
    CATEGORY,
    FILL_MODES,
    _factor_check,
    _sized_image,
    _value_range,
    image_layer_spec,
    require_image,
)
from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import (
    Config,
    CostRule,
    LayerDoc,
    LayerSpec,
    OutputRule,
    Param,
    ParamKind,
    Shape,
    ShapeError,
    seed,
)

_TRAINING_ONLY = " Only while training; at inference images pass through unchanged."


def _channels(cfg: Config, shape: Shape) -> int | None:
    """The channel count as Keras reads it: a 3-D input is one unbatched image (h, w, c) or (c, h, w)."""
    if cfg["data_format"] != "channels_first":
        return shape[-1]
    return shape[1] if len(shape) == 4 else shape[0]


def _image_rule(layer: str, colours: tuple[int, ...] = (), when: Callable[[Config], bool] | None = None) -> OutputRule:
    """Same shape out; ``colours`` lists the channel counts the layer's colour maths accepts (only
    when ``when`` says the colour code runs at all, if given)."""
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        require_image(shape, layer, cfg["data_format"])
        channels = _channels(cfg, shape)
        active = when is None or when(cfg)
        if colours and active and channels is not None and channels not in colours:
            wanted = " or ".join(map(str, colours))
            raise ShapeError(
                f"{layer} works on colour: it needs {wanted} channels (RGB), but {fmt_shape(shape)} has {channels}. "
                "Apply it to the RGB images before any layer that changes the channel count.",
                port="input",
            )
        return tuple(shape)
    return output


def _range(name: str, default: Any, text: str, low: float, high: float, *, required: bool = False,
           nullable: bool = False, saved: bool = False) -> Param:
    """A [lower, upper] range Keras also accepts as one number, each value within Keras' bounds;
    ``saved``: Keras saves it as that pair, a number clipped to ``low`` (see ``Param.saved_range``)."""
    return Param(name, ParamKind.JSON, default, text, required=required, nullable=nullable,
                 check=_nullable(_factor_check(name, low, high)) if nullable else _factor_check(name, low, high),
                 saved_range=float(low) if saved else None)


def _nullable(check: Any) -> Any:
    def inner(value: Any) -> str | None:
        return None if value is None else check(value)
    return inner


def _shear_check(name: str) -> Any:
    """Keras saves a number f as [-f, f] and then refuses that pair when loading it again, so only
    the pair spelling (or 0) survives a save; a number other than 0 is refused with that reason."""
    pair = _factor_check(name, 0, 1)

    def check(value: Any) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
            return (f"'{name}': write the range as a pair such as [0, {value:g}]; Keras saves a single number f "
                    "as [-f, f], which it then cannot load again")
        return pair(value)
    return check


def _odd(value: Any) -> str | None:
    """Keras' Gaussian kernel has a centre pixel, so every size must be odd."""
    if any(v % 2 == 0 for v in value):
        return f"'kernel_size' must be odd numbers such as [3, 3] (got {list(value)})"
    return None


def _interpolation() -> Param:
    return Param("interpolation", ParamKind.CHOICE, "bilinear", "How pixels between grid points are computed.",
                 choices=AFFINE_INTERPOLATIONS, advanced=True)


def _spec(class_name: str, params: Sequence[Param], doc: LayerDoc, *, colours: tuple[int, ...] = (),
          category: str = AUGMENTATION_CATEGORY, output: OutputRule | None = None, prefix: str = "",
          cost: CostRule = free) -> LayerSpec:
    """An image layer whose colour maths needs one of ``colours`` channel counts, when given."""
    return image_layer_spec(class_name, params, doc, category=category, prefix=prefix, cost=cost,
                            output=output or _image_rule(class_name, colours))


RANDOM_CROP = _spec("RandomCrop", (
    Param("height", ParamKind.INT, 224, "Height of the cut-out region in pixels.", minimum=1, required=True),
    Param("width", ParamKind.INT, 224, "Width of the cut-out region in pixels.", minimum=1, required=True),
    seed(),
), LayerDoc(
    summary="While training, cuts a height × width region at a random place out of each image; at inference it "
    "cuts the centre, so the output size is always the same.",
    shape="(None, h, w, c) -> (None, height, width, c); channels stay.",
    use="Augmentation that also teaches the model that objects need not be centred.",
    mistake="A crop larger than the image: nothing can be cut, Keras resizes the image instead.",
), output=_sized_image("RandomCrop"))

RANDOM_ERASING = _spec("RandomErasing", (
    _range("factor", [0, 1.0], "Probability range that an image gets a patch erased.", 0, 1, saved=True),
    _range("scale", [0.02, 0.33], "Size of the erased patch as a fraction of the image, [min, max].", 0, 1, saved=True),
    Param("fill_value", ParamKind.FLOAT, None, "Value written into the patch; empty for random noise.",
          nullable=True, advanced=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Blanks out a random rectangle of each image (Cutout / Random Erasing)." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Makes a classifier robust to occlusion: it cannot rely on one small part of the object.",
    mistake="Erasing patches so large that the object disappears and the label becomes wrong.",
))

RANDOM_GRAYSCALE = _spec("RandomGrayscale", (
    Param("factor", ParamKind.FLOAT, 0.5, "Probability that an image is turned grey.", minimum=0.0, maximum=1.0),
), LayerDoc(
    summary="Turns a random share of the images grey (keeping the channel count)." + _TRAINING_ONLY,
    shape="Output shape equals input shape; a grey RGB image keeps 3 equal channels.",
    use="When colour should not decide the class, e.g. shapes or textures.",
    mistake="Using it where colour is the signal (ripe vs unripe fruit).",
), colours=(1, 3))

RANDOM_HUE = _spec("RandomHue", (
    _range("factor", [0, 0.5], "Hue shift range as a fraction of the colour wheel (0.5 is half a turn).", 0, 1,
           required=True, saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Shifts the colours of each image around the colour wheel by a random amount." + _TRAINING_ONLY,
    formula="HSV: h ← h + δ, δ drawn from the factor range",
    shape="Output shape equals input shape; needs RGB (3 channels).",
    use="Photos under different lighting or cameras.",
    mistake="Large shifts where colour matters: a red stop sign turns green.",
), colours=(3,))

RANDOM_SATURATION = _spec("RandomSaturation", (
    _range("factor", [-0.5, 0.5], "Saturation change range; negative fades towards grey.", -1, 1, required=True,
           saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Makes the colours of each image more vivid or more washed out by a random amount." + _TRAINING_ONLY,
    shape="Output shape equals input shape; needs RGB (3 channels).",
    use="Photos from cameras with different colour processing.",
    mistake="Applying it to grey images: there is no saturation to change, and Keras needs 3 channels.",
), colours=(3,))

RANDOM_COLOR_DEGENERATION = _spec("RandomColorDegeneration", (
    _range("factor", [-0.5, 0.5], "How far each image is blended towards its grey version.", -1, 1,
           required=True, saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Blends each image with its own grey version by a random amount, draining its colour." + _TRAINING_ONLY,
    shape="Output shape equals input shape; needs RGB (3 channels).",
    use="Augmentation policies such as RandAugment; robustness to faded photos.",
    mistake="Feeding grey or 4-channel images: it needs RGB.",
), colours=(3,))

RANDOM_COLOR_JITTER = _spec("RandomColorJitter", (
    _value_range(),
    _range("brightness_factor", None, "Brightness range; empty leaves brightness alone.", -1, 1, nullable=True),
    _range("contrast_factor", None, "Contrast range; empty leaves contrast alone.", 0, 1, nullable=True),
    _range("saturation_factor", None, "Saturation range; empty leaves saturation alone.", -1, 1, nullable=True),
    _range("hue_factor", None, "Hue range; empty leaves hue alone.", 0, 1, nullable=True),
    seed(),
), LayerDoc(
    summary="Changes brightness, contrast, saturation and hue together by random amounts, each only if its "
    "factor is set." + _TRAINING_ONLY,
    shape="Output shape equals input shape; needs RGB (3 channels).",
    use="One layer for the usual colour augmentations of photos.",
    mistake="Leaving every factor empty: the layer then does nothing.",
), output=_image_rule("RandomColorJitter", (3,),
                    lambda cfg: cfg["saturation_factor"] is not None or cfg["hue_factor"] is not None))

RANDOM_SHARPNESS = _spec("RandomSharpness", (
    _range("factor", [0, 0.5], "Sharpness change range: 0 blurs, 1 sharpens strongly.", 0, 1, required=True,
           saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Sharpens or softens each image by a random amount." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Photos with varying focus or compression.",
    mistake="Strong sharpening of noisy images, which amplifies the noise.",
))

RANDOM_POSTERIZATION = _spec("RandomPosterization", (
    _range("factor", [1, 4], "Range of bits kept per channel, between 1 and 8.", 1, 8, required=True, saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Reduces each image to fewer colour levels by keeping only a random number of bits per "
    "channel." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Augmentation policies (AutoAugment, RandAugment); robustness to heavy compression.",
    mistake="Keeping 1 bit on photos where fine shading carries the class.",
))

RANDOM_INVERT = _spec("RandomInvert", (
    _range("factor", [0, 1.0], "Probability range that an image is inverted.", 0, 1, saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Turns a random share of the images into their negatives." + _TRAINING_ONLY,
    formula="y = high − x (within value_range)",
    shape="Output shape equals input shape.",
    use="Data such as scans or sketches that appear both dark-on-light and light-on-dark.",
    mistake="Inverting natural photos, which never look like that at test time.",
))

RANDOM_GAUSSIAN_BLUR = _spec("RandomGaussianBlur", (
    _range("factor", [0, 1.0], "Probability range that an image is blurred.", 0, 1, saved=True),
    Param("kernel_size", ParamKind.INT_TUPLE, [3, 3], "Size of the blur window [height, width]; odd numbers.",
          minimum=1, length=2, check=_odd),
    _range("sigma", [0, 1.0], "Range of the blur's standard deviation.", 0, 1, saved=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Blurs each image with a Gaussian filter of random strength." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Robustness to out-of-focus or low-resolution photos.",
    mistake="A kernel larger than small images such as 28×28 digits, which wipes out the strokes.",
))

RANDOM_SHEAR = _spec("RandomShear", (
    Param("x_factor", ParamKind.JSON, [0.0, 0.0], "Horizontal shear range [a, b], both between 0 and 1.",
          check=_shear_check("x_factor")),
    Param("y_factor", ParamKind.JSON, [0.0, 0.0], "Vertical shear range [a, b], both between 0 and 1.",
          check=_shear_check("y_factor")),
    _interpolation(),
    Param("fill_mode", ParamKind.CHOICE, "reflect", "How to fill the area outside the moved image.",
          choices=FILL_MODES),
    Param("fill_value", ParamKind.FLOAT, 0.0, "Value for the empty area when fill_mode is 'constant'.",
          advanced=True),
    seed(),
), LayerDoc(
    summary="Slants each image sideways and/or up-down by a random amount." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Handwriting and objects seen from an angle.",
    mistake="Leaving both factors at 0, the default, which does nothing.",
))

RANDOM_PERSPECTIVE = _spec("RandomPerspective", (
    _range("factor", [0, 1.0], "Probability range that an image is warped.", 0, 1, saved=True),
    Param("scale", ParamKind.FLOAT, 1.0, "Strength of the warp, 0 to 1.", minimum=0.0, maximum=1.0),
    _interpolation(),
    Param("fill_value", ParamKind.FLOAT, 0.0, "Value for the area outside the warped image.", advanced=True),
    seed(),
), LayerDoc(
    summary="Warps each image as if seen from a random other viewpoint." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Documents, signs and objects photographed from different angles.",
    mistake="A strong warp on small images, which leaves little of the object.",
))

RANDOM_ELASTIC_TRANSFORM = _spec("RandomElasticTransform", (
    _range("factor", [0, 1.0], "Probability range that an image is distorted.", 0, 1, saved=True),
    _range("scale", [0, 1.0], "Strength of the distortion.", 0, 1, saved=True),
    _interpolation(),
    Param("fill_mode", ParamKind.CHOICE, "reflect", "How to fill the area outside the moved image.",
          choices=FILL_MODES),
    Param("fill_value", ParamKind.FLOAT, 0.0, "Value for the empty area when fill_mode is 'constant'.",
          advanced=True),
    _value_range(),
    seed(),
), LayerDoc(
    summary="Bends each image with a smooth random displacement field, like a rubber sheet." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Handwriting and medical images, where shapes vary smoothly.",
    mistake="A strong scale on small digits, which makes them unreadable.",
))

SOLARIZATION = _spec("Solarization", (
    _value_range(),
    _range("addition_factor", [0, 0.0], "Range of a brightness added before solarizing, as a fraction of "
           "value_range.", 0, 1, saved=True),
    _range("threshold_factor", [0, 0.0], "Range of the threshold above which values are inverted.", 0, 1, saved=True),
    seed(),
), LayerDoc(
    summary="Inverts every pixel brighter than a random threshold, the darkroom 'solarize' effect." + _TRAINING_ONLY,
    formula="y = x if x < threshold else high − x",
    shape="Output shape equals input shape.",
    use="Augmentation policies (AutoAugment, RandAugment, self-supervised learning recipes).",
    mistake="Leaving both factors at 0: the threshold is then the bottom, so every pixel is inverted.",
))

CUT_MIX = _spec("CutMix", (
    _range("factor", [0, 1.0], "Range of the Beta distribution parameter that sets the patch size.", 0, 1, saved=True),
    seed(),
), LayerDoc(
    summary="Pastes a random rectangle from another image of the batch into each image (the labels are "
    "mixed in the same proportion when passed as a dict)." + _TRAINING_ONLY,
    shape="Output shape equals input shape.",
    use="Image classification training: regularizes like Mixup while keeping natural-looking patches.",
    mistake="Using it in the model on images only: without the labels mixed too, the targets are wrong.",
))

MIX_UP = _spec("MixUp", (
    Param("alpha", ParamKind.FLOAT, 0.2, "Beta distribution parameter: larger mixes more evenly.", minimum=0.0,
          exclusive_minimum=True),
    seed(),
), LayerDoc(
    summary="Blends each image with another image of the batch by a random weight (the labels are blended "
    "alike when passed as a dict)." + _TRAINING_ONLY,
    formula="y = λ·x_i + (1 − λ)·x_j, λ ~ Beta(alpha, alpha)",
    shape="Output shape equals input shape.",
    use="Image classification training, as a strong regularizer.",
    mistake="Using it in the model on images only: without the labels mixed too, the targets are wrong.",
))

RAND_AUGMENT = _spec("RandAugment", (
    _value_range(),
    Param("num_ops", ParamKind.INT, 2, "How many random operations each image gets.", minimum=0),
    _range("factor", [0, 0.5], "Strength range of the operations, 0 to 1.", 0, 1, saved=True),
    _interpolation(),
    seed(),
), LayerDoc(
    summary="Applies a few augmentations picked at random from a fixed list (colour, contrast, shear, "
    "translation, …) at a random strength." + _TRAINING_ONLY,
    shape="Output shape equals input shape; grey or RGB images.",
    use="A strong ready-made augmentation policy for image classifiers with just two settings.",
    mistake="Stacking it with many other augmentation layers, which over-distorts the images.",
), output=_image_rule("RandAugment", (1, 3), lambda cfg: cfg["num_ops"] > 0))

AUG_MIX = _spec("AugMix", (
    _value_range(),
    Param("num_chains", ParamKind.INT, 3, "Number of augmentation chains mixed together.", minimum=1),
    Param("chain_depth", ParamKind.INT, 3, "Operations per chain (-1: random 1 to 3).", minimum=-1),
    _range("factor", [0, 0.3], "Strength range of the operations, 0 to 1.", 0, 1, saved=True),
    Param("alpha", ParamKind.FLOAT, 1.0, "Dirichlet/Beta parameter of the mixing weights.", minimum=0.0,
          exclusive_minimum=True),
    Param("all_ops", ParamKind.BOOL, True, "Use every operation, including colour ones."),
    _interpolation(),
    seed(),
), LayerDoc(
    summary="Mixes several chains of random augmentations of each image and blends the mix with the original "
    "image." + _TRAINING_ONLY,
    shape="Output shape equals input shape; grey or RGB images.",
    use="Image classifiers that must stay reliable on corrupted or shifted data.",
    mistake="Expecting the extra consistency loss of the paper: this layer only does the augmentation.",
), colours=(1, 3))

AUTO_CONTRAST = _spec("AutoContrast", (_value_range(),), LayerDoc(
    summary="Stretches each image's values so its darkest pixel becomes the bottom of value_range and its "
    "brightest the top, per channel. Always on, also at inference.",
    formula="y = (x − min) / (max − min) · (high − low) + low",
    shape="Output shape equals input shape.",
    use="Normalizing under- or over-exposed images.",
    mistake="A value_range that does not match the data's range.",
), category=CATEGORY, cost=per_output(AFFINE_OPS))

CLAHE = _spec("ContrastLimitedAdaptiveHistogramEqualization", (
    _value_range(),
    Param("clip_limit", ParamKind.FLOAT, 4.0, "How much each tile's contrast may be raised.", minimum=0.0,
          exclusive_minimum=True),
    Param("tile_grid_size", ParamKind.INT_TUPLE, [8, 8], "Number of tiles [rows, columns] equalized "
          "separately.", minimum=1, length=2),
), LayerDoc(
    summary="Equalizes the histogram of each tile of the image separately, limiting how far contrast may "
    "rise so noise is not amplified (CLAHE). Always on, also at inference.",
    shape="Output shape equals input shape.",
    use="Medical and microscopy images with uneven lighting.",
    mistake="Many tiles on a small image, so each tile holds too few pixels to equalize.",
), category=CATEGORY, prefix="contrast_limited_adaptive_histogram_equalization", cost=per_output(AFFINE_OPS))

MAX_NUM_BOUNDING_BOXES = _spec("MaxNumBoundingBoxes", (
    Param("max_number", ParamKind.INT, 10, "Number of boxes every sample is padded or cut to.", minimum=1,
          required=True),
), LayerDoc(
    summary="Pads or cuts the bounding boxes of each sample to a fixed count so they batch together; images "
    "pass through unchanged.",
    shape="Output shape equals input shape (for a plain image input).",
    use="Object detection pipelines that feed a dict of images and boxes.",
    mistake="Expecting it to change images: on a plain image tensor it does nothing.",
), category=CATEGORY)


SPECS: tuple[LayerSpec, ...] = (
    AUTO_CONTRAST,
    CLAHE,
    MAX_NUM_BOUNDING_BOXES,
    RANDOM_CROP,
    RANDOM_ERASING,
    RANDOM_GRAYSCALE,
    RANDOM_HUE,
    RANDOM_SATURATION,
    RANDOM_COLOR_DEGENERATION,
    RANDOM_COLOR_JITTER,
    RANDOM_SHARPNESS,
    RANDOM_POSTERIZATION,
    RANDOM_INVERT,
    RANDOM_GAUSSIAN_BLUR,
    RANDOM_SHEAR,
    RANDOM_PERSPECTIVE,
    RANDOM_ELASTIC_TRANSFORM,
    SOLARIZATION,
    CUT_MIX,
    MIX_UP,
    RAND_AUGMENT,
    AUG_MIX,
)
