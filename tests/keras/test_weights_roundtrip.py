"""Weights belong to the model: import keeps them, export writes them, projects save them,
edits drop only what no longer fits, and training continues from them (real Keras, offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.core.project import load_project
from app.core.shapes import analyze
from app.core.weights import ModelWeights, stale_layers
from app.keras_bridge.importer import import_keras
from app.keras_bridge.weights_io import extract_weights, open_project, save_project_with_weights, sidecar_path

MODELS = Path(__file__).resolve().parents[2] / "models"
RNG = np.random.default_rng(7)


def trained_like(model: object) -> None:
    """Give every variable distinctive values, as training would (initial values could match by chance)."""
    for layer in model.layers:  # type: ignore[attr-defined]
        layer.set_weights([RNG.uniform(0.5, 1.5, size=w.shape).astype(w.dtype) * RNG.choice([-1, 1], size=w.shape)
                           if "variance" not in v.path else RNG.uniform(0.5, 1.5, size=w.shape).astype(w.dtype)
                           for w, v in zip(layer.get_weights(), layer.weights, strict=True)])


def nested_model(tmp_path: Path) -> tuple[Path, object]:
    """A backbone-under-a-head model (nested Sequential, BatchNormalization) saved as .keras."""
    import keras

    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu", name="b_dense"),
                                 keras.layers.BatchNormalization(name="b_norm")], name="backbone")
    x = keras.Input((6,), name="features")
    y = keras.layers.Dense(5, activation="tanh", name="hidden")(backbone(x))
    out = keras.layers.Dense(3, activation="softmax", name="out")(y)
    model = keras.Model(x, out, name="net")
    trained_like(backbone)
    trained_like(model)
    path = tmp_path / "net.keras"
    model.save(path)
    return path, model


def test_import_keeps_weights_and_reexport_predicts_bit_for_bit(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    source, _model = nested_model(tmp_path)
    project, notes = import_keras(source)
    assert any("kept the trained weights of 4 layer(s) from net.keras" in n for n in notes), notes
    kept = sorted(project.graph.node(nid).name for nid in project.weights.layers)
    assert kept == ["b_dense", "b_norm", "hidden", "out"]
    assert project.weights.describe() == "imported from net.keras"

    assert main(["export", str(source), "--keras", str(tmp_path / "copy.keras")]) == 0
    out = capsys.readouterr().out
    assert "with the weights imported from net.keras (4 layers)" in out, out
    original = keras.saving.load_model(source)
    copy = keras.saving.load_model(tmp_path / "copy.keras")
    inputs = RNG.normal(size=(64, 6)).astype("float32")
    a, b = original.predict(inputs, verbose=0), copy.predict(inputs, verbose=0)
    assert np.array_equal(a, b), np.abs(a - b).max()


def test_import_command_saves_the_weights_beside_the_project_and_reopening_restores_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    source, _model = nested_model(tmp_path)
    target = tmp_path / "imported.json"
    assert main(["import", str(source), "-o", str(target)]) == 0
    assert sidecar_path(target).is_file()
    assert load_project(target).weights_meta["source"] == {"kind": "imported", "file": "net.keras"}
    project, notes = open_project(target)
    assert notes == [] and len(project.weights.layers) == 4
    assert main(["export", str(target), "--keras", str(tmp_path / "again.keras")]) == 0
    inputs = RNG.normal(size=(16, 6)).astype("float32")
    assert np.array_equal(keras.saving.load_model(source).predict(inputs, verbose=0),
                          keras.saving.load_model(tmp_path / "again.keras").predict(inputs, verbose=0))


def test_an_edit_drops_only_the_layers_whose_weight_shapes_changed(tmp_path: Path) -> None:
    source, _model = nested_model(tmp_path)
    project, _notes = import_keras(source)
    graph = project.graph
    out, hidden = graph.node_by_name("out"), graph.node_by_name("hidden")
    assert stale_layers(project.weights, graph, analyze(graph)) == []
    graph.set_param(out.id, "activation", "linear")  # no shape changes: everything still fits
    assert stale_layers(project.weights, graph, analyze(graph)) == []
    graph.set_param(out.id, "units", 4)
    assert stale_layers(project.weights, graph, analyze(graph)) == [out.id]
    graph.set_param(out.id, "units", 3)
    graph.set_param(hidden.id, "units", 7)  # its kernel changes, and so does the next layer's input
    assert sorted(stale_layers(project.weights, graph, analyze(graph))) == sorted([hidden.id, out.id])


def test_save_and_reopen_keeps_weights_and_a_foreign_sidecar_is_ignored(tmp_path: Path) -> None:
    source, _model = nested_model(tmp_path)
    project, _notes = import_keras(source)
    path = tmp_path / "p.json"
    token = save_project_with_weights(project, path)
    reopened, notes = open_project(path)
    assert notes == []
    for nid, layer in project.weights.layers.items():
        for key, array in layer.arrays.items():
            assert np.array_equal(reopened.weights.layers[nid].arrays[key], array)
    # unchanged weights are not written again
    stamp = sidecar_path(path).stat().st_mtime_ns
    assert save_project_with_weights(reopened, path, reuse=(sidecar_path(path), token)) == token
    assert sidecar_path(path).stat().st_mtime_ns == stamp
    # a sidecar from another save is never mixed in
    other = tmp_path / "other.json"
    save_project_with_weights(project, other)
    sidecar_path(other).replace(sidecar_path(path))
    again, notes = open_project(path)
    assert not again.weights and "written by another save" in notes[0]


def test_python_export_writes_weights_the_script_loads(tmp_path: Path) -> None:
    import keras

    source, _model = nested_model(tmp_path)
    project, _notes = import_keras(source)
    path = tmp_path / "p.json"
    save_project_with_weights(project, path)
    assert main(["export", str(path), "--python", str(tmp_path / "net.py")]) == 0
    assert (tmp_path / "net.weights.h5").is_file()
    inputs = RNG.normal(size=(8, 6)).astype("float32")
    np.save(tmp_path / "x.npy", inputs)
    run = ("import runpy, numpy as np, sys; ns = runpy.run_path(sys.argv[1]); "
           "np.save(sys.argv[2], ns['model'].predict(np.load(sys.argv[3]), verbose=0))")
    done = subprocess.run([sys.executable, "-c", run, str(tmp_path / "net.py"), str(tmp_path / "y.npy"),
                           str(tmp_path / "x.npy")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr
    expected = keras.saving.load_model(source).predict(inputs, verbose=0)
    assert np.array_equal(np.load(tmp_path / "y.npy"), expected)


def test_train_continues_from_the_weights_unless_from_scratch(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from app.core.project import Project
    from app.core.weights import WeightsSource
    from app.keras_bridge.compile import compile_graph
    from app.keras_bridge.training import TrainingSession

    project = load_project(MODELS / "mlp_tabular.json")
    project.training.update(epochs=1, learning_rate=1e-9, early_stopping=False)
    model = compile_graph(project.graph, project.name)
    trained_like(model)
    project.weights = extract_weights(model, project.graph, WeightsSource(kind="file", file="mine.weights.h5"))
    start = project.weights.layers[project.graph.node_by_name("species").id].arrays["vars/0"]

    def kernel_after(p: Project) -> np.ndarray:
        result = TrainingSession(p).run()
        assert result.ok, result.reason
        return result.model.get_layer("species").get_weights()[0]

    assert np.allclose(kernel_after(project), start, atol=1e-5), "a run starts from the project's weights"
    project.weights = ModelWeights()
    assert not np.allclose(kernel_after(project), start, atol=1e-2), "--from-scratch starts from initializers"

    # the CLI: continue by default, --from-scratch, --save-project keeps the trained weights
    path = tmp_path / "mlp.json"
    project.weights = extract_weights(model, project.graph, WeightsSource(kind="file", file="mine.weights.h5"))
    save_project_with_weights(project, path)
    assert main(["train", str(path), "--quiet", "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert open_project(path)[0].weights.source.kind == "file", "without --save-project the file is untouched"
    assert main(["train", str(path), "--quiet", "--epochs", "1", "--from-scratch", "--save-project"]) == 0
    captured = capsys.readouterr()
    assert "saved" in captured.out and "trained in run 1" in captured.out, captured.out
    saved, notes = open_project(path)
    assert notes == [] and saved.weights.source.kind == "trained" and saved.weights.source.run == 1
    assert len(saved.runs) == 1 and len(saved.weights.layers) == 3


def test_hostile_weights_are_refused_with_a_note_and_the_model_still_imports(tmp_path: Path) -> None:
    import zipfile

    import h5py

    source, _model = nested_model(tmp_path)
    (tmp_path / "secret.h5").write_bytes(b"")
    hostile = tmp_path / "hostile.keras"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(hostile, "w") as out:
        for item in original.infolist():
            if item.filename != "model.weights.h5":
                out.writestr(item, original.read(item))
        weights = tmp_path / "w.h5"
        with h5py.File(weights, "w") as h5:
            group = h5.create_group("layers/dense")
            group.create_group("vars").attrs["name"] = "out"
            group["vars"]["0"] = h5py.ExternalLink(str(tmp_path / "secret.h5"), "/data")
        out.write(weights, "model.weights.h5")
    project, notes = import_keras(hostile)
    assert not project.weights
    assert any("link to elsewhere" in n and "not imported" in n for n in notes), notes
    assert len(project.graph) == 5, "the architecture is still imported"
