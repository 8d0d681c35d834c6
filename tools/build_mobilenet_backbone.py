"""Rebuild ``models/mobilenet_transfer_backbone.weights.h5``: small MobileNetV2 weights we pretrain ourselves.

Offline there are no ImageNet weights, and a frozen random backbone gives the lesson's head nothing
to learn from. So this pretrains the narrow MobileNetV2 (alpha 0.35, 96x96 RGB, no top) on a task of
its own: the ten digits of the bundled MNIST 5k, each drawn in a random colour on a random background,
at a random size and place (so colour and position carry no information, as in the shapes images).
It never sees a shape. The backbone's weights are stored in Keras' ``.weights.h5`` layout as float16
(Keras casts them back when loading) to keep the file under 1 MiB.

Same seed, same file: ``.venv/bin/python -m tools.build_mobilenet_backbone``. Nothing is downloaded.
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

OUT = ROOT / "models" / "mobilenet_transfer_backbone.weights.h5"
SIZE = 96
ALPHA = 0.35
SEED = 0
EPOCHS = 14


def coloured_digits(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """MNIST 5k digits as 96x96 RGB pictures (0..255): random colours, sizes and places."""
    from PIL import Image

    from app.data import load_dataset

    data = load_dataset({"name": "mnist_5k"})
    digits = np.asarray(data.x, dtype=np.float32).reshape(-1, 28, 28)
    labels = np.asarray(data.y).astype(np.int64)
    rng = np.random.default_rng(seed)
    images = np.empty((len(digits), SIZE, SIZE, 3), dtype=np.float32)
    for i, digit in enumerate(digits):
        side = int(rng.integers(40, SIZE + 1))
        top, left = (int(v) for v in rng.integers(0, SIZE - side + 1, size=2))
        picture = Image.fromarray(np.uint8(digit * 255)).resize((side, side), Image.Resampling.BILINEAR)
        mask = np.zeros((SIZE, SIZE), dtype=np.float32)
        mask[top:top + side, left:left + side] = np.asarray(picture, dtype=np.float32) / 255.0
        background, ink = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
        while np.abs(background - ink).sum() < 150:  # keep the digit visible
            ink = rng.integers(0, 256, size=3).astype(np.float32)
        images[i] = background * (1 - mask[..., None]) + ink * mask[..., None]
    order = rng.permutation(len(images))  # MNIST 5k comes sorted by digit: mix before any split
    return images[order], labels[order]


def write_float16(backbone: object, path: Path) -> None:
    """Keras' own weights file, then every array stored again as float16 (Keras casts it back on loading)."""
    backbone.save_weights(path)  # type: ignore[attr-defined]
    pack(path)


def pack(path: Path) -> None:
    """Rewrite a weights file compactly: float16 arrays, gzip, and HDF5's newer, smaller object headers."""
    import h5py

    packed = path.with_suffix(".tmp")
    with h5py.File(path, "r") as source, h5py.File(packed, "w", libver="latest") as target:
        def copy(name: str, item: object) -> None:
            if isinstance(item, h5py.Group):
                group = target.require_group(name)
                for key, value in item.attrs.items():
                    group.attrs[key] = value
                return
            values = np.asarray(item)
            if values.dtype == np.float32:
                values = values.astype(np.float16)
            options = {"compression": "gzip", "shuffle": True} if values.size > 16 else {}
            target.create_dataset(name, data=values, **options)

        source.visititems(copy)
        for key, value in source.attrs.items():
            target.attrs[key] = value
    packed.replace(path)


def main() -> None:
    import keras

    x, y = coloured_digits()
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_plus1")(inputs)
    backbone = keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=ALPHA, include_top=False,
                                              weights=None, name="backbone")
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            # Keras' 0.999 suits ImageNet-length training; over a few hundred steps the moving statistics
            # would stay near their start, and a frozen backbone (inference mode) would see wrong ones.
            layer.momentum = 0.9
    features = keras.layers.GlobalAveragePooling2D(name="pool")(backbone(scaled))
    outputs = keras.layers.Dense(10, activation="softmax", name="digit_scores")(features)
    model = keras.Model(inputs, outputs, name="coloured_digits")
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=EPOCHS, validation_split=0.1, verbose=2)
    print("pretraining validation accuracy", history.history["val_accuracy"][-1])
    write_float16(backbone, OUT)
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
