"""Issue 15, "Show it": import + check of a 1,000-layer model, next to Keras' own
``keras.saving.load_model`` of the same file, in the same run.

The model is keras.applications.EfficientNetV2L (1,031 layers, 119 million parameters, random
weights, 64x64 inputs). Both sides read the whole file, weights included: Layerforge's import
keeps the trained weights (as data, with h5py), and Keras builds and loads the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest

from app.commands.check import check_report
from app.core.shapes import analyze
from app.keras_bridge.importer import import_keras

ROUNDS = 3


@pytest.fixture(scope="module")
def big_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """The saved file, its layer count and parameter total (the model itself is let go)."""
    keras.backend.clear_session()
    model = keras.applications.EfficientNetV2L(weights=None, input_shape=(64, 64, 3))
    path = tmp_path_factory.mktemp("bench_1000") / "efficientnetv2l.keras"
    model.save(path)
    facts = (path, len(model.layers), int(model.count_params()))
    del model
    keras.backend.clear_session()
    return facts


def _keras_load(path: Path) -> Any:
    keras.backend.clear_session()
    return keras.saving.load_model(path)


def _import_and_check(path: Path) -> dict[str, Any]:
    project, _notes = import_keras(path)
    return check_report(project, analyze(project.graph))


def test_keras_load_model_1000_layers(benchmark: Any, big_model: tuple[Path, int, int]) -> None:
    path, layers, params = big_model
    model = benchmark.pedantic(_keras_load, args=(path,), rounds=ROUNDS, iterations=1)
    assert len(model.layers) == layers >= 1000
    assert model.count_params() == params
    keras.backend.clear_session()


def test_import_and_check_1000_layers(benchmark: Any, big_model: tuple[Path, int, int]) -> None:
    path, layers, params = big_model
    report = benchmark.pedantic(_import_and_check, args=(path,), rounds=ROUNDS, iterations=1)
    assert report["valid"]
    assert len(report["nodes"]) == layers >= 1000
    assert report["total_params"] == params
