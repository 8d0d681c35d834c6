"""Compare our catalog rules with what real Keras builds: the single source of truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from app.core.catalog import get_spec
from app.core.catalog.spec import LayerSpec, ParamKind, Shape, ShapeError
from app.keras_bridge.layers import build_layer, call_layer


def full_config(spec: LayerSpec, overrides: dict[str, Any]) -> dict[str, Any]:
    cfg = spec.default_config()
    cfg.update(overrides)
    return cfg


def ours(spec: LayerSpec, cfg: dict[str, Any], inputs: Sequence[Shape]) -> tuple[Shape, int, int]:
    """Our shape and (trainable, non-trainable) count; raises ShapeError when we refuse."""
    shape = spec.output(cfg, inputs)
    trainable, frozen = spec.count(cfg, inputs)
    if not cfg.get("trainable", True):
        trainable, frozen = 0, trainable + frozen
    return tuple(shape), trainable, frozen


def weight_count(weights: Sequence[Any]) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def keras_result(
    spec: LayerSpec,
    cfg: dict[str, Any],
    inputs: Sequence[Shape],
    ports: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
) -> tuple[Shape, int, int]:
    import keras

    tensors = [
        keras.Input(batch_shape=tuple(s), dtype=(dtypes[i] if dtypes else "float32"))
        for i, s in enumerate(inputs)
    ]
    layer = build_layer(spec.class_name, "probe", cfg, inputs)
    port_names = list(ports) if ports else [p.name for p in spec.ports]
    out = call_layer(layer, spec, tensors, port_names[: len(tensors)])
    return tuple(out.shape), weight_count(layer.trainable_weights), weight_count(layer.non_trainable_weights)


def keras_runs(
    spec: LayerSpec,
    cfg: dict[str, Any],
    inputs: Sequence[Shape],
    ports: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
) -> bool:
    """Whether the layer really processes a batch of 2 (unknown sizes set to 5) in training mode."""
    rng = np.random.default_rng(0)
    arrays = []
    for i, shape in enumerate(inputs):
        concrete = tuple(2 if j == 0 else (5 if d is None else d) for j, d in enumerate(shape))
        dtype = dtypes[i] if dtypes else "float32"
        if dtype == "string":  # text layers: a batch of short sentences
            arrays.append(np.full(concrete, "the cat sat"))
            continue
        arrays.append(rng.integers(0, 2, concrete).astype(dtype) if "int" in dtype
                      else rng.standard_normal(concrete).astype(dtype))
    try:
        layer = build_layer(spec.class_name, "probe_run", cfg, inputs)
        port_names = list(ports) if ports else [p.name for p in spec.ports]
        style = spec.call_style
        if style == "list":
            layer(arrays, training=True)
        elif style == "kwargs":
            layer(**dict(zip(port_names, arrays, strict=False)), training=True)
        else:
            layer(arrays[0], training=True)
    except Exception:
        return False
    return True


def check_against_keras(class_name: str, overrides: dict[str, Any], inputs: Sequence[Shape],
                        ports: Sequence[str] | None = None, dtypes: Sequence[str] | None = None) -> str:
    """Assert agreement; returns 'match' or 'both-refuse' so tests can see coverage."""
    spec = get_spec(class_name)
    assert spec is not None, class_name
    cfg = full_config(spec, overrides)
    for param in spec.params:
        problem = param.validate(cfg[param.name])
        assert problem is None, f"case gave an invalid param: {problem}"
    try:
        expected = ours(spec, cfg, inputs)
    except ShapeError as err:
        try:
            got = keras_result(spec, cfg, inputs, ports, dtypes)
        except Exception:
            return "both-refuse"
        # Some layers build symbolically for any rank and fail only on real data; a real
        # batch decides whether our earlier refusal was right.
        if not keras_runs(spec, cfg, inputs, ports, dtypes):
            return "both-refuse"
        raise AssertionError(f"we refused ({err.message}) but Keras built {got} for {cfg} on {inputs}") from None
    got = keras_result(spec, cfg, inputs, ports, dtypes)
    assert expected == got, f"ours {expected} != keras {got} for {class_name} {overrides} on {inputs}"
    return "match"


def strip_names(value: Any) -> Any:
    """Configs compared without layer names (Keras numbers nested names globally)."""
    if isinstance(value, dict):
        return {k: strip_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [strip_names(v) for v in value]
    return value


def keras_default_config(spec: LayerSpec) -> dict[str, Any]:
    """get_config() of the layer built by Keras' own constructor defaults (required args
    taken from our defaults), to compare with the layer our default config builds."""
    import keras

    cls = getattr(keras.layers, spec.class_name)
    required = {}
    for param in spec.params:
        if param.required:
            value = param.default
            if param.kind is ParamKind.LAYER:
                value = keras.layers.deserialize(value)
            required[param.name] = tuple(value) if isinstance(value, list) else value
    return cls(**required).get_config()
