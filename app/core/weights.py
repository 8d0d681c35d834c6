"""The weights a model has, per layer, as plain numpy arrays (no Keras, no Qt).

Weights belong to the model (DESIGN.md): a project keeps the arrays it got from an import,
a training run or a file, and an edit drops only the layers whose weight shapes changed.
To tell "changed" without Keras, each layer's arrays carry the *fingerprint* of the layer
they were taken from: its type, the shapes flowing into it (batch size aside) and the
parameters that decide weight shapes. A layer keeps its weights exactly while that
fingerprint is unchanged (renaming, moving or changing an activation keeps them).

Arrays are keyed per layer by their path inside the layer, as Keras' own weights files
name them (``vars/0``, ``vars/1``, ``_query_dense/vars/0`` for a sub-layer), so they go back
into a Keras layer in Keras' own order (:mod:`app.keras_bridge.weights_io`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from app.core.catalog import get_spec
from app.core.graph import Graph
from app.core.shapes import Analysis

SHAPE_FREE_KEYS = frozenset({
    "name", "trainable", "activation", "recurrent_activation", "dtype", "seed", "rate", "dropout",
    "recurrent_dropout", "padding", "strides", "dilation_rate", "momentum", "epsilon", "negative_slope",
    "alpha", "axis_name", "synchronized", "unroll", "return_sequences", "return_state", "go_backwards",
    "stateful", "noise_shape", "mask_zero", "training", "train_top_layers",
})
"""Config keys that never change a layer's weight shapes (initializers, regularizers and
constraints are recognised by their suffix). Anything else counts: unknown keys drop
weights rather than keep ones that might not fit."""

_FREE_SUFFIXES = ("_initializer", "_regularizer", "_constraint")

KINDS = ("initial", "imported", "trained", "file")


@dataclass(frozen=True)
class WeightsSource:
    """Where the weights came from, for the status bar, the Summary and the project file."""

    kind: str = "initial"
    file: str | None = None
    """The imported ``.keras`` file or the loaded weights file (its name, as the user gave it)."""
    run: int | None = None
    """The run's number in the project's history (1 = the first run kept)."""
    run_id: str | None = None
    started: str | None = None
    epochs: int | None = None
    metric: str | None = None
    """The run's test result in words, e.g. "test accuracy 98.1 %"."""
    stopped: bool = False

    def describe(self) -> str:
        """'initial' / 'imported from model.keras' / 'trained in run 3 (06:12, 5 epochs, test accuracy 98.1 %)'."""
        if self.kind == "imported":
            return f"imported from {self.file}"
        if self.kind == "file":
            return f"loaded from {self.file}"
        if self.kind != "trained":
            return "initial"
        details: list[str] = []
        if self.started:
            with contextlib.suppress(ValueError):
                details.append(datetime.fromisoformat(self.started).astimezone().strftime("%H:%M"))
        if self.epochs is not None:
            epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
            details.append(f"stopped after {epochs}" if self.stopped else epochs)
        if self.metric:
            details.append(self.metric)
        run = f"run {self.run}" if self.run is not None else "a run"
        return f"trained in {run}" + (f" ({', '.join(details)})" if details else "")

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value not in (None, False)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeightsSource:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        if known.get("kind") not in KINDS:
            known["kind"] = "initial"
        return cls(**known)


@dataclass(frozen=True)
class LayerWeights:
    """One layer's arrays (path inside the layer -> array) and the fingerprint they fit."""

    arrays: Mapping[str, np.ndarray]
    fingerprint: str

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {key: tuple(int(d) for d in array.shape) for key, array in self.arrays.items()}

    @property
    def count(self) -> int:
        return int(sum(int(array.size) for array in self.arrays.values()))

    @property
    def nbytes(self) -> int:
        return int(sum(int(array.nbytes) for array in self.arrays.values()))


@dataclass(frozen=True)
class ModelWeights:
    """The model's kept weights: node id -> :class:`LayerWeights`, plus where they came from.

    Immutable (a new object per change), so an undo step can hold the one before an edit
    and give it back without copying arrays."""

    layers: Mapping[str, LayerWeights] = field(default_factory=dict)
    source: WeightsSource = field(default_factory=WeightsSource)

    def __bool__(self) -> bool:
        return bool(self.layers)

    def without(self, node_ids: Iterable[str]) -> ModelWeights:
        gone = set(node_ids)
        return replace(self, layers={nid: lw for nid, lw in self.layers.items() if nid not in gone})

    @property
    def nbytes(self) -> int:
        return sum(lw.nbytes for lw in self.layers.values())

    def describe(self) -> str:
        return self.source.describe() if self.layers else "initial"


def _weight_config(config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items()
            if key not in SHAPE_FREE_KEYS and not key.endswith(_FREE_SUFFIXES)}


def layer_fingerprint(graph: Graph, analysis: Analysis, node_id: str) -> str | None:
    """A short text that changes whenever the layer's weight shapes may change; None when the
    shapes flowing in are unknown (an error upstream): then no weights can be said to fit."""
    node = graph.node(node_id)
    inputs: list[Any] = []
    for edge in graph.ordered_in_edges(node_id):
        info = analysis.nodes.get(edge.source)
        if info is None or info.output_shapes is None or edge.source_port >= len(info.output_shapes):
            return None
        shape = info.output_shapes[edge.source_port]
        inputs.append([edge.target_port, list(shape)[1:] if isinstance(shape, (list, tuple)) else repr(shape)])
    if node.class_name == "InputLayer":
        return None
    text = json.dumps([node.class_name, inputs, _weight_config(node.config)], sort_keys=True, default=repr)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def fingerprints(graph: Graph, analysis: Analysis, node_ids: Iterable[str] | None = None) -> dict[str, str | None]:
    ids = list(node_ids) if node_ids is not None else [n.id for n in graph.nodes()]
    return {nid: layer_fingerprint(graph, analysis, nid) if nid in graph else None for nid in ids}


def stale_layers(weights: ModelWeights, graph: Graph, analysis: Analysis) -> list[str]:
    """Node ids whose kept weights no longer fit: the layer is gone or its fingerprint changed."""
    now = fingerprints(graph, analysis, weights.layers)
    return [nid for nid, lw in weights.layers.items() if now.get(nid) != lw.fingerprint]


def with_fingerprints(arrays: Mapping[str, Mapping[str, np.ndarray]], graph: Graph, analysis: Analysis,
                      source: WeightsSource) -> ModelWeights:
    """Weights taken from a model built from ``graph`` as it is now: each layer gets its current
    fingerprint. Layers with no arrays (or no fingerprint) are left out."""
    prints = fingerprints(graph, analysis, arrays)
    return ModelWeights({nid: LayerWeights(dict(layer), fp) for nid, layer in arrays.items()
                         if layer and (fp := prints.get(nid)) is not None}, source)


def dropped_text(graph: Graph, node_ids: Iterable[str]) -> str:
    """'Weights dropped for dense_2 and out (their weight shapes changed; Undo brings them back)'."""
    names = [graph.node(nid).name if nid in graph else nid for nid in node_ids]
    gone = [nid for nid in node_ids if nid not in graph]
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    why = "the layer was removed" if len(gone) == len(names) else (
        "its weight shapes changed" if len(names) == 1 else "their weight shapes changed")
    return f"Weights dropped for {shown} ({why}; Undo brings them back)"


def _backbones(graph: Graph) -> list[Any]:
    return [node for node in graph.nodes() if (spec := get_spec(node.class_name)) is not None and spec.is_application]


def kept_backbones(graph: Graph, analysis: Analysis, weights: ModelWeights) -> frozenset[str]:
    """Names of the backbone nodes whose kept weights still fit. Those win over the node's
    ``weights_file`` and ``weights = imagenet``: they are what the user trained or imported on
    top of the file. Choosing another file (or ImageNet) changes the node's fingerprint, which
    drops the kept weights, so the new file's weights are used from then on."""
    ids = [node.id for node in _backbones(graph) if node.id in weights.layers]
    now = fingerprints(graph, analysis, ids)
    return frozenset(graph.node(nid).name for nid in ids if now.get(nid) == weights.layers[nid].fingerprint)


def backbone_sources(graph: Graph, analysis: Analysis, weights: ModelWeights) -> list[str]:
    """Backbones whose weights come from a file when the model is built (not covered by kept
    weights), in words: ["'backbone' from digits.weights.h5", "'resnet' ImageNet (Keras' cache)"]."""
    kept = kept_backbones(graph, analysis, weights)
    found: list[str] = []
    for node in _backbones(graph):
        if node.name in kept:
            continue
        value = node.config.get("weights_file") or ""
        if value:
            found.append(f"'{node.name}' from {value}")
        elif node.config.get("weights") == "imagenet":
            found.append(f"'{node.name}' ImageNet (Keras' cache)")
    return found


def backbone_text(graph: Graph, analysis: Analysis, weights: ModelWeights) -> str:
    """'' or '; backbone 'b' from digits.weights.h5' to append to a weights line."""
    found = backbone_sources(graph, analysis, weights)
    if not found:
        return ""
    return f"; backbone{'s' if len(found) > 1 else ''} " + ", ".join(found)


def run_source(record: Mapping[str, Any], number: int) -> WeightsSource:
    """Where a run's weights come from, for the status bar and the project file."""
    metrics = record.get("test_metrics") or {}
    metric = None
    key = next((k for k in ("accuracy", "compile_metrics", "loss") if isinstance(metrics.get(k), (int, float))), None)
    if key is not None:
        value = float(metrics[key])
        shown = f"{value * 100:.1f} %" if key == "accuracy" and 0 <= value <= 1 else f"{value:.4g}"
        metric = f"test {key} {shown}"
    return WeightsSource(kind="trained", run=number, run_id=record.get("id"), started=record.get("started"),
                         epochs=int(record.get("epochs_run") or 0), metric=metric,
                         stopped=record.get("status") == "stopped")


__all__ = ["KINDS", "SHAPE_FREE_KEYS", "LayerWeights", "ModelWeights", "WeightsSource", "backbone_sources",
           "backbone_text", "dropped_text", "fingerprints", "kept_backbones", "layer_fingerprint", "run_source",
           "stale_layers", "with_fingerprints"]
