"""Keras ``get_config()`` values -> the compact, canonical form our nodes store.

Keras writes many values in a long form (``{"class_name": "DTypePolicy", ...}`` for
``"float32"``, ``{"class_name": "GlorotUniform", ...}`` for ``"glorot_uniform"``) and
rewrites some arguments while building a layer (pooling ``strides=None`` becomes the pool
size, ``factor=0.1`` becomes ``[-0.1, 0.1]``). A node holds the form the catalog's
defaults use, and only where both forms build *exactly* the same layer, so the editor
shows what a student would type and an imported project compares equal to the project
it was compiled from. Anything else is kept verbatim, so validation can report it.

This module is pure data manipulation: it never imports Keras (the tables below are the
serialisations Keras 3.15 writes; ``tests/keras/test_importer.py`` checks them against
Keras itself), so normalising an untrusted file can never run code from it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog import CATALOG, get_spec
from app.core.catalog.recurrent_cells import CELL_CLASSES, CELL_KINDS, CELL_SPECS
from app.core.catalog.spec import INITIALIZERS, KERAS_OBJECTS, LayerSpec, Param, ParamKind

Shape = Sequence[int | None]

INITIALIZER_FORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "glorot_uniform": ("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None}),
    "glorot_normal": ("GlorotNormal", {"seed": None, "input_axes": None, "output_axes": None}),
    "he_uniform": ("HeUniform", {"seed": None, "input_axes": None, "output_axes": None}),
    "he_normal": ("HeNormal", {"seed": None, "input_axes": None, "output_axes": None}),
    "lecun_uniform": ("LecunUniform", {"seed": None, "input_axes": None, "output_axes": None}),
    "lecun_normal": ("LecunNormal", {"seed": None, "input_axes": None, "output_axes": None}),
    "orthogonal": ("Orthogonal", {"seed": None, "gain": 1.0}),
    "random_normal": ("RandomNormal", {"seed": None, "mean": 0.0, "stddev": 0.05}),
    "random_uniform": ("RandomUniform", {"seed": None, "minval": -0.05, "maxval": 0.05}),
    "uniform": ("RandomUniform", {"seed": None, "minval": -0.05, "maxval": 0.05}),
    "normal": ("RandomNormal", {"seed": None, "mean": 0.0, "stddev": 0.05}),
    "truncated_normal": ("TruncatedNormal", {"seed": None, "mean": 0.0, "stddev": 0.05}),
    "variance_scaling": ("VarianceScaling", {"seed": None, "scale": 1.0, "mode": "fan_in",
                                             "distribution": "truncated_normal", "input_axes": None,
                                             "output_axes": None}),
    "zeros": ("Zeros", {}),
    "ones": ("Ones", {}),
    "identity": ("Identity", {}),
}
"""Each initializer name of the catalog and the (class, full config) Keras serialises it as."""

CLASS_DEFAULTS: dict[str, dict[str, Any]] = {cls: cfg for cls, cfg in INITIALIZER_FORMS.values()}
"""Default configs of the initializer classes above; missing keys in a file take these."""

OBJECT_CLASSES: dict[str, frozenset[str]] = {
    **{module: frozenset(classes) for module, classes in KERAS_OBJECTS.items()},
    "keras": frozenset({"DTypePolicy", "FloatDTypePolicy"}),
    "keras.dtype_policies": frozenset({"DTypePolicy", "FloatDTypePolicy"}),
    "keras.mixed_precision": frozenset({"DTypePolicy", "Policy"}),
}
"""The only non-layer Keras objects a layer config may hold: plain-data initializers,
regularizers, constraints (the catalog's :data:`KERAS_OBJECTS`, which ``check`` enforces too)
and dtype policies. Everything else is refused by the importer."""

DTYPE_POLICY_CLASSES = frozenset({"DTypePolicy", "FloatDTypePolicy", "Policy"})

INTERNAL_KEYS = frozenset({"name", "shared_object_id", "batch_input_shape"})
"""Config keys Keras (or tf.keras 2) writes that carry nothing the node needs: the name lives
on the node, and ``batch_input_shape`` only restates the input shape (see the importer)."""

LEGACY_KEYS: dict[str, frozenset[str]] = {"Embedding": frozenset({"input_length"})}
"""Per-class keys older Keras versions wrote and Keras 3 ignores with a warning."""

POOLING_CLASSES = frozenset(name for name, spec in CATALOG.items() if {"pool_size", "strides"} <= spec.param_names)
"""Windowed pooling layers, whose ``strides=None`` Keras saves as the pool size."""

ACTIVATION_ALIASES = {"swish": "silu"}
"""Names Keras resolves to the same function and writes back under the second name."""


def _object_module(class_name: str) -> str | None:
    for module in ("keras.initializers", "keras.regularizers", "keras.constraints"):
        if class_name in OBJECT_CLASSES[module]:
            return module
    return None


def normalize_value(value: Any) -> Any:
    """Generic clean-up of any config value: tuples become lists, dtype policies their name,
    numpy payloads plain lists, Keras object dicts their complete form; ``shared_object_id`` goes."""
    if isinstance(value, list | tuple):
        return [normalize_value(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name in DTYPE_POLICY_CLASSES and isinstance(inner, Mapping) and set(inner) == {"name"} \
            and isinstance(inner["name"], str):
        return inner["name"]
    if class_name == "__numpy__" and isinstance(inner, Mapping) and "value" in inner:
        return normalize_value(inner["value"])
    if class_name == "function" and value.get("module") == "keras.activations" and isinstance(inner, str):
        return inner
    out = {str(k): normalize_value(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(class_name, str) and isinstance(inner, Mapping):
        module = _object_module(class_name)
        if module is not None and out.get("module", module) == module:
            out = {"module": module, "class_name": class_name, "config": out["config"],
                   "registered_name": out.get("registered_name")}
            if class_name in CLASS_DEFAULTS:
                out["config"] = {**CLASS_DEFAULTS[class_name], **out["config"]}
    return out


def canonical_initializer(value: Any, preferred: str | None = None) -> Any:
    """An initializer dict that builds exactly what one of the catalog's names builds becomes
    that name (``preferred``, the parameter's default, wins over other names for the same
    initializer); anything else keeps its (complete) dict form."""
    value = normalize_value(value)
    if not isinstance(value, Mapping):
        return value
    if value.get("registered_name") is not None or value.get("module") != "keras.initializers":
        return value
    class_name, config = value.get("class_name"), value.get("config")
    if not isinstance(config, Mapping) or class_name not in CLASS_DEFAULTS:
        return value
    matches = [name for name, (cls, default) in INITIALIZER_FORMS.items()
               if cls == class_name and _equal(config, default)]
    if not matches:
        return value
    if preferred in matches:
        return preferred
    snake = _snake(class_name)
    return snake if snake in matches else matches[0]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _snake(class_name: str) -> str:
    out = []
    for i, ch in enumerate(class_name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def normalize_config(class_name: str, config: Mapping[str, Any], input_shapes: Sequence[Shape] | None = None,
                     keep_name: bool = False) -> dict[str, Any]:
    """A layer's config in canonical form: no name (unless ``keep_name``, for wrapped layers),
    compact values where they are exactly equivalent, Keras-internal keys dropped.

    ``input_shapes`` (the shapes reaching the layer's ports, in port order) lets rules that
    depend on the input, such as MultiHeadAttention's default attention axes, apply.
    """
    spec = get_spec(class_name)
    dropped = INTERNAL_KEYS | LEGACY_KEYS.get(class_name, frozenset())
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in dropped and not (keep_name and key == "name"):
            continue
        param = spec.param(key) if spec else None
        out[key] = _normalize_param(param, value, input_shapes)
    if class_name == "InputLayer" and "batch_shape" not in out and "batch_input_shape" in config:
        out["batch_shape"] = normalize_value(config["batch_input_shape"])
    if spec is not None:
        _class_rules(spec, out, input_shapes)
    return out


def _normalize_param(param: Param | None, value: Any, input_shapes: Sequence[Shape] | None) -> Any:
    if param is None:
        return normalize_value(value)
    kind = param.kind
    if kind is ParamKind.INITIALIZER:
        preferred = param.default if isinstance(param.default, str) and param.default in INITIALIZERS else None
        return canonical_initializer(value, preferred)
    if kind is ParamKind.ACTIVATION:
        value = normalize_value(value)
        return ACTIVATION_ALIASES.get(value, value) if isinstance(value, str) else value
    if kind is ParamKind.LAYER:
        return wrapped_layer(value)
    value = normalize_value(value)
    if kind is ParamKind.INT_TUPLE and param.length and isinstance(value, int) and not isinstance(value, bool):
        return [value] * param.length
    return value


def wrapped_layer(value: Any) -> Any:
    """A layer held in a config (Bidirectional, TimeDistributed) in the form the catalog expects:
    ``{"module": "keras.layers", "class_name", "config", "registered_name": None}``; its config
    gets the wrapped class's defaults for missing keys and the same normalisation as a node's.
    ``build_config`` is dropped: Keras builds the layer again when the wrapper is called."""
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str) \
            or not isinstance(value.get("config", {}), Mapping):
        return normalize_value(value)
    class_name = value["class_name"]
    if class_name in CELL_CLASSES:
        return _cell(value)
    spec = get_spec(class_name)
    inner = normalize_config(class_name, value.get("config", {}), None, keep_name=True)
    if spec is not None:
        inner = {**spec.default_config(), **inner}
    extra = {k: normalize_value(v) for k, v in value.items() if k not in _WRAPPED_KEYS}
    module = "keras.layers" if spec is not None else value.get("module")
    return {"module": module, "class_name": class_name, "config": inner,
            "registered_name": value.get("registered_name"), **extra}


def _cell(value: Mapping[str, Any]) -> dict[str, Any]:
    """RNN's cell: a cell's settings are its layer's less the loop's (LSTMCell's are LSTM's), so they
    are normalised as that layer's, defaults filled in; a StackedRNNCells' cells one by one."""
    config = dict(value.get("config", {}))
    if value["class_name"] == "StackedRNNCells":
        cells = config.get("cells")
        inner = {k: normalize_value(v) for k, v in config.items() if k != "cells"}
        if isinstance(cells, list):
            inner["cells"] = [_cell(c) if isinstance(c, Mapping) and c.get("class_name") in CELL_SPECS else
                              normalize_value(c) for c in cells]
    else:
        inner = {**CELL_SPECS[value["class_name"]].default_config(),
                 **normalize_config(CELL_KINDS[value["class_name"]], config, None, keep_name=True)}
    return {"module": "keras.layers", "class_name": value["class_name"], "config": inner,
            "registered_name": value.get("registered_name")}


_WRAPPED_KEYS = frozenset({"module", "class_name", "config", "registered_name", "build_config", "shared_object_id"})


# --- Rewrites Keras applies while building a layer ------------------------------------------

def _class_rules(spec: LayerSpec, cfg: dict[str, Any], input_shapes: Sequence[Shape] | None) -> None:
    name = spec.class_name
    for param in spec.params:  # ranges Keras saves as a sorted [lower, upper] pair (Param.saved_range)
        if param.saved_range is not None and param.name in cfg:
            cfg[param.name] = _factor(cfg[param.name], param.saved_range)
    if name in POOLING_CLASSES:
        _pooling(name, cfg)
    elif name in ("ZeroPadding2D", "Cropping2D", "ZeroPadding3D", "Cropping3D"):
        key = "padding" if name.startswith("ZeroPadding") else "cropping"
        if key in cfg:
            cfg[key] = _pairs(cfg[key], int(name[-2]))
    elif name in ("ZeroPadding1D", "Cropping1D"):
        key = "padding" if name == "ZeroPadding1D" else "cropping"
        if _is_int(cfg.get(key)):
            cfg[key] = [cfg[key], cfg[key]]
    elif name == "LayerNormalization":
        axis = cfg.get("axis")
        if isinstance(axis, list) and all(_is_int(a) for a in axis):
            cfg["axis"] = axis[0] if len(axis) == 1 else sorted(axis)
    elif name == "Normalization":
        axis = cfg.get("axis", [-1])
        cfg["axis"] = [] if axis is None else [axis] if _is_int(axis) else axis
    elif name == "BatchNormalization":
        if cfg.get("renorm_clipping") == {}:
            cfg["renorm_clipping"] = None
    elif name == "MultiHeadAttention":
        _attention(cfg, input_shapes)
    elif name == "EinsumDense":
        if _is_int(cfg.get("output_shape")):
            cfg["output_shape"] = [cfg["output_shape"]]
    elif name == "GroupNormalization":
        _group_normalization(cfg, input_shapes)
    elif name in ("StringLookup", "IntegerLookup", "TextVectorization"):
        # Keras computes it when saving and ignores it when loading
        cfg["vocabulary_size"] = None
    elif name == "RMSNormalization":  # Keras' build saves the axes as a sorted list
        axis = cfg.get("axis", -1)
        if _is_int(axis):
            cfg["axis"] = [axis]
        elif isinstance(axis, list) and all(_is_int(a) for a in axis):
            cfg["axis"] = sorted(axis)
    elif name == "Bidirectional":
        _bidirectional(cfg)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _group_normalization(cfg: dict[str, Any], input_shapes: Sequence[Shape] | None) -> None:
    """Keras' build turns ``groups=-1`` (one group per channel) into the channel count it saves."""
    axis = cfg.get("axis", -1)
    if cfg.get("groups") != -1 or not input_shapes or not _is_int(axis):
        return
    shape = input_shapes[0]
    if -len(shape) <= axis < len(shape) and shape[axis] is not None:
        cfg["groups"] = shape[axis]


def _pooling(name: str, cfg: dict[str, Any]) -> None:
    """Keras stores ``strides=None`` as the pool size; both build the same layer."""
    rank = int(name[-2])
    pool = cfg.get("pool_size")
    if _is_int(pool):
        pool = cfg["pool_size"] = [pool] * rank
    strides = cfg.get("strides")
    if _is_int(strides):
        strides = cfg["strides"] = [strides] * rank
    if strides is not None and _equal(strides, pool):
        cfg["strides"] = None


def _pairs(value: Any, rank: int) -> Any:
    """ZeroPadding2D/3D and Cropping2D/3D amounts in Keras' full form ``[[top, bottom], [left, right]]``."""
    if _is_int(value):
        return [[value, value] for _ in range(rank)]
    if isinstance(value, list) and len(value) == rank:
        out = []
        for item in value:
            if _is_int(item):
                out.append([item, item])
            elif isinstance(item, list) and len(item) == 2:
                out.append(item)
            else:
                return value
        return out
    return value


def _factor(value: Any, lower_bound: float) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        size = abs(value)
        return [max(-size, lower_bound), size]
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return sorted(value)
    return value


def _attention(cfg: dict[str, Any], input_shapes: Sequence[Shape] | None) -> None:
    """``value_dim=None`` means key_dim, and ``attention_axes=None`` all data axes of the query;
    Keras writes the resolved values (negative axes counted from the query's rank) once built."""
    if cfg.get("value_dim") is not None and _equal(cfg.get("value_dim"), cfg.get("key_dim")):
        cfg["value_dim"] = None
    axes = cfg.get("attention_axes")
    if _is_int(axes):
        axes = cfg["attention_axes"] = [axes]
    if isinstance(axes, list) and input_shapes and all(_is_int(a) for a in axes):
        rank = len(input_shapes[0])
        axes = cfg["attention_axes"] = [a + rank if a < 0 else a for a in axes]
        if _equal(axes, list(range(1, rank - 1))):
            cfg["attention_axes"] = None


def _bidirectional(cfg: dict[str, Any]) -> None:
    """Keras names the forward copy ``forward_<name>``, forces ``zero_output_for_mask`` to
    ``return_sequences`` and always writes the backward layer, even the one it derived itself.
    A backward layer that is exactly that derived copy becomes None (the catalog's default)."""
    forward = cfg.get("layer")
    if not isinstance(forward, dict) or not isinstance(forward.get("config"), dict):
        return
    _force_mask_output(forward)
    name = forward["config"].get("name")
    if isinstance(name, str) and name.startswith("forward_") and len(name) > len("forward_"):
        forward["config"]["name"] = name[len("forward_"):]
    backward = cfg.get("backward_layer")
    if not isinstance(backward, dict) or not isinstance(backward.get("config"), dict):
        return
    _force_mask_output(backward)
    derived = copy.deepcopy(forward)
    derived["config"]["go_backwards"] = not forward["config"].get("go_backwards", False)
    if forward["config"].get("go_backwards") is False and _equal(_unnamed(derived), _unnamed(backward)):
        cfg["backward_layer"] = None


def _force_mask_output(layer: dict[str, Any]) -> None:
    inner = layer["config"]
    if "zero_output_for_mask" in inner and isinstance(inner.get("return_sequences"), bool):
        inner["zero_output_for_mask"] = inner["return_sequences"]


def _unnamed(layer: Mapping[str, Any]) -> dict[str, Any]:
    return {**layer, "config": {k: v for k, v in layer["config"].items() if k != "name"}}

