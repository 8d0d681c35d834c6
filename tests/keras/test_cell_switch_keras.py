"""A cell switched to another class in the Inspector (``switched_layer``) is a config Keras builds:
for every pair of RNN cell classes, RNN(switched cell) has the shape and weights Keras gives it,
and the settings both classes share (units, activation, use_bias) came along."""

from __future__ import annotations

import itertools

import pytest

from app.core.catalog.recurrent_cells import CELL_CLASSES, cell_value, switched_layer
from tests.keras.oracle import check_against_keras


def start(class_name: str) -> dict:
    cell = cell_value("SimpleRNNCell" if class_name == "StackedRNNCells" else class_name,
                      units=6, activation="relu", use_bias=False)
    return cell_value("StackedRNNCells", cells=[cell]) if class_name == "StackedRNNCells" else cell


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(CELL_CLASSES, 2)))
def test_a_switched_cell_builds_in_keras_with_the_shared_settings(old: str, new: str) -> None:
    switched = switched_layer(start(old), new)
    assert switched["class_name"] == new
    inner = switched["config"]["cells"][0] if new == "StackedRNNCells" else switched
    assert {k: inner["config"][k] for k in ("units", "activation", "use_bias")} == \
        {"units": 6, "activation": "relu", "use_bias": False}
    for return_sequences in (False, True):
        cfg = {"cell": switched, "return_sequences": return_sequences}
        assert check_against_keras("RNN", cfg, [(None, 5, 3)]) == "match"
