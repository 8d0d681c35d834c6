"""Every dataset option described once: the loaders check values against it, the picker builds its widgets from it.

A dataset reference (``{"name": "co2", "window": 30}``) carries options. Each option is one
:class:`DatasetOption` here, the way a layer parameter is one ``ParamSpec``: its label and help
for the GUI, its kind, default, range or choices, and which datasets use it. A loader reads an
option with :meth:`DatasetOption.read` (through :func:`app.data.options.read`), so the range it
enforces is the range the picker's spin box offers; they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.data.dataset import TASKS
from app.data.errors import DataError
from app.data.sources import STOCK_SYMBOLS
from app.data.synthetic import POINT_SETS

Kind = Literal["int", "float", "bool", "choice", "text", "size"]
"""``size`` is an image size: a whole number for square images, or [height, width]."""

IMAGE_SETS = ("mnist_5k", "digits", "shapes")
TABLE_SETS = ("iris", "wine", "breast_cancer", "seattle_weather")
SERIES_SETS = ("co2", "sunspots", "stocks")
POINT_SET_NAMES = tuple(POINT_SETS)
PIXEL_RANGES = ("0-1", "0-255")


@dataclass(frozen=True)
class DatasetOption:
    """One option of a dataset reference; ``ranges`` and ``defaults`` hold per-dataset exceptions."""

    key: str
    label: str
    help: str
    kind: Kind
    used_by: frozenset[str]
    default: Any = None
    low: float | None = None
    high: float | None = None
    step: float = 1
    choices: tuple[str, ...] = ()
    ranges: tuple[tuple[str, tuple[float, float]], ...] = ()
    defaults: tuple[tuple[str, Any], ...] = ()

    def range_for(self, dataset: str | None = None) -> tuple[float, float]:
        """The (low, high) allowed for ``dataset`` (a number or size option)."""
        for name, bounds in self.ranges:
            if name == dataset:
                return bounds
        if self.low is None or self.high is None:
            raise ValueError(f"option {self.key!r} has no range")
        return self.low, self.high

    def default_for(self, dataset: str | None = None) -> Any:
        """The value used when a reference does not set this option."""
        for name, value in self.defaults:
            if name == dataset:
                return value
        return self.default

    def check(self, value: Any, dataset: str | None = None) -> Any:
        """``value`` as the loader uses it, or a DataError naming the option and what it accepts."""
        if self.kind == "int":
            low, high = self.range_for(dataset)
            if not _is_whole(value) or not low <= value <= high:
                raise DataError(f"option {self.key!r} must be a whole number from {int(low):,} to {int(high):,} "
                                f"(got {value!r})")
            return int(value)
        if self.kind == "float":
            low, high = self.range_for(dataset)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool)) or not low <= value <= high:
                raise DataError(f"option {self.key!r} must be a number from {low:g} to {high:g} (got {value!r})")
            return float(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise DataError(f"option {self.key!r} must be true or false (got {value!r})")
            return value
        if self.kind == "size":
            return self._check_size(value, dataset)
        if not isinstance(value, str) or (self.kind == "choice" and value not in self.choices):
            allowed = f"one of {', '.join(repr(c) for c in self.choices)}" if self.kind == "choice" else "a text"
            raise DataError(f"option {self.key!r} must be {allowed} (got {value!r})")
        return value

    def _check_size(self, value: Any, dataset: str | None) -> tuple[int, int]:
        low, high = self.range_for(dataset)
        pair = [value, value] if _is_whole(value) else value
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and all(_is_whole(v) and low <= v <= high for v in pair):
            return int(pair[0]), int(pair[1])
        raise DataError(f"option {self.key!r} must be a whole number from {int(low)} to {int(high)} or "
                        f"[height, width] (got {value!r})")

    def read(self, ref: Mapping[str, Any], dataset: str | None = None) -> Any:
        """This option's checked value in ``ref``; the (checked) default when it is missing or null."""
        value = ref.get(self.key)
        if value is None:
            value = self.default_for(dataset)
        return None if value is None else self.check(value, dataset)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names(*groups: tuple[str, ...] | str) -> frozenset[str]:
    return frozenset(name for group in groups for name in ((group,) if isinstance(group, str) else group))


_TEXT_FILES = ("text_csv", "sentiment")
_IMAGE_USERS = _names(IMAGE_SETS, "npz", "image_folder")

OPTIONS: tuple[DatasetOption, ...] = (
    DatasetOption("samples", "Samples", "How many samples to generate.", "int",
                  _names(POINT_SET_NAMES, "shapes", "reverse_sequences"), default=400, low=10, high=1_000_000, step=50,
                  ranges=(("shapes", (5, 100_000)),), defaults=(("shapes", 500), ("reverse_sequences", 3000))),
    DatasetOption("noise", "Noise", "How much random jitter is added to the points: 0 = clean shapes, 0.3 = heavily "
                  "overlapping.", "float", _names(POINT_SET_NAMES), default=0.1, low=0.0, high=10.0, step=0.05,
                  defaults=tuple((name, entry[3]) for name, entry in POINT_SETS.items())),
    DatasetOption("seed", "Seed", "Random seed: the same seed gives the same data every time.", "int",
                  _names(POINT_SET_NAMES, "shapes", "reverse_sequences"), default=0, low=0, high=2**31 - 1),
    DatasetOption("length", "Length", "How many letters each string has (the encoder's and the decoder's steps).",
                  "int", _names("reverse_sequences"), default=5, low=1, high=200),
    DatasetOption("symbols", "Letters", "How many different letters the strings use, from 'a' on.", "int",
                  _names("reverse_sequences"), default=6, low=1, high=26),
    DatasetOption("window", "Window", "How many past time steps the model sees in each sample.", "int",
                  _names(SERIES_SETS), default=24, low=1, high=10_000,
                  defaults=(("co2", 24), ("sunspots", 22), ("stocks", 12))),
    DatasetOption("horizon", "Horizon", "How many steps ahead the model predicts (1 = the next step).", "int",
                  _names(SERIES_SETS), default=1, low=1, high=10_000),
    DatasetOption("symbol", "Symbol", "Which stock's price series to use.", "choice", _names("stocks"),
                  default="AAPL", choices=STOCK_SYMBOLS),
    DatasetOption("image_size", "Image size", "Images are resized to this many pixels a side (or [height, width]).",
                  "size", _IMAGE_USERS, low=4, high=1024, step=8, defaults=(("shapes", 64),)),
    DatasetOption("flatten", "Flatten", "Each image becomes one long row of values (for Dense layers).", "bool",
                  _IMAGE_USERS, default=False),
    DatasetOption("pixels", "Pixel values", "0-1 scales pixels to 0..1; 0-255 keeps them for models that rescale "
                  "them themselves.", "choice", _IMAGE_USERS, default="0-1", choices=PIXEL_RANGES),
    DatasetOption("target", "Target column", "The column the model learns to predict; every other column is an "
                  "input. \"input\" makes an autoencoder: the model learns to reproduce its input.", "text",
                  _names(IMAGE_SETS, TABLE_SETS, POINT_SET_NAMES, "csv", "npz", "image_folder")),
    DatasetOption("task", "Task", "Classification predicts one of a few classes; regression predicts a number. "
                  "Automatic guesses from the target column (few distinct non-decimal values → classes).", "choice",
                  _names("csv", "npz", _TEXT_FILES), choices=TASKS),
    DatasetOption("text_column", "Text column", "The column holding the texts.", "text", _names(_TEXT_FILES)),
    DatasetOption("label_column", "Label column", "The column holding each text's class.", "text",
                  _names(_TEXT_FILES)),
    DatasetOption("sequence_length", "Sequence length", "Texts are padded or cut to this many tokens.", "int",
                  _names(_TEXT_FILES), default=40, low=1, high=10_000, step=10),
    DatasetOption("max_tokens", "Vocabulary size", "How many distinct words are kept (the most frequent ones), "
                  "counting the padding and unknown-word tokens.", "int", _names(_TEXT_FILES), default=2000, low=3,
                  high=1_000_000, step=500),
)
"""The table itself, in the order the picker shows a dataset's options."""

TABLE: dict[str, DatasetOption] = {option.key: option for option in OPTIONS}


def options_for(dataset: str) -> tuple[DatasetOption, ...]:
    """The options ``dataset`` (a bundled name or a file kind) uses, in table order."""
    return tuple(option for option in OPTIONS if dataset in option.used_by)


def understood(dataset: str) -> frozenset[str]:
    """The option keys ``dataset`` uses; others in its reference are noted as ignored."""
    return frozenset(option.key for option in options_for(dataset))


__all__ = ["OPTIONS", "TABLE", "DatasetOption", "Kind", "options_for", "understood"]
