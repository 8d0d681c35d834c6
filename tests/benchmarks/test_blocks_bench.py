"""Issue 16 figures: import (config -> graph) and fold (nested models + name-prefix groups) for
ResNet50 (177 layers) and EfficientNetV2L (1,028 layers), and the top-level item count after
folding. Folding runs inside import; here it is also timed alone on the imported graph."""

from __future__ import annotations

import json

import keras  # a hard dependency: a broken install fails here, never skips
import pytest

from app.core.auto_blocks import fold_by_prefix
from app.core.blocks import FOLD_THRESHOLD, BlockTree, top_level
from app.keras_bridge.importer import import_config

MODELS = {
    "ResNet50": lambda: keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3)),
    "EfficientNetV2L": lambda: keras.applications.EfficientNetV2L(weights=None, input_shape=(224, 224, 3)),
}


@pytest.fixture(scope="module", params=list(MODELS))
def config(request: pytest.FixtureRequest) -> tuple[str, dict]:
    model = MODELS[request.param]()
    data = json.loads(model.to_json())
    keras.backend.clear_session()
    return request.param, data


def test_import_and_fold(benchmark, config: tuple[str, dict]) -> None:
    name, data = config
    project, _notes = benchmark(import_config, data)
    items = len(top_level(project.graph, project.blocks))
    benchmark.extra_info.update(model=name, layers=len(project.graph), blocks=len(project.blocks), top_level=items)
    print(f"\n{name}: {len(project.graph)} layers, {len(project.blocks)} blocks, {items} top-level items")
    assert items <= FOLD_THRESHOLD


def test_fold_alone(benchmark, config: tuple[str, dict]) -> None:
    name, data = config
    project, _notes = import_config(data)
    benchmark(lambda: fold_by_prefix(project.graph, BlockTree()))
    benchmark.extra_info.update(model=name, layers=len(project.graph))
