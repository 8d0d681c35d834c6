"""Cases for MultiHeadAttention (called by keyword) and Attention (called on a list).

Keras builds both without checking most sizes; our rules also refuse inputs that would
only fail once data flows (see app/core/catalog/attention.py), so the strategies keep
the sizes Keras cannot check consistent and vary everything else.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape, dims


def _maybe_none(draw: Any, value: int) -> int | None:
    return None if draw(st.sampled_from([False] * 5 + [True])) else value


@st.composite
def _attention(draw: Any) -> Case:
    rank = draw(st.sampled_from([3, 3, 3, 4]))
    middle = tuple(draw(dims(1, 3)) for _ in range(rank - 3))
    tq, tv = _maybe_none(draw, draw(dims(1, 6))), _maybe_none(draw, draw(dims(1, 6)))
    mode = draw(st.sampled_from(["dot", "concat"]))
    dv = draw(dims(1, 8))
    value: Shape = (None, *middle, tv, dv)
    with_key = draw(st.booleans())
    key_features = draw(dims(1, 8)) if with_key else dv
    q_features = 1 if mode == "concat" and draw(st.sampled_from([False] * 4 + [True])) else key_features
    inputs = [(None, *middle, tq, q_features), value]
    if with_key:
        inputs.append((None, *middle, tv, key_features))
    cfg = {"use_scale": draw(st.booleans()), "score_mode": mode, "dropout": draw(st.sampled_from([0.0, 0.2]))}
    return Case(cfg, inputs)


@st.composite
def _multi_head_attention(draw: Any) -> Case:
    rank = draw(st.sampled_from([3, 3, 3, 4]))
    data_axes = list(range(1, rank - 1))
    axes = None
    if rank == 4 and draw(st.booleans()):
        axes = sorted(draw(st.lists(st.sampled_from(data_axes), min_size=1, max_size=2, unique=True)))
        if draw(st.booleans()):
            axes = [a - rank for a in axes]
    attended = {a % rank for a in axes} if axes else set(data_axes)
    q_data = [_maybe_none(draw, draw(dims(1, 5))) for _ in data_axes]
    v_data = [
        q_data[i] if a not in attended else _maybe_none(draw, draw(dims(1, 5))) for i, a in enumerate(data_axes)
    ]
    qf, vf = draw(dims(1, 8)), draw(dims(1, 8))
    query: Shape = (None, *q_data, qf)
    value: Shape = (None, *v_data, vf)
    inputs = [query, value]
    ports = ["query", "value"]
    style = draw(st.sampled_from(["none"] * 4 + ["key"] * 3 + ["bad_key", "unknown"]))
    if style == "key":
        inputs.append((None, *v_data, draw(dims(1, 8))))
        ports.append("key")
    elif style == "bad_key":
        inputs.append((None, *[(d or 1) + 1 for d in v_data], vf))
        ports.append("key")
    elif style == "unknown":
        inputs[0] = (None, *q_data, None)
    output_shape = draw(st.sampled_from([None, None, None, [draw(dims(1, 6))], [2, 3]]))
    cfg = {
        "num_heads": draw(dims(1, 4)),
        "key_dim": draw(dims(1, 6)),
        "value_dim": draw(st.sampled_from([None, None, draw(dims(1, 6))])),
        "use_bias": draw(st.booleans()),
        "use_gate": draw(st.sampled_from([False, False, True])),
        "output_shape": output_shape,
        "attention_axes": axes,
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.1])),
        "sliding_window": draw(st.sampled_from([None, None, 2])) if attended == {1} else None,
    }
    return Case(cfg, inputs, ports=ports)


@st.composite
def _additive(draw: Any) -> Case:
    tq, tv = _maybe_none(draw, draw(dims(1, 6))), _maybe_none(draw, draw(dims(1, 6)))
    d, dv = draw(dims(1, 8)), draw(dims(1, 8))
    inputs: list[Shape] = [(None, tq, d), (None, tv, dv)]
    if draw(st.booleans()):
        inputs.append((None, tv, d))
    else:
        inputs[0] = (None, tq, dv)
    cfg = {"use_scale": draw(st.booleans()), "dropout": draw(st.sampled_from([0.0, 0.2]))}
    return Case(cfg, inputs)


@st.composite
def _group_query(draw: Any) -> Case:
    kv = draw(dims(1, 3))
    heads = kv * draw(dims(1, 3)) + (1 if draw(st.integers(0, 9)) == 0 else 0)
    d = draw(dims(1, 8))
    t, s = _maybe_none(draw, draw(dims(1, 6))), _maybe_none(draw, draw(dims(1, 6)))
    inputs: list[Shape] = [(None, t, d), (None, s, d)]
    ports = ["query", "value"]
    if draw(st.booleans()):
        inputs.append((None, s, draw(dims(1, 8))))
        ports.append("key")
    cfg = {
        "head_dim": draw(dims(1, 6)),
        "num_query_heads": heads,
        "num_key_value_heads": kv,
        "use_bias": draw(st.booleans()),
        "use_gate": draw(st.sampled_from([False, False, True])),
        "sliding_window": draw(st.sampled_from([None, None, 2])),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.1])),
    }
    return Case(cfg, inputs, ports=ports)


CASES = {
    "Attention": _attention(),
    "MultiHeadAttention": _multi_head_attention(),
    "AdditiveAttention": _additive(),
    "GroupQueryAttention": _group_query(),
}

EXAMPLES = {"AdditiveAttention": 12, "GroupQueryAttention": 15}
