"""Sweep dimensions are parsed and checked without Keras, and a bad one says which and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.project import load_project
from app.core.sweep_space import (
    SweepSpaceError,
    apply_values,
    available_metrics,
    current_value,
    default_metric,
    dimension_for,
    metric_direction,
    metric_problem,
    parse_dimension,
    parse_space,
)

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def mlp():
    return load_project(MODELS / "mlp_tabular.json")


def test_lists_and_ranges_of_settings_and_layer_parameters(mlp) -> None:
    space = parse_space(["learning_rate=1e-4..1e-1", "hidden_1.units=8,16,32", "optimizer=adam,sgd",
                         "dropout.rate=0.1..0.5"], mlp.graph, ["learning_rate"])
    lr, units, optimizer, rate = space.dimensions
    assert (lr.kind, lr.low, lr.high, lr.log, lr.node) == ("float", 1e-4, 0.1, True, None)
    assert (units.kind, units.values, units.node, units.key) == ("int", (8, 16, 32), "hidden_1", "units")
    assert optimizer.values == ("adam", "sgd") and optimizer.kind == "choice"
    assert (rate.low, rate.high, rate.log) == (0.1, 0.5, False)
    assert lr.grid(3) == [0.0001, 0.00316228, 0.1]
    assert parse_dimension("hidden_1.units=4..64", mlp.graph).grid(3) == [4, 34, 64]
    assert space.grid_size(3) == 3 * 3 * 2 * 3
    assert "0.0001..0.1 (log)" in lr.describe()


def test_whole_numbers_in_a_float_list_become_floats(mlp) -> None:
    assert parse_dimension("learning_rate=1,0.1", mlp.graph).values == (1.0, 0.1)
    assert parse_dimension("nesterov=true,false", mlp.graph).values == (True, False)
    assert parse_dimension("hidden_1.activation=relu,tanh", mlp.graph).values == ("relu", "tanh")


@pytest.mark.parametrize(("spec", "words"), [
    ("hidden_9.units=3,4", ["hidden_9.units", "no layer named 'hidden_9'", "hidden_1"]),
    ("hidden_1.unitz=3", ["hidden_1.unitz", "no parameter 'unitz'", "units"]),
    ("hidden_1.units=0,4", ["hidden_1.units", "0 cannot be used", "≥ 1"]),
    ("hidden_1.units=1.5..3", ["hidden_1.units", "whole number"]),
    ("learning_rate=a..b", ["learning_rate", "'a' is not a number"]),
    ("learning_rate=0.1..0.01", ["learning_rate", "from low to high"]),
    ("learning_rate=0..0.1", ["learning_rate", "range end 0", "(0, 10]"]),
    ("optimizer=adam,foo", ["optimizer", "foo cannot be used", "adam, adamw"]),
    ("optimizer=adam..sgd", ["optimizer", "numeric"]),
    ("validation_split=0.1,0.2", ["validation_split", "cannot be swept"]),
    ("hidden_1=3", ["hidden_1", "write hidden_1.PARAM"]),
    ("learning_rate", ["write NAME=v1,v2,v3"]),
    ("learning_rate=", ["learning_rate", "no values"]),
    ("hidden_1.units=8,,16", ["hidden_1.units", "empty value"]),
    ("measurements.batch_shape=1,2", ["batch_shape", "cannot be swept"]),
])
def test_a_bad_dimension_names_itself_and_says_why(mlp, spec: str, words: list[str]) -> None:
    with pytest.raises(SweepSpaceError) as raised:
        parse_dimension(spec, mlp.graph)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


def test_space_level_mistakes(mlp) -> None:
    with pytest.raises(SweepSpaceError, match="nothing to sweep"):
        parse_space([], mlp.graph)
    with pytest.raises(SweepSpaceError, match="given twice"):
        parse_space(["learning_rate=0.1,0.01", "learning_rate=0.1"], mlp.graph)
    with pytest.raises(SweepSpaceError, match="--log batch_size: there is no --param"):
        parse_space(["learning_rate=0.001..0.1"], mlp.graph, ["batch_size"])
    with pytest.raises(SweepSpaceError, match="log range must start above 0"):
        parse_space(["clipnorm=0..1"], mlp.graph, ["clipnorm"])
    with pytest.raises(SweepSpaceError, match="--log applies to ranges"):
        parse_space(["batch_size=8,16"], mlp.graph, ["batch_size"])


def test_apply_values_changes_copies_only(mlp) -> None:
    space = parse_space(["learning_rate=1e-4..1e-1", "hidden_1.units=8,16"], mlp.graph)
    graph, training = apply_values(mlp.graph, mlp.training, space, {"learning_rate": 0.02, "hidden_1.units": 8})
    assert graph.node_by_name("hidden_1").config["units"] == 8 and training["learning_rate"] == 0.02
    assert mlp.graph.node_by_name("hidden_1").config["units"] == 16
    assert mlp.training["learning_rate"] == 0.01
    assert current_value("hidden_1.units", graph, training) == 8
    assert current_value("learning_rate", mlp.graph, mlp.training) == 0.01


def test_metrics_and_their_direction(mlp) -> None:
    assert default_metric(mlp.training) == "val_accuracy"
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "test_accuracy"} <= set(available_metrics(mlp.training))
    assert metric_direction("val_loss") == "minimize" and metric_direction("val_accuracy") == "maximize"
    assert metric_direction("test_mae") == "minimize"
    problem = metric_problem("val_auc", mlp.training)
    assert problem is not None and "val_auc" in problem and "val_accuracy" in problem
    no_val = {**mlp.training, "validation_split": 0.0}
    assert default_metric(no_val) == "accuracy"


def test_sweep_this_starts_from_the_current_value(mlp) -> None:
    assert dimension_for("hidden_1.units", mlp.graph, 16) == "hidden_1.units=8..32"
    assert dimension_for("learning_rate", mlp.graph, 0.01) == "learning_rate=0.001..0.1"
    assert dimension_for("hidden_1.activation", mlp.graph, "relu").startswith("hidden_1.activation=relu,")
    assert dimension_for("dropout.rate", mlp.graph, 0.2) == "dropout.rate=0.1..0.4"
    for spec in ("hidden_1.units=8..32", "learning_rate=0.001..0.1", "dropout.rate=0.1..0.4"):
        parse_dimension(spec, mlp.graph)  # every starting point is itself valid
