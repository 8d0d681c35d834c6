"""Keras operations as nodes: ``x + y``, ``x / 127.5 - 1``, ``keras.ops.mean(x, axis=1)``.

Keras writes these into a functional model's config as ``keras.src.ops.numpy`` entries
(``TrueDivide``, ``Add``, ``Mean`` ...), and real models (MobileNetV3's hard sigmoid,
``preprocess_input`` inside a model, transformers) are full of them, so they are nodes
like layers. Their catalog keys are ``ops.<Class>`` because several share a class name
with a layer (the ``Add`` operation is not the ``Add`` layer). A binary operation takes
a tensor or a number as its second operand: the number is the ``constant`` parameter,
``constant_first`` says it comes first (``2 - x``). Shape rules follow Keras' own
(``keras.src.ops.operation_utils``), batch axis included; none has weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from app.core.catalog.costs import free, per_input, per_output, per_sample
from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import (
    Config,
    Cost,
    LayerDoc,
    LayerSpec,
    OutputRule,
    Param,
    ParamKind,
    PortSpec,
    Shape,
    ShapeError,
    base_params,
    no_weights,
    same_shape,
)

CATEGORY = "Math on tensors"
PREFIX = "ops."
MODULE = "keras.src.ops.numpy"
"""The module Keras 3 writes for every operation here: the import allow-list is (module, class)."""

OPERATORS: dict[str, str] = {"Add": "+", "Subtract": "-", "Multiply": "*", "TrueDivide": "/", "Power": "**"}
"""Operations Python writes as operators (``x / 127.5`` is what Keras records as TrueDivide)."""


def keras_class(class_name: str) -> str:
    """``ops.TrueDivide`` -> ``TrueDivide``, the class in :data:`MODULE`."""
    return class_name.removeprefix(PREFIX)


def broadcast(first: Shape, second: Shape, title: str) -> Shape:
    """Keras' ``broadcast_shapes`` exactly (a None against a known size gives the known size)."""
    pad: list[int | None] = [1] * abs(len(first) - len(second))
    a = list(first) if len(first) >= len(second) else pad + list(first)
    b = list(second) if len(second) >= len(first) else pad + list(second)
    out: list[int | None] = list(a)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x == 1:
            out[i] = y
        elif x is None:
            out[i] = None if y == 1 else y
        elif y == 1 or y is None or y == x:
            out[i] = x
        else:
            raise ShapeError(
                f"{title}: x {fmt_shape(first)} and y {fmt_shape(second)} cannot be broadcast: axis {i} "
                f"(counted in the longer shape) is {x} against {y}. Sizes must match, or one must be 1.",
                port="y")
    return tuple(out)


# --- Binary operations ---------------------------------------------------------------------

def _binary_output(title: str, constants: bool) -> OutputRule:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        constant = cfg.get("constant") if constants else None
        if constant is None and len(inputs) != 2:
            hint = " or set the constant" if constants else ""
            raise ShapeError(f"{title} needs a second operand: connect a tensor to y{hint}.", port="y")
        if constant is not None:
            if len(inputs) != 1:
                raise ShapeError(f"{title} has both a tensor on y and the constant {constant!r}; keep one.",
                                 port="y")
            return tuple(inputs[0])
        return broadcast(inputs[0], inputs[1], title)

    return output


def _binary(name: str, symbol: str, doc: LayerDoc, title: str) -> LayerSpec:
    params = (
        Param("constant", ParamKind.FLOAT, None,
              "A number as the second operand instead of a tensor (x / 127.5); empty when y is connected.",
              nullable=True),
        Param("constant_first", ParamKind.BOOL, False,
              f"The number comes first (c {symbol} x) instead of second (x {symbol} c)."),
    )
    return LayerSpec(
        class_name=PREFIX + name,
        category=CATEGORY,
        params=params,
        ports=(PortSpec("x"), PortSpec("y", optional=True)),
        output=_binary_output(title, True),
        count=no_weights,
        cost=per_output(1),
        doc=doc,
        title=title,
        module=MODULE,
        name_prefix=_snake(name),
    )


def _snake(name: str) -> str:
    return "".join(("_" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


_BROADCAST = ("x and y broadcast like NumPy, batch axis included: (None, 8, 1) with (None, 1, 4) gives "
              "(None, 8, 4); a number keeps x's shape.")

ADD = _binary("Add", "+", LayerDoc(
    summary="x + y, element by element: the operation Keras records for `x + y` in a functional model.",
    formula="out = x + y (y a tensor or a number)",
    shape=_BROADCAST,
    use="Residual connections written as `x + inputs` (ConvNeXt, transformers) and shifts such as MobileNetV3's "
    "hard sigmoid `relu6(x + 3) / 6`.",
    mistake="Adding tensors whose channels differ: only a size of 1 stretches; project the shortcut first.",
), "add (x + y)")

SUBTRACT = _binary("Subtract", "-", LayerDoc(
    summary="x − y, element by element: what Keras records for `x - y`.",
    formula="out = x − y, or c − x with the constant first",
    shape=_BROADCAST,
    use="Centring inputs inside the model: `x / 127.5 - 1` maps pixels 0…255 to −1…1.",
    mistake="Putting the number on the wrong side: 1 − x is not x − 1 (see 'constant first').",
), "subtract (x - y)")

MULTIPLY = _binary("Multiply", "*", LayerDoc(
    summary="x · y, element by element: what Keras records for `x * y`.",
    formula="out = x · y (y a tensor or a number)",
    shape=_BROADCAST,
    use="Scaling (`x * 0.5`), gating a tensor by another (squeeze-and-excitation, hard swish `x * hard_sigmoid(x)`).",
    mistake="Expecting a matrix product: this is element-wise; use matmul for that.",
), "multiply (x * y)")

TRUE_DIVIDE = _binary("TrueDivide", "/", LayerDoc(
    summary="x / y, element by element: what Keras records for `x / y`.",
    formula="out = x / y (y a tensor or a number)",
    shape=_BROADCAST,
    use="Preprocessing inside the model: `x / 255` or `x / 127.5 - 1`, so the saved model takes raw pixels.",
    mistake="Dividing by a tensor that can be 0: the result is inf or NaN and training diverges.",
), "true_divide (x / y)")

DIVIDE = _binary("Divide", "/", LayerDoc(
    summary="keras.ops.divide(x, y): x / y, element by element (the same numbers as `x / y`).",
    formula="out = x / y",
    shape=_BROADCAST,
    use="Normalising by a computed scale, e.g. dividing by a norm.",
    mistake="Dividing by a tensor that can be 0: add a small epsilon first.",
), "divide")


def _axes(value: Any, rank: int, title: str) -> list[int]:
    items = [value] if isinstance(value, int) else list(value)
    out = []
    for axis in items:
        if not -rank <= axis < rank:
            raise ShapeError(f"{title}: axis {axis} does not exist in a {rank}-D tensor (batch included).",
                             port="x")
        out.append(axis % rank)
    return out


def _axis_problem(value: Any) -> str | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    if isinstance(value, list) and all(isinstance(a, int) and not isinstance(a, bool) for a in value):
        return None
    return "'axis' must be empty (all axes), a whole number or a list of whole numbers"


POWER = _binary("Power", "**", LayerDoc(
    summary="x to the power y, element by element: what Keras records for `x ** y` or `keras.ops.power`.",
    formula="out = x ** y (y a tensor or a number)",
    shape=_BROADCAST,
    use="Squares and cubes in hand-written formulas, e.g. GELU's tanh approximation `x ** 3`.",
    mistake="A fractional power of negative values gives NaN; square first or use abs.",
), "power (x ** y)")

MAXIMUM = _binary("Maximum", "max", LayerDoc(
    summary="The larger of x and y at each position (`keras.ops.maximum`).",
    formula="out = max(x, y), element-wise",
    shape=_BROADCAST,
    use="Clipping from below, e.g. `keras.ops.maximum(x, 1e-6)` before a log or a division.",
    mistake="Expecting the maximum over an axis: that is a reduction (max pooling), not this.",
), "maximum")

MINIMUM = _binary("Minimum", "min", LayerDoc(
    summary="The smaller of x and y at each position (`keras.ops.minimum`).",
    formula="out = min(x, y), element-wise",
    shape=_BROADCAST,
    use="Clipping from above, e.g. `keras.ops.minimum(x, 6.0)` as in ReLU6.",
    mistake="Expecting the minimum over an axis: this compares x and y position by position.",
), "minimum")


def _unary(name: str, doc: LayerDoc, title: str) -> LayerSpec:
    return LayerSpec(class_name=PREFIX + name, category=CATEGORY, params=(), ports=(PortSpec("x"),),
                     output=same_shape, count=no_weights, cost=per_output(1), doc=doc, title=title, module=MODULE,
                     name_prefix=_snake(name))


_SAME = "Output shape equals the input shape."
SQUARE = _unary("Square", LayerDoc(summary="x², element by element (`keras.ops.square`).", formula="out = x · x",
                                   shape=_SAME, use="Squared errors and energies inside a model.",
                                   mistake="Expecting a matrix square: this is element-wise."), "square")
SQRT = _unary("Sqrt", LayerDoc(summary="√x, element by element (`keras.ops.sqrt`).", formula="out = √x",
                               shape=_SAME, use="Norms and standard deviations written by hand.",
                               mistake="Negative inputs give NaN, and √0 has an infinite gradient: add an epsilon."),
              "sqrt")
EXP = _unary("Exp", LayerDoc(summary="eˣ, element by element (`keras.ops.exp`).", formula="out = exp(x)",
                             shape=_SAME, use="Turning a predicted log-variance into a variance (VAEs).",
                             mistake="Large inputs overflow to inf; keep them in a modest range."), "exp")
ABS = _unary("Absolute", LayerDoc(summary="|x|, element by element (`keras.ops.abs`).", formula="out = |x|",
                                  shape=_SAME, use="Distances (L1), magnitudes.",
                                  mistake="Its gradient at 0 is 0, which can stall training there."), "absolute")
NEGATIVE = _unary("Negative", LayerDoc(summary="−x, element by element (what Keras records for `-x`).",
                                       formula="out = −x", shape=_SAME, use="Flipping a sign in a formula.",
                                       mistake="Writing 0 - x: that records a subtract with a constant instead."),
                  "negative (-x)")


def _sum_doc() -> LayerDoc:
    return LayerDoc(
        summary="Sum over one or more axes (`keras.ops.sum`).",
        formula="out = Σ x over the chosen axes",
        shape="(None, 7, 64) with axis 1 gives (None, 64); with keepdims, (None, 1, 64).",
        use="Pooling by hand, e.g. summing attention-weighted values over time.",
        mistake="Summing over axis 0, the batch: every sample then gets the same value.",
    )


def _expand_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = list(inputs[0])
    axis = cfg["axis"]
    axes = [axis] if isinstance(axis, int) else list(axis)
    rank = len(shape) + len(axes)
    where = _axes(axes, rank, "expand_dims")
    if len(set(where)) != len(where):
        raise ShapeError(f"expand_dims: axis {axis} repeats an axis.", port="x")
    rest = iter(shape)
    return tuple(1 if a in where else next(rest) for a in range(rank))


EXPAND_DIMS = LayerSpec(
    class_name=PREFIX + "ExpandDims",
    cost=free,
    category=CATEGORY,
    params=(Param("axis", ParamKind.JSON, -1, "Where the new axis (or axes) of size 1 go, batch axis = 0.",
                  required=True, check=_axis_problem),),
    ports=(PortSpec("x"),),
    output=_expand_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Adds an axis of size 1 (`keras.ops.expand_dims`).",
        formula="same values, one more axis",
        shape="(None, 64) with axis 1 gives (None, 1, 64).",
        use="Making a per-sample vector broadcast against a sequence or an image.",
        mistake="Counting axes without the batch: axis 0 here is the batch axis.",
    ),
    title="expand_dims",
    module=MODULE,
    name_prefix="expand_dims",
)


def _squeeze_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = list(inputs[0])
    axis = cfg.get("axis")
    if axis is None:
        return tuple(d for d in shape if d != 1)
    axes = [axis] if isinstance(axis, int) else list(axis)
    where = _axes(axes, len(shape), "squeeze")
    for a in where:
        if shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of {fmt_shape(tuple(shape))} has size {shape[a]}, not 1.",
                             port="x")
    for a in sorted(set(where), reverse=True):
        del shape[a]
    return tuple(shape)


SQUEEZE = LayerSpec(
    class_name=PREFIX + "Squeeze",
    cost=free,
    category=CATEGORY,
    params=(Param("axis", ParamKind.JSON, None, "Axis or axes of size 1 to remove (empty: every size-1 axis).",
                  nullable=True, check=_axis_problem),),
    ports=(PortSpec("x"),),
    output=_squeeze_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Removes axes of size 1 (`keras.ops.squeeze`).",
        formula="same values, fewer axes",
        shape="(None, 1, 64) with axis 1 gives (None, 64).",
        use="Dropping the length-1 axis left by keepdims or a 1-step sequence.",
        mistake="Leaving axis empty: a batch of one then loses its batch axis too.",
    ),
    title="squeeze",
    module=MODULE,
    name_prefix="squeeze",
)


def _matmul_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    """Keras' ``compute_matmul_output_shape``: the last two axes multiply, the rest broadcast."""
    if len(inputs) != 2:
        raise ShapeError("matmul needs two tensors: connect x and y.", port="y")
    first, second = inputs
    a, b = tuple(first), tuple(second)
    a_1d, b_1d = len(a) == 1, len(b) == 1
    if a_1d:
        a = (1, a[0])
    if b_1d:
        b = (b[0], 1)
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise ShapeError(f"matmul: the last axis of x {fmt_shape(first)} ({a[-1]}) must equal the second-to-last "
                         f"axis of y {fmt_shape(second)} ({b[-2]}).", port="y")
    out = [*broadcast(a[:-2], b[:-2], "matmul"), a[-2], b[-1]]
    if a_1d:
        del out[-2]
    if b_1d:
        del out[-1]
    return tuple(out)


def _matmul_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each output value sums ``k`` products (MACs), k the shared last axis of x."""
    k = inputs[0][-1] if inputs and inputs[0] else None
    out = per_sample(output)
    if k is None or out is None:
        return None
    return (out * k, 0)


MATMUL = LayerSpec(
    class_name=PREFIX + "Matmul",
    cost=_matmul_cost,
    category=CATEGORY,
    params=(),
    ports=(PortSpec("x"), PortSpec("y")),
    output=_matmul_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Matrix product of x and y over their last two axes (`keras.ops.matmul`, `x @ y`).",
        formula="out[..., i, j] = Σ_k x[..., i, k] · y[..., k, j]",
        shape="(None, 5, 8) @ (None, 8, 3) gives (None, 5, 3); the leading axes broadcast.",
        use="Hand-written attention (`q @ transpose(k)`), mixing tokens, bilinear forms.",
        mistake="Forgetting to transpose: x's last axis must equal y's second-to-last.",
    ),
    title="matmul (x @ y)",
    module=MODULE,
    name_prefix="matmul",
)


# --- Reductions and reshaping ----------------------------------------------------------------

def _mean_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = list(inputs[0])
    axis = cfg.get("axis")
    if axis is None:
        return tuple(1 for _ in shape) if cfg.get("keepdims") else ()
    axes = _axes(axis, len(shape), "mean")
    if cfg.get("keepdims"):
        for a in axes:
            shape[a] = 1
        return tuple(shape)
    for a in sorted(axes, reverse=True):
        del shape[a]
    return tuple(shape)


MEAN = LayerSpec(
    class_name=PREFIX + "Mean",
    cost=per_input(1),
    category=CATEGORY,
    params=(
        Param("axis", ParamKind.JSON, None, "Axis or axes to average over, batch axis = 0 (empty: all).",
              nullable=True, check=_axis_problem),
        Param("keepdims", ParamKind.BOOL, False, "Keep the averaged axes with size 1."),
    ),
    ports=(PortSpec("x"),),
    output=_mean_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Average over one or more axes (`keras.ops.mean`).",
        formula="out = (1/n) Σ x over the chosen axes",
        shape="(None, 7, 7, 64) with axis [1, 2] gives (None, 64); with keepdims, (None, 1, 1, 64).",
        use="Pooling written by hand: averaging tokens of a sequence, or spatial positions of a feature map.",
        mistake="Averaging over axis 0, the batch: every sample then gets the same value.",
    ),
    title="mean",
    module=MODULE,
    name_prefix="mean",
)


SUM = LayerSpec(
    class_name=PREFIX + "Sum",
    cost=per_input(1),
    category=CATEGORY,
    params=MEAN.params,
    ports=(PortSpec("x"),),
    output=_mean_output,
    count=no_weights,
    doc=_sum_doc(),
    title="sum",
    module=MODULE,
    name_prefix="sum",
)


def _concatenate_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    if not inputs:
        raise ShapeError("concatenate needs at least one tensor.", port="xs")
    first = inputs[0]
    rank = len(first)
    if rank == 0:
        raise ShapeError("concatenate cannot join scalars.", port="xs")
    axis = _axes(cfg["axis"], rank, "concatenate")[0]
    total: int | None = 0
    for k, shape in enumerate(inputs):
        same = len(shape) == rank and all(
            i == axis or a is None or b is None or a == b for i, (a, b) in enumerate(zip(shape, first, strict=False)))
        if not same:
            raise ShapeError(f"concatenate: tensor {k + 1} {fmt_shape(shape)} differs from tensor 1 "
                             f"{fmt_shape(first)} on an axis other than {axis}.", port="xs")
        total = None if total is None or shape[axis] is None else total + shape[axis]  # type: ignore[operator]
    out = list(first)
    out[axis] = total
    return tuple(out)


CONCATENATE = LayerSpec(
    class_name=PREFIX + "Concatenate",
    cost=free,
    category=CATEGORY,
    params=(Param("axis", ParamKind.INT, 0, "Axis the tensors are joined along, batch axis = 0 (-1: the last)."),),
    ports=(PortSpec("xs", variadic=True, min_count=1),),
    output=_concatenate_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Joins tensors along one axis (`keras.ops.concatenate([a, b], axis=-1)`).",
        formula="out = [x1 | x2 | … ] along axis",
        shape="Sizes along the axis add up; the others must match. Keras' default axis here is 0, the batch.",
        use="Prepending a class token to a sequence of patches (ViT), joining features of branches.",
        mistake="Leaving axis at 0: that stacks samples, not features; use -1 for channels.",
    ),
    title="concatenate",
    module=MODULE,
    name_prefix="concatenate",
)


def _newshape_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        return "'newshape' must be a list of whole numbers, batch axis included (-1 for one inferred axis)"
    if sum(d == -1 for d in value) > 1 or any(d < -1 for d in value):
        return "'newshape' may hold at most one -1, and no other negative size"
    return None


def _reshape_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    """Keras' ``compute_reshape_output_shape``: the batch axis is not special."""
    shape = tuple(inputs[0])
    new = tuple(cfg["newshape"])
    if None in shape:
        return tuple(None if d == -1 else d for d in new)
    size = math.prod(shape)  # type: ignore[arg-type]
    if -1 not in new:
        if size != math.prod(new):
            raise ShapeError(f"reshape: {fmt_shape(shape)} has {size} values but {list(new)} holds "
                             f"{math.prod(new)}.", port="x")
        return new
    known = math.prod(d for d in new if d != -1)
    if known == 0 or size % known:
        raise ShapeError(f"reshape: {size} values of {fmt_shape(shape)} cannot fill {list(new)}.", port="x")
    return tuple(size // known if d == -1 else d for d in new)


RESHAPE = LayerSpec(
    class_name=PREFIX + "Reshape",
    cost=free,
    category=CATEGORY,
    params=(Param("newshape", ParamKind.JSON, [-1], "The new shape, batch axis included; -1 is inferred.",
                  required=True, check=_newshape_problem),),
    ports=(PortSpec("x"),),
    output=_reshape_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Gives the values a new shape (`keras.ops.reshape`), batch axis included.",
        formula="same values, read in the same order, new shape",
        shape="(None, 8, 8) with [-1, 8, 2, 4] gives (None, 8, 2, 4) when the batch is unknown.",
        use="Splitting heads in hand-written attention, turning patches into a sequence.",
        mistake="Forgetting the batch axis: unlike the Reshape layer, newshape includes it (use -1 for it).",
    ),
    title="reshape",
    module=MODULE,
    name_prefix="reshape",
)


def _axes_problem(value: Any) -> str | None:
    if value is None or (isinstance(value, list) and all(isinstance(a, int) and not isinstance(a, bool)
                                                         for a in value)):
        return None
    return "'axes' must be empty (reverse all axes) or a list of whole numbers"


def _transpose_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = tuple(inputs[0])
    axes = cfg.get("axes")
    if axes is None:
        return shape[::-1]
    if len(axes) != len(shape):
        raise ShapeError(f"transpose: axes {axes} must list all {len(shape)} axes of {fmt_shape(shape)}.",
                         port="x")
    order = _axes(axes, len(shape), "transpose")
    if len(set(order)) != len(order):
        raise ShapeError(f"transpose: axes {axes} repeats an axis; it must be a permutation.", port="x")
    return tuple(shape[a] for a in order)


TRANSPOSE = LayerSpec(
    class_name=PREFIX + "Transpose",
    cost=free,
    category=CATEGORY,
    params=(Param("axes", ParamKind.JSON, None, "The new order of the axes, batch axis = 0 (empty: reversed).",
                  nullable=True, check=_axes_problem),),
    ports=(PortSpec("x"),),
    output=_transpose_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Reorders the axes (`keras.ops.transpose`).",
        formula="out[i0, i1, …] = x[i_axes[0], i_axes[1], …]",
        shape="(None, 8, 4) with axes [0, 2, 1] gives (None, 4, 8).",
        use="Keys transposed for attention scores (`q @ transpose(k)`), channels-first to channels-last.",
        mistake="Leaving axes empty reverses all axes, the batch axis included.",
    ),
    title="transpose",
    module=MODULE,
    name_prefix="transpose",
)


# --- Keras' own internal layers of keras.applications ------------------------------------------
# Not operations, but the same kind of small arithmetic: classes inside the keras package that
# keras.applications models are built from. Allowed by exact module and class, nothing broader.

def _layer_scale_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = tuple(inputs[0])
    return broadcast(shape, (cfg["projection_dim"],), "LayerScale")


def _layer_scale_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    return (int(cfg["projection_dim"]), 0)


LAYER_SCALE = LayerSpec(
    class_name="LayerScale",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("init_values", ParamKind.FLOAT, 1e-6, "Starting value of every scale.", required=True),
        Param("projection_dim", ParamKind.INT, 1, "Number of channels: one learned scale each.", minimum=1,
              required=True),
    ),
    output=_layer_scale_output,
    count=_layer_scale_count,
    doc=LayerDoc(
        summary="ConvNeXt's layer scale: multiplies each channel by a learned factor that starts tiny.",
        formula="y = x · γ, γ has one value per channel, starting at init_values",
        shape="Output shape equals the input shape; projection_dim must equal the channels (or be 1).",
        use="Deep residual blocks (ConvNeXt, CaiT): a block starts close to the identity, so training is stable.",
        mistake="A projection_dim different from the channels: the scale cannot broadcast.",
    ),
    module="keras.src.applications.convnext",
    name_prefix="layer_scale",
)


def _custom_scale_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    if len(inputs) != 2:
        raise ShapeError(f"CustomScaleLayer takes exactly 2 inputs but gets {len(inputs)}.", port="inputs")
    return broadcast(inputs[0], inputs[1], "CustomScaleLayer")


CUSTOM_SCALE = LayerSpec(
    class_name="CustomScaleLayer",
    cost=per_output(2),
    category=CATEGORY,
    params=(*base_params(), Param("scale", ParamKind.FLOAT, 1.0, "Factor of the residual branch.", required=True)),
    ports=(PortSpec("inputs", variadic=True, min_count=2, max_count=2),),
    output=_custom_scale_output,
    count=no_weights,
    doc=LayerDoc(
        summary="InceptionResNetV2's scaled residual: the shortcut plus the branch times a fixed scale.",
        formula="y = x1 + scale · x2",
        shape="Both inputs broadcast (normally the same shape); so does the output.",
        use="Very deep residual networks: scaling the residual (0.1–0.3) keeps training stable.",
        mistake="Swapping the inputs: the first is the shortcut, the second the scaled branch.",
    ),
    module="keras.src.applications.inception_resnet_v2",
    name_prefix="custom_scale_layer",
)

INTERNAL_LAYERS: frozenset[tuple[str, str]] = frozenset({(LAYER_SCALE.module, "LayerScale"),
                                                          (CUSTOM_SCALE.module, "CustomScaleLayer")})
"""Keras-internal layer classes allowed in an imported model, by exact (module, class)."""


SPECS: tuple[LayerSpec, ...] = (ADD, SUBTRACT, MULTIPLY, TRUE_DIVIDE, DIVIDE, POWER, MAXIMUM, MINIMUM, SQUARE, SQRT,
                                EXP, ABS, NEGATIVE, MATMUL, MEAN, SUM, CONCATENATE, RESHAPE, TRANSPOSE, EXPAND_DIMS,
                                SQUEEZE, LAYER_SCALE, CUSTOM_SCALE)

KERAS_CLASSES: frozenset[tuple[str, str]] = frozenset((MODULE, keras_class(s.class_name)) for s in SPECS
                                                      if s.is_operation)
"""The import allow-list: exact (module, class) pairs; any other operation is refused by name."""

