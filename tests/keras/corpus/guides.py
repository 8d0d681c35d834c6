"""Models from the Keras developer guides (keras.io/guides)."""

from __future__ import annotations

from typing import Any


def sequential_guide() -> Any:
    """keras.io/guides/sequential_model ("The Sequential model"): three named Dense layers."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ], name="my_sequential")


def functional_mnist_mlp() -> Any:
    """keras.io/guides/functional_api ("The Functional API"): the first 784 -> 64 -> 64 -> 10 MLP."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def functional_autoencoder() -> Any:
    """keras.io/guides/functional_api ("All models are callable, just like layers"): an
    encoder and a decoder model, each called as a layer inside the autoencoder."""
    import keras
    from keras import layers

    encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    decoder = keras.Model(decoder_input, decoder_output, name="decoder")

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    return keras.Model(autoencoder_input, decoded_img, name="autoencoder")


def functional_ticket_model() -> Any:
    """keras.io/guides/functional_api ("Models with multiple inputs and outputs"): the
    ticket classifier with title, body and tags inputs and priority/department outputs."""
    import keras
    from keras import layers

    num_tags, num_words, num_departments = 12, 10000, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input],
                       outputs={"priority": priority_pred, "department": department_pred})


def functional_toy_resnet() -> Any:
    """keras.io/guides/functional_api ("A toy ResNet model" for CIFAR10): two residual adds."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def functional_shared_embedding() -> Any:
    """keras.io/guides/functional_api ("Shared layers"): one Embedding encodes two text
    inputs. The guide stops at the two encodings; here they are the model's two outputs."""
    import keras
    from keras import layers

    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    return keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b], name="shared_embedding")


def masking_lstm() -> Any:
    """keras.io/guides/understanding_masking_and_padding: Embedding(mask_zero=True) feeds an
    LSTM that skips the padded steps."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)
    return keras.Model(inputs, outputs, name="masking")


def transfer_learning_nested() -> Any:
    """keras.io/guides/transfer_learning ("An end-to-end example: fine-tuning an image
    classification model"): a frozen Xception base called with training=False under a new
    head, after augmentation and a Rescaling(1/127.5, offset=-1) step (inputs 75x75, the least
    Xception takes)."""
    import keras
    from keras import layers

    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)],
                                    name="augmentation")
    base_model = keras.applications.Xception(weights=None, input_shape=(75, 75, 3), include_top=False)
    base_model.trainable = False
    inputs = keras.Input(shape=(75, 75, 3))
    x = augmentation(inputs)
    x = layers.Rescaling(scale=1 / 127.5, offset=-1)(x)
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name="transfer_learning")


def ops_preprocessing() -> Any:
    """keras.io/guides/transfer_learning's input scaling written with Keras operations
    (``x / 127.5 - 1``, as MobileNet's preprocess_input computes it) before a small convnet."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(32, 32, 3))
    x = inputs / 127.5 - 1.0
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="ops_preprocessing")


MODELS = {
    "sequential_guide": sequential_guide,
    "functional_mnist_mlp": functional_mnist_mlp,
    "functional_autoencoder": functional_autoencoder,
    "functional_ticket_model": functional_ticket_model,
    "functional_toy_resnet": functional_toy_resnet,
    "functional_shared_embedding": functional_shared_embedding,
    "masking_lstm": masking_lstm,
    "transfer_learning_nested": transfer_learning_nested,
    "ops_preprocessing": ops_preprocessing,
}
