"""Time-series models from keras.io/examples/timeseries."""

from __future__ import annotations

from typing import Any


def timeseries_conv1d() -> Any:
    """keras.io/examples/timeseries/timeseries_classification_from_scratch ("Timeseries
    classification from scratch"): three Conv1D/BatchNormalization/ReLU blocks, global
    average pooling, softmax (series of 500 steps)."""
    import keras
    from keras import layers

    input_layer = keras.layers.Input((500, 1))
    x = input_layer
    for _ in range(3):
        x = layers.Conv1D(filters=64, kernel_size=3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling1D()(x)
    output_layer = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=input_layer, outputs=output_layer, name="timeseries_conv1d")


def timeseries_transformer() -> Any:
    """keras.io/examples/timeseries/timeseries_classification_transformer ("Timeseries
    classification with a Transformer model"): pre-norm encoder blocks whose residuals are
    written ``x + inputs`` (Keras operations), Conv1D feed-forward, channels-first pooling."""
    import keras
    from keras import layers

    def encoder(inputs: Any, head_size: int, num_heads: int, ff_dim: int, dropout: float) -> Any:
        x = layers.LayerNormalization(epsilon=1e-6)(inputs)
        x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(x, x)
        x = layers.Dropout(dropout)(x)
        res = x + inputs
        x = layers.LayerNormalization(epsilon=1e-6)(res)
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
        return x + res

    inputs = keras.Input(shape=(100, 1))
    x = inputs
    for _ in range(2):
        x = encoder(x, head_size=64, num_heads=2, ff_dim=4, dropout=0.25)
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="timeseries_transformer")


MODELS = {
    "timeseries_conv1d": timeseries_conv1d,
    "timeseries_transformer": timeseries_transformer,
}
