"""Comparable structures of graphs and Keras models, for round-trip tests.

Configs are compared in the canonical form of :mod:`app.keras_bridge.normalize` (the form
the importer writes), with Keras' defaults filled in and the names of wrapped layers left
out: Keras renames those itself (``forward_lstm``), so they carry no information.
Positions are never part of a signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog import get_spec
from app.core.graph import Graph
from app.core.shapes import analyze
from app.keras_bridge.normalize import normalize_config


def canonical_config(class_name: str, config: Mapping[str, Any],
                     input_shapes: Sequence[Sequence[int | None]] | None = None) -> dict[str, Any]:
    """The config as the importer stores it, defaults filled in, wrapped-layer names dropped."""
    spec = get_spec(class_name)
    out = normalize_config(class_name, config, input_shapes)
    if spec is not None:
        out = normalize_config(class_name, {**spec.default_config(), **out}, input_shapes)
    for key, value in out.items():
        if isinstance(value, dict) and isinstance(value.get("config"), dict) and value.get("module") == "keras.layers":
            out[key] = {**value, "config": {k: v for k, v in value["config"].items() if k != "name"}}
    return out


def graph_signature(graph: Graph) -> dict[str, Any]:
    """Node names, classes and canonical configs; edges by names, ports and slots; input and
    output order."""
    analysis = analyze(graph)
    nodes: dict[str, Any] = {}
    for node in graph.nodes():
        shapes = []
        for edge in graph.ordered_in_edges(node.id):
            info = analysis.nodes.get(edge.source)
            known = info is not None and info.output_shapes is not None and edge.source_port < len(info.output_shapes)
            shapes.append(info.output_shapes[edge.source_port] if known else None)  # type: ignore[union-attr]
        usable = shapes if shapes and all(s is not None for s in shapes) else None
        nodes[node.name] = {"class_name": node.class_name,
                            "config": canonical_config(node.class_name, node.config, usable)}
    edges = sorted(
        (graph.node(e.source).name, e.source_port, graph.node(e.target).name, e.target_port, e.slot)
        for e in graph.edges()
    )
    return {
        "nodes": nodes,
        "edges": edges,
        "inputs": [n.name for n in graph.input_nodes()],
        "outputs": [n.name for n in graph.output_nodes()],
    }


def signature_diff(a: Mapping[str, Any], b: Mapping[str, Any], limit: int = 20) -> list[str]:
    """Readable differences between two signatures (empty when equal)."""
    out: list[str] = []
    for key in ("inputs", "outputs"):
        if a[key] != b[key]:
            out.append(f"{key}: {a[key]} != {b[key]}")
    only_a = sorted(set(a["nodes"]) - set(b["nodes"]))
    only_b = sorted(set(b["nodes"]) - set(a["nodes"]))
    if only_a or only_b:
        out.append(f"nodes only in first: {only_a[:10]}, only in second: {only_b[:10]}")
    for name in sorted(set(a["nodes"]) & set(b["nodes"])):
        na, nb = a["nodes"][name], b["nodes"][name]
        if na["class_name"] != nb["class_name"]:
            out.append(f"{name}: class {na['class_name']} != {nb['class_name']}")
            continue
        for key in sorted(set(na["config"]) | set(nb["config"])):
            va, vb = na["config"].get(key, "<missing>"), nb["config"].get(key, "<missing>")
            if va != vb:
                out.append(f"{name}.{key}: {va!r} != {vb!r}")
    if a["edges"] != b["edges"]:
        extra_a = sorted(set(a["edges"]) - set(b["edges"]))
        extra_b = sorted(set(b["edges"]) - set(a["edges"]))
        out.append(f"edges only in first: {extra_a[:5]}, only in second: {extra_b[:5]}")
    return out[:limit]


def _tensor_refs(value: Any) -> list[tuple[str, int]]:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            return [(history[0], history[2])]
        return [r for v in value.values() for r in _tensor_refs(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _tensor_refs(v)]
    return []


def _input_shapes(node: Mapping[str, Any]) -> list[list[int | None]] | None:
    shapes: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                shapes.append(list(value["config"]["shape"]))
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(node.get("args", []))
    walk({k: v for k, v in node.get("kwargs", {}).items() if k != "mask"})
    return shapes or None


def keras_layers(model_config: Mapping[str, Any], flatten: bool = True) -> list[dict[str, Any]]:
    """A Keras Functional ``get_config()`` as a list of layers (name, class, canonical config,
    inputs by producing layer), nested Functional models flattened into their layers.

    Inputs of a flattened nested model are followed through to the outer tensors, and its
    outputs are resolved to the inner layers, so a nested and a flattened model compare equal.
    Layers Keras adds by itself (ops computing masks) are left out.
    """
    rows: list[dict[str, Any]] = []
    _collect(model_config, {}, rows, flatten, top=True)
    return rows


def _collect(config: Mapping[str, Any], given: dict[str, tuple[str, int]], rows: list[dict[str, Any]],
             flatten: bool, top: bool) -> list[tuple[str, int]]:
    """Append the layers of one functional config; return its outputs as (layer, tensor) refs."""
    alias: dict[str, list[tuple[str, int]]] = {}
    inputs = config["input_layers"]
    input_names = [inputs[0]] if isinstance(inputs[0], str) else [leaf[0] for leaf in inputs]
    for layer in config["layers"]:
        name = layer["name"]
        if layer.get("module", "").startswith("keras.src.ops"):
            continue
        nodes = layer.get("inbound_nodes", [])
        refs = [_follow(r, alias) for r in _tensor_refs(nodes[0]["args"] if nodes else [])]
        kwarg_refs = [_follow(r, alias) for r in
                      _tensor_refs({k: v for k, v in (nodes[0]["kwargs"] if nodes else {}).items() if k != "mask"})]
        if layer["class_name"] == "InputLayer":
            if not top and name in input_names:
                alias[name] = [given[name]]
                continue
            if not top:
                continue
        if layer["class_name"] == "Functional" and flatten:
            inner = layer["config"]
            inner_inputs = inner["input_layers"]
            inner_names = [inner_inputs[0]] if isinstance(inner_inputs[0], str) else [leaf[0] for leaf in inner_inputs]
            mapping = dict(zip(inner_names, refs, strict=True))
            alias[name] = _collect(inner, mapping, rows, flatten, top=False)
            continue
        shapes = _input_shapes(nodes[0]) if nodes else None
        rows.append({
            "name": name,
            "class_name": layer["class_name"],
            "config": canonical_config(layer["class_name"], layer["config"], shapes),
            "inputs": refs + kwarg_refs,
        })
    outputs = config["output_layers"]
    leaves = [outputs] if isinstance(outputs[0], str) else outputs
    return [_follow((leaf[0], leaf[2]), alias) for leaf in leaves]


def _follow(ref: tuple[str, int], alias: Mapping[str, list[tuple[str, int]]]) -> tuple[str, int]:
    name, index = ref
    if name in alias:
        targets = alias[name]
        return targets[index] if len(targets) > 1 else targets[0]
    return ref
