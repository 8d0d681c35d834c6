"""Every node's activation from one forward pass (the step-through view's engine).

Qt-free; reads a model and never changes it, so it may run on a worker thread. Node -> layer is
by name (Keras layer names are the graph's node names, see ``compile_graph``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.graph import Graph
from app.core.shapes import Analysis, analyze

if TYPE_CHECKING:
    import keras

KINDS = ("image", "vector", "sequence", "attention", "scalar", "other")
"""How a viewer draws one node's activation (see :func:`activation_kind`)."""

BATCH_CHUNK = 128
"""Samples per forward pass when a whole batch is probed (bounds the memory of big activations)."""


@dataclass
class NodeActivation:
    """One node's output for ONE sample (batch axis removed), and what kind of picture it makes.

    ``attention`` is set for MultiHeadAttention nodes only: ``(heads, T_query, T_key)`` weights
    whose rows sum to 1 (attention over several axes is flattened to the two T axes). With a
    padding mask (``Embedding(mask_zero=True)``) padded keys get 0 and padded query rows are all 0,
    as inside the model.
    """

    node_id: str
    name: str
    class_name: str
    kind: str
    value: np.ndarray
    attention: np.ndarray | None = None


def activation_kind(class_name: str, value: np.ndarray) -> str:
    """"attention" for MultiHeadAttention, then by rank: (H,W,C) image, (T,F) sequence, (N,) vector;
    a single number is "scalar", anything else (3-D volumes, text) "other"."""
    if class_name == "MultiHeadAttention":
        return "attention"
    if value.dtype.kind not in "biuf":
        return "other"
    if value.size == 1:
        return "scalar"
    return {3: "image", 2: "sequence", 1: "vector"}.get(value.ndim, "other")


def untrained_model(graph: Graph, name: str = "model", seed: int = 0) -> keras.Model:
    """A fresh model of ``graph`` with weights drawn from ``seed``, so an untrained network's
    activations are the same every time a class looks at them."""
    import keras

    from app.keras_bridge.compile import KERAS_STATE_LOCK, compile_graph

    with KERAS_STATE_LOCK:
        keras.utils.set_random_seed(int(seed))
        return compile_graph(graph, name)


def node_tensors(model: keras.Model) -> dict[str, list[Any]]:
    """Each top-level layer's output tensors in ``model``'s own graph, by layer name.

    ``layer.output`` is wrong for a nested backbone (it is the backbone's inner output, not
    the call inside ``model``), so the model's own call nodes are read where Keras has them.
    """
    found: dict[str, list[Any]] = {}
    by_depth = getattr(model, "_nodes_by_depth", None)
    if isinstance(by_depth, Mapping):
        for nodes in by_depth.values():
            for node in nodes:
                operation = getattr(node, "operation", None)
                outputs = getattr(node, "outputs", None)
                if operation is not None and outputs is not None and operation.name not in found:
                    found[operation.name] = list(outputs)
    for layer in model.layers:
        if layer.name in found:
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):  # never called, or called more than once
            continue
        found[layer.name] = list(output) if isinstance(output, (list, tuple)) else [output]
    return found


def _model_input_names(model: keras.Model) -> list[str]:
    return [str(t.name) for t in model.inputs]


def model_feed(model: keras.Model, inputs: Any, batched: bool = True) -> list[np.ndarray]:
    """``inputs`` (dict by Input name, a list, or one array) as arrays in the model's input order.

    With ``batched`` an array that lacks the batch axis gets one; dtypes follow the Inputs.
    """
    specs = list(model.inputs)
    names = [str(t.name) for t in specs]
    if isinstance(inputs, Mapping):
        missing = [n for n in names if n not in inputs]
        if missing:
            given = ", ".join(map(str, inputs))
            raise ValueError(f"no data for the model input(s) {', '.join(missing)} (given: {given})")
        arrays = [inputs[n] for n in names]
    elif isinstance(inputs, (list, tuple)) and len(specs) > 1:
        arrays = list(inputs)
    else:
        arrays = [inputs]
    if len(arrays) != len(specs):
        raise ValueError(f"the model has {len(specs)} inputs ({', '.join(names)}) but {len(arrays)} arrays were given")
    fed: list[np.ndarray] = []
    for spec, array in zip(specs, arrays, strict=True):
        value = np.asarray(array)
        rank = len(spec.shape)
        if batched and value.ndim == rank - 1:
            value = value[np.newaxis]
        if value.ndim != rank:
            raise ValueError(f"input {spec.name!r} takes arrays of shape {tuple(spec.shape)}, not {value.shape}")
        dtype = str(spec.dtype)
        if dtype != "string" and value.dtype != np.dtype(dtype):
            value = value.astype(dtype)
        fed.append(value)
    return fed


def model_inputs(model: keras.Model) -> Any:
    """The model's inputs as its call takes them: one tensor, or the list (Keras warns otherwise)."""
    inputs = list(model.inputs)
    return inputs[0] if len(inputs) == 1 else inputs


def _call_arg(arrays: list[Any]) -> Any:
    return arrays[0] if len(arrays) == 1 else arrays


def _numpy(value: Any) -> np.ndarray:
    convert = getattr(value, "numpy", None)
    return np.asarray(convert() if convert is not None else value)


class ActivationProbe:
    """Every node's activation from ONE forward pass: a multi-output twin of ``model``.

    Built once per model (a few milliseconds); :meth:`run` then costs about one forward pass.
    With ``compiled`` (the default) the pass is a ``tf.function``: the first call traces it
    (0.1-2 s), later ones are 3-30x faster than eager (LeNet: 2 ms instead of 15 ms; an LSTM
    on 40 tokens: 7 ms instead of 430 ms). Nodes whose layer is not in the model (edited after
    training) are left out of :attr:`order`. The model itself is never changed (the twin shares
    its layers and weights, so after more training a probe shows the new weights).
    """

    def __init__(self, model: keras.Model, graph: Graph, analysis: Analysis | None = None,
                 compiled: bool = True) -> None:
        import keras

        self.model = model
        self.compiled = compiled
        self.graph = graph
        analysis = analysis or analyze(graph)
        tensors = node_tensors(model)
        self.order: list[str] = []
        self._index: dict[tuple[str, int], int] = {}
        outputs: list[Any] = []
        for node_id in analysis.order:
            if node_id not in graph:
                continue
            node = graph.node(node_id)
            found = tensors.get(node.name)
            if not found:
                continue
            self.order.append(node_id)
            for port, tensor in enumerate(found):
                self._index[(node_id, port)] = len(outputs)
                outputs.append(tensor)
        self._attention: dict[str, dict[str, tuple[str, int]]] = {}
        self._masks: dict[tuple[str, int], int] = {}
        for node_id in self.order:
            node = graph.node(node_id)
            if node.class_name != "MultiHeadAttention":
                continue
            ports = {e.target_port: (e.source, e.source_port) for e in graph.in_edges(node_id)}
            if {"query", "value"} <= ports.keys() and all(p in self._index for p in ports.values()):
                self._attention[node_id] = ports
                for source in ports.values():  # padding masks (Embedding(mask_zero)) the layer honours
                    mask = getattr(outputs[self._index[source]], "_keras_mask", None)
                    if mask is not None and source not in self._masks:
                        self._masks[source] = len(outputs)
                        outputs.append(mask)
        self._twin = keras.Model(model_inputs(model), outputs, name=f"{model.name}_probe")
        self._compiled: Any = None

    # --- forward passes ---------------------------------------------------------------------

    def _forward(self, fed: list[np.ndarray]) -> list[Any]:
        if self.compiled:
            if self._compiled is None:
                import tensorflow as tf

                self._compiled = tf.function(lambda x: self._twin(x, training=False), reduce_retracing=True)
            result = self._compiled(_call_arg(fed))
        else:
            result = self._twin(_call_arg(fed), training=False)
        return list(result) if isinstance(result, (list, tuple)) else [result]

    def run(self, inputs: Any) -> dict[str, NodeActivation]:
        """Activations of the first sample of ``inputs`` (a dict by Input name or one array; a
        missing batch axis is added), node id -> :class:`NodeActivation`, in :attr:`order`."""
        fed = [array[:1] for array in model_feed(self.model, inputs)]
        raw = self._forward(fed)
        result: dict[str, NodeActivation] = {}
        for node_id in self.order:
            node = self.graph.node(node_id)
            value = _numpy(raw[self._index[(node_id, 0)]])[0]
            attention = self._attention_weights(node_id, raw) if node_id in self._attention else None
            result[node_id] = NodeActivation(node_id, node.name, node.class_name,
                                             activation_kind(node.class_name, value), value, attention)
        return result

    def _attention_weights(self, node_id: str, raw: list[Any]) -> np.ndarray | None:
        """Call the layer again, eagerly, on the tensors it read, asking for its scores: an eager
        call adds nothing to the model's graph (a symbolic one would)."""
        ports = self._attention[node_id]
        layer = self.model.get_layer(self.graph.node(node_id).name)
        kwargs = {port: self._masked(source, raw) for port, source in ports.items()
                  if port in ("query", "value", "key")}
        try:
            _, scores = layer(**kwargs, return_attention_scores=True, training=False)
        except Exception:  # a picture we cannot draw must not cost the node's activation
            return None
        weights = _numpy(scores)[0]
        heads = weights.shape[0]
        query_axes = (weights.ndim - 1) // 2
        t_query = int(np.prod(weights.shape[1:1 + query_axes]))
        return weights.reshape(heads, t_query, -1)

    def _masked(self, source: tuple[str, int], raw: list[Any]) -> Any:
        """The source's value carrying its padding mask, as it reached the layer inside the model."""
        value = raw[self._index[source]]
        if source not in self._masks:
            return value
        import tensorflow as tf

        try:
            from keras.src.backend.common.masking import set_keras_mask
        except ImportError:  # another Keras layout: the weights then ignore the padding
            return value
        value = tf.identity(value)
        set_keras_mask(value, raw[self._masks[source]])
        return value

    def run_batch(self, inputs: Any, batch_size: int = BATCH_CHUNK) -> dict[str, np.ndarray]:
        """Every node's (first) output for every sample of ``inputs``, batch axis kept."""
        fed = model_feed(self.model, inputs)
        count = len(fed[0])
        parts: dict[str, list[np.ndarray]] = {node_id: [] for node_id in self.order}
        for start in range(0, max(count, 1), batch_size):
            raw = self._forward([array[start:start + batch_size] for array in fed])
            for node_id in self.order:
                parts[node_id].append(_numpy(raw[self._index[(node_id, 0)]]))
        return {node_id: np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
                for node_id, chunks in parts.items()}
