"""Python export of nested-model blocks: each becomes a ``keras.Model`` of its own, written
before the line that calls it (``base = keras.Model(..., name="base")``,
``x = base(image, training=False)``), so the script's ``model.summary()`` lists the same
top-level layers as the model it came from. A sub-model with several outputs is unpacked
into one variable per output (``features, logits = trunk(x)``); one imported from a
``keras.Sequential`` that is still a simple chain is written as one
(``data_augmentation = keras.Sequential([...], name=...)``), as keras.io writes it.
Groups need nothing here: they are plain layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.blocks import Block, block_ports
from app.core.catalog import get_spec
from app.core.nested_plan import (
    NestedPlanError,
    check_nested_models,
    grouped_order,
    sequential_chain,
    sub_graph,
    sub_model_outputs,
    top_nested_models,
)
from app.core.project import Project

if TYPE_CHECKING:
    from app.core.codegen import _Where, _Writer


class NestedWriter:
    """Writes the top-level nested models of one writer's graph (inner ones recurse)."""

    def __init__(self, writer: _Writer) -> None:
        from app.core.codegen import CodegenError

        self.writer = writer
        tree = writer.project.blocks
        self.owner = top_nested_models(tree)
        try:
            check_nested_models(writer.graph, tree, self.owner)
        except NestedPlanError as err:
            raise CodegenError(str(err)) from None
        self.order = grouped_order(writer.graph, writer.graph.topological_order(),
                                   {nid: b.id for nid, b in self.owner.items()})
        self.done: set[str] = set()

    def lines(self, node_id: str) -> list[str] | None:
        """None for a layer outside nested models; the sub-model and its call at a nested
        model's first layer; [] for its other layers."""
        block = self.owner.get(node_id)
        if block is None:
            return None
        if block.id in self.done:
            return []
        self.done.add(block.id)
        return self._write(block)

    def _write(self, block: Block) -> list[str]:
        from app.core.codegen import CodegenError, _one_or_list, _Where, literal

        writer = self.writer
        graph, tree = writer.graph, writer.project.blocks
        try:
            part, inner = sub_graph(graph, tree, block, writer.analysis)
        except NestedPlanError as err:
            raise CodegenError(str(err)) from None
        sub = type(writer)(Project(graph=part, name=block.name, blocks=inner))
        sub.namer, sub.imports, sub.backbones = writer.namer, writer.imports, writer.backbones
        where = _Where(block.name, None)
        var = writer.namer.take(block.name, "sub_model")
        chain = sequential_chain(graph, tree, block, writer.analysis)
        if chain:
            lines = ["", f"# nested model {block.name!r}, a keras.Sequential", *_sequential(sub, var, chain, where)]
        else:
            lines = ["", f"# nested model {block.name!r}"]
            nested = nested_writer(sub)
            for nid in nested.order if nested is not None else part.topological_order():
                written = nested.lines(nid) if nested is not None else None
                lines.extend(written if written is not None else sub._node(part.node(nid)))
            inputs = [sub.tensors[n.id] for n in part.input_nodes()]
            outputs = [sub._output(nid, port) for nid, port in sub_model_outputs(part)]
            lines.append(f"{var} = keras.Model(inputs={_one_or_list(inputs)}, outputs={_one_or_list(outputs)}, "
                         f"name={literal(block.name, where)})")
        if not block.trainable:
            lines.append(f"{var}.trainable = False")
        ports = block_ports(graph, tree, block.id)
        args = _one_or_list([writer._output(source, port) for source, port in ports.input_tensors])
        results = [_result(writer, nid, port) for nid, port in sub_model_outputs(part)]
        training = f", training={block.training}" if block.training is not None else ""
        lines += [f"{', '.join(results)} = {var}({args}{training})", ""]
        return lines


def _sequential(sub: _Writer, var: str, chain: list[str], where: _Where) -> list[str]:
    """``var = keras.Sequential([keras.Input(...), layers.X(...), ...], name=...)``, one item a line."""
    from app.core.codegen import CodegenError, literal

    part = sub.graph
    (entry,) = part.input_nodes()
    first = sub._input(entry)[0]
    items = [first.split(" = ", 1)[1]]
    for nid in chain:
        node = part.node(nid)
        spec = get_spec(node.class_name)
        if spec is None:
            raise CodegenError(f"{node.name}: its class {node.class_name!r} is not a layer Layerforge supports")
        items.append(sub._constructor(spec, node.config, node.name, node.name))
    body = "".join(f"        {item},\n" for item in items)
    return [f"{var} = keras.Sequential(\n    [\n{body}    ],\n    name={literal(sub.project.name, where)},\n)"]


def _result(writer: _Writer, node_id: str, port: int) -> str:
    """A fresh variable for output ``port`` of ``node_id`` as the outer model reads it."""
    name = writer.graph.node(node_id).name
    if port == 0:
        writer.tensors[node_id] = writer.namer.take(name)
        return writer.tensors[node_id]
    states = writer.states.setdefault(node_id, [])
    states.extend([""] * (port - len(states)))  # outputs that stay inside are never read outside
    states[port - 1] = writer.namer.take(f"{name}_{['h', 'c'][port - 1] if port <= 2 else f'output_{port}'}")
    writer.tensors.setdefault(node_id, "")
    return states[port - 1]


def nested_writer(writer: _Writer) -> NestedWriter | None:
    """The writer's nested models, or None when its project has none."""
    blocks = getattr(writer.project, "blocks", None)
    if blocks is None or not any(b.kind == "nested_model" for b in blocks.blocks()):
        return None
    return NestedWriter(writer)


__all__ = ["NestedWriter", "nested_writer"]
