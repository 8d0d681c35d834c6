"""Copy and paste parts of a graph as plain data (the GUI puts it on the system clipboard)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from app.core.catalog import get_spec
from app.core.graph import Graph

CLIPBOARD_FORMAT = "layerforge-nodes"
MIME_TYPE = "application/x-layerforge-nodes"


def copy_nodes(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The selected nodes and the edges between them (edges leaving the selection are dropped)."""
    chosen = [nid for nid in graph.topological_order() if nid in set(node_ids)]
    selected = set(chosen)
    return {
        "format": CLIPBOARD_FORMAT,
        "nodes": [graph.node(nid).to_dict() for nid in chosen],
        "edges": [e.to_dict() for e in graph.edges() if e.source in selected and e.target in selected],
    }


def paste_nodes(graph: Graph, data: Mapping[str, Any], offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
    """Add copies with fresh ids and unique names; returns the new node ids.

    Unknown layer classes and malformed entries are skipped, so pasting text from anywhere
    can never break the graph.
    """
    if not isinstance(data, Mapping) or data.get("format") != CLIPBOARD_FORMAT:
        return []
    id_map: dict[str, str] = {}
    for node in data.get("nodes", []):
        try:
            class_name, name, config = node["class_name"], node["name"], node["config"]
            x, y = node["position"]
        except (KeyError, TypeError, ValueError):
            continue
        if get_spec(class_name) is None or not isinstance(config, Mapping) or not isinstance(name, str):
            continue
        new = graph.add_node(class_name, graph.unique_name(name), copy.deepcopy(dict(config)),
                             (float(x) + offset[0], float(y) + offset[1]))
        id_map[str(node.get("id"))] = new.id
    for edge in data.get("edges", []):
        try:
            source, target = id_map[edge["source"]], id_map[edge["target"]]
            graph.connect(source, target, edge.get("target_port", "input"), edge.get("slot"),
                          edge.get("source_port", 0))
        except (KeyError, TypeError, ValueError):
            continue
    return list(id_map.values())
