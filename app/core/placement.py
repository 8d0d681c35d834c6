"""Where a layer added from the palette goes, and whether it is wired in at once.

A student double-clicks "Dense" with the Flatten selected: the Dense belongs under the
Flatten, fed by it. :func:`add_from_palette` does that as plain graph edits (the editor wraps
it in one undo step), never covering another card, and connects only when the new layer can
take the selected layer's output, so a click never creates a shape error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.catalog import get_spec
from app.core.catalog.spec import Shape, ShapeError
from app.core.graph import Graph
from app.core.layout import below, free_position

Position = tuple[float, float]


def accepts(class_name: str, config: Mapping[str, Any] | None, shape: Shape | None) -> bool:
    """Whether a ``class_name`` layer with ``config`` can take one input of ``shape``.

    Merge layers (several inputs) say yes: their second input is still to come. An unknown
    ``shape`` says no: wiring into a layer whose output is not known would only move the error."""
    spec = get_spec(class_name)
    if spec is None or not spec.ports or shape is None:
        return False
    if spec.ports[0].variadic:
        return True
    if any(not port.optional for port in spec.ports[1:]):
        return False  # attention-like layers need their other inputs to say anything
    full = {**spec.default_config(), **dict(config or {})}
    try:
        spec.output(full, [tuple(shape)])
        spec.count(full, [tuple(shape)])
    except (ShapeError, KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return False
    return True


def add_from_palette(graph: Graph, class_name: str, config: Mapping[str, Any] | None = None, *,
                     after: str | None = None, after_shape: Shape | None = None,
                     centre: Position = (0.0, 0.0)) -> tuple[str, bool]:
    """Add a layer below ``after`` (or at the free spot nearest ``centre`` when there is no
    ``after``) and feed it ``after``'s output when ``after_shape`` fits it.

    Returns the new node's id and whether it was connected."""
    spot = below(graph, after) if after is not None and after in graph else free_position(graph, centre)
    node = graph.add_node(class_name, config=config, position=spot)
    if after is None or after not in graph or not accepts(class_name, node.config, after_shape):
        return node.id, False
    port = graph.ports(node.id)[0].name
    if graph.can_connect(after, node.id, port) is not None:
        return node.id, False
    graph.connect(after, node.id, port)
    return node.id, True
