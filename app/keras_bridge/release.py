"""Letting go of what a finished training run leaves in TensorFlow's global state (issue 11, item 6).

Each run used to stay in memory for the life of the process, 4-6 MiB a run and linear: its traced
train step (the ``one_step_on_data`` FuncGraph, every op and ``cond`` branch graph in it, and the
function definitions the eager context holds for them). The model, its optimizer and its
``train_function`` were gone; one global entry kept the graph.

The holder is TensorFlow's gradient registry (``ops._gradient_registry``). In graph mode,
``tf.custom_gradient`` registers its gradient function under a fresh name, ``CustomGradient-<n>``,
and never removes it; the function's closure holds the traced tensors, and through them their
graph. Keras' TensorFlow optimizer goes through it every time the train step is traced, whatever
the model: ``_all_reduce_sum_gradients`` calls ``ReplicaContext.all_reduce``, which wraps the sum in
a ``@custom_gradient`` even for the default one-replica strategy. Known upstream and still open for
this TensorFlow (tensorflow/tensorflow#27492, #97697, #80895; keras-team/tf-keras#898).

A registered gradient is looked up only while a graph is being differentiated, that is while
the train step is traced; a traced function runs without it. So once a run is over, the entries it
added are dead weight: :func:`release_gradients` removes those whose graph reads the run's model's
variables. Anything else registered meanwhile (another model traced on another thread) stays.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

CUSTOM_GRADIENT_PREFIX = "CustomGradient-"
"""How ``tf.custom_gradient`` names the gradient functions it registers in graph mode."""


def _registry() -> dict[str, Any] | None:
    """TensorFlow's registry of gradient functions (``None`` if a TensorFlow release moved it)."""
    try:
        from tensorflow.python.framework import ops
    except ImportError:  # pragma: no cover - TensorFlow is a dependency
        return None
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def custom_gradient_names() -> frozenset[str]:
    """The custom gradients registered now; pass them to :func:`release_gradients` after the run."""
    registry = _registry()
    if registry is None:
        return frozenset()
    return frozenset(name for name in list(registry) if name.startswith(CUSTOM_GRADIENT_PREFIX))


def _closure(fn: Any) -> list[Any]:
    values = []
    for cell in getattr(fn, "__closure__", None) or ():
        with contextlib.suppress(ValueError):  # an empty cell
            values.append(cell.cell_contents)
    return values


def _graphs(entry: Any) -> set[Any]:
    """The graphs whose tensors a registered gradient function keeps (its closure, two levels deep)."""
    fn = entry.get("type") if isinstance(entry, dict) else None
    graphs: set[Any] = set()
    pending = [(fn, 0)]
    while pending:
        value, depth = pending.pop()
        if callable(value) and getattr(value, "__closure__", None) and depth < 2:
            pending += [(inner, depth + 1) for inner in _closure(value)]
        elif isinstance(value, (list, tuple)):
            for item in value:
                try:
                    graph = item.graph
                except Exception:  # not a tensor; an eager tensor or variable has no graph
                    continue
                if graph is not None:
                    graphs.add(graph)
    return graphs


def _variable_ids(model: Any) -> set[int]:
    """Identities of the model's (and its optimizer's and metrics') variables, as a graph records them."""
    found: list[Any] = []
    for owner in (model, getattr(model, "optimizer", None)):
        try:
            found += list(getattr(owner, "variables", None) or ())
        except Exception:  # a half-built model or optimizer: what there is is enough
            continue
    ids: set[int] = set()
    for variable in found:
        for value in (variable, getattr(variable, "value", None)):
            if value is None:
                continue
            ids.add(id(value))
            # a distributed variable (MirroredStrategy) is read through its per-device components
            with contextlib.suppress(TypeError):
                ids.update(id(part) for part in getattr(value, "values", None) or ())
    return ids


def _reads(graph: Any, variable_ids: set[int]) -> bool:
    try:
        variables: Iterable[Any] = graph.variables
        return any(id(v) in variable_ids for v in variables)
    except Exception:  # not a FuncGraph, or a graph being torn down: not ours to judge
        return False


def release_gradients(before: frozenset[str], model: Any) -> int:
    """Remove the custom gradients registered since ``before`` whose graphs read ``model``'s variables.

    Call it when the run is over: the model stays usable (predict, evaluate, saving, even more
    training: a retrace registers afresh). Returns how many entries went.
    """
    registry = _registry()
    if registry is None or model is None:
        return 0
    variable_ids = _variable_ids(model)
    if not variable_ids:
        return 0
    released = 0
    for name in [n for n in list(registry) if n.startswith(CUSTOM_GRADIENT_PREFIX) and n not in before]:
        entry = registry.get(name)
        if entry is not None and any(_reads(graph, variable_ids) for graph in _graphs(entry)):
            registry.pop(name, None)
            released += 1
    return released


__all__ = ["CUSTOM_GRADIENT_PREFIX", "custom_gradient_names", "release_gradients"]
