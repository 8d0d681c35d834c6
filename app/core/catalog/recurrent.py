"""Recurrent layers: SimpleRNN, LSTM, GRU and the Bidirectional and TimeDistributed wrappers.

SimpleRNN, LSTM and GRU have extra ports for what Keras takes and gives besides the sequence:
input ports ``mask`` (an explicit boolean mask, (batch, timesteps)) and ``initial_h``/``initial_c``
(``initial_state=[h, c]``), and with ``return_state=True`` extra outputs: output 1 is the final
``h`` and, for LSTM, output 2 the final ``c`` (Keras' ``output, h, c = lstm(x)``).
``Bidirectional(merge_mode=None)`` (the two directions as separate outputs) and a wrapped layer
with ``return_state`` stay refused.

Wrappers hold the wrapped layer the way Keras serialises it:
``{"module": "keras.layers", "class_name": "LSTM", "config": {...}, "registered_name": None}``.
Keys missing from the inner config take the wrapped layer's Keras defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.core.catalog.core_layers import DENSE
from app.core.catalog.costs import full_config, layer_cost, per_sample
from app.core.catalog.explaining import arrow, params_text, wrapped
from app.core.catalog.rules import elements, fmt_shape, require_known
from app.core.catalog.spec import (
    RNN_TAG,
    RNN_WRAPPER_TAG,
    Config,
    Cost,
    CostRule,
    ExplainContext,
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    PortSpec,
    Sentence,
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

CATEGORY = "Recurrent"

LAYER_KEYS = frozenset({"module", "class_name", "config", "registered_name", "build_config"})

RECURRENT_CLASSES: tuple[str, ...] = ("LSTM", "GRU", "SimpleRNN")

TIME_DISTRIBUTED_CLASSES: tuple[str, ...] = (
    "Dense",
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Flatten",
    "Dropout",
    "Activation",
    "BatchNormalization",
    "LayerNormalization",
)
"""Layers that make sense applied to every timestep on its own (video frames, per-step heads)."""


def layer_value(class_name: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A wrapped-layer value in the form Keras' ``get_config`` writes (and ``from_config`` needs)."""
    return {"module": "keras.layers", "class_name": class_name, "config": dict(config or {}),
            "registered_name": None}


# --- Shared recurrent rules -----------------------------------------------------------------

def _no_return_state(value: object) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("config"), Mapping) \
            and value["config"].get("return_state") is True:
        return ("the wrapped layer's 'return_state' must stay false: inside a wrapper its states are not "
                "given out. Use the recurrent layer itself (outputs 1 and 2 are its states) instead.")
    return None


STATE_PORTS: dict[str, tuple[str, ...]] = {"SimpleRNN": ("initial_h",), "GRU": ("initial_h",),
                                           "LSTM": ("initial_h", "initial_c")}
"""The input ports that make ``initial_state`` (in Keras' order) and the extra outputs with return_state."""


def recurrent_ports(kind: str) -> tuple[PortSpec, ...]:
    """The sequence, then the optional explicit mask and initial states (Keras' call arguments)."""
    return (PortSpec(), PortSpec("mask", optional=True),
            *(PortSpec(name, optional=True) for name in STATE_PORTS[kind]))


def loop_params(return_state_help: str, stacked: str = "another recurrent layer",
                return_state_check: Callable[[Any], str | None] | None = None) -> tuple[Param, ...]:
    """The settings of the loop over the timesteps, the same in SimpleRNN/LSTM/GRU, RNN(cell) and
    ConvLSTM (``stacked``: what return_sequences lets one stack; ConvLSTM refuses return_state)."""
    return (
        Param("return_sequences", ParamKind.BOOL, False,
              f"Output every timestep (needed to stack {stacked}) instead of only the last."),
        Param("return_state", ParamKind.BOOL, False, return_state_help, advanced=True, check=return_state_check),
        Param("go_backwards", ParamKind.BOOL, False, "Read the sequence from the end to the start.", advanced=True),
        Param("stateful", ParamKind.BOOL, False,
              "Carry the state from one batch to the next (needs a fixed batch size).", advanced=True),
        Param("unroll", ParamKind.BOOL, False, "Unroll the loop: faster for short sequences, more memory.",
              advanced=True),
        Param("zero_output_for_mask", ParamKind.BOOL, False, "Output zeros at masked timesteps.", advanced=True),
    )


def _recurrent_params(kind: str) -> tuple[Param, ...]:
    """The config keys of SimpleRNN/LSTM/GRU in Keras 3, with Keras' defaults."""
    gated = kind in ("LSTM", "GRU")
    params: list[Param] = [
        *base_params(),
        Param("units", ParamKind.INT, 32, "Size of the hidden state (output features).", minimum=1, required=True),
        activation(default="tanh"),
    ]
    if gated:
        params.append(Param("recurrent_activation", ParamKind.ACTIVATION, "sigmoid",
                            "Function used by the gates (they must stay between 0 and 1).", advanced=True))
    params += [
        Param("use_bias", ParamKind.BOOL, True, "Add learned biases."),
        *loop_params("Also give out the final states: output 1 is h (and, for LSTM, output 2 is c); an encoder "
                     "hands them to a decoder's initial_h/initial_c."),
        rate("dropout", 0.0, "Fraction of the inputs dropped at each step while training.", required=False),
        rate("recurrent_dropout", 0.0, "Fraction of the recurrent state dropped while training.", required=False),
        initializer("kernel_initializer", "glorot_uniform"),
        initializer("recurrent_initializer", "orthogonal"),
        initializer("bias_initializer", "zeros"),
    ]
    if kind == "LSTM":
        params.append(Param("unit_forget_bias", ParamKind.BOOL, True,
                            "Start the forget gate's bias at 1 so the cell remembers at first.", advanced=True))
    if kind == "GRU":
        params.append(Param("reset_after", ParamKind.BOOL, True,
                            "Apply the reset gate after the matrix product (Keras 2+/cuDNN style; "
                            "adds a second bias).", advanced=True))
    params += [
        regularizer("kernel_regularizer"),
        regularizer("recurrent_regularizer"),
        regularizer("bias_regularizer"),
        regularizer("activity_regularizer"),
        constraint("kernel_constraint"),
        constraint("recurrent_constraint"),
        constraint("bias_constraint"),
    ]
    if gated:
        params.append(seed())
    return tuple(params)


def _reshape_fix(target: list[int]) -> Fix:
    shown = fmt_shape(target)
    return Fix(f"Insert a Reshape to {shown} before it",
               {"op": "insert_before", "port": "input", "class_name": "Reshape", "config": {"target_shape": target}})


def check_sequence(shape: Shape, layer: str) -> int:
    """A recurrent layer reads (batch, timesteps, features); return the number of features."""
    if len(shape) == 2:
        n = shape[1]
        target = [n if n is not None else -1, 1]
        raise ShapeError(
            f"{layer} needs a 3-D input (batch, timesteps, features) but gets 2-D {fmt_shape(shape)}: "
            "each sample is one flat vector, not a sequence. To read its "
            f"{n if n is not None else 'values'} values as timesteps of 1 feature, insert a Reshape to "
            f"{fmt_shape(target)}. If the values are token ids, put an Embedding layer in front instead. "
            "If the layer before is an LSTM, GRU or SimpleRNN, set return_sequences=True on it.",
            port="input",
            fix=_reshape_fix(target),
        )
    if len(shape) != 3:
        rest = elements(shape[2:])
        fix = None
        if len(shape) > 3 and rest is not None:
            fix = _reshape_fix([shape[1] if shape[1] is not None else -1, rest])
        hint = (f" For an image, read each row as a timestep: Reshape to "
                f"{fmt_shape([shape[1], rest])}." if fix is not None else "")
        raise ShapeError(
            f"{layer} needs a 3-D input (batch, timesteps, features) but gets {len(shape)}-D "
            f"{fmt_shape(shape)}.{hint}",
            port="input",
            fix=fix,
        )
    return require_known(shape[2], "number of features (last axis)", layer)


def _check_stateful(cfg: Config, shape: Shape, layer: str) -> None:
    if cfg["stateful"] and shape[0] is None:
        raise ShapeError(
            f"{layer} has stateful=True, which needs a fixed batch size, but the batch size of "
            f"{fmt_shape(shape)} is None. Set a batch size in the Input's batch_shape, or turn stateful off.",
            port="input",
        )


def _recurrent_shape(cfg: Config, shape: Shape, layer: str) -> Shape:
    check_sequence(shape, layer)
    _check_stateful(cfg, shape, layer)
    if cfg["return_sequences"]:
        return (shape[0], shape[1], cfg["units"])
    return (shape[0], cfg["units"])


def _gate_count(kind: str) -> int:
    return {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]


def _recurrent_weights(kind: str, cfg: Config, features: int) -> int:
    """Kernel (features × gates·units), recurrent kernel (units × gates·units) and bias."""
    units = cfg["units"]
    gates = _gate_count(kind)
    total = gates * units * (features + units)
    if cfg["use_bias"]:
        bias = gates * units
        if kind == "GRU" and cfg["reset_after"]:
            bias *= 2
        total += bias
    return total


def _check_state(cfg: Config, port: str, state: Shape, sequence: Shape, kind: str) -> None:
    want = (sequence[0], cfg["units"])
    if len(state) != 2 or state[1] != cfg["units"] or (None not in (state[0], sequence[0])
                                                       and state[0] != sequence[0]):
        raise ShapeError(f"{kind}'s initial state '{port}' must be (batch, units) = {fmt_shape(want)}, but gets "
                         f"{fmt_shape(state)}. Connect a state of a recurrent layer with {cfg['units']} units "
                         "(an encoder's output 1 or 2 with return_state=True).", port=port)


def _check_mask(mask: Shape, sequence: Shape, kind: str) -> None:
    steps = sequence[1] if len(sequence) > 1 else None
    if len(mask) != 2 or (None not in (mask[1], steps) and mask[1] != steps):
        raise ShapeError(f"{kind}'s mask must be (batch, timesteps) = {fmt_shape((sequence[0], steps))}, one "
                         f"true/false per step, but gets {fmt_shape(mask)}.", port="mask")


def _recurrent_rules(kind: str) -> tuple[Callable[..., Shape], Callable[..., tuple[int, int]],
                                          Callable[..., list[Shape]]]:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        return _recurrent_shape(cfg, inputs[0], kind)

    def outputs(cfg: Config, by_port: Mapping[str, Shape]) -> list[Shape]:
        sequence = by_port["input"]
        out = _recurrent_shape(cfg, sequence, kind)
        states = STATE_PORTS[kind]
        given = [port for port in states if port in by_port]
        if given and len(given) != len(states):
            missing = next(port for port in states if port not in by_port)
            raise ShapeError(f"{kind} takes all its initial states ({', '.join(states)}) or none; '{missing}' is "
                             "not connected.", port=missing)
        for port in given:
            _check_state(cfg, port, by_port[port], sequence, kind)
        if "mask" in by_port:
            _check_mask(by_port["mask"], sequence, kind)
        if not cfg["return_state"]:
            return [out]
        return [out, *[(sequence[0], cfg["units"])] * len(states)]

    def count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
        features = check_sequence(inputs[0], kind)
        return (_recurrent_weights(kind, cfg, features), 0)

    return output, count, outputs



# --- Cost and explanation rules -----------------------------------------------------------------

def _recurrent_macs(class_name: str, cfg: Config, shape: Shape) -> int | None:
    """Per timestep: gates · (features · units + units · units); times the sequence length.
    GRU computes all three recurrent products with or without reset_after (it only moves
    where the reset gate is applied and adds a bias), so its count does not change."""
    gates = _gate_count(class_name)
    steps, features = shape[1], shape[2]
    if steps is None or features is None:
        return None
    units = cfg["units"]
    return steps * gates * (features * units + units * units)


def _recurrent_cost(kind: str) -> CostRule:
    def rule(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
        macs = _recurrent_macs(kind, cfg, inputs[0])
        return None if macs is None else (macs, 0)
    return rule


def _recurrent_formula(class_name: str, cfg: Config, features: int) -> tuple[str, int]:
    """'4 gates x (input 8 + units 16 + 1 bias) x 16 units' and its total."""
    units = cfg["units"]
    gates = _gate_count(class_name)
    biases = (2 if class_name == "GRU" and cfg.get("reset_after", True) else 1) if cfg["use_bias"] else 0
    bias = f" + {biases} bias{'es' if biases > 1 else ''}" if biases else ""
    inner = f"(input {features} + units {units}{bias}) x {units} units"
    total = gates * units * (features + units + biases)
    return (f"{gates} gates x {inner}" if gates > 1 else inner), total


def _recurrent_explain(ctx: ExplainContext) -> list[str]:
    features = ctx.shape_in[2]
    assert features is not None
    formula, total = _recurrent_formula(ctx.class_name, ctx.cfg, features)
    steps = ctx.shape_in[1]
    units = ctx.cfg["units"]
    reads = f"the {steps} timesteps" if steps is not None else "the timesteps"
    if ctx.cfg["return_sequences"]:
        out = f"it outputs all {units} values at every step (return_sequences=True)"
    else:
        out = f"only the last step's {units} values come out (return_sequences=False)"
    return [f"{arrow(ctx)}: {formula} = {params_text(total)}",
            f"It reads {reads} one after another with the same weights; {out}."]


def _bidirectional_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Forward plus backward layer, plus the merge (concat only copies)."""
    fwd_class, fwd = full_config(cfg["layer"])
    bwd_class, bwd = (fwd_class, fwd) if cfg.get("backward_layer") is None else full_config(cfg["backward_layer"])
    forward = _recurrent_macs(fwd_class, fwd, inputs[0])
    backward = _recurrent_macs(bwd_class, bwd, inputs[0])
    out = per_sample(output)
    if forward is None or backward is None or out is None:
        return None
    merge = {"concat": 0, "sum": 1, "mul": 1, "ave": 2}.get(cfg.get("merge_mode") or "concat", 0)
    return (forward + backward, out * merge)


def _bidirectional_explain(ctx: ExplainContext) -> list[str]:
    features = ctx.shape_in[2]
    assert features is not None
    fwd_class, fwd = wrapped(ctx.cfg["layer"])
    fwd_text, fwd_total = _recurrent_formula(fwd_class, fwd, features)
    if ctx.cfg["backward_layer"] is None:
        total = 2 * fwd_total
        first = (f"{arrow(ctx)}: two {fwd_class} layers, one reading forwards and one backwards: "
                 f"2 x {fwd_text} = {params_text(total)}")
    else:
        bwd_class, bwd = wrapped(ctx.cfg["backward_layer"])
        bwd_text, bwd_total = _recurrent_formula(bwd_class, bwd, features)
        total = fwd_total + bwd_total
        first = (f"{arrow(ctx)}: forwards {fwd_class} {fwd_text} + backwards {bwd_class} {bwd_text} "
                 f"= {params_text(total)}")
    units, mode = fwd["units"], ctx.cfg["merge_mode"]
    if mode == "concat":
        merge = f"merge_mode 'concat' puts both directions side by side: 2 x {units} = {2 * units} features."
    else:
        merge = f"merge_mode '{mode}' combines both directions value by value, keeping {units} features."
    return [first, merge]


def _time_distributed_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """The wrapped layer's cost on one timestep, times the number of timesteps."""
    class_name, inner = full_config(cfg["layer"])
    steps = inputs[0][1]
    if steps is None:
        return None
    child_in: Shape = (inputs[0][0], *inputs[0][2:])
    child_out: Shape = (output[0], *output[2:])
    cost = layer_cost(class_name, inner, [child_in], child_out)
    return None if cost is None else (cost[0] * steps, cost[1] * steps)


def _time_distributed_explain(ctx: ExplainContext) -> Sentence:
    class_name, _ = wrapped(ctx.cfg["layer"])
    steps = ctx.shape_in[1]
    each = f"each of the {steps} timesteps" if steps is not None else "every timestep"
    return f"{arrow(ctx)}: one {class_name} applied to {each} with the same weights; {params_text(ctx.params)}", \
        ctx.params


def _rnn_spec(kind: str, doc: LayerDoc) -> LayerSpec:
    """SimpleRNN, LSTM or GRU: the same ports, rules and sentences, told apart by ``kind``."""
    output, count, outputs = _recurrent_rules(kind)
    return LayerSpec(
        class_name=kind,
        cost=_recurrent_cost(kind),
        explain=_recurrent_explain,
        tags=frozenset({RNN_TAG}),
        category=CATEGORY,
        params=_recurrent_params(kind),
        output=output,
        count=count,
        outputs=outputs,
        ports=recurrent_ports(kind),
        call="recurrent",
        doc=doc,
    )


_SEQUENCE_SHAPE = ("(None, timesteps, features) -> (None, units), or (None, timesteps, units) "
                   "with return_sequences=True.")

SIMPLE_RNN = _rnn_spec("SimpleRNN", LayerDoc(
    summary="The plainest recurrent layer: it reads a sequence step by step and keeps one hidden "
    "vector that mixes the new input with what it remembered.",
    formula="h_t = tanh(x_t · W + h_(t−1) · U + b); the output is h_T (or every h_t)",
    shape=_SEQUENCE_SHAPE,
    use="Short sequences and for learning how recurrence works; LSTM or GRU learn long-range "
    "patterns far better.",
    mistake="Using it on long sequences: its gradient fades over many steps, so it forgets the start.",
))

LSTM = _rnn_spec("LSTM", LayerDoc(
    summary="Long short-term memory: a recurrent layer whose gates decide what to forget, what to store "
    "and what to output, so it can remember across many timesteps.",
    formula="i, f, o = σ(x_t·W + h_(t−1)·U + b) for the input, forget and output gates; "
    "c̃ = tanh(x_t·W_c + h_(t−1)·U_c + b_c); c_t = f·c_(t−1) + i·c̃; h_t = o·tanh(c_t)",
    shape=_SEQUENCE_SHAPE + " Weights: 4 · units · (features + units + 1).",
    use="Text, time series and any sequence where order matters. Stack several with "
    "return_sequences=True on all but the last.",
    mistake="Feeding it a flat (None, n) vector: it needs (batch, timesteps, features). Reshape to (n, 1), "
    "or use an Embedding for token ids. When stacking, the lower LSTM needs return_sequences=True.",
))

GRU = _rnn_spec("GRU", LayerDoc(
    summary="Gated recurrent unit: like an LSTM with two gates (update and reset) and no separate cell, "
    "so it is smaller and often just as good.",
    formula="z = σ(x_t·W_z + h_(t−1)·U_z + b_z); r = σ(x_t·W_r + h_(t−1)·U_r + b_r); "
    "h̃ = tanh(x_t·W_h + r·(h_(t−1)·U_h) + b_h); h_t = z·h_(t−1) + (1 − z)·h̃",
    shape=_SEQUENCE_SHAPE + " Weights: 3 · units · (features + units) plus 3·units biases, "
    "twice that with reset_after=True.",
    use="A lighter alternative to LSTM for text and time series.",
    mistake="Stacking GRUs without return_sequences=True on the lower one: the next GRU then gets a "
    "2-D (batch, units) tensor instead of a sequence.",
))

RECURRENT_SPECS: dict[str, LayerSpec] = {"SimpleRNN": SIMPLE_RNN, "LSTM": LSTM, "GRU": GRU}


# --- Wrapped layers -----------------------------------------------------------------------

def _lookup_spec(class_name: str) -> LayerSpec | None:
    if class_name in RECURRENT_SPECS:
        return RECURRENT_SPECS[class_name]
    # Imported here: the catalog package imports this module while it is being built.
    from app.core.catalog import get_spec

    return get_spec(class_name)


def wrapped_problem(value: Mapping[str, Any], param: str) -> str | None:
    """What is wrong with a wrapped-layer value, checked against that layer's own catalog spec."""
    extra = sorted(set(value) - LAYER_KEYS)
    if extra:
        return f"'{param}' has unexpected keys {', '.join(extra)}; use module, class_name and config"
    if value.get("module") != "keras.layers":
        return f"'{param}' needs \"module\": \"keras.layers\" so Keras can find {value.get('class_name')}"
    if value.get("registered_name") is not None:
        return f"'{param}' must not name a custom registered class"
    built = value.get("build_config")
    if built is not None and not (isinstance(built, Mapping) and isinstance(built.get("input_shape"), (list, tuple))):
        return f"'{param}' build_config must be {{\"input_shape\": [...]}}; remove it to let Keras build the layer"
    inner = value.get("config", {})
    if not isinstance(inner, Mapping):
        return f"'{param}' config must be a mapping of parameter names to values"
    spec = _lookup_spec(value["class_name"])
    if spec is None or spec.is_application or not spec.ports:
        return f"'{param}' cannot wrap {value['class_name']}: it is not a layer Layerforge supports"
    return inner_config_problem(spec, inner, f"'{param}'", _wrapped_name_problem)


def _wrapped_name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return "the wrapped layer's name must be text"
    from app.core.graph import name_problem  # the graph module imports the catalog

    bad = name_problem(name)
    return f"the wrapped layer's name: {bad}" if bad else None


def inner_config_problem(spec: LayerSpec, config: Mapping[str, Any], where: str,
                         name_problem: Callable[[object], str | None]) -> str | None:
    """What is wrong with the config of a layer held inside another (a wrapped layer, an RNN's
    cell), key by key against ``spec``'s own parameters; ``name_problem`` judges its name.
    Messages start with ``where`` (the holding parameter), so they say where to look."""
    for key, item in config.items():
        if key == "name":
            bad = name_problem(item)
            if bad:
                return f"{where}: {bad}"
            continue
        param = spec.param(key)
        if param is None:
            return f"{where}: {spec.title} has no parameter '{key}'"
        problem = param.validate(item)
        if problem:
            return f"{where} ({spec.title}): {problem}"
    return None


def _wrapped(cfg: Config, param: str = "layer") -> tuple[LayerSpec, dict[str, Any]]:
    """The wrapped layer's spec and its full config (Keras defaults for missing keys, no name)."""
    value = cfg[param]
    spec = _lookup_spec(value["class_name"])
    if spec is None:
        raise ShapeError(f"{value['class_name']} is not available to wrap.")
    full = spec.default_config()
    full.update({k: v for k, v in value.get("config", {}).items() if k != "name"})
    return spec, full


def check_built_for(cfg: Config, param: str, shape: Shape, layer: str) -> None:
    """A wrapped layer saved from a built model carries the input shape it was built for; Keras
    reuses its weights as they are, so a different input would fail once data flows."""
    value = cfg[param]
    built = value.get("build_config")
    if built is None or tuple(built["input_shape"]) == tuple(shape):
        return
    fixed = {k: v for k, v in value.items() if k != "build_config"}
    raise ShapeError(
        f"{layer}: the wrapped {value['class_name']} ('{param}') was saved already built for input "
        f"{fmt_shape(built['input_shape'])}, but now receives {fmt_shape(shape)}. Remove its build_config "
        "so it is built for the new shape.",
        port="input",
        fix=Fix(f"Remove the saved build_config of '{param}'", {"op": "set_param", "param": param, "value": fixed}),
    )


def _inner_count(spec: LayerSpec, cfg: Config, shape: Shape) -> tuple[int, int]:
    trainable, frozen = spec.count(cfg, [shape])
    if not cfg.get("trainable", True):
        return 0, trainable + frozen
    return trainable, frozen


# --- Bidirectional --------------------------------------------------------------------------

def _bidirectional_layer_check(value: object) -> str | None:
    return (wrapped_problem(value, "layer") or _no_return_state(value)) if isinstance(value, Mapping) else None


def _backward_layer_check(value: object) -> str | None:
    return (wrapped_problem(value, "backward_layer") or _no_return_state(value)) if isinstance(value, Mapping) \
        else None


def _copy_forward_fix() -> Fix:
    return Fix("Clear backward_layer so Bidirectional copies 'layer' backwards",
               {"op": "set_param", "param": "backward_layer", "value": None})


def _bidirectional_parts(cfg: Config) -> tuple[LayerSpec, dict[str, Any], LayerSpec, dict[str, Any]]:
    """Forward and backward (spec, config), checked the way Keras' Bidirectional checks them."""
    fwd_spec, fwd = _wrapped(cfg, "layer")
    if cfg["backward_layer"] is None:
        if fwd["go_backwards"]:
            fixed = dict(cfg["layer"])
            fixed["config"] = {**fixed.get("config", {}), "go_backwards": False}
            raise ShapeError(
                f"Bidirectional: the wrapped {fwd_spec.title} has go_backwards=True, but Bidirectional makes the "
                "backwards copy itself, so both would read backwards. Set go_backwards=False on the wrapped layer.",
                port="input",
                fix=Fix("Set go_backwards=False on the wrapped layer", {"op": "set_param", "param": "layer",
                                                                       "value": fixed}),
            )
        return fwd_spec, fwd, fwd_spec, {**fwd, "go_backwards": True}
    bwd_spec, bwd = _wrapped(cfg, "backward_layer")
    if fwd["go_backwards"] == bwd["go_backwards"]:
        raise ShapeError(
            f"Bidirectional: layer and backward_layer both have go_backwards={fwd['go_backwards']}; "
            "exactly one of them must read the sequence backwards.",
            port="input",
            fix=_copy_forward_fix(),
        )
    for key in ("return_sequences", "stateful", "units"):
        if fwd[key] != bwd[key]:
            extra = (" Keras sizes the output from the forward layer only, so different sizes break the model."
                     if key == "units" else "")
            raise ShapeError(
                f"Bidirectional: layer has {key}={fwd[key]} but backward_layer has {key}={bwd[key]}; "
                f"they must be equal.{extra}",
                port="input",
                fix=_copy_forward_fix(),
            )
    return fwd_spec, fwd, bwd_spec, bwd


def _bidirectional_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    if cfg["merge_mode"] is None:
        raise ShapeError(
            "Bidirectional with merge_mode=None returns the two directions as two separate outputs, but a "
            "node has one output. Choose 'concat' (the usual), 'sum', 'mul' or 'ave'.",
            port="input",
            fix=Fix("Set merge_mode to 'concat'", {"op": "set_param", "param": "merge_mode", "value": "concat"}),
        )
    fwd_spec, fwd, _, _ = _bidirectional_parts(cfg)
    title = f"Bidirectional({fwd_spec.title})"
    check_sequence(inputs[0], title)
    _check_stateful(fwd, inputs[0], title)
    for param in ("layer", "backward_layer"):
        if cfg[param] is not None:
            check_built_for(cfg, param, inputs[0], "Bidirectional")
    out = fwd_spec.output(fwd, inputs)
    if cfg["merge_mode"] == "concat":
        last = out[-1]
        return (*out[:-1], None if last is None else last * 2)
    return tuple(out)


def _bidirectional_outputs(cfg: Config, by_port: Mapping[str, Shape]) -> list[Shape]:
    """One output (merge_mode=None stays refused); an explicit mask goes to both directions."""
    sequence = by_port["input"]
    out = _bidirectional_output(cfg, [sequence])
    if "mask" in by_port:
        _check_mask(by_port["mask"], sequence, "Bidirectional")
    return [out]


def _bidirectional_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    fwd_spec, fwd, bwd_spec, bwd = _bidirectional_parts(cfg)
    check_sequence(inputs[0], f"Bidirectional({fwd_spec.title})")
    t1, f1 = _inner_count(fwd_spec, fwd, inputs[0])
    t2, f2 = _inner_count(bwd_spec, bwd, inputs[0])
    return (t1 + t2, f1 + f2)


BIDIRECTIONAL = LayerSpec(
    class_name="Bidirectional",
    cost=_bidirectional_cost,
    explain=_bidirectional_explain,
    tags=frozenset({RNN_WRAPPER_TAG}),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("layer", ParamKind.LAYER, layer_value("LSTM", LSTM.default_config()),
              "The recurrent layer run in both directions.", choices=RECURRENT_CLASSES, required=True,
              check=_bidirectional_layer_check),
        Param("merge_mode", ParamKind.CHOICE, "concat", "How the forward and backward outputs are combined.",
              choices=("concat", "sum", "mul", "ave"), nullable=True),
        Param("backward_layer", ParamKind.LAYER, None,
              "Optional separate layer for the backward direction; empty uses a copy of 'layer'.",
              choices=RECURRENT_CLASSES, nullable=True, advanced=True, check=_backward_layer_check),
    ),
    output=_bidirectional_output,
    outputs=_bidirectional_outputs,
    count=_bidirectional_count,
    ports=(PortSpec(), PortSpec("mask", optional=True)),
    call="recurrent",
    doc=LayerDoc(
        summary="Runs a recurrent layer over the sequence forwards and a copy of it backwards, then combines "
        "both, so every step sees what comes before and after it.",
        formula="y = merge(RNN_forward(x), RNN_backward(reversed x)); concat joins the features",
        shape="Like the wrapped layer, but with merge_mode='concat' the last axis is 2 · units. "
        "Weights: twice the wrapped layer's.",
        use="Text tagging and classification where the whole sequence is known in advance.",
        mistake="Using it to forecast the future of a time series: the backward pass reads the future, "
        "which is not available when predicting.",
    ),
)


# --- TimeDistributed ------------------------------------------------------------------------

def _time_distributed_check(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    problem = wrapped_problem(value, "layer")
    if problem is not None:
        return problem
    spec = _lookup_spec(value["class_name"])
    if spec is not None and (len(spec.ports) != 1 or spec.ports[0].variadic):
        return f"'layer': TimeDistributed can only wrap a layer with one input, not {value['class_name']}"
    return None


def _time_distributed_child(cfg: Config, shape: Shape) -> tuple[LayerSpec, dict[str, Any], Shape]:
    spec, inner = _wrapped(cfg)
    if len(shape) < 3:
        raise ShapeError(
            f"TimeDistributed needs at least a 3-D input (batch, timesteps, ...) but gets {len(shape)}-D "
            f"{fmt_shape(shape)}: it applies {spec.title} to every timestep, so there must be a time axis. "
            f"Without one, use {spec.title} directly.",
            port="input",
        )
    return spec, inner, (shape[0], *shape[2:])


def _time_distributed_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    spec, inner, child = _time_distributed_child(cfg, inputs[0])
    check_built_for(cfg, "layer", child, "TimeDistributed")
    try:
        out = spec.output(inner, [child])
    except ShapeError as err:
        raise ShapeError(
            f"TimeDistributed applies {spec.title} to each timestep, whose shape is {fmt_shape(child)}. "
            f"{err.message}",
            port="input",
        ) from None
    return (out[0], inputs[0][1], *out[1:])


def _time_distributed_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    spec, inner, child = _time_distributed_child(cfg, inputs[0])
    return _inner_count(spec, inner, child)


TIME_DISTRIBUTED = LayerSpec(
    class_name="TimeDistributed",
    cost=_time_distributed_cost,
    explain=_time_distributed_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("layer", ParamKind.LAYER, layer_value("Dense", DENSE.default_config()),
              "The layer applied to every timestep.", choices=TIME_DISTRIBUTED_CLASSES, required=True,
              check=_time_distributed_check),
    ),
    output=_time_distributed_output,
    count=_time_distributed_count,
    doc=LayerDoc(
        summary="Applies the same layer, with the same weights, to every timestep of a sequence separately.",
        formula="y[:, t] = layer(x[:, t]) for every t",
        shape="(None, timesteps, *rest) -> (None, timesteps, *layer output of rest). "
        "Weights: those of the wrapped layer once, shared by all timesteps.",
        use="Video (a Conv2D on every frame) or a per-step classifier after an LSTM with return_sequences=True.",
        mistake="Wrapping Dense just to act per timestep: Dense already acts on the last axis only, so "
        "TimeDistributed(Dense) and Dense give the same result.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (SIMPLE_RNN, LSTM, GRU, BIDIRECTIONAL, TIME_DISTRIBUTED)
