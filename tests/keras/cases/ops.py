"""Cases for the Keras operations (``app.core.catalog.ops``): broadcasting operands, constants on
either side, reductions, reshapes and permutations, some of them invalid on purpose (then our
rule and Keras must both refuse). Shapes include the batch axis, which operations treat like any
other axis."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape

_SIZES = [None, 1, 1, 2, 3, 4, 5]


@st.composite
def _shape(draw: Any, min_rank: int = 1, max_rank: int = 4) -> Shape:
    rank = draw(st.integers(min_rank, max_rank))
    return tuple(draw(st.sampled_from(_SIZES)) for _ in range(rank))


@st.composite
def _partner(draw: Any, template: Shape) -> Shape:
    """A shape that mostly broadcasts with ``template``: same, some axes 1, a dropped prefix, or a clash."""
    dims = list(template)
    style = draw(st.sampled_from(["same", "ones", "lower", "clash", "any"]))
    if style == "ones":
        dims = [1 if draw(st.booleans()) else d for d in dims]
    elif style == "lower" and len(dims) > 1:
        dims = dims[draw(st.integers(1, len(dims) - 1)):]
    elif style == "clash":
        known = [i for i, d in enumerate(dims) if d not in (None, 1)]
        if known:
            i = draw(st.sampled_from(known))
            dims[i] = dims[i] + 1  # type: ignore[operator]
    elif style == "any":
        return draw(_shape())
    return tuple(dims)


@st.composite
def _binary(draw: Any) -> Case:
    x = draw(_shape())
    if draw(st.booleans()):
        constant = draw(st.sampled_from([127.5, 1, 0.5, -1.0, 3.0, 2]))
        return Case({"constant": constant, "constant_first": draw(st.booleans())}, [x])
    return Case({}, [x, draw(_partner(x))])


@st.composite
def _matmul(draw: Any) -> Case:
    lead = draw(_shape(0, 2))
    m, k, n = (draw(st.sampled_from([None, 1, 2, 3, 4])) for _ in range(3))
    k2 = k if draw(st.integers(0, 4)) else draw(st.sampled_from([1, 2, 5]))
    x: Shape = (*lead, m, k)
    y: Shape = (*draw(_partner(lead)), k2, n) if lead else (k2, n)
    if draw(st.integers(0, 5)) == 0:
        x = (k,)
    if draw(st.integers(0, 5)) == 0:
        y = (k2,)
    return Case({}, [x, y])


@st.composite
def _mean(draw: Any) -> Case:
    x = draw(_shape())
    rank = len(x)
    axis: Any = draw(st.sampled_from([None, "one", "many"]))
    if axis == "one":
        axis = draw(st.integers(-rank - 1, rank))
    elif axis == "many":
        axis = sorted(set(draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank))),
                      key=lambda a: a % rank)
        axis = list(dict.fromkeys(a % rank for a in axis))
    return Case({"axis": axis, "keepdims": draw(st.booleans())}, [x])


@st.composite
def _concatenate(draw: Any) -> Case:
    template = draw(_shape())
    rank = len(template)
    axis = draw(st.integers(-rank, rank - 1))
    inputs = []
    for _ in range(draw(st.integers(1, 3))):
        dims = list(template)
        dims[axis] = draw(st.sampled_from(_SIZES))
        if draw(st.integers(0, 6)) == 0:
            dims = list(draw(_shape()))
        inputs.append(tuple(dims))
    return Case({"axis": axis}, inputs)


@st.composite
def _reshape(draw: Any) -> Case:
    x = draw(_shape(1, 4))
    known = [d for d in x if d is not None]
    size = 1
    for d in known:
        size *= d
    style = draw(st.sampled_from(["flat", "split", "random"]))
    if style == "flat":
        new = [-1]
    elif style == "split":
        new = [-1, *draw(st.lists(st.sampled_from([1, 2, 3]), max_size=2))]
        if draw(st.booleans()):
            new = [*new[1:], -1]
    else:
        new = draw(st.lists(st.sampled_from([1, 2, 3, 4, 6]), min_size=1, max_size=3))
        if draw(st.booleans()):
            new[draw(st.integers(0, len(new) - 1))] = -1
    return Case({"newshape": new}, [x])


@st.composite
def _transpose(draw: Any) -> Case:
    x = draw(_shape(1, 4))
    rank = len(x)
    style = draw(st.sampled_from(["none", "perm", "perm", "bad"]))
    if style == "none":
        return Case({"axes": None}, [x])
    axes = draw(st.permutations(list(range(rank))))
    if style == "bad":
        axes = [*axes[:-1], draw(st.integers(-rank, rank))] if rank > 1 else [rank]
    elif draw(st.booleans()):
        axes = [a - rank for a in axes]
    return Case({"axes": list(axes)}, [x])


@st.composite
def _layer_scale(draw: Any) -> Case:
    x = (None, *draw(_shape(1, 3)))
    channels = x[-1] if x[-1] is not None and draw(st.integers(0, 4)) else draw(st.sampled_from([1, 2, 3, 4]))
    return Case({"init_values": draw(st.sampled_from([1e-6, 0.1, 1.0])), "projection_dim": channels}, [x])


@st.composite
def _custom_scale(draw: Any) -> Case:
    x = (None, *draw(_shape(1, 3)))
    return Case({"scale": draw(st.sampled_from([0.17, 0.1, 1.0]))}, [x, (None, *draw(_partner(x[1:])))])


@st.composite
def _unary(draw: Any) -> Case:
    return Case({}, [draw(_shape())])


@st.composite
def _expand_dims(draw: Any) -> Case:
    x = draw(_shape(1, 3))
    rank = len(x) + 1
    if draw(st.booleans()):
        return Case({"axis": draw(st.integers(-rank - 1, rank))}, [x])
    axes = sorted(draw(st.sets(st.integers(0, rank), min_size=1, max_size=2)))
    return Case({"axis": axes}, [x])


@st.composite
def _squeeze(draw: Any) -> Case:
    x = draw(_shape(1, 4))
    if draw(st.booleans()):
        return Case({"axis": None}, [x])
    ones = [i for i, d in enumerate(x) if d == 1]
    if ones and draw(st.integers(0, 3)):
        return Case({"axis": draw(st.sampled_from(ones))}, [x])
    return Case({"axis": draw(st.integers(-len(x), len(x) - 1))}, [x])


CASES = {
    "ops.Add": _binary(),
    "ops.Subtract": _binary(),
    "ops.Multiply": _binary(),
    "ops.TrueDivide": _binary(),
    "ops.Divide": _binary(),
    "ops.Power": _binary(),
    "ops.Maximum": _binary(),
    "ops.Minimum": _binary(),
    "ops.Square": _unary(),
    "ops.Sqrt": _unary(),
    "ops.Exp": _unary(),
    "ops.Absolute": _unary(),
    "ops.Negative": _unary(),
    "ops.Sum": _mean(),
    "ops.ExpandDims": _expand_dims(),
    "ops.Squeeze": _squeeze(),
    "ops.Matmul": _matmul(),
    "ops.Mean": _mean(),
    "ops.Concatenate": _concatenate(),
    "ops.Reshape": _reshape(),
    "ops.Transpose": _transpose(),
    "LayerScale": _layer_scale(),
    "CustomScaleLayer": _custom_scale(),
}
