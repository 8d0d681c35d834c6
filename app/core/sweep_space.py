"""Sweep dimensions: what a hyperparameter sweep may vary, parsed and checked without Keras.

A dimension names either a training setting (``learning_rate``, ``batch_size``, ``optimizer``)
or a layer parameter as ``layer_name.param`` (``hidden_1.units``). Its values are a list
(``NAME=v1,v2,v3``) or, for numbers, a range (``NAME=lo..hi``), linear or log. The CLI and
the Experiments dock both parse through here, so a bad dimension is refused the same way in
both, with a sentence that names it and says why, before any trial starts. The tuning
library (``app.keras_bridge.sweep``) only sees the checked :class:`Dimension` objects.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.catalog import Param, ParamKind
from app.core.training_settings import (
    CLASS_WEIGHTS,
    DEFAULT_SETTINGS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    check_settings,
    keys_of,
)

SWEEPABLE_SETTINGS: dict[str, str] = {
    "learning_rate": "float", "batch_size": "int", "epochs": "int", "optimizer": "choice",
    "momentum": "float", "nesterov": "bool", "weight_decay": "float", "schedule": "choice",
    "decay_rate": "float", "decay_epochs": "int", "warmup_epochs": "int", "loss": "choice",
    "clipnorm": "float", "class_weight": "choice", "seed": "int", "patience": "int",
    "early_stopping": "bool", "shuffle": "bool",
}
"""Training settings a sweep may vary, with their kind. Splits, metrics and file paths are left
out on purpose: changing what is measured or where files go would make trials incomparable."""

SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "optimizer": keys_of(OPTIMIZERS), "schedule": keys_of(SCHEDULES), "loss": keys_of(LOSSES),
    "class_weight": keys_of(CLASS_WEIGHTS),
}

SWEEPABLE_KINDS = frozenset({ParamKind.INT, ParamKind.FLOAT, ParamKind.BOOL, ParamKind.CHOICE,
                             ParamKind.ACTIVATION, ParamKind.STR})
"""Layer parameter kinds with one plain value (tuples and nested objects cannot be swept)."""

MAX_LIST_VALUES = 100
DEFAULT_GRID_POINTS = 3
"""A range in a grid search is cut into this many points (ends included)."""


class SweepSpaceError(ValueError):
    """A dimension that cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class Dimension:
    """One thing a sweep varies: a list of ``values`` or a ``low..high`` range (``log`` scaled).

    ``kind`` is ``int``, ``float``, ``bool``, ``choice`` or ``str``; ``node`` is the layer name
    for a layer parameter (``None`` for a training setting) and ``key`` the setting or param.
    """

    name: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    node: str | None = None
    key: str = ""

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def describe(self) -> str:
        """``learning_rate: 0.0001..0.1 (log)`` / ``optimizer: adam, sgd``: for tables and logs."""
        if self.is_range:
            return f"{self.name}: {_fmt(self.low)}..{_fmt(self.high)}{' (log)' if self.log else ''}"
        return f"{self.name}: {', '.join(format_value(v) for v in self.values)}"

    def spec_text(self) -> str:
        """The ``NAME=...`` text that parses back to this dimension (the GUI passes it to the CLI)."""
        if self.is_range:
            return f"{self.name}={_fmt(self.low)}..{_fmt(self.high)}"
        return f"{self.name}={','.join(format_value(v) for v in self.values)}"

    def grid(self, points: int = DEFAULT_GRID_POINTS) -> list[Any]:
        """The values a grid search tries: the list, or ``points`` evenly (or log-evenly) spaced."""
        if not self.is_range:
            return list(self.values)
        assert self.low is not None and self.high is not None
        n = max(2, int(points))
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            raw = [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
        else:
            raw = [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]
        if self.kind == "int":
            return sorted({round(v) for v in raw})
        return [float(f"{v:.6g}") for v in raw]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "values": list(self.values), "low": self.low,
                "high": self.high, "log": self.log, "node": self.node, "key": self.key}


@dataclass
class SweepSpace:
    """The checked dimensions of one sweep, in the order given."""

    dimensions: list[Dimension] = field(default_factory=list)

    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def grid_size(self, points: int = DEFAULT_GRID_POINTS) -> int:
        return math.prod(len(d.grid(points)) for d in self.dimensions)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def format_value(value: Any) -> str:
    """A value as a user types it: ``0.001``, ``64``, ``adam``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _parse_scalar(text: str) -> Any:
    """``64`` -> 64, ``1e-3`` -> 0.001, ``true`` -> True, ``null`` -> None, anything else stays text."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    return value if math.isfinite(value) else t


def split_spec(text: str) -> tuple[str, str]:
    """``"hidden_1.units=8,16"`` -> ``("hidden_1.units", "8,16")``; refuses text without ``=``."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise SweepSpaceError(f"{text!r}: write NAME=v1,v2,v3 or NAME=low..high (for example "
                              "learning_rate=0.0001..0.1 or hidden_1.units=8,16,32)")
    if not rest.strip():
        raise SweepSpaceError(f"{name}: no values after '=' (write {name}=v1,v2 or {name}=low..high)")
    return name, rest.strip()


@dataclass(frozen=True)
class _Target:
    """What a dimension name points at: its kind, and how to check one value."""

    kind: str
    node: str | None
    key: str
    choices: tuple[Any, ...] = ()
    param: Param | None = None


def _target(name: str, graph: Any) -> _Target:
    if "." not in name:
        if name in SWEEPABLE_SETTINGS:
            return _Target(SWEEPABLE_SETTINGS[name], None, name, SETTING_CHOICES.get(name, ()))
        if name in DEFAULT_SETTINGS:
            raise SweepSpaceError(f"{name}: this training setting cannot be swept (sweepable settings: "
                                  f"{', '.join(SWEEPABLE_SETTINGS)})")
        hint = ""
        if graph is not None and graph.node_by_name(name) is not None:
            hint = f"; to sweep a parameter of layer '{name}', write {name}.PARAM (for example {name}.units)"
        raise SweepSpaceError(f"{name}: not a training setting{hint or ' and not LAYER.PARAM'} "
                              f"(settings: {', '.join(SWEEPABLE_SETTINGS)})")
    layer, _, key = name.rpartition(".")
    node = graph.node_by_name(layer) if graph is not None else None
    if node is None:
        names = ", ".join(n.name for n in graph.nodes()) if graph is not None else ""
        raise SweepSpaceError(f"{name}: the model has no layer named '{layer}'" + (f" (layers: {names})" if names
                                                                                  else ""))
    spec = node.spec
    param = spec.param(key) if spec is not None else None
    if param is None:
        known = ", ".join(p.name for p in spec.params if p.kind in SWEEPABLE_KINDS) if spec else ""
        raise SweepSpaceError(f"{name}: {node.class_name} layer '{layer}' has no parameter '{key}'"
                              + (f" (it has: {known})" if known else ""))
    if param.kind not in SWEEPABLE_KINDS:
        raise SweepSpaceError(f"{name}: '{key}' is a {param.kind.value} parameter, which cannot be swept; only "
                              "single numbers, choices, true/false and text can")
    kind = {ParamKind.INT: "int", ParamKind.FLOAT: "float", ParamKind.BOOL: "bool"}.get(param.kind, "choice")
    if param.kind is ParamKind.STR:
        kind = "str"
    return _Target(kind, layer, key, param.choices, param)


def _value_problem(target: _Target, value: Any) -> str | None:
    """Why ``value`` cannot be used for ``target``, or None."""
    if target.param is not None:
        return target.param.validate(value)
    kind, key = target.kind, target.key
    if kind == "bool" and not isinstance(value, bool):
        return f"'{key}' must be true or false (got {format_value(value)})"
    if kind == "choice":
        if value not in target.choices:
            return f"'{key}' must be one of {', '.join(target.choices)} (got {format_value(value)})"
        return None
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        return f"'{key}' must be a whole number (got {format_value(value)})"
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"'{key}' must be a number (got {format_value(value)})"
    problems = [p for p in check_settings({key: value}) if p.key == key]
    return f"'{key}' {problems[0].message}" if problems else None


def parse_dimension(text: str, graph: Any = None, *, log: bool = False) -> Dimension:
    """One ``NAME=v1,v2`` / ``NAME=lo..hi`` spec, checked against ``graph`` (a core Graph)."""
    name, rest = split_spec(text)
    target = _target(name, graph)
    if ".." in rest:
        lo_text, _, hi_text = rest.partition("..")
        low, high = _parse_scalar(lo_text), _parse_scalar(hi_text)
        if target.kind not in ("int", "float"):
            raise SweepSpaceError(f"{name}: a range needs a numeric parameter; list the values instead "
                                  f"({name}=v1,v2,...)")
        for end in (low, high):
            if isinstance(end, bool) or not isinstance(end, (int, float)):
                raise SweepSpaceError(f"{name}: {format_value(end)!r} is not a number (write {name}=low..high)")
        if target.kind == "int" and not (isinstance(low, int) and isinstance(high, int)):
            raise SweepSpaceError(f"{name} is a whole number, so the range ends must be whole numbers "
                                  f"(got {lo_text.strip()}..{hi_text.strip()})")
        if not low < high:
            raise SweepSpaceError(f"{name}: the range must go from low to high (got {_fmt(low)}..{_fmt(high)})")
        if log and low <= 0:
            raise SweepSpaceError(f"{name}: a log range must start above 0 (got {_fmt(low)})")
        for end in (low, high):
            value = float(end) if target.kind == "float" else end
            problem = _value_problem(target, value)
            if problem:
                raise SweepSpaceError(f"{name}: the range end {_fmt(end)} cannot be used: {problem}")
        return Dimension(name, target.kind, (), float(low) if target.kind == "float" else low,
                         float(high) if target.kind == "float" else high, log, target.node, target.key)
    if log:
        raise SweepSpaceError(f"{name}: --log applies to ranges (low..high), not to a list of values")
    values: list[Any] = []
    for part in rest.split(","):
        if not part.strip():
            raise SweepSpaceError(f"{name}: an empty value in {rest!r} (write {name}=v1,v2,v3)")
        value = _parse_scalar(part)
        if target.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        problem = _value_problem(target, value)
        if problem:
            raise SweepSpaceError(f"{name}: {format_value(value)} cannot be used: {problem}")
        if value not in values:
            values.append(value)
    if len(values) > MAX_LIST_VALUES:
        raise SweepSpaceError(f"{name}: {len(values)} values is too many (at most {MAX_LIST_VALUES})")
    return Dimension(name, target.kind, tuple(values), None, None, False, target.node, target.key)


def parse_space(specs: Sequence[str], graph: Any = None, log_names: Iterable[str] = ()) -> SweepSpace:
    """Every ``--param`` spec, checked; ``log_names`` are the names given to ``--log``."""
    if not specs:
        raise SweepSpaceError("nothing to sweep: give at least one --param NAME=v1,v2 or NAME=low..high")
    logs = set(log_names)
    names = [split_spec(s)[0] for s in specs]
    for name in logs:
        if name not in names:
            raise SweepSpaceError(f"--log {name}: there is no --param {name}=low..high to make logarithmic")
    seen: set[str] = set()
    dimensions = []
    for spec, name in zip(specs, names, strict=True):
        if name in seen:
            raise SweepSpaceError(f"{name}: given twice; give each parameter once")
        seen.add(name)
        dimensions.append(parse_dimension(spec, graph, log=name in logs))
    return SweepSpace(dimensions)


def space_from_dicts(items: Iterable[Mapping[str, Any]]) -> SweepSpace:
    """The inverse of :meth:`Dimension.to_dict` (for trial records), unchecked."""
    return SweepSpace([Dimension(str(d["name"]), str(d["kind"]), tuple(d.get("values") or ()), d.get("low"),
                                 d.get("high"), bool(d.get("log")), d.get("node"), str(d.get("key", "")))
                       for d in items])


def dimension_for(name: str, graph: Any, current: Any) -> str:
    """A starting spec for ``name`` (the Experiments dock's "Sweep this…"): a range around the
    current value for numbers, every choice for choices."""
    target = _target(name, graph)
    if target.kind == "bool":
        return f"{name}=true,false"
    if target.kind == "choice":
        choices = list(target.choices)[:6] or [current]
        if current in choices:
            choices.remove(current)
            choices.insert(0, current)
        return f"{name}={','.join(format_value(c) for c in choices)}"
    if target.kind == "int" and isinstance(current, int) and not isinstance(current, bool) and current > 0:
        return f"{name}={max(1, current // 2)}..{current * 2}"
    if target.kind == "float" and isinstance(current, (int, float)) and current > 0:
        if name == "learning_rate":
            return f"{name}={_fmt(current / 10)}..{_fmt(current * 10)}"
        high = current * 2
        if target.param is not None and target.param.maximum is not None:
            high = min(high, target.param.maximum)
        return f"{name}={_fmt(current / 2)}..{_fmt(high)}"
    return f"{name}={format_value(current)}"


def is_log_default(name: str) -> bool:
    """Rates whose useful values span decades are searched on a log scale by default."""
    return name in ("learning_rate", "weight_decay") or name.endswith(("_regularizer", ".epsilon"))


def is_sweepable(param: Param) -> bool:
    """True when the Inspector should offer "Sweep this…" for ``param``."""
    return param.kind in SWEEPABLE_KINDS


def current_value(name: str, graph: Any, training: Mapping[str, Any]) -> Any:
    """The project's value for dimension ``name`` (a layer's config or the settings with defaults)."""
    if "." in name:
        layer, _, key = name.rpartition(".")
        node = graph.node_by_name(layer)
        if node is None:
            return None
        if key in node.config:
            return node.config[key]
        param = node.spec.param(key) if node.spec is not None else None
        return param.default if param is not None else None
    return {**DEFAULT_SETTINGS, **dict(training)}.get(name)


def apply_values(graph: Any, training: Mapping[str, Any], space: SweepSpace,
                 values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A copy of ``graph`` and of ``training`` with a trial's ``values`` put in (neither input changes)."""
    new_graph = graph.copy()
    new_training = copy.deepcopy(dict(training))
    for dim in space.dimensions:
        if dim.name not in values:
            continue
        value = values[dim.name]
        if dim.node is None:
            new_training[dim.key] = value
        else:
            node = new_graph.node_by_name(dim.node)
            if node is None:
                raise SweepSpaceError(f"{dim.name}: the model no longer has a layer named '{dim.node}'")
            new_graph.set_param(node.id, dim.key, value)
    return new_graph, new_training


def trial_label(values: Mapping[str, Any]) -> str:
    """``learning_rate=0.003 hidden_1.units=32`` (a table cell, a log line)."""
    return " ".join(f"{k}={format_value(v)}" for k, v in values.items())


def metric_direction(metric: str) -> str:
    """``minimize`` for losses and errors, else ``maximize``."""
    base = metric.removeprefix("val_").removeprefix("test_")
    return "minimize" if base in ("loss", "mae", "mse", "rmse") or base.endswith("loss") else "maximize"


def available_metrics(training: Mapping[str, Any]) -> list[str]:
    """The metric names a sweep can optimize for these settings: what ``fit`` reports, plus
    ``test_`` twins when there is a test split."""
    s = {**DEFAULT_SETTINGS, **dict(training)}
    base = ["loss", *[m for m in s["metrics"] if isinstance(m, str)]]
    names = list(base)
    if s["validation_split"]:
        names += [f"val_{m}" for m in base]
    if s["test_split"]:
        names += [f"test_{m}" for m in base]
    return names


def default_metric(training: Mapping[str, Any]) -> str:
    """``val_accuracy`` when the run reports it, else the first of val_loss / loss."""
    names = available_metrics(training)
    for choice in ("val_accuracy", "accuracy", "val_loss"):
        if choice in names:
            return choice
    return "loss"


def metric_problem(metric: str, training: Mapping[str, Any]) -> str | None:
    """Why ``metric`` cannot be optimized with these settings, or None."""
    names = available_metrics(training)
    if metric in names:
        return None
    return f"--metric {metric}: training does not report it with these settings; choose one of {', '.join(names)}"


def values_json(values: Mapping[str, Any]) -> str:
    return json.dumps(dict(values), sort_keys=True, default=str)


__all__ = [
    "DEFAULT_GRID_POINTS",
    "SWEEPABLE_SETTINGS",
    "Dimension",
    "SweepSpace",
    "SweepSpaceError",
    "apply_values",
    "available_metrics",
    "current_value",
    "default_metric",
    "dimension_for",
    "format_value",
    "is_log_default",
    "is_sweepable",
    "metric_direction",
    "metric_problem",
    "parse_dimension",
    "parse_space",
    "space_from_dicts",
    "split_spec",
    "trial_label",
]
