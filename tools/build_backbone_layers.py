"""Rebuild ``app/core/catalog/backbone_layers.json``: each backbone's layers, in Keras' order, with their
weight counts, so the core can count a "train the top N layers" backbone without TensorFlow.

Keras freezes "the top N layers" as ``backbone.layers[-N:]``: that list includes activations, paddings
and additions, and its order is Keras' own (not always the order the layers were created in), so it is
read from Keras rather than worked out. Counts are recorded for 1 and 3 input channels; every layer's
count is linear in the channel count, so the core interpolates any other channel count exactly.

Run: ``.venv/bin/python -m tools.build_backbone_layers``
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

OUT = Path(__file__).resolve().parent.parent / "app" / "core" / "catalog" / "backbone_layers.json"


def _counts(model: object) -> list[list[int]]:
    """[trainable, non-trainable] per layer of a fully trainable backbone."""
    rows = []
    for layer in model.layers:  # type: ignore[attr-defined]
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        frozen = sum(int(w.numpy().size) for w in layer.non_trainable_weights)
        rows.append([trainable, frozen])
    return rows


def main() -> None:
    import keras

    from app.core.catalog.applications import MOBILENET_V2_ALPHAS

    variants: list[tuple[str, str, dict[str, object]]] = [
        (f"MobileNetV2@{alpha}", "MobileNetV2", {"alpha": alpha}) for alpha in MOBILENET_V2_ALPHAS
    ]
    variants += [(name, name, {}) for name in ("ResNet50", "EfficientNetB0", "VGG16", "DenseNet121")]
    table: dict[str, dict[str, list[list[int]]]] = {}
    for key, class_name, kwargs in variants:
        factory = getattr(keras.applications, class_name)
        entry = {}
        for channels in (1, 3):
            model = factory(input_shape=(32, 32, channels), include_top=False, weights=None, **kwargs)
            entry[f"c{channels}"] = _counts(model)
            keras.backend.clear_session()
        table[key] = entry
        print(key, len(entry["c3"]), "layers")
    OUT.write_text(json.dumps(table, separators=(",", ":")) + "\n", encoding="utf-8")
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
