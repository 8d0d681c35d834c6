"""Layer specifications: the single description of a Keras layer that the whole app reads.

A spec mirrors one Keras layer class. Its parameters are exactly the keys that
``layer.get_config()`` produces (minus ``name``, which lives on the node), with Keras'
own defaults, so a node's config can go to ``from_config`` unchanged. The shape and
parameter-count rules are plain Python so shapes appear instantly, without TensorFlow;
``tests/keras`` checks every rule against real Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.limits import INT64_MAX, format_count

Shape = tuple[int | None, ...]
"""A tensor shape including the batch axis, which is ``None``: ``(None, 28, 28, 1)``."""

Config = Mapping[str, Any]


class ParamKind(StrEnum):
    """How a parameter's value is typed, validated and edited."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    STR = "str"
    INT_TUPLE = "int_tuple"
    FLOAT_TUPLE = "float_tuple"
    SHAPE = "shape"
    ACTIVATION = "activation"
    INITIALIZER = "initializer"
    REGULARIZER = "regularizer"
    CONSTRAINT = "constraint"
    LAYER = "layer"
    JSON = "json"


ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "softplus",
    "softsign",
    "exponential",
    "hard_sigmoid",
    "hard_silu",
    "leaky_relu",
    "relu6",
    "mish",
    "log_softmax",
)

INITIALIZERS: tuple[str, ...] = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "uniform",
    "normal",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "ones",
    "identity",
)


KERAS_OBJECTS: dict[str, dict[str, frozenset[str]]] = {
    "keras.initializers": {
        "Constant": frozenset({"value"}),
        "GlorotNormal": frozenset({"seed", "input_axes", "output_axes"}),
        "GlorotUniform": frozenset({"seed", "input_axes", "output_axes"}),
        "HeNormal": frozenset({"seed", "input_axes", "output_axes"}),
        "HeUniform": frozenset({"seed", "input_axes", "output_axes"}),
        "Identity": frozenset({"gain"}),
        "IdentityInitializer": frozenset({"gain"}),
        "LecunNormal": frozenset({"seed", "input_axes", "output_axes"}),
        "LecunUniform": frozenset({"seed", "input_axes", "output_axes"}),
        "Ones": frozenset(),
        "Orthogonal": frozenset({"gain", "seed"}),
        "OrthogonalInitializer": frozenset({"gain", "seed"}),
        "RandomNormal": frozenset({"mean", "stddev", "seed"}),
        "RandomUniform": frozenset({"minval", "maxval", "seed"}),
        "TruncatedNormal": frozenset({"mean", "stddev", "seed"}),
        "VarianceScaling": frozenset({"scale", "mode", "distribution", "seed", "input_axes", "output_axes"}),
        "Zeros": frozenset(),
    },
    "keras.regularizers": {
        "L1": frozenset({"l1"}),
        "L2": frozenset({"l2"}),
        "L1L2": frozenset({"l1", "l2"}),
        "OrthogonalRegularizer": frozenset({"factor", "mode"}),
    },
    "keras.constraints": {
        "MaxNorm": frozenset({"max_value", "axis"}),
        "MinMaxNorm": frozenset({"min_value", "max_value", "rate", "axis"}),
        "NonNeg": frozenset(),
        "UnitNorm": frozenset({"axis"}),
    },
}
"""The Keras initializer, regularizer and constraint classes a config may name, with the
arguments each takes (Keras 3.15's ``ALL_OBJECTS`` minus abstract bases and STFT, which
builds audio filters, not weights). Anything else, ``os.system`` or a ``__lambda__``
included, is refused: a config is data and must never name code."""

KERAS_OBJECT_NAMES: dict[str, frozenset[str]] = {
    "keras.initializers": frozenset({*INITIALIZERS, "one", "zero",
                                     *KERAS_OBJECTS["keras.initializers"]} - {"Constant"}),
    "keras.regularizers": frozenset({"l1", "l2", "l1l2", "orthogonal_regularizer",
                                     *KERAS_OBJECTS["keras.regularizers"]}),
    "keras.constraints": frozenset({"max_norm", "min_max_norm", "non_neg", "unit_norm",
                                    *KERAS_OBJECTS["keras.constraints"]}),
}
"""The names Keras' ``initializers.get`` / ``regularizers.get`` / ``constraints.get`` resolve
(``'constant'`` is not one: Keras cannot build a Constant without its value)."""

KERAS_OBJECT_REQUIRED: dict[str, frozenset[str]] = {"Constant": frozenset({"value"})}
"""Arguments a serialized object must carry: Keras' ``Constant.from_config`` reads ``value``."""

_OBJECT_MODULE: dict[ParamKind, str] = {
    ParamKind.INITIALIZER: "keras.initializers",
    ParamKind.REGULARIZER: "keras.regularizers",
    ParamKind.CONSTRAINT: "keras.constraints",
}


@dataclass(frozen=True)
class Fix:
    """A suggested repair, as data: the GUI applies it as one undo step, the CLI prints it.

    ``action`` is JSON-able; see :func:`app.core.fixes.apply_fix` for the operations.
    """

    description: str
    action: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "action": dict(self.action)}


class ShapeError(ValueError):
    """Raised by a shape rule when the inputs cannot feed this layer."""

    def __init__(self, message: str, port: str | None = None, fix: Fix | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.port = port
        self.fix = fix


@dataclass(frozen=True)
class Param:
    """One constructor argument of a Keras layer, with Keras' default.

    ``required`` marks arguments Keras has no default for (``Dense.units``); ``default``
    is then the value a fresh node starts with. ``saved_range`` marks a range Keras saves as a
    sorted ``[lower, upper]`` pair, a number f becoming ``[max(-|f|, saved_range), |f|]``; the
    importer (``app.keras_bridge.normalize``) turns it back into the form a node keeps.
    """

    name: str
    kind: ParamKind
    default: Any = None
    help: str = ""
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    nullable: bool = False
    length: int | None = None
    required: bool = False
    advanced: bool = False
    check: Callable[[Any], str | None] | None = None
    saved_range: float | None = None

    def validate(self, value: Any) -> str | None:
        """Return a sentence saying what is wrong with ``value``, or ``None`` if it is valid."""
        if value is None:
            return None if self.nullable else f"'{self.name}' needs a value"
        problem = _check_kind(self, value)
        if problem is None and self.check is not None:
            problem = self.check(value)
        return problem


def _range_problem(p: Param, v: float) -> str | None:
    if isinstance(v, int) and abs(v) > INT64_MAX:
        return f"'{p.name}' is {_fmt_huge(v)}, beyond what TensorFlow can hold (64-bit integers, at most {INT64_MAX:,})"
    if p.minimum is not None and (v < p.minimum or (p.exclusive_minimum and v == p.minimum)):
        op = ">" if p.exclusive_minimum else "≥"
        return f"'{p.name}' must be {op} {_fmt(p.minimum)} (got {_fmt(v)})"
    if p.maximum is not None and (v > p.maximum or (p.exclusive_maximum and v == p.maximum)):
        op = "<" if p.exclusive_maximum else "≤"
        return f"'{p.name}' must be {op} {_fmt(p.maximum)} (got {_fmt(v)})"
    return None


def _fmt_huge(v: int) -> str:
    return format_count(v)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float (10**400) is no usable number either
        return False


def _check_tuple(p: Param, value: Any, item_ok: Callable[[Any], bool], what: str) -> str | None:
    if not isinstance(value, (list, tuple)):
        return f"'{p.name}' must be a list of {what}"
    if p.length is not None and len(value) != p.length:
        return f"'{p.name}' must have {p.length} values (got {len(value)})"
    for item in value:
        if not item_ok(item):
            return f"'{p.name}' must contain only {what} (got {item!r})"
        problem = _range_problem(p, item)
        if problem:
            return problem
    return None


def _check_kind(p: Param, value: Any) -> str | None:
    k = p.kind
    if k is ParamKind.INT:
        if not _is_int(value):
            return f"'{p.name}' must be a whole number (got {value!r})"
        return _range_problem(p, value)
    if k is ParamKind.FLOAT:
        if not _is_number(value):
            return f"'{p.name}' must be a finite number (got {value!r})"
        return _range_problem(p, float(value))
    if k is ParamKind.BOOL:
        return None if isinstance(value, bool) else f"'{p.name}' must be true or false"
    if k in (ParamKind.CHOICE, ParamKind.ACTIVATION):
        choices = p.choices or (ACTIVATIONS if k is ParamKind.ACTIVATION else ())
        if value not in choices:
            listed = ", ".join(repr(c) for c in choices)
            return f"'{p.name}' must be one of {listed} (got {value!r})"
        return None
    if k is ParamKind.STR:
        return None if isinstance(value, str) else f"'{p.name}' must be text"
    if k is ParamKind.INT_TUPLE:
        return _check_tuple(p, value, _is_int, "whole numbers")
    if k is ParamKind.FLOAT_TUPLE:
        return _check_tuple(p, value, _is_number, "numbers")
    if k is ParamKind.SHAPE:
        if not isinstance(value, (list, tuple)) or not value:
            return f"'{p.name}' must be a shape such as [28, 28, 1]"
        if any(not (d is None or (_is_int(d) and d > 0)) for d in value):
            return f"'{p.name}' dimensions must be positive whole numbers (got {_short(list(value))})"
        huge = next((d for d in value if d is not None and d > INT64_MAX), None)
        if huge is not None:
            return (f"'{p.name}' has a dimension of {_fmt_huge(huge)}, beyond what TensorFlow can hold "
                    f"(64-bit integers, at most {INT64_MAX:,})")
        return None
    if k in (ParamKind.INITIALIZER, ParamKind.REGULARIZER, ParamKind.CONSTRAINT):
        return _check_keras_object(p, value)
    if k is ParamKind.LAYER:
        if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
            return f"'{p.name}' must be a layer: {{'class_name': ..., 'config': {{...}}}}"
        if p.choices and value["class_name"] not in p.choices:
            return f"'{p.name}' must wrap one of {', '.join(p.choices)} (got {value['class_name']})"
        return None
    if k is ParamKind.JSON:
        return _check_json(p, value)
    return f"'{p.name}' has an unsupported kind {k}"


def _check_keras_object(p: Param, value: Any) -> str | None:
    """An initializer, regularizer or constraint: a name Keras resolves, or a serialized
    object of an allowed class with only that class's arguments as plain data."""
    module = _OBJECT_MODULE[p.kind]
    what = module.rsplit(".", 1)[1][:-1]  # "initializer", "regularizer", "constraint"
    if isinstance(value, str):
        if p.kind is ParamKind.INITIALIZER and p.choices:
            known = p.choices
        else:
            known = tuple(sorted(n for n in KERAS_OBJECT_NAMES[module] if n.islower()))
        if value in known or value in KERAS_OBJECT_NAMES[module]:
            return None
        return f"'{p.name}' must be one of {', '.join(map(repr, known))} (got {_short(value)}): not a Keras {what}"
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        return f"'{p.name}' must be a name or {{'class_name': ..., 'config': {{...}}}}"
    class_name = value["class_name"]
    classes = KERAS_OBJECTS[module]
    if class_name not in classes:
        named = value.get("module")
        shown = f"{named}.{class_name}" if isinstance(named, str) and named else class_name
        return (f"'{p.name}' names {_short(shown)}, which is not a Keras {what}; "
                f"allowed: {', '.join(sorted(classes))}")
    extra = sorted(set(value) - {"module", "class_name", "config", "registered_name"})
    if extra:
        return f"'{p.name}' has unexpected keys {', '.join(map(_short, extra))}"
    if value.get("module") not in (None, module):
        return f"'{p.name}': {class_name} comes from module {module!r}, not {_short(value.get('module'))}"
    if value.get("registered_name") not in (None, class_name):
        return f"'{p.name}' names the custom class {_short(value.get('registered_name'))}, which is code, not data"
    config = value.get("config", {})
    if not isinstance(config, Mapping):
        return f"'{p.name}': the config of {class_name} must be an object"
    missing = sorted(KERAS_OBJECT_REQUIRED.get(class_name, frozenset()) - set(config))
    if missing:
        return f"'{p.name}': {class_name} needs {', '.join(map(repr, missing))} in its config"
    unknown = sorted(str(k) for k in config if k not in classes[class_name])
    if unknown:
        takes = ", ".join(sorted(classes[class_name])) or "no arguments"
        return f"'{p.name}': {class_name} has no argument {_short(unknown[0])} (it takes {takes})"
    return _check_json(p, value)


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` cut to a readable length: a message must not grow with hostile input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_json(p: Param, value: Any) -> str | None:
    """Only plain JSON data with finite numbers is allowed: configs must never carry code."""
    stack = [value]
    while stack:
        v = stack.pop()
        if v is None or isinstance(v, (bool, str)):
            continue
        if isinstance(v, int):
            if abs(v) > INT64_MAX:
                return f"'{p.name}' contains {_fmt_huge(v)}, beyond what TensorFlow can hold (64-bit integers)"
            continue
        if isinstance(v, float):
            if not math.isfinite(v):
                return f"'{p.name}' contains a non-finite number"
            continue
        if isinstance(v, Mapping):
            if not all(isinstance(key, str) for key in v):
                return f"'{p.name}' has a non-text key"
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            return f"'{p.name}' holds a value that is not plain data: {type(v).__name__}"
    return None


@dataclass(frozen=True)
class PortSpec:
    """An input port. ``variadic`` ports (merges) take several ordered edges."""

    name: str = "input"
    optional: bool = False
    variadic: bool = False
    min_count: int = 1
    max_count: int | None = None


@dataclass(frozen=True)
class LayerDoc:
    """Teaching text, in our own words, shown in tooltips and the help panel."""

    summary: str
    formula: str = ""
    shape: str = ""
    use: str = ""
    mistake: str = ""


OutputRule = Callable[[Config, Sequence[Shape]], Shape]
CountRule = Callable[[Config, Sequence[Shape]], tuple[int, int]]
WarnRule = Callable[[Config, Sequence[Shape]], list[ShapeError]]

Cost = tuple[int, int]
"""(multiply-adds, other operations) of one layer call for one sample (see :mod:`app.core.insight`)."""

CostRule = Callable[[Config, Sequence[Shape], Shape], Cost | None]
"""(config, input shapes, output shape) -> cost, or None when it cannot be worked out."""

Sentence = tuple[str, int]
"""A sentence and the total parameter count it quotes (checked against the analysis)."""

ExplainRule = Callable[["ExplainContext"], "list[str] | Sentence"]
"""The worked sentences for one node; the first quotes the node's parameter count."""

OutputsRule = Callable[[Config, Mapping[str, Shape]], list[Shape]]


def no_weights(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    """Count rule for layers without weights."""
    return (0, 0)


def same_shape(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    """Output rule for element-wise layers."""
    return tuple(inputs[0])


@dataclass(frozen=True)
class LayerSpec:
    """Everything the app knows about one Keras layer class.

    ``output`` and ``count`` raise :class:`ShapeError` for inputs Keras would refuse;
    ``warn`` flags inputs Keras accepts but that are almost always a mistake.
    ``call`` says how the Keras layer takes its inputs: ``"single"`` (one tensor),
    ``"list"`` (merges, Attention) or ``"kwargs"`` (by port name, MultiHeadAttention);
    empty means single for one port, list for a variadic port.
    ``cost`` gives the MACs and other operations of one call (:mod:`app.core.catalog.costs`),
    ``explain`` the help panel's sentences with a node's own numbers
    (:mod:`app.core.catalog.explaining`); without them the layer's cost is unknown and its
    help shows the generic sentence. ``tags`` group classes across categories (see
    :data:`RNN_TAG`) so that no list of class names is written twice.
    """

    class_name: str
    category: str
    params: tuple[Param, ...]
    output: OutputRule
    count: CountRule
    doc: LayerDoc
    title: str = ""
    ports: tuple[PortSpec, ...] = (PortSpec(),)
    module: str = "keras.layers"
    name_prefix: str = ""
    warn: WarnRule | None = None
    call: str = ""
    cost: CostRule | None = None
    explain: ExplainRule | None = None
    tags: frozenset[str] = frozenset()
    outputs: OutputsRule | None = None
    """Every output's shape from the inputs by port name (return_state adds the states); replaces ``output``."""
    _by_name: dict[str, Param] = field(default_factory=dict, init=False, repr=False, compare=False)
    _names: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", self.title or self.class_name)
        self._by_name.update({p.name: p for p in self.params})
        object.__setattr__(self, "_names", frozenset(self._by_name))
        if not self.name_prefix:
            object.__setattr__(self, "name_prefix", _snake(self.title))

    def param(self, name: str) -> Param | None:
        return self._by_name.get(name)

    @property
    def param_names(self) -> frozenset[str]:
        return self._names

    @property
    def variadic(self) -> bool:
        return any(p.variadic for p in self.ports)

    @property
    def call_style(self) -> str:
        if self.call:
            return self.call
        return "list" if self.variadic else "single"

    @property
    def is_operation(self) -> bool:
        """A Keras operation (``x + y``, ``keras.ops.mean``) shown as a node: see :mod:`app.core.catalog.ops`."""
        return self.module.startswith("keras.src.ops")

    @property
    def is_application(self) -> bool:
        """A whole keras.applications backbone shown as one node."""
        return self.module == "keras.applications"

    def default_config(self) -> dict[str, Any]:
        """A fresh node's config: every key Keras knows, set to Keras' default."""
        return {p.name: to_json_value(p.default) for p in self.params}


RNN_TAG = "rnn"
"""A recurrent layer that reads a sequence step by step (SimpleRNN, LSTM, GRU)."""

RNN_WRAPPER_TAG = "rnn-wrapper"
"""A layer that runs a wrapped :data:`RNN_TAG` layer over a sequence (Bidirectional)."""


@dataclass(frozen=True)
class ExplainContext:
    """What an ``explain`` rule knows about one node: its spec, config, shapes and the parameter
    count the shape analysis found (which a rule's own sentence must agree with)."""

    class_name: str
    spec: LayerSpec
    cfg: Config
    inputs: Sequence[Shape]
    output: Shape
    params: int

    @property
    def shape_in(self) -> Shape:
        return self.inputs[0]


def to_json_value(value: Any) -> Any:
    """Canonical JSON form (tuples become lists) so configs compare and save identically."""
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    return value


def _snake(title: str) -> str:
    """Keras' default layer names: ``Conv2DTranspose`` -> ``conv2d_transpose``, ``ReLU`` -> ``re_lu``."""
    out: list[str] = []
    for i, ch in enumerate(title):
        if ch.isupper() and i:
            prev = title[i - 1]
            acronym_end = prev.isupper() and i + 1 < len(title) and title[i + 1].islower()
            if prev.islower() or acronym_end:
                out.append("_")
        out.append(ch.lower())
    return "".join(out)


# --- Parameter builders shared by many specs -------------------------------------------

def base_params() -> tuple[Param, ...]:
    """``trainable`` and ``dtype``: keys every Keras layer's config carries."""
    return (
        Param("trainable", ParamKind.BOOL, True, "Update this layer's weights during training."),
        Param("dtype", ParamKind.JSON, "float32", "Numeric type of the weights.", advanced=True,
              check=dtype_problem),
    )


DTYPES: frozenset[str] = frozenset({
    "float16", "float32", "float64", "bfloat16", "uint8", "uint16", "uint32", "uint64", "int16", "int32", "int64",
    "bool", "string", "complex64", "complex128", "mixed_float16", "mixed_bfloat16",
})
"""Layer dtypes (policies) Keras 3.15 builds from a name: ``backend.common.dtypes.ALLOWED_DTYPES``
plus the two mixed-precision policies, less ``int8`` and the float8 types, which Keras reads as
quantization modes and refuses as a layer's dtype (measured in ``tests/keras``)."""

DTYPE_POLICY_MODULES = (None, "keras", "keras.dtype_policies")

DEFAULT_DTYPE = "float32"


def dtype_name(config: Mapping[str, Any]) -> str:
    """The dtype a node computes in: a name, a policy name, or a serialized policy."""
    value = config.get("dtype")
    if isinstance(value, Mapping):
        inner = value.get("config")
        value = inner.get("name") if isinstance(inner, Mapping) else None
    return value if isinstance(value, str) else DEFAULT_DTYPE


def dtype_problem(value: Any) -> str | None:
    """A layer's ``dtype``: a name from :data:`DTYPES` or the serialized ``DTypePolicy`` of one.
    Anything else (another class, a module outside Keras) is refused, as Keras refuses it."""
    if isinstance(value, str):
        if value in DTYPES:
            return None
        return f"'dtype' must be one of {', '.join(sorted(DTYPES))} (got {_short(value)})"
    if not isinstance(value, Mapping):
        return "'dtype' must be a name such as 'float32'"
    if value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") \
            or value.get("module") not in DTYPE_POLICY_MODULES \
            or value.get("registered_name") not in (None, value.get("class_name")) \
            or set(value) - {"module", "class_name", "config", "registered_name"}:
        return f"'dtype' must be a name such as 'float32' or a Keras DTypePolicy (got {_short(value)})"
    config = value.get("config")
    if not isinstance(config, Mapping) or set(config) != {"name"}:
        return "'dtype': a DTypePolicy's config must be {'name': ...}"
    return dtype_problem(config["name"])


def activation(name: str = "activation", default: str = "linear") -> Param:
    return Param(name, ParamKind.ACTIVATION, default, "Function applied to the output.", choices=ACTIVATIONS)


def initializer(name: str, default: str) -> Param:
    return Param(name, ParamKind.INITIALIZER, default, "How the weights start.", choices=INITIALIZERS,
                 advanced=True)


def regularizer(name: str) -> Param:
    return Param(name, ParamKind.REGULARIZER, None, "Penalty added to the loss (L1/L2).", nullable=True, advanced=True)


def constraint(name: str) -> Param:
    return Param(name, ParamKind.CONSTRAINT, None, "Limit applied to weights after each update.", nullable=True,
                 advanced=True)


def kernel_bias_params() -> tuple[Param, ...]:
    """The seven keys of a layer with a kernel and a bias, in Keras' order: how both start, their
    penalties (and the output's), and their limits."""
    return (
        initializer("kernel_initializer", "glorot_uniform"),
        initializer("bias_initializer", "zeros"),
        regularizer("kernel_regularizer"),
        regularizer("bias_regularizer"),
        regularizer("activity_regularizer"),
        constraint("kernel_constraint"),
        constraint("bias_constraint"),
    )


def seed() -> Param:
    return Param("seed", ParamKind.INT, None, "Random seed; empty for a random one.", nullable=True, minimum=0,
                 advanced=True)


def rate(name: str = "rate", default: float = 0.5, text: str = "Fraction of units to drop.",
         required: bool = True) -> Param:
    return Param(name, ParamKind.FLOAT, default, text, minimum=0.0, maximum=1.0, exclusive_maximum=True,
                 required=required)
