"""A classifier's output layer must give probabilities: softmax (one unit per class) or sigmoid.

The editor starts a new Dense or Conv2D with ReLU (what a hidden layer wants), so a student
who ends a classifier with one gets ReLU scores where the loss expects probabilities, and
training goes nowhere without an error. The cross-entropy losses Layerforge trains with take
probabilities (no ``from_logits``), so with a classification loss each output layer that has
an activation setting must end in softmax or sigmoid; this check says so, with the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.catalog.spec import Fix
from app.core.graph import Graph, Node
from app.core.recipes import RecipeError, plan_recipe
from app.core.shapes import Analysis, Problem
from app.core.training_settings import BINARY_LOSSES, CLASSIFICATION_LOSSES, with_defaults

PROBABILITIES = frozenset({"softmax", "sigmoid"})


def output_activation(node: Node) -> str | None:
    """The activation an output layer ends with: its ``activation`` setting, "softmax" for a
    Softmax layer; None when the layer has no say in it (Dropout, Flatten, ...)."""
    if node.class_name == "Softmax":
        return "softmax"
    spec = node.spec
    if spec is None or "activation" not in spec.param_names:
        return None
    value = node.config.get("activation")
    return value if isinstance(value, str) else None


def suggested_activation(node: Node, loss: str) -> str:
    """Sigmoid for one unit or a two-class (binary) loss, softmax for one unit per class."""
    return "sigmoid" if loss in BINARY_LOSSES or node.config.get("units") == 1 else "softmax"


def loss_outputs(graph: Graph, training: Mapping[str, Any] | None, analysis: Analysis | None = None) -> list[Node]:
    """The outputs the training loss compares with a target: every output (supervised, autoencoder),
    the decoder's for a VAE (the encoder's z_mean and z_log_var feed the KL term and the sampling,
    not the loss), none for a GAN (its recipe reads the discriminator's last activation and takes
    logits or probabilities, and the generator has no target) or a graph that does not fit its
    recipe (the Training panel names the node that does not fit)."""
    recipe = with_defaults(training).get("recipe")
    if recipe in ("supervised", "autoencoder"):
        return list(graph.output_nodes())
    if recipe != "vae":
        return []
    try:
        plan = plan_recipe(graph, with_defaults(training), analysis)
    except RecipeError:
        return []
    decoder = plan.parts.get("decoder") if plan else None
    return [graph.node(node_id) for node_id in decoder.output_ids] if decoder else []


def output_activation_problems(graph: Graph, training: Mapping[str, Any] | None,
                               analysis: Analysis | None = None) -> list[Problem]:
    """Warnings (with a fix) for classifier outputs whose activation does not give probabilities."""
    loss = str(with_defaults(training).get("loss"))
    if loss not in CLASSIFICATION_LOSSES:
        return []
    problems = []
    for node in loss_outputs(graph, training, analysis):
        activation = output_activation(node)
        single_softmax = activation == "softmax" and node.config.get("units") == 1
        if activation is None or (activation in PROBABILITIES and not single_softmax):
            continue
        want = suggested_activation(node, loss)
        why = ("softmax over a single unit always gives 1" if single_softmax
               else f"this output layer uses {activation}, but {loss} compares probabilities")
        problems.append(Problem(
            "output_activation",
            f"{node.name}: {why}: a classifier's last layer needs {want} "
            f"({'one unit per class' if want == 'softmax' else 'one unit, 0 to 1'}).",
            node.id, node.name, param="activation", severity="warning",
            fix=Fix(f"Set {node.name}'s activation to {want}",
                    {"op": "set_param", "node": node.id, "param": "activation", "value": want})))
    return problems
