"""Convolutional LSTMs: ConvLSTM1D/2D/3D, an LSTM whose gates are convolutions, for
sequences of signals, images or volumes (Keras' ``keras.src.layers.rnn.conv_lstm``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.catalog.convolution import (
    AXIS_NAMES,
    _check_strides_with_dilation,
    _cpu_channels_first_warn,
    data_format_param,
    int_tuple,
    join_channels,
    known_channels,
    padding_param,
    per_axis,
    split_channels,
    window_lengths,
)
from app.core.catalog.recurrent import CATEGORY, _check_stateful, _no_return_state, loop_params
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
    constraint,
    initializer,
    rate,
    regularizer,
    seed,
)


def _params(n: int) -> tuple[Param, ...]:
    return (
        *base_params(),
        *loop_params("Also return the final states (not supported: one output).", "another ConvLSTM",
                     _no_return_state),
        Param("filters", ParamKind.INT, 32, "Number of filters: the channels of the state and the output.",
              minimum=1, required=True),
        int_tuple("kernel_size", [3] * n, n, "Size of the convolution window along each axis.", required=True),
        int_tuple("strides", [1] * n, n, "Step of the input convolution along each axis."),
        padding_param(),
        data_format_param(),
        int_tuple("dilation_rate", [1] * n, n, "Spacing between kernel taps.", advanced=True),
        activation(default="tanh"),
        Param("recurrent_activation", ParamKind.ACTIVATION, "sigmoid",
              "Function used by the gates (they must stay between 0 and 1).", advanced=True),
        Param("use_bias", ParamKind.BOOL, True, "Add learned biases."),
        initializer("kernel_initializer", "glorot_uniform"),
        initializer("recurrent_initializer", "orthogonal"),
        initializer("bias_initializer", "zeros"),
        Param("unit_forget_bias", ParamKind.BOOL, True,
              "Start the forget gate's bias at 1 so the cell remembers at first.", advanced=True),
        regularizer("kernel_regularizer"),
        regularizer("recurrent_regularizer"),
        regularizer("bias_regularizer"),
        regularizer("activity_regularizer"),
        constraint("kernel_constraint"),
        constraint("recurrent_constraint"),
        constraint("bias_constraint"),
        rate("dropout", 0.0, "Fraction of the inputs dropped at each step while training.", required=False),
        rate("recurrent_dropout", 0.0, "Fraction of the recurrent state dropped while training.", required=False),
        seed(),
    )


def _rules(layer: str, n: int) -> tuple[Any, Any]:
    def channels_of(cfg: Config, shape: Shape) -> tuple[tuple[int | None, ...], int]:
        want = n + 3
        fmt = cfg["data_format"]
        if len(shape) != want:
            axes = ", ".join(AXIS_NAMES[n])
            where = (f"(batch, time, channels, {axes})" if fmt == "channels_first"
                     else f"(batch, time, {axes}, channels)")
            raise ShapeError(
                f"{layer} expects a {want}-D input {where} but gets {len(shape)}-D {fmt_shape(shape)}: a sequence "
                f"of {'signals' if n == 1 else 'images' if n == 2 else 'volumes'}, one per timestep.",
                port="input",
            )
        step = (shape[0], *shape[2:])
        spatial, channels = split_channels(step, fmt)
        if any(d is None for d in spatial):
            raise ShapeError(
                f"{layer} needs fixed sizes for the {' × '.join(AXIS_NAMES[n])} of every frame, but "
                f"{fmt_shape(shape)} has None there. Give the Input fixed frame sizes (the time axis may stay None).",
                port="input",
            )
        return spatial, known_channels(channels, layer, fmt)

    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        channels_of(cfg, shape)
        kernel, strides, dilation = (per_axis(cfg[k], n) for k in ("kernel_size", "strides", "dilation_rate"))
        _check_strides_with_dilation(layer, strides, dilation)
        _check_stateful(cfg, shape, layer)
        step = (shape[0], *shape[2:])
        spatial = window_lengths(step, n, layer, cfg["data_format"], kernel, strides, cfg["padding"], dilation,
                                 pooling=False)
        out = join_channels(shape[0], spatial, cfg["filters"], cfg["data_format"])
        if cfg["return_sequences"]:
            return (shape[0], shape[1], *out[1:])
        return out

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        _, channels = channels_of(cfg, inputs[0])
        window = 1
        for k in per_axis(cfg["kernel_size"], n):
            window *= k
        filters = cfg["filters"]
        gates = 4 * filters
        return (window * channels * gates + window * filters * gates + (gates if cfg["use_bias"] else 0), 0)

    return output, count


def _conv_lstm_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Per timestep, four gates convolve the input (C channels) and the state (filters channels)
    over every output position; the state convolution keeps the output's size."""
    shape = inputs[0]
    fmt = cfg.get("data_format") or "channels_last"
    step = (shape[0], *shape[2:])
    _, channels = split_channels(step, fmt)
    last = output if not cfg.get("return_sequences") else (output[0], *output[2:])
    spatial, _ = split_channels(last, fmt)
    positions, steps = elements(spatial), shape[1]
    if channels is None or positions is None or steps is None:
        return None
    window = elements(per_axis(cfg["kernel_size"], len(spatial))) or 0
    filters = cfg["filters"]
    return (steps * positions * window * (channels + filters) * 4 * filters, 0)


def _spec(n: int, doc: LayerDoc) -> LayerSpec:
    name = f"ConvLSTM{n}D"
    output, count = _rules(name, n)
    return LayerSpec(class_name=name, category=CATEGORY, name_prefix=f"conv_lstm{n}d", params=_params(n),
                     output=output, count=count, warn=_cpu_channels_first_warn(name), doc=doc, cost=_conv_lstm_cost)


_WEIGHTS = "Weights: window·C·4·filters (input) + window·filters·4·filters (state) + 4·filters (bias)."

CONV_LSTM1D = _spec(1, LayerDoc(
    summary="An LSTM whose gates are 1-D convolutions: it reads a sequence of signals and keeps a memory that "
    "is itself a signal, so it learns patterns in time and along each signal.",
    formula="gates = σ/tanh(conv(x_t, W) + conv(h_{t−1}, U) + b); c_t = f·c_{t−1} + i·g; h_t = o·tanh(c_t)",
    shape=f"(None, T, steps, C) -> (None, steps', filters), or (None, T, steps', filters) with "
    f"return_sequences. {_WEIGHTS}",
    use="Sequences of short signals or spectra, such as successive sensor windows.",
    mistake="Feeding one signal (None, steps, C): it needs a time axis in front, (None, T, steps, C).",
))

CONV_LSTM2D = _spec(2, LayerDoc(
    summary="An LSTM whose gates are 2-D convolutions: it reads a sequence of images (video frames, radar "
    "maps) and keeps a memory that is itself an image.",
    formula="gates = σ/tanh(conv(x_t, W) + conv(h_{t−1}, U) + b); c_t = f·c_{t−1} + i·g; h_t = o·tanh(c_t)",
    shape=f"(None, T, H, W, C) -> (None, H', W', filters), or (None, T, H', W', filters) with "
    f"return_sequences; H' and W' as in Conv2D. {_WEIGHTS}",
    use="Forecasting the next frames of a video or of weather radar (precipitation nowcasting).",
    mistake="Feeding single images (None, H, W, C): it needs a time axis, (None, T, H, W, C).",
))

CONV_LSTM3D = _spec(3, LayerDoc(
    summary="An LSTM whose gates are 3-D convolutions: it reads a sequence of volumes and keeps a memory that "
    "is itself a volume.",
    formula="gates = σ/tanh(conv(x_t, W) + conv(h_{t−1}, U) + b); c_t = f·c_{t−1} + i·g; h_t = o·tanh(c_t)",
    shape=f"(None, T, D, H, W, C) -> (None, D', H', W', filters), or with the time axis kept by "
    f"return_sequences. {_WEIGHTS}",
    use="Time series of 3-D scans or simulations.",
    mistake="Large volumes: every timestep runs two 3-D convolutions per gate, so memory grows fast.",
))


SPECS: tuple[LayerSpec, ...] = (CONV_LSTM1D, CONV_LSTM2D, CONV_LSTM3D)
