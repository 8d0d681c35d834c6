"""Normalization, regularization, preprocessing and augmentation specs: hand-computed shapes and
counts, and the messages a student sees for the usual mistakes (no Keras needed)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import normalization, preprocessing
from app.core.catalog.spec import LayerSpec
from app.core.fixes import apply_fix
from app.core.graph import Graph, Node
from app.core.shapes import Analysis, Problem, analyze
from tests.unit.helpers import chain

OWN_SPECS: tuple[LayerSpec, ...] = normalization.SPECS + preprocessing.SPECS


def build(shape: list[int | None], class_name: str, **config: Any) -> tuple[Graph, Node, Analysis]:
    """Input -> one layer; returns the graph, the layer node and the analysis."""
    graph = Graph()
    _, node = chain(graph, ("InputLayer", {"batch_shape": shape}), (class_name, config))
    return graph, node, analyze(graph)


def only(analysis: Analysis, node: Node, severity: str = "error") -> Problem:
    problems = [p for p in analysis.problems_for(node.id) if p.severity == severity]
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("spec", OWN_SPECS, ids=lambda s: s.class_name)
def test_every_spec_teaches(spec: LayerSpec) -> None:
    doc = spec.doc
    assert doc.summary and doc.shape and doc.use and doc.mistake
    assert spec.category in {"Normalization", "Regularization", "Preprocessing", "Augmentation"}
    for param in spec.params:
        assert param.validate(spec.default_config()[param.name]) is None, (spec.class_name, param.name)


# --- BatchNormalization and friends ---------------------------------------------------------------

def test_batch_norm_counts_two_trainable_and_two_frozen_per_channel() -> None:
    graph, bn, result = build([None, 28, 28, 16], "BatchNormalization")
    info = result.nodes[bn.id]
    assert result.valid
    assert info.output_shapes == [(None, 28, 28, 16)]
    assert (info.trainable, info.non_trainable) == (32, 32)

    graph.set_param(bn.id, "renorm", True)
    graph.set_param(bn.id, "center", False)
    info = analyze(graph).nodes[bn.id]
    assert (info.trainable, info.non_trainable) == (16, 5 * 16)

    graph.set_param(bn.id, "trainable", False)
    info = analyze(graph).nodes[bn.id]
    assert (info.trainable, info.non_trainable) == (0, 6 * 16)


def test_batch_norm_on_the_batch_axis_explains_and_fixes() -> None:
    graph, bn, result = build([None, 10], "BatchNormalization", axis=0)
    problem = only(result, bn)
    assert "batch axis" in problem.message and "-1" in problem.message
    assert problem.fix is not None
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).valid and graph.node(bn.id).config["axis"] == -1


def test_batch_norm_axis_that_does_not_exist() -> None:
    _, bn, result = build([None, 10], "BatchNormalization", axis=3)
    problem = only(result, bn)
    assert "axis 3 does not exist in the 2-D input (None, 10)" in problem.message


def test_batch_norm_needs_a_known_channel_count() -> None:
    _, bn, result = build([None, 5, None], "BatchNormalization")
    assert "unknown size" in only(result, bn).message


def test_layer_norm_over_several_axes() -> None:
    _, ln, result = build([None, 4, 3], "LayerNormalization", axis=[1, 2])
    assert result.valid and result.nodes[ln.id].params == 2 * 4 * 3


def test_layer_norm_refuses_the_same_axis_twice() -> None:
    _, ln, result = build([None, 4, 3], "LayerNormalization", axis=[2, -1])
    assert "twice" in only(result, ln).message


def test_axis_param_rejects_duplicates_before_any_shape_is_known() -> None:
    param = normalization.LAYER_NORMALIZATION.param("axis")
    assert param is not None
    assert param.validate([1, 1]) == "'axis' lists the same axis twice (got [1, 1])"
    assert param.validate(-1) is None and param.validate([1, 2]) is None


def test_unit_normalization_over_the_batch_warns() -> None:
    _, un, result = build([None, 8], "UnitNormalization", axis=0)
    assert result.valid
    assert "batch axis" in only(result, un, "warning").message


def test_spatial_dropout_2d_on_a_vector_suggests_dropout() -> None:
    _, sd, result = build([None, 64], "SpatialDropout2D")
    message = only(result, sd).message
    assert "expects a 4-D input" in message and "(None, 64)" in message and "Dropout" in message


def test_spatial_dropout_1d_keeps_the_sequence() -> None:
    _, sd, result = build([None, 20, 8], "SpatialDropout1D")
    assert result.valid and result.nodes[sd.id].output_shapes == [(None, 20, 8)]


def test_renorm_clipping_is_checked() -> None:
    param = normalization.BATCH_NORMALIZATION.param("renorm_clipping")
    assert param is not None
    assert param.validate({"rmax": 3.0, "rmin": 0.3, "dmax": 5.0}) is None
    assert "rmax, rmin and dmax" in (param.validate({"rmaxx": 3}) or "")
    assert "rmax ≥ rmin" in (param.validate({"rmax": 1, "rmin": 2}) or "")


# --- Preprocessing -----------------------------------------------------------------------------------

def test_normalization_with_given_statistics_has_no_weights() -> None:
    _, norm, result = build([None, 224, 224, 3], "Normalization", axis=[3], mean=[0.485, 0.456, 0.406],
                            variance=[0.052, 0.050, 0.051])
    assert result.valid and result.problems_for(norm.id) == []
    assert result.nodes[norm.id].params == 0


def test_normalization_to_adapt_stores_mean_variance_and_count() -> None:
    _, norm, result = build([None, 5, 3], "Normalization")
    assert result.valid
    assert (result.nodes[norm.id].trainable, result.nodes[norm.id].non_trainable) == (0, 3 + 3 + 1)
    assert "adapt()" in only(result, norm, "warning").message


def test_normalization_statistics_must_fit_the_channels() -> None:
    _, norm, result = build([None, 8, 8, 3], "Normalization", mean=[0.5, 0.5], variance=[0.1, 0.1])
    message = only(result, norm).message
    assert "2 values for axis 3" in message and "has 3 entries" in message


def test_normalization_needs_mean_and_variance_together() -> None:
    _, norm, result = build([None, 3], "Normalization", mean=[0.5, 0.5, 0.5])
    assert "set 'variance' too" in only(result, norm).message


def test_normalization_mean_must_be_rectangular() -> None:
    param = preprocessing.NORMALIZATION.param("mean")
    assert param is not None
    assert param.validate([[1, 2], [3]]) is not None
    assert param.validate([[1, 2], [3, 4]]) is None and param.validate(0.5) is None


def test_rescaling_per_channel_scale() -> None:
    _, ok, result = build([None, 32, 32, 3], "Rescaling", scale=[0.5, 0.25, 2.0], offset=-1.0)
    assert result.valid and result.nodes[ok.id].output_shapes == [(None, 32, 32, 3)]
    _, bad, result = build([None, 32, 32, 1], "Rescaling", scale=[0.5, 0.25, 2.0])
    assert "'scale' has 3 values along axis 3" in only(result, bad).message


def test_resizing_a_flat_vector_offers_a_reshape_that_works() -> None:
    graph, resize, result = build([None, 784], "Resizing", height=32, width=32)
    problem = only(result, resize)
    assert "works on images" in problem.message and "flat vector (None, 784)" in problem.message
    assert "(28, 28, 1)" in problem.message
    assert problem.fix is not None
    apply_fix(graph, problem.fix.action)
    fixed = analyze(graph)
    assert fixed.valid and fixed.nodes[resize.id].output_shapes == [(None, 32, 32, 1)]


def test_augmentation_on_flattened_colour_images_suggests_three_channels() -> None:
    _, flip, result = build([None, 3072], "RandomFlip")
    problem = only(result, flip)
    assert "(32, 32, 3)" in problem.message
    assert problem.fix is not None and problem.fix.action["config"] == {"target_shape": [32, 32, 3]}


def test_image_layer_refuses_5d() -> None:
    _, rot, result = build([None, 4, 8, 8, 3], "RandomRotation")
    assert "5-D tensor" in only(result, rot).message


def test_three_d_input_is_read_as_one_image() -> None:
    graph, resize, result = build([None, 28, 28], "Resizing", height=14, width=14)
    assert result.valid
    assert result.nodes[resize.id].output_shapes == [(14, 14, 28)]  # Keras' own (odd) formula
    warning = only(result, resize, "warning")
    assert "batch axis becomes the image height" in warning.message
    assert warning.fix is not None
    apply_fix(graph, warning.fix.action)
    fixed = analyze(graph)
    assert fixed.valid and fixed.nodes[resize.id].output_shapes == [(None, 14, 14, 1)]
    assert fixed.problems_for(resize.id) == []


def test_resizing_channels_first() -> None:
    _, resize, result = build([None, 3, 40, 30], "Resizing", height=20, width=10, data_format="channels_first")
    assert result.nodes[resize.id].output_shapes == [(None, 3, 20, 10)]


def test_resizing_cannot_crop_and_pad() -> None:
    graph, resize, result = build([None, 40, 30, 3], "Resizing", height=20, width=20, crop_to_aspect_ratio=True,
                                  pad_to_aspect_ratio=True)
    problem = only(result, resize)
    assert "cannot both be on" in problem.message
    assert problem.fix is not None
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).valid


def test_center_crop_larger_than_the_image_warns() -> None:
    _, crop, result = build([None, 20, 20, 3], "CenterCrop", height=24, width=16)
    assert result.valid and result.nodes[crop.id].output_shapes == [(None, 24, 16, 3)]
    assert "larger than the image" in only(result, crop, "warning").message


def test_single_number_contrast_only_increases_and_is_flagged() -> None:
    graph, contrast, result = build([None, 32, 32, 3], "RandomContrast", factor=0.2)
    warning = only(result, contrast, "warning")
    assert "only ever increased" in warning.message
    assert warning.fix is not None
    apply_fix(graph, warning.fix.action)
    assert graph.node(contrast.id).config["factor"] == [0.2, 0.2]
    assert analyze(graph).problems_for(contrast.id) == []


@pytest.mark.parametrize(
    ("spec", "name", "value", "expected"),
    [
        (preprocessing.RANDOM_ROTATION, "factor", 2, "'factor' values must be between -1 and 1 (got 2)"),
        (preprocessing.RANDOM_ZOOM, "height_factor", -1, "'height_factor' values must be greater than -1"),
        (preprocessing.RANDOM_TRANSLATION, "width_factor", [0.1, 0.2, 0.3], "a pair [lower, upper]"),
        (preprocessing.RANDOM_CONTRAST, "factor", -0.2, "between 0 and 1"),
        (preprocessing.RANDOM_BRIGHTNESS, "value_range", [255, 0], "low < high"),
    ],
)
def test_factor_mistakes_are_explained(spec: LayerSpec, name: str, value: Any, expected: str) -> None:
    param = spec.param(name)
    assert param is not None
    assert expected in (param.validate(value) or "")


def test_pairs_and_numbers_are_both_valid_factors() -> None:
    param = preprocessing.RANDOM_ROTATION.param("factor")
    assert param is not None
    assert param.validate(0.25) is None and param.validate([-0.1, 0.3]) is None
