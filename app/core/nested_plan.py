"""Keras-free planning of nested models, shared by compile (:mod:`app.keras_bridge.nested`)
and Python export (:mod:`app.core.codegen_nested`): which layers form each top-level
sub-model, an order that keeps each sub-model's layers together, and each sub-model as a
graph of its own with one Input per tensor coming in and one output per tensor going out
(several outputs of one layer too: an LSTM's sequence and states), whether it can be
written as a ``keras.Sequential``, and the problems that keep a nested model from being
built, each placed on a layer inside it so the Problems panel can open the block there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import networkx as nx

from app.core.blocks import Block, BlockProblem, BlockTree, block_ports, validate_blocks
from app.core.catalog import get_spec
from app.core.graph import Graph
from app.core.shapes import Analysis, Problem


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
    leaving: dict[str, list[int]] = {}
    for nid, port in _output_order(block, ports.output_tensors):
        leaving.setdefault(nid, []).append(port)
    part.output_order = list(leaving)
    part.output_ports = {nid: p for nid, p in leaving.items() if p != [0]}
    inner = BlockTree()
    for bid in _top_down(tree, block.id):
        b = tree.block(bid)
        inner.add_block(Block(b.id, b.name, b.kind, None if b.parent == block.id else b.parent, list(b.members),
                              b.collapsed, b.trainable, b.training, list(b.input_names), b.sequential,
                              list(b.outputs)))
    return part, inner


def _output_order(block: Block, leaving: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The block's own output order (kept from an imported sub-model) while it lists exactly
    the tensors leaving it, each layer's outputs side by side (a model's outputs are kept
    grouped by layer); otherwise the order their producers come in the graph."""
    kept = [(nid, port) for nid, port in block.outputs]
    layers = [nid for i, (nid, _port) in enumerate(kept) if i == 0 or kept[i - 1][0] != nid]
    if sorted(kept) == sorted(leaving) and len(set(kept)) == len(kept) and len(set(layers)) == len(layers):
        return kept
    return list(leaving)


def sub_model_outputs(part: Graph) -> list[tuple[str, int]]:
    """The (node id, output) pairs a sub-model made by :func:`sub_graph` returns, in order
    (its outputs grouped by layer, as ``keras.Model(outputs=[...])`` gets them): the outer
    model hands each result to the layers that read that output."""
    return [(node.id, port) for node, port in part.output_refs()]


def sequential_chain(graph: Graph, tree: BlockTree, block: Block, analysis: Analysis) -> list[str] | None:
    """The block's layers in order when it can be written as ``keras.Sequential([...])``:
    it came from a Sequential (``block.sequential``) and is still a simple chain (one tensor
    in, each layer called on the one before with one input and one output, one tensor out; no
    merges, operations, backbones, shared layers, nested models, or recurrent layers given a
    mask or initial state, inside); otherwise None (a functional ``keras.Model``, which
    computes the same)."""
    if not block.sequential or any(tree.block(b).kind == "nested_model" for b in tree.descendants(block.id)):
        return None
    ports = block_ports(graph, tree, block.id)
    if len(ports.input_tensors) != 1 or len(ports.output_tensors) != 1 or ports.output_tensors[0][1] != 0:
        return None
    inside = set(tree.nodes_in(block.id))
    chain: list[str] = []
    current, port = ports.input_tensors[0]
    while True:
        edges = [e for e in graph.out_edges(current) if e.target in inside]
        if len(edges) != 1 or edges[0].source_port != port:
            break
        nid = edges[0].target
        spec = get_spec(graph.node(nid).class_name)
        info = analysis.nodes.get(nid)
        if (spec is None or spec.call_style not in ("single", "recurrent") or spec.is_operation
                or spec.is_application or nid in chain or len(graph.in_edges(nid)) != 1
                or edges[0].target_port != spec.ports[0].name or len(graph.shared_group(nid)) > 1
                or info is None or info.output_shapes is None or len(info.output_shapes) != 1):
            return None
        chain.append(nid)
        current, port = nid, 0
    if len(chain) != len(inside) or ports.output_tensors[0][0] != current:
        return None
    return chain


def nested_model_problems(graph: Graph, tree: BlockTree, problems: Sequence[Problem]) -> list[Problem]:
    """``problems`` with those on layers inside a nested model saying which model, then one
    error for each nested model that cannot be built (no way in, not one region, ...), placed
    on the layer inside it where the trouble shows (its ``node`` is that layer, so a click in
    the Problems panel opens the collapsed block at it)."""
    kept = [p if p.node is None or p.node not in graph else replace(p, message=p.message + _where(tree, p.node))
            for p in problems]
    if not any(b.kind == "nested_model" for b in tree.blocks()):
        return kept
    for found in validate_blocks(graph, tree):
        block = tree.block(found.block_id)
        if block.kind != "nested_model":
            continue
        node_id = problem_layer(graph, tree, found)
        node_name = graph.node(node_id).name if node_id is not None else None
        kept.append(Problem("nested_model", f"{node_name}: {found.message}" if node_name else found.message,
                            node_id, node_name))
    return kept


def problem_layer(graph: Graph, tree: BlockTree, found: BlockProblem) -> str | None:
    """The layer a block problem is shown at: the one it names, else the block's first layer
    (the Problems panel and ``layerforge check`` point at the same one)."""
    if found.node_id is not None and found.node_id in graph:
        return found.node_id
    members = set(tree.nodes_in(found.block_id))
    return next((nid for nid in graph.node_order() if nid in members), None)


def _where(tree: BlockTree, node_id: str) -> str:
    """`` (inside nested model 'inner' of 'outer')`` for a layer in nested models, else ''."""
    names = [b.name for b in tree.block_path(node_id) if b.kind == "nested_model"][::-1]
    if not names:
        return ""
    outer = "".join(f" of {name!r}" for name in names[1:])
    return f" (inside nested model {names[0]!r}{outer})"


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


__all__ = ["NestedPlanError", "check_nested_models", "grouped_order", "nested_model_problems", "problem_layer",
           "sequential_chain", "sub_graph", "sub_model_outputs", "top_nested_models"]
