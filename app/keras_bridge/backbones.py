"""Pretrained backbones without a network: ImageNet weights from Keras' cache, weights files matched
layer by layer with a report, and how much of a backbone trains.

Keras' own ``weights='imagenet'`` calls ``get_file`` with a URL, which downloads when the cache
misses; the machine may be offline and a download mid-build hangs or fails with a traceback. So a
backbone is always built with ``weights=None`` and the cached file, when there, is loaded here;
when it is not, :func:`preflight` names the file before any training starts.

Weights files are read with h5py (datasets only: no pickle, no external or virtual datasets) and
copied into the model layer by layer, so one odd layer never spoils the rest and the report can
say which layers took weights and why others did not.
"""

from __future__ import annotations

import contextvars
import io
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.catalog.applications import (
    find_imagenet_file,
    imagenet_missing_message,
    weights_file_problem,
)
from app.core.catalog.spec import LayerSpec, Shape

MAX_WEIGHTS_BYTES = 2 * 1024**3
"""A weights file whose arrays add up to more than this is refused before anything is read."""


class BackboneError(ValueError):
    """A backbone or weights file cannot be used; the message names the node and the file."""


@dataclass
class WeightsReport:
    """What a weights file gave a model: layers matched, layers left as they were (and why), unused entries."""

    source: str
    target: str
    how: str
    matched: list[str] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def text(self, limit: int = 8) -> str:
        """A few lines a student can read: counts first, then the reasons."""
        lines = [f"{self.target}: loaded '{self.source}' ({self.how}): {len(self.matched)} layer(s) matched, "
                 f"{len(self.unmatched)} kept their own weights, {len(self.unused)} file entr"
                 f"{'y' if len(self.unused) == 1 else 'ies'} unused"]
        lines += [f"  - {name}: {why}" for name, why in self.unmatched[:limit]]
        if len(self.unmatched) > limit:
            lines.append(f"  - ... and {len(self.unmatched) - limit} more")
        if self.unused:
            shown = ", ".join(self.unused[:limit]) + (", ..." if len(self.unused) > limit else "")
            lines.append(f"  - not in the model: {shown}")
        return "\n".join(lines)


# --- where relative weights files are, and who hears about loads ----------------------------------

_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("weights_folder", default=None)
_REPORTS: contextvars.ContextVar[list[WeightsReport] | None] = contextvars.ContextVar("weights_reports",
                                                                                      default=None)
_KEPT: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("weights_kept", default=frozenset())


@contextmanager
def weights_context(folder: Path | None, kept: frozenset[str] = frozenset()) -> Iterator[list[WeightsReport]]:
    """While building: load backbone ``weights_file`` paths relative to ``folder`` and collect the reports.
    Backbones named in ``kept`` skip their file (and ImageNet cache): the project's own weights for them
    are put in afterwards and win, so the file need not even be there. Outside this context (shape
    checks) backbones build without their files; every real build goes through
    :func:`app.keras_bridge.weights_io.build_model`, which enters it."""
    reports: list[WeightsReport] = []
    folder_token = _FOLDER.set(folder)
    reports_token = _REPORTS.set(reports)
    kept_token = _KEPT.set(frozenset(kept))
    try:
        yield reports
    finally:
        _FOLDER.reset(folder_token)
        _REPORTS.reset(reports_token)
        _KEPT.reset(kept_token)


def resolve_weights_file(value: str, folder: Path | None, node: str) -> Path:
    """The file a backbone's ``weights_file`` names, inside the project's folder; BackboneError says why not."""
    problem = weights_file_problem(value)
    if problem:
        raise BackboneError(f"'{node}': {problem}")
    if folder is None:
        raise BackboneError(f"'{node}' loads weights from '{value}', a path relative to the project: save the "
                            "project first, in the folder that holds the file")
    path = Path(folder) / value
    if not path.is_file():
        raise BackboneError(f"'{node}' loads weights from '{value}', but there is no such file in "
                            f"{os.fspath(Path(folder))}")
    return path


# --- preflight: before any data is loaded or model built ------------------------------------------

def preflight(graph: Any, analysis: Any, folder: Path | None, kept: frozenset[str] = frozenset()) -> list[str]:
    """Every backbone weights file that is missing or unusable, in words, without building anything.
    Backbones named in ``kept`` (the project's own weights cover them) need no file."""
    from app.core.catalog import get_spec

    problems: list[str] = []
    for node in graph.nodes():
        spec = get_spec(node.class_name)
        if spec is None or not spec.is_application or node.name in kept:
            continue
        edges = graph.ordered_in_edges(node.id)
        info = analysis.nodes.get(edges[0].source) if edges else None
        shape: Shape = ()
        if info is not None and info.output_shapes:
            shape = info.output_shapes[edges[0].source_port]
        missing = imagenet_missing_message(f"'{node.name}' ({spec.title})", spec.class_name, node.config, shape)
        if missing:
            problems.append(missing)
        value = node.config.get("weights_file") or ""
        if value:
            try:
                resolve_weights_file(value, folder, node.name)
            except BackboneError as err:
                problems.append(str(err))
    return problems


# --- building a backbone ------------------------------------------------------------------------

OUR_PARAMS = ("trainable", "dtype", "weights", "weights_file", "train_top_layers")
"""Node settings that are not arguments of the keras.applications factory."""


def build_backbone(spec: LayerSpec, name: str, config: Mapping[str, Any], input_shape: Shape) -> Any:
    """The backbone as a nested model: built with ``weights=None`` (so Keras never downloads), then the
    cached ImageNet file and the node's weights file loaded, then its trainability set."""
    import keras

    factory = getattr(keras.applications, spec.class_name)
    kwargs = {k: v for k, v in config.items() if k not in OUR_PARAMS}
    model = factory(input_shape=tuple(input_shape[1:]), include_top=False, weights=None, name=name, **kwargs)
    if name in _KEPT.get():  # the project's own weights for this backbone go in after the build
        set_trainability(model, config)
        return model
    if config.get("weights") == "imagenet":
        cached = find_imagenet_file(spec.class_name, config, input_shape)
        if cached is None:
            raise BackboneError(imagenet_missing_message(f"'{name}' ({spec.title})", spec.class_name, config,
                                                         input_shape) or f"'{name}': no ImageNet weights")
        try:
            model.load_weights(os.fspath(cached))
        except Exception as err:  # a truncated or foreign file: say which, not a traceback
            raise BackboneError(f"'{name}': the ImageNet weights file {os.fspath(cached)} could not be read "
                                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                                "delete it and copy a good one there") from None
    value = config.get("weights_file") or ""
    reports = _REPORTS.get()
    if value and reports is not None:  # outside weights_context (a shape check, a view) nothing is loaded
        path = resolve_weights_file(value, _FOLDER.get(), name)
        reports.append(load_weights_file(model, path, shown=value, target=f"backbone '{name}'"))
    set_trainability(model, config)
    return model


def set_trainability(model: Any, config: Mapping[str, Any]) -> None:
    """Frozen, all layers, or only the last ``train_top_layers`` of Keras' ``layers`` list."""
    trainable = bool(config.get("trainable", True))
    top = config.get("train_top_layers") or 0
    model.trainable = trainable
    if trainable and isinstance(top, int) and 0 < top < len(model.layers):
        for layer in model.layers[:-top]:
            layer.trainable = False


def runs_in_inference_mode(config: Mapping[str, Any]) -> bool:
    """A backbone that is frozen, wholly or in part, keeps batch normalization in inference mode
    (the Keras transfer-learning guide's rule), also after it is unfrozen for fine-tuning."""
    top = config.get("train_top_layers") or 0
    return not config.get("trainable", True) or (isinstance(top, int) and top > 0)


def call_backbone(layer: Any, config: Mapping[str, Any], tensor: Any) -> Any:
    """Call the nested backbone; with ``training=False`` when it is (partly) frozen."""
    if runs_in_inference_mode(config):
        return layer(tensor, training=False)
    return layer(tensor)


# --- fine-tuning: phase 2 --------------------------------------------------------------------------

def unfreeze_top(model: Any, graph: Any, layers: int) -> str:
    """Unfreeze the last ``layers`` layers of every backbone node (or, with none, of the frozen layers),
    for fine-tuning. Returns a sentence saying what now trains. Batch normalization stays in inference
    mode, since the backbone was called with ``training=False``."""
    from app.core.catalog import get_spec

    backbones = [n for n in graph.nodes() if (spec := get_spec(n.class_name)) is not None and spec.is_application]
    if backbones:
        told = []
        for node in backbones:
            nested = model.get_layer(node.name)
            nested.trainable = True
            count = min(layers, len(nested.layers))
            for layer in nested.layers[:len(nested.layers) - count]:
                layer.trainable = False
            told.append(f"the top {count} of {len(nested.layers)} layers of '{node.name}'")
        return "unfroze " + ", ".join(told)
    frozen_names = {n.name for n in graph.nodes() if n.config.get("trainable") is False}
    frozen = [layer for layer in model.layers if layer.name in frozen_names]
    picked = frozen[len(frozen) - min(layers, len(frozen)):]
    for layer in picked:
        layer.trainable = True
    if not picked:
        return "found no frozen layer to unfreeze: phase 2 trains the same layers as phase 1"
    return f"unfroze the top {len(picked)} of {len(frozen)} frozen layers ({', '.join(x.name for x in picked)})"


# --- reading weights files --------------------------------------------------------------------------

def _leaf_layers(model: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(Keras' weights-file path, layer name, layer) of every layer that holds weights, nested models opened."""
    from keras.src.utils import naming

    used: dict[str, int] = {}
    for layer in model.layers:
        base = naming.to_snake_case(layer.__class__.__name__)
        if base in used:
            used[base] += 1
            key = f"{base}_{used[base]}"
        else:
            used[base] = 0
            key = base
        path = f"{prefix}layers/{key}"
        if hasattr(layer, "layers") and getattr(layer, "layers", None):
            yield from _leaf_layers(layer, path + "/")
        elif layer.weights:
            yield path, layer.name, layer


def _check_dataset(ds: Any, shown: str) -> None:
    if ds.external or ds.is_virtual:
        raise BackboneError(f"'{shown}' points to data outside itself (an external HDF5 dataset): refused")


def _keras3_entries(root: Any, shown: str, names: dict[str, str] | None = None) -> dict[str, list[Any]]:
    """path -> arrays from a Keras 3 weights store (``layers/<snake_case>/vars/0``...); ``names``, when
    given, receives path -> the layer name Keras writes on each ``vars`` group (Keras 3.x does)."""
    import h5py

    found: dict[str, list[Any]] = {}

    def walk(group: Any, path: str) -> None:
        if "layers" in group and isinstance(group["layers"], h5py.Group):
            for key in group["layers"]:
                walk(group["layers"][key], f"{path}layers/{key}/")
        if "vars" in group and isinstance(group["vars"], h5py.Group) and len(group["vars"]) and path:
            values = group["vars"]
            for key in values:
                _check_dataset(values[key], shown)
            found[path.rstrip("/")] = [values[str(i)] for i in range(len(values))]
            name = values.attrs.get("name")
            if names is not None and isinstance(name, (str, bytes)):
                names[path.rstrip("/")] = name.decode("utf-8", "replace") if isinstance(name, bytes) else name

    walk(root, "")
    return found


def _keras_config_names(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Weights-file path -> layer name, from a .keras file's config.json (it holds the names the weights lack)."""
    from keras.src.utils import naming

    names: dict[str, str] = {}
    used: dict[str, int] = {}
    for layer in (config.get("config") or {}).get("layers") or []:
        class_name = str(layer.get("class_name", ""))
        base = naming.to_snake_case(class_name)
        if base in used:
            used[base] += 1
            key = f"{base}_{used[base]}"
        else:
            used[base] = 0
            key = base
        path = f"{prefix}layers/{key}"
        inner = layer.get("config") or {}
        if isinstance(inner, Mapping) and inner.get("layers"):
            names.update(_keras_config_names(layer, path + "/"))
        else:
            names[path] = str(inner.get("name", key)) if isinstance(inner, Mapping) else key
    return names


def _legacy_entries(root: Any, shown: str) -> dict[str, list[Any]]:
    """layer name -> arrays from a Keras 2 weights-only (or whole-model) ``.h5``; nested models opened."""
    if "model_weights" in root:
        root = root["model_weights"]
    found: dict[str, list[Any]] = {}

    def walk(group: Any) -> None:
        for raw in group.attrs.get("layer_names", []):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if name not in group:
                continue
            layer = group[name]
            weight_names = [w.decode() if isinstance(w, bytes) else str(w) for w in layer.attrs.get("weight_names", [])]
            if not weight_names:
                if "layer_names" in layer.attrs:
                    walk(layer)
                continue
            arrays = []
            for weight in weight_names:
                if weight not in layer:
                    break
                _check_dataset(layer[weight], shown)
                arrays.append(layer[weight])
            if len(arrays) != len(weight_names):
                continue
            firsts = {w.split("/")[0] for w in weight_names}
            if firsts == {name} or all("/" not in w for w in weight_names):
                found[name] = arrays
            else:  # a nested model lists its inner layers' weights as "inner/kernel": regroup them by layer
                for sub in sorted(firsts):
                    found[sub] = [layer[w] for w in weight_names if w.split("/")[0] == sub]

    walk(root)
    return found


def _open_weights(path: Path, shown: str) -> tuple[Any, Any, str]:
    """(h5py file, the bytes it came from, kind) for a .weights.h5, a .keras archive or a legacy .h5."""
    import h5py

    lower = path.name.lower()
    try:
        if lower.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                members = set(archive.namelist())
                if "model.weights.h5" not in members:
                    raise BackboneError(f"'{shown}' is not a Keras model archive (no model.weights.h5 inside)")
                if archive.getinfo("model.weights.h5").file_size > MAX_WEIGHTS_BYTES:
                    raise BackboneError(f"'{shown}' holds more than {MAX_WEIGHTS_BYTES // 1024**3} GiB of weights")
                data = archive.read("model.weights.h5")
                import json

                config = json.loads(archive.read("config.json")) if "config.json" in members else {}
            return h5py.File(io.BytesIO(data), "r"), config, "keras"
        handle = h5py.File(path, "r")
        if "layers" in handle and "layer_names" not in handle.attrs and "model_weights" not in handle:
            return handle, None, "keras3"
        return handle, None, "legacy"
    except BackboneError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, KeyError) as err:
        raise BackboneError(f"'{shown}' cannot be read as a Keras weights file ({type(err).__name__}: "
                            f"{str(err).splitlines()[0] if str(err) else 'unreadable'})") from None


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _copy_layer(layer: Any, arrays: list[Any]) -> str | None:
    """Put ``arrays`` into ``layer`` in Keras' own variable order; a reason when they do not fit."""
    current: dict[str, Any] = {}
    layer.save_own_variables(current)
    if len(current) != len(arrays):
        return f"the file has {len(arrays)} weight array(s) for it, the layer has {len(current)}"
    for index, array in enumerate(arrays):
        mine = tuple(np.shape(current[str(index)]))
        theirs = tuple(array.shape)
        if mine != theirs:
            return f"shape mismatch: weight {index} is {_shape_text(mine)} here but {_shape_text(theirs)} in the file"
    layer.load_own_variables({str(i): np.asarray(a) for i, a in enumerate(arrays)})
    return None


def load_weights_file(model: Any, path: Path, *, shown: str | None = None, target: str = "the model") -> WeightsReport:
    """Copy a weights file into ``model`` layer by layer and report what matched.

    ``.keras``, legacy ``.h5`` and Keras 3 ``.weights.h5`` files carry layer names, so layers
    match by name (nested models opened). A ``.weights.h5`` without names, or whose names match
    nothing (Keras' automatic names differ from model to model), matches by Keras' own paths
    (layer type and position): the same architecture lines up exactly.
    """
    shown = shown or os.fspath(path)
    handle, config, kind = _open_weights(path, shown)
    try:
        leaves = list(_leaf_layers(model))
        by_name = {name: (name, layer) for _, name, layer in leaves}
        if kind == "legacy":
            entries = _legacy_entries(handle, shown)
            how = "legacy weights-only .h5, matched by layer name"
            by_key = by_name
        else:
            saved_names: dict[str, str] = {}
            raw = _keras3_entries(handle, shown, saved_names)
            if kind == "keras":
                names = _keras_config_names(config or {})
                entries = {names.get(p, p): a for p, a in raw.items()}
                how = ".keras model, matched by layer name"
                by_key = by_name
            elif saved_names and any(saved_names.get(p) in by_name for p in raw):
                entries = {saved_names.get(p, p): a for p, a in raw.items()}
                how = ".weights.h5, matched by layer name"
                by_key = by_name
            else:
                entries = _best_root(raw, [p for p, _, _ in leaves])
                how = ".weights.h5, matched by Keras' layer paths (type and order: no layer names matched)"
                by_key = {p: (name, layer) for p, name, layer in leaves}
        total = sum(int(np.prod(a.shape)) * a.dtype.itemsize for arrays in entries.values() for a in arrays)
        if total > MAX_WEIGHTS_BYTES:
            raise BackboneError(f"'{shown}' holds {total / 1024**3:.1f} GiB of weights, more than Layerforge reads")
        report = WeightsReport(shown, target, how)
        for key, (name, layer) in by_key.items():
            arrays = entries.get(key)
            if arrays is None:
                report.unmatched.append((name, "not in the file"))
                continue
            try:
                why = _copy_layer(layer, arrays)
            except (ValueError, TypeError) as err:
                why = f"could not be copied ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
            if why:
                report.unmatched.append((name, why))
            else:
                report.matched.append(name)
        report.unused = [key for key in entries if key not in by_key]
    finally:
        handle.close()
    if not report.matched:
        raise BackboneError(f"no layer of {target} matched '{shown}':\n{report.text()}")
    return report


def _best_root(entries: dict[str, list[Any]], wanted: list[str]) -> dict[str, list[Any]]:
    """Paths as saved, or relative to the nested model inside the file that lines up best with ``wanted``
    (a backbone's weights saved as part of a bigger model)."""
    best, score = entries, sum(1 for p in wanted if p in entries)
    prefixes = {p[: p.index("/layers/", 1) + 1] for p in entries if p.count("/layers/") >= 1}
    for prefix in prefixes:
        moved = {p[len(prefix):]: a for p, a in entries.items() if p.startswith(prefix)}
        hits = sum(1 for p in wanted if p in moved)
        if hits > score:
            best, score = moved, hits
    return best


__all__ = [
    "BackboneError",
    "WeightsReport",
    "build_backbone",
    "call_backbone",
    "load_weights_file",
    "preflight",
    "resolve_weights_file",
    "runs_in_inference_mode",
    "set_trainability",
    "unfreeze_top",
    "weights_context",
]
