"""Image models from keras.io/examples/vision."""

from __future__ import annotations

from typing import Any


def mnist_convnet() -> Any:
    """keras.io/examples/vision/mnist_convnet ("Simple MNIST convnet"): a Sequential convnet."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_convnet")


def xception_from_scratch() -> Any:
    """keras.io/examples/vision/image_classification_from_scratch ("Image classification from
    scratch"): augmentation, Rescaling, an Xception-like stack of SeparableConv2D blocks with
    1x1 strided residual projections (inputs 64x64)."""
    import keras
    from keras import layers

    augmentation = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]
    inputs = keras.Input(shape=(64, 64, 3))
    x = inputs
    for layer in augmentation:
        x = layer(x)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(1, activation=None)(x)
    return keras.Model(inputs, outputs, name="xception_from_scratch")


def unet_segmentation() -> Any:
    """keras.io/examples/vision/oxford_pets_image_segmentation ("Image segmentation with a
    U-Net-like architecture"): SeparableConv2D downsampling, Conv2DTranspose + UpSampling2D
    upsampling, residual adds (inputs 64x64, 3 classes)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(64, 64, 3))
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [64, 128, 256]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    for filters in [256, 128, 64, 32]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs, name="unet")


def convmixer() -> Any:
    """keras.io/examples/vision/convmixer ("Image classification with ConvMixer"): a patch
    stem, then depthwise-conv mixing with a residual add and pointwise mixing, GELU + BN."""
    import keras
    from keras import layers

    def activation_block(x: Any) -> Any:
        x = layers.Activation("gelu")(x)
        return layers.BatchNormalization()(x)

    filters, depth, kernel_size, patch_size = 64, 4, 5, 2
    inputs = keras.Input((32, 32, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    x = activation_block(x)
    for _ in range(depth):
        x0 = x
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
        x = layers.Add()([activation_block(x), x0])
        x = layers.Conv2D(filters, kernel_size=1)(x)
        x = activation_block(x)
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="convmixer")


def mlp_mixer() -> Any:
    """keras.io/examples/vision/mlp_image_classification ("Image classification with modern
    MLP models", MLP-Mixer). The source's custom Patches and MLPMixerLayer are written with
    plain layers: a strided Conv2D is the patch extraction plus its linear projection, and
    token mixing is a Dense on the transposed tokens (Permute)."""
    import keras
    from keras import layers

    image_size, patch_size, embedding_dim, blocks = 32, 8, 64, 2
    num_patches = (image_size // patch_size) ** 2
    inputs = keras.Input(shape=(image_size, image_size, 3))
    x = layers.Conv2D(embedding_dim, patch_size, strides=patch_size)(inputs)
    x = layers.Reshape((num_patches, embedding_dim))(x)
    for _ in range(blocks):
        y = layers.LayerNormalization(epsilon=1e-6)(x)
        y = layers.Permute((2, 1))(y)
        y = layers.Dense(num_patches, activation="gelu")(y)
        y = layers.Dense(num_patches)(y)
        y = layers.Permute((2, 1))(y)
        x = layers.Add()([x, y])
        y = layers.LayerNormalization(epsilon=1e-6)(x)
        y = layers.Dense(embedding_dim, activation="gelu")(y)
        y = layers.Dense(embedding_dim)(y)
        y = layers.Dropout(0.2)(y)
        x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="mlp_mixer")


def conv_lstm_next_frame() -> Any:
    """keras.io/examples/vision/conv_lstm ("Next-frame video prediction with Convolutional
    LSTMs"): three ConvLSTM2D layers with BatchNormalization, then a Conv3D (frames 16x16)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None, 16, 16, 1))
    x = layers.ConvLSTM2D(64, kernel_size=(5, 5), padding="same", return_sequences=True, activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(64, kernel_size=(3, 3), padding="same", return_sequences=True, activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(64, kernel_size=(1, 1), padding="same", return_sequences=True, activation="relu")(x)
    outputs = layers.Conv3D(1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="conv_lstm")


def cnn_3d_volumes() -> Any:
    """keras.io/examples/vision/3D_image_classification ("3D image classification from CT
    scans"): four Conv3D/MaxPool3D/BatchNormalization stages (volumes 64x64x48)."""
    import keras
    from keras import layers

    inputs = keras.Input((64, 64, 48, 1))
    x = inputs
    for filters in (64, 64, 128, 256):
        x = layers.Conv3D(filters=filters, kernel_size=3, activation="relu")(x)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="3dcnn")


def siamese_contrastive_lambda() -> Any:
    """keras.io/examples/vision/siamese_contrastive ("Image similarity estimation using a
    Siamese Network with a contrastive loss"), faithfully: one embedding model shared by two
    towers, the Euclidean distance in a Lambda layer. Expected to be refused (Lambda)."""
    import keras
    from keras import layers

    def euclidean_distance(vects: Any) -> Any:
        x, y = vects
        sum_square = keras.ops.sum(keras.ops.square(x - y), axis=1, keepdims=True)
        return keras.ops.sqrt(keras.ops.maximum(sum_square, keras.backend.epsilon()))

    tower_1, tower_2, input_1, input_2 = _siamese_towers()
    merge_layer = layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = layers.BatchNormalization()(merge_layer)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    return keras.Model(inputs=[input_1, input_2], outputs=output_layer, name="siamese_lambda")


def siamese_contrastive_ops() -> Any:
    """keras.io/examples/vision/siamese_contrastive with the Lambda's distance written as
    Keras operations on the two towers (the same computation, now plain data)."""
    import keras
    from keras import layers, ops

    tower_1, tower_2, input_1, input_2 = _siamese_towers()
    sum_square = ops.sum(ops.square(tower_1 - tower_2), axis=1, keepdims=True)
    distance = ops.sqrt(ops.maximum(sum_square, 1e-7))
    normal_layer = layers.BatchNormalization()(distance)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    return keras.Model(inputs=[input_1, input_2], outputs=output_layer, name="siamese_ops")


def _siamese_towers() -> tuple[Any, Any, Any, Any]:
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    x = layers.BatchNormalization()(inputs)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(inputs, x, name="embedding")
    input_1 = keras.Input((28, 28, 1))
    input_2 = keras.Input((28, 28, 1))
    return embedding_network(input_1), embedding_network(input_2), input_1, input_2


MODELS = {
    "mnist_convnet": mnist_convnet,
    "xception_from_scratch": xception_from_scratch,
    "unet_segmentation": unet_segmentation,
    "convmixer": convmixer,
    "mlp_mixer": mlp_mixer,
    "conv_lstm_next_frame": conv_lstm_next_frame,
    "cnn_3d_volumes": cnn_3d_volumes,
    "siamese_contrastive_lambda": siamese_contrastive_lambda,
    "siamese_contrastive_ops": siamese_contrastive_ops,
}
