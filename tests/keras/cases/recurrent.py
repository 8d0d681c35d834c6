"""Cases for the recurrent catalog module: SimpleRNN, LSTM, GRU and the two wrappers.

Units and timesteps stay small: every example builds a real Keras RNN.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from app.core.catalog import get_spec
from app.core.catalog.recurrent import layer_value
from tests.keras.cases.base import Case, Shape, dims

RNN_ACTIVATIONS = st.sampled_from(["tanh", "relu", "sigmoid", "linear"])


def _sequence_shape() -> st.SearchStrategy[Shape]:
    """Mostly (None, timesteps, features); sometimes the ranks or sizes Keras refuses."""
    good = st.tuples(st.one_of(dims(1, 6), st.none()), dims(1, 6)).map(lambda t: (None, *t))
    flat = dims(1, 6).map(lambda n: (None, n))
    image = st.tuples(dims(1, 4), dims(1, 4), dims(1, 3)).map(lambda t: (None, *t))
    unknown_features = dims(1, 5).map(lambda t: (None, t, None))
    return st.sampled_from(["good"] * 7 + ["flat", "image", "unknown"]).flatmap(
        lambda kind: {"good": good, "flat": flat, "image": image, "unknown": unknown_features}[kind]
    )


def _rnn_config(kind: str, draw: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "units": draw(dims(1, 6)),
        "activation": draw(RNN_ACTIVATIONS),
        "use_bias": draw(st.booleans()),
        "return_sequences": draw(st.booleans()),
        "go_backwards": draw(st.booleans()),
        "unroll": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.25])),
        "recurrent_dropout": draw(st.sampled_from([0.0, 0.0, 0.1])),
        "trainable": draw(st.sampled_from([True, True, True, False])),
    }
    if kind in ("LSTM", "GRU"):
        cfg["recurrent_activation"] = draw(st.sampled_from(["sigmoid", "hard_sigmoid", "tanh"]))
    if kind == "LSTM":
        cfg["unit_forget_bias"] = draw(st.booleans())
    if kind == "GRU":
        cfg["reset_after"] = draw(st.booleans())
    return cfg


def _rnn(kind: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: Any) -> Case:
        cfg = _rnn_config(kind, draw)
        shape = draw(_sequence_shape())
        if draw(st.sampled_from([False] * 9 + [True])):
            cfg["stateful"] = True
            if len(shape) == 3 and shape[1] is not None and draw(st.booleans()):
                shape = (2, *shape[1:])
        return Case(cfg, [shape])

    return build()


@st.composite
def _bidirectional(draw: Any) -> Case:
    kind = draw(st.sampled_from(["LSTM", "GRU", "SimpleRNN"]))
    inner = _rnn_config(kind, draw)
    inner["go_backwards"] = draw(st.sampled_from([False] * 5 + [True]))
    cfg: dict[str, Any] = {
        "layer": layer_value(kind, inner),
        "merge_mode": draw(st.sampled_from(["concat", "concat", "sum", "mul", "ave", None])),
    }
    if draw(st.sampled_from([False, False, False, True])):
        back_kind = draw(st.sampled_from([kind, kind, "GRU", "LSTM"]))
        back = {
            "units": inner["units"],
            "return_sequences": inner["return_sequences"],
            "go_backwards": draw(st.sampled_from([True, True, True, False])),
        }
        cfg["backward_layer"] = layer_value(back_kind, back)
    return Case(cfg, [draw(_sequence_shape())])


def _with_defaults(class_name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    spec = get_spec(class_name)
    assert spec is not None, class_name
    return {**spec.default_config(), **overrides}


@st.composite
def _time_distributed(draw: Any) -> Case:
    """Wrap a few catalog layers; shapes are (None, timesteps, *one step)."""
    timesteps = draw(st.one_of(dims(1, 4), st.none()))
    choice = draw(st.sampled_from(
        ["Dense", "Dense", "Conv2D", "Conv1D", "MaxPooling2D", "Flatten", "Dropout", "BatchNormalization",
         "GlobalAveragePooling1D", "Activation"]
    ))
    if get_spec(choice) is None:
        choice = "Dense"
    step: tuple[int | None, ...]
    if choice == "Dense":
        step = draw(st.lists(dims(1, 6), min_size=0, max_size=2).map(tuple))
        inner = {"units": draw(dims(1, 8)), "use_bias": draw(st.booleans())}
    elif choice == "Conv2D":
        step = (draw(dims(2, 7)), draw(dims(2, 7)), draw(dims(1, 3)))
        k = draw(dims(1, 3))
        padding = draw(st.sampled_from(["valid", "same"]))
        inner = {"filters": draw(dims(1, 4)), "kernel_size": [k, k], "padding": padding}
    elif choice == "Conv1D":
        step = (draw(dims(2, 8)), draw(dims(1, 3)))
        inner = {"filters": draw(dims(1, 4)), "kernel_size": [draw(dims(1, 3))]}
    elif choice == "MaxPooling2D":
        step = (draw(dims(1, 6)), draw(dims(1, 6)), draw(dims(1, 3)))
        inner = {}
    elif choice == "GlobalAveragePooling1D":
        step = (draw(dims(1, 6)), draw(dims(1, 4)))
        inner = {}
    else:
        step = draw(st.lists(dims(1, 5), min_size=1, max_size=3).map(tuple))
        inner = {"trainable": draw(st.booleans())} if choice == "BatchNormalization" else {}
    inner_cfg = _with_defaults(choice, inner)
    shape: Shape = (None, timesteps, *step)
    return Case({"layer": layer_value(choice, inner_cfg)}, [shape])


CASES = {
    "SimpleRNN": _rnn("SimpleRNN"),
    "LSTM": _rnn("LSTM"),
    "GRU": _rnn("GRU"),
    "Bidirectional": _bidirectional(),
    "TimeDistributed": _time_distributed(),
}
