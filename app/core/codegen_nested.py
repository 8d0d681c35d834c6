"""Python export of nested-model blocks: each becomes a ``keras.Model`` of its own, written
before the line that calls it (``base = keras.Model(..., name="base")``,
``x = base(image, training=False)``), so the script's ``model.summary()`` lists the same
top-level layers as the model it came from. Groups need nothing here: they are plain layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.blocks import Block, block_ports
from app.core.nested_plan import NestedPlanError, check_nested_models, grouped_order, sub_graph, top_nested_models
from app.core.project import Project

if TYPE_CHECKING:
    from app.core.codegen import _Writer


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
        lines = ["", f"# nested model {block.name!r}"]
        nested = nested_writer(sub)
        for nid in nested.order if nested is not None else part.topological_order():
            written = nested.lines(nid) if nested is not None else None
            lines.extend(written if written is not None else sub._node(part.node(nid)))
        inputs = [sub.tensors[n.id] for n in part.input_nodes()]
        outputs = [sub._output(node.id, port) for node, port in part.output_refs()]
        var = writer.namer.take(block.name, "sub_model")
        lines.append(f"{var} = keras.Model(inputs={_one_or_list(inputs)}, outputs={_one_or_list(outputs)}, "
                     f"name={literal(block.name, where)})")
        if not block.trainable:
            lines.append(f"{var}.trainable = False")
        ports = block_ports(graph, tree, block.id)
        args = _one_or_list([writer._output(source, port) for source, port in ports.input_tensors])
        results = []
        for nid, _port in ports.output_tensors:
            result = writer.namer.take(graph.node(nid).name)
            writer.tensors[nid] = result
            results.append(result)
        training = f", training={block.training}" if block.training is not None else ""
        lines += [f"{', '.join(results)} = {var}({args}{training})", ""]
        return lines


def nested_writer(writer: _Writer) -> NestedWriter | None:
    """The writer's nested models, or None when its project has none."""
    blocks = getattr(writer.project, "blocks", None)
    if blocks is None or not any(b.kind == "nested_model" for b in blocks.blocks()):
        return None
    return NestedWriter(writer)


__all__ = ["NestedWriter", "nested_writer"]
