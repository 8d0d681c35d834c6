"""A shape error caused by an Input whose batch_shape starts with the sample's first size says so,
and its fix moves that size into the sample shape (the issue's 28, 28, 1 typed as batch_shape)."""

from __future__ import annotations

from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.shapes import analyze


def _image_model(batch_shape: list) -> tuple[Graph, str, str]:
    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": batch_shape})
    conv = graph.add_node("Conv2D", config={"filters": 4, "kernel_size": [3, 3]}, position=(0, 110))
    graph.connect(image.id, conv.id)
    return graph, image.id, conv.id


def test_batch_size_typed_as_part_of_the_shape_is_named_and_fixed() -> None:
    graph, image, conv = _image_model([28, 28, 1])
    (problem,) = analyze(graph).problems
    assert problem.node == conv and problem.code == "shape"
    assert "Input 'image' seems to have the batch size in its shape" in problem.message
    assert "batches of 28 samples of shape (28, 1)" in problem.message
    assert "Reshape" not in problem.fix.description and "(28, 28, 1) the shape of one sample" in problem.fix.description
    apply_fix(graph, problem.fix.action)
    assert graph.node(image).config["batch_shape"] == [None, 28, 28, 1]
    assert analyze(graph).valid


def test_no_hint_when_the_batch_is_none_or_the_hint_would_not_help() -> None:
    graph, _, conv = _image_model([None, 28, 28])  # a real missing channel axis
    (problem,) = analyze(graph).problems
    assert "batch size" not in problem.message and problem.fix.action["class_name"] == "Reshape"
    graph, _, conv = _image_model([8, 28])  # a fixed batch, but moving it would not make a 4-D input
    (problem,) = analyze(graph).problems
    assert "batch size in its shape" not in problem.message
