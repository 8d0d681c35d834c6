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

Each layer's own rule is its spec's ``cost`` (built from :mod:`app.core.catalog.costs`);
this module only walks the graph, adds the totals up and formats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.catalog import CATALOG
from app.core.catalog.costs import (
    AFFINE_OPS,
    BATCH_NORM_OPS,
    LAYER_NORM_OPS,
    RESIZE_OPS,
    SOFTMAX_OPS,
    UNIT_NORM_OPS,
    layer_cost,
)
from app.core.catalog.rules import elements
from app.core.catalog.spec import DEFAULT_DTYPE, Cost, CostRule, Shape, dtype_name
from app.core.graph import Graph
from app.core.shapes import Analysis

__all__ = [
    "AFFINE_OPS", "BATCH_NORM_OPS", "DEFAULT_DTYPE", "DTYPE_BYTES", "LAYER_NORM_OPS", "RESIZE_OPS", "SOFTMAX_OPS",
    "UNIT_NORM_OPS", "Cost", "CostRule", "ModelCosts", "NodeCost", "activation_bytes", "dtype_bytes", "dtype_name",
    "format_bytes", "format_flops", "format_macs", "input_shapes", "layer_cost", "model_costs", "node_cost",
    "supported_classes",
]

DTYPE_BYTES: dict[str, int] = {
    "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8,
    "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8,
    "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1,
    "mixed_float16": 2, "mixed_bfloat16": 2,
}
"""Bytes per value; mixed-precision policies compute (and so store activations) in 16 bits."""


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


def supported_classes() -> frozenset[str]:
    """Keras classes whose spec has a cost rule; any other layer is reported as unknown."""
    return frozenset(name for name, spec in CATALOG.items() if spec.cost is not None)


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
