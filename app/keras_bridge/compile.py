"""Graph -> ``keras.Model`` through the functional API.

Layer names are kept, inputs and outputs follow the graph's order, and application
backbones become nested models. A graph with errors is refused with the problems listed,
so a model that compiles always matches what ``layerforge check`` showed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.core.blocks import BlockTree
from app.core.codegen import keras_model_name as model_name
from app.core.graph import Graph
from app.core.shapes import Analysis, Problem, analyze, keras_walk_depth
from app.keras_bridge.layers import build_layer, call_layer, call_operation, spec_for

KERAS_STATE_LOCK = threading.RLock()
"""Held while Keras' process-wide state is reset or seeded and a model built from it (a training
run's start, an insight view's untrained model): two threads doing that at once would
interleave ``clear_session`` and seeding with another's layer creation."""


class CompileError(ValueError):
    """The graph cannot become a Keras model; ``problems`` says why, node by node."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def compile_graph(graph: Graph, name: str = "model", analysis: Analysis | None = None,
                  blocks: BlockTree | None = None) -> Any:
    """Build the functional model. Raises CompileError when validation finds errors.
    With ``blocks``, each nested-model block becomes a ``keras.Model`` called as one layer
    (:mod:`app.keras_bridge.nested`); groups change nothing."""
    import keras

    analysis = analysis or analyze(graph)
    if not analysis.valid:
        listed = "\n".join(f"  - {p.message}" for p in analysis.errors[:10])
        more = f"\n  ... and {len(analysis.errors) - 10} more" if len(analysis.errors) > 10 else ""
        raise CompileError(f"the model has {len(analysis.errors)} problem(s):\n{listed}{more}", analysis.errors)
    too_big = [p for p in analysis.problems if p.code == "memory_weights"]
    if too_big:
        # Building would try to allocate it all: refuse in words instead of a MemoryError or a swapping machine.
        raise CompileError(too_big[0].message, too_big)
    tensors: dict[str, list[Any]] = {}
    """Each node's outputs (one, or the output and the states of a recurrent layer with return_state)."""
    shared: dict[str, Any] = {}
    """Shared layers by the id of the node that owns them: built once, called at each of their nodes."""
    nested = _nested_models(graph, blocks, analysis)
    for node_id in nested.order if nested is not None else analysis.order:
        if nested is not None and nested.handles(node_id, tensors):
            continue
        node = graph.node(node_id)
        if node.class_name == "InputLayer":
            cfg = node.config
            tensors[node_id] = [keras.Input(
                batch_shape=tuple(cfg["batch_shape"]),
                dtype=cfg.get("dtype", "float32"),
                sparse=cfg.get("sparse", False),
                ragged=cfg.get("ragged", False),
                optional=cfg.get("optional", False),
                name=node.name,
            )]
            continue
        spec = spec_for(node.class_name)
        edges = graph.ordered_in_edges(node_id)
        inputs = [tensors[e.source][e.source_port] for e in edges]
        shapes = [analysis.nodes[e.source].output_shapes[e.source_port] for e in edges]  # type: ignore[index]
        owner = graph.layer_owner(node_id)
        layer = shared.get(owner)
        if layer is None:
            first = graph.node(owner)  # the layer bears its owner's name, whichever call comes first
            layer = build_layer(node.class_name, first.name, first.config, shapes)
            shared[owner] = layer
        if spec.is_application:
            tensors[node_id] = [_call_backbone(layer, node.config, inputs)]
            continue
        if spec.is_operation:
            tensors[node_id] = [call_operation(layer, spec, node.config, inputs)]
            continue
        ports = [e.target_port for e in edges]
        result = _call_recurrent(layer, inputs, ports) if spec.call_style == "recurrent" else \
            call_layer(layer, spec, inputs, ports)
        tensors[node_id] = list(result) if isinstance(result, (list, tuple)) else [result]
    inputs = [tensors[n.id][0] for n in graph.input_nodes()]
    outputs = [tensors[node.id][port] for node, port in graph.output_refs()]
    with recursion_room(keras_walk_depth(graph)[0]):
        return keras.Model(
            inputs=inputs[0] if len(inputs) == 1 else inputs,
            outputs=outputs[0] if len(outputs) == 1 else outputs,
            name=model_name(name),
        )


def _call_recurrent(layer: Any, tensors: list[Any], ports: list[str]) -> Any:
    """``layer(x, mask=m, initial_state=[h, c])``: the ports are Keras' call arguments (only those connected)."""
    by_port = dict(zip(ports, tensors, strict=True))
    kwargs: dict[str, Any] = {}
    if "mask" in by_port:
        kwargs["mask"] = by_port["mask"]
    states = [by_port[p] for p in ("initial_h", "initial_c") if p in by_port]
    if states:
        kwargs["initial_state"] = states
    return layer(by_port["input"], **kwargs)


def _nested_models(graph: Graph, blocks: BlockTree | None, analysis: Analysis) -> Any:
    from app.keras_bridge.nested import NestedModelError, NestedModels

    try:
        return NestedModels.plan(graph, blocks, analysis,
                                 lambda part, name, tree: compile_graph(part, name, blocks=tree))
    except NestedModelError as err:
        raise CompileError(str(err)) from None


def _call_backbone(layer: Any, config: Any, inputs: list[Any]) -> Any:
    """A (partly) frozen backbone runs its batch normalization in inference mode (``training=False``)."""
    from app.keras_bridge.backbones import call_backbone

    return call_backbone(layer, config, inputs[0])


@contextmanager
def recursion_room(depth: int, margin: int = 200) -> Iterator[None]:
    """Let Keras' recursive graph walk (one Python frame per layer in a row) run ``depth`` levels
    below the current frame, however deep the caller already is (a test runner, a Qt slot).

    ``check`` caps ``depth`` at :data:`app.core.limits.KERAS_MAX_DEPTH`, which a plain script
    also manages, so this only gives the app the room a script would have. Python 3.11 runs
    Python-to-Python calls without C stack, so the raised limit is safe; it is restored after."""
    frame, used = sys._getframe(), 1
    while frame.f_back is not None:
        frame, used = frame.f_back, used + 1
    needed = used + depth + margin
    old = sys.getrecursionlimit()
    if needed <= old:
        yield
        return
    sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def apply_weights(model: Any, weights: Any, graph: Graph) -> list[str]:
    """Give a freshly built ``model`` the kept weights (an :class:`app.core.weights.ModelWeights`)
    where they still fit; returns notes naming each layer that kept its initial values and why.
    A separate step, so every caller decides whether a model starts from kept weights."""
    from app.keras_bridge.weights_io import apply_weights as apply

    return apply(model, weights, graph)
