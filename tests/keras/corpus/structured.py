"""Structured-data models from keras.io/examples/structured_data."""

from __future__ import annotations

from typing import Any


def structured_preprocessing() -> Any:
    """keras.io/examples/structured_data/structured_data_classification_from_scratch (the
    heart-disease classifier, before FeatureSpace): integer, string and numeric inputs
    encoded by IntegerLookup, StringLookup and Normalization inside the model, concatenated,
    then Dense 32 / Dropout / sigmoid. Vocabularies and statistics are given, not adapted."""
    import keras
    from keras import layers

    sex = keras.Input(shape=(1,), name="sex", dtype="int64")
    thal = keras.Input(shape=(1,), name="thal", dtype="string")
    age = keras.Input(shape=(1,), name="age")
    encoded = [
        layers.IntegerLookup(vocabulary=[0, 1], output_mode="one_hot")(sex),
        layers.StringLookup(vocabulary=["fixed", "normal", "reversible"], output_mode="one_hot")(thal),
        layers.Normalization(mean=54.4, variance=81.6)(age),
    ]
    x = layers.concatenate(encoded)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([sex, thal, age], output, name="structured")


def wide_and_deep() -> Any:
    """keras.io/examples/structured_data/wide_deep_cross_networks ("Structured data learning
    with Wide, Deep, and Cross networks"): a wide part of one-hot encoded features
    (CategoryEncoding) and a deep part of embeddings through Dense/BatchNormalization/ReLU/
    Dropout, concatenated before the softmax (two categorical and two numeric features)."""
    import keras
    from keras import layers

    soil = keras.Input(shape=(1,), name="soil_type", dtype="int32")
    area = keras.Input(shape=(1,), name="wilderness_area", dtype="int32")
    numeric = keras.Input(shape=(2,), name="numeric")
    wide = layers.concatenate([
        layers.CategoryEncoding(num_tokens=40, output_mode="one_hot")(soil),
        layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(area),
        numeric,
    ])
    wide = layers.BatchNormalization()(wide)
    deep = layers.concatenate([
        layers.Flatten()(layers.Embedding(40, 8)(soil)),
        layers.Flatten()(layers.Embedding(4, 2)(area)),
        numeric,
    ])
    for units in (32, 32):
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(0.1)(deep)
    merged = layers.concatenate([wide, deep])
    outputs = layers.Dense(units=7, activation="softmax")(merged)
    return keras.Model(inputs=[soil, area, numeric], outputs=outputs, name="wide_and_deep")


MODELS = {
    "structured_preprocessing": structured_preprocessing,
    "wide_and_deep": wide_and_deep,
}
