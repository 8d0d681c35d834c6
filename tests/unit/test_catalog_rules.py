"""Each layer's rules live on its spec: cost and sentences, tags instead of class lists, and the
backbones' one layer list walked by two visitors that must agree with the independent shape rule."""

from __future__ import annotations

import pytest

from app.core import explain
from app.core.catalog import CATALOG, classes_tagged
from app.core.catalog import applications as apps
from app.core.catalog.spec import RNN_TAG, RNN_WRAPPER_TAG
from app.core.graph import Graph
from app.core.insight import layer_cost, supported_classes
from app.core.shapes import RECURRENT, analyze
from tests.unit.helpers import chain

LAYERS = {
    "MobileNetV2": apps._mobilenet_v2_layers,
    "ResNet50": apps._resnet50_layers,
    "EfficientNetB0": apps._efficientnet_b0_layers,
    "VGG16": apps._vgg16_layers,
    "DenseNet121": apps._densenet121_layers,
}


def test_the_cost_and_explain_tables_are_gathered_from_the_specs() -> None:
    assert supported_classes() == {name for name, spec in CATALOG.items() if spec.cost is not None}
    assert {name: spec.explain for name, spec in CATALOG.items() if spec.explain is not None} == explain._BUILDERS
    assert set(CATALOG) == supported_classes()


def test_layer_cost_reads_the_spec_and_wrappers_reach_their_inner_layer() -> None:
    assert layer_cost("Dense", {"units": 3}, [(None, 5)], (None, 3)) == (15, 0)
    assert layer_cost("NotALayer", {}, [(None, 5)], (None, 3)) is None
    inner = {"class_name": "Dense", "config": {"units": 3}}
    assert layer_cost("TimeDistributed", {"layer": inner}, [(None, 4, 5)], (None, 4, 3)) == (60, 0)
    assert layer_cost("Dense", {}, [(None, 5)], (None, 3)) is None  # a config the rule cannot read: unknown


def test_recurrent_classes_come_from_spec_tags() -> None:
    assert classes_tagged(RNN_TAG) == {"SimpleRNN", "LSTM", "GRU"}
    assert classes_tagged(RNN_WRAPPER_TAG) == {"Bidirectional"}
    assert {"SimpleRNN", "LSTM", "GRU", "Bidirectional"} == RECURRENT
    assert classes_tagged() == frozenset()


def test_a_stacked_recurrent_layer_still_gets_the_return_sequences_fix() -> None:
    graph = Graph()
    _, first, second = chain(graph, ("InputLayer", {"batch_shape": [None, 6, 4]}), ("GRU", {"units": 8}),
                             ("LSTM", {"units": 8}))
    problems = [p for p in analyze(graph).problems if p.node == second.id and p.fix is not None]
    assert problems and problems[0].fix is not None
    assert problems[0].fix.action == {"op": "set_param", "node": first.id, "param": "return_sequences",
                                      "value": True}


WALKS = [(name, size, alpha) for name in sorted(LAYERS) for size in ((32, 32), (97, 64), (224, 224))
         for alpha in ((0.35, 1.0, 1.4) if name == "MobileNetV2" else (1.0,))]


@pytest.mark.parametrize(("class_name", "size", "alpha"), WALKS)
def test_both_visitors_walk_the_architecture_the_shape_rule_describes(class_name: str, size: tuple[int, int],
                                                                      alpha: float) -> None:
    """The weights and cost visitors follow one layer list; both must end where the (separately
    written) output rule says the feature map ends, and the weights must be the spec's count."""
    spec = CATALOG[class_name]
    cfg = {**spec.default_config(), "alpha": alpha} if class_name == "MobileNetV2" else spec.default_config()
    shape = (None, *size, 3)
    _, height, width, channels = spec.output(cfg, [shape])
    weights = apps._Weights(3)
    LAYERS[class_name](weights, cfg)
    walk = apps._Walk(size[0], size[1], 3)
    LAYERS[class_name](walk, cfg)
    assert (walk.h, walk.w, walk.channels) == (height, width, channels)
    assert weights.channels == channels
    assert (weights.trainable, weights.non_trainable) == spec.count(cfg, [shape])
    assert spec.cost is not None and spec.cost(cfg, [shape], (None, height, width, channels)) == (walk.macs, walk.ops)


def test_a_backbone_costs_what_its_own_layers_cost_as_nodes() -> None:
    """VGG16 as a chain of Conv2D and MaxPooling2D nodes costs exactly what its backbone node costs."""
    graph = Graph()
    layers: list[tuple[str, dict[str, object]]] = [("InputLayer", {"batch_shape": [None, 40, 36, 3]})]
    for block in apps._VGG16_BLOCKS:
        layers += [("Conv2D", {"filters": f, "kernel_size": [3, 3], "padding": "same"}) for f in block]
        layers.append(("MaxPooling2D", {}))
    nodes = chain(graph, *layers)
    analysis = analyze(graph)
    spec = CATALOG["VGG16"]
    output = spec.output(spec.default_config(), [(None, 40, 36, 3)])
    assert analysis.nodes[nodes[-1].id].output_shapes == [output]
    macs = ops = 0
    for node in nodes[1:]:
        ins = [analysis.nodes[e.source].output_shapes[0] for e in graph.ordered_in_edges(node.id)]  # type: ignore[index]
        cost = layer_cost(node.class_name, node.config, ins, analysis.nodes[node.id].output_shapes[0])  # type: ignore[index]
        assert cost is not None
        macs, ops = macs + cost[0], ops + cost[1]
    assert layer_cost("VGG16", spec.default_config(), [(None, 40, 36, 3)], output) == (macs, ops)


def test_ranges_keras_saves_as_pairs_are_marked_on_their_params_and_normalised_back() -> None:
    """What the importer undoes comes from Param.saved_range: a number f Keras saved as the pair
    [max(-f, lower), f] (and a pair it sorted), never from a table beside the catalog."""
    from app.keras_bridge.normalize import normalize_config

    assert CATALOG["RandomRotation"].param("factor").saved_range == -1.0  # type: ignore[union-attr]
    assert normalize_config("RandomRotation", {"factor": 0.2})["factor"] == [-0.2, 0.2]
    assert normalize_config("RandomContrast", {"factor": 0.3})["factor"] == [0.0, 0.3]
    assert normalize_config("RandomPosterization", {"factor": 3})["factor"] == [1.0, 3]
    assert normalize_config("RandomErasing", {"factor": [0.4, 0.1], "scale": 0.2}) == {"factor": [0.1, 0.4],
                                                                                      "scale": [0.0, 0.2]}
    assert normalize_config("RandomColorJitter", {"brightness_factor": 0.2})["brightness_factor"] == 0.2
    marked = {name for name, spec in CATALOG.items() if any(p.saved_range is not None for p in spec.params)}
    assert marked <= {name for name, spec in CATALOG.items() if spec.category == "Augmentation"}
    assert {"RandomRotation", "RandomBrightness", "RandomContrast", "Solarization", "AugMix"} <= marked
