"""Shape and parameter inference over the graph, with every problem pinned to node and port.

``ShapeAnalyzer.analyze(graph)`` walks the DAG in topological order and runs each
layer's catalog rules. Results are cached per node, keyed on the node's revision and
its input shapes, so after an edit only the nodes whose inputs really changed are
recomputed; the whole-graph checks (cycles, names, inputs, outputs) are cheap and always
rerun.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx

from app.core.catalog import LayerSpec
from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import Fix, Shape, ShapeError
from app.core.graph import Edge, Graph, Node, name_problem
from app.core.input_hints import batch_axis_hint

Severity = Literal["error", "warning"]

RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "Bidirectional"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the model, said so a student understands it."""

    code: str
    message: str
    node: str | None = None
    node_name: str | None = None
    port: str | None = None
    param: str | None = None
    fix: Fix | None = None
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node_name,
            "node_id": self.node,
            "port": self.port,
            "param": self.param,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix.description if self.fix else None,
            "fix_action": dict(self.fix.action) if self.fix else None,
        }


@dataclass
class NodeInfo:
    """What inference found for one node. ``output_shapes`` is None when it is unknown
    (its own error, or an upstream one: then ``blocked`` is True)."""

    output_shapes: list[Shape] | None = None
    trainable: int = 0
    non_trainable: int = 0
    problems: list[Problem] = field(default_factory=list)
    blocked: bool = False

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def ok(self) -> bool:
        return self.output_shapes is not None


@dataclass
class Analysis:
    """The result of one validation pass over a graph."""

    nodes: dict[str, NodeInfo]
    problems: list[Problem]
    order: list[str]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def trainable(self) -> int:
        return sum(i.trainable for i in self.nodes.values())

    @property
    def non_trainable(self) -> int:
        return sum(i.non_trainable for i in self.nodes.values())

    @property
    def total_params(self) -> int:
        return self.trainable + self.non_trainable

    def problems_for(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]


_CacheKey = tuple[int, str, tuple[Any, ...]]


class ShapeAnalyzer:
    """Re-validates a graph; keep one per open document to reuse its per-node cache."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[_CacheKey, NodeInfo]] = {}
        self.recomputed = 0

    def analyze(self, graph: Graph) -> Analysis:
        self.recomputed = 0
        problems: list[Problem] = []
        infos: dict[str, NodeInfo] = {}
        blocked = _cycle_problems(graph, problems)
        order = _acyclic_order(graph, blocked)
        for node_id in order:
            node = graph.node(node_id)
            if node_id in blocked:
                infos[node_id] = NodeInfo(blocked=True)
                continue
            infos[node_id] = self._node_info(graph, node, infos)
        for node_id in self._cache.keys() - set(infos):
            del self._cache[node_id]
        for node_id in order:
            problems.extend(infos[node_id].problems)
        problems.extend(_graph_problems(graph))
        return Analysis(infos, problems, order)

    def _node_info(self, graph: Graph, node: Node, infos: Mapping[str, NodeInfo]) -> NodeInfo:
        spec = node.spec
        if spec is None:
            return NodeInfo(problems=[_problem(node, "unknown_layer",
                                               f"'{node.class_name}' is not a layer Layerforge supports.")])
        port_problems, inputs = _gather_inputs(graph, node, spec, infos)
        if port_problems or inputs is None:
            # Parameters are still checked, so every mistake shows at once, not one at a time.
            return NodeInfo(problems=port_problems + _param_problems(node, spec), blocked=inputs is None)
        key: _CacheKey = (node.revision, node.class_name, tuple(map(tuple, inputs)))
        cached = self._cache.get(node.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        self.recomputed += 1
        info = _infer(graph, node, spec, inputs)
        self._cache[node.id] = (key, info)
        return info


def analyze(graph: Graph) -> Analysis:
    """One-off validation (the CLI); editors keep a :class:`ShapeAnalyzer` instead."""
    return ShapeAnalyzer().analyze(graph)


# --- per-node work --------------------------------------------------------------------

def _problem(node: Node, code: str, message: str, port: str | None = None, param: str | None = None,
             fix: Fix | None = None, severity: Severity = "error") -> Problem:
    return Problem(code, f"{node.name}: {message}", node.id, node.name, port, param, fix, severity)


def _gather_inputs(
    graph: Graph, node: Node, spec: LayerSpec, infos: Mapping[str, NodeInfo]
) -> tuple[list[Problem], list[Shape] | None]:
    """The input shapes in port order, or the port problems that prevent inference."""
    problems: list[Problem] = []
    by_port: dict[str, list[Edge]] = {}
    for edge in graph.in_edges(node.id):
        by_port.setdefault(edge.target_port, []).append(edge)
    port_names = {p.name for p in spec.ports}
    for port_name in sorted(by_port.keys() - port_names):
        problems.append(_problem(node, "unknown_port", f"{spec.title} has no input port '{port_name}'.", port_name,
                                 fix=_remove_edges_fix(by_port[port_name], "Remove this connection")))
    inputs: list[Shape] = []
    ready = True
    for port in spec.ports:
        edges = sorted(by_port.get(port.name, []), key=lambda e: e.slot)
        if port.variadic:
            if len(edges) < port.min_count:
                problems.append(_problem(
                    node, "unconnected_port",
                    f"{spec.title} needs at least {port.min_count} inputs, but {len(edges)} "
                    f"{'is' if len(edges) == 1 else 'are'} connected.", port.name))
            elif port.max_count is not None and len(edges) > port.max_count:
                problems.append(_problem(
                    node, "too_many_inputs",
                    f"{spec.title} takes at most {port.max_count} inputs, but {len(edges)} are connected.",
                    port.name, fix=_remove_edges_fix(edges[port.max_count:], "Remove the extra connections")))
        elif not edges:
            if not port.optional:
                problems.append(_problem(
                    node, "unconnected_port",
                    f"input port '{port.name}' is not connected. Connect a layer's output to it.", port.name))
            continue
        elif len(edges) > 1:
            sources = ", ".join(graph.node(e.source).name for e in edges)
            problems.append(_problem(
                node, "multiple_edges",
                f"port '{port.name}' takes one input but {len(edges)} are connected ({sources}). "
                "To combine them, use a merge layer such as Add or Concatenate.",
                port.name, fix=_remove_edges_fix(edges[1:], "Keep only the first connection")))
            continue
        for edge in edges:
            upstream = infos.get(edge.source)
            if upstream is None or upstream.output_shapes is None:
                ready = False
                continue
            if edge.source_port >= len(upstream.output_shapes):
                problems.append(_problem(node, "unknown_port",
                                         f"{graph.node(edge.source).name} has no output {edge.source_port}.",
                                         port.name))
                continue
            inputs.append(upstream.output_shapes[edge.source_port])
    return problems, (inputs if ready else None)


def _remove_edges_fix(edges: Sequence[Edge], text: str) -> Fix:
    return Fix(text, {"op": "remove_edges", "edges": [e.to_dict() for e in edges]})


def _infer(graph: Graph, node: Node, spec: LayerSpec, inputs: list[Shape]) -> NodeInfo:
    problems = _param_problems(node, spec)
    if problems:
        return NodeInfo(problems=problems)
    cfg = node.config
    try:
        shape = spec.output(cfg, inputs)
        trainable, non_trainable = spec.count(cfg, inputs)
    except ShapeError as err:
        fix = _contextual_fix(graph, node, err) or _bind_fix(err.fix, node)
        message = err.message
        hint = batch_axis_hint(graph, node)  # the real cause may be an Input's batch size
        if hint is not None:
            message, fix = f"{hint[0]} {message}", hint[1]
        return NodeInfo(problems=[_problem(node, "shape", message, err.port or _first_port(spec), fix=fix)])
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError) as err:
        # A rule met a config it was not written for: report, never crash the editor.
        return NodeInfo(problems=[_problem(node, "invalid_param", f"cannot use these settings ({err}).")])
    if not cfg.get("trainable", True):
        trainable, non_trainable = 0, trainable + non_trainable
    warnings = [
        _problem(node, "shape_warning", w.message, w.port or _first_port(spec), fix=_bind_fix(w.fix, node) if w.fix
                 else None, severity="warning")
        for w in (spec.warn(cfg, inputs) if spec.warn else [])
    ]
    return NodeInfo([tuple(shape)], trainable, non_trainable, warnings)


def _first_port(spec: LayerSpec) -> str | None:
    return spec.ports[0].name if spec.ports else None


def _param_problems(node: Node, spec: LayerSpec) -> list[Problem]:
    problems = []
    for key in sorted(node.config.keys() - spec.param_names):
        problems.append(_problem(node, "invalid_param", f"{spec.title} has no parameter '{key}'.", param=key,
                                 fix=Fix(f"Remove '{key}'", {"op": "remove_param", "node": node.id, "param": key})))
    config = node.config
    for param in spec.params:
        if param.name not in config:
            problems.append(_problem(node, "invalid_param", f"parameter '{param.name}' is missing.", param=param.name,
                                     fix=Fix(f"Set '{param.name}' to its default",
                                             {"op": "set_param", "node": node.id, "param": param.name,
                                              "value": spec.default_config()[param.name]})))
            continue
        message = param.validate(config[param.name])
        if message:
            problems.append(_problem(node, "invalid_param", message, param=param.name))
    return problems


def _bind_fix(fix: Fix | None, node: Node) -> Fix | None:
    """Rules do not know node ids; fill in the node the problem belongs to."""
    if fix is None:
        return None
    return Fix(fix.description, {"node": node.id, **fix.action})


def _contextual_fix(graph: Graph, node: Node, err: ShapeError) -> Fix | None:
    """Fixes that need to look upstream: a recurrent layer fed by another that returns only its
    last step wants ``return_sequences=True`` there, not a Reshape here."""
    if node.class_name not in RECURRENT:
        return None
    edges = graph.port_edges(node.id, err.port or "input")
    if not edges:
        return None
    upstream = graph.node(edges[0].source)
    if upstream.class_name in {"LSTM", "GRU", "SimpleRNN"} and not upstream.config.get("return_sequences"):
        return Fix(f"Set return_sequences=True on {upstream.name}",
                   {"op": "set_param", "node": upstream.id, "param": "return_sequences", "value": True})
    wrapped = upstream.config.get("layer")
    inner = wrapped.get("config") if isinstance(wrapped, dict) else None
    if upstream.class_name == "Bidirectional" and isinstance(inner, dict) and not inner.get("return_sequences"):
        new_layer = {**wrapped, "config": {**inner, "return_sequences": True}}
        return Fix(f"Set return_sequences=True on {upstream.name}",
                   {"op": "set_param", "node": upstream.id, "param": "layer", "value": new_layer})
    return None


# --- whole-graph checks ---------------------------------------------------------------

def _cycle_problems(graph: Graph, problems: list[Problem]) -> set[str]:
    """Report each cycle once; return the nodes inference must skip (cycles and below)."""
    blocked: set[str] = set()
    for component in graph.cyclic_components():
        ordered = [n.id for n in graph.nodes() if n.id in component]
        names = " -> ".join(graph.node(n).name for n in ordered)
        for node_id in ordered:
            node = graph.node(node_id)
            back = [e for e in graph.in_edges(node_id) if e.source in component]
            fix = _remove_edges_fix(back[:1], "Remove the connection that closes the loop") if back else None
            problems.append(_problem(node, "cycle", f"is part of a loop ({names}). Layers must flow one way, "
                                     "from inputs to outputs; remove one connection of the loop.",
                                     back[0].target_port if back else None, fix=fix))
        blocked |= component
    for node_id in list(blocked):
        blocked |= nx.descendants(graph.nx_graph(), node_id)
    return blocked


def _acyclic_order(graph: Graph, blocked: set[str]) -> list[str]:
    if not blocked:
        return graph.topological_order()
    g = graph.nx_graph().subgraph(set(graph.nx_graph()) - blocked)
    rank = {n.id: i for i, n in enumerate(graph.nodes())}
    return list(nx.lexicographical_topological_sort(g, key=rank.__getitem__)) + [
        n.id for n in graph.nodes() if n.id in blocked
    ]


def _graph_problems(graph: Graph) -> list[Problem]:
    problems: list[Problem] = []
    nodes = graph.nodes()
    if not nodes:
        return [Problem("empty", "The model is empty. Add an Input layer from the palette to start.")]
    inputs = graph.input_nodes()
    if not inputs:
        roots = [n for n in nodes if not graph.in_edges(n.id)]
        action: dict[str, Any] = {"op": "add_input"}
        if roots:
            action["node"] = roots[0].id
        problems.append(Problem(
            "missing_input", "The model has no Input layer, so Keras cannot know the shape of the data. "
            "Add an Input and connect it to the first layer.", roots[0].id if roots else None,
            roots[0].name if roots else None, fix=Fix("Add an Input layer", action)))
    for node in inputs:
        if not graph.has_outputs(node.id):
            problems.append(_problem(node, "unused_input", "this Input is not connected to any layer. "
                                     "Connect it, or delete it.",
                                     fix=Fix("Delete this Input", {"op": "remove_node", "node": node.id})))
    if inputs and not graph.output_nodes():
        problems.append(Problem("no_output", "The model has no output: add at least one layer after the Input."))
    counts = Counter(n.name for n in nodes)
    seen: set[str] = set()
    for node in nodes:
        bad = name_problem(node.name)
        if bad:
            problems.append(_problem(node, "invalid_name", bad, param="name"))
        elif counts[node.name] > 1:
            if node.name in seen:
                new = graph.unique_name(node.name, exclude=None)
                problems.append(_problem(
                    node, "duplicate_name", f"the name '{node.name}' is used by {counts[node.name]} layers; "
                    "Keras needs every layer name to be unique.", param="name",
                    fix=Fix(f"Rename to '{new}'", {"op": "rename", "node": node.id, "name": new})))
            seen.add(node.name)
    return problems


def describe_shapes(info: NodeInfo) -> str:
    """A node's output shape(s) as text: '(None, 10)', '?' when unknown."""
    if info.output_shapes is None:
        return "?"
    return ", ".join(fmt_shape(s) for s in info.output_shapes)
