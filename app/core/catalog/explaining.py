"""Pieces of the help panel's worked sentences, shared by the catalog's ``explain`` rules.

A spec's ``explain`` rule gets an :class:`~app.core.catalog.spec.ExplainContext` and returns
sentences whose first one quotes the node's parameter count, written as
``(None, 784) -> (None, 128): 784 x 128 weights + 128 biases = 100,480 parameters``;
:mod:`app.core.explain` checks that count against the shape analysis and falls back to a
generic sentence when they differ, so a rule may be simple without ever showing a wrong number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog.rules import elements, fmt_shape
from app.core.catalog.spec import ExplainContext, ExplainRule, Sentence


def params_text(total: int) -> str:
    """``no parameters``, ``1 parameter``, ``1,600 parameters``."""
    if total == 0:
        return "no parameters"
    return f"{total:,} parameter{'s' if total != 1 else ''}"


def arrow(ctx: ExplainContext) -> str:
    """``(None, 4) + (None, 4) -> (None, 8)``: the node's input and output shapes."""
    ins = " + ".join(fmt_shape(s) for s in ctx.inputs)
    return f"{ins} -> {fmt_shape(ctx.output)}"


def dims(sizes: Sequence[int | None]) -> str:
    """``3x3``; unknown sizes as ``?``."""
    return "x".join("?" if d is None else str(d) for d in sizes)


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def pct(rate: float) -> str:
    return f"{rate * 100:g}%"


def every_value(ctx: ExplainContext) -> str:
    """``each of the 80 values`` of the output, or ``every value`` when the size is not known."""
    n = elements(ctx.output[1:])
    return f"each of the {n:,} values" if n is not None else "every value"


def wrapped(value: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A wrapped layer's class and its config with Keras defaults filled in (its name left out)."""
    from app.core.catalog import get_spec  # the catalog package imports the families that import this

    class_name = value["class_name"]
    spec = get_spec(class_name)
    full = spec.default_config() if spec else {}
    full.update({k: v for k, v in (value.get("config") or {}).items() if k != "name"})
    return class_name, full


def no_weights_sentence(what: str) -> ExplainRule:
    """A rule for a layer without weights: its shapes, then ``what`` it does (a format string over
    the config, ``{cfg[rate]}``) and ``no parameters``."""
    def build(ctx: ExplainContext) -> Sentence:
        return f"{arrow(ctx)}: {what.format(cfg=ctx.cfg)}; {params_text(0)}", 0
    return build


def dropout_explain(what: str) -> ExplainRule:
    """Dropout and its spatial forms: how much of ``what`` they drop while training."""
    def build(ctx: ExplainContext) -> Sentence:
        return (f"{arrow(ctx)}: drops {pct(ctx.cfg['rate'])} of the {what} while training; nothing at inference; "
                f"{params_text(0)}", 0)
    return build
