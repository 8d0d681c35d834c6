"""A classifier's output must give probabilities: a ReLU/linear output layer with a
classification loss is a warning whose fix sets softmax (one unit per class) or sigmoid."""

from __future__ import annotations

from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.output_check import output_activation_problems
from tests.unit.helpers import chain


def _model(units: int, activation: str) -> tuple[Graph, str]:
    graph = Graph()
    _, _, head = chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 8, "activation": "relu"}),
                       ("Dense", {"units": units, "activation": activation}))
    return graph, head.id


def test_relu_output_of_a_classifier_gets_a_softmax_fix() -> None:
    graph, head = _model(3, "relu")
    (problem,) = output_activation_problems(graph, {"loss": "sparse_categorical_crossentropy"})
    assert problem.severity == "warning" and problem.node == head and problem.param == "activation"
    assert "uses relu" in problem.message and "softmax" in problem.fix.description
    apply_fix(graph, problem.fix.action)
    assert graph.node(head).config["activation"] == "softmax"
    assert output_activation_problems(graph, {"loss": "sparse_categorical_crossentropy"}) == []


def test_binary_and_single_unit_outputs_get_sigmoid_and_regression_is_left_alone() -> None:
    graph, _ = _model(1, "linear")
    (problem,) = output_activation_problems(graph, {"loss": "binary_crossentropy"})
    assert problem.fix.action["value"] == "sigmoid"
    assert output_activation_problems(graph, {"loss": "mse"}) == []  # regression: linear is right
    graph, _ = _model(1, "softmax")
    (problem,) = output_activation_problems(graph, {"loss": "sparse_categorical_crossentropy"})
    assert "always gives 1" in problem.message and problem.fix.action["value"] == "sigmoid"
    graph, _ = _model(3, "softmax")
    assert output_activation_problems(graph, {"loss": "categorical_crossentropy"}) == []
