"""Cost rules shared by the catalog's families: the pieces a spec's ``cost`` is built from.

A cost is (multiply-adds, other operations) of one layer call for one sample at inference;
:mod:`app.core.insight` states the conventions and turns it into FLOPs and totals. The
constants below are the per-value operation counts those conventions fix; a rule that
cannot work a number out returns ``None``, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog.rules import elements
from app.core.catalog.spec import Config, Cost, CostRule, Shape

BATCH_NORM_OPS = 4
"""Per value at inference: subtract the moving mean, divide by the moving std, scale, shift."""

LAYER_NORM_OPS = 7
"""Per value: mean (1), variance (2), then subtract, divide, scale and shift (4)."""

UNIT_NORM_OPS = 3
"""Per value: square, sum, divide."""

AFFINE_OPS = 2
"""Per value for Rescaling and Normalization: one multiply (or divide) and one add."""

SOFTMAX_OPS = 3
"""Per value: exponential, sum, divide."""

RESIZE_OPS: dict[str, int] = {"nearest": 0, "bilinear": 8, "bicubic": 32}
"""Per output value for resizing: nearest copies; bilinear blends 4 neighbours, bicubic 16.
Other interpolations (area, lanczos) are unknown."""

RULE_ERRORS = (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, AssertionError)
"""What a rule may raise on a config it was not written for: the cost is then unknown."""


def layer_cost(class_name: str, config: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """(MACs, other operations) of one layer call for one sample, or None when unknown.

    Takes plain Keras class names and configs, so it also works for the layers inside a
    wrapper or a Keras model (which is how the backbone walks are checked).
    """
    # Imported here: the catalog package imports the family modules that import this one.
    from app.core.catalog import get_spec

    spec = get_spec(class_name)
    if spec is None or spec.cost is None:
        return None
    try:
        return spec.cost(config, inputs, output)
    except RULE_ERRORS:
        return None


def per_sample(shape: Shape) -> int | None:
    """Values in one sample (all axes but the batch)."""
    return elements(shape[1:])


def times(n: int | None, k: int) -> Cost | None:
    """``k`` simple operations for each of ``n`` values."""
    return None if n is None else (0, n * k)


def full_config(value: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A wrapped layer's class and config with Keras defaults for missing keys."""
    from app.core.catalog import get_spec

    class_name = value["class_name"]
    spec = get_spec(class_name)
    full = spec.default_config() if spec else {}
    full.update(value.get("config") or {})
    return class_name, full


def free(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Layers that only move values, or do nothing at inference."""
    return (0, 0)


def per_output(k: int) -> CostRule:
    """``k`` simple operations per output value (activations, normalization, scaling)."""
    def rule(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
        return times(per_sample(output), k)
    return rule


def per_input(k: int) -> CostRule:
    """``k`` simple operations per value of the first input (reductions, global pooling)."""
    def rule(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
        return times(per_sample(inputs[0]), k)
    return rule


def elementwise(extra: int = 0) -> CostRule:
    """Merges: n inputs need n − 1 operations per output value (Average one more, to divide)."""
    def rule(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
        return times(per_sample(output), len(inputs) - 1 + extra)
    return rule


def activation_ops(name: Any) -> int:
    """Operations per value of an activation function: softmax-like ones need three."""
    if name in (None, "linear"):
        return 0
    return SOFTMAX_OPS if name in ("softmax", "log_softmax") else 1
