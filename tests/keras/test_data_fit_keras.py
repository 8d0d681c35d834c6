"""Prepared arrays really fit the compiled models: one short fit per example project and per adaptation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import load_project
from app.data import Prepared, load_dataset, prepare, split_dataset
from app.keras_bridge.compile import compile_graph

MODELS = Path(__file__).resolve().parents[2] / "models"


def _first(arrays: dict[str, np.ndarray], n: int) -> Any:
    """As the engine feeds Keras: one array, or a list in the model's input order."""
    values = [a[:n] for a in arrays.values()]
    return values[0] if len(values) == 1 else values


def fit_briefly(graph: Graph, prepared: Prepared, loss: str, n: int = 64) -> float:
    import keras

    keras.utils.set_random_seed(0)
    model = compile_graph(graph, "check")
    model.compile(optimizer="adam", loss=loss)
    x, y = prepared.train
    history = model.fit(_first(x, n), _first(y, n), batch_size=32, epochs=1, verbose=0,
                        class_weight=prepared.class_weight)
    assert prepared.test is not None
    tx, ty = prepared.test
    loss_value = model.evaluate(_first(tx, 16), _first(ty, 16), verbose=0)
    assert np.isfinite(history.history["loss"][-1]) and np.isfinite(loss_value)
    return float(loss_value)


@pytest.mark.parametrize("name", sorted(p.stem for p in MODELS.glob("*.json")  # recipes: tests/slow/test_recipes_*
                                         if '"recipe": "supervised"' in p.read_text()))
def test_every_example_trains_on_its_prepared_data(name: str) -> None:
    project = load_project(MODELS / f"{name}.json")
    assert project.dataset is not None
    ds = load_dataset(project.dataset, base_dir=MODELS)  # a data file of an example sits beside it
    settings = project.training
    splits = split_dataset(ds, settings["validation_split"], settings["test_split"], settings["seed"])
    prepared = prepare(ds, splits, project.graph, settings, project.dataset)
    fit_briefly(project.graph, prepared, settings["loss"], n=32 if name == "mobilenet_transfer" else 64)


def _chain(*layers: tuple[str, dict[str, Any]]) -> Graph:
    graph = Graph()
    previous = None
    for class_name, config in layers:
        node = graph.add_node(class_name, config=config)
        if previous is not None:
            graph.connect(previous.id, node.id)
        previous = node
    return graph


CASES: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], str, str]] = {
    # name: (dataset ref, layers, loss, a note prepare must give)
    "grey digits to a colour 16x16 input": (
        {"name": "digits"},
        [("InputLayer", {"batch_shape": [None, 16, 16, 3]}), ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
         ("Flatten", {}), ("Dense", {"units": 10, "activation": "softmax"})],
        "categorical_crossentropy", "repeated the grey channel"),
    "images flattened for an MLP": (
        {"name": "digits"},
        [("InputLayer", {"batch_shape": [None, 64]}), ("Dense", {"units": 10, "activation": "softmax"})],
        "sparse_categorical_crossentropy", "flattened each sample"),
    "binary labels as a float column": (
        {"name": "breast_cancer"},
        [("InputLayer", {"batch_shape": [None, 30]}), ("Dense", {"units": 1, "activation": "sigmoid"})],
        "binary_crossentropy", "labels as 0/1 numbers"),
    "text padded to a longer input": (
        {"name": "sentiment"},
        [("InputLayer", {"batch_shape": [None, 50], "dtype": "int32"}),
         ("Embedding", {"input_dim": 200, "output_dim": 4}), ("GlobalAveragePooling1D", {}),
         ("Dense", {"units": 2, "activation": "softmax"})],
        "kl_divergence", "padded the token sequences"),
    "table rows as a sequence for Conv1D": (
        {"name": "wine"},
        [("InputLayer", {"batch_shape": [None, 13, 1]}), ("Conv1D", {"filters": 2, "kernel_size": [3]}),
         ("Flatten", {}), ("Dense", {"units": 3, "activation": "softmax"})],
        "sparse_categorical_crossentropy", "added a channel axis"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_adapted_data_trains(case: str) -> None:
    ref, layers, loss, note = CASES[case]
    graph = _chain(*layers)
    ds = load_dataset(ref)
    prepared = prepare(ds, split_dataset(ds, 0.2, 0.1, 0), graph, {"loss": loss, "class_weight": "balanced"}, ref)
    assert any(note in n for n in prepared.notes), prepared.notes
    fit_briefly(graph, prepared, loss)
