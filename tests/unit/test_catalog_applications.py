"""Application backbones without Keras: known shapes and counts, refusals and their fixes.

The numbers are the ones Keras reports for ``include_top=False`` (``model.summary()``);
``tests/keras/test_applications_oracle.py`` checks the rules against freshly built models.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.catalog import CATALOG, get_spec
from app.core.catalog.applications import SPECS, mobilenet_v2_last_filters
from app.core.catalog.spec import LayerSpec, Shape, ShapeError
from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.shapes import analyze
from tests.unit.helpers import chain

BACKBONES = ("MobileNetV2", "ResNet50", "EfficientNetB0", "VGG16", "DenseNet121")

# class name -> (output at 224x224x3, trainable, non-trainable)
KNOWN_224_RGB: dict[str, tuple[Shape, int, int]] = {
    "MobileNetV2": ((None, 7, 7, 1280), 2_223_872, 34_112),
    "ResNet50": ((None, 7, 7, 2048), 23_534_592, 53_120),
    "EfficientNetB0": ((None, 7, 7, 1280), 4_007_548, 42_023),
    "VGG16": ((None, 7, 7, 512), 14_714_688, 0),
    "DenseNet121": ((None, 7, 7, 1024), 6_953_856, 83_648),
}


def spec(class_name: str) -> LayerSpec:
    found = get_spec(class_name)
    assert found is not None
    return found


def config(class_name: str, **overrides: Any) -> dict[str, Any]:
    cfg = spec(class_name).default_config()
    cfg.update(overrides)
    return cfg


def run(class_name: str, shape: Shape, **overrides: Any) -> tuple[Shape, int, int]:
    s, cfg = spec(class_name), config(class_name, **overrides)
    out = s.output(cfg, [shape])
    trainable, frozen = s.count(cfg, [shape])
    return tuple(out), trainable, frozen


def refusal(class_name: str, shape: Shape, **overrides: Any) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        run(class_name, shape, **overrides)
    return info.value


def test_all_backbones_are_registered_as_applications() -> None:
    assert tuple(s.class_name for s in SPECS) == BACKBONES
    for name in BACKBONES:
        s = CATALOG[name]
        assert s.is_application and s.category == "Applications" and len(s.ports) == 1
        names = [p.name for p in s.params]
        assert {"weights", "pooling", "trainable"} <= set(names) and "dtype" not in names
        defaults = s.default_config()
        assert defaults["weights"] is None and defaults["pooling"] is None and defaults["trainable"] is True
        assert all(p.validate(defaults[p.name]) is None for p in s.params)
        assert s.doc.summary and s.doc.mistake and s.doc.use
        assert s.param("weights").validate("imagenet") is None
        assert s.param("weights").validate("cifar10") is not None
        assert s.param("pooling").validate("sum") is not None


def test_weights_help_says_imagenet_downloads() -> None:
    for name in BACKBONES:
        text = spec(name).param("weights").help
        assert "download" in text and "offline" in text


@pytest.mark.parametrize("class_name", BACKBONES)
def test_known_224_rgb_shapes_and_counts(class_name: str) -> None:
    assert run(class_name, (None, 224, 224, 3)) == KNOWN_224_RGB[class_name]


def test_mobilenet_v2_total_matches_the_well_known_figure() -> None:
    _, trainable, frozen = run("MobileNetV2", (None, 224, 224, 3))
    assert trainable + frozen == 2_257_984


@pytest.mark.parametrize("class_name", BACKBONES)
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_pooling_gives_one_vector_per_image(class_name: str, pooling: str) -> None:
    channels = KNOWN_224_RGB[class_name][0][-1]
    out, trainable, frozen = run(class_name, (8, 224, 224, 3), pooling=pooling)
    assert out == (8, channels)
    assert (trainable, frozen) == KNOWN_224_RGB[class_name][1:]


def test_channels_change_only_the_first_conv_and_efficientnets_normalization() -> None:
    rgb = {name: run(name, (None, 64, 64, 3))[1:] for name in BACKBONES}
    grey = {name: run(name, (None, 64, 64, 1))[1:] for name in BACKBONES}
    first_conv = {"MobileNetV2": 3 * 3 * 32, "ResNet50": 7 * 7 * 64, "EfficientNetB0": 3 * 3 * 32,
                  "VGG16": 3 * 3 * 64, "DenseNet121": 7 * 7 * 64}
    for name in BACKBONES:
        assert rgb[name][0] - grey[name][0] == 2 * first_conv[name]
    # EfficientNetB0's Normalization keeps a mean and a variance per channel.
    assert rgb["EfficientNetB0"][1] - grey["EfficientNetB0"][1] == 4
    assert all(rgb[n][1] == grey[n][1] for n in BACKBONES if n != "EfficientNetB0")


def test_mobilenet_v2_alpha_scales_width_and_the_last_layer() -> None:
    assert mobilenet_v2_last_filters(0.35) == 1280
    assert mobilenet_v2_last_filters(1.0) == 1280
    assert mobilenet_v2_last_filters(1.3) == 1664
    assert mobilenet_v2_last_filters(1.4) == 1792
    assert run("MobileNetV2", (None, 224, 224, 3), alpha=1.4)[0] == (None, 7, 7, 1792)
    sizes = [sum(run("MobileNetV2", (None, 96, 96, 3), alpha=a)[1:]) for a in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)]
    assert sizes == sorted(sizes)
    assert spec("MobileNetV2").param("alpha").validate(0.6) is not None


def test_odd_sizes_follow_each_architectures_padding() -> None:
    # Stride-2 steps with correct_pad (MobileNetV2, EfficientNetB0) or a padded stem (ResNet) round up;
    # VGG16's 2x2 pools round down; DenseNet121 rounds up in its stem and down in its transitions.
    assert run("MobileNetV2", (None, 33, 47, 3))[0] == (None, 2, 2, 1280)
    assert run("EfficientNetB0", (None, 33, 47, 3))[0] == (None, 2, 2, 1280)
    assert run("ResNet50", (None, 33, 47, 3))[0] == (None, 2, 2, 2048)
    assert run("VGG16", (None, 33, 63, 3))[0] == (None, 1, 1, 512)
    assert run("DenseNet121", (None, 33, 63, 3))[0] == (None, 1, 2, 1024)
    assert run("DenseNet121", (None, 65, 97, 3))[0] == (None, 2, 3, 1024)


def test_variable_sizes() -> None:
    for name in BACKBONES:
        out = run(name, (None, None, None, 3))[0]
        assert out[:3] == (None, None, None)
    # With a variable height, correct_pad pads one pixel at the end whatever the width's parity.
    assert run("MobileNetV2", (None, None, 65, 3))[0] == (None, None, 2, 1280)
    assert run("MobileNetV2", (None, None, 33, 3))[0] == (None, None, 1, 1280)
    assert run("EfficientNetB0", (None, None, 65, 3))[0] == (None, None, 2, 1280)
    assert run("ResNet50", (None, 65, None, 3))[0] == (None, 3, None, 2048)
    assert run("VGG16", (None, 65, None, 3))[0] == (None, 2, None, 512)


@pytest.mark.parametrize("class_name", ["MobileNetV2", "EfficientNetB0"])
def test_known_height_with_variable_width_is_refused_where_keras_fails(class_name: str) -> None:
    err = refusal(class_name, (None, 64, None, 3))
    assert "variable width" in err.message and err.port == "input"


@pytest.mark.parametrize("class_name", BACKBONES)
def test_too_small_images_are_refused_with_a_resizing_fix(class_name: str) -> None:
    err = refusal(class_name, (None, 16, 16, 3))
    assert err.message.startswith(f"{class_name} needs images of at least 32x32 pixels; the input is 16x16.")
    assert err.fix is not None
    assert err.fix.action == {"op": "insert_before", "port": "input", "class_name": "Resizing",
                              "config": {"height": 224, "width": 224}}
    assert "the input is 31 high and variable wide." in refusal(class_name, (None, 31, None, 3)).message
    assert run(class_name, (None, 32, 32, 3))[0][1:3] == (1, 1)


@pytest.mark.parametrize("class_name", BACKBONES)
def test_non_image_inputs_are_refused(class_name: str) -> None:
    flat = refusal(class_name, (None, 784))
    assert "(None, height, width, channels)" in flat.message and "flat vector" in flat.message
    assert flat.fix is not None and flat.fix.action["config"] == {"target_shape": [28, 28, 1]}
    rgb_flat = refusal(class_name, (None, 32 * 32 * 3))
    assert rgb_flat.fix is not None and rgb_flat.fix.action["config"] == {"target_shape": [32, 32, 3]}
    grey = refusal(class_name, (None, 64, 64))
    assert grey.fix is not None and grey.fix.action["config"] == {"target_shape": [64, 64, 1]}
    assert refusal(class_name, (None, 224, 3)).fix is None
    assert refusal(class_name, (None, 8, 64, 64, 3)).fix is None
    assert refusal(class_name, (None, 1000)).fix is None
    assert "colour channels" in refusal(class_name, (None, 64, 64, None)).message


@pytest.mark.parametrize("class_name", BACKBONES)
def test_imagenet_weights_need_rgb(class_name: str) -> None:
    err = refusal(class_name, (None, 224, 224, 1), weights="imagenet")
    assert "3 colour channels" in err.message
    assert err.fix is not None and err.fix.action == {"op": "set_param", "param": "weights", "value": None}
    assert run(class_name, (None, 224, 224, 3), weights="imagenet") == KNOWN_224_RGB[class_name]


def test_warnings_mirror_keras_warnings() -> None:
    s = spec("ResNet50")
    assert s.warn is not None
    assert s.warn(config("ResNet50"), [(None, 64, 64, 3)]) == []
    assert "1 (grey) or 3 (RGB)" in s.warn(config("ResNet50"), [(None, 64, 64, 4)])[0].message
    m = spec("MobileNetV2")
    assert m.warn is not None
    def shape_warnings(cfg: dict, shape: tuple) -> list:  # the cache-file warning has tests of its own
        return [w for w in m.warn(cfg, [shape]) if "needs the file" not in w.message]

    assert shape_warnings(config("MobileNetV2", weights="imagenet"), (None, 160, 160, 3)) == []
    assert "224x224" in shape_warnings(config("MobileNetV2", weights="imagenet"), (None, 200, 100, 3))[0].message


def test_frozen_backbone_in_a_graph_counts_as_non_trainable() -> None:
    graph = Graph()
    _, backbone, head = chain(
        graph,
        ("InputLayer", {"batch_shape": [None, 224, 224, 3]}),
        ("MobileNetV2", {"pooling": "avg", "trainable": False}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    )
    assert backbone.name == "mobilenetv2"
    result = analyze(graph)
    assert result.valid, result.problems
    assert result.nodes[backbone.id].output_shapes == [(None, 1280)]
    assert (result.nodes[backbone.id].trainable, result.nodes[backbone.id].non_trainable) == (0, 2_257_984)
    assert (result.nodes[head.id].trainable, result.nodes[head.id].non_trainable) == (12_810, 0)


def test_flat_input_fix_leads_to_the_size_problem() -> None:
    graph = Graph()
    _, backbone = chain(graph, ("InputLayer", {"batch_shape": [None, 784]}), ("ResNet50", {}))
    problem = next(p for p in analyze(graph).problems if p.node == backbone.id)
    assert problem.port == "input" and problem.fix is not None
    apply_fix(graph, problem.fix.action)
    problem = next(p for p in analyze(graph).problems if p.node == backbone.id)
    assert "at least 32x32 pixels; the input is 28x28" in problem.message
