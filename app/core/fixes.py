"""Apply a suggested :class:`~app.core.catalog.spec.Fix` to a graph, through the graph API.

Fix actions are plain data (so the CLI can print them and projects never store code);
this module is their one interpreter. The editor wraps a call in one undo macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx

from app.core.graph import Edge, Graph, GraphError, Node, Position
from app.core.layout import CARD_ROOM, ROW_GAP, free_position, make_room, overlaps


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
    """Put a layer in front of ``node``'s port, reusing an unconnected one of that class
    already on the canvas, and move the layers below down a row when there is no room."""
    target = graph.node(action["node"])
    port = action.get("port", "input")
    edges = graph.port_edges(target.id, port)
    edge = edges[0] if edges else None
    source = graph.node(edge.source) if edge is not None else None
    reused = _spare_layer(graph, action["class_name"], target.position)
    ignore = [reused.id] if reused is not None else []
    spot = _spot_before(graph, target, source, ignore)
    if reused is not None:
        for key, value in (action.get("config") or {}).items():
            graph.set_param(reused.id, key, value)
        graph.move(reused.id, spot)
        new = reused
    else:
        new = graph.add_node(action["class_name"], config=action.get("config"), position=spot)
    if edge is not None:
        graph.disconnect(edge)
        graph.connect(edge.source, new.id, _first_port(graph, new.id), source_port=edge.source_port)
        graph.connect(new.id, target.id, port, slot=edge.slot)
    else:
        graph.connect(new.id, target.id, port)
    return [new.id]


def _spot_before(graph: Graph, target: Node, source: Node | None, ignore: list[str]) -> Position:
    """Where a layer inserted in front of ``target`` goes; moves layers down when needed.

    Between ``source`` and ``target`` when two rows fit there, else in ``target``'s place with
    ``target`` and everything below it one row lower (the layout keeps its shape)."""
    tx, ty = target.position
    if source is not None:
        sx, sy = source.position
        between = (tx, sy + ROW_GAP) if ty - sy >= 2 * ROW_GAP - 1 else None
        if between is not None and not overlaps(graph, between, ignore):
            return between
        if ty - sy < CARD_ROOM[1]:  # side by side (or a hand-made layout): no rows to shift
            return free_position(graph, (tx, max(sy, ty) + ROW_GAP), ignore)
        keep = {source.id, *nx.ancestors(graph.nx_graph(), source.id), *ignore}
    else:
        above = (tx, ty - ROW_GAP)
        if not overlaps(graph, above, ignore):
            return above
        keep = {*ignore, *(n.id for n in graph.nodes() if n.position[1] <= ty - CARD_ROOM[1])}
    make_room(graph, (tx, ty), keep)
    return (tx, ty) if not overlaps(graph, (tx, ty), ignore) else free_position(graph, (tx, ty), ignore)


def _spare_layer(graph: Graph, class_name: str, near: Position) -> Node | None:
    """An unconnected layer of ``class_name`` already placed (the nearest to ``near``): the
    student added it meaning to wire it in, so a fix uses it rather than adding a twin."""
    spare = [n for n in graph.nodes() if n.class_name == class_name
             and not graph.in_edges(n.id) and not graph.out_edges(n.id)]
    if not spare:
        return None
    return min(spare, key=lambda n: (n.position[0] - near[0]) ** 2 + (n.position[1] - near[1]) ** 2)


def _first_port(graph: Graph, node_id: str) -> str:
    ports = graph.ports(node_id)
    return ports[0].name if ports else "input"


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
        return [graph.add_node("InputLayer", position=free_position(graph, (0.0, 0.0))).id]
    target = graph.node(target_id)
    ports = graph.ports(target_id)
    spot = _spot_before(graph, target, None, [])
    new = graph.add_node("InputLayer", position=spot)
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
