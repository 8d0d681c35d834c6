"""Bundled datasets: each loads offline with its documented shapes, options work, loads are cached."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from app.data import BUNDLED, DataError, list_datasets, load_dataset

# name -> (kind, task, sample shape, n_samples, n_classes)
DOCUMENTED = {
    "mnist_5k": ("image", "classification", (28, 28, 1), 5000, 10),
    "digits": ("image", "classification", (8, 8, 1), 1797, 10),
    "iris": ("table", "classification", (4,), 150, 3),
    "wine": ("table", "classification", (13,), 178, 3),
    "breast_cancer": ("table", "classification", (30,), 569, 2),
    "seattle_weather": ("table", "classification", (4,), 1461, 5),
    "co2": ("series", "regression", (24, 1), 2284 - 24, None),
    "sunspots": ("series", "regression", (22, 1), 309 - 22, None),
    "stocks": ("series", "regression", (12, 1), 123 - 12, None),
    "moons": ("points", "classification", (2,), 400, 2),
    "circles": ("points", "classification", (2,), 400, 2),
    "xor": ("points", "classification", (2,), 400, 2),
    "spirals": ("points", "classification", (2,), 400, 2),
    "shapes": ("image", "classification", (64, 64, 3), 500, 5),
    "sentiment": ("text", "classification", (40,), 600, 2),
    "reverse_sequences": ("table", "classification", (5 * 6 + 5 * 7,), 3000, 6),
}


def test_the_registry_lists_exactly_the_documented_sets_in_a_stable_order() -> None:
    assert [b.name for b in list_datasets()] == list(DOCUMENTED)
    assert list(BUNDLED) == list(DOCUMENTED)
    for info in list_datasets():
        assert info.kind == DOCUMENTED[info.name][0] and info.task == DOCUMENTED[info.name][1]
        assert len(info.description) > 40, info.name


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_each_bundled_set_loads_with_its_documented_shape(name: str) -> None:
    kind, task, sample, n, classes = DOCUMENTED[name]
    ds = load_dataset({"name": name})
    assert (ds.name, ds.kind, ds.task) == (name, kind, task)
    assert ds.x.shape == (n, *sample)
    assert ds.n_samples == n and len(ds.y) == n
    assert ds.n_classes == classes
    assert ds.description and ds.title
    if task == "classification":
        assert ds.y.dtype == np.int64
        assert set(np.unique(ds.y)) == set(range(classes))  # type: ignore[arg-type]
        assert len(ds.class_names) == classes  # type: ignore[arg-type]
    else:
        assert ds.y.dtype == np.float32 and ds.ordered
        assert ds.series is not None and ds.series.ndim == 1
    if kind == "image":
        assert ds.x.dtype == np.float32 and ds.x.min() >= 0.0 and ds.x.max() <= 1.0 and ds.x.max() > 0.5
        assert ds.image_shape == sample
    if kind == "text":
        assert ds.x.dtype == np.int32 and ds.vocabulary[:2] == ["", "[UNK]"]  # type: ignore[index]
        assert ds.x.max() < len(ds.vocabulary)  # type: ignore[arg-type]
    if kind in ("table", "points", "series"):
        assert ds.x.dtype == np.float32 and np.isfinite(ds.x).all()


def test_mnist_is_scaled_to_0_1_and_balanced() -> None:
    ds = load_dataset({"name": "mnist_5k"})
    assert np.bincount(ds.y).tolist() == [500] * 10
    assert ds.x.max() == pytest.approx(1.0)
    assert ds.class_names == [str(i) for i in range(10)]


def test_tables_are_standardized_and_say_so() -> None:
    ds = load_dataset({"name": "wine"})
    np.testing.assert_allclose(ds.x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.x.std(axis=0), 1, atol=1e-4)
    assert any("standardized" in n for n in ds.notes)
    assert ds.feature_names is not None and ds.feature_names[0] == "alcohol"


def test_co2_fills_its_missing_weeks_and_says_how_many() -> None:
    ds = load_dataset({"name": "co2"})
    assert np.isfinite(ds.series).all()  # type: ignore[arg-type]
    assert any("filled 59 missing weeks" in n and "interpolation" in n for n in ds.notes)
    assert 300 < float(ds.series.min()) < float(ds.series.max()) < 400  # type: ignore[union-attr]


def test_series_options_change_the_windows() -> None:
    ds = load_dataset({"name": "sunspots", "window": 5, "horizon": 3})
    assert ds.x.shape == (309 - 5 - 3 + 1, 5, 1)
    stocks = load_dataset({"name": "stocks", "symbol": "GOOG"})
    assert "GOOG" in stocks.title and len(stocks.series) == 68  # type: ignore[arg-type]
    with pytest.raises(DataError, match="'symbol' must be one of 'AAPL', 'AMZN'"):
        load_dataset({"name": "stocks", "symbol": "TSLA"})
    with pytest.raises(DataError) as err:
        load_dataset({"name": "sunspots", "window": 5000})
    assert str(err.value).startswith("sunspots: the series has 309 steps, too short for a window of 5000")


def test_point_sets_follow_samples_noise_and_seed() -> None:
    a = load_dataset({"name": "moons", "samples": 100, "noise": 0.0, "seed": 1})
    b = load_dataset({"name": "moons", "samples": 100, "noise": 0.3, "seed": 1})
    c = load_dataset({"name": "moons", "samples": 100, "noise": 0.3, "seed": 2})
    assert a.x.shape == (100, 2) and np.bincount(a.y).tolist() == [50, 50]
    radius = np.hypot(a.x[a.y == 0, 0], a.x[a.y == 0, 1])  # the upper moon lies on the unit circle
    np.testing.assert_allclose(radius, 1.0, atol=1e-5)
    assert not np.allclose(a.x, b.x) and not np.allclose(b.x, c.x)
    xor = load_dataset({"name": "xor", "noise": 0.0})
    assert ((xor.x[:, 0] * xor.x[:, 1] < 0) == (xor.y == 1)).all()
    with pytest.raises(DataError, match="'noise' must be a number"):
        load_dataset({"name": "circles", "noise": "lots"})
    with pytest.raises(DataError, match="'samples' must be a whole number"):
        load_dataset({"name": "spirals", "samples": 2.5})


def test_shapes_are_deterministic_and_drawn_at_the_asked_size() -> None:
    a = load_dataset({"name": "shapes", "samples": 50, "image_size": 32})
    b = load_dataset({"name": "shapes", "samples": 50, "image_size": 32, "pixels": "0-1"})
    c = load_dataset({"name": "shapes", "samples": 50, "image_size": [24, 40], "seed": 3})
    assert a.x.shape == (50, 32, 32, 3) and np.array_equal(a.x, b.x)
    assert c.x.shape == (50, 24, 40, 3)
    assert np.bincount(a.y).tolist() == [10] * 5
    assert a.class_names == ["circle", "square", "triangle", "cross", "star"]
    assert "Generated by Layerforge" in a.description


def test_image_options_resize_rescale_and_flatten() -> None:
    big = load_dataset({"name": "digits", "image_size": 16})
    assert big.x.shape == (1797, 16, 16, 1) and any("resized the images from 8×8 to 16×16" in n for n in big.notes)
    raw = load_dataset({"name": "digits", "pixels": "0-255"})
    assert raw.x.max() == pytest.approx(255.0)
    flat = load_dataset({"name": "mnist_5k", "flatten": True})
    assert flat.x.shape == (5000, 784) and flat.image_shape == (28, 28, 1)
    with pytest.raises(DataError, match="'pixels' must be one of '0-1', '0-255'"):
        load_dataset({"name": "digits", "pixels": "0-100"})


def test_autoencoder_target_copies_the_input() -> None:
    ds = load_dataset({"name": "mnist_5k", "flatten": True, "target": "input"})
    assert ds.task == "regression" and ds.class_names is None
    assert np.array_equal(ds.x, ds.y)
    with pytest.raises(DataError, match='can only be "input"'):
        load_dataset({"name": "iris", "target": "species"})


def test_options_a_set_does_not_use_are_reported_not_silently_dropped() -> None:
    ds = load_dataset({"name": "iris", "window": 3, "windw": 4})
    assert any("ignored option 'window': 'iris' does not use it" in n for n in ds.notes)
    assert any("unknown option 'windw'" in n for n in ds.notes)


def test_loads_are_cached_and_cached_arrays_are_read_only() -> None:
    first = load_dataset({"name": "iris"})
    second = load_dataset({"name": "iris"})
    assert first is not second and first.x is second.x
    assert not first.x.flags.writeable and not first.y.flags.writeable
    first.notes.append("mine")
    assert "mine" not in load_dataset({"name": "iris"}).notes
    with pytest.raises(ValueError):
        first.x[0, 0] = 1.0


def test_unknown_names_list_the_bundled_sets_and_suggest_a_close_one() -> None:
    with pytest.raises(DataError) as err:
        load_dataset({"name": "mnist"})
    assert "did you mean 'mnist_5k'?" in str(err.value) and "sentiment" in str(err.value)
    with pytest.raises(DataError, match='has no "name"'):
        load_dataset({})


def test_importing_app_data_stays_light() -> None:
    code = ("import json, sys, app.data\n"
            "heavy = {'pandas', 'sklearn', 'scipy', 'PIL', 'mlxtend', 'statsmodels', 'vega_datasets', 'keras',"
            " 'tensorflow', 'PySide6'}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
