"""A classifier's output must give probabilities: a ReLU/linear output layer with a
classification loss is a warning whose fix sets softmax (one unit per class) or sigmoid."""

from __future__ import annotations

from pathlib import Path

from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.output_check import output_activation_problems
from app.core.project import Project, load_project
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


def example_project(name: str) -> Project:


    return load_project(Path(__file__).resolve().parents[2] / "models" / f"{name}.json")


def test_a_vae_warns_only_about_its_decoder_output() -> None:
    """z_mean and z_log_var are linear by design (the KL term and the sampling read them); only the
    decoder's reconstruction is compared with the target by binary cross-entropy."""
    project = example_project("vae_mnist")
    graph, training = project.graph, project.training
    assert output_activation_problems(graph, training) == []
    decoder_out = next(n for n in graph.output_nodes() if n.name not in ("z_mean", "z_log_var"))
    graph.set_param(decoder_out.id, "activation", "relu")
    assert [p.node_name for p in output_activation_problems(graph, training)] == [decoder_out.name]


def test_a_gan_is_left_to_its_recipe_and_an_autoencoder_is_checked() -> None:
    gan = example_project("dcgan_mnist")
    assert output_activation_problems(gan.graph, gan.training) == []
    autoencoder = example_project("denoising_autoencoder")
    (out,) = autoencoder.graph.output_nodes()
    autoencoder.graph.set_param(out.id, "activation", "linear")
    assert [p.node_name for p in output_activation_problems(autoencoder.graph, autoencoder.training)] == [out.name]
