"""Recipe roles from shapes (app.core.recipes) and the recipe settings' checks, without Keras."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from app.core.graph import Graph
from app.core.recipes import RecipeError, components, plan_recipe, subgraph
from app.core.training_settings import check_settings


def chain(graph: Graph, *layers: tuple[str, str, dict[str, Any]]) -> list[Any]:
    nodes = [graph.add_node(cls, name=name, config=cfg) for name, cls, cfg in layers]
    for a, b in itertools.pairwise(nodes):
        graph.connect(a.id, b.id)
    return nodes


def vae_graph(latent: int = 2, decoder_in: int = 2, image: int = 64, log_var_first: bool = False) -> Graph:
    graph = Graph()
    chain(graph, ("z", "InputLayer", {"batch_shape": [None, decoder_in]}),
          ("dec", "Dense", {"units": 16, "activation": "relu"}),
          ("rebuilt", "Dense", {"units": image, "activation": "sigmoid"}))
    _, hidden = chain(graph, ("pixels", "InputLayer", {"batch_shape": [None, 64]}),
                      ("enc", "Dense", {"units": 16, "activation": "relu"}))
    names = ("z_log_var", "z_mean") if log_var_first else ("z_mean", "z_log_var")
    for name in names:
        head = graph.add_node("Dense", name=name, config={"units": latent})
        graph.connect(hidden.id, head.id)
    return graph


def gan_graph(noise: int = 8, image: int = 64, disc_in: int = 64, disc_units: int = 1,
              disc_activation: str = "linear") -> Graph:
    graph = Graph()
    chain(graph, ("image", "InputLayer", {"batch_shape": [None, disc_in]}),
          ("d1", "Dense", {"units": 16, "activation": "relu"}),
          ("score", "Dense", {"units": disc_units, "activation": disc_activation}))
    chain(graph, ("noise", "InputLayer", {"batch_shape": [None, noise]}),
          ("g1", "Dense", {"units": 16, "activation": "relu"}),
          ("fake", "Dense", {"units": image, "activation": "sigmoid"}))
    return graph


def test_supervised_has_no_plan() -> None:
    assert plan_recipe(vae_graph(), {}) is None


def test_vae_roles_come_from_shapes_whatever_the_canvas_order() -> None:
    graph = vae_graph(log_var_first=True)
    plan = plan_recipe(graph, {"recipe": "vae"})
    assert plan is not None and plan.latent_dim == 2
    assert plan.parts["encoder"].input_name == "pixels" and plan.parts["decoder"].input_name == "z"
    assert plan.parts["encoder"].output_names == ("z_mean", "z_log_var")  # read by name, not by order
    assert plan.data_role == "encoder" and "latent size 2" in plan.describe()
    encoder = subgraph(graph, plan.parts["encoder"])
    assert sorted(n.name for n in encoder.nodes()) == ["enc", "pixels", "z_log_var", "z_mean"]
    assert [n.name for n in encoder.output_nodes()] == ["z_mean", "z_log_var"]


def test_vae_decoder_input_that_is_not_the_latent_size_is_refused_by_name() -> None:
    with pytest.raises(RecipeError) as caught:
        plan_recipe(vae_graph(latent=2, decoder_in=3), {"recipe": "vae"})
    assert caught.value.node == "z" and "latent size is 2" in str(caught.value) and "(3,)" in str(caught.value)


def test_vae_decoder_that_rebuilds_another_shape_is_refused() -> None:
    with pytest.raises(RecipeError) as caught:
        plan_recipe(vae_graph(image=32), {"recipe": "vae"})
    assert caught.value.node == "rebuilt" and "(32,)" in str(caught.value) and "(64,)" in str(caught.value)


def test_vae_needs_two_sub_graphs() -> None:
    graph = Graph()
    chain(graph, ("x", "InputLayer", {"batch_shape": [None, 4]}), ("y", "Dense", {"units": 4}))
    with pytest.raises(RecipeError, match=r"needs 2 separate sub-graphs .* the canvas has 1"):
        plan_recipe(graph, {"recipe": "vae"})
    assert len(components(vae_graph())) == 2


def test_gan_roles_from_shapes_and_logits_from_the_last_activation() -> None:
    plan = plan_recipe(gan_graph(), {"recipe": "gan"})
    assert plan is not None and plan.latent_dim == 8 and plan.from_logits
    assert plan.parts["generator"].input_name == "noise" and plan.parts["discriminator"].input_name == "image"
    sigmoid = plan_recipe(gan_graph(disc_activation="sigmoid"), {"recipe": "gan"})
    assert sigmoid is not None and not sigmoid.from_logits


def test_gan_discriminator_input_must_match_the_generator_output() -> None:
    with pytest.raises(RecipeError) as caught:
        plan_recipe(gan_graph(disc_in=32), {"recipe": "gan"})
    assert caught.value.node == "image" and "(32,)" in str(caught.value) and "'fake' gives (64,)" in str(caught.value)


def test_gan_discriminator_must_end_in_one_unit() -> None:
    with pytest.raises(RecipeError) as caught:
        plan_recipe(gan_graph(disc_units=2), {"recipe": "gan"})
    assert caught.value.node == "score" and "one unit" in str(caught.value)


def test_explicit_roles_override_and_unknown_names_are_refused() -> None:
    # with roles naming them the other way round, the shapes no longer fit: the refusal names the node
    with pytest.raises(RecipeError) as caught:
        plan_recipe(gan_graph(), {"recipe": "gan", "roles": {"generator": "image"}})
    assert caught.value.node in ("image", "noise")
    with pytest.raises(RecipeError, match="names Input 'nope'"):
        plan_recipe(gan_graph(), {"recipe": "gan", "roles": {"generator": "nope"}})
    plan = plan_recipe(gan_graph(), {"recipe": "gan", "roles": {"discriminator": "image"}})
    assert plan is not None and plan.parts["generator"].input_name == "noise"


def test_autoencoder_must_rebuild_its_input_shape() -> None:
    graph = Graph()
    chain(graph, ("x", "InputLayer", {"batch_shape": [None, 8]}), ("code", "Dense", {"units": 2}),
          ("out", "Dense", {"units": 7}))
    with pytest.raises(RecipeError) as caught:
        plan_recipe(graph, {"recipe": "autoencoder"})
    assert caught.value.node == "out" and "(7,)" in str(caught.value)
    graph.set_param(graph.node_by_name("out").id, "units", 8)  # type: ignore[union-attr]
    plan = plan_recipe(graph, {"recipe": "autoencoder"})
    assert plan is not None and plan.data_role == "autoencoder"


def keys(settings: dict[str, Any]) -> set[str]:
    return {p.key for p in check_settings(settings)}


def test_recipe_settings_are_checked() -> None:
    assert keys({"recipe": "vae", "loss": "mse"}) == set()
    assert "recipe" in keys({"recipe": "diffusion"})
    assert "loss" in keys({"recipe": "vae"})  # the default sparse cross-entropy cannot compare pixels
    assert "denoise" in keys({"recipe": "autoencoder", "loss": "mse", "denoise": "salt"})
    assert "denoise_strength" in keys({"recipe": "autoencoder", "loss": "mse", "denoise": "masking",
                                       "denoise_strength": 1.0})
    assert "beta" in keys({"recipe": "vae", "loss": "mse", "beta": -1})
    assert "label_smoothing" in keys({"recipe": "gan", "label_smoothing": 0.5})
    assert "early_stopping" in keys({"recipe": "gan", "early_stopping": True})
    assert "schedule" in keys({"recipe": "gan", "schedule": "cosine"})
    assert "checkpoint" in keys({"recipe": "vae", "loss": "mse", "checkpoint": True})
    assert "fine_tune_epochs" in keys({"recipe": "autoencoder", "loss": "mse", "fine_tune_epochs": 2})
    assert "roles" in keys({"recipe": "gan", "roles": {"encoder": "x"}})
    assert "roles" in keys({"recipe": "gan", "roles": ["generator"]})
