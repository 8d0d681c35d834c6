"""``keras.layers.RNN`` around a cell: SimpleRNNCell, LSTMCell, GRUCell or StackedRNNCells.

A cell computes one timestep; RNN runs it over the sequence. ``RNN(LSTMCell(n))`` is the same
model as ``LSTM(n)``, and ``StackedRNNCells`` chains several cells inside one loop (each step
goes through every cell before the next step starts). The cell is held in the ``cell`` parameter
the way Keras serialises it, ``{"module": "keras.layers", "class_name": "LSTMCell", "config":
{...}}``; a StackedRNNCells' config holds its ``cells`` in the same form. Cells are not nodes of
their own (a cell is called one step at a time, not on a sequence), so they are not in the
palette: :data:`CELL_SPECS` describes their parameters for validation and export, and for the
inspector (:func:`held_spec`, :func:`switched_layer`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog.recurrent import (
    _check_mask,
    _recurrent_macs,
    _recurrent_params,
    _recurrent_weights,
    check_sequence,
    inner_config_problem,
    layer_value,
    loop_params,
)
from app.core.catalog.rules import fmt_shape, require_known
from app.core.catalog.spec import (
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
    seed,
)

CATEGORY = "Recurrent"

LOOP_KEYS = frozenset({*(p.name for p in loop_params("")), "activity_regularizer"})
"""Keys of SimpleRNN/LSTM/GRU that belong to the loop (RNN), not to the cell."""

CELL_KINDS: dict[str, str] = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}
STATES: dict[str, int] = {"SimpleRNNCell": 1, "LSTMCell": 2, "GRUCell": 1}
CELL_CLASSES: tuple[str, ...] = (*CELL_KINDS, "StackedRNNCells")
MAX_STACK = 64


def _cell_params(cell: str) -> tuple[Param, ...]:
    params = tuple(p for p in _recurrent_params(CELL_KINDS[cell]) if p.name not in LOOP_KEYS)
    return params if any(p.name == "seed" for p in params) else (*params, seed())


def _cell_doc(cell: str) -> LayerDoc:
    return LayerDoc(summary=f"One timestep of {CELL_KINDS[cell]}, to be run over a sequence by RNN.")


CELL_SPECS: dict[str, LayerSpec] = {
    cell: LayerSpec(class_name=cell, category=CATEGORY, params=_cell_params(cell),
                    output=lambda cfg, inputs: (inputs[0][0], cfg["units"]), count=lambda cfg, inputs: (0, 0),
                    doc=_cell_doc(cell))
    for cell in CELL_KINDS
}
"""The three cells' parameters (the layer's minus the loop's): checked here, written by the export."""


def cell_value(cell: str, **config: Any) -> dict[str, Any]:
    """A cell as Keras serialises it, with Keras' defaults for what ``config`` leaves out."""
    if cell == "StackedRNNCells":
        return layer_value(cell, {"trainable": True, "dtype": "float32", **config})
    return layer_value(cell, {**CELL_SPECS[cell].default_config(), **config})


def held_spec(class_name: object) -> LayerSpec | None:
    """The spec of a layer that a parameter holds: one of RNN's cells (they are not in the catalog,
    not being nodes) or a catalog layer (what Bidirectional and TimeDistributed wrap); None for
    anything else, a class name that is not text included."""
    if not isinstance(class_name, str):
        return None
    if class_name in CELL_SPECS:
        return CELL_SPECS[class_name]
    from app.core.catalog import get_spec  # the catalog package imports this module

    return get_spec(class_name)


NOT_CARRIED = frozenset({"trainable", "dtype"})
"""Keys a switch of class leaves at the new class' defaults."""


def _config_of(value: Mapping[str, Any]) -> Mapping[str, Any]:
    config = value.get("config")
    return config if isinstance(config, Mapping) else {}


def switched_layer(value: Any, class_name: str) -> dict[str, Any]:
    """``value`` (a held layer or cell, as Keras serialises it) switched to ``class_name``: every
    setting the new class has and accepts carries over (units, activation, ...), the rest are the
    new class' defaults. A StackedRNNCells gets the cell as its one cell; a cell made from a stack
    carries the settings of the stack's first cell."""
    old: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    if class_name == "StackedRNNCells":
        first = old if old.get("class_name") in CELL_KINDS else cell_value("LSTMCell", units=32)
        return cell_value(class_name, cells=[copy.deepcopy(dict(first))])
    if old.get("class_name") == "StackedRNNCells":
        cells = _config_of(old).get("cells")
        old = cells[0] if isinstance(cells, list) and cells and isinstance(cells[0], Mapping) else {}
    config = _config_of(old)
    spec = held_spec(class_name)
    new = spec.default_config() if spec is not None else {}
    for key, item in config.items():
        param = spec.param(key) if spec is not None and key not in NOT_CARRIED else None
        if param is not None and param.validate(item) is None:
            new[key] = copy.deepcopy(item)
    return layer_value(class_name, new)


def _cell_problem(value: Any, where: str = "'cell'", depth: int = 0) -> str | None:
    """What is wrong with a serialised cell, checked against its parameters (and a stack's cells)."""
    if not isinstance(value, Mapping):
        return f"{where} must be a cell: {{'module': 'keras.layers', 'class_name': 'LSTMCell', 'config': {{...}}}}"
    extra = sorted(set(value) - {"module", "class_name", "config", "registered_name", "build_config"})
    if extra:
        return f"{where} has unexpected keys {', '.join(map(str, extra))}"
    cell = value.get("class_name")
    if cell not in CELL_CLASSES or (depth and cell == "StackedRNNCells"):
        allowed = ", ".join(CELL_CLASSES if not depth else CELL_KINDS)
        return f"{where} must be one of {allowed} (got {cell!r})"
    if value.get("module") != "keras.layers" or value.get("registered_name") is not None:
        return f"{where} needs \"module\": \"keras.layers\" and no registered name, so Keras finds {cell}"
    config = value.get("config", {})
    if not isinstance(config, Mapping):
        return f"{where}: the config of {cell} must be an object"
    if cell == "StackedRNNCells":
        return _stack_problem(config, where)
    if "units" not in config:
        return f"{where}: {cell} needs 'units', the size of its state"
    return inner_config_problem(CELL_SPECS[cell], config, where, _cell_name_problem)


def _cell_name_problem(name: object) -> str | None:
    return None if isinstance(name, str) and "/" not in name else "the cell's name must be text without '/'"


def _stack_problem(config: Mapping[str, Any], where: str) -> str | None:
    unknown = sorted(set(config) - {"name", "trainable", "dtype", "cells"})
    if unknown:
        return f"{where}: StackedRNNCells has no parameter '{unknown[0]}'"
    cells = config.get("cells")
    if not isinstance(cells, list) or not 1 <= len(cells) <= MAX_STACK:
        return f"{where}: StackedRNNCells needs 'cells', a list of 1 to {MAX_STACK} cells"
    for i, inner in enumerate(cells):
        problem = _cell_problem(inner, f"{where} cell {i + 1}", depth=1)
        if problem:
            return problem
    return None


def _cells(cfg: Config) -> list[tuple[str, dict[str, Any]]]:
    """The (class, full config) of every cell the loop runs, in order (one unless stacked)."""
    value = cfg["cell"]
    listed = value["config"]["cells"] if value["class_name"] == "StackedRNNCells" else [value]
    return [(c["class_name"], {**CELL_SPECS[c["class_name"]].default_config(), **c.get("config", {})})
            for c in listed]


def _sequence(shape: Shape) -> int:
    """The features each step gives the first cell. Unlike LSTM, RNN takes more than 3 axes (Keras
    checks no rank): the cell then reads the last axis of every step."""
    if len(shape) > 3:
        return require_known(shape[-1], "number of features (last axis)", "RNN")
    return check_sequence(shape, "RNN")


def _rnn_output(cfg: Config, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    _sequence(shape)
    if cfg["stateful"] and shape[0] is None:
        raise ShapeError(f"RNN has stateful=True, which needs a fixed batch size, but the batch size of "
                         f"{fmt_shape(shape)} is None. Set a batch size in the Input's batch_shape, or turn stateful "
                         "off.", port="input")
    units = _cells(cfg)[-1][1]["units"]
    return (shape[0], shape[1], units) if cfg["return_sequences"] else (shape[0], units)


def _rnn_outputs(cfg: Config, by_port: Mapping[str, Shape]) -> list[Shape]:
    sequence = by_port["input"]
    out = _rnn_output(cfg, [sequence])
    if "mask" in by_port:
        _check_mask(by_port["mask"], sequence, "RNN")
    if not cfg["return_state"]:
        return [out]
    cells = _cells(cfg)
    if cfg["cell"]["class_name"] == "StackedRNNCells":
        raise ShapeError("RNN with StackedRNNCells and return_state=True returns the states of each cell as a "
                         "nested list, which a node's outputs cannot hold. Turn return_state off, or use one RNN per "
                         "cell.", port="input")
    cell, config = cells[0]
    return [out, *[(sequence[0], config["units"])] * STATES[cell]]


def _rnn_count(cfg: Config, inputs: Sequence[Shape]) -> tuple[int, int]:
    features = _sequence(inputs[0])
    total = 0
    for cell, config in _cells(cfg):
        total += _recurrent_weights(CELL_KINDS[cell], config, features)
        features = config["units"]
    return (total, 0)


def _rnn_cost(cfg: Config, inputs: Sequence[Shape], output: Shape) -> Cost | None:
    """Each cell's multiply-adds at every step, as for the layer of the same kind (unknown for more than 3 axes)."""
    shape = inputs[0]
    if len(shape) != 3:
        return None
    total = 0
    for cell, config in _cells(cfg):
        macs = _recurrent_macs(CELL_KINDS[cell], config, shape)
        if macs is None:
            return None
        total += macs
        shape = (shape[0], shape[1], config["units"])
    return (total, 0)


RNN = LayerSpec(
    class_name="RNN",
    category=CATEGORY,
    title="RNN (cell)",
    name_prefix="rnn",
    params=(
        *base_params(),
        *loop_params("Also give out the cell's final states: output 1 is h (and, for an LSTMCell, output 2 is c)."),
        Param("cell", ParamKind.LAYER, cell_value("LSTMCell", units=32),
              "The cell run at every step: SimpleRNNCell, LSTMCell, GRUCell, or StackedRNNCells with a list of "
              "them (each cell reads the one before).", choices=CELL_CLASSES, required=True, check=_cell_problem),
    ),
    output=_rnn_output,
    outputs=_rnn_outputs,
    count=_rnn_count,
    cost=_rnn_cost,
    ports=(PortSpec(), PortSpec("mask", optional=True)),
    call="recurrent",
    doc=LayerDoc(
        summary="Runs a recurrent cell over a sequence, one timestep after the other: the general form of "
        "SimpleRNN, LSTM and GRU, and the way to stack several cells inside one loop (StackedRNNCells).",
        formula="for t in 1..T: output_t, states = cell(x_t, states); the output is the last output_t "
        "(or all of them)",
        shape="(None, timesteps, features) -> (None, units of the last cell), or (None, timesteps, units) with "
        "return_sequences=True. Weights: those of each cell, the first reading the features and every other "
        "the units of the cell before.",
        use="Reading models written with keras.layers.RNN, and stacking cells so each timestep passes through "
        "all of them before the next one starts.",
        mistake="Expecting RNN(LSTMCell(n)) to differ from LSTM(n): they compute the same thing; LSTM may run "
        "faster (it can use the fused cuDNN kernel).",
    ),
)

SPECS: tuple[LayerSpec, ...] = (RNN,)
