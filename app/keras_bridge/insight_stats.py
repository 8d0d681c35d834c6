"""Histograms of weights and activations, dead ReLU units, and a 2-D classifier's decision grid.

Qt-free. :func:`decision_grid` is called from a training callback while ``fit`` runs, so it
calls the model directly (``model(points, training=False)``: no ``predict``, which would build
and trace its own function and compete with ``fit``) and only reads the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.graph import Graph, Node
from app.core.shapes import Analysis
from app.keras_bridge.insight_probe import ActivationProbe

if TYPE_CHECKING:
    import keras

RELU_NAMES = frozenset({"relu", "relu6"})
"""Activations that output exactly 0 for every negative input: their units can die."""

CLASSIFIER_ACTIVATIONS = frozenset({"softmax", "sigmoid"})


@dataclass
class Histogram:
    """How one node's weights or activations are spread: ``len(edges) == len(counts) + 1``.

    ``dead_share`` (activations of ReLU layers only, else None): the share of units (the last
    axis: a Dense unit, a convolution's channel) that were 0 for every sample looked at.
    """

    node_id: str
    name: str
    label: str
    counts: np.ndarray
    edges: np.ndarray
    dead_share: float | None = None


def _histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts over the finite values (a diverged run's NaNs must not break the view)."""
    flat = np.asarray(values, dtype="float64").ravel()
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(finite, bins=bins, range=(low, high))
    return counts.astype(np.int64), edges


def _kernel_summary(layer: Any) -> tuple[np.ndarray, str] | None:
    """The values to show for a layer's weights and a label: its first weight (kernel, embeddings,
    gamma ...) plus a bias count; for a nested backbone every kernel it holds."""
    weights = list(layer.weights)
    if not weights:
        return None
    if hasattr(layer, "layers") and hasattr(layer, "inputs"):
        kernels = [w for w in weights if _short(w).endswith("kernel")] or weights
        values = np.concatenate([np.asarray(w).ravel() for w in kernels])
        return values, f"kernels of {len(kernels)} layers ({values.size:,} values)"
    first = weights[0]
    values = np.asarray(first)
    label = f"{_short(first)} {tuple(values.shape)}"
    biases = [w for w in weights[1:] if _short(w) == "bias"]
    if biases:
        label += f" + {sum(int(np.prod(w.shape)) for w in biases):,} bias"
    return values, label


def _short(variable: Any) -> str:
    """A variable's own name ('kernel', 'bias'), without the layer path."""
    return str(getattr(variable, "name", "")).split("/")[-1].split(":")[0]


def _graph_layers(model: keras.Model, graph: Graph, order: list[str] | None = None) -> list[tuple[Node, Any]]:
    names = {layer.name: layer for layer in model.layers}
    ids = order if order is not None else graph.topological_order()
    return [(graph.node(i), names[graph.node(i).name]) for i in ids if i in graph and graph.node(i).name in names]


def weight_histograms(model: keras.Model, graph: Graph, bins: int = 40) -> list[Histogram]:
    """One histogram per node whose layer has weights (in graph order): its kernel's values."""
    result: list[Histogram] = []
    for node, layer in _graph_layers(model, graph):
        summary = _kernel_summary(layer)
        if summary is None:
            continue
        values, label = summary
        counts, edges = _histogram(values, bins)
        result.append(Histogram(node.id, node.name, label, counts, edges, None))
    return result


def is_relu(node: Node) -> bool:
    """Does this node end in a plain ReLU (so a unit can be 0 for every input)?"""
    config = node.config
    if node.class_name == "ReLU":
        return not config.get("negative_slope") and not config.get("threshold")
    activation = config.get("activation")
    return isinstance(activation, str) and activation in RELU_NAMES


def dead_share(values: np.ndarray) -> float | None:
    """Share of units (last axis) that are exactly 0 at every sample and position."""
    if values.ndim < 2 or values.shape[-1] == 0:
        return None
    alive = np.any(values.reshape(-1, values.shape[-1]) != 0, axis=0)
    return float(1.0 - alive.mean())


def activation_histograms(model: keras.Model, graph: Graph, inputs: Any, bins: int = 40,
                          probe: ActivationProbe | None = None) -> list[Histogram]:
    """Per non-input node, its activation values over the batch ``inputs`` (dict or array); ReLU
    layers also get their dead share. Pass ``probe`` to reuse an :class:`ActivationProbe`; one made
    here runs eagerly (for a single pass, tracing a ``tf.function`` costs more than it saves)."""
    probe = probe or ActivationProbe(model, graph, compiled=False)
    batch = probe.run_batch(inputs)
    result: list[Histogram] = []
    for node_id in probe.order:
        node = graph.node(node_id)
        if node.class_name == "InputLayer":
            continue
        values = batch[node_id]
        if values.dtype.kind not in "biuf":
            continue
        counts, edges = _histogram(values, bins)
        share = dead_share(values) if is_relu(node) else None
        label = f"activations over {len(values)} sample{'s' if len(values) != 1 else ''}"
        result.append(Histogram(node_id, node.name, label, counts, edges, share))
    return result


# --- decision boundary ----------------------------------------------------------------------------

@dataclass
class DecisionGrid:
    """Predicted class and confidence on an R x R grid: ``classes[i, j]`` is at (``xs[j]``, ``ys[i]``)
    (rows go along y, as an image's rows do)."""

    xs: np.ndarray
    ys: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray


def grid_points(x: np.ndarray, resolution: int = 80, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs``, ``ys`` spanning the data plus ``margin`` (data units, at least a tenth of the data's
    span on wide data), and the (R*R, 2) points, row by row: point ``i * R + j`` is (xs[j], ys[i])."""
    data = np.asarray(x, dtype="float64")
    if data.ndim != 2 or data.shape[1] != 2 or len(data) == 0:
        raise ValueError(f"a decision grid needs points of shape (N, 2), not {data.shape}")
    axes = []
    for column in data.T:
        finite = column[np.isfinite(column)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        pad = max(margin, 0.1 * (high - low))
        axes.append(np.linspace(low - pad, high + pad, resolution, dtype="float32"))
    xs, ys = axes
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")
    return xs, ys, points


def _classes(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class and confidence per row, for one sigmoid unit (or logit) or n softmax scores."""
    if scores.shape[1] == 1:
        p = scores[:, 0]
        if p.min() < 0 or p.max() > 1:
            p = 1.0 / (1.0 + np.exp(-p))
        return (p > 0.5).astype(np.int64), np.maximum(p, 1.0 - p)
    if scores.min() < 0 or np.abs(scores.sum(axis=1) - 1.0).max() > 1e-3:
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores = shifted / shifted.sum(axis=1, keepdims=True)
    return np.argmax(scores, axis=1).astype(np.int64), scores.max(axis=1)


def decision_grid(model: keras.Model, x: np.ndarray, resolution: int = 80, margin: float = 0.5) -> DecisionGrid:
    """The model's class over a grid around the points ``x`` (N, 2), in one call of the model."""
    xs, ys, points = grid_points(x, resolution, margin)
    out = model(points, training=False)
    if isinstance(out, (list, tuple)):
        out = out[0]
    convert = getattr(out, "numpy", None)
    scores = np.asarray(convert() if convert is not None else out, dtype="float32").reshape(len(points), -1)
    classes, confidence = _classes(scores)
    shape = (len(ys), len(xs))
    return DecisionGrid(xs, ys, classes.reshape(shape), confidence.reshape(shape).astype("float32"))


def _classifier_node(graph: Graph, node: Node) -> bool:
    if node.class_name == "Dense":
        return node.config.get("activation") in CLASSIFIER_ACTIVATIONS
    if node.class_name == "Softmax":
        return True
    if node.class_name == "Activation":
        return node.config.get("activation") in CLASSIFIER_ACTIVATIONS
    return False


def is_two_input_classifier(graph: Graph, analysis: Analysis) -> bool:
    """One Input of shape (None, 2) and one output that scores classes (softmax or sigmoid):
    the models whose decision boundary can be drawn on the plane."""
    inputs, outputs = graph.input_nodes(), graph.output_nodes()
    if len(inputs) != 1 or len(outputs) != 1 or not analysis.valid:
        return False
    info = analysis.nodes.get(inputs[0].id)
    if info is None or not info.output_shapes or tuple(info.output_shapes[0]) != (None, 2):
        return False
    out_info = analysis.nodes.get(outputs[0].id)
    if out_info is None or not out_info.output_shapes or len(out_info.output_shapes[0]) != 2:
        return False
    return _classifier_node(graph, outputs[0])


__all__ = [
    "DecisionGrid",
    "Histogram",
    "activation_histograms",
    "dead_share",
    "decision_grid",
    "grid_points",
    "is_relu",
    "is_two_input_classifier",
    "weight_histograms",
]
