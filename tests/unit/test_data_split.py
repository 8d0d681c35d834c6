"""Windowing time series and splitting datasets: the values, the proportions, the order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.data import DataError, Dataset, load_dataset, split_dataset
from app.data.series import make_windows


def test_windows_hold_the_series_and_the_value_horizon_steps_later() -> None:
    series = np.arange(20, dtype=np.float32) ** 2
    for window, horizon in ((4, 1), (3, 5), (1, 1)):
        x, y = make_windows(series, window, horizon)
        assert x.shape == (20 - window - horizon + 1, window, 1)
        for i in range(len(x)):
            np.testing.assert_array_equal(x[i, :, 0], series[i:i + window])
            assert y[i] == series[i + window + horizon - 1]
    with pytest.raises(DataError, match="too short for a window of 19 and a horizon of 2"):
        make_windows(series, 19, 2)


def test_bundled_series_windows_match_the_standardized_raw_series() -> None:
    ds = load_dataset({"name": "co2", "window": 10, "horizon": 3})
    raw = ds.series
    scaled = (raw - raw.mean()) / raw.std()  # type: ignore[operator]
    np.testing.assert_allclose(ds.x[7, :, 0], scaled[7:17], rtol=1e-4, atol=1e-4)
    assert ds.y[7] == pytest.approx(scaled[7 + 10 + 3 - 1], abs=1e-4)


def make(y: np.ndarray, ordered: bool = False, task: str = "classification") -> Dataset:
    x = np.arange(len(y), dtype=np.float32)[:, None]
    names = [str(c) for c in range(int(y.max()) + 1)] if task == "classification" else None
    return Dataset("toy", "toy", "table", task, x, y, class_names=names, ordered=ordered)


def test_stratified_split_keeps_class_proportions_and_uses_every_sample_once() -> None:
    y = np.array([0] * 600 + [1] * 300 + [2] * 100)
    splits = split_dataset(make(y), validation=0.2, test=0.1, seed=3)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (700, 200, 100)  # type: ignore[arg-type]
    for part in (splits.train, splits.validation, splits.test):
        assert np.bincount(part.y, minlength=3) / len(part) == pytest.approx([0.6, 0.3, 0.1], abs=0.01)  # type: ignore
    seen = np.concatenate([splits.train.x[:, 0], splits.validation.x[:, 0], splits.test.x[:, 0]])  # type: ignore
    assert sorted(seen.astype(int).tolist()) == list(range(1000))
    assert any("stratified" in n for n in splits.notes)
    again = split_dataset(make(y), validation=0.2, test=0.1, seed=3)
    other = split_dataset(make(y), validation=0.2, test=0.1, seed=4)
    assert np.array_equal(again.test.x, splits.test.x) and not np.array_equal(other.test.x, splits.test.x)  # type: ignore


def test_rare_single_sample_classes_fall_back_to_a_random_split_and_say_why() -> None:
    y = np.array([0] * 30 + [1] * 30 + [2])
    splits = split_dataset(make(y), 0.2, 0.1)
    assert any("not stratified: class '2' has one sample only" in n for n in splits.notes)


def test_ordered_data_is_split_in_time_order() -> None:
    ds = make(np.arange(100, dtype=np.float32), ordered=True, task="regression")
    splits = split_dataset(ds, validation=0.2, test=0.1, seed=9)
    assert splits.train.x[:, 0].tolist() == list(range(70))
    assert splits.validation.x[:, 0].tolist() == list(range(70, 90))  # type: ignore[union-attr]
    assert splits.test.x[:, 0].tolist() == list(range(90, 100))  # type: ignore[union-attr]


def test_zero_fractions_give_no_part_and_tiny_sets_are_refused() -> None:
    splits = split_dataset(make(np.array([0, 1] * 10)), validation=0.0, test=0.0)
    assert splits.validation is None and splits.test is None and len(splits.train) == 20
    only_val = split_dataset(make(np.array([0, 1] * 10)), validation=0.25, test=0.0)
    assert only_val.test is None and len(only_val.validation) == 5  # type: ignore[arg-type]
    with pytest.raises(DataError, match="has 2 samples, too few to split"):
        split_dataset(make(np.array([0, 1])), validation=0.5, test=0.5 - 1e-9)


def test_split_arrays_are_writable_copies_of_the_read_only_dataset() -> None:
    ds = load_dataset({"name": "sunspots"})
    splits = split_dataset(ds)
    splits.train.x[0] = 0.0
    assert ds.x[0].any() and not ds.x.flags.writeable


def test_regression_sets_are_shuffled_without_stratifying() -> None:
    ds = dataclasses.replace(make(np.arange(50, dtype=np.float32), task="regression"))
    splits = split_dataset(ds, 0.2, 0.2, seed=1)
    assert len(splits.test) == 10 and splits.test.x[:, 0].tolist() != list(range(10))  # type: ignore
