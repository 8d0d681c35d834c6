"""`layerforge check MODEL.keras` imports the model first (as `layerforge import` would) and
reports it like a project: the top-level hierarchy, Keras' totals, the exit code."""

from __future__ import annotations

import json

import keras

from app.cli import main


def small_model() -> keras.Model:
    inputs = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, name="stem_conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(2, name="head")(x)
    return keras.Model(inputs, outputs, name="tiny")


def test_check_reads_a_keras_model(tmp_path, capsys) -> None:
    model = small_model()
    path = tmp_path / "tiny.keras"
    model.save(path)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stem_conv" in out and f"Total params: {model.count_params():,}" in out
    assert main(["check", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert [node["name"] for node in report["nodes"]] == ["image", "stem_conv", "pool", "head"]


def test_check_refuses_a_file_that_is_not_a_keras_model(tmp_path, capsys) -> None:
    path = tmp_path / "notes.keras"
    path.write_text("not a zip archive", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "notes.keras" in err and "Traceback" not in err
    assert main(["check", "--json", str(path)]) == 2
    assert json.loads(capsys.readouterr().out)["valid"] is False
