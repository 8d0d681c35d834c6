"""Cases for the merge layers: broadcasting element-wise merges, Concatenate and Dot.

Our rules refuse a little more than Keras' graph building does, where Keras would only
fail once data flows (a dot product or concatenation over the batch axis; two known,
different sizes hidden behind a None). The strategies stay clear of those cases.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape, dims


@st.composite
def _template(draw: Any, min_rank: int = 2, max_rank: int = 4) -> Shape:
    rank = draw(st.integers(min_rank, max_rank))
    return (None, *[draw(st.sampled_from([None] + [1] * 2 + list(range(2, 7)) * 4)) for _ in range(rank - 1)])


@st.composite
def _elementwise(draw: Any, count: tuple[int, int] = (2, 4)) -> Case:
    """Variants of one shape: some axes set to 1 or dropped from the front (broadcasting), rarely a
    different size at a known axis (Keras refuses), rarely fixed batch sizes."""
    template = draw(_template())
    n = draw(st.integers(*count))
    inputs: list[Shape] = []
    for _ in range(n):
        dims_ = list(template[1:])
        style = draw(st.sampled_from(["same", "same", "same", "ones", "lower", "mismatch"]))
        if style == "ones":
            dims_ = [1 if d is not None and draw(st.booleans()) else d for d in dims_]
        elif style == "lower" and len(dims_) > 1:
            dims_ = dims_[draw(st.integers(1, len(dims_) - 1)):]
        elif style == "mismatch":
            known = [i for i, d in enumerate(dims_) if d is not None]
            if known:
                i = draw(st.sampled_from(known))
                dims_[i] = dims_[i] + draw(st.integers(1, 3))
        inputs.append((None, *dims_))
    batch = draw(st.sampled_from(["none"] * 8 + ["same", "different"]))
    if batch == "same":
        inputs = [(3, *s[1:]) for s in inputs]
    elif batch == "different":
        inputs = [(i + 2, *s[1:]) for i, s in enumerate(inputs)]
    return Case({}, inputs)


@st.composite
def _concatenate(draw: Any) -> Case:
    template = draw(_template())
    rank = len(template)
    axis = draw(st.sampled_from([-1] * 4 + list(range(1, rank)) + list(range(-rank + 1, 0)) + [rank, -rank - 1]))
    index = axis + rank if axis < 0 else axis
    n = draw(st.integers(2, 4))
    inputs: list[Shape] = []
    for _ in range(n):
        dims_ = list(template)
        if 0 < index < rank:
            dims_[index] = draw(st.sampled_from([None] + list(range(1, 9)) * 3))
        style = draw(st.sampled_from(["same"] * 6 + ["unknown", "mismatch", "rank"]))
        others = [i for i in range(1, rank) if i != index]
        if style == "unknown" and others:
            dims_[draw(st.sampled_from(others))] = None
        elif style == "mismatch" and others:
            i = draw(st.sampled_from(others))
            dims_[i] = (dims_[i] or 1) + draw(st.integers(1, 3))
        elif style == "rank" and 0 < index < rank:
            # Only ever one axis more: Keras' check misses (None, a, b, c) with (None, a, b) on axis 3,
            # which fails only once data flows.
            dims_ = [*dims_, 2]
        inputs.append(tuple(dims_))
    return Case({"axis": axis}, inputs)


@st.composite
def _dot(draw: Any) -> Case:
    r1, r2 = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    low = min(r1, r2)
    form = draw(st.sampled_from(["int", "int", "pair", "pair", "out"]))
    if form == "int":
        axes: Any = draw(st.sampled_from([*range(1, low), *range(-low + 1, 0)]))
        a0 = axes % r1 if axes < 0 else axes
        a1 = axes % r2 if axes < 0 else axes
    elif form == "pair":
        a0 = draw(st.integers(1, r1 - 1))
        a1 = draw(st.integers(1, r2 - 1))
        axes = [a0 - r1 if draw(st.booleans()) else a0, a1 - r2 if draw(st.booleans()) else a1]
    else:
        axes = draw(st.sampled_from([r1, [1, r2], [-r1 - 1, 1]]))
        a0 = a1 = None
    size = draw(st.sampled_from([None] + list(range(1, 9)) * 4))
    first = [None, *[draw(dims(1, 6)) for _ in range(r1 - 1)]]
    second = [None, *[draw(dims(1, 6)) for _ in range(r2 - 1)]]
    if a0 is not None and a1 is not None:
        first[a0] = size
        second[a1] = size if draw(st.sampled_from([True] * 6 + [False])) else (size or 0) + 1
    return Case({"axes": axes, "normalize": draw(st.booleans())}, [tuple(first), tuple(second)])


CASES = {
    "Add": _elementwise(),
    "Subtract": _elementwise((2, 2)),
    "Multiply": _elementwise(),
    "Average": _elementwise(),
    "Maximum": _elementwise(),
    "Minimum": _elementwise(),
    "Concatenate": _concatenate(),
    "Dot": _dot(),
}
