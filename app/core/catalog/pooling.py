"""Pooling layers: windowed max/average pooling and global pooling, for sequences and images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.catalog.convolution import (
    AXIS_NAMES,
    data_format_param,
    int_tuple,
    join_channels,
    padding_param,
    per_axis,
    require_spatial_rank,
    split_channels,
    window_lengths,
    window_sentence,
)
from app.core.catalog.costs import per_input, per_sample, times
from app.core.catalog.explaining import arrow, dims, params_text
from app.core.catalog.rules import elements, fmt_shape
from app.core.catalog.spec import (
    Config,
    Cost,
    ExplainContext,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    Sentence,
    Shape,
    ShapeError,
    base_params,
    no_weights,
)

CATEGORY = "Pooling"


# --- Cost and explanation rules ----------------------------------------------------------------

def _pool_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """One comparison (max) or addition (average) per value of each window."""
    window = elements(per_axis(cfg["pool_size"], len(inputs[0]) - 2)) or 0
    return times(per_sample(output), window)


_global_pool_cost = per_input(1)
"""One comparison or addition per input value."""


def _pool_explain(ctx: ExplainContext) -> list[str]:
    cfg = ctx.cfg
    n = len(ctx.shape_in) - 2
    pool = per_axis(cfg["pool_size"], n)
    strides = pool if cfg["strides"] is None else per_axis(cfg["strides"], n)
    window = f"each window of {pool[0]} steps" if n == 1 else f"each {dims(pool)} window"
    if tuple(strides) != tuple(pool):
        window += f" (moved {dims(strides)} at a time)"
    what = "keeps its largest value" if ctx.class_name.startswith("Max") else "is replaced by its average"
    text = [f"{arrow(ctx)}: {window} {what}; {params_text(0)}"]
    sizes = window_sentence(ctx, pool, strides, (1,) * n)
    return [*text, sizes] if sizes else text


def _global_pool_explain(ctx: ExplainContext) -> Sentence:
    spatial, channels = split_channels(ctx.shape_in, ctx.cfg.get("data_format") or "channels_last")
    n = len(spatial)
    if None in spatial:
        where = "all positions"
    else:
        where = f"all {spatial[0]} steps" if n == 1 else f"all {dims(spatial)} positions"
    what = "is averaged over" if "Average" in ctx.class_name else "keeps its largest value over"
    count = f"{channels:,}" if channels is not None else "the"
    return f"{arrow(ctx)}: each of the {count} channels {what} {where}; {params_text(0)}", 0


# --- MaxPooling / AveragePooling ---------------------------------------------------------------

def _pool_params(n: int, required: bool) -> tuple[Param, ...]:
    return (
        *base_params(),
        int_tuple("pool_size", [2] * n, n, "Size of the pooling window along each axis.", required=required),
        padding_param(),
        int_tuple("strides", None, n, "Step of the window; empty means the same as pool_size.", nullable=True),
        data_format_param(),
    )


def _pool_rules(layer: str, n: int, counterpart: str) -> tuple[Any, Any]:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        fmt = cfg["data_format"]
        require_spatial_rank(shape, n, layer, fmt, counterpart)
        pool = per_axis(cfg["pool_size"], n)
        strides = pool if cfg["strides"] is None else per_axis(cfg["strides"], n)
        spatial = window_lengths(shape, n, layer, fmt, pool, strides, cfg["padding"], (1,) * n, pooling=True)
        _, channels = split_channels(shape, fmt)
        return join_channels(shape[0], spatial, channels, fmt)

    def warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
        spatial, _ = split_channels(inputs[0], cfg["data_format"])
        if spatial and all(d == 1 for d in spatial):
            where = " × ".join(AXIS_NAMES[n])
            return [ShapeError(
                f"{layer} gets {fmt_shape(inputs[0])}: the {where} is already 1, so this pooling does nothing. "
                "Remove it, or pool less earlier.",
                port="input",
            )]
        return []

    return output, warn


def _counterpart(kind: str, n: int) -> str:
    """The pooling layer to suggest when the input has the wrong rank: 2D, or 1D for a 2D layer."""
    return f"{kind}Pooling{1 if n == 2 else 2}D"


def _pool_spec(kind: str, n: int, doc: LayerDoc) -> LayerSpec:
    """MaxPooling1D/2D/3D (``kind`` 'Max') or AveragePooling1D/2D/3D ('Average'; Keras requires its pool_size)."""
    class_name = f"{kind}Pooling{n}D"
    output, warn = _pool_rules(class_name, n, _counterpart(kind, n))
    return LayerSpec(
        class_name=class_name,
        category=CATEGORY,
        name_prefix=f"{kind.lower()}_pooling{n}d",
        params=_pool_params(n, required=kind == "Average"),
        output=output,
        count=no_weights,
        warn=warn,
        doc=doc,
        cost=_pool_cost,
        explain=_pool_explain if n < 3 else None,
    )


MAX_POOLING1D = _pool_spec("Max", 1, LayerDoc(
    summary="Keeps the largest value in each window along a sequence, shortening it.",
    formula="y[t, c] = max over k < pool_size of x[t·s + k, c]",
    shape="(None, steps, C) -> (None, steps', C); with 'valid': steps' = floor((steps − pool_size) / strides) + 1, "
    "with 'same': ceil(steps / strides). Channels are unchanged.",
    use="After Conv1D layers, to shorten the sequence and keep the strongest responses.",
    mistake="Pooling a sequence so often that fewer steps remain than the window needs.",
))

MAX_POOLING2D = _pool_spec("Max", 2, LayerDoc(
    summary="Keeps the largest value in each window of an image, making it smaller while keeping the strongest "
    "features. It has no weights.",
    formula="y[i, j, c] = max over the window of x[i·s + u, j·s + v, c]",
    shape="(None, H, W, C) -> (None, H', W', C); the default 2×2 window halves height and width "
    "(H' = floor((H − pool) / strides) + 1 with 'valid', ceil(H / strides) with 'same').",
    use="Between Conv2D blocks of a CNN to shrink the feature maps and widen what later filters see.",
    mistake="Too many pooling steps: a 28×28 image halves to 14, 7, 3, 1 and then to nothing.",
))

AVERAGE_POOLING1D = _pool_spec("Average", 1, LayerDoc(
    summary="Replaces each window along a sequence with its average, shortening and smoothing it.",
    formula="y[t, c] = mean over k < pool_size of x[t·s + k, c]",
    shape="(None, steps, C) -> (None, steps', C), steps' as in MaxPooling1D.",
    use="Downsampling sequences when an average is more meaningful than the peak, e.g. smoothing signals.",
    mistake="Pooling a sequence so often that fewer steps remain than the window needs.",
))

AVERAGE_POOLING2D = _pool_spec("Average", 2, LayerDoc(
    summary="Replaces each window of an image with its average, making it smaller and smoother. No weights.",
    formula="y[i, j, c] = mean over the window of x[i·s + u, j·s + v, c]",
    shape="(None, H, W, C) -> (None, H', W', C), H' and W' as in MaxPooling2D.",
    use="Downsampling inside networks such as DenseNet's transition blocks.",
    mistake="Confusing it with GlobalAveragePooling2D, which averages the whole image to one value per channel.",
))


# --- Global pooling --------------------------------------------------------------------------

def _global_output(layer: str, n: int, counterpart: str) -> Any:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        fmt = cfg["data_format"]
        require_spatial_rank(shape, n, layer, fmt, counterpart, global_pool=True)
        _, channels = split_channels(shape, fmt)
        if cfg["keepdims"]:
            return join_channels(shape[0], (1,) * n, channels, fmt)
        return (shape[0], channels)
    return output


def _global_spec(kind: str, n: int, doc: LayerDoc) -> LayerSpec:
    """GlobalMaxPooling1D/2D/3D (``kind`` 'Max') or GlobalAveragePooling1D/2D/3D ('Average')."""
    class_name = f"Global{kind}Pooling{n}D"
    return LayerSpec(
        class_name=class_name,
        category=CATEGORY,
        name_prefix=f"global_{kind.lower()}_pooling{n}d",
        params=(
            *base_params(),
            data_format_param(),
            Param("keepdims", ParamKind.BOOL, False, "Keep the pooled axes with size 1 instead of removing them."),
        ),
        output=_global_output(class_name, n, "Global" + _counterpart(kind, n)),
        count=no_weights,
        doc=doc,
        cost=_global_pool_cost,
        explain=_global_pool_explain if n < 3 else None,
    )


GLOBAL_AVERAGE_POOLING1D = _global_spec("Average", 1, LayerDoc(
    summary="Averages each channel over all steps of a sequence, giving one vector per sample.",
    formula="y[c] = mean over t of x[t, c]",
    shape="(None, steps, C) -> (None, C); with keepdims: (None, 1, C).",
    use="Turning a sequence of features (Conv1D or Embedding output) into one vector for a Dense classifier.",
    mistake="Using it where word order matters: averaging forgets the order completely.",
))

GLOBAL_AVERAGE_POOLING2D = _global_spec("Average", 2, LayerDoc(
    summary="Averages each channel over the whole image, giving one value per channel.",
    formula="y[c] = mean over i, j of x[i, j, c]",
    shape="(None, H, W, C) -> (None, C); with keepdims: (None, 1, 1, C).",
    use="The usual bridge from convolutions to the Dense head: far fewer weights than Flatten, and it works "
    "for any image size.",
    mistake="Putting Flatten before it: the data is then already flat and there is nothing left to pool.",
))

GLOBAL_MAX_POOLING1D = _global_spec("Max", 1, LayerDoc(
    summary="Takes the largest value of each channel over all steps of a sequence.",
    formula="y[c] = max over t of x[t, c]",
    shape="(None, steps, C) -> (None, C); with keepdims: (None, 1, C).",
    use="Text CNNs: 'did this pattern appear anywhere in the sentence?'.",
    mistake="Expecting it to say where the pattern appeared: the position is lost.",
))

GLOBAL_MAX_POOLING2D = _global_spec("Max", 2, LayerDoc(
    summary="Takes the largest value of each channel over the whole image.",
    formula="y[c] = max over i, j of x[i, j, c]",
    shape="(None, H, W, C) -> (None, C); with keepdims: (None, 1, 1, C).",
    use="Like GlobalAveragePooling2D, when the strongest response matters more than the average one.",
    mistake="Putting Flatten before it: the data is then already flat and there is nothing left to pool.",
))


# --- 3-D pooling --------------------------------------------------------------------------------

MAX_POOLING3D = _pool_spec("Max", 3, LayerDoc(
    summary="Keeps the largest value in each 3-D window of a volume (video or scan), making it smaller.",
    formula="y[d, i, j, c] = max over the window of x[d·s + t, i·s + u, j·s + v, c]",
    shape="(None, D, H, W, C) -> (None, D', H', W', C); each axis as in MaxPooling2D.",
    use="Between Conv3D blocks to shrink a volume and widen what later filters see.",
    mistake="Pooling the depth axis of a short clip away: use pool_size (1, 2, 2) to keep the frames.",
))

AVERAGE_POOLING3D = _pool_spec("Average", 3, LayerDoc(
    summary="Replaces each 3-D window of a volume with its average, making it smaller and smoother.",
    formula="y[d, i, j, c] = mean over the window of x[d·s + t, i·s + u, j·s + v, c]",
    shape="(None, D, H, W, C) -> (None, D', H', W', C); each axis as in MaxPooling2D.",
    use="Downsampling volumes when an average is more meaningful than the peak.",
    mistake="Confusing it with GlobalAveragePooling3D, which averages the whole volume to one value per channel.",
))

GLOBAL_AVERAGE_POOLING3D = _global_spec("Average", 3, LayerDoc(
    summary="Averages each channel over the whole volume, giving one value per channel.",
    formula="y[c] = mean over d, i, j of x[d, i, j, c]",
    shape="(None, D, H, W, C) -> (None, C); with keepdims: (None, 1, 1, 1, C).",
    use="The bridge from Conv3D blocks to a Dense head in video or scan classifiers.",
    mistake="Putting Flatten before it: the data is then already flat and there is nothing left to pool.",
))

GLOBAL_MAX_POOLING3D = _global_spec("Max", 3, LayerDoc(
    summary="Takes the largest value of each channel over the whole volume.",
    formula="y[c] = max over d, i, j of x[d, i, j, c]",
    shape="(None, D, H, W, C) -> (None, C); with keepdims: (None, 1, 1, 1, C).",
    use="Like GlobalAveragePooling3D, when the strongest response matters more than the average one.",
    mistake="Putting Flatten before it: the data is then already flat and there is nothing left to pool.",
))


# --- Adaptive pooling ---------------------------------------------------------------------------

def _adaptive_output(layer: str, n: int) -> Any:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        fmt = cfg["data_format"]
        require_spatial_rank(shape, n, layer, fmt)
        _, channels = split_channels(shape, fmt)
        return join_channels(shape[0], per_axis(cfg["output_size"], n), channels, fmt)
    return output


def _adaptive_spec(class_name: str, n: int, kind: str) -> LayerSpec:
    axes = " × ".join(AXIS_NAMES[n])
    what = "largest value" if kind == "max" else "average"
    dims = ", ".join(f"o{i + 1}" for i in range(n))
    spatial = ", ".join(a[0].upper() for a in AXIS_NAMES[n])
    return LayerSpec(
        class_name=class_name,
        category=CATEGORY,
        name_prefix=class_name.replace("Adaptive", "adaptive_").replace("Pooling", "_pooling").lower(),
        params=(
            *base_params(),
            int_tuple("output_size", [1] * n, n, f"The {axes} of the output, whatever the input size.",
                      required=True),
            data_format_param(),
        ),
        output=_adaptive_output(class_name, n),
        count=no_weights,
        cost=_global_pool_cost,
        doc=LayerDoc(
            summary=f"Pools to a fixed output size: it chooses the windows itself so that the {axes} of the "
            f"output is output_size, and keeps the {what} of each window.",
            formula=f"window i spans input positions floor(i·L/o) to ceil((i+1)·L/o), then the {what} of it",
            shape=f"(None, {spatial}, C) -> (None, {dims}, C), whatever the input size.",
            use="Feeding images or sequences of varying size to a fixed-size head, as ResNets in PyTorch do "
            "before their classifier.",
            mistake="Asking for an output larger than the input: windows then overlap and repeat values.",
        ),
    )


ADAPTIVE_POOLING = tuple(
    _adaptive_spec(f"Adaptive{'Average' if kind == 'average' else 'Max'}Pooling{n}D", n, kind)
    for kind in ("average", "max") for n in (1, 2, 3)
)


SPECS: tuple[LayerSpec, ...] = (
    MAX_POOLING1D,
    MAX_POOLING2D,
    AVERAGE_POOLING1D,
    AVERAGE_POOLING2D,
    GLOBAL_AVERAGE_POOLING1D,
    GLOBAL_AVERAGE_POOLING2D,
    GLOBAL_MAX_POOLING1D,
    GLOBAL_MAX_POOLING2D,
    MAX_POOLING3D,
    AVERAGE_POOLING3D,
    GLOBAL_AVERAGE_POOLING3D,
    GLOBAL_MAX_POOLING3D,
    *ADAPTIVE_POOLING,
)
