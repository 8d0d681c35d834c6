"""Keras-free planning of nested models, shared by compile (:mod:`app.keras_bridge.nested`)
and Python export (:mod:`app.core.codegen_nested`): which layers form each top-level
sub-model, an order that keeps each sub-model's layers together, and each sub-model as a
graph of its own with one Input per tensor coming in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

from app.core.blocks import Block, BlockTree, block_ports, validate_blocks
from app.core.graph import Graph
from app.core.shapes import Analysis


class NestedPlanError(ValueError):
    """A nested-model block that cannot be one Keras sub-model, with a sentence saying why."""


def top_nested_models(tree: BlockTree) -> dict[str, Block]:
    """Node id -> the outermost nested-model block holding it (nested models inside
    nested models are built by their parent's sub-model)."""
    owner: dict[str, Block] = {}
    for block in tree.blocks():
        if block.kind != "nested_model" or any(
                tree.block(b).kind == "nested_model" for b in tree.ancestors(block.id)[:-1]):
            continue
        for nid in tree.nodes_in(block.id):
            owner[nid] = block
    return owner


def check_nested_models(graph: Graph, tree: BlockTree, owner: Mapping[str, Block]) -> None:
    """Raise :class:`NestedPlanError` for the first top-level nested model that cannot be built."""
    problems = [p for p in validate_blocks(graph, tree) if p.block_id in {b.id for b in owner.values()}]
    if problems:
        raise NestedPlanError(problems[0].message)


def grouped_order(graph: Graph, order: Sequence[str], owner: Mapping[str, str]) -> list[str]:
    """``order`` with each sub-model's layers together (``owner``: node id -> block id): all
    its inputs come before its first layer and nothing reads its outputs earlier."""
    rank = {nid: i for i, nid in enumerate(order)}
    key = {nid: owner.get(nid, nid) for nid in order}
    contracted = nx.DiGraph()
    contracted.add_nodes_from(dict.fromkeys(key[nid] for nid in order))
    for edge in graph.edges():
        a, b = key.get(edge.source), key.get(edge.target)
        if a is not None and b is not None and a != b:
            contracted.add_edge(a, b)
    first: dict[str, int] = {}
    members: dict[str, list[str]] = {}
    for nid in order:
        first.setdefault(key[nid], rank[nid])
        members.setdefault(key[nid], []).append(nid)
    grouped: list[str] = []
    for item in nx.lexicographical_topological_sort(contracted, key=first.__getitem__):
        grouped.extend(members[item])
    return grouped


def sub_graph(graph: Graph, tree: BlockTree, block: Block, analysis: Analysis) -> tuple[Graph, BlockTree]:
    """The block's layers as a graph of their own: one Input per tensor coming in (shape from
    the analysis), the same ids and names inside, outputs in the block's port order; and the
    blocks nested inside it, one level up."""
    ports = block_ports(graph, tree, block.id)
    for nid, port in ports.output_tensors:
        if port != 0:
            raise NestedPlanError(f"nested model {block.name!r} gives output {port} of {graph.node(nid).name!r} "
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
            raise NestedPlanError(f"the shape going into nested model {block.name!r} is unknown")
        src = graph.node(source)
        dtype = src.config.get("dtype", "float32") if src.class_name == "InputLayer" else "float32"
        given = block.input_names[k] if k < len(block.input_names) and len(block.input_names) == len(
            ports.input_tensors) else None
        name = given if given and given not in taken else _free(
            f"{block.name}_input" if len(ports.input_tensors) == 1 else f"{block.name}_input_{k + 1}", taken)
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
                              b.collapsed, b.trainable, b.training, list(b.input_names)))
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


__all__ = ["NestedPlanError", "check_nested_models", "grouped_order", "sub_graph", "top_nested_models"]
