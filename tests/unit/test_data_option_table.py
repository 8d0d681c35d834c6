"""The option table is the one description of dataset options: what loaders read is exactly what it lists.

Each loader runs for real on a reference that records which keys it looks up; the keys must be
the table's options for that dataset, and every option in the table must be read by some loader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.data import BUNDLED, FILE_KINDS, DataError, load_dataset
from app.data.loading import read_bundled, read_file
from app.data.option_table import OPTIONS, TABLE, options_for, understood
from app.data.options import KNOWN_OPTIONS


class RecordingRef(Mapping[str, Any]):
    """A dataset reference that remembers every key a loader asks about."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _file_of(kind: str, folder: Path) -> Path:
    """A small real file (or folder) of each kind the loaders accept."""
    if kind == "csv":
        path = folder / "table.csv"
        path.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(12)), encoding="utf-8")
    elif kind == "text_csv":
        path = folder / "texts.csv"
        path.write_text("text,label\n" + "".join(f"a fine film number {i},{'pos' if i % 2 else 'neg'}\n"
                                                 for i in range(12)), encoding="utf-8")
    elif kind == "npz":
        path = folder / "images.npz"
        np.savez(path, x=np.random.default_rng(0).random((8, 6, 6, 1)), y=np.arange(8) % 2)
    else:
        from PIL import Image

        path = folder / "pictures"
        for name, colour in (("red", (200, 0, 0)), ("blue", (0, 0, 200))):
            (path / name).mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (6, 6), colour).save(path / name / f"{i}.png")
    return path


def read_keys_bundled(name: str) -> set[str]:
    ref = RecordingRef({"name": name})
    read_bundled(name, ref)
    return ref.asked - {"name"}


@pytest.mark.parametrize("name", list(BUNDLED))
def test_a_bundled_loader_reads_exactly_its_options_in_the_table(name: str) -> None:
    assert read_keys_bundled(name) == set(understood(name))
    assert set(BUNDLED[name].options) <= understood(name)  # the set's own settings are described in the table
    for key, value in BUNDLED[name].options.items():
        assert value == TABLE[key].default_for(name)


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_file_loader_reads_exactly_its_options_in_the_table(kind: str, tmp_path: Path) -> None:
    path = _file_of(kind, tmp_path)
    ref = RecordingRef({"name": kind, "path": str(path)})
    read_file(kind, path, path.name, ref)
    assert ref.asked - {"name", "path"} == set(understood(kind))


def test_every_option_in_the_table_is_used_by_some_dataset_and_known() -> None:
    users = set(BUNDLED) | set(FILE_KINDS)
    for option in OPTIONS:
        assert option.used_by and option.used_by <= users, option.key
        assert option.label and option.help, option.key
        if option.kind in ("int", "float", "size"):
            for dataset in option.used_by:
                low, high = option.range_for(dataset)
                assert low < high
                default = option.default_for(dataset)
                if default is not None:
                    option.check(default, dataset)  # defaults lie inside their own range
        if option.kind == "choice":
            assert option.choices
    assert set(TABLE) | {"name", "path", "inputs"} == KNOWN_OPTIONS
    assert {key for name in users for key in understood(name)} == set(TABLE)


def _out_of_range_cases() -> list[tuple[str, str]]:
    return [(name, option.key) for name in BUNDLED for option in options_for(name)
            if option.kind in ("int", "float")]


@pytest.mark.parametrize(("name", "key"), _out_of_range_cases())
def test_a_value_out_of_range_gives_the_tables_message_naming_the_option(name: str, key: str) -> None:
    option = TABLE[key]
    low, high = option.range_for(name)
    too_big = int(high) + 1 if option.kind == "int" else high * 2
    with pytest.raises(DataError) as caught:
        load_dataset({"name": name, key: too_big})
    shown = f"from {int(low):,} to {int(high):,}" if option.kind == "int" else f"from {low:g} to {high:g}"
    what = "a whole number" if option.kind == "int" else "a number"
    assert f"option {key!r} must be {what} {shown}" in str(caught.value)
    assert str(caught.value).startswith(f"{name}: ")  # where: the dataset


def test_ranges_can_differ_per_dataset_and_the_loader_follows_them() -> None:
    samples = TABLE["samples"]
    assert samples.range_for("shapes") == (5, 100_000) and samples.range_for("moons") == (10, 1_000_000)
    with pytest.raises(DataError, match="'samples' must be a whole number from 5 to 100,000"):
        load_dataset({"name": "shapes", "samples": 200_000})
    assert load_dataset({"name": "moons", "samples": 200_000}).x.shape == (200_000, 2)


def test_an_ignored_option_is_noted_where_the_table_says_the_set_does_not_use_it() -> None:
    ds = load_dataset({"name": "co2", "target": "input"})  # series have no autoencoder target
    assert any("ignored option 'target': 'co2' does not use it" in note for note in ds.notes)
    assert ds.task == "regression" and ds.y.ndim == 1  # the target really was not applied
    text = load_dataset({"name": "sentiment", "task": "classification", "max_tokens": 50})
    assert not any("ignored" in note for note in text.notes)  # the text loader does read task
