"""Model insight: MACs, FLOPs and activation memory checked against hand-computed values.

Conventions under test (see app/core/insight.py): per sample, inference; MACs are weight
multiply-adds without bias; FLOPs = 2 · MACs plus the simple operations of MAC-free layers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core.catalog import CATALOG
from app.core.graph import Graph
from app.core.insight import (
    BATCH_NORM_OPS,
    LAYER_NORM_OPS,
    SOFTMAX_OPS,
    NodeCost,
    format_bytes,
    format_flops,
    format_macs,
    layer_cost,
    model_costs,
    node_cost,
    supported_classes,
)
from app.core.project import load_project
from app.core.shapes import analyze
from tests.unit.helpers import chain

MODELS = sorted(Path(__file__).resolve().parents[2].joinpath("models").glob("*.json"))


def cost_of(input_shape: list[int | None], cls: str, cfg: dict[str, Any], dtype: str = "float32") -> NodeCost:
    """Cost of one layer fed by an Input of the given sample shape."""
    graph = Graph()
    _, node = chain(graph, ("InputLayer", {"batch_shape": [None, *input_shape], "dtype": dtype}), (cls, cfg))
    analysis = analyze(graph)
    assert analysis.nodes[node.id].ok, analysis.problems
    return node_cost(graph, node.id, analysis)


# --- hand-computed layer costs -----------------------------------------------------------------

def test_dense_784_to_128() -> None:
    cost = cost_of([784], "Dense", {"units": 128})
    assert cost.macs == 784 * 128 == 100_352
    assert cost.flops == 2 * 100_352  # bias additions and activation are not counted
    assert cost.params == 100_480
    assert cost.activation_bytes == 128 * 4


def test_dense_on_a_sequence_counts_every_position() -> None:
    cost = cost_of([40, 32], "Dense", {"units": 64, "activation": "relu"})
    assert cost.macs == 40 * 32 * 64


def test_conv2d_valid_padding() -> None:
    cost = cost_of([28, 28, 1], "Conv2D", {"filters": 32, "kernel_size": [3, 3]})
    assert cost.macs == 26 * 26 * 32 * 9 == 194_688
    assert cost.flops == 389_376
    assert cost.activation_bytes == 86_528  # (None, 26, 26, 32) float32


def test_conv2d_groups_and_strides() -> None:
    cost = cost_of([16, 16, 8], "Conv2D", {"filters": 16, "kernel_size": [3, 3], "strides": [2, 2],
                                           "padding": "same", "groups": 2})
    assert cost.macs == 8 * 8 * 16 * 9 * (8 // 2)


def test_conv1d() -> None:
    cost = cost_of([100, 8], "Conv1D", {"filters": 16, "kernel_size": [5]})
    assert cost.macs == 96 * 16 * 5 * 8


def test_depthwise_conv2d() -> None:
    cost = cost_of([10, 10, 8], "DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2})
    assert cost.macs == 8 * 8 * (8 * 2) * 9


def test_separable_conv2d_is_depthwise_plus_pointwise() -> None:
    cost = cost_of([8, 8, 16], "SeparableConv2D", {"filters": 32, "kernel_size": [3, 3]})
    depthwise = 6 * 6 * 16 * 9
    pointwise = 6 * 6 * 16 * 32
    assert cost.macs == depthwise + pointwise == 23_616


def test_conv2d_transpose_spreads_every_input_value() -> None:
    cost = cost_of([7, 7, 16], "Conv2DTranspose", {"filters": 8, "kernel_size": [3, 3], "strides": [2, 2],
                                                   "padding": "same"})
    assert cost.macs == 7 * 7 * 16 * 9 * 8


def test_pooling_counts_window_operations_not_macs() -> None:
    cost = cost_of([26, 26, 32], "MaxPooling2D", {})
    assert (cost.macs, cost.flops) == (0, 13 * 13 * 32 * 4)
    assert cost_of([26, 26, 32], "GlobalAveragePooling2D", {}).flops == 26 * 26 * 32
    assert cost_of([40, 8], "AveragePooling1D", {"pool_size": [4]}).flops == 10 * 8 * 4


def test_normalization_layers_cost_a_few_operations_per_value() -> None:
    # BatchNormalization at inference: subtract mean, divide by std, scale, shift = 4 per value.
    assert BATCH_NORM_OPS == 4
    assert cost_of([10, 10, 4], "BatchNormalization", {}).flops == 1_600
    # LayerNormalization also computes the statistics: 7 per value.
    assert LAYER_NORM_OPS == 7
    layer_norm = cost_of([40, 32], "LayerNormalization", {})
    assert (layer_norm.macs, layer_norm.flops) == (0, 8_960)


def test_embedding_is_a_lookup() -> None:
    cost = cost_of([40], "Embedding", {"input_dim": 1000, "output_dim": 16}, dtype="int32")
    assert (cost.macs, cost.flops) == (0, 0)
    assert cost.activation_bytes == 40 * 16 * 4


def test_lstm_four_gates_times_sequence_length() -> None:
    cost = cost_of([10, 8], "LSTM", {"units": 16})
    assert cost.macs == 10 * 4 * (8 * 16 + 16 * 16) == 15_360  # biases not counted
    assert cost.flops == 30_720


def test_gru_three_gates_whatever_reset_after() -> None:
    after = cost_of([24, 1], "GRU", {"units": 32, "reset_after": True})
    before = cost_of([24, 1], "GRU", {"units": 32, "reset_after": False})
    assert after.macs == before.macs == 24 * 3 * (1 * 32 + 32 * 32) == 76_032
    assert after.params != before.params  # reset_after only adds a second bias


def test_simple_rnn_one_gate() -> None:
    assert cost_of([5, 3], "SimpleRNN", {"units": 4}).macs == 5 * (3 * 4 + 4 * 4)


def test_bidirectional_is_twice_the_wrapped_layer() -> None:
    single = cost_of([10, 8], "LSTM", {"units": 16, "return_sequences": True})
    layer = {"module": "keras.layers", "class_name": "LSTM", "registered_name": None,
             "config": {"units": 16, "return_sequences": True}}
    both = cost_of([10, 8], "Bidirectional", {"layer": layer})
    assert both.macs == 2 * single.macs == 2 * 15_360
    summed = cost_of([10, 8], "Bidirectional", {"layer": layer, "merge_mode": "sum"})
    assert summed.flops == 2 * summed.macs + 10 * 16  # one add per merged value


def test_time_distributed_is_the_inner_layer_per_timestep() -> None:
    layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "config": {"units": 4}}
    assert cost_of([6, 10], "TimeDistributed", {"layer": layer}).macs == 6 * 10 * 4


def test_multi_head_attention_projections_scores_and_output() -> None:
    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 10, 8]})
    mha = graph.add_node("MultiHeadAttention", config={"num_heads": 2, "key_dim": 4})
    graph.connect(inp.id, mha.id, "query")
    graph.connect(inp.id, mha.id, "value")
    analysis = analyze(graph)
    cost = node_cost(graph, mha.id, analysis)
    t = s = 10
    projections = 3 * (t * 8 * 2 * 4)            # query, key, value: 8 -> 2 heads x 4
    attention = 2 * t * s * 4 + 2 * t * s * 4    # Q·Kᵀ and weights·V per head
    output = t * (2 * 4) * 8                     # heads joined and projected back to 8
    assert cost.macs == projections + attention + output == 4_160
    softmax = SOFTMAX_OPS * 2 * t * s
    scale = t * 2 * 4
    assert cost.flops == 2 * 4_160 + softmax + scale


def test_attention_without_projections() -> None:
    assert layer_cost("Attention", {"score_mode": "dot", "use_scale": False},
                      [(None, 5, 4), (None, 7, 4)], (None, 5, 4)) == (5 * 7 * 4 * 2, SOFTMAX_OPS * 35)


def test_merges_are_elementwise_and_concatenate_is_free() -> None:
    shape = (None, 8, 8, 4)
    assert layer_cost("Add", {}, [shape, shape, shape], shape) == (0, 2 * 256)
    assert layer_cost("Average", {}, [shape, shape], shape) == (0, 2 * 256)
    assert layer_cost("Concatenate", {"axis": -1}, [shape, shape], (None, 8, 8, 8)) == (0, 0)
    assert layer_cost("Dot", {"axes": -1, "normalize": False}, [(None, 8), (None, 8)], (None, 1)) == (8, 0)


def test_cheap_layers() -> None:
    assert cost_of([16], "Dropout", {"rate": 0.2}).flops == 0
    assert cost_of([4, 4, 2], "Flatten", {}).flops == 0
    assert cost_of([16], "Activation", {"activation": "relu"}).flops == 16
    assert cost_of([16], "Activation", {"activation": "linear"}).flops == 0
    assert cost_of([10], "Softmax", {}).flops == SOFTMAX_OPS * 10


def test_vgg16_backbone_equals_its_convolutions_by_hand() -> None:
    """32x32x3 input: thirteen 3x3 'same' convs; each block ends in a 2x2 pool."""
    convs = [
        (32, 3, 64), (32, 64, 64),
        (16, 64, 128), (16, 128, 128),
        (8, 128, 256), (8, 256, 256), (8, 256, 256),
        (4, 256, 512), (4, 512, 512), (4, 512, 512),
        (2, 512, 512), (2, 512, 512), (2, 512, 512),
    ]
    macs = sum(side * side * cout * 9 * cin for side, cin, cout in convs)
    pools = sum(side * side * c * 4 for side, c in ((16, 64), (8, 128), (4, 256), (2, 512), (1, 512)))
    cost = cost_of([32, 32, 3], "VGG16", {})
    assert cost.macs == macs
    assert cost.flops == 2 * macs + pools


def test_mobilenet_v2_matches_the_published_multiply_adds() -> None:
    """The paper reports about 300M multiply-adds at 224x224 (its 1.28M-MAC classifier included)."""
    macs = cost_of([224, 224, 3], "MobileNetV2", {}).macs
    assert macs is not None and 297_000_000 < macs < 301_000_000


@pytest.mark.parametrize("cls", ["MobileNetV2", "ResNet50", "VGG16", "DenseNet121", "EfficientNetB0"])
def test_backbones_with_variable_image_size_are_unknown(cls: str) -> None:
    cost = cost_of([None, None, 3], cls, {})
    assert cost.macs is None and cost.flops is None
    assert cost.activation_bytes is None


# --- unknowns, dtypes, totals ---------------------------------------------------------------------

def test_unknown_sequence_length_is_unknown_not_zero() -> None:
    cost = cost_of([None, 8], "LSTM", {"units": 16})
    assert (cost.macs, cost.flops, cost.activation_bytes) == (None, None, 16 * 4)


def test_interpolation_without_a_rule_is_unknown() -> None:
    cost = cost_of([8, 8, 3], "UpSampling2D", {"interpolation": "lanczos3"})
    assert cost.flops is None
    assert cost_of([8, 8, 3], "UpSampling2D", {"interpolation": "nearest"}).flops == 0


def test_activation_memory_follows_the_dtype() -> None:
    assert cost_of([10], "Dense", {"units": 8, "dtype": "float16"}).activation_bytes == 16
    assert cost_of([10], "Dense", {"units": 8, "dtype": "mixed_bfloat16"}).activation_bytes == 16
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": None}
    assert layer_cost("Dense", {"units": 8}, [(None, 10)], (None, 8)) == (80, 0)
    graph = Graph()
    _, dense = chain(graph, ("InputLayer", {"batch_shape": [None, 10]}), ("Dense", {"units": 8}))
    graph.set_param(dense.id, "dtype", policy)  # a serialized policy, as Keras writes it
    assert node_cost(graph, dense.id, analyze(graph)).activation_bytes == 64


def test_int_inputs_and_string_inputs() -> None:
    graph = Graph()
    ints = graph.add_node("InputLayer", config={"batch_shape": [None, 40], "dtype": "int32"})
    text = graph.add_node("InputLayer", config={"batch_shape": [None, 1], "dtype": "string"})
    analysis = analyze(graph)
    assert node_cost(graph, ints.id, analysis).activation_bytes == 160
    assert node_cost(graph, text.id, analysis).activation_bytes is None


def test_totals_are_the_sum_and_unknown_layers_are_named() -> None:
    graph = Graph()
    inp, conv, pool, flat, dense = chain(
        graph,
        ("InputLayer", {"batch_shape": [None, 28, 28, 1]}),
        ("Conv2D", {"filters": 32, "kernel_size": [3, 3]}),
        ("MaxPooling2D", {}),
        ("Flatten", {}),
        ("Dense", {"units": 10}),
    )
    analysis = analyze(graph)
    costs = model_costs(graph, analysis)
    assert costs.complete and costs.unknown == []
    assert set(costs.per_node) == {inp.id, conv.id, pool.id, flat.id, dense.id}
    assert costs.total_macs == 194_688 + 13 * 13 * 32 * 10
    assert costs.total_flops == sum(c.flops or 0 for c in costs.per_node.values())
    assert costs.total_flops == 2 * costs.total_macs + 13 * 13 * 32 * 4
    assert costs.total_activation_bytes == 4 * (784 + 21_632 + 5_408 + 5_408 + 10)

    graph.set_param(conv.id, "kernel_size", [30, 30])  # does not fit: the shape is an error
    broken = model_costs(graph, analyze(graph))
    assert broken.unknown == [conv.name, pool.name, flat.name, dense.name]
    assert not broken.complete
    assert broken.per_node[conv.id].flops is None and broken.per_node[conv.id].activation_bytes is None
    assert broken.total_activation_bytes == 784 * 4


def test_a_layer_without_a_rule_is_unknown() -> None:
    graph = Graph()
    inp, odd = chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("NotALayer", {}))
    costs = model_costs(graph, analyze(graph))
    assert costs.unknown == ["notalayer"]
    assert costs.per_node[inp.id].known
    assert layer_cost("NotALayer", {}, [(None, 4)], (None, 4)) is None


def test_every_example_model_has_known_costs() -> None:
    for path in MODELS:
        graph = load_project(path).graph
        analysis = analyze(graph)
        costs = model_costs(graph, analysis)
        assert costs.complete, (path.name, costs.unknown)
        assert costs.total_flops > 0
        for node_id, cost in costs.per_node.items():
            assert cost.params == analysis.nodes[node_id].params


def test_every_catalog_layer_has_a_cost_rule() -> None:
    assert set(CATALOG) <= supported_classes()


# --- formatting ---------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "text"), [
    (None, "?"), (0, "0 FLOPs"), (999, "999 FLOPs"), (1_000, "1.0 KFLOPs"), (389_376, "389.4 KFLOPs"),
    (1_234_567, "1.2 MFLOPs"), (999_960, "1.0 MFLOPs"), (7_700_000_000, "7.7 GFLOPs"),
])
def test_format_flops(n: int | None, text: str) -> None:
    assert format_flops(n) == text


def test_format_macs() -> None:
    assert format_macs(100_352) == "100.4 KMACs"


@pytest.mark.parametrize(("n", "text"), [
    (None, "?"), (512, "512 B"), (1024, "1.0 KB"), (86_528, "84.5 KB"), (3_250_586, "3.1 MB"),
    (5 * 1024**3, "5.0 GB"),
])
def test_format_bytes(n: int | None, text: str) -> None:
    assert format_bytes(n) == text


def test_insight_and_explain_import_no_qt_keras_or_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "import app.core.insight, app.core.explain\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'shiboken6', 'pyqtgraph', 'keras', 'tensorflow'})\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
