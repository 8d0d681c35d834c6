"""Which sub-graph plays which part in a training recipe (autoencoder, VAE, GAN), from shapes alone.

A VAE or a GAN is two networks trained together, and the sampling or the adversarial loop
belongs to the training step, not to the graph (as in the keras.io VAE and DCGAN examples).
So a project holds its parts as disconnected sub-graphs, each with its own Input, and this
module finds them, tells encoder from decoder and generator from discriminator by their
shapes (or by the ``roles`` setting), and refuses a graph that does not fit with a message
naming the node to change. Qt- and Keras-free: the panel, the CLI and the engine share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from app.core.graph import Graph
from app.core.shapes import Analysis, analyze
from app.core.training_settings import RECIPES, ROLES, label_of, with_defaults

Shape = tuple[int | None, ...]
LOG_VAR_HINTS = ("log_var", "logvar", "log_sigma", "log_variance")


class RecipeError(ValueError):
    """The graph does not fit the recipe; ``node`` is the name of the node to look at (or "")."""

    def __init__(self, message: str, node: str = "") -> None:
        super().__init__(message)
        self.node = node


@dataclass(frozen=True)
class Part:
    """One sub-graph and its role: its Input, its outputs (in the order the recipe reads them)."""

    role: str
    node_ids: frozenset[str]
    input_id: str
    input_name: str
    input_shape: Shape
    output_ids: tuple[str, ...]
    output_names: tuple[str, ...]
    output_shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class RecipePlan:
    """A recipe's parts, by role, and the numbers its training step needs."""

    recipe: str
    parts: dict[str, Part]
    latent_dim: int = 0
    from_logits: bool = False
    """GAN: whether the discriminator gives logits (its last layer has no sigmoid)."""

    @property
    def data_role(self) -> str:
        """The part whose Input the dataset feeds."""
        return {"autoencoder": "autoencoder", "vae": "encoder", "gan": "discriminator"}[self.recipe]

    def describe(self) -> str:
        """One line for the panel and the CLI: which sub-graph plays which role."""
        if self.recipe == "autoencoder":
            return "autoencoder: the whole graph rebuilds its Input"
        parts = "; ".join(f"{role}: the sub-graph from Input '{part.input_name}'" for role, part in self.parts.items())
        return f"{label_of(RECIPES, self.recipe)} — {parts} (latent size {self.latent_dim})"


def _sample(shape: Shape | None) -> Shape:
    return tuple(shape[1:]) if shape else ()


def _fmt(shape: Shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def components(graph: Graph) -> list[frozenset[str]]:
    """The graph's disconnected sub-graphs (node ids), in the order of their first node."""
    order = {nid: i for i, nid in enumerate(graph.node_order())}
    found = [frozenset(c) for c in nx.weakly_connected_components(graph.nx_graph())]
    return sorted(found, key=lambda c: min(order[n] for n in c))


def _shape_of(analysis: Analysis, node_id: str, name: str) -> Shape:
    info = analysis.nodes.get(node_id)
    if info is None or not info.output_shapes:
        raise RecipeError(f"the shape of '{name}' is unknown: fix the problems shown on it first", name)
    return _sample(info.output_shapes[0])


def _part(graph: Graph, analysis: Analysis, role: str, ids: frozenset[str]) -> Part:
    inputs = [n for n in graph.input_nodes() if n.id in ids]
    if len(inputs) != 1:
        names = ", ".join(f"'{n.name}'" for n in inputs)
        first = inputs[0].name if inputs else graph.node(min(ids)).name
        raise RecipeError(f"the {role} sub-graph has {len(inputs)} Inputs ({names or 'none'}); each part of a "
                          "recipe needs exactly one Input", first)
    outputs = [n for n in graph.output_nodes() if n.id in ids]
    if not outputs:
        raise RecipeError(f"the {role} sub-graph from Input '{inputs[0].name}' has no layer after its Input",
                          inputs[0].name)
    node = inputs[0]
    shapes = tuple(_shape_of(analysis, n.id, n.name) for n in outputs)
    return Part(role, ids, node.id, node.name, _shape_of(analysis, node.id, node.name),
                tuple(n.id for n in outputs), tuple(n.name for n in outputs), shapes)


def _parts(graph: Graph, analysis: Analysis, recipe: str) -> list[Part]:
    groups = components(graph)
    wanted = ROLES[recipe]
    if len(groups) != len(wanted):
        described = "; ".join(
            "from Input " + ", ".join(f"'{n.name}'" for n in graph.input_nodes() if n.id in g) for g in groups)
        raise RecipeError(f"the {label_of(RECIPES, recipe)} recipe needs {len(wanted)} separate sub-graphs "
                          f"({' and '.join(wanted)}), each with its own Input; the canvas has {len(groups)}"
                          f"{': ' + described if described else ''}")
    return [_part(graph, analysis, "?", g) for g in groups]


def _by_roles(parts: list[Part], roles: Mapping[str, str], recipe: str) -> dict[str, Part] | None:
    """Parts named by the ``roles`` setting (role -> Input name), or None when it names none."""
    if not roles:
        return None
    by_input = {p.input_name: p for p in parts}
    chosen: dict[str, Part] = {}
    for role in ROLES[recipe]:
        name = roles.get(role)
        if name is None:
            continue
        if name not in by_input:
            known = ", ".join(f"'{n}'" for n in by_input)
            raise RecipeError(f"training setting roles: {role} names Input '{name}', but the sub-graphs start at "
                              f"{known}", name)
        chosen[role] = by_input[name]
    rest = [p for p in parts if p not in chosen.values()]
    for role in ROLES[recipe]:
        if role not in chosen:
            chosen[role] = rest.pop(0)
    return {role: _with_role(chosen[role], role) for role in ROLES[recipe]}


def _with_role(part: Part, role: str) -> Part:
    return Part(role, part.node_ids, part.input_id, part.input_name, part.input_shape, part.output_ids,
                part.output_names, part.output_shapes)


def _ordered(part: Part, order: tuple[int, ...]) -> Part:
    return Part(part.role, part.node_ids, part.input_id, part.input_name, part.input_shape,
                tuple(part.output_ids[i] for i in order), tuple(part.output_names[i] for i in order),
                tuple(part.output_shapes[i] for i in order))


def _latent(shape: Shape) -> int | None:
    return shape[0] if len(shape) == 1 and shape[0] is not None else None


def _encoder_like(part: Part) -> bool:
    return len(part.output_shapes) == 2 and part.output_shapes[0] == part.output_shapes[1] \
        and _latent(part.output_shapes[0]) is not None


def _plan_vae(graph: Graph, parts: list[Part], roles: Mapping[str, str]) -> RecipePlan:
    named = _by_roles(parts, roles, "vae")
    if named is None:
        encoders = [p for p in parts if _encoder_like(p)]
        if len(encoders) != 1:
            raise RecipeError("cannot tell the VAE's encoder from its decoder: the encoder is the sub-graph with "
                              "two outputs of the same 1-D shape (z_mean and z_log_var), and "
                              f"{len(encoders)} sub-graphs look like that; name them in the training setting roles")
        encoder = encoders[0]
        named = {"encoder": _with_role(encoder, "encoder"),
                 "decoder": _with_role(next(p for p in parts if p is not encoder), "decoder")}
    encoder, decoder = named["encoder"], named["decoder"]
    if len(encoder.output_names) != 2:
        raise RecipeError(f"the VAE's encoder (from Input '{encoder.input_name}') must end in two layers, z_mean "
                          f"and z_log_var; it has {len(encoder.output_names)} output(s): "
                          f"{', '.join(encoder.output_names)}", encoder.output_names[0])
    log_var = [i for i, name in enumerate(encoder.output_names) if any(h in name.lower() for h in LOG_VAR_HINTS)]
    encoder = _ordered(encoder, (1, 0) if log_var == [0] else (0, 1))
    mean_shape, var_shape = encoder.output_shapes
    latent = _latent(mean_shape)
    if latent is None or mean_shape != var_shape:
        raise RecipeError(f"the VAE's encoder outputs '{encoder.output_names[0]}' {_fmt(mean_shape)} and "
                          f"'{encoder.output_names[1]}' {_fmt(var_shape)} must both give one vector of the latent "
                          "size, e.g. Dense(2)", encoder.output_names[1])
    if decoder.input_shape != (latent,):
        raise RecipeError(f"the decoder's Input '{decoder.input_name}' takes {_fmt(decoder.input_shape)} but the "
                          f"latent size is {latent} (the encoder's '{encoder.output_names[0]}'): set the Input's "
                          f"shape to ({latent},)", decoder.input_name)
    if len(decoder.output_names) != 1:
        raise RecipeError(f"the VAE's decoder (from Input '{decoder.input_name}') must have one output; it has "
                          f"{', '.join(decoder.output_names)}", decoder.output_names[0])
    if decoder.output_shapes[0] != encoder.input_shape:
        raise RecipeError(f"the decoder's output '{decoder.output_names[0]}' gives {_fmt(decoder.output_shapes[0])} "
                          f"but the encoder's Input '{encoder.input_name}' takes {_fmt(encoder.input_shape)}: the "
                          "decoder must rebuild the same shape", decoder.output_names[0])
    return RecipePlan("vae", {"encoder": encoder, "decoder": decoder}, latent_dim=latent)


def _gan_fits(generator: Part, discriminator: Part) -> bool:
    return _latent(generator.input_shape) is not None and len(generator.output_shapes) == 1 \
        and generator.output_shapes[0] == discriminator.input_shape and discriminator.output_shapes == ((1,),)


def _gan_likeness(generator: Part, discriminator: Part) -> int:
    """How many of the GAN's shape rules an assignment keeps (to name the right node when one breaks)."""
    return sum((_latent(generator.input_shape) is not None, discriminator.output_shapes == ((1,),),
                generator.output_shapes[:1] == (discriminator.input_shape,), generator.output_shapes != ((1,),)))


def _plan_gan(graph: Graph, parts: list[Part], roles: Mapping[str, str]) -> RecipePlan:
    named = _by_roles(parts, roles, "gan")
    if named is None:
        first, second = parts
        fits = [(g, d) for g, d in ((first, second), (second, first)) if _gan_fits(g, d)]
        if len(fits) == 2:
            raise RecipeError("both sub-graphs could be the GAN's generator: name them in the training setting roles")
        generator, discriminator = fits[0] if fits else max(((first, second), (second, first)),
                                                            key=lambda pair: _gan_likeness(*pair))
        named = {"generator": _with_role(generator, "generator"),
                 "discriminator": _with_role(discriminator, "discriminator")}
    generator, discriminator = named["generator"], named["discriminator"]
    latent = _latent(generator.input_shape)
    if latent is None:
        raise RecipeError(f"the generator's Input '{generator.input_name}' takes {_fmt(generator.input_shape)}; "
                          "it reads a noise vector, so give it one axis, e.g. (64,)", generator.input_name)
    if len(generator.output_names) != 1:
        raise RecipeError(f"the generator (from Input '{generator.input_name}') must have one output; it has "
                          f"{', '.join(generator.output_names)}", generator.output_names[0])
    if generator.output_shapes[0] != discriminator.input_shape:
        raise RecipeError(f"the discriminator's Input '{discriminator.input_name}' takes "
                          f"{_fmt(discriminator.input_shape)} but the generator's '{generator.output_names[0]}' "
                          f"gives {_fmt(generator.output_shapes[0])}: they must match",
                          discriminator.input_name)
    if discriminator.output_shapes != ((1,),):
        shown = ", ".join(f"'{n}' {_fmt(s)}" for n, s in zip(discriminator.output_names, discriminator.output_shapes,
                                                               strict=True))
        raise RecipeError(f"the discriminator must end in one unit (real or fake), e.g. Dense(1); it gives {shown}",
                          discriminator.output_names[0])
    last = graph.node(discriminator.output_ids[0])
    from_logits = last.config.get("activation") != "sigmoid"
    return RecipePlan("gan", {"generator": generator, "discriminator": discriminator}, latent_dim=latent,
                      from_logits=from_logits)


def _plan_autoencoder(graph: Graph, analysis: Analysis) -> RecipePlan:
    everything = frozenset(n.id for n in graph.nodes())
    part = _part(graph, analysis, "autoencoder", everything)
    if len(part.output_names) != 1:
        raise RecipeError(f"an autoencoder has one output, the rebuilt input; this graph has "
                          f"{', '.join(part.output_names)}", part.output_names[0])
    if part.output_shapes[0] != part.input_shape:
        raise RecipeError(f"the output '{part.output_names[0]}' gives {_fmt(part.output_shapes[0])} but the Input "
                          f"'{part.input_name}' takes {_fmt(part.input_shape)}: an autoencoder must rebuild its "
                          "input's shape", part.output_names[0])
    return RecipePlan("autoencoder", {"autoencoder": part})


def plan_recipe(graph: Graph, settings: Mapping[str, Any], analysis: Analysis | None = None) -> RecipePlan | None:
    """The recipe's parts and roles, or None for the supervised recipe.

    Raises :class:`RecipeError` (naming the node) when the graph does not fit. The graph must
    be free of errors first (its shapes are read from ``analysis``)."""
    s = with_defaults(settings)
    recipe = s["recipe"]
    if recipe == "supervised":
        return None
    analysis = analysis or analyze(graph)
    if recipe == "autoencoder":
        return _plan_autoencoder(graph, analysis)
    roles = s.get("roles") or {}
    parts = _parts(graph, analysis, recipe)
    return _plan_vae(graph, parts, roles) if recipe == "vae" else _plan_gan(graph, parts, roles)


def subgraph(graph: Graph, part: Part) -> Graph:
    """The part alone, with its outputs in the order the recipe reads them (compiled on its own)."""
    data = graph.to_dict()
    keep = part.node_ids
    return Graph.from_dict({
        "nodes": [n for n in data["nodes"] if n["id"] in keep],
        "edges": [e for e in data["edges"] if e["source"] in keep and e["target"] in keep],
        "outputs": list(part.output_ids),
    })


__all__ = ["Part", "RecipeError", "RecipePlan", "components", "plan_recipe", "subgraph"]
