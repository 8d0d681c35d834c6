"""Feature and audio preprocessing layers: CategoryEncoding, Hashing, Discretization,
StringLookup and IntegerLookup (vocabularies written inline, never a file path), and the
spectrogram layers MelSpectrogram and STFTSpectrogram.

The encoded shapes follow Keras' ``compute_output_shape`` of each layer, quirks included
(Discretization's multi_hot drops axis 1, as Keras' eager code does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from app.core.catalog.costs import per_output
from app.core.catalog.preprocessing import CATEGORY
from app.core.catalog.rules import fmt_shape
from app.core.catalog.spec import (
    DTYPES,
    Config,
    Cost,
    LayerDoc,
    LayerSpec,
    Param,
    ParamKind,
    PortSpec,
    Shape,
    ShapeError,
    base_params,
    no_weights,
)

ENCODINGS = ("int", "one_hot", "multi_hot", "count")


def _encoded(shape: Shape, mode: str, depth: int | None) -> Shape:
    """Keras' shared rule for one_hot / multi_hot / count outputs (IndexLookup, Hashing)."""
    if mode == "int":
        return tuple(shape)
    if mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    return (*shape[:-1], depth)


def _require_rank(shape: Shape, layer: str, low: int = 1, high: int = 8) -> None:
    if not low <= len(shape) <= high:
        raise ShapeError(f"{layer} cannot read the {len(shape)}-D input {fmt_shape(shape)}.", port="input")


# --- CategoryEncoding -----------------------------------------------------------------------

def _category_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    n = cfg["num_tokens"]
    _require_rank(shape, "CategoryEncoding")
    if cfg["output_mode"] == "one_hot" and shape[-1] != 1 and len(shape) > 1:
        return (*shape, n)
    if cfg["output_mode"] == "one_hot" and len(shape) == 1:
        return (*shape, n)
    return (*shape[:-1], n)


CATEGORY_ENCODING = LayerSpec(
    class_name="CategoryEncoding",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("num_tokens", ParamKind.INT, 10, "Number of categories: ids go from 0 to num_tokens − 1.", minimum=1,
              required=True, nullable=True),
        Param("output_mode", ParamKind.CHOICE, "multi_hot", "'one_hot': one vector per id; 'multi_hot': one "
              "vector marking every id of the sample; 'count': how often each id appears.",
              choices=("one_hot", "multi_hot", "count")),
    ),
    output=_category_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Turns integer category ids into vectors of length num_tokens with 1s (or counts) at the ids.",
        formula="multi_hot: y[t] = 1 if id t occurs in the sample; count: y[t] = how often it occurs",
        shape="(None, k) -> (None, num_tokens); one_hot of (None, k>1) -> (None, k, num_tokens).",
        use="Feeding categorical features (a day of week, a product type) to Dense layers.",
        mistake="Ids outside 0..num_tokens − 1, which Keras rejects at run time.",
    ),
)


# --- Hashing --------------------------------------------------------------------------------

def _hashing_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    _require_rank(shape, "Hashing")
    if cfg["output_mode"] == "int":
        return tuple(shape)
    return (*shape[:-1], cfg["num_bins"])  # one_hot too: Keras' Hashing encodes the last axis


HASHING = LayerSpec(
    class_name="Hashing",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        Param("trainable", ParamKind.BOOL, True, "Update this layer's weights during training."),
        # Required, so exported code always names it: Keras' own default depends on output_mode.
        Param("dtype", ParamKind.JSON, "int64", "Type of the output ids.", advanced=True, required=True,
              check=lambda v: None if v in DTYPES or isinstance(v, dict) else f"'dtype' must be a dtype (got {v!r})"),
        Param("num_bins", ParamKind.INT, 10, "Number of buckets the values are hashed into (including the mask "
              "bucket if mask_value is set).", minimum=1, required=True),
        Param("salt", ParamKind.JSON, None, "Key for a keyed hash: one number or two; empty for the plain "
              "FarmHash.", nullable=True, advanced=True),
        Param("mask_value", ParamKind.JSON, None, "A value that always goes to bucket 0 (padding).", nullable=True,
              advanced=True),
        Param("output_mode", ParamKind.CHOICE, "int", "'int': one bucket id per value; or encode the ids as "
              "'one_hot', 'multi_hot' or 'count' vectors.", choices=ENCODINGS),
        Param("sparse", ParamKind.BOOL, False, "Return a sparse tensor (encoded modes only).", advanced=True),
    ),
    output=_hashing_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Maps any value (strings, ids) to one of num_bins buckets with a fixed hash function: no "
        "vocabulary needed.",
        formula="bucket = hash(x) mod num_bins",
        shape="int: same shape as the input; encoded modes: (..., k) -> (..., num_bins).",
        use="Categorical features with very many or unknown values (user ids, postcodes) before an Embedding.",
        mistake="Too few bins: unrelated values then share a bucket (collisions) and cannot be told apart.",
    ),
    name_prefix="hashing",
)


# --- Discretization -------------------------------------------------------------------------

def _check_boundaries(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              and math.isfinite(v) for v in value):
        return "'bin_boundaries' must be a list of numbers such as [0.0, 1.5, 3.0]"
    return None


def _discretization_depth(cfg: Config) -> int:
    if cfg["bin_boundaries"] is not None and cfg["num_bins"] is not None:
        raise ShapeError("Discretization: set either bin_boundaries or num_bins, not both.")
    if cfg["bin_boundaries"] is None:
        if cfg["num_bins"] is None:
            raise ShapeError("Discretization needs bin_boundaries (or num_bins and an adapt step).")
        return int(cfg["num_bins"])
    return len(cfg["bin_boundaries"]) + 1


def _discretization_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    _require_rank(shape, "Discretization")
    depth = _discretization_depth(cfg)
    if cfg["bin_boundaries"] is None:
        raise ShapeError(
            "Discretization with only num_bins learns its boundaries from data (adapt), which a model "
            "definition cannot hold: give bin_boundaries.",
            port="input",
        )
    mode = cfg["output_mode"]
    if mode == "int":
        return tuple(shape)
    if mode == "one_hot":
        if shape and shape[-1] == 1 and len(shape) > 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if len(shape) >= 2:
        return (shape[0], *shape[2:], depth)
    return (depth,)


DISCRETIZATION = LayerSpec(
    class_name="Discretization",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        Param("bin_boundaries", ParamKind.JSON, [0.0], "Sorted edges between the bins: [0, 1] makes the bins "
              "x < 0, 0 ≤ x < 1 and x ≥ 1.", nullable=True, required=True, check=_check_boundaries),
        Param("num_bins", ParamKind.INT, None, "Number of bins to learn with adapt (instead of bin_boundaries).",
              nullable=True, minimum=0, advanced=True),
        Param("epsilon", ParamKind.FLOAT, 0.01, "Error tolerance of adapt's quantile estimate.", minimum=0.0,
              advanced=True),
        Param("output_mode", ParamKind.CHOICE, "int", "'int': the bin index; or encode it as 'one_hot', "
              "'multi_hot' or 'count' vectors.", choices=ENCODINGS),
        Param("sparse", ParamKind.BOOL, False, "Return a sparse tensor (encoded modes only).", advanced=True),
        base_params()[1],
    ),
    output=_discretization_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Puts each number into a bin between fixed boundaries and outputs the bin's index.",
        formula="y = number of boundaries ≤ x",
        shape="int: same shape as the input; one_hot adds an axis of len(bin_boundaries) + 1.",
        use="Turning a continuous feature (age, price) into categories, e.g. for an Embedding or crossing.",
        mistake="Boundaries out of order: they must be sorted from small to large.",
    ),
)


# --- StringLookup / IntegerLookup --------------------------------------------------------------

def _vocabulary_check(kind: type) -> Any:
    """An inline list only: a string would be a file path, which Layerforge never reads."""
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return ("'vocabulary' must be written out as a list; a file path is not read (the file would not "
                    "travel with the model)")
        if not isinstance(value, list) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            return f"'vocabulary' must be a list of {'text' if kind is str else 'whole numbers'}"
        if len(set(value)) != len(value):
            return "'vocabulary' lists the same token twice"
        return None
    return check


def _lookup_depth(cfg: Config) -> int | None:
    """Keras' vocabulary size for encoded outputs: the OOV slots plus the tokens (the mask token
    only counts in int mode), or max_tokens when padding to it."""
    if cfg["pad_to_max_tokens"]:
        return cfg["max_tokens"]
    vocabulary = cfg["vocabulary"] or []
    mask = 1 if cfg["mask_token"] is not None and cfg["output_mode"] == "int" else 0
    return len(vocabulary) + cfg["num_oov_indices"] + mask


def _lookup_rules(layer: str) -> Any:
    def output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        _require_rank(shape, layer)
        if cfg["output_mode"] == "tf_idf" and cfg["idf_weights"] is None:
            raise ShapeError(f"{layer}: output_mode 'tf_idf' needs idf_weights, one per vocabulary token.")
        if cfg["invert"] and cfg["output_mode"] != "int":
            raise ShapeError(f"{layer}: invert only works with output_mode 'int'.")
        return _encoded(shape, cfg["output_mode"] if cfg["output_mode"] != "tf_idf" else "count",
                        _lookup_depth(cfg))
    return output


def _lookup_params(kind: type) -> list[Param]:
    token = ParamKind.STR if kind is str else ParamKind.INT
    return [
        *base_params(),
        Param("invert", ParamKind.BOOL, False, "Map ids back to tokens instead.", advanced=True),
        Param("max_tokens", ParamKind.INT, None, "Largest vocabulary size (with the OOV and mask slots); empty "
              "for no limit.", nullable=True, minimum=1, advanced=True),
        Param("num_oov_indices", ParamKind.INT, 1, "Slots for tokens not in the vocabulary; they are spread "
              "over them by hashing.", minimum=0),
        Param("oov_token", token, "[UNK]" if kind is str else -1, "The token returned for an unknown id when "
              "inverting.", advanced=True),
        Param("mask_token", token, None, "A token that means 'padding' (id 0); empty for none.", nullable=True,
              advanced=True),
        Param("output_mode", ParamKind.CHOICE, "int", "'int': one id per token; or encode the ids as "
              "'one_hot', 'multi_hot', 'count' or 'tf_idf' vectors.", choices=(*ENCODINGS, "tf_idf")),
        Param("sparse", ParamKind.BOOL, False, "Return a sparse tensor (encoded modes only).", advanced=True),
        Param("pad_to_max_tokens", ParamKind.BOOL, False, "Make encoded vectors max_tokens long.",
              advanced=True),
        Param("idf_weights", ParamKind.JSON, None, "Inverse document frequencies for 'tf_idf', one per token.",
              nullable=True, advanced=True),
        Param("vocabulary", ParamKind.JSON, None, "The known tokens, written out as a list.", nullable=True,
              check=_vocabulary_check(kind)),
        Param("vocabulary_size", ParamKind.INT, None, "Filled in by Keras when saving (the tokens plus the "
              "OOV and mask slots); ignored when loading.", nullable=True, advanced=True),
        Param("oov_method", ParamKind.CHOICE, "floormod", "How unknown tokens are spread over the OOV slots.",
              choices=("floormod", "farmhash"), advanced=True),
        Param("salt", ParamKind.JSON, None, "Key for the 'farmhash' OOV method.", nullable=True, advanced=True),
    ]


STRING_LOOKUP = LayerSpec(
    class_name="StringLookup",
    cost=per_output(1),
    category=CATEGORY,
    params=(*_lookup_params(str),
            Param("encoding", ParamKind.STR, "utf-8", "Text encoding of the tokens.", advanced=True)),
    output=_lookup_rules("StringLookup"),
    count=no_weights,
    doc=LayerDoc(
        summary="Maps words or category names to integer ids with a fixed vocabulary; unknown ones go to the "
        "OOV (out-of-vocabulary) id.",
        formula="id = num_oov_indices + position in the vocabulary (plus 1 with a mask token), unknown → OOV",
        shape="int: same shape as the input; encoded modes: (..., k) -> (..., vocabulary size).",
        use="String categorical features (a colour, a country) before an Embedding or CategoryEncoding.",
        mistake="Forgetting that id 0 is the OOV slot (or the mask), so the first word gets id 1.",
    ),
)

INTEGER_LOOKUP = LayerSpec(
    class_name="IntegerLookup",
    cost=per_output(1),
    category=CATEGORY,
    params=(*_lookup_params(int)[:7],
            Param("vocabulary_dtype", ParamKind.CHOICE, "int64", "Integer type of the tokens.",
                  choices=("int32", "int64"), advanced=True),
            *_lookup_params(int)[7:]),
    output=_lookup_rules("IntegerLookup"),
    count=no_weights,
    doc=LayerDoc(
        summary="Maps arbitrary integer codes (product numbers, years) to consecutive ids with a fixed "
        "vocabulary; unknown codes go to the OOV id.",
        formula="id = num_oov_indices + position in the vocabulary (plus 1 with a mask token), unknown → OOV",
        shape="int: same shape as the input; encoded modes: (..., k) -> (..., vocabulary size).",
        use="Integer categorical features whose values are not 0..n−1, before an Embedding.",
        mistake="Feeding the codes straight to an Embedding, which needs small consecutive ids.",
    ),
)


# --- MelSpectrogram / STFTSpectrogram -----------------------------------------------------------

def _mel_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if len(shape) != 2:
        raise ShapeError(
            f"MelSpectrogram takes a batch of mono audio (None, samples), not {fmt_shape(shape)}; for several "
            "channels use STFTSpectrogram, or reshape to one channel.",
            port="input",
        )
    if cfg["fft_length"] < cfg["sequence_length"]:
        raise ShapeError("MelSpectrogram: fft_length must be at least sequence_length.")
    samples, stride = shape[1], cfg["sequence_stride"]
    frames = None if samples is None else (samples + stride + 1) // stride
    return (shape[0], cfg["num_mel_bins"], frames)


def _mel_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """MelSpectrogram: an FFT per frame (≈ n·log2 n) plus the mel filter bank (bins × frequencies)."""
    frames = output[-1]
    if frames is None:
        return None
    n = cfg["fft_length"]
    return (frames * cfg["num_mel_bins"] * (n // 2 + 1), frames * n * max(1, (n - 1).bit_length()))


MEL_SPECTROGRAM = LayerSpec(
    class_name="MelSpectrogram",
    cost=_mel_cost,
    category=CATEGORY,
    params=(
        *base_params(),
        Param("fft_length", ParamKind.INT, 2048, "Samples per FFT (zero-padded frame).", minimum=1),
        Param("sequence_stride", ParamKind.INT, 512, "Samples between the starts of two frames.", minimum=1),
        Param("sequence_length", ParamKind.INT, 2048, "Samples per frame (window length).", minimum=1),
        Param("window", ParamKind.CHOICE, "hann", "Window applied to each frame.", choices=("hann", "hamming"),
              nullable=True, advanced=True),
        Param("sampling_rate", ParamKind.INT, 16000, "Samples per second of the audio.", minimum=1),
        Param("num_mel_bins", ParamKind.INT, 128, "Number of mel frequency bands (output rows).", minimum=1),
        Param("min_freq", ParamKind.FLOAT, 20.0, "Lowest frequency in Hz.", minimum=0.0),
        Param("max_freq", ParamKind.FLOAT, 8000, "Highest frequency in Hz (at most half the sampling rate).",
              minimum=0.0, nullable=True),
        Param("power_to_db", ParamKind.BOOL, True, "Output decibels instead of power."),
        Param("top_db", ParamKind.FLOAT, 80.0, "Decibels below the peak that are kept.", minimum=0.0,
              advanced=True),
        Param("mag_exp", ParamKind.FLOAT, 2.0, "Exponent of the magnitude: 1 amplitude, 2 power.", advanced=True),
        Param("min_power", ParamKind.FLOAT, 1e-10, "Smallest power before taking the log.", minimum=0.0,
              advanced=True),
        Param("ref_power", ParamKind.FLOAT, 1.0, "Power that maps to 0 dB.", advanced=True),
    ),
    output=_mel_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Turns raw audio into a mel spectrogram: the loudness of each frequency band, on the mel scale "
        "that follows human hearing, for each short frame of time.",
        formula="frames of sequence_length samples every sequence_stride → |FFT|^mag_exp → mel filter bank → dB",
        shape="(None, samples) -> (None, num_mel_bins, frames), frames = (samples + stride + 1) // stride.",
        use="The first layer of speech and sound classifiers, followed by Conv2D layers (add a channel axis).",
        mistake="A sampling_rate that differs from the audio's real rate, which shifts every band.",
    ),
)


def _stft_fft(cfg: Config) -> int:
    return int(cfg["fft_length"] or 2 ** math.ceil(math.log2(cfg["frame_length"])))


def _stft_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if len(shape) != 3:
        raise ShapeError(
            f"STFTSpectrogram takes (None, samples, channels) audio, not {fmt_shape(shape)}; add a channel axis "
            "of 1 for mono audio.",
            port="input",
        )
    length, step = cfg["frame_length"], cfg["frame_step"]
    if step is not None and step > length:
        raise ShapeError("STFTSpectrogram: frame_step must not be larger than frame_length.")
    if cfg["fft_length"] is not None and cfg["fft_length"] < length:
        raise ShapeError("STFTSpectrogram: fft_length must be at least frame_length.")
    step = step or length // 2
    first = cfg["data_format"] == "channels_first"
    samples, channels = (shape[2], shape[1]) if first else (shape[1], shape[2])
    if samples is not None:
        frames: int | None = (samples + step - 1) // step if cfg["padding"] == "same" \
            else (samples - length + step) // step
        if frames is not None and frames <= 0:
            raise ShapeError(
                f"STFTSpectrogram: {samples} samples are fewer than one frame of {length} with padding 'valid'.",
                port="input",
            )
    else:
        frames = None
    freq = _stft_fft(cfg) // 2 + 1
    if cfg["mode"] == "stft":
        freq *= 2
    if cfg["expand_dims"]:
        return (shape[0], channels, frames, freq) if first else (shape[0], frames, freq, channels)
    total = None if channels is None else freq * channels
    return (shape[0], total, frames) if first else (shape[0], frames, total)


def _stft_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    kernels = int(cfg["mode"] != "imag") + int(cfg["mode"] != "real")
    return (kernels * cfg["frame_length"] * (_stft_fft(cfg) // 2 + 1), 0)


def _stft_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """STFTSpectrogram is a strided convolution: frame_length products per frequency, kernel and channel."""
    fmt = cfg.get("data_format") or "channels_last"
    shape = inputs[0]
    samples, channels = (shape[2], shape[1]) if fmt == "channels_first" else (shape[1], shape[2])
    step = cfg.get("frame_step") or cfg["frame_length"] // 2
    if samples is None or channels is None:
        return None
    fft = cfg.get("fft_length") or 2 ** max(0, (cfg["frame_length"] - 1).bit_length())
    kernels = int(cfg.get("mode") != "imag") + int(cfg.get("mode") != "real")
    frames = max(0, samples // step)
    return (frames * cfg["frame_length"] * (fft // 2 + 1) * kernels * channels, 0)


STFT_SPECTROGRAM = LayerSpec(
    class_name="STFTSpectrogram",
    cost=_stft_cost,
    category=CATEGORY,
    name_prefix="stft_spectrogram",
    params=(
        *base_params(),
        Param("mode", ParamKind.CHOICE, "log", "What each bin holds: 'log' power, 'magnitude', 'psd' (power), "
              "'real', 'imag', 'angle', or 'stft' (real and imaginary parts).",
              choices=("log", "magnitude", "psd", "real", "imag", "angle", "stft")),
        Param("frame_length", ParamKind.INT, 256, "Samples per frame.", minimum=1),
        Param("frame_step", ParamKind.INT, None, "Samples between frames; empty for half a frame.", nullable=True,
              minimum=1),
        Param("fft_length", ParamKind.INT, None, "FFT size (≥ frame_length); empty for the next power of two.",
              nullable=True, minimum=1, advanced=True),
        Param("window", ParamKind.CHOICE, "hann", "Window applied to each frame.", choices=("hann", "hamming"),
              nullable=True, advanced=True),
        Param("periodic", ParamKind.BOOL, False, "Use a periodic window (for spectral analysis).", advanced=True),
        Param("scaling", ParamKind.CHOICE, "density", "Scale the window to a power 'density' or 'spectrum'.",
              choices=("density", "spectrum"), nullable=True, advanced=True),
        Param("padding", ParamKind.CHOICE, "valid", "'valid': only whole frames; 'same': pad the end.",
              choices=("valid", "same")),
        Param("data_format", ParamKind.CHOICE, "channels_last", "Where the channel axis is.",
              choices=("channels_last", "channels_first"), advanced=True),
        Param("expand_dims", ParamKind.BOOL, False, "Keep frequencies and channels as two axes (an image) "
              "instead of one."),
    ),
    output=_stft_output,
    count=_stft_count,
    doc=LayerDoc(
        summary="A short-time Fourier transform computed as a convolution: the frequency content of each "
        "frame of the audio. Its Fourier kernels are weights, so they can be fine-tuned.",
        formula="X[t, f] = Σ_n x[t·step + n] · w[n] · e^(−2πi·f·n/fft_length)",
        shape="(None, samples, C) -> (None, frames, (fft_length/2 + 1)·C), or (None, frames, freqs, C) with "
        "expand_dims. Weights: frame_length·(fft_length/2 + 1) per kernel (real, imaginary).",
        use="Audio models that should learn from (and maybe adapt) the spectrogram itself.",
        mistake="Leaving the kernels trainable by accident: freeze the layer to keep a true Fourier transform.",
    ),
)


# --- HashedCrossing ---------------------------------------------------------------------------

def _crossing_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    first, second = inputs
    if first[-1] != second[-1] or len(first) != len(second):
        raise ShapeError(
            f"HashedCrossing crosses two features value by value, so they need the same shape, but they are "
            f"{fmt_shape(first)} and {fmt_shape(second)}.",
            port="inputs",
        )
    if cfg["output_mode"] == "int":
        return tuple(first)
    if cfg["output_mode"] == "one_hot" and first[-1] != 1:
        return (*first, cfg["num_bins"])
    return (*first[:-1], cfg["num_bins"])


HASHED_CROSSING = LayerSpec(
    class_name="HashedCrossing",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        Param("num_bins", ParamKind.INT, 10, "Number of buckets the feature pairs are hashed into.", minimum=1,
              required=True),
        Param("output_mode", ParamKind.CHOICE, "int", "'int': one bucket id per pair; 'one_hot': a vector.",
              choices=("int", "one_hot")),
        Param("sparse", ParamKind.BOOL, False, "Return a sparse tensor (one_hot only).", advanced=True),
        # Required, so exported code always names it: Keras' own default depends on output_mode.
        Param("dtype", ParamKind.JSON, "int64", "Type of the output.", advanced=True, required=True,
              check=lambda v: None if v in DTYPES or isinstance(v, dict) else f"'dtype' must be a dtype (got {v!r})"),
    ),
    ports=(PortSpec("inputs", variadic=True, min_count=2, max_count=2),),
    call="list",
    output=_crossing_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Combines two categorical features into one by hashing each pair of values into a bucket: "
        "'city × weekday' becomes a single feature.",
        formula="bucket = hash(a, b) mod num_bins",
        shape="Two inputs of the same shape -> that shape (int) or (..., num_bins) (one_hot).",
        use="Wide-and-deep and tabular models, where a combination of features matters more than each alone.",
        mistake="Crossing features with many values into few bins, so different pairs collide.",
    ),
)


# --- TextVectorization -------------------------------------------------------------------------

def _text_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
        raise ShapeError(
            f"TextVectorization reads one string per sample, (None,) or (None, 1), not {fmt_shape(shape)}.",
            port="input",
        )
    mode = cfg["output_mode"]
    if mode != "int" and cfg["output_sequence_length"] is not None:
        raise ShapeError("TextVectorization: output_sequence_length only applies to output_mode 'int'.")
    if cfg["ragged"] and mode != "int":
        raise ShapeError("TextVectorization: ragged only applies to output_mode 'int'.")
    if mode == "tf_idf" and cfg["idf_weights"] is None:
        raise ShapeError("TextVectorization: output_mode 'tf_idf' needs idf_weights, one per vocabulary token.")
    if mode == "int":
        return (shape[0], cfg["output_sequence_length"])
    words = (*shape, None) if cfg["split"] is not None else ((*shape, 1) if len(shape) <= 1 else tuple(shape))
    depth = cfg["max_tokens"] if cfg["pad_to_max_tokens"] else len(cfg["vocabulary"] or []) + 1
    return _encoded(words, "count" if mode == "tf_idf" else mode, depth)


TEXT_VECTORIZATION = LayerSpec(
    class_name="TextVectorization",
    cost=per_output(1),
    category=CATEGORY,
    params=(
        *base_params(),
        Param("max_tokens", ParamKind.INT, None, "Largest vocabulary size; empty for no limit.", nullable=True,
              minimum=1, advanced=True),
        Param("standardize", ParamKind.CHOICE, "lower_and_strip_punctuation", "How text is cleaned before "
              "splitting (a custom function would be code, so only Keras' named ones).",
              choices=("lower_and_strip_punctuation", "lower", "strip_punctuation"), nullable=True),
        Param("split", ParamKind.CHOICE, "whitespace", "How text is cut into tokens.",
              choices=("whitespace", "character"), nullable=True),
        Param("ngrams", ParamKind.JSON, None, "Also make n-grams: a number n (2..n) or a list of sizes.",
              nullable=True, advanced=True),
        Param("output_mode", ParamKind.CHOICE, "int", "'int': a sequence of token ids; or one vector per text: "
              "'multi_hot', 'count' or 'tf_idf'.", choices=("int", "multi_hot", "count", "tf_idf")),
        Param("output_sequence_length", ParamKind.INT, None, "Pad or cut every sequence to this length "
              "('int' only); empty keeps each batch's longest.", nullable=True, minimum=1),
        Param("pad_to_max_tokens", ParamKind.BOOL, False, "Make vectors max_tokens long.", advanced=True),
        Param("sparse", ParamKind.BOOL, False, "Return a sparse tensor (vector modes only).", advanced=True),
        Param("ragged", ParamKind.BOOL, False, "Return ragged sequences ('int' only).", advanced=True),
        Param("vocabulary", ParamKind.JSON, None, "The known words, written out as a list.", nullable=True,
              check=_vocabulary_check(str)),
        Param("idf_weights", ParamKind.JSON, None, "Inverse document frequencies for 'tf_idf'.", nullable=True,
              advanced=True),
        Param("encoding", ParamKind.STR, "utf-8", "Text encoding.", advanced=True),
        Param("vocabulary_size", ParamKind.INT, None, "Filled in by Keras when saving; ignored when loading.",
              nullable=True, advanced=True),
    ),
    output=_text_output,
    count=no_weights,
    doc=LayerDoc(
        summary="Turns raw text into numbers: cleans it, splits it into words and maps each word to its id in "
        "a fixed vocabulary (or counts the words into one vector).",
        formula="'The cat.' -> ['the', 'cat'] -> [id('the'), id('cat')]; id 0 is padding, 1 unknown words",
        shape="(None,) or (None, 1) strings -> (None, output_sequence_length) ids, or (None, vocabulary + 1) "
        "for multi_hot/count.",
        use="The first layer of a text model, before an Embedding (int) or a Dense bag-of-words (multi_hot).",
        mistake="Leaving output_sequence_length empty, so sequence lengths change from batch to batch.",
    ),
)


SPECS: tuple[LayerSpec, ...] = (
    CATEGORY_ENCODING,
    HASHING,
    DISCRETIZATION,
    STRING_LOOKUP,
    INTEGER_LOOKUP,
    MEL_SPECTROGRAM,
    STFT_SPECTROGRAM,
    HASHED_CROSSING,
    TEXT_VECTORIZATION,
)
