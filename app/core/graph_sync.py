"""Bring a graph to a saved state through the graph API, changing only what differs.

Undo/redo is built on this: a command keeps the graph's state before and after an edit
and calls :func:`sync_graph` to move between them. Every change goes through the model's
methods, so views update from events exactly as for the original edit, and the cost is
proportional to what changed, not to the graph's size (apart from the comparison).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from app.core.graph import Edge, Graph

GraphState = Mapping[str, Any]
"""What :meth:`Graph.to_dict` returns: nodes, edges, outputs."""


def _edge(data: Mapping[str, Any]) -> Edge:
    return Edge(data["source"], data["target"], data.get("target_port", "input"), data.get("slot", 0),
                data.get("source_port", 0))


def sync_graph(graph: Graph, target: GraphState) -> bool:
    """Make ``graph`` equal to ``target``; returns whether anything changed."""
    changed = False
    wanted_nodes = {n["id"]: n for n in target.get("nodes", [])}
    wanted_edges = {_edge(e) for e in target.get("edges", [])}
    for edge in graph.edges():
        if edge not in wanted_edges or edge.source not in wanted_nodes or edge.target not in wanted_nodes:
            graph.disconnect(edge)
            changed = True
    for node in graph.nodes():
        want = wanted_nodes.get(node.id)
        if want is None or want["class_name"] != node.class_name:
            graph.remove_node(node.id)
            changed = True
    for node_id, want in wanted_nodes.items():
        if node_id not in graph:
            graph.add_node(want["class_name"], want["name"], copy.deepcopy(want["config"]),
                           tuple(want["position"]), node_id)
            changed = True
            continue
        node = graph.node(node_id)
        if node.config != want["config"]:
            graph.set_config(node_id, copy.deepcopy(want["config"]))
            changed = True
        if node.name != want["name"]:
            graph.rename(node_id, want["name"])
            changed = True
        if list(node.position) != list(want["position"]):
            graph.move(node_id, tuple(want["position"]))
            changed = True
    changed = _sync_shared(graph, wanted_nodes) or changed
    existing = set(graph.edges())
    for edge in sorted(wanted_edges - existing):
        graph.connect(edge.source, edge.target, edge.target_port, edge.slot, edge.source_port, check=False)
        changed = True
    order = list(wanted_nodes)
    if graph.node_order() != order:
        graph.set_node_order(order)
        changed = True
    outputs = [nid for nid in target.get("outputs", []) if nid in graph]
    if outputs != graph.output_order:
        graph.output_order = outputs
        changed = True
    ports = {nid: list(p) for nid, p in target.get("output_ports", {}).items() if nid in graph}
    if ports != graph.output_ports:
        graph.output_ports = ports
        changed = True
    return changed


def _sync_shared(graph: Graph, wanted_nodes: Mapping[str, Mapping[str, Any]]) -> bool:
    """Shared-layer links as saved: unlink first, then link, so an owner is never itself a call then."""
    differ = [nid for nid, want in wanted_nodes.items() if graph.node(nid).shared_with != want.get("shared_with")]
    for node_id in differ:
        graph.set_shared(node_id, None)
    for node_id in differ:
        owner = wanted_nodes[node_id].get("shared_with")
        if owner is not None:
            graph.set_shared(node_id, owner)
    return bool(differ)


def same_state(a: GraphState, b: GraphState) -> bool:
    """Equal as graphs (node and edge order ignored)."""
    def key(state: GraphState) -> tuple[Any, ...]:
        nodes = sorted((n["id"], n["class_name"], n["name"], repr(n["config"]), tuple(n["position"]))
                       for n in state.get("nodes", []))
        edges = sorted(_edge(e) for e in state.get("edges", []))
        shared = sorted((n["id"], n.get("shared_with")) for n in state.get("nodes", []) if n.get("shared_with"))
        return (nodes, edges, list(state.get("outputs", [])), shared, dict(state.get("output_ports", {})))

    return key(a) == key(b)
