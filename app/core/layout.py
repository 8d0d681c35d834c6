"""Automatic layered layout of the DAG (imported or messy graphs, and the examples).

Layers come from networkx's ``topological_generations`` (longest path from the
inputs), then a few barycenter sweeps order nodes within a layer to reduce crossings
(the Sugiyama heuristic, as in grandalf/dot, kept small with networkx doing the graph work).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from app.core.graph import Graph, Position

ROW_GAP = 110.0
COLUMN_GAP = 230.0

CARD_ROOM = (COLUMN_GAP - 10.0, ROW_GAP - 10.0)
"""How far apart (x, y) two node centres must be for their cards not to touch: a card is
about 212 x 72-96 pixels, and the layered layout's own spacing leaves a little more."""

SEARCH_COLUMNS = 4
"""How many columns each side of the wanted spot :func:`free_position` tries, row by row."""


def layered_positions(graph: Graph, sweeps: int = 4) -> dict[str, Position]:
    """Top-to-bottom positions: inputs in the first row, each node below all its inputs."""
    g = nx.DiGraph(graph.nx_graph())
    if not nx.is_directed_acyclic_graph(g):
        g = _break_cycles(g)
    depth: dict[str, int] = {}
    for node_id in nx.topological_sort(g):
        depth[node_id] = max((depth[p] + 1 for p in g.predecessors(node_id)), default=0)
    rows: dict[int, list[str]] = {}
    insertion = {n.id: i for i, n in enumerate(graph.nodes())}
    for node_id in sorted(depth, key=insertion.__getitem__):
        rows.setdefault(depth[node_id], []).append(node_id)
    order = {n: i for row in rows.values() for i, n in enumerate(row)}
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        for level in sorted(rows, reverse=not down):
            neighbours = g.predecessors if down else g.successors
            rows[level].sort(key=lambda n: _barycenter(n, neighbours, order))
            order.update({n: i for i, n in enumerate(rows[level])})
    positions: dict[str, Position] = {}
    for level, row in rows.items():
        width = (len(row) - 1) * COLUMN_GAP
        for i, node_id in enumerate(row):
            positions[node_id] = (i * COLUMN_GAP - width / 2, level * ROW_GAP)
    return positions


def apply_layout(graph: Graph) -> None:
    """Move every node to its layered position (the editor wraps this in one undo step)."""
    for node_id, position in layered_positions(graph).items():
        graph.move(node_id, position)


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


def _barycenter(node_id: str, neighbours, order: dict[str, int]) -> float:
    linked = [order[n] for n in neighbours(node_id) if n in order]
    return sum(linked) / len(linked) if linked else float(order[node_id])


def _break_cycles(g: nx.DiGraph) -> nx.DiGraph:
    """Drop back edges so a cyclic (invalid) graph can still be drawn."""
    g = g.copy()
    while True:
        try:
            u, v, *_ = nx.find_cycle(g)[-1]
        except nx.NetworkXNoCycle:
            return g
        g.remove_edge(u, v)
