"""Rows of a ``model.summary()``-style table, shared by the CLI and the editor's summary dock."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.catalog.spec import Shape
from app.core.graph import Graph
from app.core.shapes import Analysis


@dataclass(frozen=True)
class SummaryRow:
    node_id: str
    name: str
    class_name: str
    title: str
    output_shapes: list[Shape] | None
    trainable: int
    non_trainable: int
    known: bool
    inputs: list[str]

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


def summary_rows(graph: Graph, analysis: Analysis) -> list[SummaryRow]:
    """One row per node, in the order Keras would list the layers (topological)."""
    rows = []
    for node_id in analysis.order:
        node = graph.node(node_id)
        info = analysis.nodes[node_id]
        spec = node.spec
        rows.append(SummaryRow(
            node_id=node_id,
            name=node.name,
            class_name=node.class_name,
            title=spec.title if spec else node.class_name,
            output_shapes=info.output_shapes,
            trainable=info.trainable,
            non_trainable=info.non_trainable,
            known=info.ok,
            inputs=[graph.node(e.source).name for e in graph.ordered_in_edges(node_id)],
        ))
    return rows
