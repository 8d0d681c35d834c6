"""Layer help: catalog teaching text plus sentences with a node's real numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.core import explain
from app.core.catalog import CATALOG
from app.core.explain import Explanation, explain_layer, explain_node, quoted_params
from app.core.graph import Graph
from app.core.project import load_project
from app.core.shapes import analyze
from tests.unit.helpers import chain

MODELS = sorted(Path(__file__).resolve().parents[2].joinpath("models").glob("*.json"))

GENERIC = re.compile(r"[^:]*: (no parameters|[\d,]+ parameters?)( \([\d,]+ trainable, [\d,]+ non-trainable\))?")
"""The fallback sentence: shapes and a count, nothing layer-specific."""


def explained(input_shape: list[int | None], *layers: tuple[str, dict[str, Any]],
              dtype: str = "float32") -> Explanation:
    """Explain the last of ``layers``, fed by an Input of the given sample shape."""
    graph = Graph()
    nodes = chain(graph, ("InputLayer", {"batch_shape": [None, *input_shape], "dtype": dtype}), *layers)
    return explain_node(graph, nodes[-1].id, analyze(graph))


def lstm_value(units: int, **config: Any) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "LSTM", "registered_name": None,
            "config": {"units": units, **config}}


# --- the sentences, exactly -------------------------------------------------------------------

def test_conv2d_sentence() -> None:
    e = explained([28, 28, 1], ("Conv2D", {"filters": 32, "kernel_size": [3, 3]}))
    assert e.numbers[0] == "(None, 28, 28, 1) -> (None, 26, 26, 32): 32 filters x (3x3x1 + 1 bias) = 320 parameters"
    assert e.numbers[1] == "With padding 'valid', height and width are each floor((28 − 3) / 1) + 1 = 26."
    assert e.numbers[2] == ("One sample costs 194,688 multiply-adds (389.4 KFLOPs); its output is 21,632 float32 "
                            "values = 84.5 KB per sample.")


def test_conv2d_without_bias_and_with_groups() -> None:
    e = explained([8, 8, 4], ("Conv2D", {"filters": 6, "kernel_size": [3, 3], "use_bias": False, "groups": 2,
                                         "padding": "same", "strides": [2, 2]}))
    assert e.numbers[0] == "(None, 8, 8, 4) -> (None, 4, 4, 6): 6 filters x 3x3x2 = 108 parameters"
    assert "each filter sees 2 of the 4 input channels" in e.numbers[1]
    assert e.numbers[2] == "With padding 'same', height and width are each ceil(8 / 2) = 4."


def test_dense_sentence() -> None:
    e = explained([784], ("Dense", {"units": 128}))
    assert e.numbers[0] == "(None, 784) -> (None, 128): 784 x 128 weights + 128 biases = 100,480 parameters"
    assert e.title == "dense (Dense)"
    assert e.summary == CATALOG["Dense"].doc.summary and e.formula == CATALOG["Dense"].doc.formula


def test_dense_single_unit_and_sequences() -> None:
    assert explained([16], ("Dense", {"units": 1})).numbers[0] == (
        "(None, 16) -> (None, 1): 16 x 1 weights + 1 bias = 17 parameters")
    e = explained([40, 32], ("Dense", {"units": 64}))
    assert e.numbers[1] == "The same weights are applied at each of the 40 positions; only the last axis changes."


def test_lstm_sentence() -> None:
    e = explained([10, 8], ("LSTM", {"units": 16}))
    assert e.numbers[0] == ("(None, 10, 8) -> (None, 16): 4 gates x (input 8 + units 16 + 1 bias) x 16 units "
                            "= 1,600 parameters")
    assert "only the last step's 16 values come out" in e.numbers[1]
    assert "15,360 multiply-adds" in e.numbers[2]


def test_gru_sentences_mind_reset_after() -> None:
    after = explained([24, 1], ("GRU", {"units": 32}))
    assert after.numbers[0] == ("(None, 24, 1) -> (None, 32): 3 gates x (input 1 + units 32 + 2 biases) x 32 units "
                                "= 3,360 parameters")
    before = explained([24, 1], ("GRU", {"units": 32, "reset_after": False, "return_sequences": True}))
    assert before.numbers[0].endswith("3 gates x (input 1 + units 32 + 1 bias) x 32 units = 3,264 parameters")
    assert "(return_sequences=True)" in before.numbers[1]


def test_simple_rnn_and_bidirectional() -> None:
    rnn = explained([5, 3], ("SimpleRNN", {"units": 4, "use_bias": False}))
    assert rnn.numbers[0] == "(None, 5, 3) -> (None, 4): (input 3 + units 4) x 4 units = 28 parameters"
    bi = explained([40, 32], ("Bidirectional", {"layer": lstm_value(24, return_sequences=True)}))
    assert bi.numbers[0] == ("(None, 40, 32) -> (None, 40, 48): two LSTM layers, one reading forwards and one "
                             "backwards: 2 x 4 gates x (input 32 + units 24 + 1 bias) x 24 units = 10,944 parameters")
    assert bi.numbers[1] == "merge_mode 'concat' puts both directions side by side: 2 x 24 = 48 features."


def test_pooling_sentences() -> None:
    e = explained([26, 26, 32], ("MaxPooling2D", {}))
    assert e.numbers[0] == ("(None, 26, 26, 32) -> (None, 13, 13, 32): each 2x2 window keeps its largest value; "
                            "no parameters")
    avg = explained([10, 8], ("AveragePooling1D", {"pool_size": [3], "strides": [2]}))
    assert avg.numbers[0] == ("(None, 10, 8) -> (None, 4, 8): each window of 3 steps (moved 2 at a time) is replaced "
                              "by its average; no parameters")
    assert avg.numbers[1] == "With padding 'valid', the length is floor((10 − 3) / 2) + 1 = 4."
    glob = explained([7, 7, 32], ("GlobalAveragePooling2D", {}))
    assert glob.numbers[0] == ("(None, 7, 7, 32) -> (None, 32): each of the 32 channels is averaged over all 7x7 "
                               "positions; no parameters")


def test_dropout_sentence() -> None:
    e = explained([16], ("Dropout", {"rate": 0.2}))
    assert e.numbers[0] == "(None, 16) -> (None, 16): drops 20% of the values while training; nothing at inference; " \
        "no parameters"
    assert e.numbers[1].startswith("It does no arithmetic at inference")


def test_batch_normalization_sentence_splits_trainable_and_statistics() -> None:
    e = explained([28, 28, 32], ("BatchNormalization", {}))
    assert e.numbers[0] == (
        "(None, 28, 28, 32) -> (None, 28, 28, 32): for each of the 32 entries of axis -1, gamma and beta are learned "
        "(32 x 2 = 64), the moving mean and moving variance are not (32 x 2 = 64): 64 + 64 = 128 parameters")


def test_layer_normalization_sentence() -> None:
    e = explained([40, 32], ("LayerNormalization", {}))
    assert e.numbers[0] == ("(None, 40, 32) -> (None, 40, 32): each of the 40 positions is normalized over its 32 "
                            "values (axis -1); 32 x (gamma + beta) = 64 parameters")


def test_embedding_sentence() -> None:
    e = explained([40], ("Embedding", {"input_dim": 2000, "output_dim": 32}), dtype="int32")
    assert e.numbers[0] == ("(None, 40) -> (None, 40, 32): a table of 2,000 rows (one per token id) x 32 values "
                            "= 64,000 parameters")
    assert e.numbers[1] == "Each of the 40 token ids picks its row: 40 x 32 values per sample."


def test_flatten_sentence() -> None:
    e = explained([5, 5, 16], ("Flatten", {}))
    assert e.numbers[0] == "(None, 5, 5, 16) -> (None, 400): 5 x 5 x 16 = 400 values per sample; no parameters"


def test_concatenate_sentence() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", config={"batch_shape": [None, 16]})
    b = graph.add_node("InputLayer", config={"batch_shape": [None, 4]})
    joined = graph.add_node("Concatenate")
    graph.connect(a.id, joined.id, "inputs")
    graph.connect(b.id, joined.id, "inputs")
    e = explain_node(graph, joined.id, analyze(graph))
    assert e.numbers[0] == "(None, 16) + (None, 4) -> (None, 20): joined along axis -1, so 16 + 4 = 20; no parameters"


def test_multi_head_attention_sentence() -> None:
    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 40, 32]})
    mha = graph.add_node("MultiHeadAttention", config={"num_heads": 2, "key_dim": 16})
    graph.connect(inp.id, mha.id, "query")
    graph.connect(inp.id, mha.id, "value")
    e = explain_node(graph, mha.id, analyze(graph))
    assert e.numbers[0] == (
        "query (None, 40, 32), value (None, 40, 32) -> (None, 40, 32): 2 heads x key_dim 16: query 32 x 32 + key "
        "32 x 32 + value 32 x 32 + output 32 x 32 weights + 128 biases = 4,224 parameters")
    assert e.numbers[1].endswith("3,200 attention weights per sample.")


def test_separable_and_depthwise_sentences() -> None:
    sep = explained([8, 8, 16], ("SeparableConv2D", {"filters": 32, "kernel_size": [3, 3]}))
    assert sep.numbers[0] == ("(None, 8, 8, 16) -> (None, 6, 6, 32): depthwise 3x3 x 16 channels + pointwise "
                              "16 x 32 + 32 biases = 688 parameters")
    dw = explained([8, 8, 16], ("DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2}))
    assert dw.numbers[0] == "(None, 8, 8, 16) -> (None, 6, 6, 32): 16 channels x 2 x (3x3 + 1 bias) = 320 parameters"


def test_input_sentence() -> None:
    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 28, 28, 1]})
    e = explain_node(graph, inp.id, analyze(graph))
    assert e.numbers[0] == ("(None, 28, 28, 1): each sample holds 28 x 28 x 1 = 784 values of type float32; the batch "
                            "size (None) is set when data flows; no parameters")


def test_generic_fallback_uses_shapes_and_counts() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", config={"batch_shape": [None, 8]})
    b = graph.add_node("InputLayer", config={"batch_shape": [None, 8]})
    dot = graph.add_node("Dot")
    graph.connect(a.id, dot.id, "inputs")
    graph.connect(b.id, dot.id, "inputs")
    e = explain_node(graph, dot.id, analyze(graph))
    assert e.numbers[0] == "(None, 8) + (None, 8) -> (None, 1): no parameters"
    assert e.numbers[1].startswith("One sample costs 8 multiply-adds")
    assert e.summary == CATALOG["Dot"].doc.summary


def test_more_layer_sentences() -> None:
    assert explained([10], ("UnitNormalization", {})).numbers[0] == (
        "(None, 10) -> (None, 10): scales each vector along axis -1 to length 1; no parameters")
    assert explained([8, 8, 3], ("ZeroPadding2D", {"padding": [[1, 2], [0, 3]]})).numbers[0] == (
        "(None, 8, 8, 3) -> (None, 11, 11, 3): adds zeros around each image: 1 + 2 rows and 0 + 3 columns; "
        "no parameters")
    assert explained([16], ("RepeatVector", {"n": 3})).numbers[0] == (
        "(None, 16) -> (None, 3, 16): the 16 values are repeated 3 times; no parameters")


def test_attention_quotes_its_single_scale() -> None:
    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 5, 4]})
    att = graph.add_node("Attention", config={"use_scale": True})
    graph.connect(inp.id, att.id, "query")
    graph.connect(inp.id, att.id, "value")
    e = explain_node(graph, att.id, analyze(graph))
    assert e.numbers[0] == ("query (None, 5, 4), value (None, 5, 4) -> (None, 5, 4): each of the 5 query positions "
                            "takes a weighted average of the 5 values; 1 parameter")


def test_frozen_layer_says_so() -> None:
    e = explained([4], ("Dense", {"units": 2, "trainable": False}))
    assert e.numbers[0].endswith("= 10 parameters")
    assert e.numbers[-1] == "trainable is off: all 10 parameters stay frozen while training."


def test_a_sentence_that_disagrees_with_the_analysis_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(explain._BUILDERS, "Dense", lambda ctx: ("(None, 4) -> (None, 2): 4 x 2 = 8 parameters", 8))
    e = explained([4], ("Dense", {"units": 2}))
    assert e.numbers[0] == "(None, 4) -> (None, 2): 10 parameters"

    def broken(ctx: Any) -> list[str]:
        raise KeyError("units")

    monkeypatch.setitem(explain._BUILDERS, "Dense", broken)
    assert explained([4], ("Dense", {"units": 2})).numbers[0] == "(None, 4) -> (None, 2): 10 parameters"


def test_node_with_a_shape_error_is_explained_without_numbers() -> None:
    graph = Graph()
    _, conv, dense = chain(graph, ("InputLayer", {"batch_shape": [None, 784]}),
                           ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}), ("Dense", {"units": 2}))
    analysis = analyze(graph)
    e = explain_node(graph, conv.id, analysis)
    assert e.summary == CATALOG["Conv2D"].doc.summary
    assert e.numbers[0].startswith("Its shapes are not known yet.") and "Conv2D expects a 4-D input" in e.numbers[0]
    after = explain_node(graph, dense.id, analysis)
    assert after.numbers == ["Its shapes are not known until the problems in the layers before it are fixed."]


def test_unknown_class() -> None:
    graph = Graph()
    _, odd = chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("NotALayer", {}))
    e = explain_node(graph, odd.id, analyze(graph))
    assert "not a layer Layerforge supports" in e.summary
    assert "not a layer Layerforge supports" in e.numbers[0]
    assert explain_layer("NotALayer").numbers == []


@pytest.mark.parametrize("class_name", sorted(CATALOG))
def test_every_palette_entry_has_its_catalog_text(class_name: str) -> None:
    e = explain_layer(class_name)
    doc = CATALOG[class_name].doc
    assert (e.summary, e.formula, e.shape_text, e.use, e.mistake) == (doc.summary, doc.formula, doc.shape, doc.use,
                                                                      doc.mistake)
    assert e.summary and e.title == CATALOG[class_name].title and e.numbers == []


# --- whole models ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_example_node_is_explained_with_the_analysis_counts(path: Path) -> None:
    graph = load_project(path).graph
    analysis = analyze(graph)
    for node in graph.nodes():
        e = explain_node(graph, node.id, analysis)
        info = analysis.nodes[node.id]
        assert e.summary, node.name
        assert quoted_params(e.numbers[0]) == info.trainable + info.non_trainable, (node.name, e.numbers[0])
        if node.class_name in explain._BUILDERS:
            assert not GENERIC.fullmatch(e.numbers[0]), f"{node.name}: fell back to {e.numbers[0]!r}"
        assert any("per sample" in s for s in e.numbers), node.name


IMAGE, SEQUENCE, FLAT, PHOTO = [12, 12, 3], [6, 4], [16], [32, 32, 3]


@pytest.mark.parametrize("class_name", sorted(CATALOG))
def test_every_catalog_layer_with_defaults_gets_its_own_sentence(class_name: str) -> None:
    """Each layer at Keras defaults on the first input kind it accepts: the sentence matches the
    analysis, and layers with their own builder do not fall back to the generic text."""
    if class_name == "InputLayer":
        pytest.skip("covered by test_input_sentence")
    spec = CATALOG[class_name]
    for shape in (PHOTO, IMAGE, SEQUENCE, FLAT) if spec.is_application else (IMAGE, SEQUENCE, FLAT):
        graph = Graph()
        inp = graph.add_node("InputLayer", config={"batch_shape": [None, *shape]})
        node = graph.add_node(class_name)
        for port in spec.ports:
            for _ in range(port.min_count if port.variadic else 0 if port.optional else 1):
                graph.connect(inp.id, node.id, port.name)
        analysis = analyze(graph)
        if analysis.nodes[node.id].ok:
            break
    else:
        pytest.skip(f"{class_name} takes none of the test inputs at its defaults")
    e = explain_node(graph, node.id, analysis)
    assert quoted_params(e.numbers[0]) == analysis.nodes[node.id].params, e.numbers[0]
    if class_name in explain._BUILDERS:
        assert not GENERIC.fullmatch(e.numbers[0]), e.numbers[0]


def test_quoted_params() -> None:
    assert quoted_params("a = 1,600 parameters") == 1600
    assert quoted_params("x; no parameters") == 0
    assert quoted_params("one = 1 parameter") == 1
    assert quoted_params("nothing here") is None
