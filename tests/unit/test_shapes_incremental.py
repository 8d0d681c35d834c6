"""The incremental re-validation gives exactly what a fresh validation gives, edit after edit."""

from __future__ import annotations

import random

from app.core.shapes import Analysis, ShapeAnalyzer, analyze
from tests.benchmarks.graphs import efficientnet_b0_like


def same(warm: Analysis, cold: Analysis) -> None:
    assert warm.order == cold.order
    assert warm.nodes == cold.nodes
    assert [(p.code, p.message, p.node, p.severity) for p in warm.problems] == \
        [(p.code, p.message, p.node, p.severity) for p in cold.problems]


def test_each_edit_matches_a_fresh_validation() -> None:
    graph = efficientnet_b0_like()
    analyzer = ShapeAnalyzer()
    same(analyzer.analyze(graph), analyze(graph))
    rng = random.Random(16)
    nodes = graph.nodes()
    dense = [n for n in nodes if n.class_name == "Dense"]
    convs = [n for n in nodes if n.class_name == "Conv2D"]
    image = graph.input_nodes()[0]
    edits = [
        lambda: graph.set_param(rng.choice(dense).id, "units", rng.choice([10, 64, 0])),  # 0: an error
        lambda: graph.set_param(rng.choice(convs).id, "filters", rng.choice([8, 16, 32])),  # Adds may break
        lambda: graph.rename(rng.choice(nodes).id, rng.choice(["dense", "a/b", "x", nodes[0].name])),
        lambda: graph.set_param(image.id, "batch_shape", [None, rng.choice([96, 224, 7]), 224, 3]),
    ]
    for _ in range(60):
        rng.choice(edits)()
        same(analyzer.analyze(graph), analyze(graph))


def test_rewiring_and_deleting_fall_back_to_a_full_pass() -> None:
    graph = efficientnet_b0_like()
    analyzer = ShapeAnalyzer()
    analyzer.analyze(graph)
    edge = next(e for e in graph.edges() if graph.node(e.target).class_name == "Add")
    graph.disconnect(edge)
    same(analyzer.analyze(graph), analyze(graph))
    graph.connect(edge.source, edge.target, edge.target_port)
    same(analyzer.analyze(graph), analyze(graph))
    graph.remove_node(graph.nodes()[-1].id)
    same(analyzer.analyze(graph), analyze(graph))
    graph.output_order[:] = [graph.nodes()[5].id]
    same(analyzer.analyze(graph), analyze(graph))


def test_one_parameter_edit_looks_at_that_node_and_what_follows_only() -> None:
    graph = efficientnet_b0_like()
    analyzer = ShapeAnalyzer()
    analyzer.analyze(graph)
    last_dense = [n for n in graph.nodes() if n.class_name == "Dense"][-1]
    graph.set_param(last_dense.id, "units", 7)
    result = analyzer.analyze(graph)
    assert analyzer.recomputed == 1
    assert result.nodes[last_dense.id].output_shapes == [(None, 7)]
