"""Automatic layered layout of the DAG (imported or messy graphs, and the examples).

Layers come from networkx's ``topological_generations`` (longest path from the
inputs), then a few barycenter sweeps order nodes within a layer to reduce crossings
(the Sugiyama heuristic, as in grandalf/dot, kept small with networkx doing the graph work).
"""

from __future__ import annotations

import networkx as nx

from app.core.graph import Graph, Position

ROW_GAP = 110.0
COLUMN_GAP = 230.0


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
