"""Issue #14 figures for transfer learning:

* loading a pretrained file into a model, layer by layer with its report (the lesson's backbone);
* counting a MobileNetV2 with only its top layers trainable, without TensorFlow (every edit does it);
* the lesson's three runs (from scratch, frozen, fine-tuned): test accuracy of each and the time
  the whole comparison takes, in ``extra_info``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.graph import Graph
from app.core.project import load_project
from app.core.shapes import analyze
from app.keras_bridge.backbones import load_weights_file
from app.keras_bridge.compile import compile_graph

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_load_pretrained_file_with_report(benchmark: pytest.FixtureRequest) -> None:
    model = compile_graph(load_project(MODELS / "transfer_digits.json").graph)
    report = benchmark(load_weights_file, model, MODELS / "digits_0_to_4_backbone.keras")
    assert sorted(report.matched) == ["conv1", "conv2"]


def test_count_top_layers_of_a_backbone(benchmark: pytest.FixtureRequest) -> None:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, 224, 224, 3]})
    backbone = graph.add_node("MobileNetV2", name="backbone", config={"train_top_layers": 30, "pooling": "avg"})
    graph.connect(image.id, backbone.id)
    analysis = benchmark(analyze, graph)
    assert 0 < analysis.trainable < analysis.total_params


def test_three_way_transfer_comparison(benchmark: pytest.FixtureRequest) -> None:
    from tools.build_transfer_lesson import three_ways

    results = benchmark.pedantic(three_ways, rounds=1, iterations=1)
    accuracy = {name: round(result.test_metrics["accuracy"], 4) for name, result in results.items()}
    benchmark.extra_info.update({f"test_accuracy_{name}": value for name, value in accuracy.items()})
    assert accuracy["frozen"] > accuracy["scratch"] and accuracy["fine_tune"] > accuracy["scratch"], accuracy
