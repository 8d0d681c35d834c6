"""Core layers: Input, Dense, reshaping, Embedding and the activation layers."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.catalog.costs import SOFTMAX_OPS, activation_ops, free, per_output, per_sample, times
from app.core.catalog.explaining import (
    arrow,
    dropout_explain,
    every_value,
    no_weights_sentence,
    params_text,
    plural,
)
from app.core.catalog.rules import elements, fmt_shape, normalize_axis, require_known, require_min_rank, require_rank
from app.core.catalog.spec import (
    Config,
    Cost,
    ExplainContext,
    Fix,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    Sentence,
    Shape,
    ShapeError,
    activation,
    base_params,
    constraint,
    dtype_name,
    initializer,
    no_weights,
    rate,
    regularizer,
    same_shape,
    seed,
)

CATEGORY = "Core"
ACTIVATION_CATEGORY = "Activations"


def _no_quantization(value: object) -> str | None:
    """Keras deserialises a ``quantization_config`` as an arbitrary Keras object, and a quantized
    layer's weights are not what the count rules describe: only ``None`` is accepted."""
    if value is None:
        return None
    return ("'quantization_config' must be empty: Layerforge builds unquantized layers "
            "(quantize the exported model with Keras' model.quantize instead)")


# --- Cost and explanation rules -------------------------------------------------------------

def _input_explain(ctx: ExplainContext) -> list[str]:
    sample = ctx.output[1:]
    n = elements(sample)
    count = "?" if n is None else f"{n:,}"
    if len(sample) > 1:
        count = " x ".join("?" if d is None else str(d) for d in sample) + f" = {count}"
    return [f"{fmt_shape(ctx.output)}: each sample holds {count} values of type {dtype_name(ctx.cfg)}; "
            f"the batch size (None) is set when data flows; {params_text(0)}"]


def _dense_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Every input value meets every unit: (positions · features) · units."""
    n = per_sample(inputs[0])
    return None if n is None else (n * cfg["units"], 0)


def _dense_explain(ctx: ExplainContext) -> list[str]:
    features, units = ctx.shape_in[-1], ctx.cfg["units"]
    assert features is not None
    total = features * units + (units if ctx.cfg["use_bias"] else 0)
    bias = f" + {units:,} {plural(units, 'bias', 'biases')}" if ctx.cfg["use_bias"] else ""
    text = [f"{arrow(ctx)}: {features:,} x {units:,} weights{bias} = {params_text(total)}"]
    positions = elements(ctx.shape_in[1:-1])
    if len(ctx.shape_in) > 2:
        where = f"each of the {positions:,} positions" if positions else "every position"
        text.append(f"The same weights are applied at {where}; only the last axis changes.")
    return text


def _activation_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    return times(per_sample(output), activation_ops(cfg.get("activation")))


def _activation_explain(ctx: ExplainContext) -> Sentence:
    return f"{arrow(ctx)}: applies {ctx.cfg['activation']} to {every_value(ctx)}; {params_text(0)}", 0


def _relu_explain(ctx: ExplainContext) -> Sentence:
    return f"{arrow(ctx)}: keeps {every_value(ctx)} if positive, else sets it to 0; {params_text(0)}", 0


def _softmax_explain(ctx: ExplainContext) -> Sentence:
    axis = ctx.cfg["axis"]
    size = ctx.output[axis] if isinstance(axis, int) else None
    what = f"the {size} values" if size is not None else "the values"
    return f"{arrow(ctx)}: turns {what} along axis {axis} into probabilities that sum to 1; {params_text(0)}", 0


def _prelu_explain(ctx: ExplainContext) -> Sentence:
    shape = list(ctx.shape_in[1:])
    shared = ctx.cfg.get("shared_axes") or []
    for axis in shared:
        shape[axis - 1] = 1
    total = elements(shape) or 0
    note = f" (axes {shared} share one)" if shared else ""
    return (f"{arrow(ctx)}: one learned slope per value{note}: {' x '.join(map(str, shape))} = "
            f"{params_text(total)}", total)


def _embedding_explain(ctx: ExplainContext) -> list[str]:
    vocab, dim = ctx.cfg["input_dim"], ctx.cfg["output_dim"]
    total = vocab * dim
    text = [f"{arrow(ctx)}: a table of {vocab:,} rows (one per token id) x {dim} values = {params_text(total)}"]
    if len(ctx.shape_in) == 2 and ctx.shape_in[1] is not None:
        steps = ctx.shape_in[1]
        text.append(f"Each of the {steps} token ids picks its row: {steps} x {dim} values per sample.")
    return text


def _flatten_explain(ctx: ExplainContext) -> Sentence:
    sample = ctx.shape_in[1:]
    n = elements(sample)
    count = "?" if n is None else f"{n:,}"
    shown = " x ".join("?" if d is None else str(d) for d in sample)
    return f"{arrow(ctx)}: {shown} = {count} values per sample; {params_text(0)}", 0


def _reshape_explain(ctx: ExplainContext) -> Sentence:
    n = elements(ctx.shape_in[1:])
    values = f"the same {n:,} values" if n is not None else "the same values"
    return f"{arrow(ctx)}: {values}, rearranged; {params_text(0)}", 0


def _permute_explain(ctx: ExplainContext) -> Sentence:
    return f"{arrow(ctx)}: the axes are reordered as dims {list(ctx.cfg['dims'])}; {params_text(0)}", 0


def _repeat_vector_explain(ctx: ExplainContext) -> Sentence:
    return f"{arrow(ctx)}: the {ctx.shape_in[-1]} values are repeated {ctx.cfg['n']} times; {params_text(0)}", 0


_leaky_explain = no_weights_sentence("keeps positive values and multiplies negative ones by {cfg[negative_slope]:g}")
_elu_explain = no_weights_sentence("keeps positive values and bends negative ones towards −{cfg[alpha]:g}")


# --- Input ---------------------------------------------------------------------------

def _input_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    return tuple(cfg["batch_shape"])


def _check_batch_shape(value: object) -> str | None:
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        return "'batch_shape' needs the batch axis and at least one more, such as [null, 784]"
    return None


INPUT = LayerSpec(
    class_name="InputLayer",
    cost=free,
    explain=_input_explain,
    title="Input",
    category=CATEGORY,
    ports=(),
    params=(
        Param(
            "batch_shape",
            ParamKind.SHAPE,
            [None, 784],
            "Shape of one batch; the first entry is the batch size (leave it empty).",
            nullable=False,
            check=_check_batch_shape,
        ),
        Param("dtype", ParamKind.CHOICE, "float32", "Type of the values fed in.",
              choices=("float32", "float16", "float64", "int32", "int64", "bool", "string")),
        Param("sparse", ParamKind.BOOL, False, "Inputs are sparse tensors.", advanced=True),
        Param("ragged", ParamKind.BOOL, False, "Inputs are ragged tensors.", advanced=True),
        Param("optional", ParamKind.BOOL, False, "The input may be None.", advanced=True),
    ),
    output=_input_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Where data enters the model. Every model needs at least one.",
        shape="Output is exactly the shape you set: (None, *shape), None being the batch.",
        use="Set the shape of one sample: (784,) for a flat vector, (28, 28, 1) for a grey image, "
        "(timesteps, features) for a sequence.",
        mistake="Including the batch size in the shape; Keras adds it for you as None.",
    ),
)


# --- Dense ---------------------------------------------------------------------------

def _dense_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    require_min_rank(shape, 2, "Dense")
    return (*shape[:-1], cfg["units"])


def _dense_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    features = require_known(inputs[0][-1], "last dimension (features)", "Dense")
    return (features * cfg["units"] + (cfg["units"] if cfg["use_bias"] else 0), 0)


def _dense_warn(cfg: Config, inputs: Sequence[Shape]) -> list[ShapeError]:
    (shape,) = inputs
    if len(shape) < 4:
        return []
    return [ShapeError(
        f"Dense gets a {len(shape)}-D tensor {fmt_shape(shape)}, so it is applied to every position separately "
        "and the output stays an image. Usually you want Flatten or GlobalAveragePooling2D in front.",
        port="input",
        fix=dense_input_fix(),
    )]


DENSE = LayerSpec(
    class_name="Dense",
    cost=_dense_cost,
    explain=_dense_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("units", ParamKind.INT, 32, "Number of neurons (output features).", minimum=1, required=True),
        activation(),
        Param("use_bias", ParamKind.BOOL, True, "Add a learned bias to each output."),
        initializer("kernel_initializer", "glorot_uniform"),
        initializer("bias_initializer", "zeros"),
        regularizer("kernel_regularizer"),
        regularizer("bias_regularizer"),
        constraint("kernel_constraint"),
        constraint("bias_constraint"),
        Param("quantization_config", ParamKind.JSON, None, "Quantization settings.", nullable=True, advanced=True,
              check=_no_quantization),
    ),
    output=_dense_output,
    count=_dense_count,
    warn=_dense_warn,
    doc=LayerDoc(
        summary="A fully connected layer: every output neuron sees every input feature.",
        formula="y = activation(x · W + b)",
        shape="(None, ..., features) -> (None, ..., units); only the last axis changes.",
        use="Hidden layers of an MLP and the classification head at the end of most models.",
        mistake="Feeding it an image (4-D) tensor: it then acts on each pixel separately. "
        "Put Flatten or GlobalAveragePooling2D in front first.",
    ),
)


# --- Activation layers ----------------------------------------------------------------

ACTIVATION = LayerSpec(
    class_name="Activation",
    cost=_activation_cost,
    explain=_activation_explain,
    category=ACTIVATION_CATEGORY,
    params=(
        *base_params(),
        Param("activation", ParamKind.ACTIVATION, "relu", "Function applied to each value.", required=True),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Applies an activation function to every value, on its own.",
        shape="Output shape equals input shape.",
        use="When you want the activation as a separate step, e.g. after BatchNormalization.",
        mistake="Adding softmax twice: once here and once in the previous Dense.",
    ),
)

RELU = LayerSpec(
    class_name="ReLU",
    cost=per_output(1),
    explain=_relu_explain,
    category=ACTIVATION_CATEGORY,
    name_prefix="re_lu",
    params=(
        *base_params(),
        Param("max_value", ParamKind.FLOAT, None, "Upper cap (6 gives ReLU6).", nullable=True, minimum=0.0),
        Param("negative_slope", ParamKind.FLOAT, 0.0, "Slope for negative inputs.", minimum=0.0),
        Param("threshold", ParamKind.FLOAT, 0.0, "Values below this are treated as negative."),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Rectified linear unit: keeps positive values, zeroes negative ones.",
        formula="f(x) = min(max(x, 0), max_value)",
        shape="Output shape equals input shape.",
        use="The default non-linearity for hidden layers in CNNs and MLPs.",
        mistake="Too high a learning rate can leave many units stuck at zero ('dead ReLUs').",
    ),
)

LEAKY_RELU = LayerSpec(
    class_name="LeakyReLU",
    cost=per_output(1),
    explain=_leaky_explain,
    category=ACTIVATION_CATEGORY,
    name_prefix="leaky_re_lu",
    params=(
        *base_params(),
        Param("negative_slope", ParamKind.FLOAT, 0.3, "Slope for negative inputs.", minimum=0.0),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Like ReLU, but negative inputs keep a small slope so units never fully die.",
        formula="f(x) = x if x > 0 else negative_slope · x",
        shape="Output shape equals input shape.",
        use="GANs and deep networks where dead ReLUs are a problem.",
        mistake="Setting the slope to 1, which makes the layer linear.",
    ),
)


def _prelu_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    shape = list(inputs[0][1:])
    for axis in cfg.get("shared_axes") or []:
        index = axis - 1
        if not 0 <= index < len(shape):
            raise ShapeError(f"PReLU: shared axis {axis} does not exist in {fmt_shape(inputs[0])}.")
        shape[index] = 1
    count = elements(shape)
    if count is None:
        raise ShapeError("PReLU needs every non-shared axis to have a known size.")
    return (count, 0)


PRELU = LayerSpec(
    class_name="PReLU",
    cost=per_output(1),
    explain=_prelu_explain,
    category=ACTIVATION_CATEGORY,
    name_prefix="p_re_lu",
    params=(
        *base_params(),
        initializer("alpha_initializer", "zeros"),
        regularizer("alpha_regularizer"),
        constraint("alpha_constraint"),
        Param("shared_axes", ParamKind.INT_TUPLE, None, "Axes that share one slope (e.g. [1, 2] for images).",
              nullable=True, minimum=1),
    ),
    output=same_shape,
    count=_prelu_count,
    doc=LayerDoc(
        summary="Leaky ReLU whose negative slope is learned, one slope per value unless axes are shared.",
        formula="f(x) = x if x > 0 else alpha · x, alpha learned",
        shape="Output shape equals input shape; weights = input size with shared axes set to 1.",
        use="Image models, with shared_axes=[1, 2] to learn one slope per channel.",
        mistake="Forgetting shared_axes on images, which learns a slope for every pixel.",
    ),
)

ELU = LayerSpec(
    class_name="ELU",
    cost=per_output(1),
    explain=_elu_explain,
    category=ACTIVATION_CATEGORY,
    params=(*base_params(), Param("alpha", ParamKind.FLOAT, 1.0, "Scale of the negative part.", minimum=0.0)),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="Exponential linear unit: smooth for negative inputs, linear for positive ones.",
        formula="f(x) = x if x > 0 else alpha · (exp(x) − 1)",
        shape="Output shape equals input shape.",
        use="An alternative to ReLU that keeps mean activations closer to zero.",
        mistake="Expecting it to be cheaper than ReLU; the exponential costs more.",
    ),
)


def _softmax_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    axis = cfg["axis"]
    for a in axis if isinstance(axis, list) else [axis]:
        normalize_axis(a, len(inputs[0]), "Softmax")
    return tuple(inputs[0])


SOFTMAX = LayerSpec(
    class_name="Softmax",
    cost=per_output(SOFTMAX_OPS),
    explain=_softmax_explain,
    category=ACTIVATION_CATEGORY,
    params=(
        *base_params(),
        Param("axis", ParamKind.INT, -1, "Axis the probabilities sum to 1 along."),
    ),
    output=_softmax_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Turns scores into probabilities that sum to 1 along an axis.",
        formula="softmax(x)_i = exp(x_i) / Σ_j exp(x_j)",
        shape="Output shape equals input shape.",
        use="The last step of a multi-class classifier.",
        mistake="Using it with from_logits=True in the loss, which applies softmax twice.",
    ),
)


# --- Regularization and reshaping ---------------------------------------------------------

DROPOUT = LayerSpec(
    class_name="Dropout",
    cost=free,
    explain=dropout_explain("values"),
    category=CATEGORY,
    params=(
        *base_params(),
        rate(),
        seed(),
        Param("noise_shape", ParamKind.JSON, None, "Shape of the dropout mask.", nullable=True, advanced=True),
    ),
    output=same_shape,
    count=no_weights,
    doc=LayerDoc(
        summary="During training, sets a random fraction of values to zero; does nothing at inference.",
        formula="y = x · mask / (1 − rate), mask ~ Bernoulli(1 − rate)",
        shape="Output shape equals input shape.",
        use="Against overfitting, after Dense layers; 0.2–0.5 is typical.",
        mistake="A rate near 1, which throws away almost everything.",
    ),
)


def _flatten_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    return (shape[0], elements(shape[1:]))


FLATTEN = LayerSpec(
    class_name="Flatten",
    cost=free,
    explain=_flatten_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("data_format", ParamKind.CHOICE, "channels_last", "Order of axes in images.",
              choices=("channels_last", "channels_first"), advanced=True),
    ),
    output=_flatten_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Unrolls every sample into one long vector.",
        shape="(None, a, b, c) -> (None, a·b·c).",
        use="Between convolution/pooling layers and the Dense head of a CNN.",
        mistake="Flattening a large feature map: the next Dense gets millions of weights. "
        "GlobalAveragePooling2D is often better.",
    ),
)


def _reshape_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    target = list(cfg["target_shape"])
    if sum(1 for d in target if d == -1) > 1:
        raise ShapeError("Reshape: only one dimension of target_shape may be -1.")
    if any(d == 0 or (d is not None and d < -1) for d in target):
        raise ShapeError(f"Reshape: target_shape {target} has an invalid dimension; use positive sizes or one -1.")
    have = elements(shape[1:])
    known = elements(d for d in target if d != -1)
    if -1 in target:
        if have is not None and known is not None:
            if known == 0 or have % known:
                raise ShapeError(
                    f"Reshape: {have} values per sample cannot be split into {target} "
                    f"({have} is not divisible by {known})."
                )
            target[target.index(-1)] = have // known
        else:
            target[target.index(-1)] = None
    elif have is not None and known is not None and have != known:
        raise ShapeError(
            f"Reshape: the input has {have} values per sample {fmt_shape(shape)} but target_shape "
            f"{tuple(target)} holds {known}. The products must match.",
            port="input",
        )
    return (shape[0], *target)


def _check_target_shape(value: object) -> str | None:
    if not isinstance(value, (list, tuple)) or not value:
        return "'target_shape' must be a shape such as [7, 7, 64]"
    if not all(isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in value):
        return "'target_shape' dimensions must be positive whole numbers, or -1 once"
    return None


RESHAPE = LayerSpec(
    class_name="Reshape",
    cost=free,
    explain=_reshape_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("target_shape", ParamKind.JSON, [-1, 1], "New shape of one sample; one entry may be -1 (inferred).",
              required=True, check=_check_target_shape),
    ),
    output=_reshape_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Rearranges the values of each sample into a new shape, keeping their count.",
        shape="(None, *in) -> (None, *target_shape); the products must be equal.",
        use="Turning a flat vector into an image or a sequence, e.g. (784,) -> (28, 28, 1).",
        mistake="Including the batch axis in target_shape.",
    ),
)


def _permute_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dims = list(cfg["dims"])
    if sorted(dims) != list(range(1, len(shape))):
        raise ShapeError(
            f"Permute: dims {dims} must be a reordering of 1..{len(shape) - 1} for input {fmt_shape(shape)}."
        )
    return (shape[0], *(shape[d] for d in dims))


PERMUTE = LayerSpec(
    class_name="Permute",
    cost=free,
    explain=_permute_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("dims", ParamKind.INT_TUPLE, [2, 1], "New order of the axes, counting from 1.", required=True, minimum=1),
    ),
    output=_permute_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Reorders the axes of each sample (the batch axis stays first).",
        shape="(None, a, b) with dims (2, 1) -> (None, b, a).",
        use="Swapping time and feature axes, or moving channels.",
        mistake="Counting axes from 0: axis 0 is the batch and cannot move.",
    ),
)


def _repeat_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    require_rank(shape, 2, "RepeatVector", hint="Flatten it first.")
    return (shape[0], cfg["n"], shape[1])


REPEAT_VECTOR = LayerSpec(
    class_name="RepeatVector",
    cost=free,
    explain=_repeat_vector_explain,
    category=CATEGORY,
    params=(*base_params(), Param("n", ParamKind.INT, 3, "How many times to repeat.", minimum=1, required=True)),
    output=_repeat_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Repeats a vector n times, making a sequence.",
        shape="(None, features) -> (None, n, features).",
        use="Sequence-to-sequence models: feed an encoder's summary to every decoder step.",
        mistake="Giving it a sequence; it takes 2-D input only.",
    ),
)


def _embedding_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    return (*inputs[0], cfg["output_dim"])


def _embedding_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    return (cfg["input_dim"] * cfg["output_dim"], 0)


EMBEDDING = LayerSpec(
    class_name="Embedding",
    cost=free,
    explain=_embedding_explain,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("input_dim", ParamKind.INT, 1000, "Vocabulary size: largest token id + 1.", minimum=1, required=True),
        Param("output_dim", ParamKind.INT, 32, "Length of each token's vector.", minimum=1, required=True),
        initializer("embeddings_initializer", "uniform"),
        regularizer("embeddings_regularizer"),
        regularizer("activity_regularizer"),
        constraint("embeddings_constraint"),
        Param("mask_zero", ParamKind.BOOL, False, "Treat token 0 as padding and mask it."),
        Param("quantization_config", ParamKind.JSON, None, "Quantization settings.", nullable=True, advanced=True,
              check=_no_quantization),
    ),
    output=_embedding_output,
    count=_embedding_count,
    doc=LayerDoc(
        summary="Looks up a learned vector for each integer token id.",
        formula="y[t] = E[x[t]], E is an input_dim × output_dim table",
        shape="(None, timesteps) -> (None, timesteps, output_dim).",
        use="The first layer of a text model, turning word ids into vectors.",
        mistake="input_dim smaller than the largest token id + 1, which fails during training.",
    ),
)


def dense_input_fix() -> Fix:
    """The fix offered when Dense receives an image: flatten it first."""
    return Fix("Insert a Flatten layer before it", {"op": "insert_before", "port": "input", "class_name": "Flatten"})


SPECS: tuple[LayerSpec, ...] = (
    INPUT,
    DENSE,
    ACTIVATION,
    DROPOUT,
    FLATTEN,
    RESHAPE,
    PERMUTE,
    REPEAT_VECTOR,
    EMBEDDING,
    RELU,
    LEAKY_RELU,
    PRELU,
    ELU,
    SOFTMAX,
)
