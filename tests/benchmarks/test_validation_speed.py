"""Issue figures: full re-validation of a 250-node graph < 20 ms; one edit re-validates faster."""

from __future__ import annotations

import pytest

from app.core.shapes import ShapeAnalyzer, analyze
from tests.benchmarks.graphs import efficientnet_b0_like


@pytest.fixture(scope="module")
def big_graph():
    graph = efficientnet_b0_like()
    result = analyze(graph)
    assert result.valid, [p.message for p in result.errors][:3]
    assert len(graph) >= 240
    return graph


def test_full_validation_250_nodes(benchmark, big_graph) -> None:
    """A cold analyzer each round: every node's rules run."""
    result = benchmark(lambda: ShapeAnalyzer().analyze(big_graph))
    assert result.valid
    benchmark.extra_info["nodes"] = len(big_graph)


def test_revalidation_after_one_edit(benchmark, big_graph) -> None:
    """A warm analyzer, one typical edit per round (a Dropout rate): only that node's rules rerun,
    the rest is the whole-graph checks and cache lookups."""
    analyzer = ShapeAnalyzer()
    analyzer.analyze(big_graph)
    dropout = next(n for n in reversed(big_graph.nodes()) if n.class_name == "Dropout")
    rates = iter([0.1, 0.3] * 100_000)

    def edit_and_validate():
        big_graph.set_param(dropout.id, "rate", next(rates))
        return analyzer.analyze(big_graph)

    result = benchmark(edit_and_validate)
    assert result.valid
    benchmark.extra_info["recomputed_nodes"] = analyzer.recomputed


def test_revalidation_after_input_size_edit(benchmark, big_graph) -> None:
    """Worst case for one edit: the input image size changes, so every shape downstream changes."""
    analyzer = ShapeAnalyzer()
    analyzer.analyze(big_graph)
    image = big_graph.input_nodes()[0]
    sizes = iter([192, 224] * 100_000)

    def edit_and_validate():
        size = next(sizes)
        big_graph.set_param(image.id, "batch_shape", [None, size, size, 3])
        return analyzer.analyze(big_graph)

    result = benchmark(edit_and_validate)
    assert result.valid
    benchmark.extra_info["recomputed_nodes"] = analyzer.recomputed
