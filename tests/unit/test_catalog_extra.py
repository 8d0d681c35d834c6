"""The layers added to complete keras.layers (issue 15, point 2): hand-computed shapes and
weight counts, and the refusals that keep configs data (no vocabulary files) and loadable
(RandomShear's number spelling). The Keras oracle in tests/keras checks the same rules at random."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import CATALOG, get_spec
from app.core.catalog.spec import ShapeError
from app.core.insight import supported_classes

NEW_LAYERS = (
    "Conv3D", "Conv1DTranspose", "Conv3DTranspose", "SeparableConv1D", "DepthwiseConv1D", "ZeroPadding1D",
    "ZeroPadding3D", "Cropping1D", "Cropping3D", "UpSampling1D", "UpSampling3D", "MaxPooling3D", "AveragePooling3D",
    "GlobalAveragePooling3D", "GlobalMaxPooling3D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "Masking", "Identity", "EinsumDense", "ReversibleEmbedding", "GroupNormalization", "RMSNormalization",
    "SpectralNormalization", "AlphaDropout", "SpatialDropout3D", "AdditiveAttention", "GroupQueryAttention",
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "RandomCrop", "RandomErasing", "RandomGrayscale", "RandomHue", "RandomSaturation", "RandomColorDegeneration",
    "RandomColorJitter", "RandomSharpness", "RandomPosterization", "RandomInvert", "RandomGaussianBlur",
    "RandomShear", "RandomPerspective", "RandomElasticTransform", "Solarization", "CutMix", "MixUp", "RandAugment",
    "AugMix", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes",
    "CategoryEncoding", "Hashing", "Discretization", "StringLookup", "IntegerLookup", "MelSpectrogram",
    "STFTSpectrogram", "HashedCrossing", "TextVectorization",
)


def rule(class_name: str, inputs: list[tuple[int | None, ...]], **overrides: Any) -> tuple[tuple, tuple[int, int]]:
    spec = get_spec(class_name)
    assert spec is not None
    cfg = {**spec.default_config(), **overrides}
    for param in spec.params:
        assert param.validate(cfg[param.name]) is None, param.name
    return tuple(spec.output(cfg, inputs)), spec.count(cfg, inputs)


@pytest.mark.parametrize("class_name", NEW_LAYERS)
def test_each_new_layer_is_in_the_catalog_with_text_and_a_cost_rule(class_name: str) -> None:
    spec = CATALOG[class_name]
    assert spec.doc.summary and spec.doc.shape and spec.doc.use and spec.doc.mistake
    assert class_name in supported_classes()


def test_conv3d_and_its_transpose() -> None:
    assert rule("Conv3D", [(None, 8, 10, 12, 3)], filters=4, kernel_size=[3, 3, 3]) == \
        ((None, 6, 8, 10, 4), (3 * 3 * 3 * 3 * 4 + 4, 0))
    assert rule("Conv3DTranspose", [(None, 4, 5, 6, 2)], filters=3, kernel_size=[2, 2, 2], strides=[2, 2, 2],
                padding="same") == ((None, 8, 10, 12, 3), (8 * 2 * 3 + 3, 0))
    assert rule("Conv1DTranspose", [(None, 7, 2)], filters=5, kernel_size=[3], strides=[2])[0] == (None, 15, 5)


def test_one_dimensional_separable_and_depthwise() -> None:
    assert rule("SeparableConv1D", [(None, 20, 4)], filters=8, kernel_size=[5]) == \
        ((None, 16, 8), (5 * 4 + 4 * 8 + 8, 0))
    assert rule("DepthwiseConv1D", [(None, 20, 4)], kernel_size=[3], depth_multiplier=2) == \
        ((None, 18, 8), (3 * 8 + 8, 0))


def test_padding_cropping_upsampling_in_1d_and_3d() -> None:
    assert rule("ZeroPadding1D", [(None, 5, 2)], padding=[1, 3])[0] == (None, 9, 2)
    assert rule("ZeroPadding3D", [(None, 2, 3, 4, 1)], padding=1)[0] == (None, 4, 5, 6, 1)
    assert rule("Cropping1D", [(None, 10, 2)])[0] == (None, 8, 2)  # Keras' default crops one each end
    assert rule("Cropping3D", [(None, 5, 6, 7, 1)], cropping=[[0, 1], 2, [1, 0]])[0] == (None, 4, 2, 6, 1)
    assert rule("UpSampling1D", [(None, 5, 3)], size=3)[0] == (None, 15, 3)
    assert rule("UpSampling3D", [(None, 1, 2, 3, 4)])[0] == (None, 2, 4, 6, 4)
    with pytest.raises(ShapeError, match="removes all"):
        rule("Cropping1D", [(None, 2, 3)])


def test_adaptive_pooling_gives_the_asked_size_whatever_the_input() -> None:
    assert rule("AdaptiveAveragePooling2D", [(None, None, None, 3)], output_size=[7, 7])[0] == (None, 7, 7, 3)
    assert rule("AdaptiveMaxPooling1D", [(None, 3, 8)], data_format="channels_first",
                output_size=[5])[0] == (None, 3, 5)


def test_einsum_dense_follows_keras_parser() -> None:
    out, count = rule("EinsumDense", [(None, 6, 16)], equation="abc,cde->abde", output_shape=[None, 4, 8],
                      bias_axes="de")
    assert out == (None, None, 4, 8)  # Keras keeps the None the user wrote
    assert count == (16 * 4 * 8 + 4 * 8, 0)
    # '...' on the left: Keras inserts the leading axes one by one at position 1 (reversed).
    assert rule("EinsumDense", [(None, 3, 4, 5)], equation="...b,bc->...c", output_shape=2)[0] == (None, 4, 3, 2)
    with pytest.raises(ShapeError, match="names 2 axes"):
        rule("EinsumDense", [(None, 6, 16)], equation="ab,bc->ac", output_shape=[4])


def test_group_and_rms_normalization() -> None:
    assert rule("GroupNormalization", [(None, 8, 8, 64)]) == ((None, 8, 8, 64), (128, 0))
    with pytest.raises(ShapeError, match="cannot be split"):
        rule("GroupNormalization", [(None, 8, 8, 12)])
    assert rule("GroupNormalization", [(None, 8, 8, 12)], groups=-1)[1] == (24, 0)
    assert rule("RMSNormalization", [(None, 5, 6)], axis=[1, 2])[1] == (30, 0)


def test_spectral_normalization_adds_a_frozen_vector_to_the_wrapped_weights() -> None:
    assert rule("SpectralNormalization", [(None, 10)]) == ((None, 32), (10 * 32 + 32, 32))


def test_group_query_attention_counts_its_projections() -> None:
    out, (total, _) = rule("GroupQueryAttention", [(None, 5, 16), (None, 7, 16)], head_dim=4, num_query_heads=4,
                           num_key_value_heads=2)
    assert out == (None, 5, 16)
    assert total == 16 * 16 + 16 + 2 * (16 * 8 + 8) + 16 * 16 + 16
    with pytest.raises(ShapeError, match="multiple"):
        rule("GroupQueryAttention", [(None, 5, 16), (None, 7, 16)], num_query_heads=3, num_key_value_heads=2)


def test_conv_lstm2d() -> None:
    out, count = rule("ConvLSTM2D", [(None, 10, 16, 16, 3)], filters=8, kernel_size=[3, 3])
    assert out == (None, 14, 14, 8)
    assert count == (9 * 3 * 32 + 9 * 8 * 32 + 32, 0)
    assert rule("ConvLSTM2D", [(None, 10, 16, 16, 3)], filters=8, return_sequences=True)[0] == (None, 10, 14, 14, 8)
    with pytest.raises(ShapeError, match="fixed sizes"):
        rule("ConvLSTM2D", [(None, 10, None, 16, 3)])


def test_augmentation_shapes_and_colour_rules() -> None:
    assert rule("RandomCrop", [(None, 32, 32, 3)], height=24, width=20)[0] == (None, 24, 20, 3)
    assert rule("RandomHue", [(None, 32, 32, 3)])[0] == (None, 32, 32, 3)
    with pytest.raises(ShapeError, match="3 channels"):
        rule("RandomHue", [(None, 32, 32, 1)])
    # ColorJitter needs RGB only for hue and saturation.
    assert rule("RandomColorJitter", [(None, 8, 8, 1)], brightness_factor=0.2)[0] == (None, 8, 8, 1)


def test_refusals_that_keep_configs_data_and_loadable() -> None:
    lookup = get_spec("StringLookup")
    assert lookup is not None
    vocabulary = lookup.param("vocabulary")
    assert vocabulary is not None
    assert "file path" in (vocabulary.validate("/etc/passwd") or "")
    assert vocabulary.validate(["a", "b"]) is None
    shear = get_spec("RandomShear")
    assert shear is not None and shear.param("x_factor") is not None
    assert "cannot load" in (shear.param("x_factor").validate(0.3) or "")  # type: ignore[union-attr]
    assert shear.param("x_factor").validate([0.0, 0.3]) is None  # type: ignore[union-attr]
    blur = get_spec("RandomGaussianBlur")
    assert blur is not None and "odd" in (blur.param("kernel_size").validate([2, 2]) or "")  # type: ignore[union-attr]


def test_preprocessing_encodings() -> None:
    assert rule("StringLookup", [(None, 4)], vocabulary=["a", "b", "c"], output_mode="multi_hot")[0] == (None, 4)
    assert rule("IntegerLookup", [(None, 4)], vocabulary=[3, 5], output_mode="one_hot",
                num_oov_indices=2)[0] == (None, 4, 4)
    assert rule("CategoryEncoding", [(None, 3)], num_tokens=6)[0] == (None, 6)
    assert rule("Discretization", [(None, 3, 2)], bin_boundaries=[0.0, 1.0], output_mode="multi_hot")[0] == \
        (None, 2, 3)  # Keras drops axis 1, as its eager code does
    assert rule("TextVectorization", [(None,)], vocabulary=["a"], output_sequence_length=10)[0] == (None, 10)
    assert rule("MelSpectrogram", [(None, 16000)])[0] == (None, 128, 32)
    out, count = rule("STFTSpectrogram", [(None, 1000, 1)])
    assert out == (None, 6, 129)  # frames of 256 samples every 128; 256 / 2 + 1 frequencies of one channel
    assert count == (2 * 256 * 129, 0)  # a real and an imaginary Fourier kernel
