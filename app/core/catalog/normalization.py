"""Normalization layers (BatchNormalization, LayerNormalization, UnitNormalization) and the
regularization layers that only act during training (spatial dropout, Gaussian noise,
activity penalties)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.catalog.costs import BATCH_NORM_OPS, LAYER_NORM_OPS, UNIT_NORM_OPS, free, per_output
from app.core.catalog.explaining import arrow, dropout_explain, no_weights_sentence, params_text
from app.core.catalog.rules import elements, fmt_shape, normalize_axis, require_rank
from app.core.catalog.spec import (
    Config,
    ExplainContext,
    Fix,
    LayerDoc,
    LayerSpec,
    OutputRule,
    Param,
    ParamKind,
    Sentence,
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

CATEGORY = "Normalization"
REGULARIZATION_CATEGORY = "Regularization"

DATA_FORMATS = ("channels_last", "channels_first")


# --- shared helpers ------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_axes(value: Any) -> str | None:
    """``axis`` given as one whole number or a non-empty list of different whole numbers."""
    if _is_int(value):
        return None
    if not isinstance(value, (list, tuple)) or not value:
        return "'axis' must be a whole number such as -1, or a list such as [1, 2]"
    if not all(_is_int(a) for a in value):
        return f"'axis' must contain only whole numbers (got {list(value)})"
    if len(set(value)) != len(value):
        return f"'axis' lists the same axis twice (got {list(value)})"
    return None


def resolve_axes(axis: int | Sequence[int], shape: Shape, layer: str) -> list[int]:
    """The axes as positive indices, refusing ones that do not exist or appear twice
    (-1 and 2 are the same axis of a 3-D tensor; Keras then fails on the first batch)."""
    rank = len(shape)
    raw: list[int] = [axis] if isinstance(axis, int) else list(axis)
    resolved: list[int] = []
    for a in raw:
        index = a + rank if a < 0 else a
        if not 0 <= index < rank:
            valid = f"0..{rank - 1} or -{rank}..-1"
            raise ShapeError(
                f"{layer}: axis {a} does not exist in the {rank}-D input {fmt_shape(shape)}; "
                f"valid axes are {valid}. Usually you want -1, the last axis (features or channels).",
                port="input",
                fix=Fix("Set axis to -1", {"op": "set_param", "param": "axis", "value": -1}),
            )
        if index in resolved:
            raise ShapeError(
                f"{layer}: axis {raw} names axis {index} twice ({a} is the same axis as {index} "
                f"in a {rank}-D input). List each axis once.",
                port="input",
            )
        resolved.append(index)
    return resolved


def known_axis_sizes(shape: Shape, axes: Sequence[int], layer: str, why: str) -> list[int]:
    """Sizes of the axes a layer learns weights (or statistics) for: all must be known."""
    sizes: list[int] = []
    for index in axes:
        dim = shape[index]
        if dim is None:
            if index == 0:
                raise ShapeError(
                    f"{layer}: axis {index} is the batch axis, whose size is unknown (None), "
                    f"so it cannot {why}. Pick a feature axis instead, usually -1.",
                    port="input",
                    fix=Fix("Set axis to -1", {"op": "set_param", "param": "axis", "value": -1}),
                )
            raise ShapeError(
                f"{layer}: axis {index} of the input {fmt_shape(shape)} has an unknown size (None), "
                f"so it cannot {why}. Give that axis a fixed size in the Input shape.",
                port="input",
            )
        sizes.append(dim)
    return sizes


def _axis_param(default: Any, text: str) -> Param:
    return Param("axis", ParamKind.JSON, default, text, check=check_axes)


def _check_renorm_clipping(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "'renorm_clipping' must be empty or a mapping such as {\"rmax\": 3, \"rmin\": 0.33, \"dmax\": 5}"
    unknown = sorted(set(value) - {"rmax", "rmin", "dmax"})
    if unknown:
        return f"'renorm_clipping' only takes the keys rmax, rmin and dmax (got {', '.join(unknown)})"
    for key, number in value.items():
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))):
            return f"'renorm_clipping' {key} must be a number (got {number!r})"
    rmax, rmin, dmax = value.get("rmax"), value.get("rmin"), value.get("dmax")
    if rmax is not None and rmin is not None and rmax < rmin:
        return f"'renorm_clipping' needs rmax ≥ rmin (got rmax={rmax}, rmin={rmin})"
    if dmax is not None and dmax < 0:
        return f"'renorm_clipping' dmax must be ≥ 0 (got {dmax})"
    return None


# --- BatchNormalization -----------------------------------------------------------------------

def _batch_norm_channels(cfg: Config, inputs: Sequence[Shape]) -> int:
    (shape,) = inputs
    if len(shape) < 2:
        raise ShapeError(
            f"BatchNormalization needs at least a 2-D input (None, features) but gets {fmt_shape(shape)}.",
            port="input",
        )
    (index,) = resolve_axes(cfg["axis"], shape, "BatchNormalization")
    (channels,) = known_axis_sizes(shape, [index], "BatchNormalization", "learn one scale and shift per entry")
    return channels


def _batch_norm_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _batch_norm_channels(cfg, inputs)
    return tuple(inputs[0])


def _batch_norm_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    channels = _batch_norm_channels(cfg, inputs)
    trainable = channels * (int(bool(cfg["scale"])) + int(bool(cfg["center"])))
    # moving mean and variance; renorm adds a moving stddev and the renorm mean and stddev.
    frozen = channels * (5 if cfg["renorm"] else 2)
    return (trainable, frozen)


# --- Explanation rules --------------------------------------------------------------------------

def _batch_norm_explain(ctx: ExplainContext) -> Sentence:
    cfg = ctx.cfg
    axis = cfg["axis"]
    channels = ctx.shape_in[axis]
    assert channels is not None
    learned = [name for name, on in (("gamma", cfg["scale"]), ("beta", cfg["center"])) if on]
    stats = ["moving mean", "moving variance"]
    if cfg["renorm"]:
        stats += ["moving stddev", "renorm mean", "renorm stddev"]
    trainable, frozen = channels * len(learned), channels * len(stats)
    parts = []
    if learned:
        parts.append(f"{' and '.join(learned)} are learned ({channels} x {len(learned)} = {trainable:,})")
    parts.append(f"the {', '.join(stats[:-1])} and {stats[-1]} are not ({channels} x {len(stats)} = {frozen:,})")
    total = trainable + frozen
    sums = f"{trainable:,} + {frozen:,} = " if learned else ""
    return (f"{arrow(ctx)}: for each of the {channels} entries of axis {axis}, {', '.join(parts)}: "
            f"{sums}{params_text(total)}", total)


def _layer_norm_explain(ctx: ExplainContext) -> Sentence:
    cfg = ctx.cfg
    axis = cfg["axis"]
    axes = [axis] if isinstance(axis, int) else list(axis)
    sizes = [ctx.shape_in[a] for a in axes]
    n = elements(sizes)
    assert n is not None
    rms = bool(cfg["rms_scaling"])
    learned = [name for name, on in (("gamma", cfg["scale"] or rms), ("beta", cfg["center"] and not rms)) if on]
    total = n * len(learned)
    what = f"{n} x ({' + '.join(learned)}) = {params_text(total)}" if learned else params_text(0)
    rank = len(ctx.shape_in)
    kept = [d for i, d in enumerate(ctx.shape_in) if i and i not in {a % rank for a in axes}]
    positions = elements(kept)
    if kept and positions != 1:
        who = f"each of the {positions:,} positions" if positions is not None else "each position"
    else:
        who = "each sample"
    return f"{arrow(ctx)}: {who} is normalized over its {n:,} values (axis {axis}); {what}", total


_unit_norm_explain = no_weights_sentence("scales each vector along axis {cfg[axis]} to length 1")
_gaussian_noise_explain = no_weights_sentence(
    "adds random noise with standard deviation {cfg[stddev]:g} while training; nothing at inference")
_gaussian_dropout_explain = no_weights_sentence(
    "multiplies every value by random noise around 1 (rate {cfg[rate]:g}) while training; nothing at inference")
_activity_regularization_explain = no_weights_sentence(
    "passes the values through unchanged and adds l1 {cfg[l1]:g} and l2 {cfg[l2]:g} penalties on them to the loss")


BATCH_NORMALIZATION = LayerSpec(
    class_name="BatchNormalization",
    cost=per_output(BATCH_NORM_OPS),
    explain=_batch_norm_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("axis", ParamKind.INT, -1, "The channel/feature axis; -1 (last) for channels_last images and vectors."),
        Param("momentum", ParamKind.FLOAT, 0.99, "How slowly the running mean and variance follow new batches.",
              minimum=0.0, maximum=1.0),
        Param("epsilon", ParamKind.FLOAT, 0.001, "Small number added to the variance to avoid dividing by zero.",
              minimum=0.0, exclusive_minimum=True, advanced=True),
        Param("center", ParamKind.BOOL, True, "Learn a shift (beta) per channel."),
        Param("scale", ParamKind.BOOL, True, "Learn a scale (gamma) per channel."),
        initializer("beta_initializer", "zeros"),
        initializer("gamma_initializer", "ones"),
        initializer("moving_mean_initializer", "zeros"),
        initializer("moving_variance_initializer", "ones"),
        regularizer("beta_regularizer"),
        regularizer("gamma_regularizer"),
        constraint("beta_constraint"),
        constraint("gamma_constraint"),
        Param("synchronized", ParamKind.BOOL, False, "Share batch statistics across devices (TensorFlow only).",
              advanced=True),
        Param("renorm", ParamKind.BOOL, False, "Batch renormalization: corrects for small or unrepresentative "
              "batches, at the cost of three more stored vectors.", advanced=True),
        Param("renorm_clipping", ParamKind.JSON, None, "Limits rmax, rmin, dmax for renormalization.",
              nullable=True, advanced=True, check=_check_renorm_clipping),
        Param("renorm_momentum", ParamKind.FLOAT, 0.99, "Momentum of the renormalization statistics.",
              minimum=0.0, maximum=1.0, advanced=True),
    ),
    output=_batch_norm_output,
    count=_batch_norm_count,
    doc=LayerDoc(
        summary="Normalizes each channel with statistics of the current batch while training, and with running "
        "averages of them at inference, then applies a learned scale and shift.",
        formula="y = γ · (x − mean) / √(variance + ε) + β",
        shape="Output shape equals input shape. Weights: γ and β (trainable) plus the running mean and variance "
        "(non-trainable), one of each per entry of the chosen axis.",
        use="Between a convolution or Dense layer and its activation, to train faster and more stably with "
        "higher learning rates.",
        mistake="Using it with tiny batches (1–4 samples): the batch statistics are then too noisy. "
        "Also, the layer behaves differently in training and inference, so a model that looks fine while "
        "training can surprise you if the running averages have not settled.",
    ),
)


# --- LayerNormalization ---------------------------------------------------------------------

def _layer_norm_vectors(cfg: Config) -> int:
    """How many weight vectors (gamma, beta) the layer learns."""
    rms = bool(cfg["rms_scaling"])
    return int(bool(cfg["scale"]) or rms) + int(bool(cfg["center"]) and not rms)


def _layer_norm_sizes(cfg: Config, inputs: Sequence[Shape]) -> list[int]:
    """Sizes of the normalized axes; they must be known only when there are weights to size."""
    (shape,) = inputs
    axes = sorted(resolve_axes(cfg["axis"], shape, "LayerNormalization"))
    if not _layer_norm_vectors(cfg):
        return []
    return known_axis_sizes(shape, axes, "LayerNormalization", "learn a scale and shift for it")


def _layer_norm_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _layer_norm_sizes(cfg, inputs)
    return tuple(inputs[0])


def _layer_norm_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    sizes = _layer_norm_sizes(cfg, inputs)
    return ((elements(sizes) or 0) * _layer_norm_vectors(cfg), 0)


def _layer_norm_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    if not cfg["rms_scaling"]:
        return []
    return [ShapeError(
        "LayerNormalization: rms_scaling is deprecated in Keras (it divides by the variance, not the root mean "
        "square). Use the RMSNormalization layer instead.",
        port="input",
        fix=Fix("Turn rms_scaling off", {"op": "set_param", "param": "rms_scaling", "value": False}),
    )]


LAYER_NORMALIZATION = LayerSpec(
    class_name="LayerNormalization",
    cost=per_output(LAYER_NORM_OPS),
    explain=_layer_norm_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        _axis_param(-1, "Axis (or list of axes) each sample is normalized over; -1 is the feature axis."),
        Param("epsilon", ParamKind.FLOAT, 0.001, "Small number added to the variance to avoid dividing by zero.",
              minimum=0.0, exclusive_minimum=True, advanced=True),
        Param("center", ParamKind.BOOL, True, "Learn a shift (beta)."),
        Param("scale", ParamKind.BOOL, True, "Learn a scale (gamma)."),
        Param("rms_scaling", ParamKind.BOOL, False, "Deprecated; use the RMSNormalization layer instead.",
              advanced=True),
        initializer("beta_initializer", "zeros"),
        initializer("gamma_initializer", "ones"),
        regularizer("beta_regularizer"),
        regularizer("gamma_regularizer"),
        constraint("beta_constraint"),
        constraint("gamma_constraint"),
    ),
    output=_layer_norm_output,
    count=_layer_norm_count,
    warn=_layer_norm_warn,
    doc=LayerDoc(
        summary="Normalizes each sample on its own, over its features, then applies a learned scale and shift. "
        "Unlike BatchNormalization it does not depend on the other samples in the batch.",
        formula="y = γ · (x − mean(x)) / √(var(x) + ε) + β, statistics taken over the chosen axes of one sample",
        shape="Output shape equals input shape. γ and β each have the size of the normalized axes "
        "(features for axis -1).",
        use="Transformers and recurrent networks, and whenever batches are small or of varying length.",
        mistake="Normalizing over the time axis of a sequence as well (axis=[1, 2]) when you meant each "
        "timestep on its own (axis=-1); it also ties the weights to a fixed sequence length.",
    ),
)


# --- UnitNormalization ----------------------------------------------------------------------

def _unit_norm_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    resolve_axes(cfg["axis"], shape, "UnitNormalization")
    return tuple(shape)


def _unit_norm_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    (shape,) = inputs
    axis = cfg["axis"]
    raw = [axis] if _is_int(axis) else list(axis)
    if not any(normalize_axis(a, len(shape), "UnitNormalization") == 0 for a in raw):
        return []
    return [ShapeError(
        "UnitNormalization normalizes over axis 0, the batch axis: each sample then depends on the others "
        "in its batch. You almost always want the feature axis, -1.",
        port="input",
        fix=Fix("Set axis to -1", {"op": "set_param", "param": "axis", "value": -1}),
    )]


UNIT_NORMALIZATION = LayerSpec(
    class_name="UnitNormalization",
    cost=per_output(UNIT_NORM_OPS),
    explain=_unit_norm_explain,
    category=CATEGORY,
    params=(*base_params(), _axis_param(-1, "Axis (or list of axes) whose vector is scaled to length 1.")),
    output=_unit_norm_output,
    count=no_weights,
    warn=_unit_norm_warn,
    doc=LayerDoc(
        summary="Scales each vector to length 1 (L2 norm), keeping only its direction.",
        formula="y = x / ‖x‖₂, the norm taken over the chosen axes",
        shape="Output shape equals input shape; there are no weights.",
        use="Before comparing embeddings with a dot product (which then equals cosine similarity), e.g. in "
        "face recognition or retrieval models.",
        mistake="Normalizing over the wrong axis, such as the batch axis 0 or the time axis, instead of the "
        "feature axis -1.",
    ),
)


# --- Regularization -----------------------------------------------------------------------------

def _spatial_dropout_output(rank: int, layer: str, hint: str) -> OutputRule:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        require_rank(shape, rank, layer, hint=hint)
        return tuple(shape)

    return output


_SPATIAL_DTYPE = base_params()[1]

SPATIAL_DROPOUT_1D = LayerSpec(
    class_name="SpatialDropout1D",
    cost=free,
    explain=dropout_explain("channels (whole feature maps)"),
    category=REGULARIZATION_CATEGORY,
    name_prefix="spatial_dropout1d",
    params=(rate(text="Fraction of feature channels to drop."), seed(), _SPATIAL_DTYPE),
    output=_spatial_dropout_output(
        3, "SpatialDropout1D",
        "It drops whole feature channels of a sequence (None, timesteps, features). For a flat vector use "
        "Dropout; for images use SpatialDropout2D.",
    ),
    count=no_weights,
    doc=LayerDoc(
        summary="Dropout for sequences: during training it drops entire feature channels for all timesteps at "
        "once instead of single values. Does nothing at inference.",
        formula="y[:, t, c] = x[:, t, c] · m[c] / (1 − rate), one mask value m[c] per channel",
        shape="(None, timesteps, features) -> same shape.",
        use="After Conv1D or Embedding layers, where neighbouring timesteps are strongly correlated so plain "
        "Dropout hardly regularizes.",
        mistake="Using it on a flat vector after Dense; it needs a 3-D sequence. Use Dropout there.",
    ),
)

SPATIAL_DROPOUT_2D = LayerSpec(
    class_name="SpatialDropout2D",
    cost=free,
    explain=dropout_explain("channels (whole feature maps)"),
    category=REGULARIZATION_CATEGORY,
    name_prefix="spatial_dropout2d",
    params=(
        rate(text="Fraction of feature maps (channels) to drop."),
        seed(),
        _SPATIAL_DTYPE,
        Param("data_format", ParamKind.CHOICE, "channels_last", "Where the channels axis is.",
              choices=DATA_FORMATS, advanced=True),
    ),
    output=_spatial_dropout_output(
        4, "SpatialDropout2D",
        "It drops whole feature maps of an image batch (None, height, width, channels). For a flat vector use "
        "Dropout; for sequences use SpatialDropout1D.",
    ),
    count=no_weights,
    doc=LayerDoc(
        summary="Dropout for images: during training it drops entire feature maps (channels) instead of single "
        "pixels. Does nothing at inference.",
        formula="y[:, i, j, c] = x[:, i, j, c] · m[c] / (1 − rate), one mask value m[c] per channel",
        shape="(None, height, width, channels) -> same shape.",
        use="Between convolution blocks: neighbouring pixels are so correlated that dropping single pixels "
        "barely regularizes, dropping whole channels does.",
        mistake="Putting it after Flatten or Dense; it needs a 4-D image batch. Use Dropout there.",
    ),
)

GAUSSIAN_NOISE = LayerSpec(
    class_name="GaussianNoise",
    cost=free,
    explain=_gaussian_noise_explain,
    category=REGULARIZATION_CATEGORY,
    params=(
        *base_params(),
        Param("stddev", ParamKind.FLOAT, 0.1, "Standard deviation of the noise added during training.",
              minimum=0.0, maximum=1.0, required=True),
        seed(),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="During training, adds random noise with mean 0 to every value; does nothing at inference.",
        formula="y = x + n, n ~ Normal(0, stddev²)",
        shape="Output shape equals input shape.",
        use="A light regularizer and a cheap form of data augmentation for real-valued inputs such as "
        "sensor data.",
        mistake="Choosing a stddev that is large compared with the scale of the data, which drowns the signal; "
        "normalize the inputs first.",
    ),
)

GAUSSIAN_DROPOUT = LayerSpec(
    class_name="GaussianDropout",
    cost=free,
    explain=_gaussian_dropout_explain,
    category=REGULARIZATION_CATEGORY,
    params=(
        *base_params(),
        rate(default=0.1, text="Drop probability; the noise stddev is √(rate / (1 − rate))."),
        seed(),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="During training, multiplies every value by random noise centred on 1 instead of zeroing "
        "values; does nothing at inference.",
        formula="y = x · n, n ~ Normal(1, rate / (1 − rate))",
        shape="Output shape equals input shape.",
        use="Where you would use Dropout but want a smoother, never fully zero, perturbation.",
        mistake="Expecting it to remove units the way Dropout does; values are only rescaled at random.",
    ),
)

ACTIVITY_REGULARIZATION = LayerSpec(
    class_name="ActivityRegularization",
    cost=free,
    explain=_activity_regularization_explain,
    category=REGULARIZATION_CATEGORY,
    params=(
        *base_params(),
        Param("l1", ParamKind.FLOAT, 0.0, "Weight of the L1 penalty (sum of absolute values).", minimum=0.0),
        Param("l2", ParamKind.FLOAT, 0.0, "Weight of the L2 penalty (sum of squares).", minimum=0.0),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Passes its input through unchanged but adds a penalty on the size of the values to the loss.",
        formula="loss += l1 · Σ|x| + l2 · Σx²",
        shape="Output shape equals input shape.",
        use="To push a layer's outputs towards small or sparse values, e.g. the code of a sparse autoencoder.",
        mistake="Leaving both l1 and l2 at 0, which makes the layer do nothing at all.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (
    BATCH_NORMALIZATION,
    LAYER_NORMALIZATION,
    UNIT_NORMALIZATION,
    SPATIAL_DROPOUT_1D,
    SPATIAL_DROPOUT_2D,
    GAUSSIAN_NOISE,
    GAUSSIAN_DROPOUT,
    ACTIVITY_REGULARIZATION,
)
