"""Cases for CategoryEncoding, Hashing, Discretization, StringLookup, IntegerLookup and the spectrograms."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape

MODES = st.sampled_from(["int", "one_hot", "multi_hot", "count"])


def _ids(draw: Any, max_rank: int = 3) -> Shape:
    rank = draw(st.integers(1, max_rank))
    return (None, *[draw(st.sampled_from([1, 1, 2, 3, None])) for _ in range(rank - 1)])


@st.composite
def _category(draw: Any) -> Case:
    cfg = {"num_tokens": draw(st.integers(1, 8)), "output_mode": draw(st.sampled_from(["one_hot", "multi_hot",
                                                                                        "count"]))}
    return Case(cfg, [_ids(draw, 3)], dtypes=["int32"])


@st.composite
def _hashing(draw: Any) -> Case:
    cfg = {"num_bins": draw(st.integers(1, 8)), "output_mode": draw(MODES)}
    return Case(cfg, [_ids(draw, 3)], dtypes=[draw(st.sampled_from(["int64", "string"]))])


@st.composite
def _discretization(draw: Any) -> Case:
    bounds = sorted(draw(st.lists(st.floats(-5, 5).map(lambda v: round(v, 2)), min_size=1, max_size=4,
                                  unique=True)))
    return Case({"bin_boundaries": bounds, "output_mode": draw(MODES)}, [_ids(draw, 3)])


@st.composite
def _lookup(draw: Any, strings: bool) -> Case:
    size = draw(st.integers(1, 5))
    vocab: list[Any] = [f"w{i}" for i in range(size)] if strings else list(range(10, 10 + size))
    cfg = {
        "vocabulary": vocab,
        "num_oov_indices": draw(st.integers(0, 2)),
        "mask_token": draw(st.sampled_from([None, "" if strings else 0])),
        "output_mode": draw(MODES),
    }
    return Case(cfg, [_ids(draw, 3)], dtypes=["string" if strings else "int64"])


@st.composite
def _mel(draw: Any) -> Case:
    length = draw(st.sampled_from([64, 128]))
    cfg = {"fft_length": length, "sequence_length": length, "sequence_stride": draw(st.sampled_from([16, 32])),
           "num_mel_bins": draw(st.integers(4, 16)), "sampling_rate": 8000, "max_freq": 4000,
           "power_to_db": draw(st.booleans())}
    samples = draw(st.sampled_from([None, 256, 500]))
    shape: Shape = (None, samples) if draw(st.integers(0, 7)) else (None, samples, 1)
    return Case(cfg, [shape])


@st.composite
def _stft(draw: Any) -> Case:
    length = draw(st.sampled_from([16, 32, 40]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    cfg = {"frame_length": length, "frame_step": draw(st.sampled_from([None, 8, length])),
           "fft_length": draw(st.sampled_from([None, 64])),
           "mode": draw(st.sampled_from(["log", "magnitude", "real", "imag", "stft"])),
           "padding": draw(st.sampled_from(["valid", "same"])), "data_format": fmt,
           "expand_dims": draw(st.booleans())}
    samples, channels = draw(st.sampled_from([None, 30, 100])), draw(st.integers(1, 2))
    shape: Shape = (None, channels, samples) if fmt == "channels_first" else (None, samples, channels)
    return Case(cfg, [shape])


@st.composite
def _crossing(draw: Any) -> Case:
    first = _ids(draw, 2)
    second = first if draw(st.integers(0, 5)) else (None, 4)
    cfg = {"num_bins": draw(st.integers(1, 8)), "output_mode": draw(st.sampled_from(["int", "one_hot"])),
           "dtype": draw(st.sampled_from(["int64", "float32"]))}
    return Case(cfg, [first, second], dtypes=["int64", draw(st.sampled_from(["int64", "string"]))])


@st.composite
def _text(draw: Any) -> Case:
    mode = draw(st.sampled_from(["int", "int", "multi_hot", "count"]))
    cfg = {
        "vocabulary": [f"w{i}" for i in range(draw(st.integers(1, 6)))],
        "output_mode": mode,
        "output_sequence_length": draw(st.sampled_from([None, 4, 8])) if mode == "int" else None,
        "standardize": draw(st.sampled_from(["lower_and_strip_punctuation", "lower", None])),
        "split": draw(st.sampled_from(["whitespace", "character"])),
    }
    shape: Shape = draw(st.sampled_from([(None,), (None, 1), (None, 1), (None, 2)]))
    return Case(cfg, [shape], dtypes=["string"])


CASES = {
    "HashedCrossing": _crossing(),
    "TextVectorization": _text(),
    "CategoryEncoding": _category(),
    "Hashing": _hashing(),
    "Discretization": _discretization(),
    "StringLookup": _lookup(True),
    "IntegerLookup": _lookup(False),
    "MelSpectrogram": _mel(),
    "STFTSpectrogram": _stft(),
}

EXAMPLES = dict.fromkeys(CASES, 10)
