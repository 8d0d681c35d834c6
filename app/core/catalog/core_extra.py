"""More core layers: Masking, Identity and EinsumDense.

EinsumDense's shape and weight rules follow Keras' own parser of the equation
(``keras.src.layers.core.einsum_dense._analyze_split_string``) step for step, so the
output shape matches Keras even where Keras keeps a ``None`` the user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.core.catalog.core_layers import EMBEDDING, _no_quantization
from app.core.catalog.costs import free, per_output, per_sample
from app.core.catalog.rules import elements, fmt_shape
from app.core.catalog.spec import (
    Config,
    Cost,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    Shape,
    ShapeError,
    activation,
    base_params,
    kernel_bias_params,
    no_weights,
    same_shape,
)

CATEGORY = "Core"

MASKING = LayerSpec(
    class_name="Masking",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("mask_value", ParamKind.FLOAT, 0.0, "Timesteps whose features all equal this value are skipped."),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Marks padding timesteps so that the recurrent and attention layers after it skip them; the "
        "values themselves pass through unchanged.",
        formula="mask[t] = any(x[t, :] ≠ mask_value)",
        shape="Output shape equals input shape, usually (None, timesteps, features).",
        use="Sequences of different lengths padded with zeros before an LSTM or GRU.",
        mistake="Padding with a value that also occurs in real data, so real steps are skipped too.",
    ),
)

IDENTITY = LayerSpec(
    class_name="Identity",
    cost=free,
    category=CATEGORY,
    params=base_params(),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Returns its input unchanged.",
        shape="Output shape equals input shape.",
        use="A placeholder where a block may hold a layer or nothing, e.g. a skip path with no projection.",
        mistake="Expecting it to copy or detach the tensor: it is the same value.",
    ),
)


# --- EinsumDense ----------------------------------------------------------------------------

_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), False),
)


def _split(equation: str) -> tuple[str, str, str, bool] | None:
    """(input, weight, output, left_elided) of an equation in one of Keras' three forms."""
    text = equation.replace("...", "0")
    for pattern, left in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            return match.group(1), match.group(2), match.group(3), left
    return None


def _check_equation(value: Any) -> str | None:
    if not isinstance(value, str) or _split(value) is None:
        return (f"'equation' must read input,weights->output, such as 'ab,bc->ac', '...b,bc->...c' or "
                f"'ab...,bc->ac...' (got {value!r})")
    return None


def _check_output_shape(value: Any) -> str | None:
    def size(v: Any) -> bool:
        return v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)

    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return None
    if isinstance(value, (list, tuple)) and all(size(v) for v in value):
        return None
    return f"'output_shape' must be a size or a list of sizes (None for one taken from the input), got {value!r}"


def _check_bias_axes(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.isalpha()):
        return None
    return f"'bias_axes' must be letters of the output spec, such as 'c' (got {value!r})"


def einsum_analysis(cfg: Config, shape: Shape) -> tuple[list[int | None], list[int | None] | None, Shape]:
    """(kernel shape, bias shape, output shape) as Keras computes them, or ShapeError."""
    parts = _split(cfg["equation"])
    if parts is None:
        raise ShapeError(f"EinsumDense: the equation {cfg['equation']!r} is not one Keras reads.")
    input_spec, weight_spec, output_spec, left = parts
    elided = len(shape) - len(input_spec)
    has_ellipsis = "..." in cfg["equation"]
    if (not has_ellipsis and elided != 0) or elided < 0:
        raise ShapeError(
            f"EinsumDense: the equation's input '{input_spec}' names {len(input_spec)} axes (batch included) "
            f"but the input {fmt_shape(shape)} has {len(shape)}. Write one letter per axis, or use '...' for "
            "the leading axes.",
            port="input",
        )
    wanted = cfg["output_shape"]
    out: list[int | None] = [wanted] if isinstance(wanted, int) else list(wanted)
    out.insert(0, shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, shape[i])
    elif elided > 0:
        out.extend(shape[len(shape) - elided:])
    if left:
        in_map = {d: (i + elided) - len(shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    if len(out) != len(output_spec) + elided:
        raise ShapeError(
            f"EinsumDense: output_shape {wanted!r} gives {len(out) - 1 - elided} sizes, but the output spec "
            f"'{output_spec}' needs one for each letter after the batch axis ({len(output_spec) - 1}).",
        )
    for d in input_spec:
        if d in out_map and out[out_map[d]] is not None and out[out_map[d]] != shape[in_map[d]]:
            raise ShapeError(
                f"EinsumDense: axis '{d}' is {shape[in_map[d]]} in the input {fmt_shape(shape)} but "
                f"{out[out_map[d]]} in output_shape; a shared axis must keep its size.",
                port="input",
            )
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ShapeError(f"EinsumDense: output axis '{d}' appears in neither the input nor the weights.")
    kernel: list[int | None] = []
    for d in weight_spec:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(shape[in_map[d]])
        else:
            raise ShapeError(f"EinsumDense: weight axis '{d}' appears in neither the input nor the output.")
    bias: list[int | None] | None = None
    axes = cfg["bias_axes"]
    if axes is not None:
        offset = elided if left else 0
        sizes = {c: out[i + offset] for i, c in enumerate(output_spec)}
        missing = [c for c in axes if c not in output_spec]
        if missing:
            raise ShapeError(f"EinsumDense: bias axis '{missing[0]}' is not in the output spec '{output_spec}'.")
        first = min(output_spec.find(c) for c in axes)
        bias = [sizes[c] if c in axes else 1 for c in output_spec[first:]]
        if not left:
            bias.extend([1] * elided)
    return kernel, bias, tuple(out)


def _einsum_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    kernel, bias, out = einsum_analysis(cfg, inputs[0])
    if any(d is None for d in [*kernel, *(bias or [])]):
        raise ShapeError(
            f"EinsumDense: its weights would have shape {fmt_shape(kernel)}, with an unknown size: give that "
            "axis a fixed size in the Input, or a size in output_shape.",
            port="input",
        )
    return out


def _einsum_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    kernel, bias, _ = einsum_analysis(cfg, inputs[0])
    total = 1
    for d in kernel:
        total *= d or 0
    if bias is not None:
        size = 1
        for d in bias:
            size *= d or 0
        total += size
    return (total, 0)


def _einsum_dense_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every output value sums over the weight axes it does not keep: output values · contracted sizes."""
    kernel, _, _ = einsum_analysis(cfg, inputs[0])
    parts = _split(cfg["equation"])
    out = per_sample(output)
    if parts is None or out is None:
        return None
    _, weight_spec, output_spec, _ = parts
    contracted = [size for letter, size in zip(weight_spec, kernel, strict=True) if letter not in output_spec]
    total = elements(contracted)
    return None if total is None else (out * total, 0)


EINSUM_DENSE = LayerSpec(
    class_name="EinsumDense",
    cost=_einsum_dense_cost,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("output_shape", ParamKind.JSON, [64], "Sizes of the output axes after the batch axis (None: the "
              "size of the same axis of the input).", required=True, check=_check_output_shape),
        Param("equation", ParamKind.STR, "ab,bc->ac", "input,weights->output in Einstein notation: every letter "
              "is an axis; letters missing from the output are summed over.", required=True,
              check=_check_equation),
        activation(),
        Param("bias_axes", ParamKind.STR, None, "Output letters that get a learned bias; empty for none.",
              nullable=True, check=_check_bias_axes),
        *kernel_bias_params(),
        Param("quantization_config", ParamKind.JSON, None, "Quantization settings.", nullable=True, advanced=True,
              check=_no_quantization),
    ),
    output=_einsum_output,
    count=_einsum_count,
    doc=LayerDoc(
        summary="A Dense layer for any axes: an Einstein-notation equation says which input axes are "
        "multiplied with the weights, which are summed away and which are kept.",
        formula="'abc,cd->abd': y[a, b, d] = Σ_c x[a, b, c] · W[c, d] (+ bias on the chosen axes)",
        shape="Set by the equation and output_shape: 'abc,cde->abde' with output_shape (None, 4, 8) maps "
        "(None, T, C) to (None, T, 4, 8). Weights: the product of the weight axes, plus the bias.",
        use="The projections inside attention layers (one weight tensor per head), and mixing several axes "
        "at once without Reshape.",
        mistake="Letters that do not match the input's rank: write one letter per axis, the batch included, "
        "or start with '...'.",
    ),
)


# --- ReversibleEmbedding ----------------------------------------------------------------------

def _reversible_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    """The table, plus a second (output_dim × input_dim) one when the two directions are not tied."""
    table = cfg["input_dim"] * cfg["output_dim"]
    return (table if cfg["tie_weights"] else 2 * table, 0)


REVERSIBLE_EMBEDDING = LayerSpec(
    class_name="ReversibleEmbedding",
    cost=free,
    category=CATEGORY,
    params=(
        *EMBEDDING.params,
        Param("tie_weights", ParamKind.BOOL, True, "Use the same table to map vectors back to token scores "
              "(False learns a second table)."),
        Param("reverse_dtype", ParamKind.JSON, None, "Numeric type of the reverse product; empty for the "
              "layer's own.", nullable=True, advanced=True),
        Param("logit_soft_cap", ParamKind.FLOAT, None, "Squash the reverse scores into ±cap with tanh; empty "
              "for none.", nullable=True, minimum=0.0, exclusive_minimum=True, advanced=True),
    ),
    output=lambda cfg, inputs: (*inputs[0], cfg["output_dim"]),
    count=_reversible_count,
    doc=LayerDoc(
        summary="An Embedding that also works backwards: called with reverse=True it scores a vector against "
        "every token (a product with the transposed table), as language models do for their output.",
        formula="forward: y[t] = E[x[t]]; reverse: logits = h · Eᵀ",
        shape="(None, timesteps) -> (None, timesteps, output_dim) in the forward direction, the one the canvas "
        "draws. Weights: input_dim·output_dim, twice that without tie_weights.",
        use="Language models that share the input embedding with the output layer (weight tying).",
        mistake="Expecting the canvas to draw the reverse call: a node calls the layer forwards.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (MASKING, IDENTITY, EINSUM_DENSE, REVERSIBLE_EMBEDDING)
