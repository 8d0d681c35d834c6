"""Issue 15, "Show it": real models, end to end, the way a user would take them.

Every model of the keras.io corpus (``tests/keras/corpus``) and every ``keras.applications``
function (small inputs, ``weights=None``) is saved to a ``.keras`` file, then:

1. ``layerforge import`` (``import_keras``) reads it into a project;
2. ``layerforge check`` (``check_report``) finds it valid, with Keras' parameter totals
   (all and trainable) and Keras' shape for each model output;
3. ``export --python`` (``export_python``) writes a script that, run, rebuilds the same model:
   the same layers (flattened through nested models: names, classes, canonical configs,
   wiring), parameter totals and output shapes as the original;
4. ``export --keras`` (``export_keras``) writes a file that ``keras.saving.load_model`` loads
   to the same model: the same layers, layer classes and names, counts and output shapes.

Two differences are Layerforge's by design and compared as such: a Sequential model (at the
top or nested) comes back as the Functional model Keras builds for it (same layers), and
outputs given as a dict come back as a list in the dict's written order.

The models refused at step 1 must be exactly those in :data:`EXPECTED_REFUSALS`, each for its
stated reason: a regression fails, and so does a model that newly passes until the dict is
updated. About 4 minutes on two cores, hence ``slow``; the larger members of each application
family (15 minutes more) run in ``make test-all`` (mark ``full_corpus``).
"""

from __future__ import annotations

import gc
import math
import runpy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest

from app.commands.check import check_report
from app.core.project import Project
from app.core.shapes import analyze
from app.core.weights import ModelWeights
from app.keras_bridge.export import export_keras, export_python
from app.keras_bridge.importer import ImportRefused, import_keras
from tests.keras.corpus import CORPUS
from tests.keras.graph_compare import keras_layers

pytestmark = pytest.mark.slow

EXPECTED_REFUSALS: dict[str, str] = {
    # A custom Layer subclass (the VAE's Sampling) is code: never run (DESIGN.md, "Safety").
    "vae_encoder_sampling": "class Sampling from module 'tests.keras.corpus.generative', which is outside Keras",
    # One embedding model called by both towers: Layerforge shares layers between calls, not
    # whole nested models (its graph has one node per call of a layer, linked to the first).
    # The Lambda version (the source's) would also be refused for its Lambda layer.
    "siamese_contrastive_lambda": "nested model called 2 times",
    "siamese_contrastive_ops": "nested model called 2 times",
}
"""Models ``import`` refuses, by key -> a text its refusal message must contain."""

APPLICATION_INPUTS: dict[str, tuple[int, int, int]] = {
    "InceptionV3": (75, 75, 3),
    "InceptionResNetV2": (75, 75, 3),
    "Xception": (71, 71, 3),
    "NASNetMobile": (32, 32, 3),
    "NASNetLarge": (32, 32, 3),
}
"""Applications whose smallest input is not 32x32 (the rest take 32x32x3)."""


FAMILY_MEMBERS: dict[str, str] = {
    "ConvNeXtTiny": "ConvNeXtSmall ConvNeXtBase ConvNeXtLarge ConvNeXtXLarge",
    "DenseNet121": "DenseNet169 DenseNet201",
    "EfficientNetB0": "EfficientNetB1 EfficientNetB2 EfficientNetB3 EfficientNetB4 EfficientNetB5 EfficientNetB6 "
                      "EfficientNetB7",
    "EfficientNetV2B0": "EfficientNetV2B1 EfficientNetV2B2 EfficientNetV2B3 EfficientNetV2S EfficientNetV2M "
                        "EfficientNetV2L",
    "NASNetMobile": "NASNetLarge",
    "ResNet50": "ResNet101 ResNet152",
    "ResNet50V2": "ResNet101V2 ResNet152V2",
    "VGG16": "VGG19",
}
"""The smallest model of each keras.applications family -> its larger members, built by the
same Keras code with more blocks or wider layers. Every application is tested; the larger
members take 15 minutes more on two cores, so they carry the ``full_corpus`` mark: ``make test-all``
runs them, ``make test`` does not."""



def application_names() -> list[str]:
    """Every model function ``keras.applications`` exports (its submodules left out)."""
    return sorted(name for name in dir(keras.applications)
                  if name[:1].isupper() and callable(getattr(keras.applications, name)))


LARGER_MEMBERS = {name for members in FAMILY_MEMBERS.values() for name in members.split()}


def application_builder(name: str) -> Callable[[], Any]:
    def build() -> Any:
        shape = APPLICATION_INPUTS.get(name, (32, 32, 3))
        return getattr(keras.applications, name)(weights=None, input_shape=shape, classes=10)
    return build


MODELS: dict[str, Callable[[], Any]] = {**CORPUS, **{f"app_{n}": application_builder(n) for n in application_names()}}


IN_MAKE_TEST = frozenset({"ResNet50", "MobileNetV2", "EfficientNetB0", "ConvNeXtTiny", "MobileNetV3Small", "VGG16"})
"""The applications ``make test`` runs (about 30 s on two cores): residual, inverted-residual,
squeeze-excitation, LayerScale and ops, hard-swish, plain. The other 34 carry the ``full_corpus``
mark and run in ``make test-all``; their import and folding are also covered in ``make test`` by
tests/keras/test_import_folding.py and test_structural_folding.py."""


def _case(key: str) -> Any:
    if key.startswith("app_") and key.removeprefix("app_") not in IN_MAKE_TEST:
        return pytest.param(key, marks=pytest.mark.full_corpus)  # make test-all runs these; make test leaves them out
    return key


@pytest.fixture(autouse=True)
def _offline_and_fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No downloads (weights are random), and a clean Keras session per model."""
    from keras.src.utils import file_utils

    def refuse_download(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("a test tried to download pre-trained weights")

    monkeypatch.setattr(file_utils, "get_file", refuse_download)
    # free_memory=False: clear_session's own gc.collect() costs seconds each late in the whole suite
    # (a large heap) and ran five times per model; one collection per model, below, is enough.
    keras.backend.clear_session(free_memory=False)
    yield
    keras.backend.clear_session(free_memory=False)
    gc.collect()


@dataclass
class Facts:
    """What a built Keras model shows, as plain data."""

    layers: list[dict[str, Any]]
    top: list[tuple[str, str]]
    params: int
    trainable: int
    outputs: list[tuple[int | None, ...]]


def functional(model: Any) -> Any:
    """The model as a Functional model: a Sequential one as the Functional model Keras builds
    for it (Layerforge exports every model and sub-model as Functional)."""
    return model._functional if isinstance(model, keras.Sequential) else model


def functional_config(model: Any) -> dict[str, Any]:
    """``model.get_config()`` in the Functional form :func:`keras_layers` reads, Sequential
    sub-models included, outputs given as a dict as the list of its values (the importer keeps
    them as an ordered list, in the order the file gives)."""
    config = functional(model).get_config()
    if isinstance(config["output_layers"], dict):
        config["output_layers"] = list(config["output_layers"].values())
    for entry in config["layers"]:
        if entry["class_name"] in ("Sequential", "Functional"):
            entry["class_name"] = "Functional"
            entry["config"] = functional_config(model.get_layer(entry.get("name", entry["config"]["name"])))
    return config


def output_shapes(model: Any) -> list[tuple[int | None, ...]]:
    """Each output's shape, in the order the model's config gives its outputs (for a dict of
    outputs, its written order, where ``model.outputs`` follows Keras' sorted keys)."""
    shapes = [tuple(t.shape) for t in functional(model).outputs]
    written = functional(model).get_config()["output_layers"]
    if not isinstance(written, dict):
        return shapes
    by_key = dict(zip(keras.tree.flatten({key: key for key in written}), shapes, strict=True))
    return [by_key[key] for key in written]


def facts(model: Any) -> Facts:
    config = functional_config(model)
    trainable = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    top = [(layer.name, "Functional" if isinstance(layer, keras.Sequential) else type(layer).__name__)
           for layer in functional(model).layers]
    return Facts(keras_layers(config), top, int(model.count_params()), trainable, output_shapes(model))


def checked(project: Project) -> tuple[int, int, list[tuple[int | None, ...]]]:
    """What ``layerforge check`` reports: totals, and the shape of each model output."""
    analysis = analyze(project.graph)
    report = check_report(project, analysis)
    assert report["valid"], [p["message"] for p in report["problems"]] + report["block_problems"]
    shapes = []
    for node, port in project.graph.output_refs():
        info = analysis.nodes[node.id]
        assert info.output_shapes is not None, node.name
        shapes.append(tuple(info.output_shapes[port]))
    return report["total_params"], report["trainable_params"], shapes


def same_model(got: Facts, want: Facts, what: str) -> None:
    """Same layers (each with its inputs, so the same wiring; the order of layers that do not
    depend on each other may differ), parameter totals and output shapes."""
    ours, theirs = ({row["name"]: row for row in facts.layers} for facts in (got, want))
    assert len(ours) == len(got.layers) and len(theirs) == len(want.layers), f"{what}: layer names repeat"
    assert sorted(ours) == sorted(theirs), f"{what}: other layers"
    for name, row in theirs.items():
        assert ours[name] == row, f"{what}: layer {name} differs"
    assert (got.params, got.trainable) == (want.params, want.trainable), f"{what}: other parameter totals"
    assert got.outputs == want.outputs, f"{what}: other output shapes"


@pytest.mark.parametrize("key", [_case(key) for key in sorted(MODELS)])
def test_model_imports_checks_and_exports_like_keras(key: str, tmp_path: Path) -> None:
    model = MODELS[key]()
    original = facts(model)
    source = tmp_path / f"{key}.keras"
    model.save(source)
    del model
    keras.backend.clear_session(free_memory=False)

    if key in EXPECTED_REFUSALS:
        with pytest.raises(ImportRefused) as refused:
            import_keras(source)
        assert EXPECTED_REFUSALS[key] in refused.value.message
        return
    project, _notes = import_keras(source)
    if key.startswith("app_"):
        # Their weights are random: left behind, the exports build fresh ones instead of
        # writing and reading them again (kept weights: tests/keras/test_weights_roundtrip.py).
        project.weights = ModelWeights()

    total, trainable, outputs = checked(project)
    assert (total, trainable) == (original.params, original.trainable), "check's totals are Keras'"
    assert outputs == original.outputs, "check's output shapes are Keras'"

    script = export_python(project, tmp_path / f"{key}_exported.py")
    rebuilt = runpy.run_path(str(script), run_name="exported")["model"]  # our own generated script
    same_model(facts(rebuilt), original, "export --python")
    del rebuilt
    keras.backend.clear_session(free_memory=False)

    exported = export_keras(project, tmp_path / f"{key}_exported.keras")
    keras.backend.clear_session(free_memory=False)
    loaded = keras.saving.load_model(exported)
    reloaded = facts(loaded)
    same_model(reloaded, original, "export --keras")
    assert sorted(reloaded.top) == sorted(original.top), "export --keras: other top-level layers, classes or names"


def test_the_corpus_covers_at_least_twenty_keras_io_models() -> None:
    assert len(CORPUS) - len(EXPECTED_REFUSALS) >= 20
    assert set(EXPECTED_REFUSALS) <= set(MODELS)
    assert len(application_names()) >= 30, "keras.applications lost its models?"
    families = set(FAMILY_MEMBERS) | LARGER_MEMBERS
    assert families <= set(application_names()), "a family member is not a keras.applications function"
