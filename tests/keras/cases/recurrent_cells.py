"""Cases for ``keras.layers.RNN`` with a SimpleRNNCell, LSTMCell, GRUCell or StackedRNNCells."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from app.core.catalog.recurrent_cells import CELL_KINDS, cell_value
from tests.keras.cases.base import Case, dims
from tests.keras.cases.recurrent import RNN_ACTIVATIONS, _sequence_shape


def _cell(draw: Any, kind: str) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "units": draw(dims(1, 5)),
        "activation": draw(RNN_ACTIVATIONS),
        "use_bias": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.25])),
    }
    if kind == "LSTMCell":
        cfg["unit_forget_bias"] = draw(st.booleans())
    if kind == "GRUCell":
        cfg["reset_after"] = draw(st.booleans())
    return cell_value(kind, **cfg)


@st.composite
def _rnn(draw: Any) -> Case:
    kinds = list(CELL_KINDS)
    if draw(st.sampled_from([False, False, True])):
        # Named: Keras names cells from a process-wide counter, which configs cannot be compared by.
        cells = [{**c, "config": {**c["config"], "name": f"cell_{i}"}}
                 for i, c in enumerate(_cell(draw, draw(st.sampled_from(kinds))) for _ in range(draw(dims(1, 3))))]
        cell = cell_value("StackedRNNCells", cells=cells)
    else:
        cell = _cell(draw, draw(st.sampled_from(kinds)))
    cfg = {
        "cell": cell,
        "return_sequences": draw(st.booleans()),
        "go_backwards": draw(st.booleans()),
        "unroll": draw(st.booleans()),
        "trainable": draw(st.sampled_from([True, True, True, False])),
    }
    shape = draw(_sequence_shape())
    if draw(st.sampled_from([False] * 9 + [True])):
        cfg["stateful"] = True
        if len(shape) == 3 and shape[1] is not None and draw(st.booleans()):
            shape = (2, *shape[1:])
    return Case(cfg, [shape])


CASES = {"RNN": _rnn()}
