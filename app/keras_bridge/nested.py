"""Nested models across the Keras bridge: import keeps them as ``nested_model`` blocks,
compiling builds each such block as its own ``keras.Model`` called as one layer.

A model that calls another model (``x = base(inputs, training=False)``, an encoder and a
decoder) lists the sub-model as one layer in ``model.summary()``, with its own name and
``trainable`` flag. The graph holds every real layer (so each stays editable); the block
tree remembers which of them form a sub-model, and :class:`NestedModels` rebuilds that
structure when the graph is compiled, so a round trip lists the same top-level layers.
A sub-model gives the outer model as many outputs as leave it (two layers' results, or an
LSTM's sequence and states), and one imported from a ``keras.Sequential`` is built as one
again while it stays a simple chain. Keras is imported inside functions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.blocks import Block, BlockTree, block_ports
from app.core.graph import Graph
from app.core.nested_plan import (
    NestedPlanError,
    check_nested_models,
    grouped_order,
    sequential_chain,
    sub_graph,
    sub_model_outputs,
    top_nested_models,
)
from app.core.shapes import Analysis


@dataclass(frozen=True)
class NestedCall:
    """A sub-model met while importing: its name, ``trainable``, the ``training=`` argument
    it was called with (None: not given) and the graph nodes its layers became."""

    name: str
    trainable: bool
    training: bool | None
    node_ids: tuple[str, ...]
    input_names: tuple[str, ...] = ()
    inputs: tuple[tuple[str, int], ...] = ()
    """The outer tensors (node id, output) it was called on, in the order of ``input_names``."""
    sequential: bool = False
    """It is a ``keras.Sequential`` (export writes it as one again while it stays a chain)."""
    outputs: tuple[tuple[str, int], ...] = ()
    """The tensors (node id, output) it returns, in its own order."""


def training_argument(kwargs: Any) -> bool | None:
    """The constant ``training=`` a saved call passes (``base(x, training=False)``), or None."""
    value = kwargs.get("training") if isinstance(kwargs, dict) else None
    return value if isinstance(value, bool) else None


def import_blocks(calls: Sequence[NestedCall], tree: BlockTree | None = None) -> BlockTree:
    """A block tree with one collapsed ``nested_model`` block per sub-model call; a sub-model
    inside another becomes a block inside the other's block."""
    tree = tree if tree is not None else BlockTree()
    ordered = sorted(calls, key=lambda c: -len(c.node_ids))  # outer models hold more nodes
    made: list[tuple[set[str], Block]] = []
    for call in ordered:
        ids = set(call.node_ids)
        if not ids:
            continue
        parent = next((block for nodes, block in reversed(made) if ids <= nodes), None)
        members = [nid for nid in call.node_ids if tree.block_of(nid) == (parent.id if parent else None)]
        block = tree.add_block(Block(tree.new_id(), call.name, "nested_model", parent.id if parent else None,
                                     members, collapsed=True, trainable=call.trainable, training=call.training,
                                     input_names=list(call.input_names), sequential=call.sequential,
                                     outputs=list(call.outputs)))
        made.append((ids, block))
    return tree


def import_hierarchy(graph: Graph, calls: Sequence[NestedCall]) -> BlockTree:
    """The blocks of an imported model: its nested models, then name-prefix groups
    (:func:`app.core.auto_blocks.fold_by_prefix`), collapsed when the graph is large."""
    from app.core.auto_blocks import fold_by_prefix

    tree = import_blocks(calls)
    for call in calls:  # the block's inputs come in graph order: give each its own name
        block = next((b for b in tree.blocks() if b.kind == "nested_model" and b.name == call.name), None)
        if block is None or len(call.inputs) != len(call.input_names):
            continue
        by_tensor = dict(zip(call.inputs, call.input_names, strict=True))
        names = [by_tensor.get(t) for t in block_ports(graph, tree, block.id).input_tensors]
        block.input_names = [n for n in names if n is not None] if None not in names else []
    fold_by_prefix(graph, tree)
    return tree


# --- compile: graph + blocks -> functional model with sub-models ------------------------------

NestedModelError = NestedPlanError
"""A nested-model block Keras could not call as one layer (see :func:`validate_blocks`)."""


class NestedModels:
    """The plan for the top-level nested models of one graph (inner ones are built inside
    their parent's sub-model by the same code, one level down).

    ``order`` is the compile order with each sub-model's layers together, so all its inputs
    exist when its first layer comes and none of its outputs is needed earlier.
    :meth:`handles` builds and calls the sub-model at its first layer and skips the rest."""

    def __init__(self, graph: Graph, tree: BlockTree, analysis: Analysis, compile_part: Any) -> None:
        self.graph = graph
        self.tree = tree
        self.analysis = analysis
        self._compile = compile_part
        self.owner = top_nested_models(tree)
        check_nested_models(graph, tree, self.owner)
        self.order = grouped_order(graph, analysis.order, {nid: b.id for nid, b in self.owner.items()})
        self.done: set[str] = set()

    @classmethod
    def plan(cls, graph: Graph, tree: BlockTree | None, analysis: Analysis, compile_part: Any) -> NestedModels | None:
        """None when the graph has no nested models (compiling is then exactly as without blocks)."""
        if tree is None or not any(b.kind == "nested_model" for b in tree.blocks()):
            return None
        return cls(graph, tree, analysis, compile_part)

    def handles(self, node_id: str, tensors: dict[str, list[Any]]) -> bool:
        """True when ``node_id`` is inside a nested model: at its first layer the sub-model is
        built and called, and ``tensors`` (node id -> its outputs, as compile keeps them) gets
        each output that leaves it at that layer's output index."""
        block = self.owner.get(node_id)
        if block is None:
            return False
        if block.id not in self.done:
            self.done.add(block.id)
            self._call(block, tensors)
        return True

    def _call(self, block: Block, tensors: dict[str, list[Any]]) -> None:
        ports = block_ports(self.graph, self.tree, block.id)
        model, returned = self._build(block)
        inputs = [tensors[nid][port] for nid, port in ports.input_tensors]
        kwargs = {"training": block.training} if block.training is not None else {}
        result = model(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
        outputs = list(result) if isinstance(result, (list, tuple)) else [result]
        for (nid, port), tensor in zip(returned, outputs, strict=True):
            slots = tensors.setdefault(nid, [])
            slots.extend([None] * (port + 1 - len(slots)))
            slots[port] = tensor

    def build(self, block: Block) -> Any:
        """The block as a ``keras.Model`` named like the block, with its ``trainable`` flag."""
        return self._build(block)[0]

    def _build(self, block: Block) -> tuple[Any, list[tuple[str, int]]]:
        """The sub-model and the (node id, output) pairs it returns, in order."""
        part, tree = sub_graph(self.graph, self.tree, block, self.analysis)
        chain = sequential_chain(self.graph, self.tree, block, self.analysis)
        if chain:
            model = self._sequential(part, block, chain)
        else:
            import keras

            built = self._compile(part, block.name, tree)  # named as a project would be (lower case, no dots)
            ins, outs = built.inputs, built.outputs
            model = keras.Model(ins[0] if len(ins) == 1 else ins, outs[0] if len(outs) == 1 else outs,
                                name=block.name)  # the block's own name, as Keras had it
        model.trainable = block.trainable
        return model, sub_model_outputs(part)

    def _sequential(self, part: Graph, block: Block, chain: Sequence[str]) -> Any:
        """``keras.Sequential([keras.Input(...), layer, ...], name=block)``: the layers built as
        compile builds them, each on the shape the one before gives."""
        import keras

        from app.keras_bridge.layers import build_layer

        (entry,) = part.input_nodes()
        cfg = entry.config
        layers: list[Any] = [keras.Input(batch_shape=tuple(cfg["batch_shape"]), dtype=cfg.get("dtype", "float32"),
                                         name=entry.name)]
        shape = tuple(cfg["batch_shape"])
        for nid in chain:
            node = self.graph.node(nid)
            layers.append(build_layer(node.class_name, node.name, node.config, [shape]))
            shapes = self.analysis.nodes[nid].output_shapes
            assert shapes is not None  # sequential_chain checked each layer has one known output
            shape = tuple(shapes[0])
        return keras.Sequential(layers, name=block.name)


def with_nested_models(model: Any, graph: Graph, tree: BlockTree, name: str) -> Any:
    """``model`` (built flat, with the weights it should have) rebuilt with the nested-model
    blocks as sub-models, every layer's weights copied over by name; ``model`` itself when
    there are none. Export uses it, so training and insight keep their flat models."""
    if not any(b.kind == "nested_model" for b in tree.blocks()):
        return model
    from app.keras_bridge.compile import compile_graph

    nested = compile_graph(graph, model.name if name is None else name, blocks=tree)
    flat = {layer.name: layer for layer in model.layers}
    sub_models = {b.name for b in tree.blocks() if b.kind == "nested_model"}
    for layer in _layers(nested, sub_models):
        source = flat.get(layer.name)
        if source is not None and source.weights:
            layer.set_weights(source.get_weights())
    return nested


def _layers(model: Any, sub_models: set[str]) -> Iterable[Any]:
    for layer in model.layers:
        if layer.name in sub_models and hasattr(layer, "layers"):
            yield from _layers(layer, sub_models)
        else:
            yield layer


__all__ = ["NestedCall", "NestedModelError", "NestedModels", "import_blocks", "import_hierarchy",
           "training_argument", "with_nested_models"]
