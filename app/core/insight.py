"""Model insight: compute cost (multiply-adds, FLOPs) and activation memory per node.

Everything here is per sample (batch size 1), for one forward pass at inference, worked
out from the shapes :mod:`app.core.shapes` already inferred, so the numbers appear as
instantly as the shapes do.

Conventions (the same ones keras-flops and ptflops tables use for the big layers):

* **MACs** count the multiply-accumulates of weights with inputs, and the matrix products
  of attention. Dense 784 -> 128 is 784 · 128 = 100,352 MACs. Bias additions and
  activation functions fused into a layer (``Dense(activation="relu")``) are *not*
  counted: they are one operation per output value, tiny next to the products.
* **FLOPs** = 2 · MACs (a multiply and an add each) **plus** the simple operations of
  layers that do no multiply-adds: one per value in each pooling window, one per value
  added by a merge, a few per value for normalization (:data:`BATCH_NORM_OPS`,
  :data:`LAYER_NORM_OPS`), one per value for a standalone activation layer
  (:data:`SOFTMAX_OPS` for softmax), and the softmax and scaling inside attention.
  For Dense, convolutions and recurrent layers FLOPs are therefore exactly 2 · MACs.
* Dropout, noise and random augmentation layers do nothing at inference: 0.
  Reshaping, padding, cropping and concatenation only move values: 0.
* **Activation memory** is the node's output tensor: number of values · bytes of the
  node's dtype (its compute dtype for mixed-precision policies; float32 = 4 bytes).
  Internal tensors of a whole backbone are not included, and the model total is the sum
  over nodes, i.e. what a forward pass keeps for backpropagation, with no buffer reuse.
* Anything that cannot be worked out (an unknown sequence length, an exotic layer, a
  node whose shape has an error) is ``None``, never a guessed number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.catalog import get_spec
from app.core.catalog.convolution import per_axis, split_channels
from app.core.catalog.rules import conv_length, elements
from app.core.catalog.spec import Shape
from app.core.graph import Graph
from app.core.shapes import Analysis

BATCH_NORM_OPS = 4
"""Per value at inference: subtract the moving mean, divide by the moving std, scale, shift."""

LAYER_NORM_OPS = 7
"""Per value: mean (1), variance (2), then subtract, divide, scale and shift (4)."""

UNIT_NORM_OPS = 3
"""Per value: square, sum, divide."""

AFFINE_OPS = 2
"""Per value for Rescaling and Normalization: one multiply (or divide) and one add."""

SOFTMAX_OPS = 3
"""Per value: exponential, sum, divide."""

RESIZE_OPS: dict[str, int] = {"nearest": 0, "bilinear": 8, "bicubic": 32}
"""Per output value for resizing: nearest copies; bilinear blends 4 neighbours, bicubic 16.
Other interpolations (area, lanczos) are unknown."""

DTYPE_BYTES: dict[str, int] = {
    "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8,
    "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8,
    "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1,
    "mixed_float16": 2, "mixed_bfloat16": 2,
}
"""Bytes per value; mixed-precision policies compute (and so store activations) in 16 bits."""

DEFAULT_DTYPE = "float32"

Cost = tuple[int, int]
"""(MACs, other operations) of one layer for one sample."""

CostRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], Cost | None]


@dataclass(frozen=True)
class NodeCost:
    """Per-sample cost of one node. ``None`` means unknown, never zero."""

    flops: int | None
    macs: int | None
    activation_bytes: int | None
    params: int

    @property
    def known(self) -> bool:
        return self.flops is not None and self.activation_bytes is not None


@dataclass(frozen=True)
class ModelCosts:
    """Costs of every node and their totals.

    Totals add up the known nodes only; when ``unknown`` is not empty they are lower
    bounds, and a view should say so (``complete`` is False).
    """

    per_node: dict[str, NodeCost]
    total_flops: int
    total_macs: int
    total_activation_bytes: int
    unknown: list[str]

    @property
    def complete(self) -> bool:
        return not self.unknown


# --- Public API ---------------------------------------------------------------------------

def node_cost(graph: Graph, node_id: str, analysis: Analysis) -> NodeCost:
    """MACs, FLOPs and output memory of one node for one sample (see the module docstring)."""
    node = graph.node(node_id)
    info = analysis.nodes.get(node_id)
    if info is None or info.output_shapes is None:
        return NodeCost(None, None, None, info.params if info else 0)
    inputs = input_shapes(graph, node_id, analysis)
    output = info.output_shapes[0]
    cost = None if inputs is None else layer_cost(node.class_name, node.config, inputs, output)
    flops = None if cost is None else 2 * cost[0] + cost[1]
    macs = None if cost is None else cost[0]
    return NodeCost(flops, macs, activation_bytes(node.config, info.output_shapes), info.params)


def model_costs(graph: Graph, analysis: Analysis) -> ModelCosts:
    """Costs of all nodes in analysis order; totals over the known ones."""
    per_node: dict[str, NodeCost] = {}
    unknown: list[str] = []
    flops = macs = memory = 0
    for node_id in analysis.order:
        cost = node_cost(graph, node_id, analysis)
        per_node[node_id] = cost
        if not cost.known:
            unknown.append(graph.node(node_id).name)
        flops += cost.flops or 0
        macs += cost.macs or 0
        memory += cost.activation_bytes or 0
    return ModelCosts(per_node, flops, macs, memory, unknown)


def format_flops(n: int | None) -> str:
    """``1234567`` -> ``"1.2 MFLOPs"``, for badges; ``None`` -> ``"?"``."""
    return _format_count(n, "FLOPs")


def format_macs(n: int | None) -> str:
    """``100352`` -> ``"100.4 KMACs"``."""
    return _format_count(n, "MACs")


def format_bytes(n: int | None) -> str:
    """``86528`` -> ``"84.5 KB"``, powers of 1024 as in Keras' ``model.summary()``."""
    if n is None:
        return "?"
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def dtype_name(config: Mapping[str, Any]) -> str:
    """The dtype a node computes in: a name, a policy name, or a serialized policy."""
    value = config.get("dtype")
    if isinstance(value, Mapping):
        inner = value.get("config")
        value = inner.get("name") if isinstance(inner, Mapping) else None
    return value if isinstance(value, str) else DEFAULT_DTYPE


def dtype_bytes(config: Mapping[str, Any]) -> int | None:
    """Bytes per activation value of a node, None for dtypes without a fixed size (string)."""
    return DTYPE_BYTES.get(dtype_name(config))


def activation_bytes(config: Mapping[str, Any], shapes: Sequence[Shape]) -> int | None:
    """Bytes of a node's output tensors for one sample."""
    size = dtype_bytes(config)
    counts = [elements(shape[1:]) for shape in shapes]
    if size is None or any(c is None for c in counts):
        return None
    return sum(c for c in counts if c is not None) * size


def input_shapes(graph: Graph, node_id: str, analysis: Analysis) -> list[Shape] | None:
    """Input shapes in the order the layer is called with (as :mod:`app.core.shapes` gathers them)."""
    shapes: list[Shape] = []
    for edge in graph.ordered_in_edges(node_id):
        upstream = analysis.nodes.get(edge.source)
        if upstream is None or upstream.output_shapes is None or edge.source_port >= len(upstream.output_shapes):
            return None
        shapes.append(upstream.output_shapes[edge.source_port])
    return shapes


def layer_cost(class_name: str, config: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """(MACs, other operations) of one layer call for one sample, or None when unknown.

    Takes plain Keras class names and configs, so it also works for the layers inside a
    wrapper or a Keras model (which is how the backbone walks are checked).
    """
    rule = _RULES.get(class_name)
    if rule is None:
        return None
    try:
        return rule(config, inputs, output)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, AssertionError):
        return None


# --- Helpers ------------------------------------------------------------------------------

def _per_sample(shape: Shape) -> int | None:
    """Values in one sample (all axes but the batch)."""
    return elements(shape[1:])


def _times(n: int | None, k: int) -> Cost | None:
    return None if n is None else (0, n * k)


def _full_config(value: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A wrapped layer's class and config with Keras defaults for missing keys."""
    class_name = value["class_name"]
    spec = get_spec(class_name)
    full = spec.default_config() if spec else {}
    full.update(value.get("config") or {})
    return class_name, full


def _add(*costs: Cost | None) -> Cost | None:
    if any(c is None for c in costs):
        return None
    return (sum(c[0] for c in costs if c), sum(c[1] for c in costs if c))


# --- Rules --------------------------------------------------------------------------------

def _free(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Layers that only move values, or do nothing at inference."""
    return (0, 0)


def _per_output(k: int) -> CostRule:
    def rule(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
        return _times(_per_sample(output), k)
    return rule


def _activation_ops(name: Any) -> int:
    if name in (None, "linear"):
        return 0
    return SOFTMAX_OPS if name in ("softmax", "log_softmax") else 1


def _activation(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return _times(_per_sample(output), _activation_ops(cfg.get("activation")))


def _dense(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every input value meets every unit: (positions · features) · units."""
    n = _per_sample(inputs[0])
    return None if n is None else (n * cfg["units"], 0)


def _conv(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Conv1D/2D/3D: each output value sums kernel · (input channels / groups) products."""
    shape = inputs[0]
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(shape, fmt)
    out = _per_sample(output)
    if channels is None or out is None:
        return None
    kernel = elements(per_axis(cfg["kernel_size"], len(shape) - 2))
    return (out * (kernel or 0) * (channels // cfg.get("groups", 1)), 0)


def _depthwise(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each output channel filters one input channel: kernel products per output value."""
    out = _per_sample(output)
    kernel = elements(per_axis(cfg["kernel_size"], len(inputs[0]) - 2))
    return None if out is None else (out * (kernel or 0), 0)


def _separable(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Depthwise step (kernel per value of C·m maps) plus a 1x1 pointwise step to the filters."""
    fmt = cfg.get("data_format") or "channels_last"
    _, channels = split_channels(inputs[0], fmt)
    spatial, _ = split_channels(output, fmt)
    positions = elements(spatial)
    if channels is None or positions is None:
        return None
    mid = channels * cfg["depth_multiplier"]
    kernel = elements(per_axis(cfg["kernel_size"], len(spatial))) or 0
    return (positions * mid * kernel + positions * mid * cfg["filters"], 0)


def _transpose(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every input value spreads its kernel over the output for every filter."""
    n = _per_sample(inputs[0])
    kernel = elements(per_axis(cfg["kernel_size"], len(inputs[0]) - 2)) or 0
    return None if n is None else (n * kernel * cfg["filters"], 0)


def _pool(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """One comparison (max) or addition (average) per value of each window."""
    window = elements(per_axis(cfg["pool_size"], len(inputs[0]) - 2)) or 0
    return _times(_per_sample(output), window)


def _global_pool(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return _times(_per_sample(inputs[0]), 1)


def _resize_rule(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    ops = RESIZE_OPS.get(cfg.get("interpolation", "nearest"))
    return None if ops is None else _times(_per_sample(output), ops)


def _elementwise(extra: int = 0) -> CostRule:
    """Merges: n inputs need n − 1 operations per output value (Average one more, to divide)."""
    def rule(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
        return _times(_per_sample(output), len(inputs) - 1 + extra)
    return rule


def _operation_mean(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """keras.ops.mean: one addition per input value (the division is per output, negligible)."""
    return _times(_per_sample(inputs[0]), 1)


def _operation_matmul(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """keras.ops.matmul: each output value sums ``k`` products (MACs), k the shared last axis of x."""
    k = inputs[0][-1] if inputs and inputs[0] else None
    out = _per_sample(output)
    if k is None or out is None:
        return None
    return (out * k, 0)


def _dot(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each output value is a sum over the shared axis: (values in input 1) · (columns of input 2)."""
    first, second = inputs
    axes = cfg["axes"]
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    size = first[a0]
    out = _per_sample(output)
    if size is None or out is None or (first[a0] != second[a1]):
        return None
    ops = 0
    if cfg.get("normalize"):
        n1, n2 = _per_sample(first), _per_sample(second)
        if n1 is None or n2 is None:
            return None
        ops = UNIT_NORM_OPS * (n1 + n2)
    return (out * size, ops)


def _recurrent_macs(class_name: str, cfg: Mapping[str, Any], shape: Shape) -> int | None:
    """Per timestep: gates · (features · units + units · units); times the sequence length.
    GRU computes all three recurrent products with or without reset_after (it only moves
    where the reset gate is applied and adds a bias), so its count does not change."""
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[class_name]
    steps, features = shape[1], shape[2]
    if steps is None or features is None:
        return None
    units = cfg["units"]
    return steps * gates * (features * units + units * units)


def _recurrent(class_name: str) -> CostRule:
    def rule(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
        macs = _recurrent_macs(class_name, cfg, inputs[0])
        return None if macs is None else (macs, 0)
    return rule


def _bidirectional(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Forward plus backward layer, plus the merge (concat only copies)."""
    fwd_class, fwd = _full_config(cfg["layer"])
    bwd_class, bwd = (fwd_class, fwd) if cfg.get("backward_layer") is None else _full_config(cfg["backward_layer"])
    forward = _recurrent_macs(fwd_class, fwd, inputs[0])
    backward = _recurrent_macs(bwd_class, bwd, inputs[0])
    out = _per_sample(output)
    if forward is None or backward is None or out is None:
        return None
    merge = {"concat": 0, "sum": 1, "mul": 1, "ave": 2}.get(cfg.get("merge_mode") or "concat", 0)
    return (forward + backward, out * merge)


def _time_distributed(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """The wrapped layer's cost on one timestep, times the number of timesteps."""
    class_name, inner = _full_config(cfg["layer"])
    steps = inputs[0][1]
    if steps is None:
        return None
    child_in: Shape = (inputs[0][0], *inputs[0][2:])
    child_out: Shape = (output[0], *output[2:])
    cost = layer_cost(class_name, inner, [child_in], child_out)
    return None if cost is None else (cost[0] * steps, cost[1] * steps)


def _multi_head_attention(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
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
    t_all, s_all = _per_sample(query[:-1]), _per_sample(key[:-1])
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


def _attention(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Luong (dot) or Bahdanau-like (concat) attention without projections."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    lead = _per_sample(query[:-2])
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


def _normalization(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return _times(_per_sample(output), AFFINE_OPS)


# --- Application backbones ------------------------------------------------------------------

class _Walk:
    """Follows a backbone's layer list, tracking the feature map and adding up the same
    costs :func:`layer_cost` gives each of those layers."""

    def __init__(self, height: int, width: int, channels: int) -> None:
        self.h, self.w, self.c = height, width, channels
        self.macs = 0
        self.ops = 0

    @property
    def size(self) -> int:
        return self.h * self.w * self.c

    def pad(self, before: tuple[int, int], after: tuple[int, int]) -> None:
        self.h += before[0] + after[0]
        self.w += before[1] + after[1]

    def _window(self, kernel: int, stride: int, padding: str) -> None:
        h, w = conv_length(self.h, kernel, stride, padding), conv_length(self.w, kernel, stride, padding)
        assert h is not None and w is not None
        self.h, self.w = h, w

    def conv(self, filters: int, kernel: int, stride: int = 1, padding: str = "valid") -> None:
        channels = self.c
        self._window(kernel, stride, padding)
        self.c = filters
        self.macs += self.size * kernel * kernel * channels

    def depthwise(self, kernel: int, stride: int = 1, padding: str = "valid") -> None:
        self._window(kernel, stride, padding)
        self.macs += self.size * kernel * kernel

    def pool(self, kernel: int, stride: int, padding: str = "valid") -> None:
        self._window(kernel, stride, padding)
        self.ops += self.size * kernel * kernel

    def batch_norm(self) -> None:
        self.ops += BATCH_NORM_OPS * self.size

    def act(self) -> None:
        self.ops += self.size

    def elementwise(self, ops: int = 1) -> None:
        self.ops += ops * self.size

    def global_pool(self) -> None:
        self.ops += self.size
        self.h = self.w = 1

    def cost(self, cfg: Mapping[str, Any]) -> Cost:
        if cfg.get("pooling") in ("avg", "max"):
            self.global_pool()
        return (self.macs, self.ops)


def _correct_pad(walk: _Walk, kernel: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' ``imagenet_utils.correct_pad`` for a known height and width."""
    adjust = (1 - walk.h % 2, 1 - walk.w % 2)
    half = kernel // 2
    return (half - adjust[0], half - adjust[1]), (half, half)


def _image(inputs: Sequence[Shape]) -> _Walk | None:
    shape = inputs[0]
    if len(shape) != 4 or None in shape[1:]:
        return None
    _, h, w, c = shape
    assert h is not None and w is not None and c is not None
    return _Walk(h, w, c)


def _make_divisible(value: float, divisor: int = 8) -> int:
    new_value = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


_MOBILENET_V2_BLOCKS: tuple[tuple[int, int, int], ...] = (
    (16, 1, 1),
    (24, 2, 6), (24, 1, 6),
    (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
    (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6),
    (320, 1, 6),
)


def _mobilenet_v2(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    walk = _image(inputs)
    if walk is None:
        return None
    alpha = cfg["alpha"]
    walk.conv(_make_divisible(32 * alpha), 3, 2, "same")
    walk.batch_norm()
    walk.act()
    for index, (filters, stride, expansion) in enumerate(_MOBILENET_V2_BLOCKS):
        channels = walk.c
        project = _make_divisible(int(filters * alpha))
        if index:
            walk.conv(expansion * channels, 1, 1, "same")
            walk.batch_norm()
            walk.act()
        if stride == 2:
            walk.pad(*_correct_pad(walk, 3))
        walk.depthwise(3, stride, "same" if stride == 1 else "valid")
        walk.batch_norm()
        walk.act()
        walk.conv(project, 1, 1, "same")
        walk.batch_norm()
        if channels == project and stride == 1:
            walk.elementwise()
    walk.conv(_make_divisible(1280 * alpha) if alpha > 1.0 else 1280, 1)
    walk.batch_norm()
    walk.act()
    return walk.cost(cfg)


def _resnet_stem(walk: _Walk) -> None:
    """ResNet and DenseNet: pad 3, 7x7/2 conv, batch norm, relu, pad 1, 3x3/2 max pool."""
    walk.pad((3, 3), (3, 3))
    walk.conv(64, 7, 2)
    walk.batch_norm()
    walk.act()
    walk.pad((1, 1), (1, 1))
    walk.pool(3, 2)


def _resnet50(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    walk = _image(inputs)
    if walk is None:
        return None
    _resnet_stem(walk)
    for filters, blocks, first_stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for block in range(blocks):
            stride = first_stride if block == 0 else 1
            if block == 0:  # 1x1 projection shortcut, on its own copy of the input
                shortcut = _Walk(walk.h, walk.w, walk.c)
                shortcut.conv(4 * filters, 1, stride)
                shortcut.batch_norm()
                walk.macs += shortcut.macs
                walk.ops += shortcut.ops
            walk.conv(filters, 1, stride)
            walk.batch_norm()
            walk.act()
            walk.conv(filters, 3, 1, "same")
            walk.batch_norm()
            walk.act()
            walk.conv(4 * filters, 1)
            walk.batch_norm()
            walk.elementwise()
            walk.act()
    return walk.cost(cfg)


_VGG16_BLOCKS: tuple[tuple[int, ...], ...] = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
                                               (512, 512, 512))


def _vgg16(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    walk = _image(inputs)
    if walk is None:
        return None
    for block in _VGG16_BLOCKS:
        for filters in block:
            walk.conv(filters, 3, 1, "same")  # relu fused into the conv: not counted
        walk.pool(2, 2)
    return walk.cost(cfg)


def _densenet121(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    walk = _image(inputs)
    if walk is None:
        return None
    _resnet_stem(walk)
    growth = 32
    blocks = (6, 12, 24, 16)
    for index, count in enumerate(blocks):
        for _ in range(count):
            branch = _Walk(walk.h, walk.w, walk.c)
            branch.batch_norm()
            branch.act()
            branch.conv(4 * growth, 1)
            branch.batch_norm()
            branch.act()
            branch.conv(growth, 3, 1, "same")
            walk.macs += branch.macs
            walk.ops += branch.ops
            walk.c += growth  # Concatenate: no operations
        if index < len(blocks) - 1:
            walk.batch_norm()
            walk.act()
            walk.conv(int(walk.c * 0.5), 1)
            walk.pool(2, 2)
    walk.batch_norm()
    walk.act()
    return walk.cost(cfg)


_EFFICIENTNET_B0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    # kernel, repeats, filters_in, filters_out, expand, stride
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)


def _efficientnet_b0(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    walk = _image(inputs)
    if walk is None:
        return None
    walk.elementwise(AFFINE_OPS)  # Rescaling(1/255)
    walk.elementwise(AFFINE_OPS)  # Normalization
    if cfg.get("weights") == "imagenet":
        walk.elementwise(AFFINE_OPS)  # Rescaling by 1/std
    walk.pad(*_correct_pad(walk, 3))
    walk.conv(32, 3, 2)
    walk.batch_norm()
    walk.act()
    for kernel, repeats, filters_in, filters_out, expand, first_stride in _EFFICIENTNET_B0_STAGES:
        for repeat in range(repeats):
            stride = first_stride if repeat == 0 else 1
            block_in = filters_in if repeat == 0 else filters_out
            expanded = block_in * expand
            if expand != 1:
                walk.conv(expanded, 1, 1, "same")
                walk.batch_norm()
                walk.act()
            if stride == 2:
                walk.pad(*_correct_pad(walk, kernel))
            walk.depthwise(kernel, stride, "same" if stride == 1 else "valid")
            walk.batch_norm()
            walk.act()
            # Squeeze and excitation: pool to 1x1, two 1x1 convs, then scale every value.
            squeezed = max(1, int(block_in * 0.25))
            walk.ops += walk.size  # GlobalAveragePooling2D
            walk.macs += expanded * squeezed + squeezed * expanded
            walk.elementwise()  # Multiply
            walk.conv(filters_out, 1, 1, "same")
            walk.batch_norm()
            if stride == 1 and block_in == filters_out:
                walk.elementwise()  # Add (dropout does nothing at inference)
    walk.conv(1280, 1, 1, "same")
    walk.batch_norm()
    walk.act()
    return walk.cost(cfg)


# --- Rules for the layers added with the rest of keras.layers ------------------------------

def _einsum_dense(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every output value sums over the weight axes it does not keep: output values · contracted sizes."""
    from app.core.catalog.core_extra import _split, einsum_analysis

    kernel, _, _ = einsum_analysis(cfg, inputs[0])
    parts = _split(cfg["equation"])
    out = _per_sample(output)
    if parts is None or out is None:
        return None
    _, weight_spec, output_spec, _ = parts
    contracted = [size for letter, size in zip(weight_spec, kernel, strict=True) if letter not in output_spec]
    total = elements(contracted)
    return None if total is None else (out * total, 0)


def _spectral(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """The wrapped layer's cost (the power iteration runs only while training)."""
    class_name, inner = _full_config(cfg["layer"])
    return layer_cost(class_name, inner, inputs, output)


def _additive_attention(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return _attention({**cfg, "score_mode": "concat"}, inputs, output)


def _group_query_attention(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
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


def _conv_lstm(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Per timestep, four gates convolve the input (C channels) and the state (filters channels)
    over every output position; the state convolution keeps the output's size."""
    shape = inputs[0]
    fmt = cfg.get("data_format") or "channels_last"
    step = (shape[0], *shape[2:])
    _, channels = split_channels(step, fmt)
    last = output if not cfg.get("return_sequences") else (output[0], *output[2:])
    spatial, _ = split_channels(last, fmt)
    positions, steps = elements(spatial), shape[1]
    if channels is None or positions is None or steps is None:
        return None
    window = elements(per_axis(cfg["kernel_size"], len(spatial))) or 0
    filters = cfg["filters"]
    return (steps * positions * window * (channels + filters) * 4 * filters, 0)


# --- The rule table -------------------------------------------------------------------------

_FREE = (
    "InputLayer", "Flatten", "Reshape", "Permute", "RepeatVector", "Embedding", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "ActivityRegularization", "ZeroPadding2D",
    "Cropping2D", "CenterCrop", "Concatenate", "RandomFlip", "RandomRotation", "RandomZoom",
    "RandomTranslation", "RandomContrast", "RandomBrightness",
)

def _stft_cost(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """STFTSpectrogram is a strided convolution: frame_length products per frequency, kernel and channel."""
    fmt = cfg.get("data_format") or "channels_last"
    shape = inputs[0]
    samples, channels = (shape[2], shape[1]) if fmt == "channels_first" else (shape[1], shape[2])
    step = cfg.get("frame_step") or cfg["frame_length"] // 2
    if samples is None or channels is None:
        return None
    fft = cfg.get("fft_length") or 2 ** max(0, (cfg["frame_length"] - 1).bit_length())
    kernels = int(cfg.get("mode") != "imag") + int(cfg.get("mode") != "real")
    frames = max(0, samples // step)
    return (frames * cfg["frame_length"] * (fft // 2 + 1) * kernels * channels, 0)


def _mel_cost(cfg: Mapping[str, Any], inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """MelSpectrogram: an FFT per frame (≈ n·log2 n) plus the mel filter bank (bins × frequencies)."""
    frames = output[-1]
    if frames is None:
        return None
    n = cfg["fft_length"]
    return (frames * cfg["num_mel_bins"] * (n // 2 + 1), frames * n * max(1, (n - 1).bit_length()))


_AUGMENTATIONS_EXTRA = (
    "RandomCrop", "RandomErasing", "RandomGrayscale", "RandomHue", "RandomSaturation", "RandomColorDegeneration",
    "RandomColorJitter", "RandomSharpness", "RandomPosterization", "RandomInvert", "RandomGaussianBlur",
    "RandomShear", "RandomPerspective", "RandomElasticTransform", "Solarization", "CutMix", "MixUp", "RandAugment",
    "AugMix", "MaxNumBoundingBoxes",
)
"""Augmentations that do nothing at inference (RandomCrop then cuts the centre: only copies)."""

_RULES: dict[str, CostRule] = {
    **dict.fromkeys(_FREE, _free),
    **dict.fromkeys(("ops.Reshape", "ops.Transpose", "ops.Concatenate", "ops.ExpandDims", "ops.Squeeze"), _free),
    **dict.fromkeys(("ops.Add", "ops.Subtract", "ops.Multiply", "ops.TrueDivide", "ops.Divide", "ops.Power",
                     "ops.Maximum", "ops.Minimum", "ops.Square", "ops.Sqrt", "ops.Exp", "ops.Absolute",
                     "ops.Negative"), _per_output(1)),
    "ops.Mean": _operation_mean,
    "ops.Sum": _operation_mean,
    "ops.Matmul": _operation_matmul,
    "LayerScale": _per_output(1),
    "CustomScaleLayer": _per_output(2),
    "Dense": _dense,
    "Activation": _activation,
    "ReLU": _per_output(1),
    "LeakyReLU": _per_output(1),
    "PReLU": _per_output(1),
    "ELU": _per_output(1),
    "Softmax": _per_output(SOFTMAX_OPS),
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Conv3D": _conv,
    "DepthwiseConv1D": _depthwise,
    "SeparableConv1D": _separable,
    "Conv1DTranspose": _transpose,
    "Conv3DTranspose": _transpose,
    "ZeroPadding1D": _free,
    "ZeroPadding3D": _free,
    "Cropping1D": _free,
    "Cropping3D": _free,
    "UpSampling1D": _resize_rule,
    "UpSampling3D": _resize_rule,
    "MaxPooling3D": _pool,
    "AveragePooling3D": _pool,
    "GlobalAveragePooling3D": _global_pool,
    "GlobalMaxPooling3D": _global_pool,
    **dict.fromkeys([f"Adaptive{k}Pooling{n}D" for k in ("Average", "Max") for n in (1, 2, 3)], _global_pool),
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
    "Conv2DTranspose": _transpose,
    "UpSampling2D": _resize_rule,
    "Resizing": _resize_rule,
    "MaxPooling1D": _pool,
    "MaxPooling2D": _pool,
    "AveragePooling1D": _pool,
    "AveragePooling2D": _pool,
    "GlobalAveragePooling1D": _global_pool,
    "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling1D": _global_pool,
    "GlobalMaxPooling2D": _global_pool,
    "BatchNormalization": _per_output(BATCH_NORM_OPS),
    "LayerNormalization": _per_output(LAYER_NORM_OPS),
    "UnitNormalization": _per_output(UNIT_NORM_OPS),
    "Rescaling": _per_output(AFFINE_OPS),
    "Normalization": _normalization,
    "Add": _elementwise(),
    "Subtract": _elementwise(),
    "Multiply": _elementwise(),
    "Maximum": _elementwise(),
    "Minimum": _elementwise(),
    "Average": _elementwise(1),
    "Dot": _dot,
    "SimpleRNN": _recurrent("SimpleRNN"),
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "Bidirectional": _bidirectional,
    "ConvLSTM1D": _conv_lstm,
    "ConvLSTM2D": _conv_lstm,
    "ConvLSTM3D": _conv_lstm,
    "TimeDistributed": _time_distributed,
    "MultiHeadAttention": _multi_head_attention,
    "AdditiveAttention": _additive_attention,
    "GroupQueryAttention": _group_query_attention,
    "EinsumDense": _einsum_dense,
    "SpectralNormalization": _spectral,
    "Masking": _per_output(1),
    "Identity": _free,
    "AlphaDropout": _free,
    "SpatialDropout3D": _free,
    "GroupNormalization": _per_output(LAYER_NORM_OPS),
    **dict.fromkeys(_AUGMENTATIONS_EXTRA, _free),
    "AutoContrast": _per_output(AFFINE_OPS),
    "ContrastLimitedAdaptiveHistogramEqualization": _per_output(AFFINE_OPS),
    **dict.fromkeys(("CategoryEncoding", "Hashing", "Discretization", "StringLookup", "IntegerLookup",
                     "HashedCrossing", "TextVectorization"), _per_output(1)),
    "MelSpectrogram": _mel_cost,
    "STFTSpectrogram": _stft_cost,
    "RMSNormalization": _per_output(LAYER_NORM_OPS),
    "ReversibleEmbedding": _free,
    "Attention": _attention,
    "MobileNetV2": _mobilenet_v2,
    "ResNet50": _resnet50,
    "VGG16": _vgg16,
    "DenseNet121": _densenet121,
    "EfficientNetB0": _efficientnet_b0,
}


def supported_classes() -> frozenset[str]:
    """Keras classes with a cost rule; any other layer is reported as unknown."""
    return frozenset(_RULES)


def _format_count(n: int | None, unit: str) -> str:
    if n is None:
        return "?"
    if n < 1000:
        return f"{n} {unit}"
    value = float(n)
    for prefix in ("K", "M", "G", "T", "P"):
        value /= 1000
        if value < 999.95 or prefix == "P":
            break
    return f"{value:.1f} {prefix}{unit}"
