"""Training settings: every choice is checked with a message that names the setting and the fix."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.project import Project, dumps, loads
from app.core.training_settings import (
    DEFAULT_SETTINGS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    check_settings,
    keys_of,
    label_of,
    learning_rate_at,
    metric_spec,
    with_defaults,
)


def problems(**changes: object) -> dict[str, str]:
    return {p.key: p.message for p in check_settings({**DEFAULT_SETTINGS, **changes})}


def test_the_defaults_are_valid_and_cover_every_choice_list() -> None:
    assert check_settings(DEFAULT_SETTINGS) == []
    assert {"sgd", "rmsprop", "adam", "adamw", "adamax", "nadam"} == set(keys_of(OPTIMIZERS))
    assert {"mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy",
            "sparse_categorical_crossentropy", "kl_divergence", "binary_focal_crossentropy"} == set(keys_of(LOSSES))


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("optimizer", "adagrad2", "choose one of adam"),
    ("learning_rate", 0, "must lie in (0, 10]"),
    ("learning_rate", "fast", "must be a number"),
    ("batch_size", 0, "must lie in [1,"),
    ("batch_size", 2.5, "must be a whole number"),
    ("epochs", True, "must be a whole number"),
    ("momentum", 1.0, "must lie in [0, 1)"),
    ("validation_split", 1, "must lie in [0, 1)"),
    ("metrics", ["accuracy", "f1"], "unknown metric 'f1'"),
    ("metrics", "accuracy", "must be a list"),
    ("early_stopping", "yes", "true or false"),
    ("reduce_lr_factor", 1.0, "must lie in (0, 1)"),
])
def test_each_bad_setting_is_named_with_its_allowed_range(key: str, value: object, expected: str) -> None:
    found = problems(**{key: value})
    assert key in found and expected in found[key], found


def test_combinations_that_cannot_work_together_say_which_to_change() -> None:
    assert "lower one of them" in problems(validation_split=0.5, test_split=0.4)["validation_split"]
    found = problems(validation_split=0.0, early_stopping=True)
    assert "no validation split" in found["monitor"]
    assert problems(validation_split=0.0, early_stopping=True, monitor="loss") == {}
    assert "both set the learning rate" in problems(reduce_lr=True, schedule="cosine")["reduce_lr"]
    assert "remove them" in problems(metrics=["accuracy", "auc", "recall"])["metrics"]
    assert problems(metrics=["auc"], loss="binary_crossentropy") == {}


def test_with_defaults_fills_missing_keys_and_keeps_unknown_ones_without_sharing_lists() -> None:
    merged = with_defaults({"epochs": 3, "future_option": 1})
    assert merged["epochs"] == 3 and merged["future_option"] == 1 and merged["optimizer"] == "adam"
    merged["metrics"].append("mae")
    assert DEFAULT_SETTINGS["metrics"] == ["accuracy"]


def test_labels_fall_back_to_the_key_for_values_from_newer_files() -> None:
    assert label_of(OPTIMIZERS, "sgd") == "SGD"
    assert label_of(OPTIMIZERS, "lion") == "lion"


def test_every_metric_has_a_keras_spelling_that_depends_on_the_loss_where_it_must() -> None:
    for key in keys_of(METRICS):
        assert metric_spec(key, "mse")
    assert metric_spec("top3_accuracy", "sparse_categorical_crossentropy")[0] == "SparseTopKCategoricalAccuracy"
    assert metric_spec("top3_accuracy", "categorical_crossentropy")[0] == "TopKCategoricalAccuracy"
    with pytest.raises(ValueError):
        metric_spec("f1", "mse")


def test_schedules_follow_their_formulas() -> None:
    base = {"learning_rate": 0.1, "epochs": 10, "decay_rate": 0.5, "decay_epochs": 2}
    assert learning_rate_at({**base, "schedule": "constant"}, 999, 10) == 0.1
    step = {**base, "schedule": "step"}
    assert learning_rate_at(step, 19, 10) == pytest.approx(0.1)  # still epoch 1
    assert learning_rate_at(step, 20, 10) == pytest.approx(0.05)  # epoch 2 starts a new step
    assert learning_rate_at(step, 45, 10) == pytest.approx(0.025)
    exponential = {**base, "schedule": "exponential"}
    assert learning_rate_at(exponential, 10, 10) == pytest.approx(0.1 * 0.5 ** 0.5)
    cosine = {**base, "schedule": "cosine"}
    assert learning_rate_at(cosine, 0, 10) == pytest.approx(0.1)
    assert learning_rate_at(cosine, 50, 10) == pytest.approx(0.05)
    assert learning_rate_at(cosine, 100, 10) == pytest.approx(0.0, abs=1e-12)


def test_warmup_rises_linearly_then_hands_over_to_the_schedule() -> None:
    settings = {"learning_rate": 0.1, "epochs": 12, "warmup_epochs": 2, "schedule": "cosine"}
    assert learning_rate_at(settings, 0, 10) == pytest.approx(0.1 / 20)
    assert learning_rate_at(settings, 9, 10) == pytest.approx(0.05)
    assert learning_rate_at(settings, 20, 10) == pytest.approx(0.1)  # cosine starts at the full rate
    assert learning_rate_at(settings, 70, 10) == pytest.approx(0.05)  # half way through 10 decay epochs


@given(st.sampled_from(["constant", "step", "exponential", "cosine"]), st.integers(0, 5000), st.integers(1, 300),
       st.integers(0, 3))
def test_every_schedule_stays_within_zero_and_the_set_rate(schedule: str, step: int, per_epoch: int,
                                                          warmup: int) -> None:
    rate = learning_rate_at({"learning_rate": 0.01, "schedule": schedule, "epochs": 8, "warmup_epochs": warmup},
                            step, per_epoch)
    assert math.isfinite(rate) and 0.0 <= rate <= 0.01 + 1e-15


def test_settings_and_runs_survive_a_save_and_load() -> None:
    project = Project(training={"optimizer": "sgd", "nesterov": True, "schedule": "step", "epochs": 4},
                      runs=[{"id": "abc", "history": {"loss": [1.0, None]}}])
    again = loads(dumps(project))
    assert again.training["nesterov"] is True and again.training["schedule"] == "step"
    assert again.training["early_stopping"] is False  # filled from the defaults
    assert again.runs == [{"id": "abc", "history": {"loss": [1.0, None]}}]
