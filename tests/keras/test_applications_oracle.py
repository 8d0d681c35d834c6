"""Application backbones agree with the models keras.applications builds.

Each backbone takes seconds to build, so the cases are a fixed handful (no Hypothesis):
odd and variable sizes, 1 and 3 channels, every pooling, a frozen backbone, and inputs
Keras refuses, where our rule must refuse as well. Weights are always random: a test
that tried to download ImageNet weights fails instead of reaching the network.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest

from app.core.catalog.applications import SPECS
from app.core.catalog.spec import Shape
from tests.keras.oracle import check_against_keras

# (class name, config overrides, input shape, expected outcome)
CASES: list[tuple[str, dict[str, Any], Shape, str]] = [
    ("MobileNetV2", {}, (None, 224, 224, 3), "match"),
    ("MobileNetV2", {"alpha": 0.35, "pooling": "avg", "trainable": False}, (None, 97, 128, 1), "match"),
    ("MobileNetV2", {"alpha": 1.4, "pooling": "max"}, (None, None, 65, 3), "match"),
    ("MobileNetV2", {}, (None, 16, 16, 3), "both-refuse"),
    ("MobileNetV2", {}, (None, 64, None, 3), "both-refuse"),
    ("MobileNetV2", {"weights": "imagenet"}, (None, 96, 96, 1), "both-refuse"),
    ("MobileNetV2", {}, (None, 784), "both-refuse"),
    ("ResNet50", {"pooling": "avg"}, (None, 33, 47, 1), "match"),
    ("ResNet50", {"trainable": False}, (None, 65, None, 3), "match"),
    ("ResNet50", {}, (None, 31, 64, 3), "both-refuse"),
    ("ResNet50", {"weights": "imagenet"}, (None, 224, 224, 1), "both-refuse"),
    ("EfficientNetB0", {}, (None, 33, 47, 1), "match"),
    ("EfficientNetB0", {"pooling": "max", "trainable": False}, (None, None, None, 3), "match"),
    ("EfficientNetB0", {}, (None, 64, None, 3), "both-refuse"),
    ("EfficientNetB0", {}, (None, 64, 64, None), "both-refuse"),
    ("VGG16", {}, (4, 33, 63, 3), "match"),
    ("VGG16", {"pooling": "avg", "trainable": False}, (None, None, 65, 1), "match"),
    ("VGG16", {}, (None, 64, 64), "both-refuse"),
    ("DenseNet121", {"pooling": "max"}, (None, 65, 97, 3), "match"),
    ("DenseNet121", {"trainable": False}, (None, 32, 33, 1), "match"),
    ("DenseNet121", {}, (None, 16, 64, 3), "both-refuse"),
]


@pytest.fixture(autouse=True)
def _offline_and_fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No downloads, and a clean Keras session per build so names and memory do not pile up."""
    from keras.src.utils import file_utils

    def refuse_download(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("a test tried to download pre-trained weights")

    monkeypatch.setattr(file_utils, "get_file", refuse_download)
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


def test_every_backbone_has_cases_that_match_and_refuse() -> None:
    for spec in SPECS:
        outcomes = {outcome for name, _, _, outcome in CASES if name == spec.class_name}
        assert outcomes == {"match", "both-refuse"}, spec.class_name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.class_name)
def test_params_are_keras_constructor_arguments(spec: Any) -> None:
    """Every param but trainable goes to the factory by name, and include_top stays ours to set."""
    factory = getattr(keras.applications, spec.class_name)
    accepted = set(inspect.signature(factory).parameters)
    params = {p.name for p in spec.params} - {"trainable", "weights_file", "train_top_layers"}
    assert params <= accepted
    assert "include_top" not in params and "input_shape" not in params


@pytest.mark.filterwarnings("ignore:This model usually expects 1 or 3 input channels")
@pytest.mark.parametrize(
    ("class_name", "overrides", "shape", "expected"),
    CASES,
    ids=[f"{name}-{shape}-{overrides}" for name, overrides, shape, _ in CASES],
)
def test_backbone_agrees_with_keras(class_name: str, overrides: dict[str, Any], shape: Shape, expected: str) -> None:
    assert check_against_keras(class_name, overrides, [shape]) == expected
