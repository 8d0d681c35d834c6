"""Small graph builders shared by the core unit tests."""

from __future__ import annotations

import itertools
from typing import Any

from app.core.graph import Graph, Node


def chain(graph: Graph, *layers: tuple[str, dict[str, Any]]) -> list[Node]:
    """Add layers and connect each to the next; returns the nodes in order."""
    nodes = [graph.add_node(cls, config=cfg, position=(0, 120 * i)) for i, (cls, cfg) in enumerate(layers)]
    for a, b in itertools.pairwise(nodes):
        graph.connect(a.id, b.id)
    return nodes


def mlp(features: int = 4, hidden: int = 8, classes: int = 3) -> tuple[Graph, list[Node]]:
    graph = Graph()
    nodes = chain(
        graph,
        ("InputLayer", {"batch_shape": [None, features]}),
        ("Dense", {"units": hidden, "activation": "relu"}),
        ("Dense", {"units": classes, "activation": "softmax"}),
    )
    return graph, nodes
