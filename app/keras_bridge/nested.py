"""Nested models across the Keras bridge: import keeps them as ``nested_model`` blocks,
compiling builds each such block as its own ``keras.Model`` called as one layer.

A model that calls another model (``x = base(inputs, training=False)``, an encoder and a
decoder) lists the sub-model as one layer in ``model.summary()``, with its own name and
``trainable`` flag. The graph holds every real layer (so each stays editable); the block
tree remembers which of them form a sub-model, and :class:`NestedModels` rebuilds that
structure when the graph is compiled, so a round trip lists the same top-level layers.
Keras is imported inside functions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from app.core.blocks import Block, BlockTree, block_ports, validate_blocks
from app.core.graph import Graph
from app.core.shapes import Analysis


@dataclass(frozen=True)
class NestedCall:
    """A sub-model met while importing: its name, ``trainable``, the ``training=`` argument
    it was called with (None: not given) and the graph nodes its layers became."""

    name: str
    trainable: bool
    training: bool | None
    node_ids: tuple[str, ...]


def training_argument(kwargs: Any) -> bool | None:
    """The constant ``training=`` a saved call passes (``base(x, training=False)``), or None."""
    value = kwargs.get("training") if isinstance(kwargs, dict) else None
    return value if isinstance(value, bool) else None


def import_blocks(calls: Sequence[NestedCall], tree: BlockTree | None = None) -> BlockTree:
    """A block tree with one collapsed ``nested_model`` block per sub-model call; a sub-model
    inside another becomes a block inside the other's block."""
    tree = tree if tree is not None else BlockTree()
    ordered = sorted(calls, key=lambda c: -len(c.node_ids))  # outer models hold more nodes
    made: list[tuple[set[str], Block]] = []
    for call in ordered:
        ids = set(call.node_ids)
        if not ids:
            continue
        parent = next((block for nodes, block in reversed(made) if ids <= nodes), None)
        members = [nid for nid in call.node_ids if tree.block_of(nid) == (parent.id if parent else None)]
        block = tree.add_block(Block(tree.new_id(), call.name, "nested_model", parent.id if parent else None,
                                     members, collapsed=True, trainable=call.trainable, training=call.training))
        made.append((ids, block))
    return tree


def import_hierarchy(graph: Graph, calls: Sequence[NestedCall]) -> BlockTree:
    """The blocks of an imported model: its nested models, then name-prefix groups
    (:func:`app.core.auto_blocks.fold_by_prefix`), collapsed when the graph is large."""
    from app.core.auto_blocks import fold_by_prefix

    tree = import_blocks(calls)
    fold_by_prefix(graph, tree)
    return tree


# --- compile: graph + blocks -> functional model with sub-models ------------------------------

class NestedModelError(ValueError):
    """A nested-model block Keras could not call as one layer (see :func:`validate_blocks`)."""


class NestedModels:
    """The plan for the top-level nested models of one graph (inner ones are built inside
    their parent's sub-model by the same code, one level down).

    ``order`` is the compile order with each sub-model's layers together, so all its inputs
    exist when its first layer comes and none of its outputs is needed earlier.
    :meth:`handles` builds and calls the sub-model at its first layer and skips the rest."""

    def __init__(self, graph: Graph, tree: BlockTree, analysis: Analysis, compile_part: Any) -> None:
        self.graph = graph
        self.tree = tree
        self.analysis = analysis
        self._compile = compile_part
        self.owner: dict[str, Block] = {}
        for block in tree.blocks():
            if block.kind != "nested_model" or any(
                    tree.block(b).kind == "nested_model" for b in tree.ancestors(block.id)[:-1]):
                continue
            for nid in tree.nodes_in(block.id):
                self.owner[nid] = block
        problems = [p for p in validate_blocks(graph, tree)
                    if p.block_id in {b.id for b in self.owner.values()}]
        if problems:
            raise NestedModelError(problems[0].message)
        self.order = self._grouped_order(analysis.order)
        self.done: set[str] = set()

    @classmethod
    def plan(cls, graph: Graph, tree: BlockTree | None, analysis: Analysis, compile_part: Any) -> NestedModels | None:
        """None when the graph has no nested models (compiling is then exactly as without blocks)."""
        if tree is None or not any(b.kind == "nested_model" for b in tree.blocks()):
            return None
        return cls(graph, tree, analysis, compile_part)

    def _grouped_order(self, order: Sequence[str]) -> list[str]:
        rank = {nid: i for i, nid in enumerate(order)}
        contracted = nx.DiGraph()
        key = {nid: (self.owner[nid].id if nid in self.owner else nid) for nid in order}
        contracted.add_nodes_from(dict.fromkeys(key[nid] for nid in order))
        for edge in self.graph.edges():
            a, b = key.get(edge.source), key.get(edge.target)
            if a is not None and b is not None and a != b:
                contracted.add_edge(a, b)
        first = {}
        for nid in order:
            first.setdefault(key[nid], rank[nid])
        grouped: list[str] = []
        members: dict[str, list[str]] = {}
        for nid in order:
            members.setdefault(key[nid], []).append(nid)
        for item in nx.lexicographical_topological_sort(contracted, key=first.__getitem__):
            grouped.extend(members[item])
        return grouped

    def handles(self, node_id: str, tensors: dict[str, Any]) -> bool:
        """True when ``node_id`` is inside a nested model: at its first layer the sub-model is
        built and called, and ``tensors`` gets its outputs (in the format the caller keeps)."""
        block = self.owner.get(node_id)
        if block is None:
            return False
        if block.id not in self.done:
            self.done.add(block.id)
            self._call(block, tensors)
        return True

    def _call(self, block: Block, tensors: dict[str, Any]) -> None:
        ports = block_ports(self.graph, self.tree, block.id)
        listed = any(isinstance(v, list) for v in tensors.values())
        model = self.build(block)
        inputs = [_pick(tensors[nid], port) for nid, port in ports.input_tensors]
        kwargs = {"training": block.training} if block.training is not None else {}
        result = model(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
        outputs = list(result) if isinstance(result, (list, tuple)) else [result]
        for (nid, _port), tensor in zip(ports.output_tensors, outputs, strict=True):
            tensors[nid] = [tensor] if listed else tensor

    def build(self, block: Block) -> Any:
        """The block as a ``keras.Model`` named like the block, with its ``trainable`` flag."""
        part, tree = sub_graph(self.graph, self.tree, block, self.analysis)
        model = self._compile(part, block.name, tree)
        model.trainable = block.trainable
        return model


def with_nested_models(model: Any, graph: Graph, tree: BlockTree, name: str) -> Any:
    """``model`` (built flat, with the weights it should have) rebuilt with the nested-model
    blocks as sub-models, every layer's weights copied over by name; ``model`` itself when
    there are none. Export uses it, so training and insight keep their flat models."""
    if not any(b.kind == "nested_model" for b in tree.blocks()):
        return model
    from app.keras_bridge.compile import compile_graph

    nested = compile_graph(graph, model.name if name is None else name, blocks=tree)
    flat = {layer.name: layer for layer in model.layers}
    sub_models = {b.name for b in tree.blocks() if b.kind == "nested_model"}
    for layer in _layers(nested, sub_models):
        source = flat.get(layer.name)
        if source is not None and source.weights:
            layer.set_weights(source.get_weights())
    return nested


def _layers(model: Any, sub_models: set[str]) -> Iterable[Any]:
    for layer in model.layers:
        if layer.name in sub_models and hasattr(layer, "layers"):
            yield from _layers(layer, sub_models)
        else:
            yield layer


def _pick(value: Any, port: int) -> Any:
    return value[port] if isinstance(value, list) else value


def sub_graph(graph: Graph, tree: BlockTree, block: Block, analysis: Analysis) -> tuple[Graph, BlockTree]:
    """The block's layers as a graph of their own: one Input per tensor coming in (shape from
    the analysis), the same ids and names inside, outputs in the block's port order; and the
    blocks nested inside it, one level up."""
    ports = block_ports(graph, tree, block.id)
    for nid, port in ports.output_tensors:
        if port != 0:
            raise NestedModelError(f"nested model {block.name!r} gives output {port} of {graph.node(nid).name!r} "
                                   "to the outer model; only a layer's first output can leave a nested model")
    inside = set(tree.nodes_in(block.id))
    part = Graph()
    for nid in graph.node_order():
        if nid in inside:
            node = graph.node(nid)
            part.add_node(node.class_name, node.name, node.config, node.position, nid)
    taken = {n.name for n in part.nodes()}
    entry: dict[tuple[str, int], str] = {}
    for k, (source, port) in enumerate(ports.input_tensors):
        info = analysis.nodes[source]
        shape = info.output_shapes[port] if info.output_shapes else None
        if shape is None:
            raise NestedModelError(f"the shape going into nested model {block.name!r} is unknown")
        src = graph.node(source)
        dtype = src.config.get("dtype", "float32") if src.class_name == "InputLayer" else "float32"
        name = _free(f"{block.name}_input" if len(ports.input_tensors) == 1 else f"{block.name}_input_{k + 1}", taken)
        taken.add(name)
        entry[(source, port)] = part.add_node("InputLayer", name, {"batch_shape": list(shape), "dtype": dtype},
                                              node_id=f"{block.id}__input_{k}").id
    for nid in part.node_order():
        for edge in graph.in_edges(nid) if nid in inside else ():
            source = edge.source if edge.source in inside else entry[(edge.source, edge.source_port)]
            port = edge.source_port if edge.source in inside else 0
            part.connect(source, nid, edge.target_port, edge.slot, port, check=False)
    part.output_order = [nid for nid, _port in ports.output_tensors]
    inner = BlockTree()
    for bid in _top_down(tree, block.id):
        b = tree.block(bid)
        inner.add_block(Block(b.id, b.name, b.kind, None if b.parent == block.id else b.parent, list(b.members),
                              b.collapsed, b.trainable, b.training))
    return part, inner


def _top_down(tree: BlockTree, block_id: str) -> list[str]:
    order: list[str] = []
    queue = [block_id]
    while queue:
        current = queue.pop(0)
        for child in tree.children(current):
            order.append(child.id)
            queue.append(child.id)
    return order


def _free(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    if base not in used:
        return base
    i = 1
    while f"{base}_{i}" in used:
        i += 1
    return f"{base}_{i}"


__all__ = ["NestedCall", "NestedModelError", "NestedModels", "import_blocks", "import_hierarchy", "sub_graph",
           "training_argument", "with_nested_models"]
