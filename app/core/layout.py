"""Automatic layered layout of the DAG (imported or messy graphs, the examples, the folded view).

grandalf's Sugiyama layout does the graph drawing: ranks (each node below all its inputs),
crossing reduction and Brandes-Köpf placement, in which a long edge (a residual connection)
runs through placeholders one column wide, so the two branches of a residual block sit side by
side. On top of that, long networks wrap: a column more than a screenful of rows deep is cut
at a narrow rank (where the whole network passes through one layer) and continues at the top
of the next column, so a 175-layer ResNet is a page of columns, not an 18,000 px strip.

The layout works on plain ids and edges (:func:`layered_layout`), so the canvas can lay out
its folded view (a collapsed block is one card) with the same code as the full graph.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import networkx as nx

from app.core.graph import Graph, Position

if TYPE_CHECKING:
    from app.core.blocks import BlockTree

ROW_GAP = 110.0
COLUMN_GAP = 230.0

CARD_ROOM = (COLUMN_GAP - 10.0, ROW_GAP - 10.0)
"""How far apart (x, y) two node centres must be for their cards not to touch: a card is
about 212 x 72-96 pixels, and the layered layout's own spacing leaves a little more."""

SEARCH_COLUMNS = 4
"""How many columns each side of the wanted spot :func:`free_position` tries, row by row."""

CARD_WIDTH = 212.0
EDGE_LANE = 60.0
"""Width a long edge takes beside the cards it passes (a residual branch's lane)."""
WRAP_AFTER_ROWS = 10
"""A network at most this many rows deep is one column; deeper ones wrap into several."""
MIN_BAND_ROWS = 6
"""A wrapped column is at least this many rows deep."""
TARGET_ASPECT = 1.6
"""Wrapped columns are chosen so the whole picture is about as wide as a 1280 x 800 window."""
NARROW_SEARCH = 0.35
"""A column is cut at a rank where the network is one layer wide, searched up to this share
of a column above the ideal cut (else it is cut where it is)."""

Key = TypeVar("Key", bound=Hashable)


class _Card:
    """What grandalf reads of a vertex: its size (and where it writes the centre, ``xy``)."""

    def __init__(self, w: float = CARD_WIDTH, h: float = ROW_GAP - 20.0) -> None:
        self.w, self.h = w, h
        self.xy: tuple[float, float] = (0.0, 0.0)


def layered_layout(ids: Sequence[Key], edges: Iterable[tuple[Key, Key]], *,
                   wrap_rows: int | None = None) -> dict[Key, Position]:
    """Card centres for ``ids`` joined by ``edges`` (source, target): each card at least one row
    below its inputs, rows :data:`ROW_GAP` apart, cards in a row :data:`COLUMN_GAP` apart or more.

    Deep networks wrap into columns of ``wrap_rows`` rows (by default chosen so the picture is
    about as wide as a window, and only past :data:`WRAP_AFTER_ROWS` rows). Separate pieces of
    the graph sit side by side in the order of ``ids``; edges between unknown ids are ignored
    and a cycle (an invalid graph) is drawn with its back edge dropped.
    """
    order = list(dict.fromkeys(ids))
    g = nx.DiGraph()
    g.add_nodes_from(order)
    g.add_edges_from((s, t) for s, t in edges if s != t and s in g and t in g)
    if not nx.is_directed_acyclic_graph(g):
        g = _break_cycles(g)
    index = {key: i for i, key in enumerate(order)}
    pieces = sorted((sorted(c, key=index.__getitem__) for c in nx.weakly_connected_components(g)),
                    key=lambda c: index[c[0]])
    positions: dict[Key, Position] = {}
    left = 0.0
    for piece in pieces:
        placed = _wrapped(*_sugiyama(piece, g), wrap_rows)
        low = min(x for x, _ in placed.values())
        for key, (x, y) in placed.items():
            positions[key] = (x - low + left, y)
        left = max(x for x, _ in positions.values()) + COLUMN_GAP
    if positions:
        middle = (min(x for x, _ in positions.values()) + max(x for x, _ in positions.values())) / 2
        positions = {key: (round(x - middle, 1), y) for key, (x, y) in positions.items()}
    return positions


def _sugiyama(piece: list[Key], g: nx.DiGraph) -> tuple[dict[Key, int], dict[Key, float], list[list[float]]]:
    """grandalf's layout of one connected piece: each id's rank and x, and the x of everything
    in each rank (cards and the lanes of long edges)."""
    if len(piece) == 1:
        return {piece[0]: 0}, {piece[0]: 0.0}, [[0.0]]
    from grandalf.graphs import Edge, Vertex, graph_core
    from grandalf.layouts import SugiyamaLayout

    vertices: dict[Key, Any] = {}
    for key in piece:
        vertex = Vertex(key)
        vertex.view = _Card()
        vertices[key] = vertex
    component = _component(list(vertices.values()))
    for vertex in vertices.values():
        vertex.c = component
    edges = [Edge(vertices[s], vertices[t]) for s in piece for t in g.successors(s)]
    layout = SugiyamaLayout(graph_core(list(vertices.values()), edges))
    layout.xspace = COLUMN_GAP - CARD_WIDTH
    layout.dw = EDGE_LANE  # the placeholders of long edges: narrow lanes beside the cards
    _init(layout, [vertices[k] for k in piece if g.in_degree(k) == 0])
    layout.draw(N=1.5)
    ranks = {key: int(layout.grx[v].rank) for key, v in vertices.items()}
    xs = {key: float(v.view.xy[0]) for key, v in vertices.items()}
    rows = [[float(v.view.xy[0]) for v in layer] for layer in layout.layers]
    return ranks, xs, rows


def _component(vertices: list[Any]) -> Any:
    """One grandalf component (a ``Poset``) holding a whole connected piece from the start.

    ``graph_core`` otherwise starts each vertex in a component of its own, merges them edge by
    edge and then checks every vertex's component against the last with ``!=``, which builds
    two sets of all vertices each time: quadratic, 0.15 s at 1,000 layers. networkx has already
    split the graph into connected pieces, so one shared component compared by identity is exact."""
    from grandalf.utils.poset import Poset

    class Component(Poset):
        def __eq__(self, other: object) -> bool:
            return self is other

        def __ne__(self, other: object) -> bool:
            return self is not other

        __hash__ = object.__hash__

    return Component(vertices)


class _Layers(list):
    """grandalf's layer list with an O(1) ``index``: ``Layer.setup`` looks each layer up with
    ``list.index``, which compares layers as lists, quadratic in a 1,000-layer network (0.5 s)."""

    def __init__(self, layers: list[Any]) -> None:
        super().__init__(layers)
        self._where = {id(layer): i for i, layer in enumerate(layers)}

    def index(self, layer: Any, *_args: Any) -> int:
        return self._where[id(layer)]


def _init(layout: Any, roots: list[Any]) -> None:
    """``SugiyamaLayout.init_all`` for a DAG (no edge inverted), with :class:`_Layers`."""
    layout.alt_e = []
    layout.rank_all(roots, optimize=False)
    for edge in layout.g.E():
        layout.setdummies(edge)
    layout.layers = _Layers(layout.layers)
    for layer in layout.layers:
        layer.setup(layout)
    layout.initdone = True


def _wrapped(ranks: dict[Key, int], xs: dict[Key, float], rows: list[list[float]],
             wrap_rows: int | None) -> dict[Key, Position]:
    """Cut the ranks into columns (see :func:`band_cuts`) and put the columns side by side."""
    cuts = band_cuts([len(row) for row in rows], _band_rows(rows, wrap_rows))
    placed: dict[Key, Position] = {}
    offset = 0.0
    for start, end in cuts:
        band_xs = [x for row in rows[start:end] for x in row]
        low, high = min(band_xs), max(band_xs)
        for key, rank in ranks.items():
            if start <= rank < end:
                placed[key] = (xs[key] - low + offset, (rank - start) * ROW_GAP)
        offset += high - low + COLUMN_GAP + EDGE_LANE
    return placed


def _band_rows(rows: list[list[float]], wrap_rows: int | None) -> int:
    """How many ranks a column holds: ``wrap_rows``, or enough columns for a window's shape."""
    depth = len(rows)
    if wrap_rows is not None:
        return max(1, wrap_rows)
    if depth <= WRAP_AFTER_ROWS:
        return depth
    all_xs = [x for row in rows for x in row]
    width = max(all_xs) - min(all_xs) + COLUMN_GAP + EDGE_LANE
    columns = max(1, round(math.sqrt(TARGET_ASPECT * depth * ROW_GAP / width)))
    return max(MIN_BAND_ROWS, math.ceil(depth / columns))


def band_cuts(widths: Sequence[int], rows: int) -> list[tuple[int, int]]:
    """Split ranks ``0..len(widths)`` into runs of at most ``rows``; a run ends, where it can,
    just after a rank one item wide (the whole network passes through one layer there, so only
    that layer's outputs cross to the next column, no residual branch)."""
    depth = len(widths)
    cuts: list[tuple[int, int]] = []
    start = 0
    while depth - start > rows:
        ideal = start + rows
        reach = max(start + 1, ideal - int(rows * NARROW_SEARCH))
        end = next((c for c in range(ideal, reach - 1, -1) if widths[c - 1] == 1), ideal)
        cuts.append((start, end))
        start = end
    cuts.append((start, depth))
    return cuts


def layered_positions(graph: Graph, wrap_rows: int | None = None) -> dict[str, Position]:
    """Top-to-bottom positions of every node: inputs in the first row, each node below all its
    inputs, deep networks wrapped into columns (see :func:`layered_layout`)."""
    return layered_layout([n.id for n in graph.nodes()], ((e.source, e.target) for e in graph.edges()),
                          wrap_rows=wrap_rows)


def apply_layout(graph: Graph) -> None:
    """Move every node to its layered position (the editor wraps this in one undo step)."""
    for node_id, position in layered_positions(graph).items():
        graph.move(node_id, position)


def visible_owners(graph: Graph, tree: BlockTree) -> dict[str, str]:
    """node id -> what stands for it on the canvas: itself, or the outermost collapsed block
    around it (whose card it is drawn as)."""
    return {n.id: tree.visible_owner(n.id) for n in graph.nodes()} if tree else {n.id: n.id for n in graph.nodes()}


def computation_order(graph: Graph) -> dict[str, int]:
    """node id -> its place in the order of computation (the graph's order if it has a cycle)."""
    order = graph.topological_order() if not graph.cyclic_components() else graph.node_order()
    return {node_id: i for i, node_id in enumerate(order)}


def block_anchor(graph: Graph, tree: BlockTree, block_id: str, order: dict[str, int] | None = None) -> str | None:
    """The node whose position a collapsed block's card takes: the block's first layer in the
    graph's order of computation (its entry), so the card sits where the block begins. Pass
    ``order`` (:func:`computation_order`) when asking for many blocks."""
    rank = order if order is not None else computation_order(graph)
    inside = [node_id for node_id in tree.nodes_in(block_id) if node_id in rank]
    return min(inside, key=rank.__getitem__, default=None)


def view_positions(graph: Graph, tree: BlockTree) -> dict[str, Position]:
    """Layered positions of what the canvas shows: loose nodes and collapsed blocks (one card
    each, keyed by block id); an edge into or out of a collapsed block attaches to its card."""
    owners = visible_owners(graph, tree)
    items = list(dict.fromkeys(owners.values()))
    edges = list(dict.fromkeys((owners[e.source], owners[e.target]) for e in graph.edges()))
    return layered_layout(items, edges)


def apply_view_layout(graph: Graph, tree: BlockTree) -> None:
    """Lay out the canvas' current view (:func:`view_positions`). The layers inside a collapsed
    block move with its card, keeping their arrangement (they are laid out when the block is
    opened, as part of the view then), so its anchor (:func:`block_anchor`) is at the card's spot."""
    if not tree:
        apply_layout(graph)
        return
    owners = visible_owners(graph, tree)
    order = computation_order(graph)
    inside: dict[str, list[str]] = {}
    for node_id, owner in owners.items():
        if owner != node_id:
            inside.setdefault(owner, []).append(node_id)
    for item, (x, y) in view_positions(graph, tree).items():
        if item in graph:
            graph.move(item, (x, y))
            continue
        anchor = block_anchor(graph, tree, item, order)
        if anchor is None:
            continue
        ax, ay = graph.node(anchor).position
        for node_id in inside.get(item, []):
            nx_, ny = graph.node(node_id).position
            graph.move(node_id, (nx_ - ax + x, ny - ay + y))


def overlaps(graph: Graph, position: Position, ignore: Iterable[str] = ()) -> list[str]:
    """Ids of the nodes whose card would touch a card centred at ``position``."""
    skip = set(ignore)
    x, y = position
    return [n.id for n in graph.nodes() if n.id not in skip
            and abs(n.position[0] - x) < CARD_ROOM[0] and abs(n.position[1] - y) < CARD_ROOM[1]]


def free_position(graph: Graph, wanted: Position, ignore: Iterable[str] = ()) -> Position:
    """The spot nearest ``wanted`` where a new card touches no other: the wanted row first
    (right, then left, one column further each time), then the rows below it."""
    skip = set(ignore)
    x, y = wanted
    offsets = [0]
    for k in range(1, SEARCH_COLUMNS + 1):
        offsets += [k, -k]
    for row in range(len(graph) + 2):  # enough rows below: at worst every node sits in one
        for k in offsets:
            spot = (x + k * COLUMN_GAP, y + row * ROW_GAP)
            if not overlaps(graph, spot, skip):
                return spot
    raise AssertionError("unreachable: the row below every node is free")


def below(graph: Graph, node_id: str) -> Position:
    """Where a layer fed by ``node_id`` goes: one row under it, beside any layer already there."""
    x, y = graph.node(node_id).position
    return free_position(graph, (x, y + ROW_GAP))


def make_room(graph: Graph, position: Position, keep: Iterable[str] = ()) -> list[str]:
    """Move the nodes on the row at ``position`` and every row below it down by one row, so a
    card fits at ``position`` while the layout below keeps its shape; ``keep`` stay (the layer
    being inserted after). Returns the ids moved. Nodes beside the row's x are moved too: a
    layered layout's rows stay rows."""
    keep = set(keep)
    top = position[1] - CARD_ROOM[1]
    moved = [n.id for n in graph.nodes() if n.id not in keep and n.position[1] > top]
    for node_id in moved:
        x, y = graph.node(node_id).position
        graph.move(node_id, (x, y + ROW_GAP))
    return moved


def _break_cycles(g: nx.DiGraph) -> nx.DiGraph:
    """Drop back edges so a cyclic (invalid) graph can still be drawn."""
    g = g.copy()
    while True:
        try:
            u, v, *_ = nx.find_cycle(g)[-1]
        except nx.NetworkXNoCycle:
            return g
        g.remove_edge(u, v)
