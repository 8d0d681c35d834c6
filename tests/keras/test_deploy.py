"""Deployable exports (SavedModel, TFLite, ONNX): each artifact is run and matches Keras, carries the
project's weights, is written atomically, and a model a converter refuses gets a message naming the layer."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import onnxruntime  # the layerforge[onnx] extra, which `make test` installs
import pytest
import tensorflow as tf

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, load_project, save_project
from app.core.weights import WeightsSource
from app.keras_bridge import deploy
from app.keras_bridge.deploy import DeployError, export_onnx, export_saved_model, export_tflite
from app.keras_bridge.export import model_with_weights
from app.keras_bridge.weights_io import extract_weights, save_project_with_weights

MODELS = Path(__file__).resolve().parents[2] / "models"
EXAMPLES = ["mlp_tabular", "lenet_mnist"]  # the MLP and a small CNN
TOLERANCE = 1e-4


def example(name: str) -> Project:
    return load_project(MODELS / f"{name}.json")


def trained_like(model: Any, seed: int = 1) -> None:
    """Weights no initializer would give, so an artifact with initial weights cannot match."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.3, size=w.shape).astype(w.dtype) for w in model.get_weights()])


def batch(model: Any, rows: int = 5) -> np.ndarray:
    shape = [rows, *(int(size) for size in model.inputs[0].shape[1:])]
    return np.random.default_rng(7).random(shape, dtype=np.float32)


def run_artifact(fmt: str, path: Path, x: np.ndarray) -> np.ndarray:
    """Our own run of the written artifact, independent of the exporter's verification."""
    if fmt == "saved_model":
        loaded = tf.saved_model.load(os.fspath(path))  # kept: serve() needs the object's variables alive
        return np.asarray(loaded.serve(x))
    if fmt == "tflite":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
        runner = interpreter.get_signature_runner("serving_default")
        (name,) = runner.get_input_details()
        (out,) = runner(**{name: x}).values()
        return np.asarray(out)
    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {session.get_inputs()[0].name: x})[0])


TARGETS = {"saved_model": ("saved", export_saved_model), "tflite": ("net.tflite", export_tflite),
           "onnx": ("net.onnx", export_onnx)}


@pytest.mark.parametrize("fmt", list(TARGETS))
@pytest.mark.parametrize("name", EXAMPLES)
def test_each_format_round_trips_numerically_with_the_models_weights(tmp_path: Path, name: str, fmt: str) -> None:
    project = example(name)
    model, _ = model_with_weights(project)
    trained_like(model)
    file_name, exporter = TARGETS[fmt]
    verified = exporter(model, tmp_path / file_name)

    assert verified.path == (tmp_path / file_name).resolve()
    assert verified.max_abs_diff <= verified.tolerance <= TOLERANCE * 2
    x = batch(model)  # another batch size than the verification's: the batch dimension stays free
    diff = float(np.max(np.abs(run_artifact(fmt, tmp_path / file_name, x) - np.asarray(model(x)))))
    print(f"{name} × {fmt}: max abs diff {diff:.2e} (exporter reported {verified.max_abs_diff:.2e})")
    assert diff <= TOLERANCE
    fresh, _ = model_with_weights(project)
    assert np.max(np.abs(run_artifact(fmt, tmp_path / file_name, x) - np.asarray(fresh(x)))) > 1e-2, \
        "the artifact holds the given weights, not initial ones"
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name], "no temp file or folder is left"


def test_cli_writes_all_three_with_the_projects_saved_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    project = example("mlp_tabular")
    model, _ = model_with_weights(project)
    trained_like(model, seed=3)
    project.weights = extract_weights(model, project.graph, WeightsSource(kind="file", file="mine.weights.h5"))
    path = tmp_path / "iris.json"
    save_project_with_weights(project, path)

    code = main(["export", str(path), "--saved-model", str(tmp_path / "served"), "--tflite",
                 str(tmp_path / "iris.tflite"), "--onnx", str(tmp_path / "iris.onnx")])
    out = capsys.readouterr().out
    assert code == 0, out
    for written in ("served", "iris.tflite", "iris.onnx"):
        assert f"wrote {tmp_path / written}" in out
    assert out.count("max abs difference from Keras") == 3 and "the weights" in out
    x = batch(model)
    for fmt, written in (("saved_model", "served"), ("tflite", "iris.tflite"), ("onnx", "iris.onnx")):
        assert np.max(np.abs(run_artifact(fmt, tmp_path / written, x) - np.asarray(model(x)))) <= TOLERANCE


def lstm_model() -> Any:
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 8, name="embed")(tokens)
    x = keras.layers.LSTM(6, name="reader")(x)
    return keras.Model(tokens, keras.layers.Dense(2, name="head")(x), name="sentiment")


def hashing_graph() -> Graph:
    """Integer ids hashed into buckets: Keras' Hashing turns them into text first (tf.AsString), an op
    LiteRT's built-in set does not have, with any batch size."""
    graph = Graph()
    nodes = [graph.add_node("InputLayer", name="ids", config={"batch_shape": [None, 4], "dtype": "int64"}),
             graph.add_node("Hashing", name="bucket", config={"num_bins": 16}),
             graph.add_node("Embedding", name="embed", config={"input_dim": 16, "output_dim": 3}),
             graph.add_node("Flatten", name="flat", config={}),
             graph.add_node("Dense", name="scores", config={"units": 2})]
    for source, target in itertools.pairwise(nodes):
        graph.connect(source.id, target.id)
    return graph


def hashing_model() -> Any:
    return model_with_weights(Project(graph=hashing_graph(), name="hashed"))[0]


def test_a_layer_tflite_cannot_convert_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(DeployError) as caught:
        export_tflite(hashing_model(), tmp_path / "ids.tflite")
    message = str(caught.value)
    assert message.startswith('cannot convert to TFLite: layer "bucket" (Hashing): ')
    assert "tf.AsString" in message and "loc(" not in message and "Traceback" not in message
    assert caught.value.refused
    assert list(tmp_path.iterdir()) == []
    # the same model exports as a SavedModel (integer inputs included); ONNX has no such op either, and says where
    assert export_saved_model(hashing_model(), tmp_path / "served").max_abs_diff <= TOLERANCE
    with pytest.raises(DeployError, match=r'layer "bucket" \(Hashing\)') as onnx:
        export_onnx(hashing_model(), tmp_path / "ids.onnx")
    assert "StringToHashBucketFast" in str(onnx.value) and "nothing was written" in str(onnx.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]


def test_a_recurrent_layer_converts_to_tflite_with_a_batch_of_one_and_matches_keras(tmp_path: Path) -> None:
    """With a variable batch the loop's tf.TensorListReserve has no static shape and stays a TensorFlow
    op (the refusal this export gave before); with a batch of 1 it is LiteRT's built-in WHILE."""
    model = lstm_model()
    trained_like(model)
    verified = export_tflite(model, tmp_path / "text.tflite")
    assert verified.max_abs_diff <= verified.tolerance and verified.batch == 4
    assert "batch size is fixed at 1" in verified.note and 'layer "reader" (LSTM)' in verified.note
    assert "TensorListReserve" in verified.note and "unroll" not in verified.note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=os.fspath(tmp_path / "text.tflite"))
    assert "Flex" not in str(interpreter._get_ops_details())  # built-in ops only: the plain LiteRT runtime
    runner = interpreter.get_signature_runner("serving_default")
    (name,) = runner.get_input_details()
    tokens = np.random.default_rng(2).integers(0, 50, size=(3, 12)).astype("int32")
    rows = [np.asarray(next(iter(runner(**{name: tokens[i:i + 1]}).values()))) for i in range(3)]
    assert np.max(np.abs(np.concatenate(rows) - np.asarray(model(tokens)))) <= TOLERANCE


def test_cli_reports_the_refusal_without_a_traceback_and_writes_the_other_formats(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hashed.json"
    save_project(Project(graph=hashing_graph(), name="hashed"), path)
    out = tmp_path / "out"
    out.mkdir()
    code = main(["export", str(path), "--tflite", str(out / "t.tflite"), "--saved-model", str(out / "served")])
    captured = capsys.readouterr()
    assert code == 1
    assert 'error: cannot convert to TFLite: layer "bucket" (Hashing)' in captured.err
    assert "Traceback" not in captured.err
    assert f"wrote {out / 'served'}" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["served"]


def test_cli_writes_a_recurrent_example_to_tflite_saying_its_batch_is_fixed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", str(MODELS / "text_lstm.json"), "--tflite", str(tmp_path / "t.tflite")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"wrote {tmp_path / 't.tflite'}" in out and "fixed at 1" in out and 'layer "lstm" (LSTM)' in out


def test_an_artifact_that_does_not_match_keras_is_refused_and_not_written(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = model_with_weights(example("mlp_tabular"))
    real = deploy._run_onnx
    monkeypatch.setattr(deploy, "_run_onnx", lambda *a: [out + 1e-2 for out in real(*a)])
    (tmp_path / "net.onnx").write_bytes(b"the previous file")
    with pytest.raises(DeployError, match=r"differ from Keras' by up to 0\.01"):
        export_onnx(model, tmp_path / "net.onnx")
    assert (tmp_path / "net.onnx").read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.onnx"]


def test_saved_model_replaces_an_earlier_one_but_never_another_folder(tmp_path: Path) -> None:
    model, _ = model_with_weights(example("mlp_tabular"))
    target = tmp_path / "served"
    export_saved_model(model, target)
    trained_like(model, seed=5)
    export_saved_model(model, target)  # over the earlier SavedModel
    x = batch(model)
    assert np.max(np.abs(run_artifact("saved_model", target, x) - np.asarray(model(x)))) <= TOLERANCE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]

    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "cat.jpg").write_bytes(b"...")
    with pytest.raises(DeployError, match="not empty and holds no SavedModel"):
        export_saved_model(model, mine)
    assert [p.name for p in mine.iterdir()] == ["cat.jpg"]
    with pytest.raises(DeployError, match=r"must end in \.tflite"):
        export_tflite(model, tmp_path / "net.lite")


def augmented_model() -> Any:
    image = keras.Input((16, 16, 1), name="image")
    x = keras.layers.RandomRotation(0.2, name="rotate")(image)
    x = keras.layers.Conv2D(4, 3, name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(image, keras.layers.Dense(3, name="head")(x), name="augmented")


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_augmentation_layers_are_exported_for_inference(tmp_path: Path, fmt: str) -> None:
    """model.export alone traced RandomRotation in training mode: random outputs, random ops."""
    model = augmented_model()
    file_name, exporter = TARGETS[fmt]
    assert exporter(model, tmp_path / file_name).max_abs_diff <= TOLERANCE
    x = batch(model, rows=3)
    first, again = run_artifact(fmt, tmp_path / file_name, x), run_artifact(fmt, tmp_path / file_name, x)
    assert np.array_equal(first, again)
    assert np.max(np.abs(first - np.asarray(model(x, training=False)))) <= TOLERANCE
