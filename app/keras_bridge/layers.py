"""Build one Keras layer from a catalog node, and call it on its input tensors.

Only classes in the catalog can be built: the catalog is the allow-list, so a config can
never name an arbitrary class or function.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog import get_spec
from app.core.catalog.spec import LayerSpec, ParamKind, Shape
from app.core.graph import name_problem


class UnsupportedLayerError(ValueError):
    """The class is not in the catalog, so it is refused."""


def spec_for(class_name: str) -> LayerSpec:
    spec = get_spec(class_name)
    if spec is None:
        raise UnsupportedLayerError(f"layer class '{class_name}' is not supported by Layerforge")
    return spec


def build_layer(class_name: str, name: str, config: Mapping[str, Any], input_shapes: Sequence[Shape]) -> Any:
    """A Keras layer (or, for application backbones, a nested Keras model) for this node."""
    import keras

    spec = spec_for(class_name)
    _refuse_code(spec, name, config)
    if spec.is_application:
        return build_application(spec, name, config, input_shapes[0])
    if class_name == "InputLayer":
        raise UnsupportedLayerError("Input nodes become keras.Input tensors; they are not built as layers")
    if spec.is_operation:
        return build_operation(spec, name, config)
    cls = _internal_class(spec) if spec.module != "keras.layers" else getattr(keras.layers, class_name)
    # A copy: Keras' from_config may take nested configs apart (StackedRNNCells pops its cells).
    return cls.from_config(copy.deepcopy({"name": name, **config}))


_OBJECT_KINDS = frozenset({ParamKind.INITIALIZER, ParamKind.REGULARIZER, ParamKind.CONSTRAINT, ParamKind.LAYER})


def _refuse_code(spec: LayerSpec, name: str, config: Mapping[str, Any]) -> None:
    """Check again, right before Keras deserialises them, the values that name Keras objects
    (the allow-list of :mod:`app.core.catalog.spec`) and the name: whoever calls this, a config
    reaching ``from_config`` never names ``os.system`` or a ``__lambda__``."""
    bad = name_problem(name)
    if bad:
        raise UnsupportedLayerError(f"{name!r}: {bad}")
    for param in spec.params:
        if param.kind in _OBJECT_KINDS and param.name in config:
            problem = param.validate(config[param.name])
            if problem:
                raise UnsupportedLayerError(f"{name!r}: {problem}")


def build_application(spec: LayerSpec, name: str, config: Mapping[str, Any], input_shape: Shape) -> Any:
    """A keras.applications backbone without its classifier top, as a nested model (never downloaded:
    see :mod:`app.keras_bridge.backbones`)."""
    from app.keras_bridge.backbones import build_backbone

    return build_backbone(spec, name, config, input_shape)


def _internal_class(spec: LayerSpec) -> Any:
    """A Keras-internal layer class (ConvNeXt's LayerScale), only from the catalog's exact allow-list."""
    import importlib

    from app.core.catalog.ops import INTERNAL_LAYERS

    if (spec.module, spec.class_name) not in INTERNAL_LAYERS:
        raise UnsupportedLayerError(f"layer class '{spec.module}.{spec.class_name}' is not supported by Layerforge")
    return getattr(importlib.import_module(spec.module), spec.class_name)


OPERATION_ONLY_PARAMS = frozenset({"constant", "constant_first"})
"""Node parameters of an operation that are operands, not constructor arguments."""


def build_operation(spec: LayerSpec, name: str, config: Mapping[str, Any]) -> Any:
    """The Keras operation object (``keras.src.ops.numpy.TrueDivide(name=...)``), named like the
    node so the model's config is the one Keras writes for ``x / 127.5``. The class comes from
    the catalog's allow-list, never from the config."""
    from keras.src.ops import numpy as keras_numpy

    from app.core.catalog.ops import KERAS_CLASSES, keras_class

    if (spec.module, keras_class(spec.class_name)) not in KERAS_CLASSES:
        raise UnsupportedLayerError(f"{name!r}: operation {spec.class_name!r} is not supported by Layerforge")
    cls = getattr(keras_numpy, keras_class(spec.class_name))
    kwargs = {k: (tuple(v) if k == "newshape" else v) for k, v in config.items() if k not in OPERATION_ONLY_PARAMS}
    return cls(name=name, **kwargs)


def call_operation(op: Any, spec: LayerSpec, config: Mapping[str, Any], tensors: Sequence[Any]) -> Any:
    """Call an operation as Keras records it: ``op(x, c)``, ``op(c, x)``, ``op(x, y)`` or ``op([xs])``."""
    if spec.variadic:
        return op(list(tensors))
    constant = config.get("constant")
    if constant is not None:
        (tensor,) = tensors
        return op(constant, tensor) if config.get("constant_first") else op(tensor, constant)
    return op(*tensors)


def call_layer(layer: Any, spec: LayerSpec, tensors: Sequence[Any], port_names: Sequence[str]) -> Any:
    """Call a layer the way its Keras class expects its inputs."""
    style = spec.call_style
    if style == "list":
        return layer(list(tensors))
    if style == "kwargs":
        return layer(**dict(zip(port_names, tensors, strict=True)))
    (tensor,) = tensors
    return layer(tensor)
