"""Rebuild the data and the pretrained backbone of the transfer-learning lesson (``models/transfer_digits.json``).

1. Digits 0-4 of the bundled MNIST 5k (2,500 images) pretrain a small CNN: two convolutions and a
   Dense "features" layer under a 5-way head. Its weights go to ``models/digits_0_to_4_backbone.keras``
   (names kept, so the lesson's layers match them by name; about 230 KB).
2. Digits 5-9, 80 of each (400 images), become the new task: ``models/digits_5_to_9.npz``, labels
   "5".."9". Few samples on purpose: that is when a pretrained backbone pays off.

Same seed, same files: ``.venv/bin/python -m tools.build_transfer_lesson``. Nothing is downloaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

MODELS = ROOT / "models"
BACKBONE_FILE = MODELS / "digits_0_to_4_backbone.keras"
TARGET_FILE = MODELS / "digits_5_to_9.npz"
SEED = 0
PER_CLASS = 60
PRETRAIN_EPOCHS = 6


def backbone_layers(keras: object, inputs: object, trainable: bool = True) -> object:
    """The shared part, named as in the lesson project (the names are what the weights match on)."""
    layers = keras.layers  # type: ignore[attr-defined]
    x = layers.Conv2D(16, 3, activation="relu", name="conv1", trainable=trainable)(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2", trainable=trainable)(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    return layers.Dense(64, activation="relu", name="features", trainable=trainable)(x)


def mnist() -> tuple[np.ndarray, np.ndarray]:
    from app.data import load_dataset

    data = load_dataset({"name": "mnist_5k"})
    return np.asarray(data.x, dtype=np.float32).reshape(-1, 28, 28, 1), np.asarray(data.y).astype(np.int64)


def write_target(x: np.ndarray, y: np.ndarray) -> None:
    rng = np.random.default_rng(SEED)
    picked = np.concatenate([rng.choice(np.flatnonzero(y == digit), PER_CLASS, replace=False)
                             for digit in range(5, 10)])
    picked = rng.permutation(picked)
    pixels = np.round(x[picked, :, :, 0] * 255).astype(np.uint8)
    labels = np.array([str(d) for d in y[picked]])
    np.savez_compressed(TARGET_FILE, x=pixels, y=labels)
    print("wrote", TARGET_FILE, TARGET_FILE.stat().st_size, "bytes")


def pretrain(x: np.ndarray, y: np.ndarray) -> None:
    import keras

    keras.utils.set_random_seed(SEED)
    order = np.random.default_rng(SEED).permutation(int((y < 5).sum()))  # sorted by digit: mix before the split
    x, y = x[y < 5][order], y[y < 5][order]
    keep = slice(None)
    inputs = keras.Input((28, 28, 1), name="digit")
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="scores_0_to_4")(
        backbone_layers(keras, inputs)), name="digits_0_to_4")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[keep], y[keep], batch_size=32, epochs=PRETRAIN_EPOCHS, validation_split=0.1, verbose=2)
    print("pretraining validation accuracy", history.history["val_accuracy"][-1])
    # Save an uncompiled copy: weights and names only, no optimizer state.
    plain = keras.Model(inputs, model.outputs, name="digits_0_to_4")
    plain.save(BACKBONE_FILE)
    print("wrote", BACKBONE_FILE, BACKBONE_FILE.stat().st_size, "bytes")


LESSON = MODELS / "transfer_digits.json"


def three_ways(path: Path = LESSON) -> dict[str, object]:
    """Train the lesson three ways with the same seed and the same number of epochs in all:
    from scratch (every layer trains, no pretrained file), frozen pretrained layers (one phase),
    and the lesson as it is (frozen, then fine-tuned). Returns each run's result by name."""
    from app.core.project import load_project
    from app.keras_bridge.training import TrainingSession

    lesson = load_project(path)
    total = int(lesson.training["epochs"]) + int(lesson.training.get("fine_tune_epochs", 0))
    results: dict[str, object] = {}
    for name in ("scratch", "frozen", "fine_tune"):
        project = load_project(path)
        overrides: dict[str, object] = {}
        if name == "scratch":
            for node in project.graph.nodes():
                if node.config.get("trainable") is False:
                    node.config["trainable"] = True
            overrides = {"pretrained_weights": "", "fine_tune_epochs": 0, "epochs": total}
        elif name == "frozen":
            overrides = {"fine_tune_epochs": 0, "epochs": total}
        results[name] = TrainingSession(project, overrides=overrides).run()
    return results


def main() -> None:
    x, y = mnist()
    write_target(x, y)
    pretrain(x, y)
    if "--compare" in sys.argv:
        for name, result in three_ways().items():
            print(f"{name:10s} test accuracy {result.test_metrics.get('accuracy')}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
