"""Apply a suggested :class:`~app.core.catalog.spec.Fix` to a graph, through the graph API.

Fix actions are plain data (so the CLI can print them and projects never store code);
this module is their one interpreter. The editor wraps a call in one undo macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.core.graph import Edge, Graph, GraphError

NODE_GAP = 180.0


class FixError(ValueError):
    """The fix no longer fits the graph (it changed since the problem was reported)."""


def apply_fix(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    """Carry out one fix action; returns the ids of nodes it created or changed."""
    op = action.get("op")
    handler = _HANDLERS.get(op)  # type: ignore[arg-type]
    if handler is None:
        raise FixError(f"unknown fix operation {op!r}")
    try:
        return handler(graph, action)
    except (GraphError, KeyError) as err:
        raise FixError(f"cannot apply this fix any more: {err}") from err


def _insert_before(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    target = graph.node(action["node"])
    port = action.get("port", "input")
    edges = graph.port_edges(target.id, port)
    edge = edges[0] if edges else None
    if edge is not None:
        source = graph.node(edge.source)
        x = (source.position[0] + target.position[0]) / 2
        y = (source.position[1] + target.position[1]) / 2
        if abs(source.position[1] - target.position[1]) < 1 and abs(source.position[0] - target.position[0]) < 1:
            y = target.position[1] - NODE_GAP / 2
    else:
        x, y = target.position[0], target.position[1] - NODE_GAP
    new = graph.add_node(action["class_name"], config=action.get("config"), position=(x, y))
    if edge is not None:
        graph.disconnect(edge)
        graph.connect(edge.source, new.id, "input", source_port=edge.source_port)
        graph.connect(new.id, target.id, port, slot=edge.slot)
    else:
        graph.connect(new.id, target.id, port)
    return [new.id]


def _set_param(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    graph.set_param(action["node"], action["param"], action["value"])
    return [action["node"]]


def _remove_param(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    node = graph.node(action["node"])
    config = {k: v for k, v in node.config.items() if k != action["param"]}
    graph.set_config(node.id, config)
    return [node.id]


def _rename(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    graph.rename(action["node"], action["name"])
    return [action["node"]]


def _remove_edges(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    touched = []
    for data in action["edges"]:
        edge = Edge(data["source"], data["target"], data.get("target_port", "input"), data.get("slot", 0),
                    data.get("source_port", 0))
        graph.disconnect(edge)
        touched.append(edge.target)
    return touched


def _remove_node(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    graph.remove_node(action["node"])
    return []


def _add_input(graph: Graph, action: Mapping[str, Any]) -> list[str]:
    target_id = action.get("node")
    if target_id is None:
        return [graph.add_node("InputLayer").id]
    target = graph.node(target_id)
    ports = graph.ports(target_id)
    new = graph.add_node("InputLayer", position=(target.position[0], target.position[1] - NODE_GAP))
    if ports:
        graph.connect(new.id, target_id, ports[0].name)
    return [new.id]


_HANDLERS: dict[str, Callable[[Graph, Mapping[str, Any]], list[str]]] = {
    "insert_before": _insert_before,
    "set_param": _set_param,
    "remove_param": _remove_param,
    "rename": _rename,
    "remove_edges": _remove_edges,
    "remove_node": _remove_node,
    "add_input": _add_input,
}
