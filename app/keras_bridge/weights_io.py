"""Reading and writing weights in Keras' own HDF5 layout, and moving them in and out of models.

Keras (3.x) saves a model's variables as an HDF5 tree: one group per layer whose ``vars``
subgroup holds the arrays ``0``, ``1``, ... (in the order ``save_own_variables`` writes them)
and carries the layer's name as the attribute ``name``; nested models add a ``layers``
level. Reading here walks that tree with :mod:`h5py` only, as data: no pickle, no Keras
config, and links, external or virtual datasets and non-numeric arrays are refused, so a
hostile file can make nothing else be read or run.

The project's sidecar (``NAME.weights.h5`` beside ``NAME.json``) uses the same per-layer
layout (``layers/<layer name>/vars/<i>``, ``name`` on ``vars``), holding only the layers
whose weights are kept, plus two attributes on the root: ``layerforge_token`` (matching the
project file's ``weights.token``, so a JSON and a sidecar from different saves are never
mixed) and ``layerforge_version``. Moving arrays into a built model goes through Keras' own
``save_weights``/``load_weights``, so Keras decides the variable order.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.atomic import atomic_write
from app.core.graph import Graph
from app.core.project import Project, ProjectError, save_project, weights_entry
from app.core.shapes import Analysis, analyze
from app.core.weights import (
    LayerWeights,
    ModelWeights,
    WeightsSource,
    fingerprints,
    kept_backbones,
    with_fingerprints,
)

SIDECAR_SUFFIX = ".weights.h5"
MAX_WEIGHTS_BYTES = 8 * 1024**3
"""Weights larger than this are refused (far above any model Layerforge trains)."""
ARCHIVE_WEIGHTS = "model.weights.h5"

Arrays = dict[str, dict[str, np.ndarray]]
"""Layer name (or node id) -> path inside the layer -> array."""


class WeightsError(ValueError):
    """A weights file that cannot be read or written; the message names the file."""


def sidecar_path(project_path: str | os.PathLike[str]) -> Path:
    """``models/mlp.json`` -> ``models/mlp.weights.h5``."""
    path = Path(project_path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


# --- safe HDF5 reading ------------------------------------------------------------------------

def _checked_items(group: Any, where: str) -> Iterable[tuple[str, Any]]:
    import h5py

    for key in group:
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise WeightsError(f"{where}/{key} is a link to elsewhere ({type(link).__name__}); weights files "
                               "with links are refused")
        yield key, group[key]


def _dataset_array(dataset: Any, where: str, budget: list[int]) -> np.ndarray:
    if dataset.is_virtual or dataset.external:
        raise WeightsError(f"{where} reads its data from another file; such weights files are refused")
    if dataset.dtype.kind not in "fiub":
        raise WeightsError(f"{where} holds {dataset.dtype} data, not numbers")
    budget[0] -= int(dataset.size) * dataset.dtype.itemsize
    if budget[0] < 0:
        raise WeightsError(f"the weights are larger than {MAX_WEIGHTS_BYTES // 1024**3} GiB")
    return np.asarray(dataset[()])


def _layer_arrays(group: Any, where: str, budget: list[int]) -> dict[str, np.ndarray]:
    import h5py

    found: dict[str, np.ndarray] = {}
    stack: list[tuple[Any, str]] = [(group, "")]
    while stack:
        current, prefix = stack.pop()
        for key, item in _checked_items(current, where + "/" + prefix):
            path = f"{prefix}{key}"
            if isinstance(item, h5py.Dataset):
                found[path] = _dataset_array(item, f"{where}/{path}", budget)
            elif isinstance(item, h5py.Group):
                stack.append((item, path + "/"))
    return dict(sorted(found.items(), key=lambda kv: _path_key(kv[0])))


def _path_key(path: str) -> list[Any]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.split("/")]


def _vars_name(group: Any) -> str | None:
    import h5py

    link = group.get("vars", getlink=True)
    if not isinstance(link, h5py.HardLink) or not isinstance(group["vars"], h5py.Group):
        return None
    name = group["vars"].attrs.get("name")
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return name if isinstance(name, str) else None


def read_layer_tree(h5: Any, names: Iterable[str] | None = None, where: str = "") -> Arrays:
    """Every layer group in a Keras weights tree, by the layer name on its ``vars``: name -> arrays.

    With ``names``, a group named there is taken whole (a backbone node keeps its whole
    sub-model) and others are searched for nested layers; without, only groups that hold
    arrays of their own (``vars/i``) are layers. The optimizer's state is never read."""
    import h5py

    wanted = set(names) if names is not None else None
    budget = [MAX_WEIGHTS_BYTES]
    out: Arrays = {}
    stack: list[tuple[Any, str, int]] = [(h5, "", 0)]
    while stack:
        group, path, depth = stack.pop()
        if depth > 64:
            raise WeightsError(f"{where}: the layers nest more than 64 levels deep")
        name = _vars_name(group) if depth > 0 else None
        if name is not None and (name in wanted if wanted is not None else _own_arrays(group)):
            if name in out:
                raise WeightsError(f"{where}: two layers are named {name!r}")
            out[name] = _layer_arrays(group, f"{where}:{path}", budget)
            continue
        for key, item in _checked_items(group, f"{where}:{path}"):
            if key == "vars" or (depth == 0 and key == "optimizer") or not isinstance(item, h5py.Group):
                continue
            stack.append((item, f"{path}/{key}", depth + 1))
    return out


def _own_arrays(group: Any) -> bool:
    return len(group["vars"]) > 0


def read_weights_file(path: str | os.PathLike[str], names: Iterable[str] | None = None) -> Arrays:
    """Arrays per layer name from a Keras ``.weights.h5`` file or a ``.keras`` archive's weights."""
    import h5py

    shown = os.fspath(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo(ARCHIVE_WEIGHTS)
                except KeyError:
                    raise WeightsError(f"{shown}: the archive holds no {ARCHIVE_WEIGHTS}") from None
                if info.file_size > MAX_WEIGHTS_BYTES:
                    raise WeightsError(f"{shown}: {ARCHIVE_WEIGHTS} is larger than any model Layerforge handles")
                data = io.BytesIO(archive.read(info))
            with h5py.File(data, "r") as h5:
                return read_layer_tree(h5, names, shown)
        with h5py.File(path, "r") as h5:
            return read_layer_tree(h5, names, shown)
    except WeightsError:
        raise
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, RuntimeError) as err:
        raise WeightsError(f"{shown}: the weights cannot be read ({err})") from None


# --- the project's sidecar --------------------------------------------------------------------

def write_sidecar(path: str | os.PathLike[str], weights: ModelWeights, graph: Graph, token: str) -> Path:
    """Write ``weights`` atomically in the per-layer Keras layout (see the module docstring)."""
    import h5py

    target = Path(path)

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["layerforge_token"] = token
            h5.attrs["layerforge_version"] = 1
            layers = h5.create_group("layers")
            for node_id, layer in weights.layers.items():
                name = graph.node(node_id).name if node_id in graph else node_id
                group = layers.create_group(name.replace("/", "_") or node_id)
                group.attrs["node_id"] = node_id
                for key, array in layer.arrays.items():
                    group.create_dataset(key, data=array)
                vars_group = group.require_group("vars")
                vars_group.attrs["name"] = name

    try:
        atomic_write(target, write, SIDECAR_SUFFIX)
    except OSError as err:
        raise WeightsError(f"{target}: the weights could not be written ({err.strerror or err})") from None
    return target


def save_project_with_weights(project: Project, path: str | os.PathLike[str],
                              reuse: tuple[Path, str] | None = None) -> str | None:
    """Save the project and its weights; returns the sidecar token (None: no weights kept).

    The sidecar is written first (atomically), then the JSON naming its token (atomically):
    a crash between the two leaves the old JSON, which sees a different token and ignores
    the newer sidecar with a note rather than mixing the two. ``reuse`` = (sidecar, token)
    of the last save skips rewriting unchanged weights (a ResNet's 100 MB on every Ctrl+S).
    Raises ProjectError naming the file."""
    target = Path(path)
    weights = project.weights
    if not weights:
        project.weights_meta = None
        save_project(project, target)
        _remove_own_sidecar(sidecar_path(target))
        return None
    sidecar = sidecar_path(target)
    if reuse is not None and reuse[0] == sidecar and sidecar.is_file() and _token_of(sidecar) == reuse[1]:
        token = reuse[1]
    else:
        token = uuid.uuid4().hex
        try:
            write_sidecar(sidecar, weights, project.graph, token)
        except WeightsError as err:
            raise ProjectError(str(err), target) from None
    previous = project.weights_meta
    project.weights_meta = weights_entry(project, sidecar.name, token)
    try:
        save_project(project, target)
    except ProjectError:
        project.weights_meta = previous
        raise
    return token


def _token_of(path: Path) -> str | None:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            token = h5.attrs.get("layerforge_token")
    except (OSError, ValueError):
        return None
    return token.decode() if isinstance(token, bytes) else token if isinstance(token, str) else None


def _remove_own_sidecar(path: Path) -> None:
    """A sidecar of ours left from when the project had weights (never someone else's file)."""
    if path.is_file() and _token_of(path) is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def load_project_weights(project: Project) -> list[str]:
    """Read the sidecar the project file names into ``project.weights``; returns notes.

    Every layer is checked: its node must exist and its fingerprint (recorded and recomputed
    from the graph) must match, and the arrays' shapes must be those recorded; what does not
    fit is left out and named in a note, the rest is kept. Never raises for a bad sidecar:
    the project opens with the weights that fit (or initial ones) and the notes say why."""
    meta = project.weights_meta
    project.weights = ModelWeights()
    if not meta or project.path is None:
        return []
    sidecar = project.path.parent / str(meta.get("file", ""))
    if not sidecar.is_file():
        return [f"the weights file {sidecar.name} is missing beside {project.path.name}; the model starts from "
                "initial weights"]
    try:
        import h5py

        with h5py.File(sidecar, "r") as h5:
            token = h5.attrs.get("layerforge_token")
            token = token.decode() if isinstance(token, bytes) else token
            if token != meta.get("token"):
                return [f"{sidecar.name} was written by another save than {project.path.name} (an interrupted "
                        "save, or a copied file), so it is not used; the model starts from initial weights"]
            by_id: Arrays = {}
            budget = [MAX_WEIGHTS_BYTES]
            layers = h5.get("layers")
            for key in (layers or {}):
                group = layers[key]
                node_id = group.attrs.get("node_id")
                node_id = node_id.decode() if isinstance(node_id, bytes) else node_id
                if isinstance(node_id, str):
                    by_id[node_id] = _layer_arrays(group, f"{sidecar.name}:layers/{key}", budget)
    except WeightsError as err:
        return [f"{err}; the model starts from initial weights"]
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        return [f"{sidecar.name} cannot be read ({err}); the model starts from initial weights"]
    for arrays in by_id.values():
        arrays.pop("vars", None)  # the group itself, not an array
    graph = project.graph
    now = fingerprints(graph, analyze(graph), by_id)
    recorded = meta.get("layers", {})
    kept: dict[str, LayerWeights] = {}
    misfits: list[str] = []
    for node_id, arrays in by_id.items():
        entry = recorded.get(node_id) or {}
        shapes = {k: tuple(v) for k, v in (entry.get("shapes") or {}).items()}
        fits = (node_id in graph and entry.get("fingerprint") == now.get(node_id)
                and (not shapes or shapes == {k: tuple(a.shape) for k, a in arrays.items()}))
        if fits:
            kept[node_id] = LayerWeights(arrays, entry["fingerprint"])
        else:
            misfits.append(graph.node(node_id).name if node_id in graph else str(entry.get("name", node_id)))
    project.weights = ModelWeights(kept, WeightsSource.from_json(meta.get("source") or {}))
    if misfits:
        shown = ", ".join(misfits[:8]) + (f" and {len(misfits) - 8} more" if len(misfits) > 8 else "")
        return [f"the saved weights of {shown} no longer fit the model (it was changed outside "
                "Layerforge?) and were left out"]
    return []


def open_project(path: str | os.PathLike[str]) -> tuple[Project, list[str]]:
    """:func:`app.core.project.load_project` plus its weights; raises ProjectError like it."""
    from app.core.project import load_project

    project = load_project(path)
    return project, load_project_weights(project)


# --- imported files ---------------------------------------------------------------------------

def weights_from_file(path: str | os.PathLike[str], project: Project, kind: str = "imported") -> tuple[
        ModelWeights, list[str]]:
    """The weights a ``.keras`` archive (or a ``.weights.h5`` file) holds for the project's layers,
    matched by layer name, each with its array shapes checked when a shape rule exists; notes
    name what did not match. Read as data with h5py (see the module docstring)."""
    graph = project.graph
    by_name = {node.name: node.id for node in graph.nodes()}
    arrays = read_weights_file(path, by_name)
    per_node = {by_name[name]: layer for name, layer in arrays.items() if layer}
    analysis = analyze(graph)
    weights = with_fingerprints(per_node, graph, analysis, WeightsSource(kind=kind, file=Path(path).name))
    notes: list[str] = []
    missing = [node.name for node in graph.nodes() if node.id not in weights.layers and node.class_name != "InputLayer"
               and (info := analysis.nodes.get(node.id)) is not None and info.params > 0]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        notes.append(f"no weights in {Path(path).name} for {shown}: those layers start from their initializers")
    return weights, notes


# --- Keras models -----------------------------------------------------------------------------

def _scratch(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"layerforge-weights-{os.getpid()}-"))
    return folder / f"{prefix}{SIDECAR_SUFFIX}"


def extract_weights(model: Any, graph: Graph, source: WeightsSource) -> ModelWeights:
    """A built model's weights per node (the graph it was compiled from, as it is now).

    Goes through Keras' own ``save_weights`` so Keras decides what and in which order."""
    import shutil

    names = {node.name: node.id for node in graph.nodes()}
    scratch = _scratch("extract")
    try:
        model.save_weights(os.fspath(scratch))
        arrays = read_weights_file(scratch, names)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)
    per_node = {names[name]: layer for name, layer in arrays.items() if layer}
    return with_fingerprints(per_node, graph, analyze(graph), source)


def apply_weights(model: Any, weights: ModelWeights, graph: Graph) -> list[str]:
    """Put the kept weights into a model compiled from ``graph``; returns notes on what did not fit.

    The model's own (initial) values are written by Keras, the kept layers' arrays replace
    theirs where every path and shape agrees, and Keras loads the result: a layer that does
    not fit keeps its initial values and is named in a note (with both shapes)."""
    import shutil

    import h5py

    if not weights:
        return []
    by_name = {graph.node(nid).name: nid for nid in weights.layers if nid in graph}
    notes: list[str] = []
    scratch = _scratch("apply")
    try:
        model.save_weights(os.fspath(scratch))
        with h5py.File(scratch, "r+") as h5:
            groups = _named_groups(h5, set(by_name))
            for name, node_id in by_name.items():
                layer = weights.layers[node_id]
                group = groups.get(name)
                if group is None:
                    notes.append(f"{name}: the built model has no such layer; its weights were not used")
                    continue
                have = {path: tuple(group[path].shape) for path in _dataset_paths(group)}
                want = layer.shapes
                if have != want:
                    notes.append(f"{name}: the weights have shapes {_shapes_text(want)} but the layer needs "
                                 f"{_shapes_text(have)}; it starts from its initializers")
                    continue
                for path, array in layer.arrays.items():
                    group[path][...] = array
        model.load_weights(os.fspath(scratch))
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)
    return notes


def _named_groups(h5: Any, names: set[str]) -> dict[str, Any]:
    import h5py

    found: dict[str, Any] = {}
    stack: list[tuple[Any, int]] = [(h5, 0)]
    while stack:
        group, depth = stack.pop()
        name = _vars_name(group) if depth > 0 else None
        if name in names:
            found[name] = group
            continue
        for key in group:
            item = group[key]
            if key != "vars" and not (depth == 0 and key == "optimizer") and isinstance(item, h5py.Group):
                stack.append((item, depth + 1))
    return found


def _dataset_paths(group: Any) -> list[str]:
    import h5py

    paths: list[str] = []
    group.visititems(lambda path, item: paths.append(path) if isinstance(item, h5py.Dataset) else None)
    return paths


def _shapes_text(shapes: Mapping[str, tuple[int, ...]]) -> str:
    return ", ".join(str(tuple(shape)) for _path, shape in sorted(shapes.items(), key=lambda kv: _path_key(kv[0])))


@dataclass
class BuiltModel:
    """A model built from a graph with every weight it should have, and what was loaded into it."""

    model: Any
    reports: list[Any] = field(default_factory=list)
    """One :class:`app.keras_bridge.backbones.WeightsReport` per weights file loaded."""
    notes: list[str] = field(default_factory=list)
    """Kept layers whose weights did not fit (they start from their initializers)."""


def build_model(graph: Graph, name: str = "model", *, folder: Path | None, weights: ModelWeights | None = None,
                analysis: Analysis | None = None, model_file: tuple[Path, str] | None = None,
                backbone_files: bool = True) -> BuiltModel:
    """THE way a model is built for use (export, insight, training): the architecture, then weights
    in rising precedence:

    1. each backbone's ``weights_file`` (relative to ``folder``) or cached ImageNet file;
    2. ``model_file`` (path, name as shown): a whole-model weights file (training's
       ``pretrained_weights`` setting), matched by layer name;
    3. the project's kept weights (trained, imported, loaded), which win where they fit.
       A backbone covered by them skips step 1 altogether (its file need not be there).

    ``backbone_files=False`` skips step 1 for every backbone (the architecture alone).

    Raises :class:`app.keras_bridge.compile.CompileError` for an invalid graph and
    :class:`app.keras_bridge.backbones.BackboneError` for a weights file that is missing or unusable."""
    from app.keras_bridge.backbones import load_weights_file, weights_context
    from app.keras_bridge.compile import compile_graph

    analysis = analysis or analyze(graph)
    weights = weights or ModelWeights()
    if backbone_files:
        with weights_context(folder, kept_backbones(graph, analysis, weights)) as reports:
            model = compile_graph(graph, name, analysis)
    else:
        model, reports = compile_graph(graph, name, analysis), []
    built = BuiltModel(model, list(reports))
    if model_file is not None:
        built.reports.append(load_weights_file(model, model_file[0], shown=model_file[1]))
    if weights:
        built.notes = apply_weights(model, weights, graph)
    return built


LOADABLE_SUFFIXES = (".weights.h5", ".keras", ".h5")
"""Files Load Weights reads: Keras 3 weights, a whole ``.keras`` model, a legacy (Keras 2) ``.h5``."""


def load_model_weights(project: Project, path: str | os.PathLike[str]) -> tuple[ModelWeights, Any]:
    """The project's weights after loading a whole-model weights file, and the file's report
    (:class:`app.keras_bridge.backbones.WeightsReport`: what matched, what did not and why).

    Layers match by name (see :func:`app.keras_bridge.backbones.load_weights_file`); the layers
    that took the file's arrays get them, every other layer keeps what it had. Nothing is changed
    in ``project``. Raises :class:`WeightsError` with a readable message for a file that is not a
    weights file, matches no layer, or a model that cannot be built yet."""
    from app.keras_bridge.backbones import BackboneError, load_weights_file
    from app.keras_bridge.compile import CompileError

    file = Path(path)
    shown = file.name
    if not shown.lower().endswith(LOADABLE_SUFFIXES):
        raise WeightsError(f"{shown} is not a weights file: choose a Keras .weights.h5, a .keras model or a "
                           "weights-only .h5 file")
    if not file.is_file():
        raise WeightsError(f"{shown}: there is no such file in {file.parent}")
    graph = project.graph
    try:
        built = build_model(graph, project.name, folder=None, weights=project.weights, backbone_files=False)
        report = load_weights_file(built.model, file, shown=shown, target="the model")
    except BackboneError as err:
        raise WeightsError(str(err)) from None
    except CompileError as err:
        raise WeightsError(f"the model cannot be built yet, so no weights can be loaded into it: {err}") from None
    matched = set(report.matched)
    took = {layer.name for layer in built.model.layers if _leaf_names(layer) & matched}
    source = WeightsSource(kind="file", file=shown)
    loaded = extract_weights(built.model, graph, source)
    layers = {nid: lw for nid, lw in project.weights.layers.items() if graph.node(nid).name not in took}
    layers.update({nid: lw for nid, lw in loaded.layers.items() if graph.node(nid).name in took})
    return ModelWeights(layers, source), report


def _leaf_names(layer: Any) -> set[str]:
    inner = getattr(layer, "layers", None)
    if not inner:
        return {layer.name}
    return set().union(*(_leaf_names(sub) for sub in inner))


def save_keras_weights(model: Any, path: str | os.PathLike[str]) -> Path:
    """Keras' own ``model.save_weights`` to ``path``, atomically (temp file beside it, then rename)."""
    target = Path(path)
    try:
        atomic_write(target, lambda tmp: model.save_weights(os.fspath(tmp)), SIDECAR_SUFFIX)
    except OSError as err:
        raise WeightsError(f"{target}: the weights could not be written ({err.strerror or err})") from None
    return target


__all__ = ["ARCHIVE_WEIGHTS", "LOADABLE_SUFFIXES", "SIDECAR_SUFFIX", "BuiltModel", "WeightsError", "apply_weights",
           "build_model", "extract_weights", "load_model_weights", "load_project_weights", "open_project",
           "read_weights_file", "save_keras_weights", "save_project_with_weights", "sidecar_path",
           "weights_from_file", "write_sidecar"]
