"""The training recipes as ``keras.Model`` subclasses with their own ``train_step``.

Like the keras.io VAE and DCGAN examples, each recipe holds its parts (functional models
compiled from the project's sub-graphs, see :mod:`app.core.recipes`) and does in its
training step what a graph cannot: corrupt the input (denoising), sample with the
reparameterization trick and add the KL term (VAE), or alternate the discriminator's and
the generator's updates (GAN). The graph keeps only ordinary layers, so each part saves,
exports and loads as a plain Keras model. TensorFlow backend (``tf.GradientTape``).

Also here: the recipe's data (the dataset fitted to the part its Input reads, labels kept
for the latent-space picture) and the pictures the live views draw at each epoch's end.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.core.graph import Graph
from app.core.recipes import RecipePlan, subgraph
from app.data import Dataset, Prepared, prepare
from app.data.split import Splits

PART_SUFFIXES = {"autoencoder": ("",), "vae": ("_encoder", "_decoder"), "gan": ("_generator", "_discriminator")}
"""What ``--out OUT.keras`` appends to OUT for each part, in role order."""


@dataclass
class RecipeData:
    """The arrays a recipe trains on, and the labels kept beside them (None for unlabelled sets)."""

    prepared: Prepared
    labels: dict[str, np.ndarray | None]
    """Per split ("train", "validation", "test"): the dataset's class ids, for colouring a latent plot."""


def prepare_recipe_data(ds: Dataset, splits: Splits, graph: Graph, plan: RecipePlan, settings: Mapping[str, Any],
                        ref: Mapping[str, Any] | None) -> RecipeData:
    """The dataset fitted to the Input of the part that reads data (encoder, discriminator, ...).

    Reuses :func:`app.data.prepare` on a stand-in graph (that Input and an Identity), with the
    input as its own target, so a recipe reshapes, adds channel axes and reports mismatches
    exactly as supervised training does. Raises :class:`DataMismatch`."""
    part = plan.parts[plan.data_role]
    node = graph.node(part.input_id)
    probe = Graph()
    probe.add_node("InputLayer", node.name, node.config, node_id=node.id)
    probe.add_node("Identity", "recipe_target", {}, node_id="recipe_target")
    probe.connect(node.id, "recipe_target")
    unlabelled = replace(ds, y=ds.x, task="regression", class_names=None)
    prepared = prepare(unlabelled, splits, probe, {**settings, "loss": "mse", "class_weight": "none"},
                       {**(ref or {}), "target": "input"})
    classified = ds.task == "classification"

    def labels(name: str) -> np.ndarray | None:
        split = getattr(splits, name)
        return np.asarray(split.y) if classified and split is not None else None

    prepared.class_names = list(ds.class_names) if classified and ds.class_names else None
    prepared.task = plan.recipe
    return RecipeData(prepared, {name: labels(name) for name in ("train", "validation", "test")})


def compile_parts(graph: Graph, plan: RecipePlan, name: str, compile_graph: Callable[..., Any]) -> dict[str, Any]:
    """Each part as its own functional model, named ``<model>_<role>`` (an autoencoder: ``<model>``)."""
    return {role: compile_graph(subgraph(graph, part), name if role == "autoencoder" else f"{name}_{role}")
            for role, part in plan.parts.items()}


def _first(data: Any) -> Any:
    """The inputs of a batch, whether Keras hands over ``x`` or ``(x, y)``."""
    return data[0] if isinstance(data, (tuple, list)) else data


@functools.cache
def recipe_classes() -> dict[str, type]:
    """The recipe models, defined on first use (Keras is imported only here)."""
    import keras
    import tensorflow as tf
    from keras import ops

    def per_value(loss_name: str) -> Callable[[Any, Any], Any]:
        """A loss computed for every value (Keras' losses average the last axis away)."""
        loss = keras.losses.get(loss_name)
        return lambda target, predicted: loss(ops.expand_dims(target, -1), ops.expand_dims(predicted, -1))

    def sum_per_sample(values: Any) -> Any:
        return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)

    class DenoisingAutoencoder(keras.Model):
        """Rebuild the clean input from a corrupted copy (Gaussian noise or masking), or from itself."""

        def __init__(self, net: Any, loss: str = "mse", denoise: str = "none", strength: float = 0.0,
                     seed: int = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.net = net
            self.loss_fn = per_value(loss)
            self.denoise = denoise
            self.strength = float(strength)
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.loss_tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self) -> list[Any]:
            return [self.loss_tracker]

        def call(self, x: Any, training: bool = False) -> Any:
            return self.net(x, training=training)

        def corrupt(self, x: Any) -> Any:
            if self.denoise == "gaussian":
                return x + self.strength * keras.random.normal(ops.shape(x), seed=self.seed_generator)
            if self.denoise == "masking":
                keep = keras.random.uniform(ops.shape(x), seed=self.seed_generator) >= self.strength
                return x * ops.cast(keep, x.dtype)
            return x

        def train_step(self, data: Any) -> dict[str, Any]:
            x = _first(data)
            with tf.GradientTape() as tape:
                rebuilt = self.net(self.corrupt(x), training=True)
                loss = ops.mean(self.loss_fn(x, rebuilt))
            grads = tape.gradient(loss, self.net.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.net.trainable_weights, strict=True))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

        def test_step(self, data: Any) -> dict[str, Any]:
            x = _first(data)
            self.loss_tracker.update_state(ops.mean(self.loss_fn(x, self.net(x, training=False))))
            return {"loss": self.loss_tracker.result()}

    class VAE(keras.Model):
        """Encoder -> (z_mean, z_log_var) -> sampled z -> decoder; loss = reconstruction + beta * KL."""

        def __init__(self, encoder: Any, decoder: Any, beta: float = 1.0, loss: str = "binary_crossentropy",
                     seed: int = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.beta = float(beta)
            self.loss_fn = per_value(loss)
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self) -> list[Any]:
            return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

        def call(self, x: Any, training: bool = False) -> Any:
            z_mean, _ = self.encoder(x, training=training)
            return self.decoder(z_mean, training=training)

        def sample(self, z_mean: Any, z_log_var: Any) -> Any:
            """The reparameterization trick: z = mean + sigma * noise, so gradients reach mean and sigma."""
            noise = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * noise

        def losses_for(self, x: Any, training: bool) -> tuple[Any, Any, Any]:
            z_mean, z_log_var = self.encoder(x, training=training)
            rebuilt = self.decoder(self.sample(z_mean, z_log_var), training=training)
            reconstruction = ops.mean(sum_per_sample(self.loss_fn(x, rebuilt)))
            kl = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl = ops.mean(ops.sum(kl, axis=1))
            return reconstruction + self.beta * kl, reconstruction, kl

        def _report(self, total: Any, reconstruction: Any, kl: Any) -> dict[str, Any]:
            self.loss_tracker.update_state(total)
            self.reconstruction_tracker.update_state(reconstruction)
            self.kl_tracker.update_state(kl)
            return {m.name: m.result() for m in self.metrics}

        def train_step(self, data: Any) -> dict[str, Any]:
            x = _first(data)
            weights = self.encoder.trainable_weights + self.decoder.trainable_weights
            with tf.GradientTape() as tape:
                total, reconstruction, kl = self.losses_for(x, training=True)
            grads = tape.gradient(total, weights)
            self.optimizer.apply_gradients(zip(grads, weights, strict=True))
            return self._report(total, reconstruction, kl)

        def test_step(self, data: Any) -> dict[str, Any]:
            return self._report(*self.losses_for(_first(data), training=False))

    class GAN(keras.Model):
        """Alternate: the discriminator learns real (1) from generated (0), then the generator learns to be
        called real. ``label_smoothing`` makes "real" 1 - s for the discriminator only."""

        def __init__(self, generator: Any, discriminator: Any, latent_dim: int, label_smoothing: float = 0.0,
                     from_logits: bool = False, seed: int = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator
            self.latent_dim = int(latent_dim)
            self.real_label = 1.0 - float(label_smoothing)
            self.bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer: Any, g_optimizer: Any, **kwargs: Any) -> None:
            super().compile(optimizer=d_optimizer, **kwargs)
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer

        @property
        def metrics(self) -> list[Any]:
            return [self.d_loss_tracker, self.g_loss_tracker]

        def call(self, noise: Any, training: bool = False) -> Any:
            return self.generator(noise, training=training)

        def noise(self, batch: Any) -> Any:
            return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

        def discriminator_loss(self, real: Any, training: bool) -> Any:
            batch = ops.shape(real)[0]
            fake = self.generator(self.noise(batch), training=False)
            real_score = self.discriminator(real, training=training)
            fake_score = self.discriminator(fake, training=training)
            return (self.bce(ops.full_like(real_score, self.real_label), real_score)
                    + self.bce(ops.zeros_like(fake_score), fake_score))

        def generator_loss(self, batch: Any, training: bool) -> Any:
            score = self.discriminator(self.generator(self.noise(batch), training=training), training=False)
            return self.bce(ops.ones_like(score), score)

        def train_step(self, data: Any) -> dict[str, Any]:
            real = _first(data)
            with tf.GradientTape() as tape:
                d_loss = self.discriminator_loss(real, training=True)
            weights = self.discriminator.trainable_weights
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))
            with tf.GradientTape() as tape:
                g_loss = self.generator_loss(ops.shape(real)[0], training=True)
            weights = self.generator.trainable_weights
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

        def test_step(self, data: Any) -> dict[str, Any]:
            real = _first(data)
            self.d_loss_tracker.update_state(self.discriminator_loss(real, training=False))
            self.g_loss_tracker.update_state(self.generator_loss(ops.shape(real)[0], training=False))
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    return {"autoencoder": DenoisingAutoencoder, "vae": VAE, "gan": GAN}


def build_recipe_model(plan: RecipePlan, parts: Mapping[str, Any], settings: Mapping[str, Any],
                       optimizer: Callable[[], Any], name: str) -> Any:
    """The recipe model over its compiled parts, compiled with fresh optimizers from ``optimizer()``."""
    classes = recipe_classes()
    seed = int(settings["seed"])
    if plan.recipe == "autoencoder":
        model = classes["autoencoder"](parts["autoencoder"], loss=settings["loss"], denoise=settings["denoise"],
                                       strength=float(settings["denoise_strength"]), seed=seed, name=name)
        model.compile(optimizer=optimizer())
    elif plan.recipe == "vae":
        model = classes["vae"](parts["encoder"], parts["decoder"], beta=float(settings["beta"]),
                               loss=settings["loss"], seed=seed, name=name)
        model.compile(optimizer=optimizer())
    else:
        model = classes["gan"](parts["generator"], parts["discriminator"], plan.latent_dim,
                               label_smoothing=float(settings["label_smoothing"]), from_logits=plan.from_logits,
                               seed=seed, name=name)
        model.compile(d_optimizer=optimizer(), g_optimizer=optimizer())
    return model


_ATTRIBUTES = {"DenoisingAutoencoder": ("autoencoder", ("net",)), "VAE": ("vae", ("encoder", "decoder")),
               "GAN": ("gan", ("generator", "discriminator"))}


def recipe_of(model: Any) -> str | None:
    """The recipe a model trains with ("autoencoder", "vae", "gan"), or None for a plain model."""
    cls = type(model)
    known = recipe_classes().get(_ATTRIBUTES.get(cls.__name__, ("", ()))[0])
    return _ATTRIBUTES[cls.__name__][0] if known is cls else None


def recipe_parts(model: Any) -> dict[str, Any]:
    """A trained recipe model's parts by role (each a functional ``keras.Model``)."""
    recipe = recipe_of(model)
    if recipe is None:
        raise TypeError(f"{type(model).__name__} is not a training recipe")
    names = _ATTRIBUTES[type(model).__name__][1]
    return {("autoencoder" if n == "net" else n): getattr(model, n) for n in names}


def graph_model(model: Any, graph: Graph, name: str) -> Any:
    """A trained model as one functional model of the whole ``graph``, its layers named as the nodes.

    What reads weights node by node (keeping a run's weights in the project) needs that; a
    recipe's parts are copied, layer by layer, into the graph compiled whole (its sub-graphs
    become the model's separate inputs and outputs). A plain model is returned as it is."""
    recipe = recipe_of(model)
    if recipe is None:
        return model
    parts = recipe_parts(model)
    if recipe == "autoencoder":
        return parts["autoencoder"]
    from app.keras_bridge.compile import compile_graph

    whole = compile_graph(graph, name)
    trained = {layer.name: layer for part in parts.values() for layer in part.layers}
    for layer in whole.layers:
        if layer.weights and layer.name in trained:
            layer.set_weights(trained[layer.name].get_weights())
    return whole


def save_model_or_parts(model: Any, out: str) -> list[Path]:
    """Write a trained model to ``out``; a recipe writes each part (OUT_encoder.keras, ...), atomically.

    Raises :class:`app.keras_bridge.export.ExportError` naming the file that could not be written."""
    from app.keras_bridge.export import save_model_file

    recipe = recipe_of(model)
    if recipe is None:
        return [save_model_file(model, out)]
    parts = recipe_parts(model)
    return [save_model_file(parts[role], path) for role, path in part_paths(out, recipe)]


def part_paths(out: str, recipe: str) -> list[tuple[str, str]]:
    """(role, file) for ``--out OUT.keras``: OUT_encoder.keras, OUT_decoder.keras, ...; one file for an autoencoder."""
    stem = out[: -len(".keras")] if out.endswith(".keras") else out
    roles = {"autoencoder": ("autoencoder",), "vae": ("encoder", "decoder"), "gan": ("generator", "discriminator")}
    return [(role, f"{stem}{suffix}.keras") for role, suffix in zip(roles[recipe], PART_SUFFIXES[recipe], strict=True)]


# --- what the live views draw -------------------------------------------------------------------

VIEW_SAMPLES = 8
"""Autoencoder: inputs shown with their reconstructions."""
GAN_SAMPLES = 16
"""GAN: the fixed noise vectors whose samples the class watches sharpen."""
LATENT_POINTS = 1000
MANIFOLD_STEPS = 10
MANIFOLD_EXTENT = 2.5
"""VAE: the decoded grid spans -2.5..2.5 on both latent axes (most of N(0, 1))."""


@dataclass(frozen=True)
class RecipeView:
    """One epoch's pictures of a recipe run, computed in the training thread; the GUI only draws them.

    Images are grey, (n, height, width), values clipped to 0..1 (None when a sample is no image)."""

    recipe: str
    epoch: int
    """0: before the first batch."""
    rows: tuple[tuple[str, np.ndarray], ...] = ()
    """Autoencoder: ("input", ...), ("noisy input", ...), ("reconstruction", ...); GAN: ("samples", ...)."""
    latent: np.ndarray | None = None
    """VAE: z_mean of up to 1,000 samples, (n, 2) (the first two axes of a larger latent)."""
    labels: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    manifold: np.ndarray | None = None
    """VAE with a 2-D latent: (steps, steps, height, width) decoded across the plane, top row = high z[1]."""
    extent: float = MANIFOLD_EXTENT


def as_images(batch: np.ndarray) -> np.ndarray | None:
    """Samples as grey pictures: (n, h, w[, c]) or square (n, h*h); None for anything else."""
    array = np.asarray(batch, dtype=np.float32)
    if array.ndim == 4:
        array = array.mean(axis=3)
    elif array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            return None
        array = array.reshape(len(array), side, side)
    elif array.ndim != 3:
        return None
    return np.clip(array, 0.0, 1.0)


def _rows(named: list[tuple[str, Any]]) -> tuple[tuple[str, np.ndarray], ...]:
    pictures = [(name, as_images(np.asarray(batch))) for name, batch in named]
    return tuple((name, images) for name, images in pictures if images is not None)


def recipe_view_probe(plan: RecipePlan, data: RecipeData, seed: int = 0) -> Callable[[Any, Prepared], RecipeView]:
    """The function a :class:`~app.keras_bridge.training.Probe` runs after each epoch of a recipe run.

    It reads a fixed set of samples (validation, else training) and, for a GAN, a fixed noise
    batch, so the pictures change only because the weights did."""
    prepared = data.prepared
    source, split = (prepared.validation, "validation") if prepared.validation is not None else \
        (prepared.train, "train")
    x = next(iter(source[0].values()))
    labels = data.labels.get(split)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(x), size=min(LATENT_POINTS, len(x)), replace=False) if len(x) else np.arange(0)
    noise = rng.standard_normal((GAN_SAMPLES, max(1, plan.latent_dim))).astype(np.float32)
    names = tuple(prepared.class_names or ())
    calls = [0]

    def view(model: Any, _prepared: Prepared) -> RecipeView:
        epoch, calls[0] = calls[0], calls[0] + 1
        if plan.recipe == "autoencoder":
            shown = x[:VIEW_SAMPLES]
            noisy = np.asarray(model.corrupt(shown)) if model.denoise != "none" else None
            rebuilt = model.net(noisy if noisy is not None else shown, training=False)
            rows = [("input", shown), *([("noisy input", noisy)] if noisy is not None else []),
                    ("reconstruction", rebuilt)]
            return RecipeView("autoencoder", epoch, _rows(rows))
        if plan.recipe == "gan":
            return RecipeView("gan", epoch, _rows([("samples", model.generator(noise, training=False))]))
        z_mean = np.asarray(model.encoder(x[picked], training=False)[0])
        manifold = None
        if plan.latent_dim == 2:
            axis = np.linspace(-MANIFOLD_EXTENT, MANIFOLD_EXTENT, MANIFOLD_STEPS, dtype=np.float32)
            grid = np.array([[a, b] for b in axis[::-1] for a in axis], dtype=np.float32)
            images = as_images(np.asarray(model.decoder(grid, training=False)))
            if images is not None:
                manifold = images.reshape(MANIFOLD_STEPS, MANIFOLD_STEPS, *images.shape[1:])
        return RecipeView("vae", epoch, latent=z_mean[:, :2],
                          labels=labels[picked] if labels is not None else None, class_names=names,
                          manifold=manifold)

    return view


__all__ = [
    "PART_SUFFIXES",
    "RecipeData",
    "RecipeView",
    "as_images",
    "build_recipe_model",
    "compile_parts",
    "graph_model",
    "part_paths",
    "prepare_recipe_data",
    "recipe_classes",
    "recipe_of",
    "recipe_parts",
    "recipe_view_probe",
    "save_model_or_parts",
]
