"""Fold an imported graph into groups by layer-name prefixes, TensorBoard name-scope style.

Real networks name their layers by block: ``conv2_block1_1_conv`` (ResNet), ``block1a_se_excite``
(EfficientNet), ``block_3_expand_BN`` (MobileNetV2). Names are split on ``_`` (and a block
such as ``block4a`` also counts as part of its stage ``block4``); a prefix shared by at
least :data:`MIN_GROUP` layers that follow each other (in graph order, within one level)
becomes a group, and groups nest where prefixes nest (``conv2`` holds ``conv2_block1``).
Keras' own numbering is not a block: ``dense``, ``dense_1``, ``dense_2`` differ only by a
number, so they stay loose. When one set of layers has several shared prefixes, the
longest names the group.

Some networks put the block last instead (NASNet: ``separable_conv_1_normal_left1_5``,
``normal_concat_5``: cell 5). When prefixes leave more than :data:`FOLD_THRESHOLD` items at
a level, such a trailing cell id (a number, or ``stem_1``) groups the layers that carry it,
with the Keras-named layers between them (``activation_12``); whichever reading leaves
fewer items is used.

Where names say nothing (InceptionV3's ``conv2d_12``, ``activation_7``), the structure does:
when the top level still has more than :data:`FOLD_THRESHOLD` items, its *cut points* (an
item every input-to-output path passes through, such as the concatenate ``mixed0`` that ends
an Inception block) split it, and the items between two cut points, the second included,
become one group named after its last meaningfully named item (:func:`fold_by_structure`).
A graph with more than :data:`app.core.blocks.FOLD_THRESHOLD` top-level items opens with its
groups collapsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from app.core.blocks import FOLD_THRESHOLD, Block, BlockTree, Item, top_level
from app.core.graph import Graph

MIN_GROUP = 3
"""Fewest consecutive layers a shared prefix must cover to become a group."""


@dataclass
class _Run:
    prefix: tuple[str, ...]
    start: int
    nodes: list[str] = field(default_factory=list)
    children: list[_Run] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.nodes)


def name_prefixes(name: str) -> list[tuple[str, ...]]:
    """The block prefixes a layer name has: every proper ``_``-prefix whose rest is not only a
    number (``conv2_block1_1_conv`` -> conv2, conv2_block1, conv2_block1_1; ``dense_3`` -> none)."""
    tokens = tuple(name.split("_"))
    found: list[tuple[str, ...]] = []
    for k in range(1, len(tokens)):
        head, rest = tokens[:k], tokens[k:]
        if not all(head) or all(t.isdigit() for t in rest):
            continue
        stage = _STAGE.fullmatch(head[-1])
        if stage:  # block4a: stage block4 holds blocks block4a, block4b, ...
            found.append((*head[:-1], stage.group(1)))
        found.append(head)
    return found


_STAGE = re.compile(r"([A-Za-z]+\d+)[a-z]")
"""A token naming one block of a stage (EfficientNet's ``block4a``): the stage is a level too."""


def fold_by_prefix(graph: Graph, tree: BlockTree, collapse: bool | None = None) -> list[Block]:
    """Add prefix groups to ``tree`` at the top level and inside each nested model; returns
    the groups made. ``collapse`` None: collapsed when the graph, before folding, has more
    than :data:`FOLD_THRESHOLD` top-level items."""
    if collapse is None:
        collapse = len(top_level(graph, tree)) > FOLD_THRESHOLD
    order = graph.topological_order() if not graph.cyclic_components() else graph.node_order()
    scopes: list[str | None] = [None, *(b.id for b in tree.blocks() if b.kind == "nested_model")]
    made: list[Block] = []
    top_items = 0
    for scope in scopes:
        ids = [nid for nid in order if tree.block_of(nid) == scope]
        names = [graph.node(nid).name for nid in ids]
        runs = _nest(_runs(names, ids, [_keras_named(graph, nid) for nid in ids]))
        if _items(ids, runs) > FOLD_THRESHOLD:
            cells = _cell_runs(graph, names, ids)
            if _items(ids, cells) < _items(ids, runs):
                runs = cells
        if scope is not None:
            runs = [r for r in runs if len(r.nodes) < len(ids)]  # the nested model itself already says it
        else:
            top_items = _items(ids, runs) + len(tree.children(None))  # loose layers, groups, nested models
        for run in runs:
            made.extend(_make(tree, run, scope, collapse))
    if top_items > FOLD_THRESHOLD:
        made = [b for b in made if b.id in tree]  # folding by structure may dissolve a wrapper into a group
        made.extend(fold_by_structure(graph, tree, collapse))
    return made


def fold_by_structure(graph: Graph, tree: BlockTree, collapse: bool) -> list[Block]:
    """Group the top-level items between consecutive cut points (see the module docstring);
    returns the groups made. A stretch of one item, or of fewer than :data:`MIN_GROUP`
    layers, stays as it is; a stretch holding one block and loose layers becomes that block
    with the layers added (the branches of InceptionResNetV2's first ``block35`` join it)."""
    items = top_level(graph, tree)
    position = {item.id: i for i, item in enumerate(items)}
    owner: dict[str, str] = {}
    for item in items:
        for nid in ([item.id] if item.kind == "node" else tree.nodes_in(item.id)):
            owner[nid] = item.id
    reach = list(range(len(items)))  # the farthest item an edge from each item goes to
    for edge in graph.edges():
        if edge.source in owner and edge.target in owner:
            a, b = sorted((position[owner[edge.source]], position[owner[edge.target]]))
            reach[a] = max(reach[a], b)
    stretches: list[list[int]] = [[]]
    farthest = 0  # the farthest item an edge from an earlier item goes to
    for i in range(len(items)):
        stretches[-1].append(i)
        if farthest <= i:  # no edge from before jumps over item i: it is a cut point and ends a stretch
            stretches.append([])
        farthest = max(farthest, reach[i])
    made: list[Block] = []
    for stretch in stretches:
        chosen = [items[i] for i in stretch]
        layers = sum(1 if item.kind == "node" else len(tree.nodes_in(item.id)) for item in chosen)
        if len(chosen) < 2 or layers < MIN_GROUP:
            continue
        if any(item.kind != "node" and tree.block(item.id).kind != "group" for item in chosen):
            continue  # a nested model stays where the file put it
        nodes = [item.id for item in chosen if item.kind == "node"]
        blocks = [item.id for item in chosen if item.kind != "node"]
        wrapper = tree.block(blocks[0]) if len(blocks) == 1 else None
        if wrapper is not None:
            name = wrapper.name
            inner = [b.id for b in tree.children(wrapper.id)]
            nodes = [*nodes, *wrapper.members]
            tree.ungroup(wrapper.id)
            blocks = inner
        else:
            name = _stretch_name(graph, tree, chosen)
        made.append(tree.group(nodes, tree.unique_name(name), block_ids=blocks, collapsed=collapse))
    return made


def _stretch_name(graph: Graph, tree: BlockTree, items: Sequence[Item]) -> str:
    """The last block's name or layer name that is not Keras' numbering (``mixed0``)."""
    for item in reversed(items):
        if item.kind != "node":
            return tree.block(item.id).name
        if not _keras_named(graph, item.id):
            return graph.node(item.id).name
    return graph.node(items[-1].id).name if items[-1].kind == "node" else tree.block(items[-1].id).name


def _items(ids: Sequence[str], roots: Sequence[_Run]) -> int:
    return len(ids) - sum(len(r.nodes) for r in roots) + len(roots)


def cell_id(name: str, common: Container[str] | None = None) -> str | None:
    """The trailing block id of a layer name (``normal_left1_5`` -> ``5``), or None. A word
    before the number counts (``adjust_bn_stem_2`` -> ``stem_2``) when it is in ``common``
    (the two-word endings many layers share; None: always)."""
    tokens = name.split("_")
    if len(tokens) < 2 or not tokens[-1].isdigit():
        return None
    if len(tokens) >= 3 and tokens[-2].isalpha():
        pair = f"{tokens[-2]}_{tokens[-1]}"
        if common is None or pair in common:
            return pair
    return tokens[-1]


def _common_endings(names: Sequence[str]) -> set[str]:
    """Two-word endings (``stem_1``) shared by enough layers to name a cell, unlike ``bn_0``."""
    counts = Counter(f"{t[-2]}_{t[-1]}" for t in (n.split("_") for n in names)
                     if len(t) >= 3 and t[-1].isdigit() and t[-2].isalpha())
    return {pair for pair, count in counts.items() if count >= 2 * MIN_GROUP}


def _keras_named(graph: Graph, nid: str) -> bool:
    """A name Keras gave (``activation_12``, ``add``): it says nothing about the block."""
    node = graph.node(nid)
    spec = node.spec
    prefix = spec.name_prefix if spec else node.class_name.lower()
    return re.fullmatch(rf"{re.escape(prefix)}(_\d+)?", node.name) is not None


def _cell_runs(graph: Graph, names: Sequence[str], ids: Sequence[str]) -> list[_Run]:
    """Runs of layers with the same trailing cell id; Keras-named layers just before or inside
    a run join it (they are its activations and paddings); any other name ends the run."""
    runs: list[_Run] = []
    current: _Run | None = None
    key: str | None = None
    pending: list[str] = []
    common = _common_endings(names)
    for i, (name, nid) in enumerate(zip(names, ids, strict=True)):
        if _keras_named(graph, nid):
            pending.append(nid)
            continue
        cell = cell_id(name, common)
        if cell is None:
            current, key, pending = None, None, []
            continue
        if current is None or cell != key:
            current, key = _Run((), i - len(pending)), cell
            runs.append(current)
        current.nodes.extend([*pending, nid])
        pending = []
    kept = [r for r in runs if len(r.nodes) >= MIN_GROUP]
    for run in kept:
        last = graph.node(run.nodes[-1]).name
        cell = cell_id(last, common) or ""
        head = last.split("_")[0]
        run.prefix = (cell,) if cell.startswith(head) else (head, cell)
    return kept


def _runs(names: Sequence[str], ids: Sequence[str], keras_named: Sequence[bool]) -> list[_Run]:
    """Maximal runs of consecutive layers sharing each prefix, at least MIN_GROUP long; of
    runs with the same layers, only the one with the longest prefix. A Keras-named layer
    (``add_3``, ``batch_normalization_5``) has no prefix of its own: between two layers of
    a run it joins the run (ConvNeXt's residual ``add`` between two blocks of a stage)."""
    open_runs: dict[tuple[str, ...], _Run] = {}
    done: list[_Run] = []
    pending: list[str] = []
    for i, (name, nid, filler) in enumerate(zip(names, ids, keras_named, strict=True)):
        if filler:
            pending.append(nid)
            continue
        prefixes = set(name_prefixes(name))
        for prefix in [p for p in open_runs if p not in prefixes]:
            done.append(open_runs.pop(prefix))
        for prefix in prefixes:
            run = open_runs.get(prefix)
            if run is None:
                open_runs[prefix] = _Run(prefix, i, [nid])
            else:
                run.nodes.extend([*pending, nid])
        pending = []
    done.extend(open_runs.values())
    best: dict[tuple[int, int], _Run] = {}
    for run in done:
        if len(run.nodes) < MIN_GROUP:
            continue
        key = (run.start, run.end)
        if key not in best or len("_".join(run.prefix)) > len("_".join(best[key].prefix)):
            best[key] = run
    return list(best.values())


def _nest(runs: list[_Run]) -> list[_Run]:
    """Runs form a laminar family (a layer's prefixes are a chain): make it a forest."""
    roots: list[_Run] = []
    stack: list[_Run] = []
    for run in sorted(runs, key=lambda r: (r.start, -len(r.nodes), len("_".join(r.prefix)))):
        while stack and stack[-1].end <= run.start:
            stack.pop()
        (stack[-1].children if stack else roots).append(run)
        stack.append(run)
    return roots


def _make(tree: BlockTree, run: _Run, parent: str | None, collapse: bool) -> list[Block]:
    inner = {nid for child in run.children for nid in child.nodes}
    block = tree.add_block(Block(tree.new_id(), "_".join(run.prefix), "group", parent,
                                 [nid for nid in run.nodes if nid not in inner], collapsed=collapse))
    made = [block]
    for child in run.children:
        made.extend(_make(tree, child, block.id, collapse))
    return made


__all__ = ["MIN_GROUP", "fold_by_prefix", "fold_by_structure", "name_prefixes"]
