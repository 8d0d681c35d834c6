"""Project files: a graph plus its name, description, training settings and dataset, as JSON.

Files are versioned (:data:`FORMAT_VERSION`); older versions are upgraded step by step
through :data:`MIGRATIONS` and newer ones are refused with a message saying so. Loading
checks structure and types strictly *before* the graph is built, so a damaged or hostile
file can only ever produce a :class:`ProjectError` naming the file and the JSON location.
What the editor can show and let the user repair (a bad parameter value, an unconnected
port, duplicate layer names) is *not* refused here: :mod:`app.core.shapes` reports it.
Saving validates with the same rules and writes atomically, so a save never leaves a
half-written file and never writes a file that loading would refuse.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from app.core.atomic import atomic_write_bytes
from app.core.blocks import BLOCK_KINDS, BlockTree
from app.core.catalog import get_spec
from app.core.catalog.spec import to_json_value
from app.core.graph import Graph, GraphError
from app.core.training_settings import DEFAULT_SETTINGS
from app.core.userfiles import FileTooLarge, mib, read_limited, sizes
from app.core.weights import ModelWeights

FORMAT_NAME = "layerforge-project"
FORMAT_VERSION = 2
"""The version this app writes. Bump it together with a new entry in :data:`MIGRATIONS`.
Version 2 added ``"blocks"`` (groups and nested models, :mod:`app.core.blocks`)."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _add_blocks(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: files before blocks existed have none."""
    data.setdefault("blocks", [])
    return data


MIGRATIONS: dict[int, Migration] = {1: _add_blocks}
"""``MIGRATIONS[n]`` upgrades the raw dict of a version-``n`` file to version ``n + 1``.

It receives a deep copy and returns the upgraded dict; the loader sets ``"version"``.
"""

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Larger files are refused (50 MiB): no real model is that big, and parsing one would stall the GUI.
The one limit for both directions: loading refuses larger files and saving refuses to write them."""

MAX_DEPTH = 64
"""Deepest nesting of JSON containers accepted (Keras configs need about ten levels)."""

DEFAULT_TRAINING: dict[str, Any] = DEFAULT_SETTINGS
"""Settings a new project starts with; keys missing from a file take these values
(the list and its meaning live in :mod:`app.core.training_settings`)."""

JsonPath = str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_output_list(value: Any) -> bool:
    """A nested model's outputs: ``[[node id, output index], ...]``."""
    return isinstance(value, list) and all(
        isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], int)
        and not isinstance(v[1], bool) and v[1] >= 0 for v in value)


TypeRule = tuple[Callable[[Any], bool], str]

_TEXT: TypeRule = (lambda v: isinstance(v, str), "text")
_NUMBER: TypeRule = (_is_number, "a number")
_WHOLE: TypeRule = (_is_int, "a whole number")
_BOOL: TypeRule = (lambda v: isinstance(v, bool), "true or false")

TRAINING_TYPES: dict[str, TypeRule] = {
    key: (_BOOL if isinstance(default, bool) else _WHOLE if _is_int(default) else _NUMBER
          if isinstance(default, float) else (_is_text_list, "a list of texts") if isinstance(default, list) else _TEXT)
    for key, default in DEFAULT_SETTINGS.items()
}
"""Types of the known training settings. Other keys may hold any JSON value; ranges
(a learning rate of 0, ...) are for the training panel to report, not for loading to refuse."""

DATASET_TYPES: dict[str, TypeRule] = {
    "name": (lambda v: isinstance(v, str), "text"),
    "path": (lambda v: isinstance(v, str), "text"),
    "target": (lambda v: v is None or isinstance(v, str), "text or null"),
}
"""Types of the known dataset keys; the reference is otherwise an open JSON object."""


def default_training() -> dict[str, Any]:
    """A fresh copy of :data:`DEFAULT_TRAINING` (callers may mutate it)."""
    return copy.deepcopy(DEFAULT_TRAINING)


class ProjectError(Exception):
    """A project file that cannot be read or written, with the file and JSON location."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None,
                 location: JsonPath | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.location = location or None

    def __str__(self) -> str:
        where = [part for part in (self.path, f"at {self.location}" if self.location else None) if part]
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(eq=False)
class Project:
    """Everything one project file holds. ``path`` is where it was loaded from or saved to."""

    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    description: str = ""
    training: dict[str, Any] = field(default_factory=default_training)
    dataset: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Finished training runs, oldest first (see :mod:`app.core.run_history`)."""
    path: Path | None = None
    weights: ModelWeights = field(default_factory=ModelWeights)
    """The arrays the model has (empty: initial weights); read and written beside the project
    file by :mod:`app.keras_bridge.weights_io`."""
    blocks: BlockTree = field(default_factory=BlockTree)
    """Groups and nested models over the graph's nodes (see :mod:`app.core.blocks`)."""
    weights_meta: dict[str, Any] | None = None
    """The file's ``"weights"`` entry: the sidecar's name, its token, where the weights came
    from and each layer's fingerprint and shapes (see :func:`weights_entry`)."""

    def __post_init__(self) -> None:
        # Settings the caller leaves out take the defaults, so every project has them all.
        self.training = {**default_training(), **self.training}


# --- JSON reading: sentinels keep what json would silently accept until we can locate it ----

class _NonFinite:
    """Stands for NaN/Infinity (or an overflowing literal such as 1e999) until validation
    reports it at its JSON location; json.loads would otherwise accept it silently."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


class _DuplicateKeys(dict[str, Any]):
    """An object in which a key appeared twice (json.loads would keep only the last)."""

    def __init__(self, pairs: list[tuple[str, Any]], duplicates: list[str]) -> None:
        super().__init__(pairs)
        self.duplicates = duplicates


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    return _DuplicateKeys(pairs, duplicates) if duplicates else dict(pairs)


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _parse_json(text: str, source: str | os.PathLike[str] | None) -> Any:
    if not text.strip():
        raise ProjectError("the file is empty", source)
    try:
        return json.loads(text, parse_constant=_NonFinite, parse_float=_parse_float, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as err:
        raise ProjectError(
            f"the file is truncated or not valid JSON at line {err.lineno} column {err.colno} ({err.msg})", source
        ) from None
    except RecursionError:
        raise ProjectError(f"the file nests lists or objects too deeply (the limit is {MAX_DEPTH} levels)",
                           source) from None
    except ValueError as err:  # e.g. an integer literal with more digits than Python converts
        raise ProjectError(f"the file holds a value that cannot be read: {err}", source) from None


# --- validation ---------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key_path(parent: JsonPath, key: str) -> JsonPath:
    if _IDENT.match(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def _describe(value: Any) -> str:
    """A value as a student would call it, for 'must be X (got Y)' messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _NonFinite):
        return f"the non-finite number {value.token}"
    if isinstance(value, int) and value.bit_length() > 128:
        return "a very large whole number"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


class _Checker:
    """Strict structural validation of one project document; raises on the first problem."""

    def __init__(self, source: str | os.PathLike[str] | None) -> None:
        self.source = source

    def fail(self, location: JsonPath | None, message: str) -> ProjectError:
        return ProjectError(message, self.source, location)

    # plain JSON anywhere in the document
    def plain(self, value: Any, location: JsonPath) -> None:
        """Only JSON data: objects with text keys, lists, text, finite numbers, booleans, null."""
        stack: list[tuple[Any, JsonPath, int]] = [(value, location, 0)]
        while stack:
            item, where, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.fail(where, f"lists and objects are nested more than {MAX_DEPTH} levels deep")
            if item is None or isinstance(item, bool):
                continue
            if isinstance(item, _NonFinite):
                raise self.fail(where, f"{item.token} is not allowed here: numbers must be finite")
            if isinstance(item, int):
                continue
            if isinstance(item, float):
                if not math.isfinite(item):
                    raise self.fail(where, f"{item!r} is not allowed here: numbers must be finite")
                continue
            if isinstance(item, str):
                self.text(item, where)
                continue
            if isinstance(item, dict):
                if isinstance(item, _DuplicateKeys):
                    key = item.duplicates[0]
                    raise self.fail(where, f"the key {json.dumps(key, ensure_ascii=False)} appears more than once "
                                    "in this object")
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise self.fail(where, f"object keys must be text (got {_describe(key)})")
                    self.text(key, where)
                    stack.append((child, _key_path(where, key), depth + 1))
                continue
            if isinstance(item, list):
                stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
                continue
            raise self.fail(where, f"{_describe(item)} is not plain JSON data (only objects, lists, text, "
                            "numbers, true/false and null are allowed)")

    def text(self, value: str, location: JsonPath) -> None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(location, "the text contains characters that are not valid Unicode") from None

    # typed fields
    def obj(self, value: Any, location: JsonPath, allowed: Mapping[str, bool], what: str) -> dict[str, Any]:
        """An object with only ``allowed`` keys (``True`` = required)."""
        if not isinstance(value, dict):
            raise self.fail(location, f"{what} must be a JSON object (got {_describe(value)})")
        for key in value:
            if key not in allowed:
                known = ", ".join(repr(k) for k in allowed)
                raise self.fail(_key_path(location, key), f"{what} has an unexpected key {key!r} (expected {known})")
        for key, required in allowed.items():
            if required and key not in value:
                raise self.fail(location, f"{what} is missing the required key {key!r}")
        return value

    def typed(self, value: Any, location: JsonPath, ok: Callable[[Any], bool], expected: str) -> Any:
        if not ok(value):
            raise self.fail(location, f"must be {expected} (got {_describe(value)})")
        return value

    def text_field(self, value: Any, location: JsonPath, non_empty: bool = False) -> str:
        if not isinstance(value, str) or (non_empty and not value):
            expected = "non-empty text" if non_empty else "text"
            raise self.fail(location, f"must be {expected} (got {_describe(value)})")
        return value

    def count(self, value: Any, location: JsonPath) -> int:
        return self.typed(value, location, lambda v: _is_int(v) and v >= 0, "a whole number ≥ 0")

    def position(self, value: Any, location: JsonPath) -> None:
        def finite(v: Any) -> bool:
            try:
                return _is_number(v) and math.isfinite(float(v))
            except OverflowError:
                return False

        if not (isinstance(value, list) and len(value) == 2 and all(finite(v) for v in value)):
            raise self.fail(location, f"a position must be two finite numbers [x, y] (got {_describe(value)})")

    def rules(self, value: dict[str, Any], location: JsonPath, rules: Mapping[str, TypeRule]) -> None:
        for key, (ok, expected) in rules.items():
            if key in value:
                self.typed(value[key], _key_path(location, key), ok, expected)

    # the document
    def document(self, data: dict[str, Any]) -> None:
        """A current-version document whose values :meth:`plain` already accepted."""
        self.obj(data, "", {"format": True, "version": True, "name": False, "description": False,
                            "graph": True, "training": False, "dataset": False, "runs": False,
                            "weights": False, "blocks": False},
                 "the project")
        if "name" in data:
            self.text_field(data["name"], "name")
        if "description" in data:
            self.text_field(data["description"], "description")
        if "training" in data:
            self.typed(data["training"], "training", lambda v: isinstance(v, dict), "an object of settings")
            self.rules(data["training"], "training", TRAINING_TYPES)
        if data.get("dataset") is not None:
            self.typed(data["dataset"], "dataset", lambda v: isinstance(v, dict), "an object or null")
            self.rules(data["dataset"], "dataset", DATASET_TYPES)
        if "runs" in data:
            runs = self.typed(data["runs"], "runs", lambda v: isinstance(v, list), "a list of runs")
            for i, run in enumerate(runs):
                self.typed(run, f"runs[{i}]", lambda v: isinstance(v, dict), "an object")
        node_ids = self.graph(data["graph"], "graph")
        if "blocks" in data:
            self.blocks(data["blocks"], "blocks", node_ids)
        if data.get("weights") is not None:
            self.weights(data["weights"], "weights")

    def weights(self, entry: Any, loc: JsonPath) -> None:
        """The weights entry: a plain file name beside the project (never a path), a token, a
        source and per-layer fingerprints; the arrays themselves are in that file."""
        self.obj(entry, loc, {"file": True, "token": True, "source": False, "layers": False}, "'weights'")
        name = self.text_field(entry["file"], f"{loc}.file", non_empty=True)
        if "/" in name or "\\" in name or name in (".", "..") or not name.endswith(".h5"):
            raise self.fail(f"{loc}.file", f"the weights file must be a .h5 file name beside the project, "
                            f"not a path (got {_describe(name)})")
        self.text_field(entry["token"], f"{loc}.token")
        if "source" in entry:
            self.typed(entry["source"], f"{loc}.source", lambda v: isinstance(v, dict), "an object")
        layers = self.typed(entry.get("layers", {}), f"{loc}.layers", lambda v: isinstance(v, dict),
                            "an object of layers")
        for node_id, layer in layers.items():
            here = _key_path(f"{loc}.layers", node_id)
            self.obj(layer, here, {"fingerprint": True, "shapes": False, "name": False}, "a layer's weights")
            self.text_field(layer["fingerprint"], f"{here}.fingerprint")

    def blocks(self, blocks: Any, loc: JsonPath, node_ids: Mapping[str, str]) -> None:
        """The blocks: unique ids, a known kind, a parent listed earlier, members that are
        nodes of the graph and in one block only (nesting goes through ``parent``)."""
        items = self.typed(blocks, loc, lambda v: isinstance(v, list), "a list of blocks")
        seen: dict[str, JsonPath] = {}
        owner: dict[str, JsonPath] = {}
        for i, block in enumerate(items):
            here = f"{loc}[{i}]"
            self.obj(block, here, {"id": True, "name": True, "kind": True, "parent": False, "members": False,
                                   "collapsed": False, "trainable": False, "training": False,
                                   "input_names": False, "sequential": False, "outputs": False}, "a block")
            block_id = self.text_field(block["id"], f"{here}.id", non_empty=True)
            if block_id in seen:
                raise self.fail(f"{here}.id", f"block id {block_id!r} is already used by {seen[block_id]}; "
                                "ids must be unique")
            name = self.text_field(block["name"], f"{here}.name", non_empty=True)
            kind = self.text_field(block["kind"], f"{here}.kind")
            if kind not in BLOCK_KINDS:
                raise self.fail(f"{here}.kind", f"block {name!r} has the kind {_describe(kind)}; expected "
                                f"{' or '.join(repr(k) for k in BLOCK_KINDS)}")
            parent = block.get("parent")
            if parent is not None:
                self.text_field(parent, f"{here}.parent")
                if parent not in seen:
                    raise self.fail(f"{here}.parent", f"block {name!r} names the parent block {parent!r}, which "
                                    "is not listed before it")
            members = self.typed(block.get("members", []), f"{here}.members", _is_text_list, "a list of node ids")
            for j, node_id in enumerate(members):
                if node_id not in node_ids:
                    raise self.fail(f"{here}.members[{j}]", f"block {name!r} lists node {node_id!r}, which is "
                                    "not in the graph")
                if node_id in owner:
                    raise self.fail(f"{here}.members[{j}]", f"node {node_id!r} is already in the block at "
                                    f"{owner[node_id]}; a node belongs to one block (blocks nest through "
                                    "'parent')")
                owner[node_id] = here
            for key in ("collapsed", "trainable", "sequential"):
                if key in block:
                    self.typed(block[key], f"{here}.{key}", *_BOOL)
            if "input_names" in block:
                self.typed(block["input_names"], f"{here}.input_names", _is_text_list, "a list of names")
            if "outputs" in block:
                self.typed(block["outputs"], f"{here}.outputs", _is_output_list, "a list of [node id, output] pairs")
            if block.get("training") is not None:
                self.typed(block["training"], f"{here}.training", lambda v: isinstance(v, bool), "true, false or null")
            seen[block_id] = here

    def graph(self, graph: Any, loc: JsonPath) -> dict[str, str]:
        self.obj(graph, loc, {"nodes": True, "edges": False, "outputs": False, "output_ports": False}, "'graph'")
        nodes = self.typed(graph["nodes"], f"{loc}.nodes", lambda v: isinstance(v, list), "a list of layers")
        names: dict[str, str] = {}
        where: dict[str, JsonPath] = {}
        for i, node in enumerate(nodes):
            node_id, name = self.node(node, f"{loc}.nodes[{i}]")
            if node_id in where:
                raise self.fail(f"{loc}.nodes[{i}].id",
                                f"node id {node_id!r} is already used by {where[node_id]}; ids must be unique")
            where[node_id] = f"{loc}.nodes[{i}]"
            names[node_id] = name
        edges = self.typed(graph.get("edges", []), f"{loc}.edges", lambda v: isinstance(v, list),
                           "a list of connections")
        seen: dict[tuple[Any, ...], int] = {}
        structure = nx.DiGraph()
        structure.add_nodes_from(names)
        for i, edge in enumerate(edges):
            key = self.edge(edge, f"{loc}.edges[{i}]", names)
            if key in seen:
                raise self.fail(f"{loc}.edges[{i}]", f"this connection repeats {loc}.edges[{seen[key]}]")
            seen[key] = i
            structure.add_edge(key[0], key[1], index=i)
        self.acyclic(structure, names, loc)
        outputs = self.typed(graph.get("outputs", []), f"{loc}.outputs", lambda v: isinstance(v, list),
                             "a list of node ids")
        listed: set[str] = set()
        for i, node_id in enumerate(outputs):
            here = f"{loc}.outputs[{i}]"
            self.text_field(node_id, here)
            if node_id not in names:
                raise self.fail(here, f"the outputs name node {node_id!r}, which is not in the file")
            if node_id in listed:
                raise self.fail(here, f"node {node_id!r} is listed twice in the outputs")
            listed.add(node_id)
        self.calls_and_ports(graph, nodes, names, loc)
        return names

    def calls_and_ports(self, graph: dict[str, Any], nodes: list[Any], names: Mapping[str, str], loc: JsonPath) -> None:
        """Shared-layer links name another node of the file; state outputs are node ids -> output numbers."""
        for i, node in enumerate(nodes):
            owner = node.get("shared_with")
            if owner is not None and (self.text_field(owner, f"{loc}.nodes[{i}].shared_with") not in names
                                      or owner == node["id"]):
                raise self.fail(f"{loc}.nodes[{i}].shared_with", f"shares the layer of {owner!r}, another node "
                                "of the file is needed")
        ports = self.typed(graph.get("output_ports", {}), f"{loc}.output_ports", lambda v: isinstance(v, dict),
                           "an object of node ids")
        for node_id, numbers in ports.items():
            here = _key_path(f"{loc}.output_ports", node_id)
            if node_id not in names:
                raise self.fail(here, f"names node {node_id!r}, which is not in the file")
            for j, n in enumerate(self.typed(numbers, here, lambda v: isinstance(v, list) and bool(v), "a list")):
                self.count(n, f"{here}[{j}]")

    def node(self, node: Any, loc: JsonPath) -> tuple[str, str]:
        self.obj(node, loc, {"id": True, "class_name": True, "name": True, "config": False, "position": False,
                             "shared_with": False}, "a node")
        node_id = self.text_field(node["id"], f"{loc}.id", non_empty=True)
        name = self.text_field(node["name"], f"{loc}.name")
        class_name = self.text_field(node["class_name"], f"{loc}.class_name")
        if get_spec(class_name) is None:
            raise self.fail(f"{loc}.class_name", f"node {name!r} uses layer type {class_name!r}, which Layerforge "
                            "does not support")
        if "config" in node:
            self.typed(node["config"], f"{loc}.config", lambda v: isinstance(v, dict), "an object of parameters")
        if "position" in node:
            self.position(node["position"], f"{loc}.position")
        return node_id, name

    def edge(self, edge: Any, loc: JsonPath, names: Mapping[str, str]) -> tuple[Any, ...]:
        self.obj(edge, loc, {"source": True, "source_port": False, "target": True, "target_port": False,
                             "slot": False}, "a connection")
        for end in ("source", "target"):
            node_id = self.text_field(edge[end], f"{loc}.{end}")
            if node_id not in names:
                raise self.fail(f"{loc}.{end}", f"the connection's {end} is node {node_id!r}, which is not in the file")
        source_port = self.count(edge.get("source_port", 0), f"{loc}.source_port")
        target_port = self.text_field(edge.get("target_port", "input"), f"{loc}.target_port")
        slot = self.count(edge.get("slot", 0), f"{loc}.slot")
        return (edge["source"], edge["target"], target_port, slot, source_port)

    def acyclic(self, structure: nx.DiGraph, names: Mapping[str, str], loc: JsonPath) -> None:
        try:
            cycle = nx.find_cycle(structure)
        except nx.NetworkXNoCycle:
            return
        loop = [names[u] for u, _v in cycle] + [names[cycle[0][0]]]
        index = structure.edges[cycle[-1]]["index"]
        shown = " -> ".join(repr(n) for n in loop)
        raise self.fail(f"{loc}.edges[{index}]", f"the connections form a loop ({shown}); layers must flow one way, "
                        "from inputs to outputs")


# --- versions -----------------------------------------------------------------------------

def _upgrade(data: Any, checker: _Checker) -> dict[str, Any]:
    """Check format and version, then run the migrations up to :data:`FORMAT_VERSION`."""
    if not isinstance(data, dict):
        raise checker.fail(None, f"this is not a Layerforge project: the file holds {_describe(data)}, "
                           "not a JSON object")
    if data.get("format") != FORMAT_NAME:
        if "format" not in data:
            raise checker.fail(None, f"this is not a Layerforge project (no \"format\": \"{FORMAT_NAME}\")")
        raise checker.fail("format", f"this is not a Layerforge project: the format is {_describe(data['format'])}, "
                           f"expected \"{FORMAT_NAME}\"")
    if "version" not in data:
        raise checker.fail(None, "the file does not say which project format version it uses (no \"version\")")
    version = checker.typed(data["version"], "version", lambda v: _is_int(v) and v >= 0, "a whole number ≥ 0")
    if version > FORMAT_VERSION:
        raise checker.fail("version", f"the file uses project format version {version}, but this Layerforge "
                           f"supports version {FORMAT_VERSION} at most; open it with a newer Layerforge")
    checker.plain(data, "")
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise checker.fail("version", f"the file uses project format version {version}, which is too old: "
                               f"this Layerforge cannot upgrade it to version {FORMAT_VERSION}")
        try:
            upgraded = step(copy.deepcopy(dict(data)))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise checker.fail(None, f"could not upgrade the file from version {version}: {err!r}") from None
        if not isinstance(upgraded, dict):
            raise checker.fail(None, f"upgrading the file from version {version} did not give a JSON object")
        version += 1
        data = {**upgraded, "version": version}
        checker.plain(data, "")
    return data


# --- public API -----------------------------------------------------------------------------

def project_to_dict(project: Project) -> dict[str, Any]:
    """The file's content as plain data (not validated: :func:`dumps` and saving do that)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": project.name,
        "description": project.description,
        "graph": project.graph.to_dict(),
        "training": to_json_value(project.training),
        "dataset": to_json_value(project.dataset),
        "runs": to_json_value(project.runs),
        "blocks": project.blocks.to_list(),
        **({"weights": to_json_value(project.weights_meta)} if project.weights_meta else {}),
    }


def project_from_dict(data: Any, source: str | os.PathLike[str] | None = None) -> Project:
    """Validate ``data`` (a parsed file, any version we can upgrade) and build the project.

    ``source`` names the file in error messages. Raises :class:`ProjectError` for anything
    the editor could not show; see the module docstring for what is left to validation.
    """
    checker = _Checker(source)
    data = _upgrade(data, checker)
    checker.document(data)
    graph_data = data["graph"]
    try:
        graph = Graph.from_dict(graph_data)
    except (GraphError, KeyError, TypeError, ValueError) as err:
        raise checker.fail("graph", f"the graph could not be rebuilt: {err}") from None
    return Project(
        graph=graph,
        name=data.get("name", "Untitled"),
        description=data.get("description", ""),
        training=copy.deepcopy(data.get("training", {})),
        dataset=copy.deepcopy(data.get("dataset")),
        runs=copy.deepcopy(data.get("runs", [])),
        blocks=BlockTree.from_list(copy.deepcopy(data.get("blocks", []))),
        weights_meta=copy.deepcopy(data.get("weights")),
    )


def weights_entry(project: Project, file_name: str, token: str) -> dict[str, Any]:
    """The project file's record of ``project.weights``: the sidecar file, the token that ties
    the two files together, the source, and per layer its fingerprint and array shapes, so
    a reader can check what fits without opening the weights."""
    graph = project.graph
    return {
        "file": file_name,
        "token": token,
        "source": project.weights.source.to_json(),
        "layers": {nid: {"fingerprint": lw.fingerprint,
                         "name": graph.node(nid).name if nid in graph else nid,
                         "shapes": {key: list(shape) for key, shape in lw.shapes.items()}}
                   for nid, lw in project.weights.layers.items()},
    }


def dumps(project: Project, source: str | os.PathLike[str] | None = None) -> str:
    """The file text: validated, pretty, keys sorted, so saved files diff cleanly."""
    data = project_to_dict(project)
    checker = _Checker(source)
    checker.plain(data, "")
    checker.document(data)
    try:
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError as err:  # e.g. an integer with more digits than Python writes out
        raise ProjectError(f"the project cannot be written as JSON: {err}", source) from None


def loads(text: str, source: str | os.PathLike[str] | None = None) -> Project:
    """Parse and validate file text (the inverse of :func:`dumps`)."""
    return project_from_dict(_parse_json(text, source), source)


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file; every failure is a :class:`ProjectError` naming the file.

    Only a regular file is opened (a named pipe would block forever) and never more than
    :data:`MAX_FILE_BYTES` is read, the same limit :func:`save_project` enforces."""
    try:
        raw = read_limited(path, MAX_FILE_BYTES, "project files")
    except FileTooLarge as err:
        raise ProjectError(err.message, path) from None
    except OSError as err:
        raise ProjectError(f"cannot read the file: {err.strerror or err}", path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ProjectError(f"the file is truncated or not valid UTF-8 text at line {line} column {column}",
                           path) from None
    project = loads(text, path)
    project.path = Path(path)
    return project


def _too_large_to_save(project: Project, size: int) -> str:
    """Why a save is refused: the size against the one limit loading also uses, and the biggest part."""
    parts = {"the description": len(project.description.encode("utf-8")),
             "the run history": len(json.dumps(to_json_value(project.runs), default=str).encode("utf-8")),
             "the graph": len(json.dumps(project.graph.to_dict(), default=str).encode("utf-8")),
             "the dataset reference": len(json.dumps(to_json_value(project.dataset), default=str).encode("utf-8"))}
    biggest = max(parts, key=lambda k: parts[k])
    shown, limit = sizes(size, MAX_FILE_BYTES)
    return (f"not saved: the project would be a {shown} file, but project files are limited to {limit} (a larger "
            f"file could not be opened again); {biggest} alone takes {mib(parts[biggest])}: shorten it and save again")


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write ``project`` to ``path`` atomically and remember the path on the project.

    The text goes to a temporary file in the same folder, is flushed to disk, then
    replaces the target in one step: an interrupted save leaves the previous file as it was.
    """
    payload = dumps(project, path).encode("utf-8")
    if len(payload) > MAX_FILE_BYTES:
        raise ProjectError(_too_large_to_save(project, len(payload)), path)
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        raise ProjectError(f"cannot write in the folder {os.fspath(folder)!r}: it does not exist", path)
    try:
        atomic_write_bytes(path, payload)
    except OSError as err:
        raise ProjectError(f"cannot save the file: {err.strerror or err}", path) from None
    project.path = Path(path)


__all__ = [
    "DATASET_TYPES",
    "DEFAULT_TRAINING",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MIGRATIONS",
    "TRAINING_TYPES",
    "Project",
    "ProjectError",
    "default_training",
    "dumps",
    "load_project",
    "loads",
    "project_from_dict",
    "project_to_dict",
    "save_project",
    "weights_entry",
]
