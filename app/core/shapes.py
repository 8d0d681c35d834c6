"""Shape and parameter inference over the graph, with every problem pinned to node and port.

``ShapeAnalyzer.analyze(graph)`` walks the DAG in topological order and runs each
layer's catalog rules. Results are cached per node, keyed on the node's revision and
its input shapes, so after an edit only the nodes whose inputs really changed are
recomputed; the whole-graph checks (cycles, names, inputs, outputs) are cheap and always
rerun.
"""

from __future__ import annotations

import copy
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx

from app.core.catalog import LayerSpec, classes_tagged
from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import RNN_TAG, RNN_WRAPPER_TAG, Fix, Shape, ShapeError
from app.core.graph import Edge, Graph, Node, name_problem, name_warning, shareable, tf_safe_name
from app.core.input_hints import batch_axis_hint
from app.core.limits import (
    INT64_MAX,
    KERAS_MAX_DEPTH,
    TRAINING_COPIES,
    activation_bytes,
    format_count,
    format_size,
    machine_memory,
    weight_bytes,
)

Severity = Literal["error", "warning"]

RECURRENT = classes_tagged(RNN_TAG, RNN_WRAPPER_TAG)


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
    """Re-validates a graph; keep one per open document to reuse its per-node cache.

    After an edit that leaves the wiring as it was (a parameter, a name), only the edited
    nodes and what lies downstream of them are looked at again; whole-graph checks that
    depend on the wiring (Keras' walk depth) or on the names are reused while those stay."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[_CacheKey, NodeInfo]] = {}
        self.recomputed = 0
        self._graph: weakref.ref[Graph] | None = None
        self._structure = -1
        self._revisions: dict[str, int] = {}
        self._raw: dict[str, NodeInfo] = {}
        self._depth: tuple[Any, list[Problem]] | None = None
        self._names: tuple[tuple[Any, ...], list[Problem]] | None = None
        self._sizes: dict[str, tuple[NodeInfo, int, int, int]] = {}

    def analyze(self, graph: Graph) -> Analysis:
        self.recomputed = 0
        problems: list[Problem] = []
        infos: dict[str, NodeInfo] = {}
        blocked = _cycle_problems(graph, problems)
        order = _acyclic_order(graph, blocked)
        affected = self._affected(graph, blocked)
        for node_id in order:
            if affected is not None and node_id not in affected:
                infos[node_id] = self._raw[node_id]  # nothing upstream changed: the same info
                continue
            node = graph.node(node_id)
            if node_id in blocked:
                infos[node_id] = NodeInfo(blocked=True)
                continue
            infos[node_id] = self._node_info(graph, node, infos)
        if affected is None or len(self._cache) > len(infos):
            for node_id in self._cache.keys() - set(infos):
                del self._cache[node_id]
        self._raw = dict(infos)  # before shared layers are counted once (that replaces entries)
        _count_shared_once(graph, infos)
        for node_id in order:
            problems.extend(infos[node_id].problems)
        problems.extend(self._name_problems(graph))
        if not blocked:
            problems.extend(self._depth_problems(graph))
        problems.extend(_memory_problems(graph, infos, order, self._sizes))
        return Analysis(infos, problems, order)

    def _affected(self, graph: Graph, blocked: set[str]) -> set[str] | None:
        """The nodes to look at again: those whose revision changed since the last pass and
        everything downstream of them; None (all of them) when the wiring changed."""
        revisions = {node.id: node.revision for node in graph.nodes()}
        same_wiring = (self._graph is not None and self._graph() is graph and not blocked
                       and self._structure == graph.structure_revision and revisions.keys() == self._raw.keys())
        previous = self._revisions
        self._graph, self._structure, self._revisions = weakref.ref(graph), graph.structure_revision, revisions
        if not same_wiring:
            return None
        affected = {node_id for node_id, revision in revisions.items() if previous.get(node_id) != revision}
        stack = list(affected)
        while stack:
            for edge in graph.out_edges(stack.pop()):
                if edge.target not in affected:
                    affected.add(edge.target)
                    stack.append(edge.target)
        return affected

    def _name_problems(self, graph: Graph) -> list[Problem]:
        """:func:`_graph_problems`, reused while the wiring and every node's name and class stay."""
        key = (graph.structure_revision, tuple(graph.output_order),
               tuple((n.id, n.name, n.class_name) for n in graph.nodes()))
        if self._names is None or self._names[0] != key:
            self._names = (key, _graph_problems(graph))
        return list(self._names[1])

    def _depth_problems(self, graph: Graph) -> list[Problem]:
        """:func:`_depth_problems`, reused while the wiring and the outputs stay (names are in the
        message: a rename changes a node's revision, which :meth:`_name_problems` keys on too)."""
        key = (graph.structure_revision, tuple(graph.output_order))
        names = self._names[0] if self._names is not None else None
        if self._depth is None or self._depth[0] != (key, names):
            self._depth = ((key, names), _depth_problems(graph))
        return list(self._depth[1])

    def _node_info(self, graph: Graph, node: Node, infos: Mapping[str, NodeInfo]) -> NodeInfo:
        spec = node.spec
        if spec is None:
            return NodeInfo(problems=[_problem(node, "unknown_layer",
                                               f"'{node.class_name}' is not a layer Layerforge supports.")])
        port_problems, ported = _gather_inputs(graph, node, spec, infos)
        if port_problems or ported is None:
            # Parameters are still checked, so every mistake shows at once, not one at a time.
            return NodeInfo(problems=port_problems + _param_problems(node, spec), blocked=ported is None)
        key: _CacheKey = (node.revision, node.class_name, tuple((port, tuple(shape)) for port, shape in ported))
        cached = self._cache.get(node.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        self.recomputed += 1
        info = _infer(graph, node, spec, ported)
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
) -> tuple[list[Problem], list[tuple[str, Shape]] | None]:
    """The input shapes in port order with their port's name, or the port problems that prevent inference."""
    problems: list[Problem] = []
    by_port: dict[str, list[Edge]] = {}
    for edge in graph.in_edges(node.id):
        by_port.setdefault(edge.target_port, []).append(edge)
    port_names = {p.name for p in spec.ports}
    for port_name in sorted(by_port.keys() - port_names):
        problems.append(_problem(node, "unknown_port", f"{spec.title} has no input port '{port_name}'.", port_name,
                                 fix=_remove_edges_fix(by_port[port_name], "Remove this connection")))
    inputs: list[tuple[str, Shape]] = []
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
            inputs.append((port.name, upstream.output_shapes[edge.source_port]))
    return problems, (inputs if ready else None)


def _count_shared_once(graph: Graph, infos: dict[str, NodeInfo]) -> None:
    """A shared layer's weights belong to the node that owns it (as Keras counts them once); every other
    call must fit those weights: same class, same config, inputs that give the same weight sizes."""
    for node in graph.nodes():
        owner_id = node.shared_with
        if owner_id is None or owner_id not in graph or node.id not in infos:
            continue
        info, owner = infos[node.id], graph.node(owner_id)
        owned = infos.get(owner_id)
        problem = None
        if not shareable(owner):
            problem = (f"calls the layer of '{owner.name}', which cannot be shared: Inputs, backbones and Keras "
                       "operations are used once. Give this node its own layer.")
        elif owner.class_name != node.class_name or owner.config != node.config:
            problem = (f"calls the shared layer of '{owner.name}' but its settings differ from it; a shared layer "
                       "has one set of settings. Edit either node and both change.")
        elif info.ok and owned is not None and owned.ok and owned.params != info.params:
            problem = (f"calls the shared layer of '{owner.name}' with an input that needs {info.params:,} weights, "
                       f"but the layer was built for {owned.params:,} by its first call: a shared layer needs "
                       "inputs of the same size at every call.")
        if problem is not None:
            infos[node.id] = NodeInfo(None, 0, 0, [*info.problems, _problem(node, "shared_layer", problem)])
        elif info.params:
            infos[node.id] = NodeInfo(info.output_shapes, 0, 0, info.problems, info.blocked)


def _remove_edges_fix(edges: Sequence[Edge], text: str) -> Fix:
    return Fix(text, {"op": "remove_edges", "edges": [e.to_dict() for e in edges]})


def _infer(graph: Graph, node: Node, spec: LayerSpec, ported: list[tuple[str, Shape]]) -> NodeInfo:
    problems = _param_problems(node, spec)
    if problems:
        return NodeInfo(problems=problems)
    cfg = node.config
    inputs = [shape for _, shape in ported]
    try:
        if spec.outputs is not None:
            shapes = [tuple(s) for s in spec.outputs(cfg, dict(ported))]
            shape = shapes[0]
        else:
            shape = spec.output(cfg, inputs)
            shapes = [tuple(shape)]
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
    too_big = _size_problem(node, spec, tuple(shape), trainable + non_trainable)
    if too_big is not None:
        return NodeInfo(problems=[too_big])
    if not cfg.get("trainable", True):
        trainable, non_trainable = 0, trainable + non_trainable
    warnings = [
        _problem(node, "shape_warning", w.message, w.port or _first_port(spec), fix=_bind_fix(w.fix, node) if w.fix
                 else None, severity="warning")
        for w in (spec.warn(cfg, inputs) if spec.warn else [])
    ]
    return NodeInfo(shapes, trainable, non_trainable, warnings)


SIZE_PARAMS = ("units", "filters", "output_dim", "input_dim", "num_heads", "key_dim", "batch_shape",
               "target_shape", "num_tokens", "max_tokens", "size")
"""Parameters that set how big a layer is, most telling first: where a size problem points."""


def _size_param(spec: LayerSpec) -> str | None:
    return next((name for name in SIZE_PARAMS if name in spec.param_names), None)


def _size_problem(node: Node, spec: LayerSpec, shape: Shape, params: int) -> Problem | None:
    """Sizes TensorFlow cannot represent (int64), however much memory there is."""
    huge = next((dim for dim in shape if dim is not None and dim > INT64_MAX), None)
    count = 1
    for dim in shape[1:]:
        if dim is not None:
            count *= dim
    if huge is None and count <= INT64_MAX and params <= INT64_MAX:
        return None  # the usual case: the messages below are only worded when needed
    limit = f"TensorFlow's sizes are 64-bit integers, at most {INT64_MAX:,}"
    param = _size_param(spec)
    if huge is not None:
        return _problem(node, "too_large", f"its output would have a dimension of {format_count(huge)}; "
                        f"{limit}.", param=param)
    if count > INT64_MAX:
        return _problem(node, "too_large", f"its output would hold {format_count(count)} values per sample; "
                        f"{limit}. Make the input or '{param or 'the layer'}' smaller.", param=param)
    return _problem(node, "too_large", f"its weights would hold {format_count(params)} numbers; {limit}. "
                    f"Make the input or '{param or 'the layer'}' smaller.", param=param)


def _first_port(spec: LayerSpec) -> str | None:
    return spec.ports[0].name if spec.ports else None


_ConfigProblem = tuple[str, str, Literal["remove", "default"] | None, Any]
"""One parameter problem without its node: (param, message, fix: remove it / set its default / none,
the default)."""
_CONFIG_PROBLEMS: dict[tuple[str, str], tuple[LayerSpec, tuple[_ConfigProblem, ...]]] = {}
"""Checked configs by (class, ``repr`` of the config): a 1,000-layer network repeats a few dozen
configs, and ``repr`` of one costs a few microseconds where checking every parameter costs ~100.
Keyed by value, so a config changed in place is simply checked again."""
_CONFIG_CACHE_SIZE = 20_000


def _param_problems(node: Node, spec: LayerSpec) -> list[Problem]:
    config = node.config
    key = (node.class_name, repr(config))
    cached = _CONFIG_PROBLEMS.get(key)
    if cached is None or cached[0] is not spec:
        if len(_CONFIG_PROBLEMS) >= _CONFIG_CACHE_SIZE:
            _CONFIG_PROBLEMS.clear()
        cached = (spec, _config_problems(config, spec))
        _CONFIG_PROBLEMS[key] = cached
    problems = []
    for param, message, fix, default in cached[1]:
        action: Fix | None = None
        if fix == "remove":
            action = Fix(f"Remove '{param}'", {"op": "remove_param", "node": node.id, "param": param})
        elif fix == "default":
            action = Fix(f"Set '{param}' to its default", {"op": "set_param", "node": node.id, "param": param,
                                                          "value": copy.deepcopy(default)})
        problems.append(_problem(node, "invalid_param", message, param=param, fix=action))
    return problems


def _config_problems(config: Mapping[str, Any], spec: LayerSpec) -> tuple[_ConfigProblem, ...]:
    """Every parameter problem of ``config`` (unknown, missing, invalid), in a stable order."""
    problems: list[_ConfigProblem] = []
    for key in sorted(config.keys() - spec.param_names):
        problems.append((key, f"{spec.title} has no parameter '{key}'.", "remove", None))
    for param in spec.params:
        if param.name not in config:
            problems.append((param.name, f"parameter '{param.name}' is missing.", "default",
                             spec.default_config()[param.name]))
            continue
        message = param.validate(config[param.name])
        if message:
            problems.append((param.name, message, None, None))
    return tuple(problems)


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
    if upstream.class_name in classes_tagged(RNN_TAG) and not upstream.config.get("return_sequences"):
        return Fix(f"Set return_sequences=True on {upstream.name}",
                   {"op": "set_param", "node": upstream.id, "param": "return_sequences", "value": True})
    wrapped = upstream.config.get("layer")
    inner = wrapped.get("config") if isinstance(wrapped, dict) else None
    if upstream.class_name == "Bidirectional" and isinstance(wrapped, dict) and isinstance(inner, dict) \
            and not inner.get("return_sequences"):
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
            fix = None
            if isinstance(node.name, str) and "/" in node.name:
                new = _unused_name(node.name.replace("/", "_"), counts)
                fix = Fix(f"Rename to '{new}'", {"op": "rename", "node": node.id, "name": new})
            problems.append(_problem(node, "invalid_name", bad, param="name", fix=fix))
            continue
        if counts[node.name] > 1:
            if node.name in seen:
                new = _unused_name(node.name, counts)
                problems.append(_problem(
                    node, "duplicate_name", f"the name '{node.name}' is used by {counts[node.name]} layers; "
                    "Keras needs every layer name to be unique.", param="name",
                    fix=Fix(f"Rename to '{new}'", {"op": "rename", "node": node.id, "name": new})))
            seen.add(node.name)
        # An Input opens no TensorFlow scope while training, so any Keras name works there (measured).
        untrainable = name_warning(node.name) if node.class_name != "InputLayer" else None
        if untrainable:
            new = _unused_name(tf_safe_name(node.name), counts)
            untrainable = name_warning(node.name, new) or untrainable
            problems.append(_problem(node, "name_tensorflow", untrainable, param="name", severity="warning",
                                     fix=Fix(f"Rename to {new!r}", {"op": "rename", "node": node.id, "name": new})))
    return problems


def _unused_name(base: str, taken: Mapping[str, int]) -> str:
    """Like :meth:`Graph.unique_name`, from names counted once per pass: a graph of 20,000 badly
    named layers stays linear instead of rebuilding the set of names per layer."""
    if base not in taken:
        return base
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def keras_walk_depth(graph: Graph) -> tuple[int, str | None, str | None]:
    """How deep Keras' recursive walk over the model goes, as (frames, output id, deepest id).

    It mirrors ``keras.src.ops.function._build_map``: from each output in order, a depth-first
    walk over each layer's inputs in call order, one Python frame per step, finished layers
    visited but not entered. Done with an explicit stack, so a 20,000-layer chain costs
    milliseconds here instead of a RecursionError there. The graph must be acyclic."""
    finished: set[str] = set()
    best, best_root, best_node = 0, None, None
    for output in graph.output_nodes():
        if output.id in finished:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(output.id, _sources(graph, output.id))]
        on_stack = {output.id}
        if best < 1:
            best, best_root, best_node = 1, output.id, output.id
        while stack:
            node_id, upstream = stack[-1]
            source = next(upstream, None)
            if source is None:
                stack.pop()
                on_stack.discard(node_id)
                finished.add(node_id)
                continue
            depth = len(stack) + 1
            if depth > best:
                best, best_root, best_node = depth, output.id, source
            if source not in finished and source not in on_stack:
                stack.append((source, _sources(graph, source)))
                on_stack.add(source)
    return best, best_root, best_node


def _sources(graph: Graph, node_id: str) -> Iterator[str]:
    return iter([e.source for e in graph.ordered_in_edges(node_id)])


def _depth_problems(graph: Graph) -> list[Problem]:
    depth, root, deepest = keras_walk_depth(graph)
    if depth <= KERAS_MAX_DEPTH or root is None or deepest is None:
        return []
    return [_problem(
        graph.node(root), "too_deep",
        f"this output is {depth:,} layers deep (back to '{graph.node(deepest).name}'). Keras finds a model's "
        "layers with a recursive walk that Python stops at about 990 levels, so it cannot build, save or load "
        f"a model deeper than that; Layerforge allows {KERAS_MAX_DEPTH:,}. Shorten the chain of layers.")]


def _memory_problems(graph: Graph, infos: Mapping[str, NodeInfo], order: Sequence[str],
                     sizes: dict[str, tuple[NodeInfo, int, int, int]] | None = None) -> list[Problem]:
    """Warnings for what will not fit in this machine's memory: the weights (to build the
    model), about four copies of them (to train it), one sample's activations (to run it).
    ``sizes`` keeps each node's byte counts between passes (node id -> (info, revision,
    weight bytes, activation bytes)), reused while its info object and revision stay."""
    memory = machine_memory()
    if memory is None:
        return []
    weights: dict[str, int] = {}
    activations: dict[str, int] = {}
    known = sizes if sizes is not None else {}
    for node_id in order:
        info = infos[node_id]
        if info.output_shapes is None:
            continue
        node = graph.node(node_id)
        kept = known.get(node_id)
        if kept is not None and kept[0] is info and kept[1] == node.revision:
            weights[node_id], activations[node_id] = kept[2], kept[3]
            continue
        weights[node_id] = info.params * weight_bytes(node.config)
        values = 0
        for shape in info.output_shapes:
            count = 1
            for dim in shape[1:]:
                count *= dim if dim is not None else 0
            values += count
        activations[node_id] = values * activation_bytes(node.config)
        if sizes is not None:
            sizes[node_id] = (info, node.revision, weights[node_id], activations[node_id])
    problems: list[Problem] = []
    total_weights = sum(weights.values())
    params = sum(infos[n].params for n in weights)
    have = f"this machine's memory ({format_size(memory)})"
    if total_weights and total_weights * TRAINING_COPIES > memory:
        node = graph.node(max(weights, key=weights.__getitem__))
        spec = node.spec
        param = _size_param(spec) if spec else None
        lower = f"lower '{param}' or the size of its input" if param else "make it or its input smaller"
        share = (f"This layer holds {format_count(infos[node.id].params)} of them "
                 f"({format_size(weights[node.id])}); {lower}.")
        if total_weights > memory:
            message = (f"the model's weights need {format_size(total_weights)} ({format_count(params)} "
                       f"parameters), more than {have}: Keras cannot build it here. {share}")
            problems.append(_problem(node, "memory_weights", message, param=param, severity="warning"))
        else:
            message = (f"training keeps about {TRAINING_COPIES} copies of the weights (weights, gradients, "
                       f"optimizer state): {format_size(total_weights * TRAINING_COPIES)} for "
                       f"{format_count(params)} parameters, more than {have}. {share}")
            problems.append(_problem(node, "memory_training", message, param=param, severity="warning"))
    total_activations = sum(activations.values())
    if total_activations > memory:
        node = graph.node(max(activations, key=activations.__getitem__))
        spec = node.spec
        message = (f"one sample's activations need {format_size(total_activations)} (batch size 1), more than "
                   f"{have}: the model cannot run here. This layer's output alone is "
                   f"{format_size(activations[node.id])}.")
        problems.append(_problem(node, "memory_activations", message, param=_size_param(spec) if spec else None,
                                 severity="warning"))
    return problems


def describe_shapes(info: NodeInfo) -> str:
    """A node's output shape(s) as text: '(None, 10)', '?' when unknown."""
    if info.output_shapes is None:
        return "?"
    return ", ".join(fmt_shape(s) for s in info.output_shapes)
