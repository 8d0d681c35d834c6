"""Blocks: named, nestable groups of nodes beside the graph (Qt-free, Keras-free).

A real network is built from repeated parts (a residual block, a transformer encoder
block); a canvas of 1,000 loose layers is unreadable. A :class:`Block` names such a part.
Two kinds:

* ``"group"``: a visual fold only; export writes the plain layers inside it;
* ``"nested_model"``: a Keras functional sub-model with its own name and ``trainable``
  flag, called as one layer by the outer model (``base(x, training=False)``).

The :class:`BlockTree` lives beside the :class:`~app.core.graph.Graph` (``project.blocks``)
and refers to nodes by **id** (stable across renames; the same ids the project file's
``outputs`` and ``weights`` use). Each node belongs to at most one block, its innermost
one (``Block.members`` lists the *direct* members); blocks nest through ``Block.parent``,
so members are disjoint or properly nested by construction.

Reading (what a view needs): :meth:`BlockTree.block_path` of a node, :func:`top_level`
items (loose nodes + top-level blocks, or the children of one block),
:meth:`BlockTree.visible_owner` (the outermost collapsed block hiding a node, for drawing
an edge to a collapsed card), :func:`block_ports` (edges crossing a block's border),
:func:`block_totals` (layers, parameters, FLOPs, boundary shapes), :func:`validate_blocks`.

Editing (each returns what it made; :class:`app.gui.document.Document` wraps each in one
undo step): :meth:`BlockTree.group`, :meth:`~BlockTree.ungroup`, :meth:`~BlockTree.rename`,
:meth:`~BlockTree.set_kind`, :meth:`~BlockTree.set_collapsed`,
:meth:`~BlockTree.set_trainable`, :func:`duplicate_block` (needs the graph: fresh layer
names, same wiring, shifted positions) and :meth:`~BlockTree.prune` (after nodes were
deleted: they leave their block; a block left empty goes).
"""

from __future__ import annotations

import copy
import itertools
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx

from app.core.graph import Edge, Graph

if TYPE_CHECKING:
    from app.core.catalog.spec import Shape
    from app.core.shapes import Analysis

BlockKind = Literal["group", "nested_model"]
BLOCK_KINDS: tuple[str, ...] = ("group", "nested_model")
KIND_TITLES: dict[str, str] = {"group": "Group", "nested_model": "Nested model"}

FOLD_THRESHOLD = 40
"""A graph with more top-level items than this opens folded (imported models)."""


class BlockError(ValueError):
    """A block edit the model refuses, with a sentence saying why."""


@dataclass
class Block:
    """One block. ``members``: node ids directly inside (not those of child blocks).

    ``trainable``, ``training`` and ``input_names`` matter for nested models only:
    ``training`` is the ``training=`` argument the outer model calls it with (None: not
    given), as ``base(x, training=False)`` in transfer learning; ``input_names`` are the
    sub-model's own Input names (kept from an imported file; empty: made up on export);
    ``sequential``: it was a ``keras.Sequential`` (kept from an imported file), so export
    writes it as one again while it stays a simple chain of layers; ``outputs``: the order the
    sub-model returns its outputs in, as (node id, output) pairs (kept from an imported file,
    used while they are still exactly the tensors leaving the block; empty: graph order).
    """

    id: str
    name: str
    kind: str = "group"
    parent: str | None = None
    members: list[str] = field(default_factory=list)
    collapsed: bool = False
    trainable: bool = True
    training: bool | None = None
    input_names: list[str] = field(default_factory=list)
    sequential: bool = False
    outputs: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind, "parent": self.parent,
                                "members": list(self.members), "collapsed": self.collapsed}
        if self.kind == "nested_model":
            data["trainable"] = self.trainable
            if self.training is not None:
                data["training"] = self.training
            if self.input_names:
                data["input_names"] = list(self.input_names)
            if self.sequential:
                data["sequential"] = True
            if self.outputs:
                data["outputs"] = [[nid, port] for nid, port in self.outputs]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Block:
        return cls(id=str(data["id"]), name=str(data["name"]), kind=str(data.get("kind", "group")),
                   parent=data.get("parent"), members=[str(m) for m in data.get("members", [])],
                   collapsed=bool(data.get("collapsed", False)), trainable=bool(data.get("trainable", True)),
                   training=data.get("training"), input_names=[str(n) for n in data.get("input_names", [])],
                   sequential=bool(data.get("sequential", False)),
                   outputs=[(str(nid), int(port)) for nid, port in data.get("outputs", [])])


@dataclass(frozen=True)
class Item:
    """One item of a level of the hierarchy: a loose node or a block."""

    kind: Literal["node", "block"]
    id: str


@dataclass(frozen=True)
class BlockPorts:
    """The edges crossing a block's border: ``inputs`` come from outside into the block,
    ``outputs`` leave it. ``input_tensors``/``output_tensors`` are the distinct
    (node id, output index) pairs they carry, in the order their producers come in the
    graph: the sub-model's inputs
    and outputs when the block is a nested model (``output_tensors`` also lists model
    outputs produced inside the block)."""

    inputs: tuple[Edge, ...]
    outputs: tuple[Edge, ...]
    input_tensors: tuple[tuple[str, int], ...]
    output_tensors: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BlockTotals:
    """What a collapsed card shows. ``flops`` is None when some layer's cost is unknown
    (a partial sum would read as exact); shapes are None where unknown."""

    layers: int
    params: int
    trainable: int
    non_trainable: int
    flops: int | None
    input_shapes: tuple[Shape | None, ...]
    output_shapes: tuple[Shape | None, ...]


@dataclass(frozen=True)
class BlockProblem:
    """A block that cannot be what it claims (a nested model that is not one region, ...);
    ``node_id``: the layer inside it where the problem shows (None: the block as a whole)."""

    block_id: str
    message: str
    node_id: str | None = None


class BlockTree:
    """All blocks of one graph. Plain data: views are told of changes by the Document."""

    def __init__(self, blocks: Iterable[Block] = ()) -> None:
        self._blocks: dict[str, Block] = {}
        self._node_block: dict[str, str] = {}
        self.revision = 0
        self._snapshot: tuple[int, list[dict[str, Any]]] | None = None
        for block in blocks:
            self._blocks[block.id] = block
        self._reindex()

    # --- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._blocks)

    def __contains__(self, block_id: object) -> bool:
        return block_id in self._blocks

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def blocks(self) -> list[Block]:
        return list(self._blocks.values())

    def block(self, block_id: str) -> Block:
        try:
            return self._blocks[block_id]
        except KeyError:
            raise BlockError(f"no block with id {block_id!r}") from None

    def block_by_name(self, name: str) -> Block | None:
        return next((b for b in self._blocks.values() if b.name == name), None)

    def block_of(self, node_id: str) -> str | None:
        """The innermost block holding ``node_id``, or None for a loose node."""
        return self._node_block.get(node_id)

    def children(self, block_id: str | None) -> list[Block]:
        """Blocks directly inside ``block_id`` (None: the top-level blocks)."""
        return [b for b in self._blocks.values() if b.parent == block_id]

    def ancestors(self, block_id: str) -> list[str]:
        """Block ids from the outermost down to ``block_id`` itself."""
        chain: list[str] = []
        current: str | None = block_id
        while current is not None:
            chain.append(current)
            current = self._blocks[current].parent
        return chain[::-1]

    def block_path(self, node_id: str) -> list[Block]:
        """The blocks around a node, outermost first (the breadcrumb); [] for a loose node."""
        block_id = self._node_block.get(node_id)
        return [] if block_id is None else [self._blocks[b] for b in self.ancestors(block_id)]

    def descendants(self, block_id: str) -> list[str]:
        """Every block id nested (at any depth) inside ``block_id``, not itself."""
        found: list[str] = []
        stack = [block_id]
        while stack:
            current = stack.pop()
            for child in self.children(current):
                found.append(child.id)
                stack.append(child.id)
        return found

    def nodes_in(self, block_id: str) -> list[str]:
        """Every node id inside the block, nested blocks included."""
        ids = [block_id, *self.descendants(block_id)]
        return [nid for b in ids for nid in self._blocks[b].members]

    def visible_owner(self, node_id: str) -> str:
        """What stands for ``node_id`` on the canvas: the outermost collapsed block around it
        (its card), or the node itself when no block around it is collapsed."""
        for block in self.block_path(node_id):
            if block.collapsed:
                return block.id
        return node_id

    # --- editing ---------------------------------------------------------------------

    def new_id(self) -> str:
        for i in itertools.count(len(self._blocks) + 1):
            if f"b{i}" not in self._blocks:
                return f"b{i}"
        raise AssertionError("unreachable")

    def unique_name(self, base: str, taken: Iterable[str] = ()) -> str:
        """``block``, ``block_1``, ... unique among block names and ``taken`` (layer names)."""
        used = {b.name for b in self._blocks.values()} | set(taken)
        if base not in used:
            return base
        for i in itertools.count(1):
            if f"{base}_{i}" not in used:
                return f"{base}_{i}"
        raise AssertionError("unreachable")

    def add_block(self, block: Block) -> Block:
        """Insert a fully formed block (loading, import, library); its members leave the
        blocks they were in."""
        if block.id in self._blocks:
            raise BlockError(f"block id {block.id!r} is already used")
        if block.parent is not None and block.parent not in self._blocks:
            raise BlockError(f"block {block.name!r} names a parent block {block.parent!r} that does not exist")
        if block.kind not in BLOCK_KINDS:
            raise BlockError(f"block {block.name!r} has an unknown kind {block.kind!r}")
        for nid in block.members:
            old = self._node_block.get(nid)
            if old is not None:
                self._blocks[old].members.remove(nid)
            self._node_block[nid] = block.id
        self._blocks[block.id] = block
        self._changed()
        return block

    def group(self, node_ids: Iterable[str], name: str = "block", kind: str = "group",
              block_ids: Iterable[str] = (), collapsed: bool = False, block_id: str | None = None) -> Block:
        """Make a block of a selection (nodes and/or blocks). The new block goes inside the
        innermost block holding the whole selection; a selected node that sits deeper
        brings along the block around it at that level, so nesting stays proper."""
        nodes = list(dict.fromkeys(node_ids))
        chosen_blocks = list(dict.fromkeys(block_ids))
        if not nodes and not chosen_blocks:
            raise BlockError("select the layers to group first")
        if kind not in BLOCK_KINDS:
            raise BlockError(f"unknown block kind {kind!r} (expected one of {', '.join(BLOCK_KINDS)})")
        for bid in chosen_blocks:
            self.block(bid)
        chains = [self.ancestors(self._node_block[n]) if n in self._node_block else [] for n in nodes]
        chains += [self.ancestors(b)[:-1] for b in chosen_blocks]
        parent = _common_prefix(chains)
        level = len(parent)
        inner = parent[-1] if parent else None
        direct: list[str] = []
        moved_blocks: list[str] = list(chosen_blocks)
        for node, chain in zip(nodes, chains, strict=False):
            if len(chain) == level:
                direct.append(node)
            else:
                moved_blocks.append(chain[level])
        for bid in chosen_blocks:
            chain = self.ancestors(bid)
            if len(chain) > level + 1:
                moved_blocks.append(chain[level])
        moved_blocks = [b for b in dict.fromkeys(moved_blocks) if self._blocks[b].parent == inner]
        block = Block(block_id or self.new_id(), name, kind, inner, [], collapsed)
        self._blocks[block.id] = block
        for nid in direct:
            old = self._node_block.get(nid)
            if old is not None:
                self._blocks[old].members.remove(nid)
            block.members.append(nid)
            self._node_block[nid] = block.id
        for bid in moved_blocks:
            self._blocks[bid].parent = block.id
        self._changed()
        return block

    def ungroup(self, block_id: str) -> list[str]:
        """Dissolve a block: its nodes and child blocks move up one level. Returns the node ids."""
        block = self.block(block_id)
        parent = self._blocks[block.parent] if block.parent is not None else None
        for child in self.children(block_id):
            child.parent = block.parent
        for nid in block.members:
            if parent is not None:
                parent.members.append(nid)
                self._node_block[nid] = parent.id
            else:
                self._node_block.pop(nid, None)
        del self._blocks[block_id]
        self._changed()
        return list(block.members)

    def rename(self, block_id: str, name: str) -> None:
        if not name.strip():
            raise BlockError("a block needs a name")
        if "/" in name:
            raise BlockError(f"Keras refuses '/' in a name ({name!r}); use '_' instead")
        self.block(block_id).name = name
        self._changed()

    def set_kind(self, block_id: str, kind: str) -> None:
        if kind not in BLOCK_KINDS:
            raise BlockError(f"unknown block kind {kind!r} (expected one of {', '.join(BLOCK_KINDS)})")
        self.block(block_id).kind = kind
        self._changed()

    def set_collapsed(self, block_id: str, collapsed: bool) -> None:
        self.block(block_id).collapsed = collapsed
        self._changed()

    def set_trainable(self, block_id: str, trainable: bool) -> None:
        self.block(block_id).trainable = trainable
        self._changed()

    def remove_block(self, block_id: str) -> None:
        """Drop a block and everything nested in it from the tree (not its nodes from the graph)."""
        for bid in [block_id, *self.descendants(block_id)]:
            for nid in self._blocks[bid].members:
                self._node_block.pop(nid, None)
            del self._blocks[bid]
        self._changed()

    def prune(self, present: Iterable[str] | Graph) -> bool:
        """Forget node ids no longer in the graph and blocks left with nothing inside.
        Returns whether anything changed."""
        alive = set(present.node_order()) if isinstance(present, Graph) else set(present)
        changed = False
        for block in self._blocks.values():
            kept = [nid for nid in block.members if nid in alive]
            if len(kept) != len(block.members):
                block.members = kept
                changed = True
        while True:
            empty = [b.id for b in self._blocks.values() if not b.members and not self.children(b.id)]
            if not empty:
                break
            for bid in empty:
                del self._blocks[bid]
            changed = True
        if changed:
            self._reindex()
            self._changed()
        return changed

    # --- plain data --------------------------------------------------------------------

    def to_list(self) -> list[dict[str, Any]]:
        """The project file's ``"blocks"`` section (parents before children)."""
        return [b.to_dict() for b in self._ordered()]

    def snapshot(self) -> list[dict[str, Any]]:
        """:meth:`to_list`, shared until the tree changes (read-only!): the undo stack keeps one per edit."""
        if self._snapshot is None or self._snapshot[0] != self.revision:
            self._snapshot = (self.revision, self.to_list())
        return self._snapshot[1]

    @classmethod
    def from_list(cls, data: Iterable[Mapping[str, Any]]) -> BlockTree:
        """Rebuild from :meth:`to_list` output that was already checked (see project.py)."""
        return cls(Block.from_dict(d) for d in data)

    def restore(self, data: Iterable[Mapping[str, Any]]) -> None:
        """Become the tree ``data`` describes (undo/redo)."""
        self._blocks = {b.id: b for b in (Block.from_dict(copy.deepcopy(dict(d))) for d in data)}
        self._reindex()
        self._changed()

    def copy(self) -> BlockTree:
        return BlockTree.from_list(copy.deepcopy(self.to_list()))

    def _ordered(self) -> list[Block]:
        placed: list[Block] = []
        seen: set[str] = set()
        pending = list(self._blocks.values())
        while pending:
            rest = [b for b in pending if b.parent is not None and b.parent not in seen and b.parent in self._blocks]
            ready = [b for b in pending if b not in rest]
            if not ready:  # a parent loop (only a damaged tree): keep the order given
                ready = rest
                rest = []
            placed.extend(ready)
            seen.update(b.id for b in ready)
            pending = rest
        return placed

    def _reindex(self) -> None:
        self._node_block = {nid: b.id for b in self._blocks.values() for nid in b.members}

    def _changed(self) -> None:
        self.revision += 1


def _common_prefix(chains: Sequence[Sequence[str]]) -> list[str]:
    if not chains:
        return []
    prefix: list[str] = []
    for parts in zip(*chains, strict=False):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return prefix


# --- views of the hierarchy ------------------------------------------------------------

def top_level(graph: Graph, tree: BlockTree, within: str | None = None) -> list[Item]:
    """The items of one level, in graph order: loose nodes and top-level blocks
    (``within=None``), or one block's direct nodes and child blocks. A block is listed
    where its first node comes in topological order."""
    items: list[Item] = []
    seen: set[str] = set()
    depth = 0 if within is None else len(tree.ancestors(within))
    for nid in graph.topological_order() if not graph.cyclic_components() else graph.node_order():
        path = tree.block_path(nid)
        if within is not None and (len(path) < depth or path[depth - 1].id != within):
            continue
        if len(path) == depth:
            items.append(Item("node", nid))
            continue
        bid = path[depth].id
        if bid not in seen:
            seen.add(bid)
            items.append(Item("block", bid))
    return items


def block_ports(graph: Graph, tree: BlockTree, block_id: str) -> BlockPorts:
    """The edges crossing the block's border, and the distinct tensors they carry."""
    inside = set(tree.nodes_in(block_id))
    return _ports(graph, inside)


_RANKS: weakref.WeakKeyDictionary[Graph, tuple[int, dict[str, int]]] = weakref.WeakKeyDictionary()
"""Each graph's node -> position in graph order, until its structure changes (cards ask per block)."""


def _rank(graph: Graph) -> dict[str, int]:
    cached = _RANKS.get(graph)
    if cached is None or cached[0] != graph.structure_revision:
        order = graph.topological_order() if not graph.cyclic_components() else graph.node_order()
        cached = (graph.structure_revision, {nid: i for i, nid in enumerate(order)})
        _RANKS[graph] = cached
    return cached[1]


def _ports(graph: Graph, inside: set[str]) -> BlockPorts:
    rank = _rank(graph)
    ins: list[Edge] = []
    outs: list[Edge] = []
    for nid in inside:
        if nid not in graph:
            continue
        ins.extend(e for e in graph.in_edges(nid) if e.source not in inside)
        outs.extend(e for e in graph.out_edges(nid) if e.target not in inside)
    ins.sort(key=lambda e: (rank.get(e.target, 0), e.slot, rank.get(e.source, 0)))
    outs.sort(key=lambda e: (rank.get(e.source, 0), e.source_port, rank.get(e.target, 0)))
    # inputs in the order their producers come (how a model is usually called: x before what is made from x)
    in_tensors = sorted(dict.fromkeys((e.source, e.source_port) for e in ins), key=lambda t: (rank.get(t[0], 0), t[1]))
    out_tensors = list(dict.fromkeys((e.source, e.source_port) for e in outs))
    model_outputs = {n.id for n in graph.output_nodes()}
    for nid in sorted(inside & model_outputs, key=lambda n: rank.get(n, 0)):
        for port in graph.output_ports.get(nid, [0]):
            if (nid, port) not in out_tensors:
                out_tensors.append((nid, port))
    return BlockPorts(tuple(ins), tuple(outs), tuple(in_tensors), tuple(out_tensors))


def block_totals(graph: Graph, tree: BlockTree, block_id: str, analysis: Analysis) -> BlockTotals:
    """Layers, parameters and FLOPs inside the block (from the shape analysis and
    :func:`app.core.insight.node_cost`), and the shapes at its border."""
    from app.core.insight import node_cost

    inside = [nid for nid in tree.nodes_in(block_id) if nid in graph]
    trainable = non_trainable = 0
    flops: int | None = 0
    for nid in inside:
        info = analysis.nodes.get(nid)
        if info is not None:
            trainable += info.trainable
            non_trainable += info.non_trainable
        cost = node_cost(graph, nid, analysis) if info is not None else None
        if cost is None or cost.flops is None:
            flops = None
        elif flops is not None:
            flops += cost.flops
    ports = _ports(graph, set(inside))
    return BlockTotals(len(inside), trainable + non_trainable, trainable, non_trainable, flops,
                       tuple(_tensor_shape(analysis, t) for t in ports.input_tensors),
                       tuple(_tensor_shape(analysis, t) for t in ports.output_tensors))


def _tensor_shape(analysis: Analysis, tensor: tuple[str, int]) -> Shape | None:
    info = analysis.nodes.get(tensor[0])
    if info is None or info.output_shapes is None or tensor[1] >= len(info.output_shapes):
        return None
    return info.output_shapes[tensor[1]]


def validate_blocks(graph: Graph, tree: BlockTree) -> list[BlockProblem]:
    """What is wrong with the blocks: unknown members, a parent loop, a nested model that is
    not one connected region with inputs and outputs (Keras could not call it as one layer),
    or whose name another layer already has."""
    problems: list[BlockProblem] = []
    layer_names = {n.name for n in graph.nodes()}
    model_names: dict[str, str] = {}
    for block in tree.blocks():
        missing = [m for m in block.members if m not in graph]
        if missing:
            problems.append(BlockProblem(block.id, f"block {block.name!r} lists node {missing[0]!r}, "
                                         "which is not in the model"))
        seen: set[str] = set()
        current: str | None = block.id
        while current is not None and current in tree:
            if current in seen:
                problems.append(BlockProblem(block.id, f"block {block.name!r} is nested inside itself"))
                break
            seen.add(current)
            current = tree.block(current).parent
        if block.kind != "nested_model" or len(seen) != len(tree.ancestors(block.id)):
            continue
        if block.name in layer_names:
            problems.append(BlockProblem(block.id, f"nested model {block.name!r} has the name of a layer; "
                                         "Keras needs every layer of a model to have its own name"))
        if block.name in model_names:
            problems.append(BlockProblem(block.id, f"two nested models are named {block.name!r}"))
        model_names[block.name] = block.id
        problems.extend(_nested_model_problems(graph, tree, block))
    return problems


def _nested_model_problems(graph: Graph, tree: BlockTree, block: Block) -> list[BlockProblem]:
    inside = {nid for nid in tree.nodes_in(block.id) if nid in graph}
    name = block.name
    if not inside:
        return [BlockProblem(block.id, f"nested model {name!r} has no layers")]
    rank = _rank(graph)
    first = min(inside, key=lambda n: (rank.get(n, 0), n))
    inputs = sorted((nid for nid in inside if graph.node(nid).class_name == "InputLayer"),
                    key=lambda n: rank.get(n, 0))
    if inputs:
        return [BlockProblem(block.id, f"nested model {name!r} holds an Input of the outer model; its inputs "
                             "are the connections coming in from outside", inputs[0])]
    structure = graph.nx_graph().subgraph(inside)
    if not nx.is_weakly_connected(structure):
        parts = sorted((sorted(part, key=lambda n: rank.get(n, 0)) for part in nx.weakly_connected_components(
            structure)), key=lambda part: rank.get(part[0], 0))
        return [BlockProblem(block.id, f"nested model {name!r} is not one connected region: its layers fall "
                             f"into {len(parts)} separate parts", parts[1][0])]
    ports = _ports(graph, inside)
    if not ports.input_tensors:
        return [BlockProblem(block.id, f"nested model {name!r} has no inputs: connect a layer outside it "
                             "into it", first)]
    if not ports.output_tensors:
        return [BlockProblem(block.id, f"nested model {name!r} has no outputs: nothing outside reads from it",
                             max(inside, key=lambda n: (rank.get(n, 0), n)))]
    full = graph.nx_graph()
    outside_after = set()
    for edge in ports.outputs:
        outside_after.add(edge.target)
        outside_after.update(nx.descendants(full, edge.target))
    reentry = outside_after & inside
    if reentry:
        again = sorted(reentry)[0]
        return [BlockProblem(block.id, f"nested model {name!r} feeds a layer outside it that feeds back into "
                             f"{graph.node(again).name!r} inside it: Keras calls a model as one layer, so its "
                             "inputs must all come before it", again)]
    return []


def is_folded(graph: Graph, tree: BlockTree) -> bool:
    """Whether the top level is short enough to read (at most :data:`FOLD_THRESHOLD` items)."""
    return len(top_level(graph, tree)) <= FOLD_THRESHOLD


def duplicate_block(graph: Graph, tree: BlockTree, block_id: str,
                    offset: tuple[float, float] = (60.0, 60.0)) -> Block:
    """A copy of the block beside it: fresh layer names, the same wiring inside, positions
    shifted by ``offset``, nested blocks copied too. Edges into the block are not copied
    (the copy's inputs are left open to wire). Returns the new top block."""
    from app.core.clipboard import copy_nodes, paste_nodes

    source = tree.block(block_id)
    inside = tree.nodes_in(block_id)
    data = copy_nodes(graph, inside)
    new_ids = paste_nodes(graph, data, offset)
    id_map = {old["id"]: new for old, new in zip(data["nodes"], new_ids, strict=True)}
    block_map: dict[str, str] = {}
    taken = {n.name for n in graph.nodes()}
    for bid in [block_id, *_top_down(tree, block_id)]:
        old = tree.block(bid)
        new_id = tree.new_id()
        block_map[bid] = new_id
        parent = source.parent if bid == block_id else block_map[old.parent or ""]
        name = tree.unique_name(old.name, taken) if bid == block_id else old.name
        tree.add_block(Block(new_id, name, old.kind, parent, [id_map[m] for m in old.members if m in id_map],
                             old.collapsed, old.trainable, old.training, list(old.input_names), old.sequential,
                             [(id_map[n], port) for n, port in old.outputs if n in id_map]))
    return tree.block(block_map[block_id])


def _top_down(tree: BlockTree, block_id: str) -> list[str]:
    order: list[str] = []
    queue = [block_id]
    while queue:
        current = queue.pop(0)
        for child in tree.children(current):
            order.append(child.id)
            queue.append(child.id)
    return order


__all__ = [
    "BLOCK_KINDS",
    "FOLD_THRESHOLD",
    "KIND_TITLES",
    "Block",
    "BlockError",
    "BlockKind",
    "BlockPorts",
    "BlockProblem",
    "BlockTotals",
    "BlockTree",
    "Item",
    "block_ports",
    "block_totals",
    "duplicate_block",
    "is_folded",
    "top_level",
    "validate_blocks",
]
