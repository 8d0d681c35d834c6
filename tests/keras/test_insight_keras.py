"""The insight engine with real Keras: activations checked against numpy, attention, Grad-CAM,
histograms with dead ReLU units, the decision grid, and a bundled example with its dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import load_project
from app.core.shapes import analyze
from app.core.training_settings import with_defaults
from app.data import load_dataset, prepare, split_dataset
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.insight import (
    ActivationProbe,
    GradCamError,
    activation_histograms,
    class_of,
    decision_grid,
    grad_cam,
    grid_points,
    is_two_input_classifier,
    last_conv_layer,
    sample_count,
    sample_inputs,
    untrained_model,
    weight_histograms,
)

MODELS = Path(__file__).resolve().parents[2] / "models"


def chain(*layers: tuple[str, str, dict], input_shape: list) -> Graph:
    """Input -> layer -> layer ..., each (class_name, name, config)."""
    graph = Graph()
    previous = graph.add_node("InputLayer", name="x", config={"batch_shape": [None, *input_shape]})
    for class_name, name, config in layers:
        node = graph.add_node(class_name, name=name, config=config)
        graph.connect(previous.id, node.id)
        previous = node
    return graph


def ids(graph: Graph) -> dict[str, str]:
    return {n.name: n.id for n in graph.nodes()}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- activations ---------------------------------------------------------------------------------

def test_dense_activations_equal_numpy_from_the_layer_weights() -> None:
    graph = chain(("Dense", "hidden", {"units": 5, "activation": "relu"}),
                  ("Dense", "scores", {"units": 3, "activation": "softmax"}), input_shape=[4])
    model = untrained_model(graph, seed=3)
    probe = ActivationProbe(model, graph)
    node = ids(graph)
    assert probe.order == [node["x"], node["hidden"], node["scores"]]
    x = np.random.default_rng(0).normal(size=4).astype("float32")
    result = probe.run(x)  # no batch axis: the probe adds it
    w1, b1 = model.get_layer("hidden").get_weights()
    w2, b2 = model.get_layer("scores").get_weights()
    hidden = np.maximum(x @ w1 + b1, 0)
    np.testing.assert_allclose(result[node["x"]].value, x)
    np.testing.assert_allclose(result[node["hidden"]].value, hidden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result[node["scores"]].value, softmax(hidden @ w2 + b2), rtol=1e-5, atol=1e-6)
    assert [a.kind for a in result.values()] == ["vector", "vector", "vector"]
    assert result[node["scores"]].class_name == "Dense" and result[node["scores"]].name == "scores"
    # a dict by Input name with a batch of several gives the first sample
    batch = np.stack([x, -x])
    again = probe.run({"x": batch})
    np.testing.assert_allclose(again[node["hidden"]].value, hidden, rtol=1e-5, atol=1e-6)
    # the same seed gives the same untrained weights
    np.testing.assert_array_equal(untrained_model(graph, seed=3).get_layer("hidden").get_weights()[0], w1)


def test_conv2d_activation_equals_a_hand_convolution_and_kinds_follow_rank() -> None:
    graph = chain(("Conv2D", "conv", {"filters": 2, "kernel_size": [3, 3], "activation": "linear"}),
                  ("Flatten", "flatten", {}),
                  ("Dense", "out", {"units": 3, "activation": "softmax"}), input_shape=[5, 5, 1])
    model = compile_graph(graph)
    kernel = np.arange(18, dtype="float32").reshape(3, 3, 1, 2) / 10 - 0.8
    bias = np.array([0.5, -1.0], dtype="float32")
    model.get_layer("conv").set_weights([kernel, bias])
    image = np.random.default_rng(1).uniform(size=(5, 5, 1)).astype("float32")
    result = ActivationProbe(model, graph).run(image[np.newaxis])
    node = ids(graph)
    expected = np.zeros((3, 3, 2), dtype="float32")
    for i in range(3):
        for j in range(3):
            for f in range(2):
                expected[i, j, f] = np.sum(image[i:i + 3, j:j + 3, 0] * kernel[:, :, 0, f]) + bias[f]
    np.testing.assert_allclose(result[node["conv"]].value, expected, rtol=1e-5, atol=1e-5)
    assert {name: result[node[name]].kind for name in ("x", "conv", "flatten", "out")} == {
        "x": "image", "conv": "image", "flatten": "vector", "out": "vector"}
    assert result[node["flatten"]].value.shape == (18,)
    assert result[node["out"]].value.sum() == pytest.approx(1.0, abs=1e-5)


def test_lstm_sequences_are_sequence_and_a_single_unit_is_scalar() -> None:
    graph = chain(("LSTM", "lstm", {"units": 4, "return_sequences": True}),
                  ("GlobalAveragePooling1D", "pool", {}),
                  ("Dense", "score", {"units": 1, "activation": "sigmoid"}), input_shape=[6, 3])
    model = untrained_model(graph, seed=0)
    x = np.random.default_rng(2).normal(size=(6, 3)).astype("float32")
    result = ActivationProbe(model, graph).run(x)
    node = ids(graph)
    lstm = result[node["lstm"]]
    assert lstm.kind == "sequence" and lstm.value.shape == (6, 4)
    assert result[node["x"]].kind == "sequence"
    assert result[node["pool"]].kind == "vector"
    np.testing.assert_allclose(result[node["pool"]].value, lstm.value.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert result[node["score"]].kind == "scalar" and result[node["score"]].value.shape == (1,)
    # the compiled and the eager pass agree
    eager = ActivationProbe(model, graph, compiled=False).run(x)
    np.testing.assert_allclose(eager[node["lstm"]].value, lstm.value, rtol=1e-5, atol=1e-6)


def test_multi_head_attention_weights_match_the_projections_and_rows_sum_to_one() -> None:
    graph = Graph()
    x = graph.add_node("InputLayer", name="x", config={"batch_shape": [None, 5, 8]})
    mha = graph.add_node("MultiHeadAttention", name="attention", config={"num_heads": 2, "key_dim": 4})
    pool = graph.add_node("GlobalAveragePooling1D", name="pool", config={})
    graph.connect(x.id, mha.id, "query")
    graph.connect(x.id, mha.id, "value")
    graph.connect(mha.id, pool.id)
    model = untrained_model(graph, seed=1)
    tokens = np.random.default_rng(3).normal(size=(5, 8)).astype("float32")
    result = ActivationProbe(model, graph).run(tokens)
    attention = result[mha.id]
    assert attention.kind == "attention" and attention.value.shape == (5, 8)
    assert attention.attention is not None and attention.attention.shape == (2, 5, 5)
    np.testing.assert_allclose(attention.attention.sum(axis=-1), np.ones((2, 5)), atol=1e-5)
    layer = model.get_layer("attention")
    wq, bq = (np.asarray(v) for v in (layer.query_dense.kernel, layer.query_dense.bias))
    wk, bk = (np.asarray(v) for v in (layer.key_dense.kernel, layer.key_dense.bias))
    q = np.einsum("tf,fhd->htd", tokens, wq) + bq[:, np.newaxis, :]
    k = np.einsum("tf,fhd->htd", tokens, wk) + bk[:, np.newaxis, :]
    expected = softmax(np.einsum("hqd,hkd->hqk", q, k) / np.sqrt(4))
    np.testing.assert_allclose(attention.attention, expected, rtol=1e-4, atol=1e-5)
    # asking for the scores left the model's graph alone: the layer still has exactly one call
    assert tuple(layer.output.shape) == (None, 5, 8)
    assert result[x.id].kind == "sequence" and result[pool.id].kind == "vector"


def test_attention_weights_respect_the_padding_mask_of_an_embedding() -> None:
    graph = Graph()
    tokens = graph.add_node("InputLayer", name="tokens", config={"batch_shape": [None, 6], "dtype": "int32"})
    embed = graph.add_node("Embedding", name="embed", config={"input_dim": 20, "output_dim": 8, "mask_zero": True})
    mha = graph.add_node("MultiHeadAttention", name="attention", config={"num_heads": 2, "key_dim": 4})
    graph.connect(tokens.id, embed.id)
    graph.connect(embed.id, mha.id, "query")
    graph.connect(embed.id, mha.id, "value")
    model = untrained_model(graph, seed=0)
    weights = ActivationProbe(model, graph).run(np.array([3, 7, 5, 2, 0, 0]))[mha.id].attention
    assert weights is not None and weights.shape == (2, 6, 6)
    np.testing.assert_allclose(weights[:, :4, 4:], 0.0)  # real tokens never attend to padding
    np.testing.assert_allclose(weights[:, :4].sum(axis=-1), np.ones((2, 4)), atol=1e-5)


# --- Grad-CAM ------------------------------------------------------------------------------------

def square_detector() -> tuple[object, np.ndarray]:
    """A CNN whose class 1 is driven only by brightness in the top-left quadrant, and an image with
    a bright square there."""
    graph = chain(("Conv2D", "conv", {"filters": 2, "kernel_size": [2, 2], "strides": [2, 2], "activation": "relu"}),
                  ("Flatten", "flatten", {}),
                  ("Dense", "scores", {"units": 2, "activation": "softmax"}), input_shape=[16, 16, 1])
    model = compile_graph(graph)
    kernel = np.zeros((2, 2, 1, 2), dtype="float32")
    kernel[..., 0], kernel[..., 1] = 0.25, -0.25
    model.get_layer("conv").set_weights([kernel, np.zeros(2, dtype="float32")])
    dense = np.zeros((8, 8, 2, 2), dtype="float32")
    dense[:4, :4, 0, 1] = 1.0  # class 1 reads filter 0 in the top-left quadrant of the 8x8 maps
    model.get_layer("scores").set_weights([dense.reshape(128, 2), np.array([2.0, 0.0], dtype="float32")])
    image = np.zeros((16, 16, 1), dtype="float32")
    image[2:6, 2:6] = 1.0
    return model, image


def test_grad_cam_finds_the_square_that_drives_the_class() -> None:
    model, image = square_detector()
    assert last_conv_layer(model) == "conv"
    cam = grad_cam(model, image)
    assert cam.class_index == 1 and cam.layer_name == "conv"
    assert cam.heatmap.shape == (16, 16)
    assert cam.heatmap.min() >= 0.0 and cam.heatmap.max() == pytest.approx(1.0)
    row, col = np.unravel_index(np.argmax(cam.heatmap), cam.heatmap.shape)
    assert row < 8 and col < 8
    assert cam.heatmap[8:, :].max() == 0.0 and cam.heatmap[:, 8:].max() == 0.0
    assert cam.probabilities.shape == (2,) and cam.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert int(np.argmax(cam.probabilities)) == 1
    # the square argues against class 0: nothing is left after the ReLU
    other = grad_cam(model, image[np.newaxis], class_index=0)
    assert other.class_index == 0 and other.heatmap.max() == 0.0
    assert cam.output_count == 1 and cam.output_name == "scores" and cam.output_note == ""


def test_grad_cam_on_two_outputs_explains_the_first_and_says_so() -> None:
    """The square detector with a second head (a regression unit) after the same features."""
    single, image = square_detector()
    graph = chain(("Conv2D", "conv", {"filters": 2, "kernel_size": [2, 2], "strides": [2, 2], "activation": "relu"}),
                  ("Flatten", "flatten", {}),
                  ("Dense", "scores", {"units": 2, "activation": "softmax"}), input_shape=[16, 16, 1])
    extra = graph.add_node("Dense", name="size", config={"units": 1})
    graph.connect(ids(graph)["flatten"], extra.id)
    model = compile_graph(graph)
    assert [str(n) for n in model.output_names] == ["scores", "size"]
    for name in ("conv", "scores"):
        model.get_layer(name).set_weights(single.get_layer(name).get_weights())
    cam = grad_cam(model, image)
    reference = grad_cam(single, image)
    assert cam.output_count == 2 and cam.output_name == "scores"
    assert cam.output_note == "The model has 2 outputs; Grad-CAM explains the first one, scores."
    assert cam.class_index == 1
    np.testing.assert_allclose(cam.heatmap, reference.heatmap, atol=1e-6)
    np.testing.assert_allclose(cam.probabilities, reference.probabilities, atol=1e-6)


def test_grad_cam_errors_say_why() -> None:
    model, image = square_detector()
    with pytest.raises(GradCamError, match=r"class 2 does not exist.*2 classes"):
        grad_cam(model, image, class_index=2)
    with pytest.raises(GradCamError, match="image is"):
        grad_cam(model, np.zeros((8, 8, 1)))
    dense = compile_graph(chain(("Dense", "out", {"units": 3, "activation": "softmax"}), input_shape=[4]))
    with pytest.raises(GradCamError, match="image models"):
        grad_cam(dense, np.zeros(4))
    flat = compile_graph(chain(("Flatten", "flatten", {}), ("Dense", "out", {"units": 3, "activation": "softmax"}),
                               input_shape=[6, 6, 1]))
    assert last_conv_layer(flat) is None
    with pytest.raises(GradCamError, match="convolution"):
        grad_cam(flat, np.zeros((6, 6, 1)))
    two = compile_graph(load_project(MODELS / "two_input_concat.json").graph)
    with pytest.raises(GradCamError, match=r"one image input.*has 2"):
        grad_cam(two, np.zeros((4, 4, 1)))


def test_grad_cam_reads_after_batch_norm_and_activation_and_handles_one_sigmoid_unit() -> None:
    graph = chain(("Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3], "padding": "same"}),
                  ("BatchNormalization", "bn", {}),
                  ("Activation", "act", {"activation": "relu"}), ("MaxPooling2D", "pool", {}),
                  ("GlobalAveragePooling2D", "gap", {}), ("Dense", "p", {"units": 1, "activation": "sigmoid"}),
                  input_shape=[10, 10, 3])
    model = untrained_model(graph, seed=2)
    assert last_conv_layer(model) == "act"  # past BN and ReLU, not past the pooling that halves the map
    image = np.random.default_rng(7).uniform(size=(10, 10, 3)).astype("float32")
    p = float(model(image[np.newaxis], training=False)[0, 0])
    cam = grad_cam(model, image)
    np.testing.assert_allclose(cam.probabilities, [1 - p, p], rtol=1e-5)
    assert cam.class_index == int(p > 0.5) and cam.heatmap.shape == (10, 10)
    one, zero = grad_cam(model, image, class_index=1), grad_cam(model, image, class_index=0)
    # the two classes pull in opposite directions: where one map is hot the other is cold (the maps are
    # the image's size, so no resizing blurs them)
    assert one.heatmap.max() == pytest.approx(1.0) or zero.heatmap.max() == pytest.approx(1.0)
    assert np.all((one.heatmap == 0) | (zero.heatmap == 0))
    assert grad_cam(model, image, layer_name="pool").heatmap.shape == (10, 10)
    with pytest.raises(GradCamError, match="not 2-D feature maps"):
        grad_cam(model, image, layer_name="gap")


# --- histograms ----------------------------------------------------------------------------------

def test_weight_histograms_count_every_kernel_value() -> None:
    graph = chain(("Conv2D", "conv", {"filters": 3, "kernel_size": [3, 3]}), ("Flatten", "flatten", {}),
                  ("Dense", "out", {"units": 4}), input_shape=[6, 6, 2])
    model = untrained_model(graph, seed=0)
    histograms = weight_histograms(model, graph, bins=10)
    assert [h.name for h in histograms] == ["conv", "out"]
    conv, out = histograms
    assert conv.counts.sum() == 3 * 3 * 2 * 3 and out.counts.sum() == 4 * 4 * 3 * 4
    assert conv.label.startswith("kernel") and "3 bias" in conv.label
    assert len(conv.counts) == 10 and len(conv.edges) == 11 and conv.dead_share is None
    kernel = model.get_layer("conv").get_weights()[0]
    assert conv.edges[0] == pytest.approx(kernel.min()) and conv.edges[-1] == pytest.approx(kernel.max())


def test_dead_relu_share_is_exact() -> None:
    graph = chain(("Dense", "hidden", {"units": 4, "activation": "relu"}),
                  ("Dense", "linear", {"units": 2, "activation": "linear"}), input_shape=[3])
    model = compile_graph(graph)
    model.get_layer("hidden").set_weights([np.full((3, 4), 0.1, dtype="float32"),
                                           np.array([-100.0, 1.0, -100.0, 1.0], dtype="float32")])
    x = np.random.default_rng(4).uniform(size=(20, 3)).astype("float32")
    histograms = {h.name: h for h in activation_histograms(model, graph, {"x": x}, bins=8)}
    assert set(histograms) == {"hidden", "linear"}
    assert histograms["hidden"].dead_share == pytest.approx(0.5)
    assert histograms["linear"].dead_share is None
    assert histograms["hidden"].counts.sum() == 20 * 4 and histograms["linear"].counts.sum() == 20 * 2
    # no dead units once every bias is positive
    model.get_layer("hidden").set_weights([np.full((3, 4), 0.1, dtype="float32"), np.ones(4, dtype="float32")])
    again = {h.name: h for h in activation_histograms(model, graph, x, bins=8)}
    assert again["hidden"].dead_share == 0.0


def test_a_relu_layer_counts_channels_of_a_convolution() -> None:
    graph = chain(("Conv2D", "conv", {"filters": 4, "kernel_size": [1, 1]}), ("ReLU", "relu", {}),
                  input_shape=[3, 3, 1])
    model = compile_graph(graph)
    model.get_layer("conv").set_weights([np.array([1, -1, 1, -1], dtype="float32").reshape(1, 1, 1, 4),
                                         np.zeros(4, dtype="float32")])
    x = np.random.default_rng(5).uniform(0.1, 1.0, size=(6, 3, 3, 1)).astype("float32")
    shares = {h.name: h.dead_share for h in activation_histograms(model, graph, x)}
    assert shares == {"conv": None, "relu": 0.5}


# --- decision grid -------------------------------------------------------------------------------

def test_grid_points_cover_the_data_with_a_margin() -> None:
    x = np.array([[-1.0, 0.0], [2.0, 3.0]])
    xs, ys, points = grid_points(x, resolution=5, margin=0.5)
    np.testing.assert_allclose(xs, [-1.5, -0.5, 0.5, 1.5, 2.5])
    np.testing.assert_allclose(ys, [-0.5, 0.5, 1.5, 2.5, 3.5])
    assert points.shape == (25, 2)
    np.testing.assert_allclose(points[1 * 5 + 3], [xs[3], ys[1]])
    # on wide data the margin grows to a tenth of the span
    wide_xs, _, _ = grid_points(np.array([[0.0, 0.0], [100.0, 1.0]]), resolution=3)
    np.testing.assert_allclose(wide_xs, [-10.0, 50.0, 110.0])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        grid_points(np.zeros((4, 3)))


@pytest.mark.parametrize("units,activation,kernel", [
    (1, "sigmoid", [[10.0], [0.0]]),
    (2, "softmax", [[-10.0, 10.0], [0.0, 0.0]]),
])
def test_decision_grid_follows_the_sign_of_x(units: int, activation: str, kernel: list) -> None:
    graph = chain(("Dense", "out", {"units": units, "activation": activation}), input_shape=[2])
    assert is_two_input_classifier(graph, analyze(graph))
    model = compile_graph(graph)
    model.get_layer("out").set_weights([np.array(kernel, dtype="float32"), np.zeros(units, dtype="float32")])
    data = np.random.default_rng(6).uniform(-2, 2, size=(50, 2))
    grid = decision_grid(model, data, resolution=21)
    assert grid.xs.shape == (21,) and grid.ys.shape == (21,)
    assert grid.classes.shape == (21, 21) and grid.confidence.shape == (21, 21)
    columns = np.abs(grid.xs) > 1e-3
    expected = np.broadcast_to((grid.xs > 0).astype(int), (21, 21))
    np.testing.assert_array_equal(grid.classes[:, columns], expected[:, columns])
    assert grid.confidence.min() >= 0.5 - 1e-6 and grid.confidence.max() <= 1.0 + 1e-6
    assert grid.confidence[0, 0] > 0.99  # far from the boundary


def test_two_input_classifiers_are_recognised() -> None:
    def check(graph: Graph) -> bool:
        return is_two_input_classifier(graph, analyze(graph))

    assert not check(chain(("Dense", "out", {"units": 2, "activation": "softmax"}), input_shape=[3]))
    assert not check(chain(("Dense", "out", {"units": 1, "activation": "linear"}), input_shape=[2]))
    assert check(chain(("Dense", "hidden", {"units": 8, "activation": "relu"}), ("Dense", "scores", {"units": 3}),
                       ("Softmax", "probabilities", {}), input_shape=[2]))
    assert check(chain(("Dense", "scores", {"units": 1}), ("Activation", "p", {"activation": "sigmoid"}),
                       input_shape=[2]))
    assert not check(load_project(MODELS / "two_input_concat.json").graph)


# --- a bundled example with its dataset ----------------------------------------------------------

def test_lenet_example_untrained_on_an_mnist_sample() -> None:
    project = load_project(MODELS / "lenet_mnist.json")
    settings = with_defaults(project.training)
    dataset = load_dataset(project.dataset, MODELS)
    splits = split_dataset(dataset, settings["validation_split"], settings["test_split"], settings["seed"])
    analysis = analyze(project.graph)
    prepared = prepare(dataset, splits, project.graph, settings, project.dataset, analysis)
    count = sample_count(prepared)
    assert count == len(prepared.test[0]["digit"])
    inputs, label = sample_inputs(prepared, 3)
    assert set(inputs) == {"digit"} and inputs["digit"].shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(inputs["digit"][0], prepared.test[0]["digit"][3])
    assert class_of(label) in range(10)
    with pytest.raises(IndexError, match=f"sample {count} does not exist.*test split has {count} samples"):
        sample_inputs(prepared, count)
    no_test = dataclasses.replace(prepared, test=None)
    val_inputs, _ = sample_inputs(no_test, 0)
    np.testing.assert_array_equal(val_inputs["digit"][0], prepared.validation[0]["digit"][0])

    model = untrained_model(project.graph, project.name, seed=0)
    probe = ActivationProbe(model, project.graph, analysis)
    result = probe.run(inputs)
    assert list(result) == analysis.order
    shapes = {a.name: (a.kind, a.value.shape) for a in result.values()}
    assert shapes["digit"] == ("image", (28, 28, 1))
    assert shapes["c1"] == ("image", (28, 28, 6)) and shapes["c3"] == ("image", (10, 10, 16))
    assert shapes["flatten"] == ("vector", (400,)) and shapes["digit_class"] == ("vector", (10,))
    cam = grad_cam(model, inputs["digit"])
    assert cam.layer_name == "c3" and cam.heatmap.shape == (28, 28) and cam.probabilities.shape == (10,)
    assert cam.heatmap.min() >= 0.0 and cam.heatmap.max() <= 1.0


def test_decision_grid_runs_as_a_live_probe_while_fit_trains() -> None:
    from app.core.project import Project
    from app.keras_bridge.insight import DecisionGrid
    from app.keras_bridge.training import Probe, TrainingSession

    graph = chain(("Dense", "hidden", {"units": 8, "activation": "relu"}),
                  ("Dense", "scores", {"units": 2, "activation": "softmax"}), input_shape=[2])
    project = Project(graph=graph, name="moons", dataset={"name": "moons", "samples": 200},
                      training={"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "test_split": 0.0})

    class Listener:
        def __init__(self) -> None:
            self.grids: list[DecisionGrid] = []

        def progress(self, progress: object) -> None:
            pass

        def epoch_end(self, epoch: object) -> None:
            pass

        def message(self, text: str) -> None:
            pass

        def probe(self, value: DecisionGrid) -> None:
            self.grids.append(value)

    listener = Listener()
    probe = Probe(lambda model, prepared: decision_grid(model, prepared.train[0]["x"], resolution=12))
    result = TrainingSession(project, listener=listener, probe=probe).run()
    assert result.status == "finished", result.reason
    assert len(listener.grids) >= 3  # at the start and after each of the 2 epochs
    assert all(g.classes.shape == (12, 12) and set(np.unique(g.classes)) <= {0, 1} for g in listener.grids)
    final = decision_grid(result.model, result.prepared.train[0]["x"], resolution=12)
    np.testing.assert_array_equal(final.classes, listener.grids[-1].classes)
