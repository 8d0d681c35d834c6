"""Attention layers: MultiHeadAttention and the parameter-free (dot/additive) Attention.

Both have the ports query, value and an optional key (key defaults to value).
Keras builds these layers without checking much, so some wrong inputs only fail once
data flows (mismatched feature sizes, 2-D inputs that attend across the batch); the
rules here refuse those at design time, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.catalog.costs import SOFTMAX_OPS, per_sample
from app.core.catalog.explaining import params_text
from app.core.catalog.rules import elements, fmt_shape, require_known
from app.core.catalog.spec import (
    Config,
    Cost,
    ExplainContext,
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    PortSpec,
    Sentence,
    Shape,
    ShapeError,
    base_params,
    kernel_bias_params,
    rate,
    seed,
)

CATEGORY = "Attention"

# --- Cost and explanation rules ---------------------------------------------------------------

def _attention_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Luong (dot) or Bahdanau-like (concat) attention without projections."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    lead = per_sample(query[:-2])
    tq, tv, d, dv = query[-2], value[-2], key[-1], value[-1]
    if None in (lead, tq, tv, d, dv):
        return None
    assert lead is not None and tq is not None and tv is not None and d is not None and dv is not None
    scores = lead * tq * tv
    macs = scores * dv
    ops = SOFTMAX_OPS * scores + (scores if cfg.get("use_scale") else 0)
    if cfg.get("score_mode") == "concat":
        ops += 3 * scores * d  # add, tanh and sum for every feature of every pair
    else:
        macs += scores * d
    return (macs, ops)


def _additive_attention_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return _attention_cost({**cfg, "score_mode": "concat"}, inputs, output)


def _attention_explain(ctx: ExplainContext) -> Sentence:
    query, value = ctx.inputs[0], ctx.inputs[1]
    total = int(bool(ctx.cfg["use_scale"])) + int(ctx.cfg["score_mode"] == "concat")
    learned = "" if total else "no learned projections, "
    return (f"query {fmt_shape(query)}, value {fmt_shape(value)} -> {fmt_shape(ctx.output)}: {learned}each of the "
            f"{query[-2]} query positions takes a weighted average of the {value[-2]} values; {params_text(total)}",
            total)


def _multi_head_attention_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Projections of query, key and value, scores Q·Kᵀ, weights·V and the output projection.

    T (S) is the number of query (key) positions; scores only span the attended axes of the key.
    Other operations: scaling the query by 1/√key_dim and the softmax over the scores.
    """
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    heads, key_dim = cfg["num_heads"], cfg["key_dim"]
    value_dim = cfg.get("value_dim") or key_dim
    rank = len(query)
    axes = cfg.get("attention_axes")
    attended = range(1, rank - 1) if axes is None else [a + rank if a < 0 else a for a in axes]
    t_all, s_all = per_sample(query[:-1]), per_sample(key[:-1])
    s_att = elements(key[a] for a in attended)
    dq, dk, dv = query[-1], key[-1], value[-1]
    out_dim = elements(cfg["output_shape"]) if cfg.get("output_shape") else dq
    if None in (t_all, s_all, s_att, dq, dk, dv, out_dim):
        return None
    assert t_all is not None and s_all is not None and s_att is not None  # for the type checker
    assert dq is not None and dk is not None and dv is not None and out_dim is not None
    macs = (t_all * dq * heads * key_dim            # query projection
            + s_all * dk * heads * key_dim          # key projection
            + s_all * dv * heads * value_dim        # value projection
            + heads * t_all * s_att * key_dim       # scores Q·Kᵀ
            + heads * t_all * s_att * value_dim     # weights · V
            + t_all * heads * value_dim * out_dim)  # output projection
    ops = t_all * heads * key_dim + SOFTMAX_OPS * heads * t_all * s_att
    if cfg.get("use_gate"):
        macs += t_all * dq * heads * value_dim
        ops += 2 * t_all * heads * value_dim  # sigmoid and the gating product
    return (macs, ops)


def _multi_head_attention_explain(ctx: ExplainContext) -> list[str]:
    cfg = ctx.cfg
    query, value = ctx.inputs[0], ctx.inputs[1]
    key = ctx.inputs[2] if len(ctx.inputs) > 2 else value
    heads, key_dim = cfg["num_heads"], cfg["key_dim"]
    value_dim = cfg["value_dim"] or key_dim
    dq, dk, dv = query[-1], key[-1], value[-1]
    assert dq is not None and dk is not None and dv is not None
    out = elements(cfg["output_shape"]) if cfg["output_shape"] else dq
    assert out is not None
    hk, hv = heads * key_dim, heads * value_dim
    weights = [f"query {dq} x {hk}", f"key {dk} x {hk}", f"value {dv} x {hv}", f"output {hv} x {out}"]
    total = (dq + dk) * hk + dv * hv + hv * out
    biases = 2 * hk + hv + out
    if cfg["use_gate"]:
        weights.append(f"gate {dq} x {hv}")
        total += dq * hv
        biases += hv
    bias = f" + {biases:,} biases" if cfg["use_bias"] else ""
    total += biases if cfg["use_bias"] else 0
    ports = f"query {fmt_shape(query)}, value {fmt_shape(value)}"
    if len(ctx.inputs) > 2:
        ports += f", key {fmt_shape(key)}"
    text = [f"{ports} -> {fmt_shape(ctx.output)}: {heads} heads x key_dim {key_dim}: "
            f"{' + '.join(weights)} weights{bias} = {params_text(total)}"]
    if len(query) == 3 and query[1] is not None and key[1] is not None:
        scores = heads * query[1] * key[1]
        text.append(f"Each of the {query[1]} query positions weighs all {key[1]} key positions in each of the "
                    f"{heads} heads: {scores:,} attention weights per sample.")
    return text


def _group_query_attention_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Projections (query and gate to U·h, key and value to V·h, back to the features), scores and mixing."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    t, s, q, k, v = query[1], value[1], query[-1], key[-1], value[-1]
    if None in (t, s, q, k, v):
        return None
    assert t is not None and s is not None and q is not None and k is not None and v is not None
    u, kv, h = cfg["num_query_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    gates = 2 if cfg.get("use_gate") else 1
    macs = gates * t * q * u * h + s * (k + v) * kv * h + 2 * t * s * u * h + t * u * h * q
    return (macs, SOFTMAX_OPS * u * t * s + t * u * h)


PORTS = (PortSpec("query"), PortSpec("value"), PortSpec("key", optional=True))


def _named(inputs: Sequence[Shape]) -> list[tuple[str, Shape]]:
    """(port, shape) pairs; key falls back to value as in Keras."""
    pairs = [("query", inputs[0]), ("value", inputs[1])]
    if len(inputs) > 2:
        pairs.append(("key", inputs[2]))
    return pairs


def _require_sequences(layer: str, inputs: Sequence[Shape]) -> None:
    """Attention mixes positions of a sequence: every input needs (batch, positions..., features)."""
    for port, shape in _named(inputs):
        if len(shape) < 3:
            n = shape[-1]
            raise ShapeError(
                f"{layer}: {port} must be a sequence (batch, timesteps, features) but is {len(shape)}-D "
                f"{fmt_shape(shape)}; on a flat vector the scores would mix different samples of the batch. "
                f"Reshape it to a sequence of one step, (1, {n}), or feed it the output of an Embedding, an "
                "LSTM with return_sequences=True or a Conv1D.",
                port=port,
                fix=Fix(f"Insert a Reshape to (1, {n}) before {port}",
                        {"op": "insert_before", "port": port, "class_name": "Reshape",
                         "config": {"target_shape": [1, n if n is not None else -1]}}),
            )
    query = inputs[0]
    for port, shape in _named(inputs)[1:]:
        if len(shape) != len(query):
            raise ShapeError(
                f"{layer}: query is {len(query)}-D {fmt_shape(query)} but {port} is {len(shape)}-D "
                f"{fmt_shape(shape)}; they must have the same rank.",
                port=port,
            )


def _differs(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and a != b


# --- Attention (Luong / Bahdanau style, no projections) ---------------------------------------

def _attention_output(cfg: Config, inputs: Sequence[Shape], layer: str = "Attention") -> Shape:
    _require_sequences(layer, inputs)
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    key_port = "key" if len(inputs) > 2 else "value"
    q, k = query[-1], key[-1]
    if cfg["score_mode"] == "dot" and _differs(q, k):
        raise ShapeError(
            f"{layer}: query has {q} features but {key_port} has {k}; dot-product scores need the same size. "
            f"Project the query with a Dense({k}), or use MultiHeadAttention, which learns the projections.",
            port="query",
            fix=Fix(f"Insert a Dense({k}) before query",
                    {"op": "insert_before", "port": "query", "class_name": "Dense", "config": {"units": k}}),
        )
    if cfg["score_mode"] == "concat" and _differs(q, k) and 1 not in (q, k):
        raise ShapeError(
            f"{layer}: query has {q} features but {key_port} has {k}; score_mode 'concat' adds them, "
            "so the sizes must be equal.",
            port="query",
            fix=Fix(f"Insert a Dense({k}) before query",
                    {"op": "insert_before", "port": "query", "class_name": "Dense", "config": {"units": k}}),
        )
    if len(inputs) > 2 and _differs(key[-2], value[-2]):
        raise ShapeError(
            f"{layer}: key {fmt_shape(key)} has {key[-2]} timesteps but value {fmt_shape(value)} has "
            f"{value[-2]}; every value needs its own key, so they must have the same length.",
            port="key",
        )
    for axis in range(1, len(query) - 2):
        for port, shape in _named(inputs)[1:]:
            if _differs(query[axis], shape[axis]):
                raise ShapeError(
                    f"{layer}: query {fmt_shape(query)} and {port} {fmt_shape(shape)} differ on axis {axis} "
                    f"({query[axis]} vs {shape[axis]}); only the last two axes may differ.",
                    port=port,
                )
    return (*query[:-1], value[-1])


def _attention_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    return (int(cfg["use_scale"]) + int(cfg["score_mode"] == "concat"), 0)


ATTENTION = LayerSpec(
    class_name="Attention",
    cost=_attention_cost,
    explain=_attention_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("use_scale", ParamKind.BOOL, False, "Learn one number that scales the scores (sharper or softer)."),
        Param("score_mode", ParamKind.CHOICE, "dot", "How query and key are compared: 'dot' product (Luong) or "
              "'concat': sum of tanh(query + key) (Bahdanau-like).", choices=("dot", "concat")),
        rate("dropout", 0.0, "Fraction of attention weights dropped while training.", required=False),
        seed(),
    ),
    ports=PORTS,
    call="list",
    output=_attention_output,
    count=_attention_count,
    doc=LayerDoc(
        summary="Dot-product attention without learned projections: every query position takes a weighted "
        "average of the values, weighted by how well the query matches each key.",
        formula="scores = Q·Kᵀ (times a learned scale if use_scale); weights = softmax(scores) over the keys; "
        "output = weights · V",
        shape="query (None, Tq, d), value (None, Tv, dv), key (None, Tv, d) -> (None, Tq, dv). "
        "Weights: none, plus one scale with use_scale and one with score_mode 'concat'.",
        use="Encoder-decoder models: a decoder step (query) looks at the encoder outputs (value).",
        mistake="Query and key with different feature sizes: the dot product needs the same size. Project "
        "one with Dense, or use MultiHeadAttention, which learns projections.",
    ),
)


# --- MultiHeadAttention -----------------------------------------------------------------------

def _check_output_shape(value: object) -> str | None:
    if isinstance(value, (list, tuple)) and not value:
        return "'output_shape' must list at least one size; leave it empty (None) to keep the query's size"
    return None


def _attention_axes(cfg: Config, rank: int) -> tuple[int, ...]:
    """The data axes attended over, as indices into the query (batch = 0, features = rank - 1)."""
    axes = cfg["attention_axes"]
    if axes is None:
        return tuple(range(1, rank - 1))
    data_axes = ", ".join(str(a) for a in range(1, rank - 1))
    result: list[int] = []
    for axis in axes:
        index = axis + rank if axis < 0 else axis
        if not 1 <= index <= rank - 2:
            raise ShapeError(
                f"MultiHeadAttention: attention axis {axis} is not a data axis of the {rank}-D query; "
                f"use {data_axes} (not the batch axis 0 or the feature axis {rank - 1}).",
                port="query",
                fix=Fix("Attend over all data axes (attention_axes empty)",
                        {"op": "set_param", "param": "attention_axes", "value": None}),
            )
        if index in result:
            raise ShapeError(f"MultiHeadAttention: attention axis {axis} is listed twice.", port="query")
        result.append(index)
    return tuple(result)


def _mha_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    if len(inputs) > 2 and tuple(value[1:-1]) != tuple(key[1:-1]):
        raise ShapeError(
            f"MultiHeadAttention: key {fmt_shape(key)} and value {fmt_shape(value)} must have the same shape "
            "except for the last axis (every value needs its own key).",
            port="key",
        )
    _require_sequences("MultiHeadAttention", inputs)
    for port, shape in _named(inputs):
        require_known(shape[-1], f"feature size (last axis) of {port}", "MultiHeadAttention", port)
    attended = _attention_axes(cfg, len(query))
    if cfg["sliding_window"] is not None and attended != (1,):
        axes = ", ".join(str(a) for a in attended)
        raise ShapeError(
            f"MultiHeadAttention: sliding_window only works when attention runs along axis 1 (the timesteps), "
            f"but here it runs along axes {axes} of {fmt_shape(query)}. Set attention_axes to [1], or clear "
            "sliding_window.",
            port="query",
            fix=Fix("Clear sliding_window", {"op": "set_param", "param": "sliding_window", "value": None}),
        )
    for axis in range(1, len(query) - 1):
        if axis in attended:
            continue
        for port, shape in _named(inputs)[1:]:
            if _differs(query[axis], shape[axis]):
                raise ShapeError(
                    f"MultiHeadAttention: axis {axis} is not an attention axis, so query {fmt_shape(query)} and "
                    f"{port} {fmt_shape(shape)} must agree on it ({query[axis]} vs {shape[axis]}).",
                    port=port,
                )
    if cfg["output_shape"]:
        return (*query[:-1], *cfg["output_shape"])
    return tuple(query)


def _mha_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    """Projections: query/key to heads·key_dim, value (and gate) to heads·value_dim, then back out."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    heads, key_dim = cfg["num_heads"], cfg["key_dim"]
    value_dim = cfg["value_dim"] or key_dim
    q, v, k = (require_known(s[-1], "feature size (last axis)", "MultiHeadAttention") for s in (query, value, key))
    out = elements(cfg["output_shape"]) if cfg["output_shape"] else q
    bias = cfg["use_bias"]
    total = (q + k) * heads * key_dim + v * heads * value_dim + heads * value_dim * out
    if bias:
        total += 2 * heads * key_dim + heads * value_dim + out
    if cfg["use_gate"]:
        total += q * heads * value_dim + (heads * value_dim if bias else 0)
    return (total, 0)


MULTI_HEAD_ATTENTION = LayerSpec(
    class_name="MultiHeadAttention",
    cost=_multi_head_attention_cost,
    explain=_multi_head_attention_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("num_heads", ParamKind.INT, 4, "Number of attention heads working in parallel.", minimum=1,
              required=True),
        Param("key_dim", ParamKind.INT, 16, "Size of each head's query and key vectors.", minimum=1, required=True),
        Param("value_dim", ParamKind.INT, None, "Size of each head's value vectors; empty uses key_dim.",
              nullable=True, minimum=1, advanced=True),
        rate("dropout", 0.0, "Fraction of attention weights dropped while training.", required=False),
        Param("use_bias", ParamKind.BOOL, True, "Add biases to the projections."),
        Param("use_gate", ParamKind.BOOL, False, "Gate the attention output with a sigmoid projection of the "
              "query (gated attention).", advanced=True),
        Param("output_shape", ParamKind.INT_TUPLE, None,
              "Size of the output features; empty keeps the query's feature size.", nullable=True, minimum=1,
              advanced=True, check=_check_output_shape),
        Param("attention_axes", ParamKind.INT_TUPLE, None,
              "Data axes attended over (e.g. [1, 2] for an image); empty means all but batch and features.",
              nullable=True, advanced=True),
        Param("sliding_window", ParamKind.INT, None,
              "Only attend to positions closer than this; empty attends everywhere.", nullable=True, minimum=1,
              advanced=True),
        *kernel_bias_params(),
        seed(),
    ),
    ports=PORTS,
    call="kwargs",
    output=_mha_output,
    count=_mha_count,
    doc=LayerDoc(
        summary="The attention block of Transformers: several heads each project query, key and value, "
        "attend, and their results are joined and projected back.",
        formula="head_i = softmax(Q·W_qᵢ · (K·W_kᵢ)ᵀ / √key_dim) · V·W_vᵢ; "
        "output = [head_1 | … | head_h] · W_o",
        shape="query (None, T, dq), value (None, S, dv) -> (None, T, dq), or (None, T, *output_shape). "
        "Weights: (dq + dk)·heads·key_dim + dv·heads·value_dim + heads·value_dim·dq, plus biases.",
        use="Self-attention (connect the same tensor to query and value) in Transformer encoders, and "
        "cross-attention from a decoder to an encoder.",
        mistake="Feeding it a flat (None, features) vector: attention needs a sequence. Another is thinking "
        "key_dim is the total size; it is the size per head.",
    ),
)


# --- AdditiveAttention ------------------------------------------------------------------------

def _additive_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    return _attention_output({**cfg, "score_mode": "concat"}, inputs, "AdditiveAttention")


def _additive_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    """One learned scale per feature of the query (Keras builds it from the query's last axis)."""
    if not cfg["use_scale"]:
        return (0, 0)
    return (require_known(inputs[0][-1], "feature size (last axis) of query", "AdditiveAttention", "query"), 0)


ADDITIVE_ATTENTION = LayerSpec(
    class_name="AdditiveAttention",
    cost=_additive_attention_cost,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("use_scale", ParamKind.BOOL, True, "Learn one weight per feature that scales the tanh terms."),
        rate("dropout", 0.0, "Fraction of attention weights dropped while training.", required=False),
        seed(),
    ),
    ports=PORTS,
    call="list",
    output=_additive_output,
    count=_additive_count,
    doc=LayerDoc(
        summary="Bahdanau-style attention: each query is compared with each key by adding them and passing the "
        "sum through tanh, then the values are averaged with the softmax of those scores.",
        formula="score[i, j] = Σ_d scale[d] · tanh(q[i, d] + k[j, d]); output = softmax(score) · V",
        shape="query (None, Tq, d), value (None, Tv, dv), key (None, Tv, d) -> (None, Tq, dv). "
        "Weights: d (the scale) with use_scale, else none.",
        use="Sequence-to-sequence models with recurrent encoders, as in the original neural machine "
        "translation attention.",
        mistake="Query and key with different feature sizes: they are added, so the sizes must match.",
    ),
)


# --- GroupQueryAttention ----------------------------------------------------------------------

def _check_heads(cfg: Config) -> None:
    if cfg["num_query_heads"] % cfg["num_key_value_heads"]:
        raise ShapeError(
            f"GroupQueryAttention: num_query_heads ({cfg['num_query_heads']}) must be a multiple of "
            f"num_key_value_heads ({cfg['num_key_value_heads']}): each key/value head serves a whole group of "
            "query heads.",
            fix=Fix("Set num_key_value_heads to 1", {"op": "set_param", "param": "num_key_value_heads", "value": 1}),
        )


def _gqa_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    _check_heads(cfg)
    for port, shape in _named(inputs):
        if len(shape) != 3:
            raise ShapeError(
                f"GroupQueryAttention: {port} must be a sequence (batch, timesteps, features) but is "
                f"{len(shape)}-D {fmt_shape(shape)}.",
                port=port,
            )
        require_known(shape[-1], f"feature size (last axis) of {port}", "GroupQueryAttention", port)
    query, value = inputs[0], inputs[1]
    if query[-1] != value[-1]:
        raise ShapeError(
            f"GroupQueryAttention: query has {query[-1]} features but value has {value[-1]}; they must be equal.",
            port="value",
        )
    if len(inputs) > 2 and _differs(inputs[2][1], value[1]):
        raise ShapeError(
            f"GroupQueryAttention: key {fmt_shape(inputs[2])} and value {fmt_shape(value)} must have the same "
            "number of timesteps.",
            port="key",
        )
    return tuple(query)


def _gqa_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    """Query (and gate) to U·h, key and value to V·h, and U·h back to the query's features."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    q, v, k = (require_known(s[-1], "feature size (last axis)", "GroupQueryAttention") for s in (query, value, key))
    u, kv, h = cfg["num_query_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    bias = cfg["use_bias"]
    total = q * u * h + (k + v) * kv * h + u * h * q
    if bias:
        total += u * h + 2 * kv * h + q
    if cfg["use_gate"]:
        total += q * u * h + (u * h if bias else 0)
    return (total, 0)


GROUP_QUERY_ATTENTION = LayerSpec(
    class_name="GroupQueryAttention",
    cost=_group_query_attention_cost,
    category=CATEGORY,
    name_prefix="grouped_query_attention",
    params=(
        *base_params(),
        Param("head_dim", ParamKind.INT, 16, "Size of each head's query, key and value vectors.", minimum=1,
              required=True),
        Param("num_query_heads", ParamKind.INT, 8, "Number of query heads.", minimum=1, required=True),
        Param("num_key_value_heads", ParamKind.INT, 2, "Number of key/value heads, each shared by a group of "
              "query heads; it must divide num_query_heads.", minimum=1, required=True),
        Param("use_bias", ParamKind.BOOL, True, "Add biases to the projections."),
        Param("use_gate", ParamKind.BOOL, False, "Gate the attention output with a sigmoid projection of the "
              "query (gated attention).", advanced=True),
        Param("sliding_window", ParamKind.INT, None,
              "Only attend to positions closer than this; empty attends everywhere.", nullable=True, minimum=1,
              advanced=True),
        rate("dropout", 0.0, "Fraction of attention weights dropped while training.", required=False),
        *kernel_bias_params(),
        seed(),
    ),
    ports=PORTS,
    call="kwargs",
    output=_gqa_output,
    count=_gqa_count,
    doc=LayerDoc(
        summary="Multi-head attention where several query heads share one key/value head: nearly the quality "
        "of full multi-head attention with far smaller keys and values to compute and cache.",
        formula="head_i = softmax(Q·W_qᵢ · (K·W_k,g(i))ᵀ / √head_dim) · V·W_v,g(i), g(i) = the group of head i; "
        "output = [head_1 | … | head_U] · W_o",
        shape="query (None, T, d), value (None, S, d) -> (None, T, d). Weights: d·U·h (query) + (dk + d)·V·h "
        "(key, value) + U·h·d (output), plus biases; U query heads, V key/value heads, h = head_dim.",
        use="Decoder blocks of large language models (LLaMA 2/3, Mistral), where the key/value cache "
        "dominates memory.",
        mistake="A num_key_value_heads that does not divide num_query_heads.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (MULTI_HEAD_ATTENTION, ATTENTION, ADDITIVE_ATTENTION, GROUP_QUERY_ATTENTION)
