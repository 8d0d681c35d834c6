"""Arithmetic shared by the shape rules: conv lengths, axes, element counts, rank checks.

These follow Keras' own formulas (``keras.src.ops.operation_utils``) so the numbers agree;
``tests/keras`` is the oracle that keeps them honest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from app.core.catalog.spec import Fix, Shape, ShapeError


def fmt_shape(shape: Sequence[int | None]) -> str:
    """``(None, 28, 28, 1)`` as people write it."""
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def require_rank(
    shape: Shape,
    ranks: int | Iterable[int],
    layer: str,
    port: str = "input",
    fix: Fix | None = None,
    hint: str = "",
) -> None:
    """Raise a ShapeError naming the expected and actual rank (batch axis included)."""
    allowed = {ranks} if isinstance(ranks, int) else set(ranks)
    if len(shape) in allowed:
        return
    want = " or ".join(f"{r}-D" for r in sorted(allowed))
    message = f"{layer} expects a {want} input (batch included) but gets {len(shape)}-D {fmt_shape(shape)}."
    if hint:
        message += " " + hint
    raise ShapeError(message, port=port, fix=fix)


def require_min_rank(shape: Shape, rank: int, layer: str, port: str = "input") -> None:
    if len(shape) < rank:
        raise ShapeError(
            f"{layer} expects at least a {rank}-D input (batch included) but gets {fmt_shape(shape)}.",
            port=port,
        )


def require_known(dim: int | None, what: str, layer: str, port: str = "input") -> int:
    """Weights need a known size: a ``None`` here means the model cannot be built."""
    if dim is None:
        raise ShapeError(f"{layer} needs a known {what}, but it is None (variable size).", port=port)
    return dim


def conv_length(length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras' formula)."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        return (length + stride - 1) // stride
    effective = (kernel - 1) * dilation + 1
    return (length - effective + stride) // stride


def checked_conv_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int, layer: str, axis_name: str
) -> int | None:
    out = conv_length(length, kernel, stride, padding, dilation)
    if out is not None and out <= 0:
        effective = (kernel - 1) * dilation + 1
        raise ShapeError(
            f"{layer}: the {axis_name} is {length}, smaller than the window ({effective}) "
            f"with padding '{padding}'. Use padding 'same', a smaller kernel, or remove a pooling step earlier.",
            port="input",
        )
    return out


def deconv_length(
    length: int | None, kernel: int, stride: int, padding: str, output_padding: int | None, dilation: int = 1
) -> int | None:
    """Output length of a transposed convolution (Keras' ``compute_conv_transpose_output_length``)."""
    if length is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        return length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


def normalize_axis(axis: int, rank: int, layer: str, port: str = "input") -> int:
    """Turn a negative axis into a positive index, or say the axis does not exist."""
    index = axis + rank if axis < 0 else axis
    if not 0 <= index < rank:
        raise ShapeError(f"{layer}: axis {axis} does not exist in a {rank}-D tensor.", port=port)
    return index


def elements(dims: Iterable[int | None]) -> int | None:
    """Product of dims, or None when any is unknown."""
    total = 1
    for d in dims:
        if d is None:
            return None
        total *= d
    return total


def as_pair(value: int | Sequence[int]) -> tuple[int, ...]:
    return (value, value) if isinstance(value, int) else tuple(value)


def ceil_div(a: int, b: int) -> int:
    return math.ceil(a / b)
