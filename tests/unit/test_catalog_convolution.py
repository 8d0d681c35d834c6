"""Convolution, pooling and spatial reshaping specs: hand-computed shapes and counts, and the
messages and fixes for the mistakes students make most with image layers."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import convolution, get_spec, pooling
from app.core.catalog.spec import ShapeError
from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.shapes import Analysis, Problem, analyze
from tests.unit.helpers import chain

SPECS = (*convolution.SPECS, *pooling.SPECS)


def rule(class_name: str, shape: tuple[int | None, ...], **overrides: Any) -> tuple[tuple, int]:
    """Output shape and trainable count of one layer, straight from its spec."""
    spec = get_spec(class_name)
    assert spec is not None
    cfg = {**spec.default_config(), **overrides}
    for param in spec.params:
        assert param.validate(cfg[param.name]) is None, param.name
    out = spec.output(cfg, [shape])
    trainable, frozen = spec.count(cfg, [shape])
    assert frozen == 0
    return tuple(out), trainable


def model(input_shape: list[int | None], *layers: tuple[str, dict[str, Any]]) -> tuple[Graph, list[str], Analysis]:
    graph = Graph()
    nodes = chain(graph, ("InputLayer", {"batch_shape": [None, *input_shape]}), *layers)
    return graph, [n.id for n in nodes], analyze(graph)


def only_error(result: Analysis) -> Problem:
    (problem,) = result.errors
    return problem


# --- shapes and counts, computed by hand ----------------------------------------------------

def test_conv2d_valid_and_same() -> None:
    assert rule("Conv2D", (None, 28, 28, 1), filters=32) == ((None, 26, 26, 32), 3 * 3 * 1 * 32 + 32)
    assert rule("Conv2D", (None, 28, 28, 3), filters=16, padding="same", strides=[2, 2]) == (
        (None, 14, 14, 16), 3 * 3 * 3 * 16 + 16)
    assert rule("Conv2D", (None, 3, 32, 32), filters=8, kernel_size=[5, 5], data_format="channels_first",
                use_bias=False) == ((None, 8, 28, 28), 5 * 5 * 3 * 8)
    assert rule("Conv2D", (None, None, None, 8), filters=4, groups=2) == ((None, None, None, 4), 9 * 4 * 4 + 4)


def test_conv1d_causal_dilated_keeps_length() -> None:
    assert rule("Conv1D", (None, 10, 3), filters=4, padding="causal", dilation_rate=[2]) == (
        (None, 10, 4), 3 * 3 * 4 + 4)
    assert rule("Conv1D", (None, 10, 3), filters=4, strides=[3]) == ((None, 3, 4), 40)


def test_transpose_depthwise_and_separable_counts() -> None:
    assert rule("Conv2DTranspose", (None, 7, 7, 8), filters=4, strides=[2, 2], padding="same") == (
        (None, 14, 14, 4), 3 * 3 * 8 * 4 + 4)
    assert rule("Conv2DTranspose", (None, 7, 7, 8), filters=4, strides=[2, 2]) == ((None, 15, 15, 4), 292)
    assert rule("DepthwiseConv2D", (None, 8, 8, 4), depth_multiplier=2) == ((None, 6, 6, 8), 3 * 3 * 4 * 2 + 8)
    assert rule("SeparableConv2D", (None, 8, 8, 4), filters=16) == ((None, 6, 6, 16), 3 * 3 * 4 + 4 * 16 + 16)


def test_pooling_shapes() -> None:
    assert rule("MaxPooling2D", (None, 27, 27, 8)) == ((None, 13, 13, 8), 0)
    assert rule("MaxPooling2D", (None, 27, 27, 8), padding="same") == ((None, 14, 14, 8), 0)
    assert rule("AveragePooling2D", (None, 8, 12, 3), pool_size=[3, 3], strides=[1, 2]) == ((None, 6, 5, 3), 0)
    assert rule("MaxPooling1D", (None, 4, 10), data_format="channels_first") == ((None, 4, 5), 0)
    assert rule("GlobalAveragePooling2D", (None, 7, 7, 64)) == ((None, 64), 0)
    assert rule("GlobalMaxPooling2D", (None, 64, 7, 7), data_format="channels_first", keepdims=True) == (
        (None, 64, 1, 1), 0)
    assert rule("GlobalMaxPooling1D", (None, None, 16), keepdims=True) == ((None, 1, 16), 0)


def test_reshaping_layers_take_every_keras_spelling() -> None:
    assert rule("UpSampling2D", (None, 4, None, 3), size=[2, 3]) == ((None, 8, None, 3), 0)
    assert rule("ZeroPadding2D", (None, 5, 5, 1), padding=2) == ((None, 9, 9, 1), 0)
    assert rule("ZeroPadding2D", (None, 5, 5, 1), padding=[1, 0]) == ((None, 7, 5, 1), 0)
    assert rule("ZeroPadding2D", (None, 5, 5, 1), padding=[[0, 1], [0, 1]]) == ((None, 6, 6, 1), 0)
    assert rule("Cropping2D", (None, 3, 10, 10), cropping=[[1, 2], 3], data_format="channels_first") == (
        (None, 3, 7, 4), 0)


def test_small_cnn_end_to_end() -> None:
    _, ids, result = model(
        [28, 28, 1],
        ("Conv2D", {"filters": 32, "activation": "relu"}),
        ("MaxPooling2D", {}),
        ("Conv2D", {"filters": 64, "activation": "relu"}),
        ("MaxPooling2D", {}),
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    )
    assert result.valid, result.problems
    shapes = [result.nodes[i].output_shapes[0] for i in ids[1:]]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64), (None, 64),
                      (None, 10)]
    assert result.total_params == 320 + (3 * 3 * 32 * 64 + 64) + (64 * 10 + 10)


# --- typical mistakes: clear messages and one-click fixes ---------------------------------------

def test_flat_mnist_into_conv2d_suggests_reshape_to_image() -> None:
    graph, (_, conv), result = model([784], ("Conv2D", {"filters": 8}))
    problem = only_error(result)
    assert problem.node == conv and problem.port == "input"
    assert "4-D" in problem.message and "(None, 784)" in problem.message and "28×28" in problem.message
    assert problem.fix is not None
    assert problem.fix.action["config"] == {"target_shape": [28, 28, 1]}
    apply_fix(graph, problem.fix.action)
    fixed = analyze(graph)
    assert fixed.valid and fixed.nodes[conv].output_shapes == [(None, 26, 26, 8)]


def test_flat_colour_image_and_unshaped_vector() -> None:
    problem = only_error(model([3072], ("Conv2D", {}))[2])
    assert "32×32 colour image" in problem.message
    assert problem.fix is not None and problem.fix.action["config"] == {"target_shape": [32, 32, 3]}
    problem = only_error(model([100], ("MaxPooling2D", {}))[2])
    assert "10×10 grey image" in problem.message
    problem = only_error(model([10], ("Conv2D", {}))[2])
    assert problem.fix is None and "Dense" in problem.message


def test_grey_images_without_channel_axis() -> None:
    graph, (_, conv), result = model([28, 28], ("Conv2D", {"filters": 4}))
    problem = only_error(result)
    assert "channel axis is missing" in problem.message and "(28, 28, 1)" in problem.message
    assert "Conv1D" in problem.message
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).nodes[conv].output_shapes == [(None, 26, 26, 4)]


def test_channels_first_reshape_fix_puts_channel_first_and_keeps_unknown_size() -> None:
    problem = only_error(model([None, 28], ("Conv2D", {"data_format": "channels_first"}))[2])
    assert problem.fix is not None and problem.fix.action["config"] == {"target_shape": [1, -1, 28]}


def test_sequence_layer_fed_flat_vector_or_image() -> None:
    graph, (_, conv), result = model([100], ("Conv1D", {"filters": 4}))
    problem = only_error(result)
    assert "(100, 1)" in problem.message
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).nodes[conv].output_shapes == [(None, 98, 4)]
    problem = only_error(model([28, 28, 1], ("MaxPooling1D", {}))[2])
    assert "MaxPooling2D" in problem.message


def test_kernel_bigger_than_image_offers_same_padding() -> None:
    graph, (_, conv), result = model([3, 3, 1], ("Conv2D", {"kernel_size": [5, 5]}))
    problem = only_error(result)
    assert "kernel covers 5 along the height" in problem.message and "only 3" in problem.message
    assert problem.fix is not None and problem.fix.action["value"] == "same"
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).nodes[conv].output_shapes == [(None, 3, 3, 32)]


def test_dilation_is_named_when_it_makes_the_kernel_too_wide() -> None:
    with pytest.raises(ShapeError, match=r"covers 9 \(kernel 3 with dilation 4\) along the steps"):
        rule("Conv1D", (None, 8, 2), dilation_rate=[4])


def test_too_many_pooling_steps() -> None:
    _, ids, result = model([8, 8, 1], *[("MaxPooling2D", {})] * 4)
    problem = only_error(result)
    assert problem.node == ids[4]
    assert "(None, 1, 1, 1)" in problem.message and "nothing would be left" in problem.message
    assert "remove a pooling step" in problem.message
    assert [w.code for w in result.problems if w.severity == "warning"] == []


def test_pooling_a_one_pixel_map_with_same_padding_warns() -> None:
    _, ids, result = model([1, 1, 8], ("MaxPooling2D", {"padding": "same"}))
    assert result.valid
    (warning,) = result.problems
    assert warning.severity == "warning" and "does nothing" in warning.message


def test_channels_first_on_a_channels_last_image_offers_the_right_format() -> None:
    problem = only_error(model([28, 28, 1], ("MaxPooling2D", {"data_format": "channels_first"}))[2])
    assert "channels-last" in problem.message
    assert problem.fix is not None and problem.fix.action["value"] == "channels_last"


def test_global_pooling_after_flatten() -> None:
    problem = only_error(model([7, 7, 64], ("Flatten", {}), ("GlobalAveragePooling2D", {}))[2])
    assert "already a flat vector" in problem.message


def test_groups_must_divide_filters_and_channels() -> None:
    with pytest.raises(ShapeError, match=r"filters \(5\) must be divisible by groups \(2\)"):
        rule("Conv2D", (None, 8, 8, 4), filters=5, groups=2)
    with pytest.raises(ShapeError, match="3 channels, which cannot be split into 2 equal groups") as err:
        rule("Conv2D", (None, 8, 8, 3), filters=4, groups=2)
    assert err.value.fix is not None and err.value.fix.action["value"] == 1


def test_refusals_keras_makes_too() -> None:
    with pytest.raises(ShapeError, match="cannot both be above 1"):
        rule("Conv2D", (None, 8, 8, 3), strides=[2, 2], dilation_rate=[2, 2])
    with pytest.raises(ShapeError, match="output_padding must be smaller than strides"):
        rule("Conv2DTranspose", (None, 8, 8, 3), strides=[2, 2], output_padding=[2, 0])
    with pytest.raises(ShapeError, match="number of channels"):
        rule("DepthwiseConv2D", (None, 8, 8, None))
    with pytest.raises(ShapeError, match="removes all 4"):
        rule("Cropping2D", (None, 4, 4, 1), cropping=[[2, 2], [0, 0]])


def test_channels_first_convolution_warns_about_cpu() -> None:
    result = model([3, 16, 16], ("Conv2D", {"data_format": "channels_first"}))[2]
    assert result.valid
    assert any("only runs on a GPU" in p.message for p in result.problems if p.severity == "warning")


def test_param_validation_messages() -> None:
    spec = get_spec("ZeroPadding2D")
    assert spec is not None
    padding = spec.param("padding")
    assert padding is not None and padding.validate(-1) is not None
    assert "[[top, bottom], [left, right]]" in (padding.validate([[1, 2, 3], [0, 0]]) or "")
    pool = get_spec("MaxPooling2D")
    assert pool is not None
    strides = pool.param("strides")
    assert strides is not None and strides.validate(None) is None
    assert strides.validate([0, 2]) == "'strides' must be ≥ 1 (got 0)"
    conv = get_spec("Conv2D")
    assert conv is not None and conv.param("kernel_size").validate([3]) == "'kernel_size' must have 2 values (got 1)"


# --- catalog hygiene --------------------------------------------------------------------------

@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.class_name)
def test_specs_are_complete(spec: Any) -> None:
    doc = spec.doc
    assert doc.summary and doc.shape and doc.use and doc.mistake
    assert spec.category in {"Convolution", "Pooling", "Reshaping"}
    for param in spec.params:
        assert param.validate(param.default) is None, param.name


def test_name_prefixes_match_keras_default_names() -> None:
    prefixes = {s.class_name: s.name_prefix for s in SPECS}
    assert prefixes["Conv2D"] == "conv2d" and prefixes["Conv2DTranspose"] == "conv2d_transpose"
    assert prefixes["GlobalAveragePooling2D"] == "global_average_pooling2d"
    assert prefixes["UpSampling2D"] == "up_sampling2d" and prefixes["Cropping2D"] == "cropping2d"
