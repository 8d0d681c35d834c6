"""Application backbones: whole ``keras.applications`` models shown as one node each.

The node is the backbone without its ImageNet classifier (``include_top=False``, which
the Keras bridge always passes). Its output shape is worked out here by following each
architecture's own strides and paddings, and its weight counts by walking the same layer
list Keras builds, so both appear instantly and agree with Keras for any input size and
channel count. The input checks mirror the ones Keras applies (``obtain_input_shape`` and
the padding helpers), so a node is refused exactly when Keras would refuse to build it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol, TypeVar

from app.core.catalog.costs import AFFINE_OPS, BATCH_NORM_OPS
from app.core.catalog.explaining import arrow, params_text
from app.core.catalog.rules import conv_length, fmt_shape
from app.core.catalog.spec import (
    Config,
    Cost,
    CostRule,
    ExplainContext,
    Fix,
    LayerDoc,
    LayerSpec,
    OutputRule,
    Param,
    ParamKind,
    Shape,
    ShapeError,
    WarnRule,
)

CATEGORY = "Applications"

MIN_SIZE = 32
"""Keras refuses height or width below this for every backbone here."""

MOBILENET_V2_ALPHAS: tuple[float, ...] = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
"""The widths Keras has ImageNet weights for (the only ones it accepts with weights='imagenet')."""

MOBILENET_V2_WEIGHT_SIZES: tuple[int, ...] = (96, 128, 160, 192, 224)
"""Square input sizes Keras has MobileNetV2 ImageNet weights for."""

Dim = int | None


# --- Parameters ---------------------------------------------------------------------------

def _weights_param(download: str) -> Param:
    return Param(
        "weights",
        ParamKind.CHOICE,
        None,
        "None starts from random weights. 'imagenet' loads the weights Keras publishes, pre-trained on "
        f"ImageNet ({download}), from Keras' own cache folder ($KERAS_HOME/models, usually ~/.keras/models). "
        "Layerforge never downloads them, so it works offline: when the file is missing, the Problems list "
        "names it and says where to put it. They need 3-channel RGB input.",
        choices=(None, "imagenet"),
        nullable=True,
    )


WEIGHTS_FILE_SUFFIXES: tuple[str, ...] = (".weights.h5", ".keras", ".h5")
"""Files a backbone (or a whole model) can take weights from: Keras' weights files, whole models and
the legacy weights-only HDF5 files Keras 2 wrote."""


def weights_file_problem(value: object) -> str | None:
    """Why a ``weights_file`` value cannot be used (a relative path inside the project's folder), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "'weights_file' must be a file name (text)"
    if not value.lower().endswith(WEIGHTS_FILE_SUFFIXES):
        return f"'weights_file' must end in {', '.join(WEIGHTS_FILE_SUFFIXES)} (got {value!r})"
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\", "~")) or (len(value) > 1 and value[1] == ":") or ".." in parts:
        return ("'weights_file' is a path relative to the project's folder, inside it "
                f"(got {value!r}): copy the file next to the project")
    return None


def _weights_file_param() -> Param:
    return Param(
        "weights_file",
        ParamKind.STR,
        "",
        "A weights file to load into this backbone after it is built, matched by layer name: a Keras "
        "'.weights.h5', a whole '.keras' model or a legacy weights-only '.h5'. The path is relative to the "
        "project's folder. Empty loads nothing. Training reports which layers matched and which did not.",
        check=weights_file_problem,
    )


def _train_top_param() -> Param:
    return Param(
        "train_top_layers",
        ParamKind.INT,
        0,
        "With trainable on: 0 trains every layer of the backbone; N trains only its last N layers (Keras' "
        "layers list, so activations and paddings count too) and keeps the others frozen. Whenever part of "
        "the backbone is frozen, its batch normalization runs in inference mode.",
        minimum=0,
    )


def _pooling_param() -> Param:
    return Param(
        "pooling",
        ParamKind.CHOICE,
        None,
        "None keeps the feature map (None, h, w, channels); 'avg' or 'max' pools it to one vector "
        "per image (None, channels), ready for a Dense head.",
        choices=(None, "avg", "max"),
        nullable=True,
    )


def _trainable_param() -> Param:
    return Param(
        "trainable",
        ParamKind.BOOL,
        True,
        "Update the backbone's weights during training. Turn off to freeze it (transfer learning): "
        "all its weights then count as non-trainable, and its batch normalization runs in inference mode "
        "(it keeps the statistics it learned). With it on, 'train_top_layers' can limit training to the top layers.",
    )


def _transfer_params() -> tuple[Param, ...]:
    """What every backbone node adds after Keras' own arguments: a weights file and how much of it trains."""
    return (_weights_file_param(), _train_top_param())


def _alpha_param() -> Param:
    return Param(
        "alpha",
        ParamKind.CHOICE,
        1.0,
        "Width multiplier: scales the number of filters in every layer. Below 1.0 is smaller and faster, "
        "above 1.0 larger. These are the widths Keras has ImageNet weights for.",
        choices=MOBILENET_V2_ALPHAS,
    )


# --- ImageNet weights from Keras' cache (never a download) ----------------------------------

IMAGENET_FILES: dict[str, tuple[str, str]] = {
    "ResNet50": ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "about 95 MB"),
    "EfficientNetB0": ("efficientnetb0_notop.h5", "about 17 MB"),
    "VGG16": ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "about 59 MB"),
    "DenseNet121": ("densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", "about 29 MB"),
}
"""The file each backbone's ``weights='imagenet'`` reads without its top, named exactly as
keras.applications names it in its cache (a test compares these with Keras' sources), and its size."""

_MOBILENET_V2_SIZES_MB: dict[float, float] = {0.35: 1.7, 0.5: 2.9, 0.75: 5.6, 1.0: 9.4, 1.3: 15.3, 1.4: 18.3}


def imagenet_file(class_name: str, cfg: Config, input_shape: Shape) -> tuple[str, str] | None:
    """(file name, size in words) of the ImageNet weights Keras would load for this node, or None."""
    if class_name == "MobileNetV2":
        alpha = float(cfg.get("alpha", 1.0))
        rows = input_shape[1] if len(input_shape) == 4 else None
        cols = input_shape[2] if len(input_shape) == 4 else None
        if rows != cols or rows not in MOBILENET_V2_WEIGHT_SIZES:
            rows = 224
        size = _MOBILENET_V2_SIZES_MB.get(alpha)
        return (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}_no_top.h5",
                f"about {size} MB" if size else "size unknown")
    return IMAGENET_FILES.get(class_name)


def keras_cache_dirs() -> list[Path]:
    """Where Keras keeps downloaded model weights: $KERAS_HOME/models (default ~/.keras/models), and
    /tmp/.keras/models, which Keras falls back to when the first is not writable."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    first = Path(home) / "models"
    fallback = Path("/tmp") / ".keras" / "models"
    return [first] if first == fallback else [first, fallback]


def find_imagenet_file(class_name: str, cfg: Config, input_shape: Shape) -> Path | None:
    """The cached ImageNet weights file for this node, when one is there."""
    known = imagenet_file(class_name, cfg, input_shape)
    if known is None:
        return None
    for folder in keras_cache_dirs():
        path = folder / known[0]
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def imagenet_missing_message(title: str, class_name: str, cfg: Config, input_shape: Shape) -> str | None:
    """A sentence naming the exact missing file, its size and where to put it; None when present."""
    if cfg.get("weights") != "imagenet":
        return None
    known = imagenet_file(class_name, cfg, input_shape)
    if known is None or find_imagenet_file(class_name, cfg, input_shape) is not None:
        return None
    name, size = known
    folder = keras_cache_dirs()[0]
    return (f"{title} with weights='imagenet' needs the file '{name}' ({size}) in {os.fspath(folder)} "
            "(Keras' cache: $KERAS_HOME/models, or ~/.keras/models). It is not there, and Layerforge never "
            "downloads: copy it there from a machine that has it (keras.applications saves it in the same folder), "
            "or set weights to None or a weights_file.")


def _weights_warning(title: str, class_name: str, cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    """The ImageNet file is missing from the cache; a weights file together with ImageNet weights."""
    found: list[ShapeError] = []
    missing = imagenet_missing_message(title, class_name, cfg, inputs[0]) if inputs else None
    if missing:
        found.append(ShapeError(missing, port="input", fix=_no_imagenet_fix()))
    if cfg.get("weights") == "imagenet" and cfg.get("weights_file"):
        found.append(ShapeError(
            f"{title} loads the ImageNet weights and then '{cfg['weights_file']}' over them: layers found in the "
            "file take its weights. Set weights to None if the file holds the whole backbone.", port="input"))
    return found


# --- Training only the top layers -------------------------------------------------------------

_LAYER_TABLE = Path(__file__).with_name("backbone_layers.json")


@cache
def _layer_table() -> dict[str, dict[str, list[list[int]]]]:
    """Per-layer weight counts in Keras' layer order (built by tools/build_backbone_layers.py)."""
    try:
        return json.loads(_LAYER_TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def backbone_layer_counts(class_name: str, cfg: Config, channels: int) -> list[tuple[int, int]] | None:
    """(trainable, non-trainable) per layer of the fully trainable backbone, in Keras' ``layers`` order."""
    key = f"{class_name}@{float(cfg.get('alpha', 1.0))}" if class_name == "MobileNetV2" else class_name
    entry = _layer_table().get(key)
    if entry is None:
        return None
    one, three = entry["c1"], entry["c3"]
    # Every layer's count is linear in the input channel count (only the first layers depend on it).
    return [(t1 + (t3 - t1) * (channels - 1) // 2, n1 + (n3 - n1) * (channels - 1) // 2)
            for (t1, n1), (t3, n3) in zip(one, three, strict=True)]


def backbone_layer_count(class_name: str, cfg: Config) -> int | None:
    """How many layers Keras lists for this backbone (the most 'train_top_layers' can usefully be)."""
    counts = backbone_layer_counts(class_name, cfg, 3)
    return None if counts is None else len(counts)


CountRule = Callable[[Config, Sequence[Shape]], tuple[int, int]]


def _top_layers(class_name: str, count: CountRule) -> CountRule:
    """Wrap a count rule: with 'train_top_layers' N, only the last N layers' trainable weights train."""

    def counted(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        trainable, non_trainable = count(cfg, inputs)
        top = cfg.get("train_top_layers") or 0
        if not cfg.get("trainable", True) or not isinstance(top, int) or top <= 0:
            return trainable, non_trainable
        channels = inputs[0][-1] if inputs and inputs[0] and isinstance(inputs[0][-1], int) else 3
        layers = backbone_layer_counts(class_name, cfg, channels)
        if layers is not None and cfg.get("pooling") in ("avg", "max"):
            layers.append((0, 0))  # Keras adds the pooling layer last
        if layers is None or top >= len(layers):
            return trainable, non_trainable
        trained = sum(t for t, _ in layers[len(layers) - top:])
        return trained, trainable + non_trainable - trained

    return counted


# --- Input checks (mirroring Keras' obtain_input_shape and correct_pad) ---------------------

def _resize_fix() -> Fix:
    return Fix(
        "Insert a Resizing layer (224x224) before it",
        {"op": "insert_before", "port": "input", "class_name": "Resizing", "config": {"height": 224, "width": 224}},
    )


def _no_imagenet_fix() -> Fix:
    return Fix("Use random weights (weights=None)", {"op": "set_param", "param": "weights", "value": None})


def _image_reshape_fix(sample: Sequence[Dim]) -> Fix | None:
    """A Reshape that turns a flat or channel-less sample into an image, when the sizes make it obvious."""
    if len(sample) == 2 and all(d is not None and d > 4 for d in sample):
        height, width = sample
        return Fix(f"Insert a Reshape to ({height}, {width}, 1) before it",
                   {"op": "insert_before", "port": "input", "class_name": "Reshape",
                    "config": {"target_shape": [height, width, 1]}})
    if len(sample) == 1 and sample[0] is not None:
        features = sample[0]
        for channels in (1, 3):
            side = math.isqrt(features // channels)
            if side > 4 and side * side * channels == features:
                return Fix(f"Insert a Reshape to ({side}, {side}, {channels}) before it",
                           {"op": "insert_before", "port": "input", "class_name": "Reshape",
                            "config": {"target_shape": [side, side, channels]}})
    return None


def _size_text(height: Dim, width: Dim) -> str:
    """``16x16``, or words when a side is variable (None)."""
    if height is not None and width is not None:
        return f"{height}x{width}"
    high, wide = ("variable" if dim is None else str(dim) for dim in (height, width))
    return f"{high} high and {wide} wide"


@dataclass(frozen=True)
class ImageInput:
    """A checked image input: batch, height, width (None when variable) and a known channel count."""

    batch: Dim
    height: Dim
    width: Dim
    channels: int


def check_image_input(title: str, cfg: Config, inputs: Sequence[Shape], pads_from_height: bool) -> ImageInput:
    """Refuse exactly the inputs Keras refuses, with a sentence a student can act on.

    ``pads_from_height`` marks the backbones whose stride-2 padding (Keras' ``correct_pad``)
    reads the width only when the height is known: they fail on a known height with a
    variable width.
    """
    (shape,) = inputs
    if len(shape) != 4:
        what = {2: "a flat vector", 3: "a 3-D tensor (images without a channel axis?)"}.get(
            len(shape), f"a {len(shape)}-D tensor")
        raise ShapeError(
            f"{title} needs images shaped (None, height, width, channels), such as (None, 224, 224, 3), "
            f"but gets {what} {fmt_shape(shape)}.",
            port="input",
            fix=_image_reshape_fix(shape[1:]),
        )
    batch, height, width, channels = shape
    if channels is None:
        raise ShapeError(
            f"{title} needs a known number of colour channels (the last axis), but it is None. "
            "Give the input a fixed channel count, usually 3 for RGB.",
            port="input",
        )
    if cfg.get("weights") == "imagenet" and channels != 3:
        raise ShapeError(
            f"{title} with weights='imagenet' needs 3 colour channels (RGB), because that is what the "
            f"pre-trained weights saw; the input has {channels}. Convert the images to RGB, or use weights=None.",
            port="input",
            fix=_no_imagenet_fix(),
        )
    if (height is not None and height < MIN_SIZE) or (width is not None and width < MIN_SIZE):
        raise ShapeError(
            f"{title} needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels; the input is "
            f"{_size_text(height, width)}. Add a Resizing layer before it.",
            port="input",
            fix=_resize_fix(),
        )
    if pads_from_height and height is not None and width is None:
        raise ShapeError(
            f"{title} cannot take a fixed height ({height}) with a variable width: Keras works out its "
            "padding from the width whenever the height is fixed. Give the width a fixed size too, "
            "or make both variable.",
            port="input",
            fix=_resize_fix(),
        )
    return ImageInput(batch, height, width, channels)


def _channel_warning(title: str, cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    """Keras warns (but builds) when an image has neither 1 nor 3 channels."""
    shape = inputs[0]
    if len(shape) != 4 or shape[-1] in (1, 3, None) or cfg.get("weights") == "imagenet":
        return []
    return [ShapeError(
        f"{title} usually takes 1 (grey) or 3 (RGB) channels, but this input has {shape[-1]}. "
        "Check that the last axis really holds the colour channels (e.g. not RGBA or channels-first data).",
        port="input",
    )]


def _pooled(image: ImageInput, height: Dim, width: Dim, channels: int, cfg: Config) -> Shape:
    """The feature map, or one vector per image when ``pooling`` is set."""
    if cfg.get("pooling") in ("avg", "max"):
        return (image.batch, channels)
    return (image.batch, height, width, channels)


def _padded(dim: Dim, before: int, after: int) -> Dim:
    return None if dim is None else dim + before + after


def _correct_pad(height: Dim, dim: Dim, kernel: int) -> tuple[int, int]:
    """Keras' ``correct_pad`` for one axis: it reads the parity of every axis only when the height is known."""
    adjust = 1 if height is None or dim is None else 1 - dim % 2
    return (kernel // 2 - adjust, kernel // 2)


def _stride2_valid(height: Dim, dim: Dim, kernel: int) -> Dim:
    """ZeroPadding2D(correct_pad) followed by a stride-2 'valid' window, as in MobileNetV2/EfficientNet."""
    before, after = _correct_pad(height, dim, kernel)
    return conv_length(_padded(dim, before, after), kernel, 2, "valid")


# --- Weight counting ----------------------------------------------------------------------

class _Weights:
    """Visitor that adds up a backbone's weights layer by layer, split the way Keras splits them."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.trainable = 0
        self.non_trainable = 0

    def conv(self, filters: int, kernel: int, stride: int = 1, padding: str = "valid", *, bias: bool) -> None:
        self.trainable += kernel * kernel * self.channels * filters + (filters if bias else 0)
        self.channels = filters

    def depthwise(self, kernel: int, stride: int = 1, padding: str = "valid") -> None:
        self.trainable += kernel * kernel * self.channels

    def batch_norm(self) -> None:
        """gamma and beta learn; the moving mean and variance do not."""
        self.trainable += 2 * self.channels
        self.non_trainable += 2 * self.channels

    def normalization(self) -> None:
        """keras.layers.Normalization: mean and variance per channel plus a sample count, never trained."""
        self.non_trainable += 2 * self.channels + 1

    def squeeze_excite(self, squeezed: int) -> None:
        """Two 1x1 convs with biases, to ``squeezed`` channels and back."""
        self.trainable += 2 * self.channels * squeezed + squeezed + self.channels

    def act(self) -> None:
        """Activations, paddings, pooling, rescaling and merges hold no weights."""

    rescale = add = act

    def pad(self, before: int, after: int | None = None) -> None:
        pass

    def correct_pad(self, kernel: int) -> None:
        pass

    def pool(self, kernel: int, stride: int) -> None:
        pass

    def branch(self) -> _Weights:
        return _Weights(self.channels)

    def merge(self, branch: _Weights, concat: bool = False) -> None:
        """A branch joins the main path: added (its channels match) or concatenated."""
        self.trainable += branch.trainable
        self.non_trainable += branch.non_trainable
        if concat:
            self.channels += branch.channels


class _Walk:
    """Visitor that follows a backbone's feature map and adds up the same costs each of its
    layers' own ``cost`` rule gives (MACs, other operations), for one sample."""

    def __init__(self, height: int, width: int, channels: int) -> None:
        self.h, self.w, self.channels = height, width, channels
        self.macs = 0
        self.ops = 0

    @property
    def size(self) -> int:
        return self.h * self.w * self.channels

    def _window(self, kernel: int, stride: int, padding: str) -> None:
        h, w = conv_length(self.h, kernel, stride, padding), conv_length(self.w, kernel, stride, padding)
        assert h is not None and w is not None
        self.h, self.w = h, w

    def conv(self, filters: int, kernel: int, stride: int = 1, padding: str = "valid", *, bias: bool) -> None:
        channels = self.channels
        self._window(kernel, stride, padding)
        self.channels = filters
        self.macs += self.size * kernel * kernel * channels

    def depthwise(self, kernel: int, stride: int = 1, padding: str = "valid") -> None:
        self._window(kernel, stride, padding)
        self.macs += self.size * kernel * kernel

    def batch_norm(self) -> None:
        self.ops += BATCH_NORM_OPS * self.size

    def normalization(self) -> None:
        self.ops += AFFINE_OPS * self.size

    rescale = normalization

    def squeeze_excite(self, squeezed: int) -> None:
        """Pool to 1x1, two 1x1 convs, then scale every value."""
        self.ops += self.size  # GlobalAveragePooling2D
        self.macs += 2 * self.channels * squeezed
        self.ops += self.size  # Multiply

    def act(self) -> None:
        self.ops += self.size

    add = act

    def pad(self, before: int, after: int | None = None) -> None:
        self.h += before + (before if after is None else after)
        self.w += before + (before if after is None else after)

    def correct_pad(self, kernel: int) -> None:
        """Keras' ``imagenet_utils.correct_pad`` for a known height and width."""
        half = kernel // 2
        self.h += 2 * half - (1 - self.h % 2)
        self.w += 2 * half - (1 - self.w % 2)

    def pool(self, kernel: int, stride: int) -> None:
        self._window(kernel, stride, "valid")
        self.ops += self.size * kernel * kernel

    def branch(self) -> _Walk:
        return _Walk(self.h, self.w, self.channels)

    def merge(self, branch: _Walk, concat: bool = False) -> None:
        self.macs += branch.macs
        self.ops += branch.ops
        if concat:
            self.channels += branch.channels


_V = TypeVar("_V", bound="_Visitor")


class _Visitor(Protocol):
    """What a backbone's layer list calls, layer by layer: :class:`_Weights` or :class:`_Walk`."""

    channels: int

    def conv(self, filters: int, kernel: int, stride: int = 1, padding: str = "valid", *, bias: bool) -> None: ...
    def depthwise(self, kernel: int, stride: int = 1, padding: str = "valid") -> None: ...
    def batch_norm(self) -> None: ...
    def normalization(self) -> None: ...
    def rescale(self) -> None: ...
    def squeeze_excite(self, squeezed: int) -> None: ...
    def act(self) -> None: ...
    def add(self) -> None: ...
    def pad(self, before: int, after: int | None = None) -> None: ...
    def correct_pad(self, kernel: int) -> None: ...
    def pool(self, kernel: int, stride: int) -> None: ...
    def branch(self: _V) -> _V: ...
    def merge(self: _V, branch: _V, concat: bool = False) -> None: ...


def _conv_bn(v: _Visitor, filters: int, kernel: int, stride: int = 1, padding: str = "valid", *, bias: bool,
             act: bool = True) -> None:
    """Conv2D, BatchNormalization and (with ``act``) the activation: the step every backbone repeats."""
    v.conv(filters, kernel, stride, padding, bias=bias)
    v.batch_norm()
    if act:
        v.act()


def _bn_act(v: _Visitor) -> None:
    v.batch_norm()
    v.act()


Layers = Callable[[_Visitor, Config], None]
"""A backbone's layer list, written once: it walks the backbone's block table and calls a
visitor for each layer, so the weight count and the cost cannot drift apart."""


def _backbone_count(title: str, layers: Layers, pads_from_height: bool) -> CountRule:
    """Weights of a backbone: its layer list walked by :class:`_Weights` (and 'train_top_layers' applied)."""
    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        image = check_image_input(title, cfg, inputs, pads_from_height=pads_from_height)
        weights = _Weights(image.channels)
        layers(weights, cfg)
        return (weights.trainable, weights.non_trainable)
    return _top_layers(title, count)


def _backbone_cost(layers: Layers) -> CostRule:
    """MACs and operations of a backbone: its layer list walked by :class:`_Walk` (a known image size only)."""
    def cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
        shape = inputs[0]
        if len(shape) != 4 or None in shape[1:]:
            return None
        _, h, w, c = shape
        assert h is not None and w is not None and c is not None
        walk = _Walk(h, w, c)
        layers(walk, cfg)
        if cfg.get("pooling") in ("avg", "max"):
            walk.ops += walk.size  # GlobalAveragePooling2D / GlobalMaxPooling2D
        return (walk.macs, walk.ops)
    return cost


def _standard_warn(title: str) -> WarnRule:
    def warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
        return [*_channel_warning(title, cfg, inputs), *_weights_warning(title, title, cfg, inputs)]
    return warn


def _backbone_spec(class_name: str, download: str, output: OutputRule, layers: Layers, *,
                   pads_from_height: bool, doc: LayerDoc, extra_params: tuple[Param, ...] = (),
                   warn: WarnRule | None = None) -> LayerSpec:
    """A backbone node: Keras' arguments plus ours, its output rule, and its one layer list walked
    for both its weights and its cost; ``download`` is the ImageNet file's size in words."""
    return LayerSpec(
        class_name=class_name,
        category=CATEGORY,
        module="keras.applications",
        name_prefix=class_name.lower(),  # Keras names them mobilenetv2, resnet50, ...
        params=(_weights_param(download), _pooling_param(), *extra_params, _trainable_param(), *_transfer_params()),
        output=output,
        count=_backbone_count(class_name, layers, pads_from_height),
        cost=_backbone_cost(layers),
        explain=_application_explain,
        warn=warn or _standard_warn(class_name),
        doc=doc,
    )


def _application_explain(ctx: ExplainContext) -> list[str]:
    trainable, frozen = ctx.spec.count(ctx.cfg, ctx.inputs)
    total = trainable + frozen
    split = f"{trainable:,} trainable + {frozen:,} non-trainable (running statistics) = " if frozen else ""
    return [f"{arrow(ctx)}: the whole {ctx.spec.title} without its classifier: {split}{params_text(total)}"]


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round a filter count to a multiple of ``divisor`` without losing more than 10% (Keras' helper)."""
    new_value = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


# --- MobileNetV2 --------------------------------------------------------------------------

# (filters, stride, expansion) of the 17 inverted residual blocks.
_MOBILENET_V2_BLOCKS: tuple[tuple[int, int, int], ...] = (
    (16, 1, 1),
    (24, 2, 6), (24, 1, 6),
    (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
    (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6),
    (320, 1, 6),
)


def mobilenet_v2_last_filters(alpha: float) -> int:
    """The last 1x1 conv keeps 1280 filters unless the network is widened (alpha > 1)."""
    return _make_divisible(1280 * alpha) if alpha > 1.0 else 1280


def _mobilenet_v2_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    image = check_image_input("MobileNetV2", cfg, inputs, pads_from_height=True)
    height = conv_length(image.height, 3, 2, "same")
    width = conv_length(image.width, 3, 2, "same")
    for _, stride, _ in _MOBILENET_V2_BLOCKS:
        if stride == 2:
            height, width = _stride2_valid(height, height, 3), _stride2_valid(height, width, 3)
    return _pooled(image, height, width, mobilenet_v2_last_filters(cfg["alpha"]), cfg)


def _mobilenet_v2_layers(v: _Visitor, cfg: Config) -> None:
    alpha = cfg["alpha"]
    _conv_bn(v, _make_divisible(32 * alpha), 3, 2, "same", bias=False)
    for index, (filters, stride, expansion) in enumerate(_MOBILENET_V2_BLOCKS):
        channels = v.channels
        project = _make_divisible(int(filters * alpha))
        if index:  # the first block does not expand
            _conv_bn(v, expansion * channels, 1, 1, "same", bias=False)
        if stride == 2:
            v.correct_pad(3)
        v.depthwise(3, stride, "same" if stride == 1 else "valid")
        _bn_act(v)
        _conv_bn(v, project, 1, 1, "same", bias=False, act=False)
        if channels == project and stride == 1:
            v.add()
    _conv_bn(v, mobilenet_v2_last_filters(alpha), 1, bias=False)


def _mobilenet_v2_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    warnings = [*_channel_warning("MobileNetV2", cfg, inputs),
                *_weights_warning("MobileNetV2", "MobileNetV2", cfg, inputs)]
    shape = inputs[0]
    if cfg.get("weights") == "imagenet" and len(shape) == 4:
        height, width = shape[1], shape[2]
        if height != width or height not in MOBILENET_V2_WEIGHT_SIZES:
            warnings.append(ShapeError(
                "MobileNetV2 has ImageNet weights only for square 96, 128, 160, 192 or 224 pixel images; "
                f"for images {_size_text(height, width)} Keras loads the 224x224 ones, which may fit less well.",
                port="input",
            ))
    return warnings


MOBILENET_V2 = _backbone_spec(
    "MobileNetV2", "roughly 9 MB", _mobilenet_v2_output, _mobilenet_v2_layers, pads_from_height=True,
    extra_params=(_alpha_param(),),
    warn=_mobilenet_v2_warn,
    doc=LayerDoc(
        summary="A small, fast image backbone built for phones: 17 'inverted residual' blocks that expand "
        "the channels, filter each channel separately (depthwise conv) and squeeze them back. "
        "This node is the whole network without its 1000-class ImageNet classifier.",
        formula="block: 1x1 expand -> 3x3 depthwise -> 1x1 project (+ skip when the shape allows)",
        shape="(None, H, W, C) -> (None, H/32, W/32, 1280) (sizes rounded up), or (None, 1280) with pooling. "
        "The last size is 1280 for alpha <= 1 and grows with alpha above 1.",
        use="Transfer learning on small datasets: weights='imagenet', trainable off, pooling='avg', "
        "then a small Dense head. Train the head first; unfreeze only later, with a low learning rate. "
        "Typical inputs are 96 to 224 pixels square, RGB.",
        mistake="Feeding raw 0-255 pixels: the ImageNet weights expect values in [-1, 1], so put "
        "Rescaling(scale=1/127.5, offset=-1) in front. Unfreezing right away lets the random head's large "
        "gradients wreck the pre-trained features.",
    ),
)


# --- ResNet50 ---------------------------------------------------------------------------

# (filters, blocks, stride of the first block) of the four stages; outputs have 4 x filters channels.
_RESNET50_STAGES: tuple[tuple[int, int, int], ...] = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def _resnet_stem_layers(v: _Visitor, bias: bool) -> None:
    """ResNet and DenseNet: pad 3, 7x7/2 conv, batch norm, relu, pad 1, 3x3/2 max pool."""
    v.pad(3)
    _conv_bn(v, 64, 7, 2, bias=bias)
    v.pad(1)
    v.pool(3, 2)


def _resnet_stem(dim: Dim) -> Dim:
    """ZeroPadding 3 + 7x7 stride-2 conv, then ZeroPadding 1 + 3x3 stride-2 max pool (all 'valid')."""
    dim = conv_length(_padded(dim, 3, 3), 7, 2, "valid")
    return conv_length(_padded(dim, 1, 1), 3, 2, "valid")


def _resnet50_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    image = check_image_input("ResNet50", cfg, inputs, pads_from_height=False)
    height, width = _resnet_stem(image.height), _resnet_stem(image.width)
    for _, _, stride in _RESNET50_STAGES:
        # The first block of a stage downsamples with a 1x1 stride-2 'valid' conv.
        height, width = conv_length(height, 1, stride, "valid"), conv_length(width, 1, stride, "valid")
    return _pooled(image, height, width, 4 * _RESNET50_STAGES[-1][0], cfg)


def _resnet50_layers(v: _Visitor, cfg: Config) -> None:
    _resnet_stem_layers(v, bias=True)
    for filters, blocks, first_stride in _RESNET50_STAGES:
        for block in range(blocks):
            stride = first_stride if block == 0 else 1
            if block == 0:  # 1x1 projection shortcut, on its own copy of the input
                shortcut = v.branch()
                _conv_bn(shortcut, 4 * filters, 1, stride, bias=True, act=False)
                v.merge(shortcut)
            _conv_bn(v, filters, 1, stride, bias=True)
            _conv_bn(v, filters, 3, 1, "same", bias=True)
            _conv_bn(v, 4 * filters, 1, bias=True, act=False)
            v.add()
            v.act()


RESNET50 = _backbone_spec(
    "ResNet50", "roughly 95 MB", _resnet50_output, _resnet50_layers, pads_from_height=False,
    doc=LayerDoc(
        summary="A 50-layer residual network: each block learns a correction that is added to its input "
        "(a skip connection), which lets very deep networks train. This node is the whole network "
        "without its ImageNet classifier.",
        formula="block: y = relu(x + F(x)), F = 1x1 -> 3x3 -> 1x1 conv with batch norm",
        shape="(None, H, W, C) -> (None, H/32, W/32, 2048) (sizes rounded up), or (None, 2048) with pooling.",
        use="A strong general-purpose feature extractor for transfer learning; 224x224 RGB inputs are typical. "
        "Freeze it (trainable off), train a Dense head, then optionally unfreeze with a small learning rate.",
        mistake="Skipping its preprocessing: the ImageNet weights expect BGR images with the ImageNet mean "
        "subtracted (keras.applications.resnet50.preprocess_input), not pixels scaled to [0, 1]. "
        "With about 23.6 million weights it also overfits small datasets quickly when unfrozen.",
    ),
)


# --- EfficientNetB0 -----------------------------------------------------------------------

@dataclass(frozen=True)
class _MBConv:
    """One stage of EfficientNetB0 (Keras' DEFAULT_BLOCKS_ARGS with width and depth 1.0)."""

    kernel: int
    repeats: int
    filters_in: int
    filters_out: int
    expand: int
    stride: int


_EFFICIENTNET_B0_STAGES: tuple[_MBConv, ...] = (
    _MBConv(3, 1, 32, 16, 1, 1),
    _MBConv(3, 2, 16, 24, 6, 2),
    _MBConv(5, 2, 24, 40, 6, 2),
    _MBConv(3, 3, 40, 80, 6, 2),
    _MBConv(5, 3, 80, 112, 6, 1),
    _MBConv(5, 4, 112, 192, 6, 2),
    _MBConv(3, 1, 192, 320, 6, 1),
)
_EFFICIENTNET_SE_RATIO = 0.25
_EFFICIENTNET_B0_TOP = 1280


def _efficientnet_b0_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    image = check_image_input("EfficientNetB0", cfg, inputs, pads_from_height=True)
    height, width = image.height, image.width
    height, width = _stride2_valid(height, height, 3), _stride2_valid(height, width, 3)  # stem conv
    for stage in _EFFICIENTNET_B0_STAGES:
        if stage.stride == 2:
            height, width = (_stride2_valid(height, height, stage.kernel),
                             _stride2_valid(height, width, stage.kernel))
    return _pooled(image, height, width, _EFFICIENTNET_B0_TOP, cfg)


def _efficientnet_b0_layers(v: _Visitor, cfg: Config) -> None:
    v.rescale()  # Rescaling(1/255)
    v.normalization()
    if cfg.get("weights") == "imagenet":
        v.rescale()  # Rescaling by 1/std
    v.correct_pad(3)
    _conv_bn(v, 32, 3, 2, bias=False)
    for stage in _EFFICIENTNET_B0_STAGES:
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            block_in = stage.filters_in if repeat == 0 else stage.filters_out
            if stage.expand != 1:
                _conv_bn(v, block_in * stage.expand, 1, 1, "same", bias=False)
            if stride == 2:
                v.correct_pad(stage.kernel)
            v.depthwise(stage.kernel, stride, "same" if stride == 1 else "valid")
            _bn_act(v)
            v.squeeze_excite(max(1, int(block_in * _EFFICIENTNET_SE_RATIO)))
            _conv_bn(v, stage.filters_out, 1, 1, "same", bias=False, act=False)
            if stride == 1 and block_in == stage.filters_out:
                v.add()  # dropout does nothing at inference
    _conv_bn(v, _EFFICIENTNET_B0_TOP, 1, 1, "same", bias=False)


EFFICIENTNET_B0 = _backbone_spec(
    "EfficientNetB0", "roughly 16 MB", _efficientnet_b0_output, _efficientnet_b0_layers,
    pads_from_height=True,
    doc=LayerDoc(
        summary="The smallest EfficientNet: MobileNet-style blocks with squeeze-and-excitation (each block "
        "learns how much to weigh every channel), with depth, width and resolution balanced by search. "
        "This node is the whole network without its ImageNet classifier.",
        formula="block: 1x1 expand -> kxk depthwise -> squeeze-excite -> 1x1 project (+ skip)",
        shape="(None, H, W, C) -> (None, H/32, W/32, 1280) (sizes rounded up), or (None, 1280) with pooling.",
        use="Accurate transfer learning for its size; 224x224 RGB is its native input. "
        "It rescales and normalises pixels itself (its first layers), so feed it raw 0-255 images.",
        mistake="Adding Rescaling(1/255) in front: the model already divides by 255 inside, so the images end "
        "up almost black. Also unfreezing the whole backbone before the new head has trained.",
    ),
)


# --- VGG16 ------------------------------------------------------------------------------

# Filters of the 3x3 'same' convs in each of the five blocks; each block ends in a 2x2 max pool.
_VGG16_BLOCKS: tuple[tuple[int, ...], ...] = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
                                               (512, 512, 512))


def _vgg16_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    image = check_image_input("VGG16", cfg, inputs, pads_from_height=False)
    height, width = image.height, image.width
    for _ in _VGG16_BLOCKS:
        height, width = conv_length(height, 2, 2, "valid"), conv_length(width, 2, 2, "valid")
    return _pooled(image, height, width, _VGG16_BLOCKS[-1][-1], cfg)


def _vgg16_layers(v: _Visitor, cfg: Config) -> None:
    for block in _VGG16_BLOCKS:
        for filters in block:
            v.conv(filters, 3, 1, "same", bias=True)  # relu fused into the conv: not counted
        v.pool(2, 2)


VGG16 = _backbone_spec(
    "VGG16", "roughly 59 MB", _vgg16_output, _vgg16_layers, pads_from_height=False,
    doc=LayerDoc(
        summary="A classic, plain CNN: 13 3x3 convolutions in five blocks, each block ending in a 2x2 max "
        "pool. No skips and no batch norm, so it is easy to read but heavy. This node is the network "
        "without its three large Dense layers.",
        formula="block: (3x3 conv + relu) x 2 or 3 -> 2x2 max pool",
        shape="(None, H, W, C) -> (None, H/32, W/32, 512) (sizes rounded down), or (None, 512) with pooling.",
        use="Teaching how CNN features grow from edges to objects, feature visualisation and style transfer; "
        "224x224 RGB is typical. For accuracy per weight, ResNet or EfficientNet do better.",
        mistake="Flattening its 7x7x512 output into a big Dense layer, which adds millions of weights; "
        "pooling='avg' is usually enough. Like ResNet50 it expects Caffe-style preprocessing "
        "(keras.applications.vgg16.preprocess_input), not [0, 1] pixels.",
    ),
)


# --- DenseNet121 --------------------------------------------------------------------------

_DENSENET121_BLOCKS: tuple[int, ...] = (6, 12, 24, 16)
_DENSENET_GROWTH = 32
_DENSENET_REDUCTION = 0.5


def _densenet121_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    image = check_image_input("DenseNet121", cfg, inputs, pads_from_height=False)
    height, width = _resnet_stem(image.height), _resnet_stem(image.width)
    channels = 2 * _DENSENET_GROWTH
    for index, blocks in enumerate(_DENSENET121_BLOCKS):
        channels += blocks * _DENSENET_GROWTH
        if index < len(_DENSENET121_BLOCKS) - 1:
            # Transition: 1x1 conv halving the channels, then a 2x2 stride-2 average pool.
            channels = int(channels * _DENSENET_REDUCTION)
            height, width = conv_length(height, 2, 2, "valid"), conv_length(width, 2, 2, "valid")
    return _pooled(image, height, width, channels, cfg)


def _densenet121_layers(v: _Visitor, cfg: Config) -> None:
    _resnet_stem_layers(v, bias=False)
    for index, blocks in enumerate(_DENSENET121_BLOCKS):
        for _ in range(blocks):
            branch = v.branch()
            _bn_act(branch)
            _conv_bn(branch, 4 * _DENSENET_GROWTH, 1, bias=False)
            branch.conv(_DENSENET_GROWTH, 3, 1, "same", bias=False)
            v.merge(branch, concat=True)
        if index < len(_DENSENET121_BLOCKS) - 1:
            # Transition: 1x1 conv halving the channels, then a 2x2 stride-2 average pool.
            _bn_act(v)
            v.conv(int(v.channels * _DENSENET_REDUCTION), 1, bias=False)
            v.pool(2, 2)
    _bn_act(v)


DENSENET121 = _backbone_spec(
    "DenseNet121", "roughly 29 MB", _densenet121_output, _densenet121_layers, pads_from_height=False,
    doc=LayerDoc(
        summary="A densely connected network: inside a block every layer receives the feature maps of all "
        "layers before it (concatenated), and adds 32 new channels. Transitions between the four blocks "
        "halve the channels and the image size. This node is the network without its ImageNet classifier.",
        formula="layer: x = concat(x, conv3x3(conv1x1(x))); transition: 1x1 conv (channels / 2) + 2x2 avg pool",
        shape="(None, H, W, C) -> (None, about H/32, about W/32, 1024), or (None, 1024) with pooling.",
        use="Transfer learning where weights are scarce: about 7 million weights, yet accurate. Popular for "
        "medical images; 224x224 RGB is typical.",
        mistake="Forgetting its preprocessing: the ImageNet weights expect pixels scaled to [0, 1] and then "
        "normalised by the ImageNet mean and standard deviation (keras.applications.densenet.preprocess_input).",
    ),
)


SPECS: tuple[LayerSpec, ...] = (MOBILENET_V2, RESNET50, EFFICIENTNET_B0, VGG16, DENSENET121)

