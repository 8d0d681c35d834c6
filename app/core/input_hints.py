"""Explain a shape error that really comes from an Input's batch size.

Keras' ``batch_shape`` starts with the batch size. A student who types ``28, 28, 1`` there
means one 28×28 grey image, but gets batches of 28 samples of shape (28, 1); the error then
shows up layers later ("Conv2D needs a channel axis") with a fix that makes it worse. When
an error goes away once an upstream Input's first entry is read as part of the sample shape
instead, :func:`batch_axis_hint` says so and offers exactly that as the fix.
"""

from __future__ import annotations

from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import Fix
from app.core.graph import Graph, Node


def batch_axis_hint(graph: Graph, node: Node) -> tuple[str, Fix] | None:
    """(sentences to put before ``node``'s shape error, fix) when an Input upstream of ``node`` has a
    fixed batch size and the error disappears with that number moved into the sample shape."""
    if not any(_fixed_batch(n) for n in graph.input_nodes()):
        return None  # the usual case, decided without walking the graph
    import networkx as nx

    from app.core.shapes import ShapeAnalyzer  # shapes calls this module: import when needed

    ancestors = nx.ancestors(graph.nx_graph(), node.id)
    for input_node in (graph.node(n) for n in graph.topological_order() if n in ancestors):
        if input_node.class_name != "InputLayer" or not _fixed_batch(input_node):
            continue
        batch_shape = input_node.config["batch_shape"]
        batch = batch_shape[0]
        trial = graph.copy()
        trial.set_param(input_node.id, "batch_shape", [None, *batch_shape])
        info = ShapeAnalyzer().analyze(trial).nodes.get(node.id)
        if info is None or not info.ok:
            continue
        sample = fmt_shape(tuple(batch_shape[1:]))
        text = (f"Input '{input_node.name}' seems to have the batch size in its shape: its batch_shape "
                f"{fmt_shape(tuple(batch_shape))} means batches of {batch} samples of shape {sample}. If "
                f"{fmt_shape(tuple(batch_shape))} is the shape of one sample, make it the Input's shape and leave "
                "the batch size empty. What this layer sees:")
        fix = Fix(f"Make {fmt_shape(tuple(batch_shape))} the shape of one sample of Input '{input_node.name}' "
                  f"(the batch size was {batch}; leave it to Keras)",
                  {"op": "set_param", "node": input_node.id, "param": "batch_shape", "value": [None, *batch_shape]})
        return text, fix
    return None


def _fixed_batch(node: Node) -> bool:
    """An Input whose batch_shape starts with a number (a fixed batch size) rather than None."""
    value = node.config.get("batch_shape")
    return (isinstance(value, list) and bool(value) and isinstance(value[0], int)
            and not isinstance(value[0], bool))
