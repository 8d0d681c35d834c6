"""Audio models from keras.io/examples/audio."""

from __future__ import annotations

from typing import Any


def speaker_recognition() -> Any:
    """keras.io/examples/audio/speaker_recognition_using_cnn ("Speaker Recognition"): 1D
    residual blocks (a 1x1 Conv1D shortcut added to a Conv1D stack, ReLU, MaxPool1D), then
    AveragePooling1D, Flatten and Dense layers (1024 samples instead of 8000)."""
    import keras
    from keras import layers

    def residual_block(x: Any, filters: int, conv_num: int = 3) -> Any:
        s = layers.Conv1D(filters, 1, padding="same")(x)
        for _ in range(conv_num - 1):
            x = layers.Conv1D(filters, 3, padding="same")(x)
            x = layers.Activation("relu")(x)
        x = layers.Conv1D(filters, 3, padding="same")(x)
        x = layers.Add()([x, s])
        x = layers.Activation("relu")(x)
        return layers.MaxPool1D(pool_size=2, strides=2)(x)

    inputs = keras.layers.Input(shape=(1024, 1), name="input")
    x = residual_block(inputs, 16, 2)
    x = residual_block(x, 32, 2)
    x = residual_block(x, 64, 3)
    x = residual_block(x, 128, 3)
    x = residual_block(x, 128, 3)
    x = layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(5, activation="softmax", name="output")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="speaker_recognition")


MODELS = {"speaker_recognition": speaker_recognition}
