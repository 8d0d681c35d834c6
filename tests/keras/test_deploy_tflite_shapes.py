"""TFLite export of models whose shapes the converter only knows with a fixed batch (the generative
examples: a Conv2D after UpSampling2D stages), and the converter's native stderr kept off the
terminal (issue 18). Real Keras, the real converter and TensorFlow's TFLite interpreter."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest
import tensorflow as tf

from app.cli import main
from app.keras_bridge.deploy import DeployError, export_tflite, native_stderr_captured

MODELS = Path(__file__).resolve().parents[2] / "models"


def upsampling_decoder() -> keras.Model:
    """The denoising autoencoder's shape: strided convolutions down, UpSampling2D + Conv2D up."""
    keras.utils.set_random_seed(3)
    image = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="down_1")(image)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="down_2")(x)
    x = keras.layers.UpSampling2D(2, name="up_1")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="up_conv_1")(x)
    x = keras.layers.UpSampling2D(2, name="up_2")(x)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="up_conv_2")(x)
    return keras.Model(image, keras.layers.Conv2D(1, 3, padding="same", name="clean")(x), name="denoiser")


def run_rows(path: Path, x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
    runner = interpreter.get_signature_runner("serving_default")
    (name,) = runner.get_input_details()
    return np.concatenate([np.asarray(next(iter(runner(**{name: x[i:i + 1]}).values()))) for i in range(len(x))])


def test_a_conv2d_after_upsampling2d_converts_with_a_batch_of_one_and_matches_keras(tmp_path: Path) -> None:
    model = upsampling_decoder()
    verified = export_tflite(model, tmp_path / "denoiser.tflite")
    assert verified.max_abs_diff <= verified.tolerance and verified.batch == 4
    # TensorFlow 2.21 refuses the variable batch; the note says so and why, naming the layer
    assert "batch size is fixed at 1" in verified.note and 'layer "up_conv_2" (Conv2D)' in verified.note
    assert "tf.Conv2D" in verified.note and verified.note in verified.describe()
    x = np.random.default_rng(5).random((6, 28, 28, 1), dtype=np.float32)
    diff = float(np.max(np.abs(run_rows(tmp_path / "denoiser.tflite", x) - np.asarray(model(x)))))
    assert diff <= 1e-4, diff
    assert sorted(p.name for p in tmp_path.iterdir()) == ["denoiser.tflite"]


def test_a_model_that_converts_as_it_is_keeps_its_free_batch(tmp_path: Path) -> None:
    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(3, name="out")(inputs))
    verified = export_tflite(model, tmp_path / "dense.tflite")
    assert verified.note == "" and "fixed" not in verified.describe()


@pytest.mark.parametrize("name", ["dcgan_mnist", "vae_mnist", "denoising_autoencoder"])
def test_the_generative_examples_export_to_tflite(tmp_path: Path, name: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(MODELS / f"{name}.json"), "--tflite", str(tmp_path / "m.tflite")]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "verified on a batch of 4" in out and "fixed at 1" in out, out
    assert (tmp_path / "m.tflite").stat().st_size > 0


def test_native_stderr_is_captured_and_restored(capfd: pytest.CaptureFixture[str]) -> None:
    with native_stderr_captured() as captured:
        os.write(2, b"loc(fused[...]): error: from native code\n")
    os.write(2, b"after\n")
    assert captured.text == "loc(fused[...]): error: from native code\n"
    assert capfd.readouterr().err == "after\n"


def test_a_refused_conversion_prints_no_mlir_lines_only_our_message(tmp_path: Path,
                                                                   capfd: pytest.CaptureFixture[str]) -> None:
    ids = keras.Input((5,), dtype="int64", name="ids")
    x = keras.layers.Hashing(num_bins=16, name="bucket")(ids)  # tf.AsString: no LiteRT built-in, any batch
    model = keras.Model(ids, keras.layers.Embedding(16, 3, name="embed")(x), name="hashed")
    capfd.readouterr()
    with pytest.raises(DeployError) as caught:
        export_tflite(model, tmp_path / "ids.tflite")
    err = capfd.readouterr().err
    assert "loc(" not in err and "error:" not in err and "Select TF ops" not in err, err
    assert str(caught.value).startswith('cannot convert to TFLite: layer "bucket" (Hashing): ')
