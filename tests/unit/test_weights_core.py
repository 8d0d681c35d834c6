"""app.core.weights and the project file's weights entry: no Keras needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import Project, ProjectError, dumps, loads, weights_entry
from app.core.shapes import analyze
from app.core.weights import (
    LayerWeights,
    ModelWeights,
    WeightsSource,
    dropped_text,
    layer_fingerprint,
    stale_layers,
    with_fingerprints,
)


def mlp() -> tuple[Graph, dict[str, str]]:
    graph = Graph()
    x = graph.add_node("InputLayer", name="x", config={"batch_shape": [None, 4]})
    a = graph.add_node("Dense", name="hidden", config={"units": 8, "activation": "relu"})
    b = graph.add_node("Dense", name="out", config={"units": 3})
    graph.connect(x.id, a.id)
    graph.connect(a.id, b.id)
    return graph, {"x": x.id, "hidden": a.id, "out": b.id}


def weights_for(graph: Graph, ids: dict[str, str]) -> ModelWeights:
    arrays = {ids["hidden"]: {"vars/0": np.ones((4, 8), "float32"), "vars/1": np.zeros(8, "float32")},
              ids["out"]: {"vars/0": np.ones((8, 3), "float32"), "vars/1": np.zeros(3, "float32")}}
    return with_fingerprints(arrays, graph, analyze(graph), WeightsSource(kind="imported", file="m.keras"))


def test_fingerprint_ignores_what_does_not_shape_weights() -> None:
    graph, ids = mlp()
    before = layer_fingerprint(graph, analyze(graph), ids["out"])
    graph.set_param(ids["out"], "activation", "softmax")
    graph.rename(ids["out"], "species")
    graph.set_param(ids["out"], "kernel_initializer", "he_normal")
    graph.move(ids["out"], (300.0, 40.0))
    assert layer_fingerprint(graph, analyze(graph), ids["out"]) == before
    graph.set_param(ids["out"], "units", 5)
    assert layer_fingerprint(graph, analyze(graph), ids["out"]) != before


def test_stale_layers_follow_the_shapes_flowing_in() -> None:
    graph, ids = mlp()
    weights = weights_for(graph, ids)
    assert stale_layers(weights, graph, analyze(graph)) == []
    graph.set_param(ids["out"], "units", 2)
    assert stale_layers(weights, graph, analyze(graph)) == [ids["out"]]
    graph.set_param(ids["out"], "units", 3)
    graph.set_param(ids["hidden"], "units", 9)  # the next layer's kernel changes too
    assert sorted(stale_layers(weights, graph, analyze(graph))) == sorted([ids["hidden"], ids["out"]])
    # the batch size is not part of any weight shape
    graph.set_param(ids["hidden"], "units", 8)
    graph.set_param(ids["x"], "batch_shape", [32, 4])
    assert stale_layers(weights, graph, analyze(graph)) == []
    graph.remove_node(ids["out"])
    assert stale_layers(weights, graph, analyze(graph)) == [ids["out"]]


def test_weights_are_immutable_values_with_a_readable_source() -> None:
    graph, ids = mlp()
    weights = weights_for(graph, ids)
    smaller = weights.without([ids["out"]])
    assert list(smaller.layers) == [ids["hidden"]] and len(weights.layers) == 2
    assert weights.describe() == "imported from m.keras"
    assert ModelWeights().describe() == "initial" and not ModelWeights()
    trained = WeightsSource(kind="trained", run=3, epochs=5, metric="test accuracy 98.1 %")
    assert trained.describe() == "trained in run 3 (5 epochs, test accuracy 98.1 %)"
    assert WeightsSource.from_json(trained.to_json()) == trained
    assert WeightsSource.from_json({"kind": "nonsense"}).kind == "initial"
    assert dropped_text(graph, [ids["out"]]) == "Weights dropped for out (its weight shapes changed; Undo brings " \
                                                "them back)"
    assert LayerWeights({"vars/0": np.ones((2, 3))}, "f").shapes == {"vars/0": (2, 3)}


def test_project_file_records_weights_and_refuses_paths(tmp_path: Path) -> None:
    graph, ids = mlp()
    project = Project(graph=graph, name="m")
    project.weights = weights_for(graph, ids)
    project.weights_meta = weights_entry(project, "m.weights.h5", "abc")
    text = dumps(project)
    entry = json.loads(text)["weights"]
    assert entry["file"] == "m.weights.h5" and entry["source"] == {"kind": "imported", "file": "m.keras"}
    assert entry["layers"][ids["out"]]["shapes"] == {"vars/0": [8, 3], "vars/1": [3]}
    assert loads(text).weights_meta == entry
    for bad in ("../elsewhere.weights.h5", "/etc/passwd.h5", "sub/m.weights.h5", "m.json"):
        data = json.loads(text)
        data["weights"]["file"] = bad
        with pytest.raises(ProjectError, match=r"weights\.file"):
            loads(json.dumps(data))


def test_core_weights_import_no_qt_or_keras() -> None:
    import subprocess
    import sys

    code = ("import sys, app.core.weights, app.core.project; "
            "print(sorted(m for m in ('PySide6', 'keras', 'tensorflow', 'h5py') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
