"""Layer help: the catalog's teaching text plus sentences with one node's actual numbers.

The help panel and palette show what a layer does (from the spec's :class:`LayerDoc`)
and, for a node on the canvas, how *its* shapes and parameter count follow, e.g.
``(None, 784) -> (None, 128): 784 x 128 weights + 128 biases = 100,480 parameters``.

The first entry of ``numbers`` always quotes the node's total parameter count, and that
count is always the one :mod:`app.core.shapes` found: a sentence whose own arithmetic
disagrees with the analysis is replaced by the generic one rather than shown wrong.
Shapes are written with the batch axis (``None``), as everywhere else in the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.catalog import LayerSpec, get_spec
from app.core.catalog.convolution import per_axis, split_channels
from app.core.catalog.rules import conv_length, elements, fmt_shape
from app.core.catalog.spec import Shape, ShapeError
from app.core.graph import Graph, Node
from app.core.insight import dtype_name, format_bytes, format_flops, input_shapes, node_cost
from app.core.shapes import Analysis, NodeInfo


@dataclass(frozen=True)
class Explanation:
    """Everything the help panel shows for a layer or a node."""

    title: str
    summary: str
    formula: str
    shape_text: str
    use: str
    mistake: str
    numbers: list[str] = field(default_factory=list)
    class_name: str = ""
    category: str = ""


@dataclass(frozen=True)
class _Ctx:
    """What a sentence builder needs to know about the node."""

    node: Node
    spec: LayerSpec
    cfg: Mapping[str, Any]
    inputs: list[Shape]
    output: Shape
    info: NodeInfo

    @property
    def shape_in(self) -> Shape:
        return self.inputs[0]


Sentence = tuple[str, int]
"""A sentence and the total parameter count it quotes (checked against the analysis)."""

Builder = Callable[[_Ctx], list[str] | Sentence]


# --- Public API ---------------------------------------------------------------------------

def explain_layer(class_name: str) -> Explanation:
    """The catalog's teaching text for a palette entry (no numbers: there is no node yet)."""
    spec = get_spec(class_name)
    if spec is None:
        return Explanation(
            title=class_name,
            summary=f"'{class_name}' is not a layer Layerforge supports.",
            formula="", shape_text="", use="", mistake="", class_name=class_name,
        )
    doc = spec.doc
    return Explanation(
        title=spec.title,
        summary=doc.summary,
        formula=doc.formula,
        shape_text=doc.shape,
        use=doc.use,
        mistake=doc.mistake,
        class_name=class_name,
        category=spec.category,
    )


def explain_node(graph: Graph, node_id: str, analysis: Analysis) -> Explanation:
    """Teaching text plus sentences with this node's shapes, parameters, cost and memory."""
    node = graph.node(node_id)
    base = explain_layer(node.class_name)
    title = f"{node.name} ({base.title})" if node.name != base.title else base.title
    info = analysis.nodes.get(node_id)
    spec = node.spec
    inputs = input_shapes(graph, node_id, analysis)
    if spec is None or info is None or info.output_shapes is None or inputs is None:
        numbers = [_not_known(analysis, node_id, info)]
    else:
        ctx = _Ctx(node, spec, node.config, inputs, info.output_shapes[0], info)
        numbers = _numbers(ctx)
        numbers.append(_cost_sentence(graph, node_id, analysis, ctx))
        if not node.config.get("trainable", True) and info.params:
            numbers.append(f"trainable is off: all {info.params:,} parameters stay frozen while training.")
    return Explanation(
        title=title,
        summary=base.summary,
        formula=base.formula,
        shape_text=base.shape_text,
        use=base.use,
        mistake=base.mistake,
        numbers=numbers,
        class_name=node.class_name,
        category=base.category,
    )


def quoted_params(sentence: str) -> int | None:
    """The parameter count a sentence quotes ("= 320 parameters", "no parameters"), if any."""
    if "no parameters" in sentence:
        return 0
    match = re.search(r"([\d,]+) parameters?\b", sentence)
    return int(match.group(1).replace(",", "")) if match else None


# --- Sentence plumbing ----------------------------------------------------------------------

def _numbers(ctx: _Ctx) -> list[str]:
    """The node's sentences; the first quotes the parameter count the analysis found."""
    builder = _BUILDERS.get(ctx.node.class_name)
    result: list[str] | Sentence | None = None
    if builder is not None:
        try:
            result = builder(ctx)
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, AssertionError, ShapeError):
            result = None
    if isinstance(result, tuple):
        sentence, total = result
        result = [sentence] if total == ctx.info.params else None
    if not result or quoted_params(result[0]) != ctx.info.params:
        return [_generic(ctx)]
    return result


def _params(total: int) -> str:
    if total == 0:
        return "no parameters"
    return f"{total:,} parameter{'s' if total != 1 else ''}"


def _arrow(ctx: _Ctx) -> str:
    ins = " + ".join(fmt_shape(s) for s in ctx.inputs)
    return f"{ins} -> {fmt_shape(ctx.output)}"


def _generic(ctx: _Ctx) -> str:
    """Any layer: its shapes and the parameter split the analysis found."""
    info = ctx.info
    text = f"{_arrow(ctx)}: {_params(info.params)}" if ctx.inputs else f"{fmt_shape(ctx.output)}: {_params(0)}"
    if info.trainable and info.non_trainable:
        text += f" ({info.trainable:,} trainable, {info.non_trainable:,} non-trainable)"
    return text


def _not_known(analysis: Analysis, node_id: str, info: NodeInfo | None) -> str:
    if info is not None and info.blocked and not analysis.problems_for(node_id):
        return "Its shapes are not known until the problems in the layers before it are fixed."
    problems = [p for p in analysis.problems_for(node_id) if p.severity == "error"]
    if problems:
        return f"Its shapes are not known yet. {problems[0].message}"
    return "Its shapes are not known yet."


def _cost_sentence(graph: Graph, node_id: str, analysis: Analysis, ctx: _Ctx) -> str:
    cost = node_cost(graph, node_id, analysis)
    if cost.flops is None or cost.macs is None:
        work = "Its compute cost is not known for this layer"
    elif cost.macs:
        work = f"One sample costs {cost.macs:,} multiply-adds ({format_flops(cost.flops)})"
    elif cost.flops:
        work = f"One sample costs {cost.flops:,} simple operations ({format_flops(cost.flops)}), no multiply-adds"
    else:
        work = "It does no arithmetic at inference"
    values = elements(ctx.output[1:])
    if cost.activation_bytes is None or values is None:
        return f"{work}; the size of its output is not known."
    return (f"{work}; its output is {values:,} {dtype_name(ctx.cfg)} {_plural(values, 'value', 'values')} = "
            f"{format_bytes(cost.activation_bytes)} per sample.")


def _dims(dims: Sequence[int | None]) -> str:
    return "x".join("?" if d is None else str(d) for d in dims)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _pct(rate: float) -> str:
    return f"{rate * 100:g}%"


# --- Window arithmetic (convolution and pooling) ------------------------------------------------

_AXIS_NAMES: dict[int, tuple[str, ...]] = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}

def _window_sentence(ctx: _Ctx, kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int]) -> str | None:
    """How each spatial output size follows from the input, kernel, strides and padding."""
    fmt = ctx.cfg.get("data_format") or "channels_last"
    padding = ctx.cfg["padding"]
    spatial, _ = split_channels(ctx.shape_in, fmt)
    names = _AXIS_NAMES.get(len(spatial))
    if names is None:
        return None
    clauses: list[tuple[str, str]] = []
    for name, length, k, s, d in zip(names, spatial, kernel, strides, dilation, strict=True):
        if length is None:
            continue
        out = conv_length(length, k, s, padding, d)
        if padding in ("same", "causal"):
            text = f"ceil({length} / {s}) = {out}"
        else:
            span = (k - 1) * d + 1
            text = f"floor(({length} − {span}) / {s}) + 1 = {out}"
        clauses.append((name, text))
    if not clauses:
        return None
    if len({text for _, text in clauses}) == 1 and len(clauses) > 1:
        return f"With padding '{padding}', height and width are each {clauses[0][1]}."
    joined = "; ".join(f"the {name} is {text}" for name, text in clauses)
    return f"With padding '{padding}', {joined}."


# --- Builders -----------------------------------------------------------------------------

def _input(ctx: _Ctx) -> list[str]:
    sample = ctx.output[1:]
    n = elements(sample)
    count = "?" if n is None else f"{n:,}"
    if len(sample) > 1:
        count = " x ".join("?" if d is None else str(d) for d in sample) + f" = {count}"
    return [f"{fmt_shape(ctx.output)}: each sample holds {count} values of type {dtype_name(ctx.cfg)}; "
            f"the batch size (None) is set when data flows; {_params(0)}"]


def _dense(ctx: _Ctx) -> list[str]:
    features, units = ctx.shape_in[-1], ctx.cfg["units"]
    assert features is not None
    total = features * units + (units if ctx.cfg["use_bias"] else 0)
    bias = f" + {units:,} {_plural(units, 'bias', 'biases')}" if ctx.cfg["use_bias"] else ""
    text = [f"{_arrow(ctx)}: {features:,} x {units:,} weights{bias} = {_params(total)}"]
    positions = elements(ctx.shape_in[1:-1])
    if len(ctx.shape_in) > 2:
        where = f"each of the {positions:,} positions" if positions else "every position"
        text.append(f"The same weights are applied at {where}; only the last axis changes.")
    return text


def _conv(ctx: _Ctx) -> list[str]:
    cfg = ctx.cfg
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(ctx.shape_in, fmt)
    assert channels is not None
    n = len(ctx.shape_in) - 2
    kernel = per_axis(cfg["kernel_size"], n)
    per_group = channels // cfg["groups"]
    filters = cfg["filters"]
    weights = f"{_dims(kernel)}x{per_group}"
    each = f"({weights} + 1 bias)" if cfg["use_bias"] else weights
    total = filters * ((elements(kernel) or 0) * per_group + int(bool(cfg["use_bias"])))
    text = [f"{_arrow(ctx)}: {filters} filters x {each} = {_params(total)}"]
    if cfg["groups"] > 1:
        text.append(f"With groups={cfg['groups']}, each filter sees {per_group} of the {channels} input channels.")
    window = _window_sentence(ctx, kernel, per_axis(cfg["strides"], n), per_axis(cfg["dilation_rate"], n))
    if window:
        text.append(window)
    return text


def _transpose(ctx: _Ctx) -> Sentence:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    weights = f"{_dims(kernel)}x{channels}"
    each = f"({weights} + 1 bias)" if cfg["use_bias"] else weights
    total = cfg["filters"] * ((elements(kernel) or 0) * channels + int(bool(cfg["use_bias"])))
    return f"{_arrow(ctx)}: {cfg['filters']} filters x {each} = {_params(total)}", total


def _depthwise(ctx: _Ctx) -> list[str]:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    m = cfg["depth_multiplier"]
    each = f"({_dims(kernel)} + 1 bias)" if cfg["use_bias"] else _dims(kernel)
    times = f" x {m}" if m != 1 else ""
    total = channels * m * ((elements(kernel) or 0) + int(bool(cfg["use_bias"])))
    text = [f"{_arrow(ctx)}: {channels} channels{times} x {each} = {_params(total)}"]
    window = _window_sentence(ctx, kernel, per_axis(cfg["strides"], 2), per_axis(cfg["dilation_rate"], 2))
    return [*text, window] if window else text


def _separable(ctx: _Ctx) -> list[str]:
    cfg = ctx.cfg
    _, channels = split_channels(ctx.shape_in, cfg.get("data_format") or "channels_last")
    assert channels is not None
    kernel = per_axis(cfg["kernel_size"], 2)
    mid, filters = channels * cfg["depth_multiplier"], cfg["filters"]
    bias = f" + {filters} biases" if cfg["use_bias"] else ""
    total = (elements(kernel) or 0) * mid + mid * filters + (filters if cfg["use_bias"] else 0)
    text = [f"{_arrow(ctx)}: depthwise {_dims(kernel)} x {mid} channels + pointwise {mid} x {filters}{bias} "
            f"= {_params(total)}"]
    window = _window_sentence(ctx, kernel, per_axis(cfg["strides"], 2), per_axis(cfg["dilation_rate"], 2))
    return [*text, window] if window else text


def _pool(ctx: _Ctx) -> list[str]:
    cfg = ctx.cfg
    n = len(ctx.shape_in) - 2
    pool = per_axis(cfg["pool_size"], n)
    strides = pool if cfg["strides"] is None else per_axis(cfg["strides"], n)
    window = f"each window of {pool[0]} steps" if n == 1 else f"each {_dims(pool)} window"
    if tuple(strides) != tuple(pool):
        window += f" (moved {_dims(strides)} at a time)"
    what = "keeps its largest value" if ctx.node.class_name.startswith("Max") else "is replaced by its average"
    text = [f"{_arrow(ctx)}: {window} {what}; {_params(0)}"]
    sizes = _window_sentence(ctx, pool, strides, (1,) * n)
    return [*text, sizes] if sizes else text


def _global_pool(ctx: _Ctx) -> Sentence:
    spatial, channels = split_channels(ctx.shape_in, ctx.cfg.get("data_format") or "channels_last")
    n = len(spatial)
    if None in spatial:
        where = "all positions"
    else:
        where = f"all {spatial[0]} steps" if n == 1 else f"all {_dims(spatial)} positions"
    what = "is averaged over" if "Average" in ctx.node.class_name else "keeps its largest value over"
    count = f"{channels:,}" if channels is not None else "the"
    return f"{_arrow(ctx)}: each of the {count} channels {what} {where}; {_params(0)}", 0


def _dropout(what: str) -> Builder:
    def build(ctx: _Ctx) -> Sentence:
        return (f"{_arrow(ctx)}: drops {_pct(ctx.cfg['rate'])} of the {what} while training; nothing at inference; "
                f"{_params(0)}", 0)
    return build


def _gaussian_noise(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: adds random noise with standard deviation {ctx.cfg['stddev']:g} while training; "
            f"nothing at inference; {_params(0)}", 0)


def _gaussian_dropout(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: multiplies every value by random noise around 1 (rate {ctx.cfg['rate']:g}) while "
            f"training; nothing at inference; {_params(0)}", 0)


def _augmentation(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: changes each image at random while training; images pass unchanged at inference; "
            f"{_params(0)}", 0)


def _batch_norm(ctx: _Ctx) -> Sentence:
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
    return (f"{_arrow(ctx)}: for each of the {channels} entries of axis {axis}, {', '.join(parts)}: "
            f"{sums}{_params(total)}", total)


def _layer_norm(ctx: _Ctx) -> Sentence:
    cfg = ctx.cfg
    axis = cfg["axis"]
    axes = [axis] if isinstance(axis, int) else list(axis)
    sizes = [ctx.shape_in[a] for a in axes]
    n = elements(sizes)
    assert n is not None
    rms = bool(cfg["rms_scaling"])
    learned = [name for name, on in (("gamma", cfg["scale"] or rms), ("beta", cfg["center"] and not rms)) if on]
    total = n * len(learned)
    what = f"{n} x ({' + '.join(learned)}) = {_params(total)}" if learned else _params(0)
    rank = len(ctx.shape_in)
    kept = [d for i, d in enumerate(ctx.shape_in) if i and i not in {a % rank for a in axes}]
    positions = elements(kept)
    if kept and positions != 1:
        who = f"each of the {positions:,} positions" if positions is not None else "each position"
    else:
        who = "each sample"
    return f"{_arrow(ctx)}: {who} is normalized over its {n:,} values (axis {axis}); {what}", total


def _embedding(ctx: _Ctx) -> list[str]:
    vocab, dim = ctx.cfg["input_dim"], ctx.cfg["output_dim"]
    total = vocab * dim
    text = [f"{_arrow(ctx)}: a table of {vocab:,} rows (one per token id) x {dim} values = {_params(total)}"]
    if len(ctx.shape_in) == 2 and ctx.shape_in[1] is not None:
        steps = ctx.shape_in[1]
        text.append(f"Each of the {steps} token ids picks its row: {steps} x {dim} values per sample.")
    return text


def _flatten(ctx: _Ctx) -> Sentence:
    sample = ctx.shape_in[1:]
    n = elements(sample)
    count = "?" if n is None else f"{n:,}"
    shown = " x ".join("?" if d is None else str(d) for d in sample)
    return f"{_arrow(ctx)}: {shown} = {count} values per sample; {_params(0)}", 0


def _reshape(ctx: _Ctx) -> Sentence:
    n = elements(ctx.shape_in[1:])
    values = f"the same {n:,} values" if n is not None else "the same values"
    return f"{_arrow(ctx)}: {values}, rearranged; {_params(0)}", 0


def _concatenate(ctx: _Ctx) -> Sentence:
    axis = ctx.cfg["axis"]
    sizes = [s[axis] for s in ctx.inputs]
    joined = " + ".join("?" if d is None else str(d) for d in sizes)
    result = ctx.output[axis]
    return (f"{_arrow(ctx)}: joined along axis {axis}, so {joined} = {'?' if result is None else result}; "
            f"{_params(0)}", 0)


_MERGE_VERBS = {
    "Add": "adds the {n} inputs value by value",
    "Subtract": "subtracts input 2 from input 1 value by value",
    "Multiply": "multiplies the {n} inputs value by value",
    "Average": "averages the {n} inputs value by value",
    "Maximum": "keeps the largest of the {n} inputs at each position",
    "Minimum": "keeps the smallest of the {n} inputs at each position",
}


def _merge(ctx: _Ctx) -> Sentence:
    verb = _MERGE_VERBS[ctx.node.class_name].format(n=len(ctx.inputs))
    return f"{_arrow(ctx)}: {verb}; {_params(0)}", 0


def _recurrent_formula(class_name: str, cfg: Mapping[str, Any], features: int) -> tuple[str, int]:
    """'4 gates x (input 8 + units 16 + 1 bias) x 16 units' and its total."""
    units = cfg["units"]
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[class_name]
    biases = (2 if class_name == "GRU" and cfg.get("reset_after", True) else 1) if cfg["use_bias"] else 0
    bias = f" + {biases} bias{'es' if biases > 1 else ''}" if biases else ""
    inner = f"(input {features} + units {units}{bias}) x {units} units"
    total = gates * units * (features + units + biases)
    return (f"{gates} gates x {inner}" if gates > 1 else inner), total


def _recurrent(ctx: _Ctx) -> list[str]:
    features = ctx.shape_in[2]
    assert features is not None
    formula, total = _recurrent_formula(ctx.node.class_name, ctx.cfg, features)
    steps = ctx.shape_in[1]
    units = ctx.cfg["units"]
    reads = f"the {steps} timesteps" if steps is not None else "the timesteps"
    if ctx.cfg["return_sequences"]:
        out = f"it outputs all {units} values at every step (return_sequences=True)"
    else:
        out = f"only the last step's {units} values come out (return_sequences=False)"
    return [f"{_arrow(ctx)}: {formula} = {_params(total)}",
            f"It reads {reads} one after another with the same weights; {out}."]


def _wrapped(value: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    class_name = value["class_name"]
    spec = get_spec(class_name)
    full = spec.default_config() if spec else {}
    full.update({k: v for k, v in (value.get("config") or {}).items() if k != "name"})
    return class_name, full


def _bidirectional(ctx: _Ctx) -> list[str]:
    features = ctx.shape_in[2]
    assert features is not None
    fwd_class, fwd = _wrapped(ctx.cfg["layer"])
    fwd_text, fwd_total = _recurrent_formula(fwd_class, fwd, features)
    if ctx.cfg["backward_layer"] is None:
        total = 2 * fwd_total
        first = (f"{_arrow(ctx)}: two {fwd_class} layers, one reading forwards and one backwards: "
                 f"2 x {fwd_text} = {_params(total)}")
    else:
        bwd_class, bwd = _wrapped(ctx.cfg["backward_layer"])
        bwd_text, bwd_total = _recurrent_formula(bwd_class, bwd, features)
        total = fwd_total + bwd_total
        first = (f"{_arrow(ctx)}: forwards {fwd_class} {fwd_text} + backwards {bwd_class} {bwd_text} "
                 f"= {_params(total)}")
    units, mode = fwd["units"], ctx.cfg["merge_mode"]
    if mode == "concat":
        merge = f"merge_mode 'concat' puts both directions side by side: 2 x {units} = {2 * units} features."
    else:
        merge = f"merge_mode '{mode}' combines both directions value by value, keeping {units} features."
    return [first, merge]


def _time_distributed(ctx: _Ctx) -> Sentence:
    class_name, _ = _wrapped(ctx.cfg["layer"])
    steps = ctx.shape_in[1]
    each = f"each of the {steps} timesteps" if steps is not None else "every timestep"
    total = ctx.info.params
    return f"{_arrow(ctx)}: one {class_name} applied to {each} with the same weights; {_params(total)}", total


def _multi_head_attention(ctx: _Ctx) -> list[str]:
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
            f"{' + '.join(weights)} weights{bias} = {_params(total)}"]
    if len(query) == 3 and query[1] is not None and key[1] is not None:
        scores = heads * query[1] * key[1]
        text.append(f"Each of the {query[1]} query positions weighs all {key[1]} key positions in each of the "
                    f"{heads} heads: {scores:,} attention weights per sample.")
    return text


def _activation(ctx: _Ctx) -> Sentence:
    n = elements(ctx.output[1:])
    values = f"each of the {n:,} values" if n is not None else "every value"
    return f"{_arrow(ctx)}: applies {ctx.cfg['activation']} to {values}; {_params(0)}", 0


def _relu(ctx: _Ctx) -> Sentence:
    n = elements(ctx.output[1:])
    values = f"each of the {n:,} values" if n is not None else "every value"
    return f"{_arrow(ctx)}: keeps {values} if positive, else sets it to 0; {_params(0)}", 0


def _softmax(ctx: _Ctx) -> Sentence:
    axis = ctx.cfg["axis"]
    size = ctx.output[axis] if isinstance(axis, int) else None
    what = f"the {size} values" if size is not None else "the values"
    return f"{_arrow(ctx)}: turns {what} along axis {axis} into probabilities that sum to 1; {_params(0)}", 0


def _prelu(ctx: _Ctx) -> Sentence:
    shape = list(ctx.shape_in[1:])
    shared = ctx.cfg.get("shared_axes") or []
    for axis in shared:
        shape[axis - 1] = 1
    total = elements(shape) or 0
    note = f" (axes {shared} share one)" if shared else ""
    return f"{_arrow(ctx)}: one learned slope per value{note}: {' x '.join(map(str, shape))} = {_params(total)}", total


def _rescaling(ctx: _Ctx) -> Sentence:
    def num(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    return (f"{_arrow(ctx)}: multiplies every value by {num(ctx.cfg['scale'])} and adds {num(ctx.cfg['offset'])}; "
            f"{_params(0)}", 0)


def _normalization(ctx: _Ctx) -> Sentence:
    if ctx.cfg["mean"] is not None:
        return f"{_arrow(ctx)}: subtracts the given mean and divides by the given standard deviation; {_params(0)}", 0
    axis = ctx.cfg["axis"]
    axes = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
    n = elements(ctx.shape_in[a] for a in axes) or 1
    total = 2 * n + 1
    return (f"{_arrow(ctx)}: a mean and a variance for each of the {n} entries plus a sample count, set by adapt() "
            f"and never trained: 2 x {n} + 1 = {_params(total)}", total)


def _resize(ctx: _Ctx) -> Sentence:
    cfg = ctx.cfg
    return (f"{_arrow(ctx)}: every image becomes {cfg['height']}x{cfg['width']} ({cfg['interpolation']}); "
            f"{_params(0)}", 0)


def _center_crop(ctx: _Ctx) -> Sentence:
    return f"{_arrow(ctx)}: keeps the central {ctx.cfg['height']}x{ctx.cfg['width']} of each image; {_params(0)}", 0


def _upsampling(ctx: _Ctx) -> Sentence:
    size = per_axis(ctx.cfg["size"], 2)
    return (f"{_arrow(ctx)}: each pixel becomes a {_dims(size)} block ({ctx.cfg['interpolation']}); "
            f"{_params(0)}", 0)


def _application(ctx: _Ctx) -> list[str]:
    trainable, frozen = ctx.spec.count(ctx.cfg, ctx.inputs)
    total = trainable + frozen
    split = f"{trainable:,} trainable + {frozen:,} non-trainable (running statistics) = " if frozen else ""
    return [f"{_arrow(ctx)}: the whole {ctx.spec.title} without its classifier: {split}{_params(total)}"]


def _permute(ctx: _Ctx) -> Sentence:
    return f"{_arrow(ctx)}: the axes are reordered as dims {list(ctx.cfg['dims'])}; {_params(0)}", 0


def _repeat_vector(ctx: _Ctx) -> Sentence:
    return f"{_arrow(ctx)}: the {ctx.shape_in[-1]} values are repeated {ctx.cfg['n']} times; {_params(0)}", 0


def _border_pairs(value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """ZeroPadding2D/Cropping2D's three spellings as ((top, bottom), (left, right))."""
    if isinstance(value, int):
        return (value, value), (value, value)
    rows, cols = value
    pair = [(v, v) if isinstance(v, int) else (v[0], v[1]) for v in (rows, cols)]
    return pair[0], pair[1]


def _border(verb: str) -> Builder:
    def build(ctx: _Ctx) -> Sentence:
        key = "padding" if ctx.node.class_name == "ZeroPadding2D" else "cropping"
        (top, bottom), (left, right) = _border_pairs(ctx.cfg[key])
        return (f"{_arrow(ctx)}: {verb} {top} + {bottom} rows and {left} + {right} columns; {_params(0)}", 0)
    return build


def _leaky(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: keeps positive values and multiplies negative ones by {ctx.cfg['negative_slope']:g}; "
            f"{_params(0)}", 0)


def _elu(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: keeps positive values and bends negative ones towards −{ctx.cfg['alpha']:g}; "
            f"{_params(0)}", 0)


def _unit_norm(ctx: _Ctx) -> Sentence:
    return f"{_arrow(ctx)}: scales each vector along axis {ctx.cfg['axis']} to length 1; {_params(0)}", 0


def _activity_regularization(ctx: _Ctx) -> Sentence:
    return (f"{_arrow(ctx)}: passes the values through unchanged and adds l1 {ctx.cfg['l1']:g} and l2 "
            f"{ctx.cfg['l2']:g} penalties on them to the loss; {_params(0)}", 0)


def _attention(ctx: _Ctx) -> Sentence:
    query, value = ctx.inputs[0], ctx.inputs[1]
    total = int(bool(ctx.cfg["use_scale"])) + int(ctx.cfg["score_mode"] == "concat")
    learned = "" if total else "no learned projections, "
    return (f"query {fmt_shape(query)}, value {fmt_shape(value)} -> {fmt_shape(ctx.output)}: {learned}each of the "
            f"{query[-2]} query positions takes a weighted average of the {value[-2]} values; {_params(total)}", total)


_AUGMENTATIONS = ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
                  "RandomBrightness")

_BUILDERS: dict[str, Builder] = {
    "InputLayer": _input,
    "Dense": _dense,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Conv2DTranspose": _transpose,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
    "MaxPooling1D": _pool,
    "MaxPooling2D": _pool,
    "AveragePooling1D": _pool,
    "AveragePooling2D": _pool,
    "GlobalAveragePooling1D": _global_pool,
    "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling1D": _global_pool,
    "GlobalMaxPooling2D": _global_pool,
    "Dropout": _dropout("values"),
    "SpatialDropout1D": _dropout("channels (whole feature maps)"),
    "SpatialDropout2D": _dropout("channels (whole feature maps)"),
    "GaussianNoise": _gaussian_noise,
    "GaussianDropout": _gaussian_dropout,
    **dict.fromkeys(_AUGMENTATIONS, _augmentation),
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Embedding": _embedding,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Concatenate": _concatenate,
    **dict.fromkeys(_MERGE_VERBS, _merge),
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "MultiHeadAttention": _multi_head_attention,
    "Activation": _activation,
    "ReLU": _relu,
    "Softmax": _softmax,
    "PReLU": _prelu,
    "Rescaling": _rescaling,
    "Normalization": _normalization,
    "Resizing": _resize,
    "CenterCrop": _center_crop,
    "UpSampling2D": _upsampling,
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    "ZeroPadding2D": _border("adds zeros around each image:"),
    "Cropping2D": _border("cuts off"),
    "LeakyReLU": _leaky,
    "ELU": _elu,
    "UnitNormalization": _unit_norm,
    "ActivityRegularization": _activity_regularization,
    "Attention": _attention,
    "MobileNetV2": _application,
    "ResNet50": _application,
    "EfficientNetB0": _application,
    "VGG16": _application,
    "DenseNet121": _application,
}
