"""The Python export of a training recipe: the parts as functional models and the recipe as a
readable ``keras.Model`` subclass with its own ``train_step``, as in the keras.io VAE and DCGAN examples.

:mod:`app.core.codegen` writes the layers; for a project whose ``recipe`` is not supervised it
calls :func:`recipe_source`, which writes one ``keras.Model`` per part (the sub-graphs that
:mod:`app.core.recipes` found) and the class that trains them together. The classes here do
what :mod:`app.keras_bridge.recipes` does in the app (same losses, same updates), written out
for a student to read; a round-trip test runs the exported script. TensorFlow backend.
Pure string work, like codegen: user text appears only in ``repr()`` literals.
"""

from __future__ import annotations

from typing import Any

from app.core.recipes import RecipeError, plan_recipe
from app.core.training_settings import with_defaults

_I = "    "

_AUTOENCODER = '''

class {cls}(keras.Model):
    """Rebuild the clean input from a corrupted copy: the target is always the input itself.

    denoise is "none", "gaussian" (add noise with standard deviation `strength`) or
    "masking" (set a share `strength` of the values to zero), applied to the input only.
    """

    def __init__(self, net, denoise="none", strength=0.0, loss="mse", **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.denoise = denoise
        self.strength = strength
        self.loss_fn = keras.losses.get(loss)
        self.seed_generator = keras.random.SeedGenerator(0)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x, training=False):
        return self.net(x, training=training)

    def corrupt(self, x):
        if self.denoise == "gaussian":
            return x + self.strength * keras.random.normal(keras.ops.shape(x), seed=self.seed_generator)
        if self.denoise == "masking":
            keep = keras.random.uniform(keras.ops.shape(x), seed=self.seed_generator) >= self.strength
            return x * keras.ops.cast(keep, x.dtype)
        return x

    def reconstruction_loss(self, x, rebuilt):
        # one loss value per pixel (Keras' losses average the last axis), then the mean
        return keras.ops.mean(self.loss_fn(keras.ops.expand_dims(x, -1), keras.ops.expand_dims(rebuilt, -1)))

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            rebuilt = self.net(self.corrupt(x), training=True)
            loss = self.reconstruction_loss(x, rebuilt)
        grads = tape.gradient(loss, self.net.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.net.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {{"loss": self.loss_tracker.result()}}

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        self.loss_tracker.update_state(self.reconstruction_loss(x, self.net(x, training=False)))
        return {{"loss": self.loss_tracker.result()}}
'''

_VAE = '''

class {cls}(keras.Model):
    """A variational autoencoder: the encoder gives z_mean and z_log_var, a z is sampled with the
    reparameterization trick (so gradients reach both), and the decoder rebuilds the input.

    loss = reconstruction (summed over the values of a sample) + beta * KL divergence from N(0, 1)
    """

    def __init__(self, encoder, decoder, beta=1.0, loss="binary_crossentropy", **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.loss_fn = keras.losses.get(loss)
        self.seed_generator = keras.random.SeedGenerator(0)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, x, training=False):
        z_mean, _ = self.encoder(x, training=training)
        return self.decoder(z_mean, training=training)

    def sample(self, z_mean, z_log_var):
        noise = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * noise

    def losses_for(self, x, training):
        z_mean, z_log_var = self.encoder(x, training=training)
        rebuilt = self.decoder(self.sample(z_mean, z_log_var), training=training)
        per_value = self.loss_fn(keras.ops.expand_dims(x, -1), keras.ops.expand_dims(rebuilt, -1))
        per_sample = keras.ops.sum(keras.ops.reshape(per_value, (keras.ops.shape(x)[0], -1)), axis=1)
        reconstruction = keras.ops.mean(per_sample)
        kl = -0.5 * (1.0 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var))
        kl = keras.ops.mean(keras.ops.sum(kl, axis=1))
        return reconstruction + self.beta * kl, reconstruction, kl

    def report(self, total, reconstruction, kl):
        self.loss_tracker.update_state(total)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {{m.name: m.result() for m in self.metrics}}

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        weights = self.encoder.trainable_weights + self.decoder.trainable_weights
        with tf.GradientTape() as tape:
            total, reconstruction, kl = self.losses_for(x, training=True)
        grads = tape.gradient(total, weights)
        self.optimizer.apply_gradients(zip(grads, weights))
        return self.report(total, reconstruction, kl)

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        return self.report(*self.losses_for(x, training=False))
'''

_GAN = '''

class {cls}(keras.Model):
    """A GAN: each batch, the discriminator learns to call real samples real (1) and generated
    ones fake (0); then the generator learns to make the discriminator call its samples real.

    label_smoothing makes "real" 1 - label_smoothing for the discriminator only.
    """

    def __init__(self, generator, discriminator, latent_dim, label_smoothing=0.0, from_logits=False, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.real_label = 1.0 - label_smoothing
        self.bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
        self.seed_generator = keras.random.SeedGenerator(0)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(optimizer=d_optimizer, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def discriminator_loss(self, real, training):
        fake = self.generator(self.noise(keras.ops.shape(real)[0]), training=False)
        real_score = self.discriminator(real, training=training)
        fake_score = self.discriminator(fake, training=training)
        return (self.bce(keras.ops.full_like(real_score, self.real_label), real_score)
                + self.bce(keras.ops.zeros_like(fake_score), fake_score))

    def generator_loss(self, batch, training):
        score = self.discriminator(self.generator(self.noise(batch), training=training), training=False)
        return self.bce(keras.ops.ones_like(score), score)

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:  # 1. the discriminator
            d_loss = self.discriminator_loss(real, training=True)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        with tf.GradientTape() as tape:  # 2. the generator, judged by the discriminator
            g_loss = self.generator_loss(keras.ops.shape(real)[0], training=True)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {{"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}}

    def test_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        self.d_loss_tracker.update_state(self.discriminator_loss(real, training=False))
        self.g_loss_tracker.update_state(self.generator_loss(keras.ops.shape(real)[0], training=False))
        return {{"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}}
'''

_CLASSES = {"autoencoder": ("DenoisingAutoencoder", _AUTOENCODER), "vae": ("VAE", _VAE), "gan": ("GAN", _GAN)}


def recipe_class_source(recipe: str) -> tuple[str, str]:
    """(class name, source) of a recipe's ``keras.Model`` subclass, as the export writes it; the
    source needs ``keras`` and ``tensorflow as tf`` imported (a job folder's ``recipe.py`` uses it)."""
    cls, template = _CLASSES[recipe]
    return cls, template.format(cls=cls).strip() + "\n"


def _optimizer(settings: dict[str, Any]) -> str:
    """The ``keras.optimizers`` call for the project's optimizer settings."""
    from app.core.codegen import OPTIMIZERS, _number, _Where

    def at(key: str) -> _Where:
        return _Where(None, f"training setting {key}")

    name = settings["optimizer"]
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise at("optimizer").fail(f"{name!r} is not an optimizer Layerforge can export")
    name = name.lower()
    arguments = [f"learning_rate={_number(settings['learning_rate'], at('learning_rate'))}"]
    if name == "sgd":
        arguments.append(f"momentum={_number(settings['momentum'], at('momentum'))}")
        if settings["nesterov"] is True:
            arguments.append("nesterov=True")
    if name == "adamw":
        arguments.append(f"weight_decay={_number(settings['weight_decay'], at('weight_decay'))}")
    if settings["clipnorm"]:
        arguments.append(f"clipnorm={_number(settings['clipnorm'], at('clipnorm'))}")
    return f"keras.optimizers.{OPTIMIZERS[name]}({', '.join(arguments)})"


def recipe_source(writer: Any) -> tuple[list[str], list[str]] | None:
    """The lines after the layers for a recipe project, and those of its ``__main__`` block; None
    for a supervised project (codegen then writes ``model = keras.Model(...)`` as always).

    ``writer`` is codegen's writer after it wrote every layer (its tensors, namer and imports)."""
    from app.core.codegen import CodegenError, _number, _Where, identifier, keras_model_name, literal

    project = writer.project
    settings = with_defaults(project.training)
    if settings.get("recipe", "supervised") == "supervised":
        return None
    try:
        plan = plan_recipe(writer.graph, settings, writer.analysis)
    except RecipeError as err:
        raise CodegenError(str(err), err.node or None) from None
    if plan is None:
        return None
    if writer.namer.take("tf") != "tf":
        taken = next((n.name for n in writer.graph.nodes() if identifier(n.name) == "tf"), "tf")
        raise CodegenError("the recipe's training step needs the name tf for TensorFlow: rename this layer", taken)
    writer.imports.add("import tensorflow as tf")

    def at(key: str) -> _Where:
        return _Where(None, f"training setting {key}")

    def outputs(names: list[str]) -> str:
        return names[0] if len(names) == 1 else f"[{', '.join(names)}]"

    model_name = keras_model_name(str(project.name))
    lines: list[str] = ["", "# The recipe's parts: each a model of its own sub-graph."]
    parts: dict[str, str] = {}
    for role, part in plan.parts.items():
        var = writer.namer.take(role if role != "autoencoder" else "net")
        parts[role] = var
        outs = [writer._output(node_id, 0) for node_id in part.output_ids]
        lines.append(f"{var} = keras.Model(inputs={writer.tensors[part.input_id]}, outputs={outputs(outs)}, "
                     f"name={literal(f'{model_name}_{role}' if role != 'autoencoder' else model_name, at('name'))})")
    if getattr(project, "weights", None):
        whole = writer.namer.take("all_parts")
        # the order the exported weights file was written in: the whole graph's inputs and outputs
        ins = [writer.tensors[node.id] for node in writer.graph.input_nodes()]
        outs = [writer._output(node.id, port) for node, port in writer.graph.output_refs()]
        lines += [
            "",
            "# The weights Layerforge exported beside this script, loaded when the file is there (into one",
            "# model of every part: its layers are the parts' layers).",
            f"WEIGHTS_SOURCE = {literal(project.weights.describe(), _Where(None, 'weights'))}",
            'WEIGHTS_FILE = Path(__file__).with_name(Path(__file__).stem + ".weights.h5")',
            f"{whole} = keras.Model(inputs={outputs(ins)}, outputs={outputs(outs)})",
            "if WEIGHTS_FILE.is_file():",
            f"{_I}{whole}.load_weights(str(WEIGHTS_FILE))",
        ]
    cls, template = _CLASSES[plan.recipe]  # CamelCase: generated variables are lower case, so never the same
    lines.append(template.format(cls=cls).rstrip())
    name = literal(model_name, at("name"))
    loss = literal(settings["loss"], at("loss"))
    optimizer = _optimizer(settings)
    if plan.recipe == "autoencoder":
        strength = _number(settings["denoise_strength"], at("denoise_strength"))
        denoise = literal(settings["denoise"], at("denoise"))
        lines += ["", "", f"model = {cls}({parts['autoencoder']}, denoise={denoise}, strength={strength}, "
                          f"loss={loss}, name={name})",
                  f"model.compile(optimizer={optimizer})"]
        main = [f"{_I}{parts['autoencoder']}.summary()"]
    elif plan.recipe == "vae":
        beta = _number(settings["beta"], at("beta"))
        lines += ["", "", f"model = {cls}({parts['encoder']}, {parts['decoder']}, beta={beta}, loss={loss}, "
                          f"name={name})",
                  f"model.compile(optimizer={optimizer})"]
        main = [f"{_I}{parts['encoder']}.summary()", f"{_I}{parts['decoder']}.summary()"]
    else:
        smoothing = _number(settings["label_smoothing"], at("label_smoothing"))
        lines += ["", "", f"model = {cls}({parts['generator']}, {parts['discriminator']}, "
                          f"latent_dim={plan.latent_dim}, label_smoothing={smoothing}, "
                          f"from_logits={plan.from_logits}, name={name})",
                  f"model.compile(d_optimizer={optimizer}, g_optimizer={optimizer})"]
        main = [f"{_I}{parts['generator']}.summary()", f"{_I}{parts['discriminator']}.summary()"]
    fit = [f"batch_size={_number(settings['batch_size'], at('batch_size'), whole=True)}",
           f"epochs={_number(settings['epochs'], at('epochs'), whole=True)}"]
    lines += ["", "# Train it on your own data; no labels are needed, for example:",
              f"# model.fit(x_train, {', '.join(fit + writer.fit_callbacks())})"]
    return lines, main


__all__ = ["recipe_class_source", "recipe_source"]
