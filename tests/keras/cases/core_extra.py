"""Cases for Masking, Identity and EinsumDense."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import ACTIVATIONS, Case, any_shape, dims


@st.composite
def _einsum(draw: Any) -> Case:
    """Equations of the three forms Keras reads, with output sizes that mostly fit the input."""
    form = draw(st.sampled_from(["plain", "plain3", "left", "right", "heads"]))
    if form == "plain":
        eq, shape, out = "ab,bc->ac", (None, draw(dims(1, 8))), [draw(dims(1, 8))]
        bias = draw(st.sampled_from([None, "c"]))
    elif form == "plain3":
        t = draw(st.one_of(st.none(), dims(1, 6)))
        eq, shape = "abc,cd->abd", (None, t, draw(dims(1, 8)))
        out = [draw(st.sampled_from([None, t, draw(dims(1, 6))])), draw(dims(1, 8))]
        bias = draw(st.sampled_from([None, "d", "bd"]))
    elif form == "left":
        eq = "...b,bc->...c"
        shape = (None, *[draw(dims(1, 4)) for _ in range(draw(st.integers(1, 3)))])
        out = draw(st.sampled_from([draw(dims(1, 6)), [draw(dims(1, 6))]]))
        bias = draw(st.sampled_from([None, "c"]))
    elif form == "right":
        eq = "abc...,cd->abd..."
        shape = (None, draw(dims(1, 4)), draw(dims(1, 4)), *[draw(dims(1, 3)) for _ in range(draw(st.integers(0, 2)))])
        out = [shape[1], draw(dims(1, 5))]
        bias = draw(st.sampled_from([None, "d"]))
    else:
        eq, shape = "abc,cde->abde", (None, draw(dims(1, 5)), draw(dims(1, 6)))
        out = [None, draw(dims(1, 4)), draw(dims(1, 4))]
        bias = draw(st.sampled_from([None, "de", "e"]))
    cfg = {"equation": eq, "output_shape": out, "bias_axes": bias, "activation": draw(ACTIVATIONS)}
    return Case(cfg, [shape])


CASES = {
    "Masking": st.builds(lambda v, s: Case({"mask_value": v}, [s]), st.sampled_from([0.0, -1.0]), any_shape(3, 4)),
    "Identity": st.builds(lambda s: Case({}, [s]), any_shape()),
    "EinsumDense": _einsum(),
    "ReversibleEmbedding": st.builds(
        lambda v, d, s, tie, mask: Case({"input_dim": v, "output_dim": d, "tie_weights": tie, "mask_zero": mask},
                                        [s], dtypes=["int32"]),
        dims(2, 50), dims(1, 8), any_shape(2, 3, 6), st.booleans(), st.booleans(),
    ),
}

EXAMPLES = {"Masking": 5, "Identity": 5, "EinsumDense": 15, "ReversibleEmbedding": 6}
