"""Fitting data to a model: the model's inputs/outputs, every mismatch message, every adaptation,
and the contract with the example projects in models/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import load_project
from app.data import (
    DataMismatch,
    Dataset,
    Prepared,
    TensorSpec,
    load_dataset,
    model_io,
    prepare,
    split_dataset,
)

Layer = tuple[str, str, dict[str, Any]]


def chain(*layers: Layer) -> Graph:
    """A straight model from (class, name, config) triples."""
    graph = Graph()
    previous = None
    for class_name, name, config in layers:
        node = graph.add_node(class_name, name=name, config=config)
        if previous is not None:
            graph.connect(previous.id, node.id)
        previous = node
    return graph


def inp(name: str, *shape: int | None, dtype: str = "float32") -> Layer:
    return ("InputLayer", name, {"batch_shape": [None, *shape], "dtype": dtype})


def dense(name: str, units: int, activation: str = "linear") -> Layer:
    return ("Dense", name, {"units": units, "activation": activation})


def fit(ds: Dataset | str, graph: Graph, ref: dict[str, Any] | None = None, **settings: Any) -> Prepared:
    if isinstance(ds, str):
        ds = load_dataset(ref or {"name": ds})
    return prepare(ds, split_dataset(ds, 0.2, 0.1, 0), graph, settings, ref)


def problems(ds: Dataset | str, graph: Graph, ref: dict[str, Any] | None = None, **settings: Any) -> list[str]:
    with pytest.raises(DataMismatch) as err:
        fit(ds, graph, ref, **settings)
    return err.value.problems


# --- what the model takes ----------------------------------------------------------------------------------

def test_model_io_lists_inputs_in_compile_order_and_outputs_with_their_shapes() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", name="chemistry", config={"batch_shape": [None, 10]})
    b = graph.add_node("InputLayer", name="colour", config={"batch_shape": [None, 3], "dtype": "int32"})
    joined = graph.add_node("Concatenate", name="joined")
    out = graph.add_node("Dense", name="cultivar", config={"units": 3})
    graph.connect(a.id, joined.id, "inputs")
    graph.connect(b.id, joined.id, "inputs")
    graph.connect(joined.id, out.id)
    inputs, outputs = model_io(graph)
    assert [(s.name, s.shape, s.dtype) for s in inputs] == [("chemistry", (10,), "float32"), ("colour", (3,), "int32")]
    assert outputs == [TensorSpec("cultivar", (3,), "float32", out.id)]


def test_model_io_refuses_models_whose_shapes_are_unknown() -> None:
    broken = chain(inp("x", 4), dense("d", 4), ("Conv2D", "conv", {"filters": 2, "kernel_size": [3, 3]}))
    with pytest.raises(DataMismatch) as err:
        model_io(broken)
    assert err.value.problems == ["the shape of output 'conv' is unknown because the model has errors: fix the "
                                  "problems shown on 'conv' or the layers before it first"]
    with pytest.raises(DataMismatch, match="the model has no Input layer"):
        model_io(chain(dense("lonely", 2)))


# --- every mismatch, said so the user knows what to change ----------------------------------------------

def test_wrong_feature_count() -> None:
    graph = chain(inp("measurements", 4), dense("species", 3, "softmax"))
    assert problems("wine", graph) == [
        "Input 'measurements' takes 4 features but 'wine' has 13: set its shape to (13,)"]


def test_wrong_number_of_output_units() -> None:
    graph = chain(inp("measurements", 4), dense("species", 10, "softmax"))
    assert problems("iris", graph) == ["Output 'species' has 10 units but 'iris' has 3 classes: set units to 3"]
    one_hot = problems("iris", graph, loss="categorical_crossentropy")
    assert one_hot == ["Output 'species' has 10 units but 'iris' has 3 classes: set units to 3"]


def test_binary_loss_on_three_classes() -> None:
    graph = chain(inp("measurements", 4), dense("species", 1, "sigmoid"))
    assert problems("iris", graph, loss="binary_crossentropy") == [
        "binary_crossentropy needs 2 classes but 'iris' has 3: use sparse_categorical_crossentropy"]


def test_embedding_smaller_than_the_vocabulary() -> None:
    vocabulary = ["", "[UNK]", *(f"w{i}" for i in range(1998))]
    x = np.random.default_rng(0).integers(0, 2000, size=(40, 10)).astype(np.int32)
    ds = Dataset("reviews", "reviews", "text", "classification", x, np.arange(40) % 2, class_names=["neg", "pos"],
                 vocabulary=vocabulary)
    graph = chain(inp("tokens", 10, dtype="int32"), ("Embedding", "embedding", {"input_dim": 1000, "output_dim": 8}),
                  ("GlobalAveragePooling1D", "pool", {}), dense("positive", 1, "sigmoid"))
    assert problems(ds, graph, loss="binary_crossentropy") == [
        "Embedding 'embedding' has input_dim 1000 but the vocabulary has 2000 words: set input_dim to 2000 or "
        "max_tokens to 1000"]


def test_text_without_an_embedding_and_numbers_into_an_embedding() -> None:
    no_embedding = chain(inp("tokens", 40, dtype="int32"), dense("positive", 1, "sigmoid"))
    found = problems("sentiment", no_embedding, loss="binary_crossentropy")
    assert found == ["Input 'tokens' gets token ids (whole numbers standing for words) from 'sentiment', but no "
                     "Embedding layer reads them: add an Embedding after it with input_dim 153"]
    embedded_table = chain(inp("x", 4), ("Embedding", "embedding", {"input_dim": 10, "output_dim": 2}),
                           ("Flatten", "flatten", {}), dense("species", 3, "softmax"))
    assert problems("iris", embedded_table) == [
        "Embedding 'embedding' looks up whole-number ids (0, 1, 2, ...), but 'iris' gives table values with "
        "fractions or signs: remove the Embedding, or train on a text dataset"]


def test_classification_loss_on_a_regression_set_and_wrong_target_width() -> None:
    graph = chain(inp("window", 24, 1), ("GRU", "gru", {"units": 4}), dense("next_value", 8))
    found = problems("co2", graph, {"name": "co2", "window": 24, "horizon": 1}, loss="sparse_categorical_crossentropy")
    assert found == ["sparse_categorical_crossentropy is for classes, but 'co2' is a regression set (it predicts "
                     "numbers): use mse, mae or huber"]
    assert problems("co2", graph, loss="mse") == [
        "Output 'next_value' has 8 units but 'co2' has 1 target value per sample: set units to 1"]


def test_series_window_and_feature_mismatches() -> None:
    graph = chain(inp("window", 12, 1), ("GRU", "gru", {"units": 4}), dense("next_value", 1))
    assert problems("co2", graph, loss="mse") == [
        "Input 'window' takes sequences of 12 steps but the windows of 'co2' are 24 steps long: set its shape to "
        "(24, 1), or set the dataset option window to 12"]
    features = chain(inp("window", 24, 3), ("GRU", "gru", {"units": 4}), dense("next_value", 1))
    assert problems("co2", features, loss="mse") == [
        "Input 'window' takes 3 features per step but 'co2' has 1: set its shape to (24, 1)"]


def test_image_shape_channel_and_dtype_mismatches() -> None:
    flat = chain(inp("pixels", 100), dense("digit", 10, "softmax"))
    assert problems("mnist_5k", flat) == [
        "Input 'pixels' takes shape (100,) but the images of 'mnist_5k' are 28×28×1 = 784 values: set its shape to "
        "(28, 28, 1), or to (784,) to feed them flattened"]
    two_channels = chain(inp("image", 28, 28, 2), ("Flatten", "flatten", {}), dense("digit", 10, "softmax"))
    assert problems("mnist_5k", two_channels) == [
        "Input 'image' takes 2 channels but the images of 'mnist_5k' have 1: set its shape to (28, 28, 1)"]
    ints = chain(inp("image", 28, 28, 1, dtype="int32"), ("Flatten", "flatten", {}), dense("digit", 10, "softmax"))
    assert problems("mnist_5k", ints) == [
        "Input 'image' has dtype int32, which would cut the pixel values of 'mnist_5k' to whole numbers: set its "
        "dtype to float32"]


def test_output_that_is_not_one_vector_per_sample() -> None:
    graph = chain(inp("image", 28, 28, 1), ("Conv2D", "scores", {"filters": 10, "kernel_size": [3, 3]}))
    assert problems("mnist_5k", graph) == [
        "Output 'scores' gives shape (26, 26, 10) per sample, but 'mnist_5k' has one class per sample: add a Flatten "
        "or GlobalAveragePooling layer before the last Dense so it gives (10,)"]


def test_one_unit_for_two_classes_and_softmax_on_one_unit() -> None:
    graph = chain(inp("x", 30), dense("malignant", 1, "softmax"))
    assert problems("breast_cancer", graph) == [
        "Output 'malignant' uses softmax on a single unit, which always outputs 1: set its activation to sigmoid",
        "Output 'malignant' has 1 unit but 'breast_cancer' has 2 classes: set units to 2 (softmax), or use "
        "binary_crossentropy with this one sigmoid unit"]


def test_regression_loss_on_many_classes_and_sigmoid_on_unbounded_targets() -> None:
    graph = chain(inp("measurements", 4), dense("species", 1))
    assert problems("iris", graph, loss="mse") == [
        "mse compares numbers, but 'iris' is a classification set with 3 classes: use sparse_categorical_crossentropy "
        "with 3 softmax units in Output 'species'"]
    squashed = chain(inp("window", 24, 1), ("GRU", "gru", {"units": 4}), dense("next_value", 1, "sigmoid"))
    found = problems("co2", squashed, loss="mae")
    assert len(found) == 1 and found[0].startswith(
        "Output 'next_value' uses sigmoid, which only gives values from 0 to 1, but the targets of 'co2' go from -1.")
    assert found[0].endswith(": set its activation to linear")


def test_a_rescaling_for_0_255_pixels_fed_0_1_pixels() -> None:
    graph = chain(inp("image", 32, 32, 3), ("RandomFlip", "flip", {}),
                  ("Rescaling", "to_minus1_plus1", {"scale": 1 / 127.5, "offset": -1.0}),
                  ("Flatten", "f", {}), dense("shape", 5, "softmax"))
    ref = {"name": "shapes", "samples": 20, "image_size": 32}
    assert problems("shapes", graph, ref) == [
        "Rescaling 'to_minus1_plus1' multiplies the pixels by 0.007843 (it expects values 0..255), but 'shapes' gives "
        "pixel values 0..1: set the dataset option pixels to \"0-255\", or remove the Rescaling"]
    assert fit("shapes", graph, {**ref, "pixels": "0-255"}).train[0]["image"].max() > 200


def test_several_inputs_need_a_column_mapping_and_it_is_suggested() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", name="chemistry", config={"batch_shape": [None, 10]})
    b = graph.add_node("InputLayer", name="colour", config={"batch_shape": [None, 3]})
    joined = graph.add_node("Concatenate", name="joined")
    out = graph.add_node("Dense", name="cultivar", config={"units": 3, "activation": "softmax"})
    graph.connect(a.id, joined.id, "inputs")
    graph.connect(b.id, joined.id, "inputs")
    graph.connect(joined.id, out.id)
    assert problems("wine", graph) == [
        "the model has 2 Inputs ('chemistry' (10,), 'colour' (3,)) but 'wine' is one table of 13 columns: say which "
        "columns feed which Input with the dataset option \"inputs\", e.g. \"inputs\": "
        "{\"chemistry\": \"columns 0-9\", \"colour\": \"columns 10-12\"}"]
    bad = {"name": "wine", "inputs": {"chemistry": "columns 0-8", "colr": "columns 10-12"}}
    assert problems("wine", graph, bad) == [
        "the dataset option \"inputs\" names 'colr', but the model has no Input called that; its Inputs are "
        "'chemistry' (10,), 'colour' (3,)",
        "Input 'colour' gets no data: add it to the dataset option \"inputs\", e.g. \"colour\": \"columns 0-2\"",
        "Input 'chemistry' takes 10 features but columns 0-8 of 'wine' give 9: set its shape to (9,) or change its "
        "columns in the dataset option \"inputs\""]
    past_end = {"name": "wine", "inputs": {"chemistry": "columns 0-9", "colour": "columns 10-13"}}
    assert problems("wine", graph, past_end) == [
        "the columns 'columns 10-13' for Input 'colour' (dataset option \"inputs\") cannot be used: column 13 does not "
        "exist (the columns are numbered 0 to 12); write them like \"columns 0-9\" (numbered from 0, both ends "
        "included)"]
    images = load_dataset({"name": "digits"})
    assert problems(images, graph)[0].startswith("the model has 2 Inputs ('chemistry' (10,), 'colour' (3,)) but "
                                                 "'digits' gives one image at a time: keep one Input")


def test_several_outputs_for_one_target() -> None:
    graph = Graph()
    x = graph.add_node("InputLayer", name="x", config={"batch_shape": [None, 4]})
    a = graph.add_node("Dense", name="a", config={"units": 3, "activation": "softmax"})
    b = graph.add_node("Dense", name="b", config={"units": 3, "activation": "softmax"})
    graph.connect(x.id, a.id)
    graph.connect(x.id, b.id)
    assert problems("iris", graph) == ["the model has 2 outputs ('a', 'b') but 'iris' has one target per sample: keep "
                                       "one output layer (connect or delete the others)"]


def test_every_problem_is_reported_at_once() -> None:
    graph = chain(inp("measurements", 5), dense("species", 4, "softmax"))
    assert len(problems("iris", graph)) == 2


# --- what prepare adapts, and says it did -----------------------------------------------------------------

def test_images_are_flattened_for_a_flat_input() -> None:
    ds = load_dataset({"name": "mnist_5k"})
    prepared = fit(ds, chain(inp("pixels", 784), dense("digit", 10, "softmax")))
    x = prepared.train[0]["pixels"]
    assert x.shape == (3500, 784) and x.dtype == np.float32
    assert "flattened each sample (28, 28, 1) -> (784,) to fit Input 'pixels'" in prepared.notes
    splits = split_dataset(ds, 0.2, 0.1, 0)
    np.testing.assert_array_equal(x[0], splits.train.x[0].ravel())


def test_channel_axes_are_added_and_removed() -> None:
    table = fit("iris", chain(inp("x", 4, 1), ("Flatten", "f", {}), dense("species", 3, "softmax")))
    assert table.train[0]["x"].shape == (105, 4, 1)
    assert "added a channel axis: (4,) -> (4, 1) to fit Input 'x'" in table.notes
    grey = fit("digits", chain(inp("img", 8, 8), ("Flatten", "f", {}), dense("digit", 10, "softmax")))
    assert grey.train[0]["img"].shape[1:] == (8, 8)


def test_grey_images_become_rgb_and_are_resized() -> None:
    prepared = fit("digits", chain(inp("image", 16, 16, 3), ("Flatten", "f", {}), dense("digit", 10, "softmax")))
    x = prepared.train[0]["image"]
    assert x.shape == (1258, 16, 16, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    assert "repeated the grey channel 3 times (grey as RGB) to fit Input 'image'" in prepared.notes
    assert "resized the images 8×8 -> 16×16 to fit Input 'image'" in prepared.notes
    colour = load_dataset({"name": "shapes", "samples": 50, "image_size": 16})
    grey = fit(colour, chain(inp("image", 16, 16, 1), ("Flatten", "f", {}), dense("shape", 5, "softmax")))
    assert grey.train[0]["image"].shape[1:] == (16, 16, 1)
    assert "converted the colour images to grey to fit Input 'image'" in grey.notes


def test_labels_are_one_hot_for_categorical_losses() -> None:
    ds = load_dataset({"name": "iris"})
    prepared = fit(ds, chain(inp("m", 4), dense("species", 3, "softmax")), loss="categorical_crossentropy")
    y = prepared.train[1]["species"]
    assert y.shape == (105, 3) and y.dtype == np.float32
    ids = split_dataset(ds, 0.2, 0.1, 0).train.y
    np.testing.assert_array_equal(y.argmax(axis=1), ids)
    assert "one-hot encoded the labels for categorical_crossentropy (3 classes)" in prepared.notes


def test_binary_labels_become_float_columns_or_one_hot() -> None:
    one = fit("breast_cancer", chain(inp("x", 30), dense("benign", 1, "sigmoid")), loss="binary_crossentropy")
    y = one.train[1]["benign"]
    assert y.shape == (398, 1) and y.dtype == np.float32 and set(np.unique(y)) == {0.0, 1.0}
    assert "labels as 0/1 numbers of shape (N, 1) for binary_crossentropy: 1 means 'benign'" in one.notes
    two = fit("breast_cancer", chain(inp("x", 30), dense("out", 2, "softmax")), loss="binary_focal_crossentropy")
    assert two.train[1]["out"].shape == (398, 2)
    mse = fit("breast_cancer", chain(inp("x", 30), dense("out", 1)), loss="mse")
    assert mse.train[1]["out"].shape == (398, 1)


def test_token_sequences_are_padded_or_cut_to_the_input_length() -> None:
    ds = load_dataset({"name": "sentiment"})
    tail = [("Embedding", "embedding", {"input_dim": 2000, "output_dim": 4}), ("GlobalAveragePooling1D", "p", {}),
            dense("positive", 1, "sigmoid")]
    long = fit(ds, chain(inp("tokens", 60, dtype="int32"), *tail), loss="binary_crossentropy")
    short = fit(ds, chain(inp("tokens", 20, dtype="int32"), *tail), loss="binary_crossentropy")
    base = split_dataset(ds, 0.2, 0.1, 0).train.x
    np.testing.assert_array_equal(long.train[0]["tokens"][:, :40], base)
    assert not long.train[0]["tokens"][:, 40:].any()
    np.testing.assert_array_equal(short.train[0]["tokens"], base[:, :20])
    assert short.train[0]["tokens"].dtype == np.int32
    assert "padded the token sequences from 40 to 60 ids to fit Input 'tokens'" in long.notes
    assert any(n.startswith("cut the token sequences from 40 to 20 ids") for n in short.notes)


def test_multi_input_columns_are_shared_out() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", name="chemistry", config={"batch_shape": [None, 10]})
    b = graph.add_node("InputLayer", name="colour", config={"batch_shape": [None, 3]})
    joined = graph.add_node("Concatenate", name="joined")
    out = graph.add_node("Dense", name="cultivar", config={"units": 3, "activation": "softmax"})
    graph.connect(a.id, joined.id, "inputs")
    graph.connect(b.id, joined.id, "inputs")
    graph.connect(joined.id, out.id)
    ref = {"name": "wine", "inputs": {"colour": "columns 10-12", "chemistry": "columns 0-9"}}
    prepared = fit("wine", graph, ref)
    x, _y = prepared.train
    assert list(x) == ["chemistry", "colour"]  # the model's order, not the mapping's
    ds = load_dataset(ref)
    train = split_dataset(ds, 0.2, 0.1, 0).train.x
    np.testing.assert_array_equal(x["chemistry"], train[:, :10])
    np.testing.assert_array_equal(x["colour"], train[:, 10:])
    named = dict(ref, inputs={"chemistry": "columns 0-9", "colour": ["hue", "od280/od315_of_diluted_wines", 12]})
    np.testing.assert_array_equal(fit("wine", graph, named).train[0]["colour"], train[:, 10:])


def test_autoencoder_targets_follow_the_adapted_input() -> None:
    ref = {"name": "digits", "target": "input"}
    graph = chain(inp("img", 4, 4, 1), ("Flatten", "f", {}), dense("code", 3), dense("out", 16, "sigmoid"),
                  ("Reshape", "back", {"target_shape": [4, 4, 1]}))
    prepared = fit("digits", graph, ref, loss="mse")
    x, y = prepared.train
    assert x["img"].shape == (1258, 4, 4, 1)
    np.testing.assert_array_equal(y["back"], x["img"])
    flat = chain(inp("pixels", 784), dense("code", 8), dense("reconstruction", 784, "sigmoid"))
    ae = fit("mnist_5k", flat, {"name": "mnist_5k", "flatten": True, "target": "input"}, loss="mse")
    np.testing.assert_array_equal(ae.train[0]["pixels"], ae.train[1]["reconstruction"])


def test_regression_targets_get_the_output_axis() -> None:
    graph = chain(inp("window", 24, 1), ("GRU", "gru", {"units": 4}), dense("next_value", 1))
    prepared = fit("co2", graph, loss="mse")
    assert prepared.train[1]["next_value"].shape == (1582, 1) and prepared.task == "regression"
    assert prepared.class_names is None
    assert any("time order" in n for n in prepared.notes)


def test_balanced_class_weights_make_every_class_weigh_the_same() -> None:
    prepared = fit("seattle_weather", chain(inp("x", 4), dense("weather", 5, "softmax")), class_weight="balanced")
    weights = prepared.class_weight
    y = split_dataset(load_dataset({"name": "seattle_weather"}), 0.2, 0.1, 0).train.y
    counts = np.bincount(y)
    assert weights is not None and sorted(weights) == [0, 1, 2, 3, 4]
    totals = [weights[c] * counts[c] for c in range(5)]
    assert totals == pytest.approx([len(y) / 5] * 5)
    assert weights[4] < weights[0]  # sun is common, drizzle is rare
    assert fit("iris", chain(inp("m", 4), dense("s", 3, "softmax"))).class_weight is None
    reg = fit("co2", chain(inp("w", 24, 1), ("Flatten", "f", {}), dense("v", 1)), loss="mse", class_weight="balanced")
    assert reg.class_weight is None and "class_weight 'balanced' is ignored: 'co2' is a regression set" in reg.notes


def test_prepare_leaves_the_dataset_alone() -> None:
    ds = load_dataset({"name": "digits"})
    before = (ds.x.copy(), list(ds.notes))
    fit(ds, chain(inp("image", 16, 16, 3), ("Flatten", "f", {}), dense("digit", 10, "softmax")),
        loss="categorical_crossentropy")
    assert np.array_equal(ds.x, before[0]) and ds.notes == before[1]


def test_mismatch_text_lists_every_problem() -> None:
    err = DataMismatch(["a: do x", "b: do y"])
    assert str(err) == "the data does not fit the model:\n- a: do x\n- b: do y"
    assert str(DataMismatch(["only one"])) == "only one"


# --- the contract with the example projects ----------------------------------------------------------------

MODELS = Path(__file__).resolve().parents[2] / "models"
EXAMPLE_REFS: dict[str, dict[str, Any]] = {
    "autoencoder": {"name": "mnist_5k", "flatten": True, "target": "input"},
    "bidirectional_lstm": {"name": "sentiment"},
    "gru_timeseries": {"name": "co2", "window": 24, "horizon": 1},
    "lenet_mnist": {"name": "mnist_5k"},
    "mlp_tabular": {"name": "iris"},
    "moons_boundary": {"name": "moons", "samples": 400},
    "mobilenet_transfer": {"name": "shapes", "pixels": "0-255", "image_size": 96, "samples": 1500},
    "residual_cnn": {"name": "mnist_5k"},
    "seq2seq_reverse": {"name": "reverse_sequences"},
    "text_lstm": {"name": "sentiment"},
    "transformer_encoder": {"name": "sentiment"},
    "transfer_digits": {"name": "npz", "path": "digits_5_to_9.npz"},
    "two_input_concat": {"name": "wine", "inputs": {"chemistry": "columns 0-9", "colour": "columns 10-12"}},
    "vgg_augmented": {"name": "mnist_5k"},
}


def test_every_example_has_a_dataset_ref_here() -> None:  # recipe examples: tests/unit/test_recipes_data.py
    supervised = [p for p in MODELS.glob("*.json") if '"recipe": "supervised"' in p.read_text()]
    assert sorted(p.stem for p in supervised) == sorted(EXAMPLE_REFS)


@pytest.mark.parametrize("name", sorted(EXAMPLE_REFS))
def test_example_project_data_fits_its_model(name: str) -> None:
    project = load_project(MODELS / f"{name}.json")
    ref = EXAMPLE_REFS[name]
    ds = load_dataset(ref, base_dir=MODELS)  # a data file of an example sits beside it
    settings = project.training
    splits = split_dataset(ds, settings["validation_split"], settings["test_split"], settings["seed"])
    prepared = prepare(ds, splits, project.graph, settings, ref)
    inputs, outputs = model_io(project.graph)
    for part in (prepared.train, prepared.validation, prepared.test):
        assert part is not None
        xs, ys = part
        assert list(xs) == [s.name for s in inputs] and list(ys) == [s.name for s in outputs]
        for spec in inputs:
            assert xs[spec.name].shape[1:] == spec.shape and np.isfinite(xs[spec.name]).all()
        assert all(len(a) == len(next(iter(ys.values()))) for a in xs.values())
    assert not [n for n in prepared.notes if n.startswith("warning")]


@pytest.mark.parametrize("name", sorted(EXAMPLE_REFS))
def test_example_project_names_the_dataset_it_was_checked_with(name: str) -> None:
    """The refs above are what the examples in models/ use; update both together."""
    assert load_project(MODELS / f"{name}.json").dataset == EXAMPLE_REFS[name]
