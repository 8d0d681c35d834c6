"""Generative models from keras.io/examples/generative."""

from __future__ import annotations

from typing import Any


def dcgan_discriminator() -> Any:
    """keras.io/examples/generative/dcgan_overriding_train_step ("DCGAN to generate face
    images"): the Sequential discriminator, strided Conv2D + LeakyReLU (images 64x64)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(64, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")


def dcgan_generator() -> Any:
    """keras.io/examples/generative/dcgan_overriding_train_step: the Sequential generator,
    Dense + Reshape, three Conv2DTranspose upsamplings, a sigmoid Conv2D."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(128,)),
        layers.Dense(8 * 8 * 128),
        layers.Reshape((8, 8, 128)),
        layers.Conv2DTranspose(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(256, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(512, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid"),
    ], name="generator")


def vae_encoder() -> Any:
    """keras.io/examples/generative/vae ("Variational AutoEncoder"): the convolutional encoder
    up to z_mean and z_log_var. The source's custom Sampling layer is left out (custom layers
    are out of scope); the two outputs are what it would read."""
    import keras
    from keras import layers

    latent_dim = 2
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(encoder_inputs, [z_mean, z_log_var], name="encoder")


def vae_encoder_sampling() -> Any:
    """keras.io/examples/generative/vae, the encoder as published: z is drawn by the example's
    own Sampling layer (a Layer subclass) from z_mean and z_log_var. Expected to be refused:
    a custom class is code that Layerforge does not run."""
    import keras
    from keras import layers

    class Sampling(layers.Layer):
        """z = z_mean + exp(z_log_var / 2) * epsilon, epsilon drawn from N(0, 1)."""

        def call(self, inputs: Any) -> Any:
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(shape=keras.ops.shape(z_mean))
            return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon

    encoder = vae_encoder()
    z_mean, z_log_var = encoder.outputs
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(encoder.inputs, [z_mean, z_log_var, z], name="encoder_sampling")


def vae_decoder() -> Any:
    """keras.io/examples/generative/vae: the decoder, Dense + Reshape then Conv2DTranspose."""
    import keras
    from keras import layers

    latent_inputs = keras.Input(shape=(2,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


MODELS = {
    "dcgan_discriminator": dcgan_discriminator,
    "dcgan_generator": dcgan_generator,
    "vae_encoder": vae_encoder,
    "vae_encoder_sampling": vae_encoder_sampling,
    "vae_decoder": vae_decoder,
}
