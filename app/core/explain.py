"""Layer help: the catalog's teaching text plus sentences with one node's actual numbers.

The help panel and palette show what a layer does (from the spec's :class:`LayerDoc`)
and, for a node on the canvas, how *its* shapes and parameter count follow, e.g.
``(None, 784) -> (None, 128): 784 x 128 weights + 128 biases = 100,480 parameters``.

Each layer's sentences come from its spec's ``explain`` rule (see :mod:`app.core.catalog.explaining`).
The first entry of ``numbers`` always quotes the node's total parameter count, and that
count is always the one :mod:`app.core.shapes` found: a sentence whose own arithmetic
disagrees with the analysis is replaced by the generic one rather than shown wrong.
Shapes are written with the batch axis (``None``), as everywhere else in the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.catalog import CATALOG, get_spec
from app.core.catalog.explaining import arrow, params_text, plural
from app.core.catalog.rules import elements, fmt_shape
from app.core.catalog.spec import ExplainContext, ExplainRule, Sentence, ShapeError, dtype_name
from app.core.graph import Graph
from app.core.insight import format_bytes, format_flops, input_shapes, node_cost
from app.core.shapes import Analysis, NodeInfo


@dataclass(frozen=True)
class Explanation:
    """Everything the help panel shows for a layer or a node."""

    title: str
    summary: str
    formula: str
    shape_text: str
    use: str
    mistake: str
    numbers: list[str] = field(default_factory=list)
    class_name: str = ""
    category: str = ""


# --- Public API ---------------------------------------------------------------------------

def explain_layer(class_name: str) -> Explanation:
    """The catalog's teaching text for a palette entry (no numbers: there is no node yet)."""
    spec = get_spec(class_name)
    if spec is None:
        return Explanation(
            title=class_name,
            summary=f"'{class_name}' is not a layer Layerforge supports.",
            formula="", shape_text="", use="", mistake="", class_name=class_name,
        )
    doc = spec.doc
    return Explanation(
        title=spec.title,
        summary=doc.summary,
        formula=doc.formula,
        shape_text=doc.shape,
        use=doc.use,
        mistake=doc.mistake,
        class_name=class_name,
        category=spec.category,
    )


def explain_node(graph: Graph, node_id: str, analysis: Analysis) -> Explanation:
    """Teaching text plus sentences with this node's shapes, parameters, cost and memory."""
    node = graph.node(node_id)
    base = explain_layer(node.class_name)
    title = f"{node.name} ({base.title})" if node.name != base.title else base.title
    info = analysis.nodes.get(node_id)
    spec = node.spec
    inputs = input_shapes(graph, node_id, analysis)
    if spec is None or info is None or info.output_shapes is None or inputs is None:
        numbers = [_not_known(analysis, node_id, info)]
    else:
        ctx = ExplainContext(node.class_name, spec, node.config, inputs, info.output_shapes[0], info.params)
        numbers = _numbers(ctx, info)
        numbers.append(_cost_sentence(graph, node_id, analysis, ctx))
        if not node.config.get("trainable", True) and info.params:
            numbers.append(f"trainable is off: all {info.params:,} parameters stay frozen while training.")
    return Explanation(
        title=title,
        summary=base.summary,
        formula=base.formula,
        shape_text=base.shape_text,
        use=base.use,
        mistake=base.mistake,
        numbers=numbers,
        class_name=node.class_name,
        category=base.category,
    )


def quoted_params(sentence: str) -> int | None:
    """The parameter count a sentence quotes ("= 320 parameters", "no parameters"), if any."""
    if "no parameters" in sentence:
        return 0
    match = re.search(r"([\d,]+) parameters?\b", sentence)
    return int(match.group(1).replace(",", "")) if match else None


# --- Sentence plumbing ----------------------------------------------------------------------

def _numbers(ctx: ExplainContext, info: NodeInfo) -> list[str]:
    """The node's sentences; the first quotes the parameter count the analysis found."""
    builder = _BUILDERS.get(ctx.class_name)
    result: list[str] | Sentence | None = None
    if builder is not None:
        try:
            result = builder(ctx)
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, AssertionError, ShapeError):
            result = None
    if isinstance(result, tuple):
        sentence, total = result
        result = [sentence] if total == ctx.params else None
    if not result or quoted_params(result[0]) != ctx.params:
        return [_generic(ctx, info)]
    return result


def _generic(ctx: ExplainContext, info: NodeInfo) -> str:
    """Any layer: its shapes and the parameter split the analysis found."""
    text = f"{arrow(ctx)}: {params_text(info.params)}" if ctx.inputs else f"{fmt_shape(ctx.output)}: {params_text(0)}"
    if info.trainable and info.non_trainable:
        text += f" ({info.trainable:,} trainable, {info.non_trainable:,} non-trainable)"
    return text


def _not_known(analysis: Analysis, node_id: str, info: NodeInfo | None) -> str:
    if info is not None and info.blocked and not analysis.problems_for(node_id):
        return "Its shapes are not known until the problems in the layers before it are fixed."
    problems = [p for p in analysis.problems_for(node_id) if p.severity == "error"]
    if problems:
        return f"Its shapes are not known yet. {problems[0].message}"
    return "Its shapes are not known yet."


def _cost_sentence(graph: Graph, node_id: str, analysis: Analysis, ctx: ExplainContext) -> str:
    cost = node_cost(graph, node_id, analysis)
    if cost.flops is None or cost.macs is None:
        work = "Its compute cost is not known for this layer"
    elif cost.macs:
        work = f"One sample costs {cost.macs:,} multiply-adds ({format_flops(cost.flops)})"
    elif cost.flops:
        work = f"One sample costs {cost.flops:,} simple operations ({format_flops(cost.flops)}), no multiply-adds"
    else:
        work = "It does no arithmetic at inference"
    values = elements(ctx.output[1:])
    if cost.activation_bytes is None or values is None:
        return f"{work}; the size of its output is not known."
    return (f"{work}; its output is {values:,} {dtype_name(ctx.cfg)} {plural(values, 'value', 'values')} = "
            f"{format_bytes(cost.activation_bytes)} per sample.")


_BUILDERS: dict[str, ExplainRule] = {name: spec.explain for name, spec in CATALOG.items() if spec.explain}
"""Each layer's own sentences: its spec's ``explain`` rule (gathered once, by class name)."""
