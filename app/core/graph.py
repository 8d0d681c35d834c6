"""The graph model: nodes (Keras layers), ports and edges. The one source of truth.

Every change goes through a method here and emits an event; views redraw from events and
undo commands call these methods (DESIGN.md, rule 2). Structure is mirrored in a networkx
``MultiDiGraph`` for cycle checks, topological order and layout.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from app.core.catalog import get_spec
from app.core.catalog.spec import LayerSpec, PortSpec, to_json_value
from app.core.events import Signal
from app.core.limits import MAX_NAME_LENGTH

Position = tuple[float, float]

_REVISIONS = itertools.count(1)
"""One counter for all nodes, so a re-created node never reuses a cached revision."""


class GraphError(ValueError):
    """An edit the model refuses (unknown node, a port that does not exist, ...)."""


@dataclass(frozen=True, order=True)
class Edge:
    """A connection from ``source``'s output ``source_port`` to ``target``'s input ``target_port``.

    ``slot`` orders the edges of a variadic port (the inputs of Concatenate); it is 0
    for ordinary ports.
    """

    source: str
    target: str
    target_port: str = "input"
    slot: int = 0
    source_port: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_port": self.source_port,
            "target": self.target,
            "target_port": self.target_port,
            "slot": self.slot,
        }


@dataclass
class Node:
    """A layer instance: Keras class name, config (``get_config()`` keys minus name), position."""

    id: str
    class_name: str
    name: str
    config: dict[str, Any]
    position: Position = (0.0, 0.0)
    shared_with: str | None = None
    """Another call of one shared layer (Siamese towers, shared embeddings): the id of the node that owns
    the layer (its name is the Keras layer's, its config is kept equal to ours); None for an own layer."""
    revision: int = field(default_factory=lambda: next(_REVISIONS), compare=False)
    _snapshot: tuple[tuple[Any, ...], dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @property
    def spec(self) -> LayerSpec | None:
        return get_spec(self.class_name)

    def keras_config(self) -> dict[str, Any]:
        """The config Keras' ``from_config`` takes: ours plus the name."""
        return {"name": self.name, **copy.deepcopy(self.config)}

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "class_name": self.class_name,
            "name": self.name,
            "config": copy.deepcopy(self.config),
            "position": [float(self.position[0]), float(self.position[1])],
        }
        if self.shared_with is not None:
            data["shared_with"] = self.shared_with
        return data

    def snapshot(self) -> dict[str, Any]:
        """Like :meth:`to_dict`, but shared and reused until the node changes: read-only!
        Undo keeps a snapshot of the whole graph per edit, so copying only what changed
        keeps an edit of a 250-node graph cheap."""
        key = (self.revision, self.name, self.position, self.shared_with)
        if self._snapshot is None or self._snapshot[0] != key:
            self._snapshot = (key, self.to_dict())
        return self._snapshot[1]


TF_NAME_RE = re.compile(r"[A-Za-z0-9_.\->]*")
"""What TensorFlow's graph mode allows in a scope name (``ops._VALID_SCOPE_NAME_REGEX``): a layer
whose name has any other character builds and saves in Keras, but ``fit`` fails."""

NAME_RULE = ("a layer name may be any text without '/' (Keras refuses it); to be trained with TensorFlow "
             "it may use only letters, digits, '_', '.', '-' and '>'")
"""The rule as the user reads it (Keras 3.15: ``keras.src.ops.operation``; TensorFlow 2.21 scopes).
Keras sets no rule for the first character of a layer name."""


def name_problem(name: str) -> str | None:
    """Why Keras (or Layerforge) refuses ``name`` as a layer name, or None.

    Only what really fails is refused: Keras accepts any text without '/', spaces and
    bidi characters included (they are shown escaped); see :func:`name_warning`."""
    if not isinstance(name, str) or not name:
        return "a layer needs a name"
    if "/" in name:
        return (f"Keras refuses '/' in a layer name ({name!r}): it separates the parts of a weight's path. "
                f"Use '_' instead, e.g. {name.replace('/', '_')!r}")
    if len(name) > MAX_NAME_LENGTH:
        return f"a layer name is limited to {MAX_NAME_LENGTH:,} characters (this one has {len(name):,})"
    return None


def name_warning(name: str, suggestion: str | None = None) -> str | None:
    """Why TensorFlow cannot train a layer with this Keras-valid name, or None; ``suggestion``
    (default :func:`tf_safe_name`) is the name offered instead, unique in the caller's graph."""
    if not isinstance(name, str) or TF_NAME_RE.fullmatch(name):
        return None
    bad = "".join(dict.fromkeys(ch for ch in name if not TF_NAME_RE.fullmatch(ch)))
    return (f"Keras accepts the name {name!r}, but TensorFlow cannot train a layer whose name has "
            f"{', '.join(repr(ch) for ch in bad[:5])}{' ...' if len(bad) > 5 else ''}: to train it here, use only "
            f"letters, digits, '_', '.', '-' and '>', e.g. {suggestion or tf_safe_name(name)!r}")


def tf_safe_name(name: str) -> str:
    """``'dense 1'`` -> ``'dense_1'``: every character TensorFlow refuses becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_.\->]+", "_", name).strip("_") or "layer"


class Graph:
    """A directed acyclic graph of layers; cycles are refused on connect and reported on load."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: set[Edge] = set()
        # Adjacency kept by hand too: validation reads it for every node on every edit, and
        # plain sorted lists are several times cheaper than networkx's edge views.
        self._in: dict[str, list[Edge]] = {}
        self._out: dict[str, list[Edge]] = {}
        self._nx = nx.MultiDiGraph()
        self._cycle_cache: tuple[int, list[set[str]]] | None = None
        self._ids = itertools.count(1)
        self.output_order: list[str] = []
        self.output_ports: dict[str, list[int]] = {}
        self._calls: dict[str, list[str]] = {}
        """Shared layers: the owning node's id -> the ids of its other calls (kept so a lookup is not a scan)."""
        """Outputs other than a node's first that are model outputs (an encoder's states: {id: [1, 2]});
        a node listed here is a model output at these ports instead of port 0."""
        self.revision = 0
        self.structure_revision = 0
        self._topo_cache: tuple[int, list[str]] | None = None
        self.node_added = Signal()
        self.node_removed = Signal()
        self.edge_added = Signal()
        self.edge_removed = Signal()
        self.node_changed = Signal()
        self.node_moved = Signal()
        self.changed = Signal()

    # --- reading -------------------------------------------------------------------

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}") from None

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def edges(self) -> list[Edge]:
        return sorted(self._edges)

    def node_by_name(self, name: str) -> Node | None:
        return next((n for n in self._nodes.values() if n.name == name), None)

    def in_edges(self, node_id: str) -> list[Edge]:
        return list(self._in[node_id])

    def out_edges(self, node_id: str) -> list[Edge]:
        return list(self._out[node_id])

    def has_outputs(self, node_id: str) -> bool:
        return bool(self._out[node_id])

    def cyclic_components(self) -> list[set[str]]:
        """Groups of nodes that form loops (cached until the structure changes)."""
        if self._cycle_cache is None or self._cycle_cache[0] != self.structure_revision:
            loops: list[set[str]] = []
            if not nx.is_directed_acyclic_graph(self._nx):
                for component in nx.strongly_connected_components(self._nx):
                    (first, *rest) = component
                    if rest or self._nx.has_edge(first, first):
                        loops.append(set(component))
            self._cycle_cache = (self.structure_revision, loops)
        return [set(c) for c in self._cycle_cache[1]]

    def port_edges(self, node_id: str, port: str) -> list[Edge]:
        """Edges into one input port, in slot order."""
        return sorted((e for e in self.in_edges(node_id) if e.target_port == port), key=lambda e: e.slot)

    def ordered_in_edges(self, node_id: str) -> list[Edge]:
        """Incoming edges in the order the layer is called with: port order, then slot."""
        rank = {p.name: i for i, p in enumerate(self.ports(node_id))}
        return sorted(self.in_edges(node_id), key=lambda e: (rank.get(e.target_port, len(rank)), e.slot))

    def nx_graph(self) -> nx.MultiDiGraph:
        """The structure as networkx sees it (read-only use, please)."""
        return self._nx

    def find_cycle(self) -> list[str]:
        """Node ids on one cycle, or [] when the graph is acyclic."""
        try:
            return [u for u, _v, *_ in nx.find_cycle(self._nx)]
        except nx.NetworkXNoCycle:
            return []

    def topological_order(self) -> list[str]:
        """Node ids, inputs first; ties broken by insertion order so results are stable.
        Cached until the structure changes (editing a parameter keeps the order)."""
        if self._topo_cache is None or self._topo_cache[0] != self.structure_revision:
            order = {nid: i for i, nid in enumerate(self._nodes)}
            self._topo_cache = (
                self.structure_revision,
                list(nx.lexicographical_topological_sort(self._nx, key=order.__getitem__)),
            )
        return list(self._topo_cache[1])

    def input_nodes(self) -> list[Node]:
        return [n for n in self._nodes.values() if n.class_name == "InputLayer"]

    def output_nodes(self) -> list[Node]:
        """Model outputs: the nodes named in ``output_order`` (as Keras names its outputs; such a
        node may also feed other layers), then every other node nothing reads from (Inputs excluded)."""
        listed = [self._nodes[nid] for nid in dict.fromkeys(self.output_order)
                  if nid in self._nodes and self._nodes[nid].class_name != "InputLayer"]
        named = {n.id for n in listed}
        sinks = [n for n in self._nodes.values()
                 if n.class_name != "InputLayer" and not self._out[n.id] and n.id not in named]
        return listed + sinks

    def output_refs(self) -> list[tuple[Node, int]]:
        """The model's outputs as (node, output port), in order: port 0 unless ``output_ports`` says otherwise."""
        return [(node, port) for node in self.output_nodes() for port in self.output_ports.get(node.id, [0])]

    # --- shared layers -------------------------------------------------------------------

    def layer_owner(self, node_id: str) -> str:
        """The id of the node that owns ``node_id``'s layer: itself unless it is another call of a shared one."""
        owner = self.node(node_id).shared_with
        return owner if owner is not None and owner in self._nodes else node_id

    def shared_group(self, node_id: str) -> list[str]:
        """Every node that calls the same layer as ``node_id``, the owner first; just ``[node_id]`` if not shared."""
        owner = self.layer_owner(node_id)
        return [owner, *self._calls.get(owner, ())]

    def add_shared_call(self, node_id: str, position: Position | None = None, node_id_new: str | None = None) -> Node:
        """Call ``node_id``'s layer once more (same weights): a new node that shares its layer and config."""
        owner = self.node(self.layer_owner(node_id))
        if not shareable(owner):
            raise GraphError(f"{owner.name} cannot be shared: only layers are called several times")
        x, y = owner.position
        node = self.add_node(owner.class_name, self.unique_name(f"{owner.name}_call"), owner.config,
                             position if position is not None else (x + 40.0, y + 40.0), node_id_new)
        self.set_shared(node.id, owner.id)
        return node

    def set_shared(self, node_id: str, owner: str | None) -> None:
        """Make ``node_id`` another call of ``owner``'s layer (its config becomes the owner's), or its own layer."""
        node = self.node(node_id)
        if owner is not None:
            target = self.node(owner)
            if owner == node_id or target.shared_with is not None:
                raise GraphError(f"{node.name} can only share the layer of a node that owns one")
            if target.class_name != node.class_name:
                raise GraphError(f"{node.name} is a {node.class_name}; it cannot call {target.name}'s "
                                 f"{target.class_name}")
            if not shareable(target):
                raise GraphError(f"{target.name} cannot be shared: only layers are called several times")
            node.config = copy.deepcopy(target.config)
        if node.shared_with == owner:
            return
        self._link(node, owner)
        self._touch(node_id)
        self._bump(structure=True)
        self.node_changed.emit(node)
        self.changed.emit()

    def _link(self, node: Node, owner: str | None) -> None:
        if node.shared_with is not None:
            calls = self._calls.get(node.shared_with, [])
            if node.id in calls:
                calls.remove(node.id)
            if not calls:
                self._calls.pop(node.shared_with, None)
        node.shared_with = owner
        if owner is not None:
            self._calls.setdefault(owner, []).append(node.id)

    def unique_name(self, base: str, exclude: str | None = None) -> str:
        """Keras-style names: ``dense``, ``dense_1``, ``dense_2`` ..."""
        taken = {n.name for n in self._nodes.values() if n.id != exclude}
        if base not in taken:
            return base
        for i in itertools.count(1):
            candidate = f"{base}_{i}"
            if candidate not in taken:
                return candidate
        raise AssertionError("unreachable")

    def ports(self, node_id: str) -> tuple[PortSpec, ...]:
        spec = self.node(node_id).spec
        return spec.ports if spec else (PortSpec(),)

    # --- editing -------------------------------------------------------------------

    def new_id(self) -> str:
        while True:
            candidate = f"n{next(self._ids)}"
            if candidate not in self._nodes:
                return candidate

    def add_node(
        self,
        class_name: str,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        position: Position = (0.0, 0.0),
        node_id: str | None = None,
    ) -> Node:
        """Add a layer. Missing config keys get Keras' defaults; unknown classes are kept
        so validation can name them (loading a file refuses them earlier)."""
        spec = get_spec(class_name)
        full = spec.default_config() if spec else {}
        full.update(to_json_value(dict(config or {})))
        node_id = node_id if node_id is not None else self.new_id()
        if node_id in self._nodes:
            raise GraphError(f"node id {node_id!r} is already used")
        base = spec.name_prefix if spec else class_name.lower()
        node = Node(node_id, class_name, name if name is not None else self.unique_name(base), full, _pos(position))
        self._nodes[node_id] = node
        self._nx.add_node(node_id)
        self._in[node_id] = []
        self._out[node_id] = []
        self._bump(structure=True)
        self.node_added.emit(node)
        self.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        calls = list(self._calls.get(node_id, ()))
        if node.shared_with is not None:
            self._link(node, None)
        for edge in self.in_edges(node_id) + self.out_edges(node_id):
            self._remove_edge(edge)
        del self._nodes[node_id]
        self._nx.remove_node(node_id)
        del self._in[node_id], self._out[node_id]
        if node_id in self.output_order:
            self.output_order.remove(node_id)
        self.output_ports.pop(node_id, None)
        if calls:  # the next call owns the shared layer now
            self.set_shared(calls[0], None)
            for other in calls[1:]:
                self.set_shared(other, calls[0])
        self._bump(structure=True)
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def can_connect(self, source: str, target: str, target_port: str = "input") -> str | None:
        """Why the connection is not allowed, or None. The editor dims targets with this."""
        if source not in self._nodes or target not in self._nodes:
            return "both ends must be nodes in this model"
        if source == target:
            return "a layer cannot feed itself"
        port = next((p for p in self.ports(target) if p.name == target_port), None)
        if port is None:
            return f"{self.node(target).name} has no input port '{target_port}'"
        existing = self.port_edges(target, target_port)
        if not port.variadic and existing:
            return f"port '{target_port}' of {self.node(target).name} is already connected"
        if port.variadic and port.max_count is not None and len(existing) >= port.max_count:
            return f"{self.node(target).name} takes at most {port.max_count} inputs"
        if nx.has_path(self._nx, target, source):
            return "this connection would make a cycle"
        return None

    def connect(
        self,
        source: str,
        target: str,
        target_port: str = "input",
        slot: int | None = None,
        source_port: int = 0,
        check: bool = True,
    ) -> Edge:
        """Connect two nodes. With ``check=False`` (loading files) even invalid edges are
        kept, so validation can report them instead of silently losing them."""
        if check:
            reason = self.can_connect(source, target, target_port)
            if reason:
                raise GraphError(reason)
        else:
            self.node(source)
            self.node(target)
        if slot is None:
            slot = max((e.slot + 1 for e in self.port_edges(target, target_port)), default=0)
        edge = Edge(source, target, target_port, slot, source_port)
        if edge in self._edges:
            raise GraphError("this edge already exists")
        self._edges.add(edge)
        bisect.insort(self._in[target], edge)
        bisect.insort(self._out[source], edge)
        self._nx.add_edge(source, target, key=edge)
        self._touch(target)
        self._bump(structure=True)
        self.edge_added.emit(edge)
        self.changed.emit()
        return edge

    def disconnect(self, edge: Edge) -> None:
        if edge not in self._edges:
            raise GraphError("no such edge")
        self._remove_edge(edge)
        self._bump(structure=True)
        self.changed.emit()

    def _remove_edge(self, edge: Edge) -> None:
        self._edges.discard(edge)
        self._in[edge.target].remove(edge)
        self._out[edge.source].remove(edge)
        self._nx.remove_edge(edge.source, edge.target, key=edge)
        if edge.target in self._nodes:
            self._touch(edge.target)
        self.edge_removed.emit(edge)

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        """Set one parameter; every call of a shared layer changes with it (one layer, one config)."""
        self.node(node_id)
        for member in self.shared_group(node_id):
            node = self._nodes[member]
            node.config[key] = to_json_value(value)
            self._touch(member)
            self._bump()
            self.node_changed.emit(node)
        self.changed.emit()

    def set_config(self, node_id: str, config: Mapping[str, Any]) -> None:
        self.node(node_id)
        for member in self.shared_group(node_id):
            node = self._nodes[member]
            node.config = to_json_value(dict(config))
            self._touch(member)
            self._bump()
            self.node_changed.emit(node)
        self.changed.emit()

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        node.name = name
        self._touch(node_id)
        self._bump()
        self.node_changed.emit(node)
        self.changed.emit()

    def move(self, node_id: str, position: Position) -> None:
        node = self.node(node_id)
        node.position = _pos(position)
        self.revision += 1
        self.node_moved.emit(node)

    def clear(self) -> None:
        for node_id in list(reversed(self._nodes)):
            self.remove_node(node_id)
        self.output_order.clear()
        self.output_ports.clear()

    def _touch(self, node_id: str) -> None:
        self._nodes[node_id].revision = next(_REVISIONS)

    def _bump(self, structure: bool = False) -> None:
        self.revision += 1
        if structure:
            self.structure_revision += 1

    # --- whole-graph helpers -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Nodes and edges as plain data (the graph part of a project file)."""
        data = {
            "nodes": [n.to_dict() for n in self._nodes.values()],
            "edges": [e.to_dict() for e in self.edges()],
            "outputs": list(self.output_order),
        }
        return self._with_output_ports(data)

    def _with_output_ports(self, data: dict[str, Any]) -> dict[str, Any]:
        ports = {nid: list(p) for nid, p in self.output_ports.items() if nid in self._nodes}
        if ports:  # only then: files without state outputs stay as they were
            data["output_ports"] = ports
        return data

    def snapshot(self) -> dict[str, Any]:
        """:meth:`to_dict` with shared, read-only node dicts (see :meth:`Node.snapshot`)."""
        return self._with_output_ports({
            "nodes": [n.snapshot() for n in self._nodes.values()],
            "edges": [e.to_dict() for e in self.edges()],
            "outputs": list(self.output_order),
        })

    def node_order(self) -> list[str]:
        return list(self._nodes)

    def set_node_order(self, order: list[str]) -> None:
        """Reorder nodes (ids missing from ``order`` keep their place at the end). Order breaks
        ties in topological order and is the order files list nodes in, so undo restores it."""
        rank = {nid: i for i, nid in enumerate(order)}
        ordered = sorted(self._nodes, key=lambda nid: rank.get(nid, len(rank)))
        if ordered != list(self._nodes):
            self._nodes = {nid: self._nodes[nid] for nid in ordered}
            self._bump(structure=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        """Rebuild from :meth:`to_dict` output that was already checked (see project.py)."""
        graph = cls()
        for n in data.get("nodes", []):
            graph.add_node(n["class_name"], n["name"], n.get("config", {}), tuple(n.get("position", (0, 0))), n["id"])
        for e in data.get("edges", []):
            graph.connect(e["source"], e["target"], e.get("target_port", "input"), e.get("slot", 0),
                          e.get("source_port", 0), check=False)
        graph.output_order = [nid for nid in data.get("outputs", []) if nid in graph]
        graph.output_ports = {nid: list(ports) for nid, ports in data.get("output_ports", {}).items() if nid in graph}
        for n in data.get("nodes", []):
            owner = n.get("shared_with")
            if owner is not None and owner in graph and owner != n["id"]:
                graph._link(graph.node(n["id"]), owner)
        return graph

    def copy(self) -> Graph:
        """An independent snapshot (the training worker runs on one of these)."""
        return Graph.from_dict(self.to_dict())

    def iter_chain(self, start: str) -> Iterator[str]:
        """Node ids downstream of ``start``, itself included (what an edit can affect)."""
        yield start
        yield from nx.descendants(self._nx, start)


def shareable(node: Node) -> bool:
    """Whether several nodes may call this node's layer: a layer, not an Input, backbone or operation."""
    spec = node.spec
    return node.class_name != "InputLayer" and spec is not None and not spec.is_application \
        and not spec.is_operation


def _pos(position: Iterable[float]) -> Position:
    x, y = position
    return (float(x), float(y))
