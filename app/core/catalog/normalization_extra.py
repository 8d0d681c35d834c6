"""More normalization and regularization layers: GroupNormalization, RMSNormalization,
SpectralNormalization (a wrapper), AlphaDropout and SpatialDropout3D."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog.core_layers import DENSE
from app.core.catalog.costs import LAYER_NORM_OPS, free, full_config, layer_cost, per_output
from app.core.catalog.normalization import (
    CATEGORY,
    DATA_FORMATS,
    REGULARIZATION_CATEGORY,
    _spatial_dropout_output,
    check_axes,
    known_axis_sizes,
    resolve_axes,
)
from app.core.catalog.recurrent import _inner_count, _wrapped, layer_value, wrapped_problem
from app.core.catalog.spec import (
    Config,
    Cost,
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    Shape,
    ShapeError,
    base_params,
    constraint,
    initializer,
    no_weights,
    rate,
    regularizer,
    same_shape,
    seed,
)

# --- GroupNormalization ---------------------------------------------------------------------

def _check_groups(value: Any) -> str | None:
    if value == -1 or (isinstance(value, int) and value >= 1):
        return None
    return f"'groups' must be a whole number ≥ 1, or -1 for one group per channel (got {value!r})"


def _group_dim(cfg: Config, shape: Shape) -> int:
    (axis,) = resolve_axes(cfg["axis"], shape, "GroupNormalization")
    (dim,) = known_axis_sizes(shape, [axis], "GroupNormalization", "learn a scale and offset per channel")
    groups = dim if cfg["groups"] == -1 else cfg["groups"]
    if dim < groups or dim % groups:
        raise ShapeError(
            f"GroupNormalization: the {dim} channels on axis {cfg['axis']} cannot be split into {groups} equal "
            f"groups. Use a groups value that divides {dim}.",
            port="input",
            fix=Fix("Set groups to -1 (one group per channel)", {"op": "set_param", "param": "groups", "value": -1}),
        )
    return dim


def _group_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _group_dim(cfg, inputs[0])
    return tuple(inputs[0])


def _group_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    dim = _group_dim(cfg, inputs[0])
    return (dim * (int(cfg["scale"]) + int(cfg["center"])), 0)


GROUP_NORMALIZATION = LayerSpec(
    class_name="GroupNormalization",
    cost=per_output(LAYER_NORM_OPS),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("groups", ParamKind.INT, 32, "Number of channel groups normalized together; -1 for one group per "
              "channel (instance normalization), 1 for all channels (layer normalization).", check=_check_groups),
        Param("axis", ParamKind.INT, -1, "The channel axis."),
        Param("epsilon", ParamKind.FLOAT, 0.001, "Small number added to the variance to avoid dividing by 0.",
              minimum=0.0, advanced=True),
        Param("center", ParamKind.BOOL, True, "Learn an offset (beta) per channel."),
        Param("scale", ParamKind.BOOL, True, "Learn a scale (gamma) per channel."),
        initializer("beta_initializer", "zeros"),
        initializer("gamma_initializer", "ones"),
        regularizer("beta_regularizer"),
        regularizer("gamma_regularizer"),
        constraint("beta_constraint"),
        constraint("gamma_constraint"),
    ),
    output=_group_output,
    count=_group_count,
    doc=LayerDoc(
        summary="Splits the channels into groups and normalizes each group of each sample on its own: no "
        "batch statistics, so it works the same for a batch of 2 as for 256.",
        formula="y = γ · (x − mean_g) / √(var_g + ε) + β, mean and variance over the group's channels and "
        "positions",
        shape="Output shape equals input shape. Weights: 2 × channels (γ and β).",
        use="Image models trained with small batches (detection, segmentation, diffusion U-Nets), where "
        "BatchNormalization's statistics are too noisy.",
        mistake="Keeping the default 32 groups on a layer with fewer channels, or a count that 32 does not "
        "divide.",
    ),
)


# --- RMSNormalization -----------------------------------------------------------------------

def _rms_sizes(cfg: Config, shape: Shape) -> list[int]:
    axes = resolve_axes(cfg["axis"], shape, "RMSNormalization")
    return known_axis_sizes(shape, axes, "RMSNormalization", "learn a scale for each position")


def _rms_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _rms_sizes(cfg, inputs[0])
    return tuple(inputs[0])


def _rms_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    total = 1
    for d in _rms_sizes(cfg, inputs[0]):
        total *= d
    return (total, 0)


RMS_NORMALIZATION = LayerSpec(
    class_name="RMSNormalization",
    cost=per_output(LAYER_NORM_OPS),
    category=CATEGORY,
    name_prefix="rms_normalization",
    params=(
        *base_params(),
        Param("axis", ParamKind.JSON, -1, "Axis (or list of axes) normalized.", check=check_axes),
        Param("epsilon", ParamKind.FLOAT, 1e-06, "Small number added to avoid dividing by 0.", minimum=0.0,
              advanced=True),
    ),
    output=_rms_output,
    count=_rms_count,
    doc=LayerDoc(
        summary="Divides each vector by its root mean square and multiplies by a learned scale; unlike "
        "LayerNormalization it does not subtract the mean and has no offset.",
        formula="y = x / √(mean(x²) + ε) · scale",
        shape="Output shape equals input shape. Weights: one scale per feature of the normalized axes.",
        use="Transformer blocks of recent language models (LLaMA, Gemma), where it is cheaper than "
        "LayerNormalization and works as well.",
        mistake="Normalizing over the time axis instead of the features (-1).",
    ),
)


# --- SpectralNormalization ------------------------------------------------------------------

SPECTRAL_CLASSES: tuple[str, ...] = (
    "Dense", "EinsumDense", "Embedding", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose",
)
"""Layers with the ``kernel`` (or ``embeddings``) SpectralNormalization rescales."""


def _spectral_check(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    return wrapped_problem(value, "layer")


def _kernel_columns(class_name: str, inner: Config, shape: Shape) -> int:
    """The last axis of the wrapped layer's kernel: SpectralNormalization keeps one vector that long."""
    if class_name == "Dense":
        return int(inner["units"])
    if class_name == "Embedding":
        return int(inner["output_dim"])
    if class_name == "EinsumDense":
        from app.core.catalog.core_extra import einsum_analysis

        kernel, _, _ = einsum_analysis(inner, shape)
        return int(kernel[-1] or 0)
    if class_name.endswith("Transpose"):
        fmt = inner["data_format"]
        channels = shape[1] if fmt == "channels_first" else shape[-1]
        return int(channels or 0)
    return int(inner["filters"])


def _spectral_parts(cfg: Config, shape: Shape) -> tuple[LayerSpec, dict[str, Any]]:
    spec, inner = _wrapped(cfg)
    if spec.class_name not in SPECTRAL_CLASSES:
        raise ShapeError(f"SpectralNormalization cannot wrap {spec.class_name}: it has no kernel to normalize.")
    return spec, inner


def _spectral_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    spec, inner = _spectral_parts(cfg, inputs[0])
    return spec.output(inner, [inputs[0]])


def _spectral_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    spec, inner = _spectral_parts(cfg, inputs[0])
    trainable, frozen = _inner_count(spec, inner, inputs[0])
    return (trainable, frozen + _kernel_columns(spec.class_name, inner, inputs[0]))


def _spectral_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """The wrapped layer's cost (the power iteration runs only while training)."""
    class_name, inner = full_config(cfg["layer"])
    return layer_cost(class_name, inner, inputs, output)


SPECTRAL_NORMALIZATION = LayerSpec(
    class_name="SpectralNormalization",
    cost=_spectral_cost,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("layer", ParamKind.LAYER, layer_value("Dense", DENSE.default_config()),
              "The layer whose weights are normalized.",
              choices=SPECTRAL_CLASSES, required=True, check=_spectral_check),
        Param("power_iterations", ParamKind.INT, 1, "Power-method steps per training step to estimate the "
              "largest singular value.", minimum=1, advanced=True),
    ),
    output=_spectral_output,
    count=_spectral_count,
    doc=LayerDoc(
        summary="Wraps a Dense or convolution layer and divides its kernel by its largest singular value, so "
        "the layer can never stretch its input by more than a factor of 1.",
        formula="W ← W / σ(W), σ estimated by power iteration with a stored vector u",
        shape="The wrapped layer's shape. Weights: the wrapped layer's, plus a non-trainable vector u as long "
        "as the kernel's last axis.",
        use="GAN discriminators (SN-GAN), where it keeps training stable.",
        mistake="Wrapping a layer without weights, such as Dropout: there is no kernel to normalize.",
    ),
)


# --- AlphaDropout / SpatialDropout3D ----------------------------------------------------------

ALPHA_DROPOUT = LayerSpec(
    class_name="AlphaDropout",
    cost=free,
    category=REGULARIZATION_CATEGORY,
    params=(
        *base_params(),
        rate(default=0.1),
        seed(),
        Param("noise_shape", ParamKind.JSON, None, "Shape of the dropout mask.", nullable=True, advanced=True),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Dropout for self-normalizing networks: dropped values are set to SELU's negative limit and "
        "the result is rescaled so the mean and variance stay the same. Does nothing at inference.",
        formula="y = a · (x · m + α′ · (1 − m)) + b, m ~ Bernoulli(1 − rate)",
        shape="Output shape equals input shape.",
        use="With the 'selu' activation and 'lecun_normal' initializer, where plain Dropout would break the "
        "self-normalization.",
        mistake="Using it with ReLU networks, where plain Dropout is the right choice.",
    ),
)

SPATIAL_DROPOUT_3D = LayerSpec(
    class_name="SpatialDropout3D",
    cost=free,
    category=REGULARIZATION_CATEGORY,
    name_prefix="spatial_dropout3d",
    params=(
        rate(text="Fraction of feature maps (channels) to drop."),
        seed(),
        base_params()[1],
        Param("data_format", ParamKind.CHOICE, "channels_last", "Where the channels axis is.",
              choices=DATA_FORMATS, advanced=True),
    ),
    output=_spatial_dropout_output(
        5, "SpatialDropout3D",
        "It drops whole feature maps of a volume batch (None, depth, height, width, channels). For images use "
        "SpatialDropout2D, for flat vectors Dropout.",
    ),
    count=no_weights,
    doc=LayerDoc(
        summary="Dropout for volumes: during training it drops entire 3-D feature maps (channels) instead of "
        "single voxels. Does nothing at inference.",
        formula="y[:, d, i, j, c] = x[:, d, i, j, c] · m[c] / (1 − rate), one mask value per channel",
        shape="(None, depth, height, width, channels) -> same shape.",
        use="Between Conv3D blocks of video or scan models.",
        mistake="Putting it after Flatten or Dense; it needs a 5-D batch. Use Dropout there.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (
    GROUP_NORMALIZATION,
    RMS_NORMALIZATION,
    SPECTRAL_NORMALIZATION,
    ALPHA_DROPOUT,
    SPATIAL_DROPOUT_3D,
)
