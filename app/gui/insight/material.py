"""What every insight tab works on: a model, the graph it was built from, and the prepared data.

Two sources, chosen on the GUI thread without Keras:

- the **trained model (last run)**: the training panel's last result, as long as the
  document's model is unchanged since that run (same :func:`graph_fingerprint`);
- otherwise an **untrained** model with random weights from seed 0, built from the current
  graph, and the chosen dataset split and prepared exactly as a training run would
  (``split_dataset`` + ``prepare`` with the project's settings). That takes Keras and
  seconds, so it happens in a background job. When the project has weights (imported,
  trained, loaded) or a backbone names a weights file, the model gets them as export and
  training do (:func:`app.keras_bridge.weights_io.build_model`), and the source says so.

A :class:`Material` is identified by a key; the panel keeps the newest one and hands it to
every tab that asks, so switching tabs never rebuilds a model. Keys hold serial numbers the
panel gives each training result and dataset it sees (compared with ``is``), never ``id()``:
a freed object's address can come back for a new one.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.graph import Graph
from app.core.shapes import Analysis

TRAINED = "trained model (last run)"
UNTRAINED = "untrained (random weights, seed 0)"
NO_DATASET = "Choose a dataset in the Training panel's Data tab."
LOADING = "Loading the dataset…"
MODEL_ERRORS = "The model has errors: fix them first (see the Problems panel)."
NO_MODEL = "Open a model first."
TRAINING = "Training is running: the views use the trained model when the run ends."
"""No untrained model is built during a run: it would compete for the CPU and reseed Keras."""
NONE = "none"
"""The source label's word when there is no model to show (a hint or an error instead)."""
HINTS = (NO_DATASET, LOADING, MODEL_ERRORS, NO_MODEL, TRAINING)
"""Messages that ask the user to do something (shown grey; failures are red)."""


@dataclass
class Material:
    """A model ready to probe, with the graph copy, analysis and data it belongs to."""

    key: tuple[Any, ...]
    source: str
    model: Any
    graph: Graph
    analysis: Analysis
    prepared: Any
    dataset: Any

    @property
    def class_names(self) -> list[str] | None:
        names = getattr(self.prepared, "class_names", None) or getattr(self.dataset, "class_names", None)
        return list(names) if names else None

    @property
    def trained(self) -> bool:
        return self.source == TRAINED


@dataclass
class Recipe:
    """How to get a Material: the key, and (for an untrained model) what the job needs."""

    key: tuple[Any, ...]
    source: str
    graph: Graph
    analysis: Analysis
    result: Any = None
    dataset: Any = None
    settings: dict[str, Any] | None = None
    ref: dict[str, Any] | None = None
    name: str = "model"
    weights: Any = None
    """The project's kept weights (:class:`app.core.weights.ModelWeights`) the model gets, if any."""
    folder: Path | None = None
    """The project's folder, where backbone weights files are found."""
    files: tuple[str, ...] = ()
    """Backbones whose weights come from their file, in words."""


def untrained_recipe(graph: Graph, analysis: Analysis, dataset: Any, dataset_serial: int, training: dict[str, Any],
                     ref: dict[str, Any] | None, fingerprint: str, name: str, weights: Any = None,
                     folder: Path | None = None) -> Recipe:
    """The recipe for a model not trained in this session on ``dataset`` (``dataset_serial``: the panel's
    number for that dataset object), with the project's ``weights`` and backbone files (from ``folder``)
    where it has some; the key changes with anything that changes the model or the prepared arrays."""
    from app.core.training_settings import with_defaults
    from app.core.weights import ModelWeights, backbone_sources

    settings = with_defaults(copy.deepcopy(training))
    weights = weights if weights else ModelWeights()
    files = tuple(backbone_sources(graph, analysis, weights))
    kept = (json.dumps(weights.source.to_json(), sort_keys=True),
            tuple(sorted((nid, lw.fingerprint) for nid, lw in weights.layers.items())))
    key = ("untrained", fingerprint, dataset_serial, json.dumps(settings, sort_keys=True, default=str),
           json.dumps(ref, sort_keys=True, default=str), kept, files, str(folder))
    return Recipe(key, weights_source(weights, files), graph, analysis, dataset=dataset, settings=settings,
                  ref=copy.deepcopy(ref), name=name, weights=weights, folder=folder, files=files)


def weights_source(weights: Any, files: tuple[str, ...]) -> str:
    """The source line for a model that was not trained in this session: UNTRAINED, or which weights it has."""
    backbones = f"backbone{'s' if len(files) > 1 else ''} {', '.join(files)}"
    if weights:
        return f"the project's weights ({weights.describe()})" + (f"; {backbones}" if files else "")
    return f"untrained (seed 0) except {backbones}" if files else UNTRAINED


def build_material(recipe: Recipe) -> Material:
    """Off the GUI thread: split and prepare the data, then build the untrained model."""
    if recipe.result is not None:
        result = recipe.result
        return Material(recipe.key, recipe.source, result.model, recipe.graph, recipe.analysis,
                        result.prepared, result.dataset)
    from app.data import prepare, split_dataset
    from app.keras_bridge.insight import untrained_model

    settings = recipe.settings or {}
    splits = split_dataset(recipe.dataset, settings["validation_split"], settings["test_split"], settings["seed"])
    prepared = prepare(recipe.dataset, splits, recipe.graph, settings, recipe.ref, recipe.analysis)
    if recipe.weights or recipe.files:
        model = _model_with_weights(recipe)
    else:
        model = untrained_model(recipe.graph, name=recipe.name, seed=0)
    return Material(recipe.key, recipe.source, model, recipe.graph, recipe.analysis, prepared, recipe.dataset)


def _model_with_weights(recipe: Recipe) -> Any:
    """The model as export builds it: backbone files, then the kept weights; the rest from seed 0.
    A missing backbone file raises a ValueError that names it (shown in the panel)."""
    import keras

    from app.keras_bridge.compile import KERAS_STATE_LOCK
    from app.keras_bridge.weights_io import build_model

    with KERAS_STATE_LOCK:
        keras.utils.set_random_seed(0)
        return build_model(recipe.graph, recipe.name, folder=recipe.folder, weights=recipe.weights,
                           analysis=recipe.analysis).model


def is_hint(message: str) -> bool:
    """Messages that ask the user to do something are grey; failures are red."""
    return message in HINTS


def model_name(project_name: str) -> str:
    """A Keras-safe model name from the project's name."""
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in project_name.strip()).strip("_")
    return cleaned or "model"
