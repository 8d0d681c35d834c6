"""Merge layers: combine several tensors into one (Add, Concatenate, Dot, ...).

Each has one variadic port, ``inputs``, whose edges are ordered by slot. Element-wise
merges follow Keras' broadcasting: shapes (without the batch axis) are aligned from the
last axis, a size of 1 stretches to match, and a None size gives None.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.catalog.costs import UNIT_NORM_OPS, elementwise, free, per_sample
from app.core.catalog.explaining import arrow, params_text
from app.core.catalog.rules import fmt_shape
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
    PortSpec,
    Sentence,
    Shape,
    ShapeError,
    base_params,
    no_weights,
)

CATEGORY = "Merge"
PORT = "inputs"


def _ports(max_count: int | None = None) -> tuple[PortSpec, ...]:
    return (PortSpec(PORT, variadic=True, min_count=2, max_count=max_count),)


def _batch(shapes: Sequence[Shape], layer: str) -> int | None:
    """The common batch size: Keras refuses inputs whose fixed batch sizes differ."""
    sizes = {s[0] for s in shapes if s} - {None}
    if len(sizes) > 1:
        listed = ", ".join(fmt_shape(s) for s in shapes)
        raise ShapeError(f"{layer}: the inputs have different batch sizes ({listed}). "
                         "Set the same batch size on every Input, or leave it empty.", port=PORT)
    return next(iter(sizes)) if sizes else None


# --- Element-wise merges ----------------------------------------------------------------------

def _conflict(layer: str, shapes: Sequence[Shape]) -> None:
    """Raise naming the first pair of inputs and the axis whose sizes cannot be broadcast."""
    for k in range(1, len(shapes)):
        later = shapes[k]
        for j in range(k):
            earlier = shapes[j]
            common = min(len(later), len(earlier)) - 1
            for back in range(1, common + 1):
                a, b = later[-back], earlier[-back]
                if a is None or b is None or a == 1 or b == 1 or a == b:
                    continue
                longer = later if len(later) >= len(earlier) else earlier
                axis = len(longer) - back
                aligned = "" if len(later) == len(earlier) else " (shapes of different rank are lined up from " \
                    "their last axis)"
                raise ShapeError(
                    f"{layer}: input {k + 1} has shape {fmt_shape(later)} but input {j + 1} has "
                    f"{fmt_shape(earlier)}: axis {axis} differs ({a} vs {b}){aligned}. All inputs must have the "
                    "same shape; only a size of 1 can stretch to match.",
                    port=PORT,
                )


def _broadcast_pair(first: Shape, second: Shape) -> Shape:
    """Keras' ``_compute_elemwise_op_output_shape`` on shapes without the batch axis."""
    if len(first) < len(second):
        first, second = second, first
    if not second:
        return first
    out = list(first[: len(first) - len(second)])
    for i, j in zip(first[len(first) - len(second):], second, strict=True):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        else:
            out.append(i)
    return tuple(out)


def elementwise_rule(layer: str, exact: int | None = None) -> OutputRule:
    """Output rule of an element-wise merge; ``exact`` fixes the number of inputs (Subtract)."""

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        if exact is not None and len(inputs) != exact:
            raise ShapeError(f"{layer} takes exactly {exact} inputs but gets {len(inputs)}.", port=PORT)
        if len(inputs) < 2:
            raise ShapeError(f"{layer} needs at least 2 inputs but gets {len(inputs)}.", port=PORT)
        batch = _batch(inputs, layer)
        _conflict(layer, inputs)
        out = tuple(inputs[0][1:])
        for shape in inputs[1:]:
            out = _broadcast_pair(out, tuple(shape[1:]))
        return (batch, *out)

    return output


def _merge_explain(verb: str) -> ExplainRule:
    """``verb`` says what happens to the inputs, ``{n}`` standing for how many there are."""
    def build(ctx: ExplainContext) -> Sentence:
        return f"{arrow(ctx)}: {verb.format(n=len(ctx.inputs))}; {params_text(0)}", 0
    return build


def _elementwise(class_name: str, summary: str, formula: str, use: str, mistake: str, verb: str,
                 exact: int | None = None, extra_ops: int = 0) -> LayerSpec:
    """An element-wise merge; ``extra_ops`` are its operations per value beyond the n − 1 of combining."""
    count = "exactly two tensors" if exact == 2 else "two or more tensors"
    return LayerSpec(
        class_name=class_name,
        category=CATEGORY,
        params=base_params(),
        ports=_ports(exact),
        output=elementwise_rule(class_name, exact),
        count=no_weights,
        cost=elementwise(extra_ops),
        explain=_merge_explain(verb),
        doc=LayerDoc(
            summary=summary + f" It takes {count} of the same shape.",
            formula=formula,
            shape="Output shape equals the input shape. Keras also lets a size of 1 stretch to match "
            "(e.g. (None, 8, 1) with (None, 8, 32) gives (None, 8, 32)).",
            use=use,
            mistake=mistake,
        ),
    )


ADD = _elementwise(
    "Add",
    "Adds its inputs element by element.",
    "y = x1 + x2 + … + xn",
    "Residual (skip) connections as in ResNet: add a block's input to its output.",
    "Adding tensors with a different number of channels, e.g. after a Conv2D that changed the filters: "
    "project the shortcut with a 1×1 Conv2D (or Dense) to the same size first.",
    "adds the {n} inputs value by value",
)

SUBTRACT = _elementwise(
    "Subtract",
    "Subtracts the second input from the first, element by element.",
    "y = x1 − x2",
    "Differences between two branches, e.g. in siamese networks.",
    "Connecting the inputs in the wrong order: the result is input 1 minus input 2.",
    "subtracts input 2 from input 1 value by value",
    exact=2,
)

MULTIPLY = _elementwise(
    "Multiply",
    "Multiplies its inputs element by element.",
    "y = x1 · x2 · … · xn",
    "Gating and attention weights, e.g. squeeze-and-excitation in EfficientNet scales each channel "
    "by a learned (None, 1, 1, C) weight.",
    "Expecting a matrix product: Multiply is element-wise; use Dot for dot products.",
    "multiplies the {n} inputs value by value",
)

AVERAGE = _elementwise(
    "Average",
    "Averages its inputs element by element.",
    "y = (x1 + x2 + … + xn) / n",
    "Ensembling the predictions of several branches.",
    "Averaging branches whose outputs mean different things; they should be on the same scale.",
    "averages the {n} inputs value by value",
    extra_ops=1,
)

MAXIMUM = _elementwise(
    "Maximum",
    "Keeps the largest value at each position across its inputs.",
    "y = max(x1, x2, …, xn), element-wise",
    "Max-out style units and combining detectors where the strongest response should win.",
    "Expecting a max over an axis of one tensor: that is a pooling layer.",
    "keeps the largest of the {n} inputs at each position",
)

MINIMUM = _elementwise(
    "Minimum",
    "Keeps the smallest value at each position across its inputs.",
    "y = min(x1, x2, …, xn), element-wise",
    "Clipping one branch by another, or pessimistic ensembles.",
    "Expecting a min over an axis of one tensor: Minimum compares inputs with each other.",
    "keeps the smallest of the {n} inputs at each position",
)


# --- Concatenate -------------------------------------------------------------------------------

def _concatenate_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    axis_value = cfg["axis"]
    ranks = {len(s) for s in inputs}
    if len(ranks) > 1:
        listed = ", ".join(f"input {i + 1} {fmt_shape(s)} is {len(s)}-D" for i, s in enumerate(inputs))
        raise ShapeError(
            f"Concatenate: the inputs have different ranks ({listed}). They must have the same number of axes; "
            "use Reshape or Flatten to make them match.",
            port=PORT,
        )
    rank = len(inputs[0])
    axis = axis_value + rank if axis_value < 0 else axis_value
    if not 0 <= axis < rank:
        raise ShapeError(
            f"Concatenate: axis {axis_value} does not exist in {rank}-D inputs {fmt_shape(inputs[0])}; "
            f"use an axis from 1 to {rank - 1} (or -1 for the last).",
            port=PORT,
            fix=Fix("Concatenate along the last axis", {"op": "set_param", "param": "axis", "value": -1}),
        )
    if axis == 0:
        raise ShapeError(
            f"Concatenate: axis {axis_value} is the batch axis, which would stack samples instead of joining "
            "their features. Use axis -1 to join features (channels).",
            port=PORT,
            fix=Fix("Concatenate along the last axis", {"op": "set_param", "param": "axis", "value": -1}),
        )
    for other in range(rank):
        if other == axis:
            continue
        sizes = {s[other] for s in inputs} - {None}
        if len(sizes) > 1:
            _concatenate_mismatch(inputs, axis, other)
    out = list(inputs[0])
    for shape in inputs[1:]:
        if out[axis] is None or shape[axis] is None:
            out[axis] = None
            break
        out[axis] += shape[axis]
    return tuple(out)


def _concatenate_mismatch(inputs: Sequence[Shape], axis: int, other: int) -> None:
    first = next(s for s in inputs if s[other] is not None)
    i0 = inputs.index(first)
    k = next(i for i, s in enumerate(inputs) if s[other] is not None and s[other] != first[other])
    what = "the batch size" if other == 0 else f"axis {other}"
    mismatched = [a for a in range(1, len(first)) if a != axis
                  and len({s[a] for s in inputs} - {None}) > 1]
    fix = None
    if mismatched == [other] and len({s[axis] for s in inputs} - {None}) <= 1:
        value = -1 if other == len(first) - 1 else other
        fix = Fix(f"Concatenate along axis {value} instead", {"op": "set_param", "param": "axis", "value": value})
    raise ShapeError(
        f"Concatenate: input {k + 1} has shape {fmt_shape(inputs[k])} but input {i0 + 1} has "
        f"{fmt_shape(first)}: {what} differs ({inputs[k][other]} vs {first[other]}). All axes except the "
        f"concatenation axis ({axis}) must match.",
        port=PORT,
        fix=fix,
    )


def _concatenate_explain(ctx: ExplainContext) -> Sentence:
    axis = ctx.cfg["axis"]
    sizes = [s[axis] for s in ctx.inputs]
    joined = " + ".join("?" if d is None else str(d) for d in sizes)
    result = ctx.output[axis]
    return (f"{arrow(ctx)}: joined along axis {axis}, so {joined} = {'?' if result is None else result}; "
            f"{params_text(0)}", 0)


CONCATENATE = LayerSpec(
    class_name="Concatenate",
    cost=free,
    explain=_concatenate_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("axis", ParamKind.INT, -1, "Axis the inputs are joined along (-1: the last, e.g. channels)."),
    ),
    ports=_ports(),
    output=_concatenate_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Joins its inputs side by side along one axis.",
        formula="y = [x1 | x2 | … | xn] along axis",
        shape="Sizes along the axis add up; every other axis must be equal: (None, 8, 8, 16) and "
        "(None, 8, 8, 32) on axis -1 give (None, 8, 8, 48).",
        use="Combining features of several branches: Inception blocks, DenseNet, U-Net skip connections, "
        "multi-input models.",
        mistake="Concatenating feature maps of different sizes (e.g. 16×16 with 8×8): add pooling or "
        "upsampling so the spatial sizes match first.",
    ),
)


# --- Dot ---------------------------------------------------------------------------------------

def _check_axes(value: object) -> str | None:
    if isinstance(value, bool):
        return "'axes' must be a whole number or a pair [a, b]"
    if isinstance(value, int):
        return None
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(a, int) and not isinstance(a, bool) for a in value
    ):
        return None
    return "'axes' must be a whole number or a pair of whole numbers [a, b]"


def _dot_axes(cfg: Config, first: Shape, second: Shape) -> tuple[int, int]:
    """Keras' own reading: an int counts negatives per input; a pair is indexed as given."""
    axes = cfg["axes"]
    if isinstance(axes, int):
        pair = (axes % len(first), axes % len(second)) if axes < 0 else (axes, axes)
    else:
        pair = (axes[0], axes[1])
    result = []
    for n, (axis, shape) in enumerate(zip(pair, (first, second), strict=True), start=1):
        if not -len(shape) <= axis < len(shape):
            raise ShapeError(
                f"Dot: axis {axis} does not exist in input {n}, which is {len(shape)}-D {fmt_shape(shape)}.",
                port=PORT,
            )
        index = axis % len(shape)
        if index == 0:
            raise ShapeError(
                f"Dot: axis {axis} of input {n} is the batch axis; a dot product must run over a feature axis "
                f"(1 to {len(shape) - 1}, or -1 for the last).",
                port=PORT,
                fix=Fix("Use the last axis of both inputs", {"op": "set_param", "param": "axes", "value": -1}),
            )
        result.append(index)
    return result[0], result[1]


def _dot_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    if len(inputs) != 2:
        raise ShapeError(f"Dot takes exactly 2 inputs but gets {len(inputs)}.", port=PORT)
    first, second = inputs
    a0, a1 = _dot_axes(cfg, first, second)
    if first[a0] != second[a1]:
        raise ShapeError(
            f"Dot: input 1 {fmt_shape(first)} has size {first[a0]} on axis {a0} but input 2 {fmt_shape(second)} "
            f"has size {second[a1]} on axis {a1}. A dot product needs the same size on both axes.",
            port=PORT,
        )
    out = [d for i, d in enumerate(first) if i != a0] + [d for i, d in enumerate(second) if i not in (0, a1)]
    if len(out) == 1:
        out.append(1)
    return tuple(out)


def _dot_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each output value is a sum over the shared axis: (values in input 1) · (columns of input 2)."""
    first, second = inputs
    axes = cfg["axes"]
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    size = first[a0]
    out = per_sample(output)
    if size is None or out is None or (first[a0] != second[a1]):
        return None
    ops = 0
    if cfg.get("normalize"):
        n1, n2 = per_sample(first), per_sample(second)
        if n1 is None or n2 is None:
            return None
        ops = UNIT_NORM_OPS * (n1 + n2)
    return (out * size, ops)


DOT = LayerSpec(
    class_name="Dot",
    cost=_dot_cost,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("axes", ParamKind.JSON, -1,
              "Axis the products are summed over: one number for both inputs, or a pair [a, b].",
              required=True, check=_check_axes),
        Param("normalize", ParamKind.BOOL, False,
              "Scale both inputs to length 1 first, giving the cosine similarity."),
    ),
    ports=_ports(2),
    output=_dot_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Dot product of two tensors, sample by sample, summed over one axis of each.",
        formula="y = Σ_k x1[..., k] · x2[..., k]; with normalize, y = cos(x1, x2)",
        shape="The summed axes disappear: (None, 8) · (None, 8) gives (None, 1); "
        "(None, 5, 8) · (None, 7, 8) on axes -1 gives (None, 5, 7).",
        use="Similarity scores (siamese networks, recommenders) and hand-made attention scores.",
        mistake="Choosing axes whose sizes differ, or axis 0, which is the batch.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (ADD, SUBTRACT, MULTIPLY, AVERAGE, MAXIMUM, MINIMUM, CONCATENATE, DOT)
