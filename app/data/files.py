"""The user's own data: CSV tables, NumPy arrays (.npz / .npy) and folders of images.

Loading reports in words what it did (filled, encoded, scaled, skipped) and refuses only what
cannot be used, naming the file, line and column.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from app.core.userfiles import MIB, mib, open_regular, sizes
from app.data import options as opts
from app.data.csvread import CsvTable, as_number, is_missing, read_csv
from app.data.dataset import Dataset, count, freeze, make_title
from app.data.errors import DataError
from app.data.targets import MAX_CLASSES, encode_target, looks_like_classes

MAX_ONE_HOT = 50
"""A text column with more different values than this (and than half the rows) looks like ids or
free text; one-hot encoding it would add a column per row, so it is left out, with a note."""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _list(values: list[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# --- CSV ---------------------------------------------------------------------------------------------------

def _numeric_column(table: CsvTable, j: int, rows: np.ndarray) -> np.ndarray | None:
    """The column's numbers as float64 (NaN = missing) when it is a number column; None when it is text.
    A column of numbers with one stray word is a typo, not a category: that is an error."""
    held = table.numbers[j]
    if held is not None:
        return held[rows]
    texts = table.texts[j]
    assert texts is not None
    cells = [texts[i] for i in rows]
    values = np.empty(len(cells), dtype=np.float64)
    bad: list[int] = []
    for k, cell in enumerate(cells):
        if is_missing(cell):
            values[k] = np.nan
            continue
        number = as_number(cell)
        if number is None:
            bad.append(k)
            values[k] = np.nan
        else:
            values[k] = number
    if not bad:
        return values
    present = sum(1 for c in cells if not is_missing(c))
    if present - len(bad) >= 0.9 * present and len({cells[k].strip() for k in bad}) <= 3:
        k = bad[0]
        raise DataError(f"{cells[k].strip()!r} is not a number, but {present - len(bad):,} other values in this "
                        "column are: fix it, or leave the cell empty to mark a missing value",
                        table.path, int(table.lines[rows[k]]), table.header[j])
    return None


def _standardized(column: np.ndarray, table: CsvTable, rows: np.ndarray, name: str) -> np.ndarray:
    """The column at mean 0 and standard deviation 1 (a constant column only centred), as float32, as
    :func:`app.data.tables.standardize` does for a whole table; one column at a time keeps the
    memory to a column. A mean or spread that is not a finite float64 is refused with the column
    and the line of its largest value: one value of 1e308 would otherwise turn the whole column
    into zeros while the note says it was standardized."""
    with np.errstate(all="ignore"):
        mean = column.mean()
        std = column.std()
        out = (column - mean) / (std if std != 0 else 1.0)
        finite = bool(np.isfinite(mean) and np.isfinite(std) and np.isfinite(out).all())
    if finite:
        return out.astype(np.float32)
    row = int(np.argmax(np.abs(column)))
    raise DataError(f"the value {column[row]:g} is so large that the mean or spread of this column overflows (is "
                    "infinite), so it cannot be standardized: fix or remove the value, or rescale the column",
                    table.path, int(table.lines[rows[row]]), name)


def _csv_features(table: CsvTable, columns: list[int], rows: np.ndarray,
                  notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Feature blocks, float32, one column of the table at a time; each column's texts or numbers are
    let go once used, so a large table never exists twice."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    standardized = 0
    for j in columns:
        name = table.header[j]
        values = _numeric_column(table, j, rows)
        if values is not None:
            table.numbers[j] = table.texts[j] = None
            absent = np.isnan(values)
            missing = int(absent.sum())
            if missing == len(values):
                notes.append(f"left out column {name!r}: it has no values")
                continue
            if missing:
                median = float(np.median(values[~absent]))
                values[absent] = median
                notes.append(f"filled {_plural(missing, 'missing value')} in {name!r} with the median ({median:g})")
            blocks.append(_standardized(values, table, rows, name)[:, None])
            names.append(name)
            standardized += 1
            continue
        texts = table.texts[j]
        assert texts is not None
        cells = [texts[i].strip() for i in rows]
        present_cells = [c for c in cells if not is_missing(c)]
        counts = Counter(present_cells)
        if len(counts) > MAX_ONE_HOT and len(counts) > 0.5 * len(cells):
            notes.append(f"left out column {name!r}: its {len(counts):,} different texts in {len(cells):,} rows look "
                         "like names, ids or free text, not categories")
            continue
        missing = len(cells) - len(present_cells)
        if missing:
            mode = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            cells = [mode if is_missing(c) else c for c in cells]
            notes.append(f"filled {_plural(missing, 'missing value')} in {name!r} with the most frequent value "
                         f"({mode!r})")
        table.numbers[j] = table.texts[j] = None
        categories = sorted(set(cells))
        index = {c: k for k, c in enumerate(categories)}
        block = np.zeros((len(cells), len(categories)), dtype=np.float32)
        block[np.arange(len(cells)), np.fromiter((index[c] for c in cells), dtype=np.int64, count=len(cells))] = 1.0
        blocks.append(block)
        new = [f"{name}={c}" for c in categories]
        names.extend(new)
        notes.append(f"one-hot encoded the text column {name!r} into {len(new)} columns: {_list(new)}")
    if not blocks:
        raise DataError("no column is left to learn from: the file needs at least one feature column besides the "
                        "target", table.path)
    if standardized:
        notes.append(f"standardized {_plural(standardized, 'number column')} to mean 0 and standard deviation 1")
    return np.concatenate(blocks, axis=1), names


def load_csv(path: Path, shown: str, ref: Mapping[str, Any]) -> Dataset:
    """A table: the target column (default: the last) against all others."""
    table = read_csv(path, shown)
    target = opts.read(ref, "target", "csv")
    task = opts.read(ref, "task", "csv")
    notes: list[str] = []
    if not table.has_header:
        notes.append("the first line holds numbers, so the file has no header: columns are named column 1, "
                     "column 2, ...")
    autoencoder = target == "input"
    if autoencoder:
        target_index = None
    elif target is None:
        target_index = len(table.header) - 1
    elif target in table.header:
        target_index = table.header.index(target)
    else:
        raise DataError(f"there is no column {target!r} to predict; the columns are: {_list(table.header, 30)}",
                        shown)
    if target_index is not None and len(table.header) < 2:
        raise DataError(f"the file has a single column ({table.header[0]!r}): a model needs at least one feature "
                        "column besides the target", shown)
    class_names = None
    if target_index is None:
        rows = np.arange(table.row_count)
    else:
        encoded = encode_target(table.texts[target_index], table.lines, table.header[target_index], shown, task,
                                numbers=table.numbers[target_index])
        notes += encoded.notes
        rows = np.flatnonzero(encoded.keep)
        class_names = encoded.class_names
        task = encoded.task
    features = [j for j in range(len(table.header)) if j != target_index]
    x, names = _csv_features(table, features, rows, notes)
    if autoencoder:
        y, task = x, "regression"
        notes.append("target \"input\": the model learns to reproduce its input (autoencoder)")
    else:
        y = encoded.y
    label = Path(shown).name
    return freeze(Dataset(
        name=shown, title=make_title(label, x, str(task), len(class_names) if class_names else None, "table"),
        kind="table", task=str(task), x=x, y=y, class_names=class_names, feature_names=names,
        description=f"Your table {shown}: {count(len(x))} rows"
                    + ("" if target_index is None else f", predicting {table.header[target_index]!r}") + ".",
        notes=notes))


# --- NumPy arrays ------------------------------------------------------------------------------------------

_PARTS = ("train", "val", "valid", "validation", "test")
MAX_VALUES = 2**28
"""Values per array (x, or y) Layerforge loads: 268,435,456, which is 1,024 MiB as the 32-bit floats
training uses (CIFAR-10's 50,000 colour images are 154 million). Checked on the declared shape
before anything is allocated."""
MAX_RATIO = 1000
"""An array over :data:`RATIO_FROM` that expands more than this from its compressed size is refused:
that is (nearly) the most deflate can pack, which only constant filler reaches, as in zip bombs."""
RATIO_FROM = 64 * MIB
"""Smaller arrays are loaded whatever their ratio (an all-zero array of 8 MiB packs 1,000 times too)."""
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _pick(names: list[str], stem: str, notes: list[str]) -> list[str]:
    """``x`` (any case), or ``x_train`` joined with ``x_val`` / ``x_test`` when the file comes pre-split:
    the array names to read (more than one are joined)."""
    lower = {key.lower(): key for key in names}
    if stem in lower:
        return [lower[stem]]
    found = [lower[f"{stem}_{part}"] for part in _PARTS if f"{stem}_{part}" in lower]
    if len(found) > 1 and stem == "x":
        notes.append(f"joined {', '.join(found)} into one set; the split is made again from your training settings")
    return found


class _Declared:
    """What an .npy header says, read before any array memory is allocated."""

    def __init__(self, fh: Any, what: str, shown: str) -> None:
        fmt = np.lib.format
        try:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, _fortran, dtype = fmt.read_array_header_1_0(fh)
            elif version in ((2, 0), (3, 0)):
                shape, _fortran, dtype = fmt.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unknown .npy format version {version}")
        except (ValueError, OSError, EOFError, SyntaxError, TypeError) as err:
            raise DataError(f"{what} is not a NumPy array: its header cannot be read ({_reason(err)})", shown) \
                from None
        self.what = what
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.offset = int(fh.tell())
        self.values = math.prod(self.shape)
        self.nbytes = self.values * self.dtype.itemsize

    def describe(self) -> str:
        return f"shape {self.shape} of {self.dtype}"

    def check(self, available: int, compressed: int | None, shown: str) -> None:
        """Refuse object arrays, headers that claim more data than the file holds, arrays over
        :data:`MAX_VALUES` and zip bombs, each saying which array and which limit."""
        if self.dtype.hasobject:
            raise DataError(f"{self.what} holds Python objects, which Layerforge does not load (it "
                            "could run code): save plain number arrays", shown)
        if self.nbytes > available:
            claimed, held = sizes(self.nbytes, available)
            raise DataError(f"the header of {self.what} declares {self.describe()}, {claimed} of data, but the file "
                            f"holds only {held} for it: the file is truncated or its header is wrong", shown)
        if self.values > MAX_VALUES:
            expands = (f", {mib(compressed, 1)} in the file that would expand to {mib(self.nbytes)}"
                       if compressed is not None and compressed < self.nbytes else "")
            raise DataError(f"{self.what} has {self.values:,} values ({self.describe()}{expands}); Layerforge loads "
                            f"at most {MAX_VALUES:,} values per array ({mib(MAX_VALUES * 4)} as 32-bit floats): use "
                            "fewer samples or smaller images", shown)
        if compressed is not None and self.nbytes > RATIO_FROM and self.nbytes > MAX_RATIO * max(compressed, 1):
            raise DataError(f"{self.what} would expand from {mib(compressed, 1)} to {mib(self.nbytes, 1)} (more than "
                            f"{MAX_RATIO} times; the limit for compressed arrays): this looks like a zip bomb, not a "
                            "dataset", shown)


def _read_npy(path: Path, shown: str) -> np.ndarray:
    with open_regular(path) as fh:
        declared = _Declared(fh, "the array", shown)
        size = os.fstat(fh.fileno()).st_size
        declared.check(size - declared.offset, None, shown)
        fh.seek(0)
        return np.lib.format.read_array(fh, allow_pickle=False)


def _read_npz(path: Path, shown: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    with open_regular(path) as fh:
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as err:
            raise DataError(f"cannot read it as a NumPy .npz file ({_reason(err)})", shown) from None
        with archive:
            members = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}
            names = list(members)
            x_keys, y_keys = _pick(names, "x", notes), _pick(names, "y", notes)
            if not x_keys and set(names) >= {"arr_0", "arr_1"} and len(names) == 2:
                x_keys, y_keys = ["arr_0"], ["arr_1"]
                notes.append("used the unnamed arrays arr_0 as x and arr_1 as y")
            if not x_keys:
                found = _list(sorted(names), 20) or "(none)"
                raise DataError(f"found the arrays {found} but no 'x': save the inputs as x and the labels as y, e.g. "
                                "np.savez('data.npz', x=images, y=labels)", shown)
            x = _join(archive, [members[k] for k in x_keys], shown)
            y = _join(archive, [members[k] for k in y_keys], shown) if y_keys else None
    return x, y


def _join(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], shown: str) -> np.ndarray:
    """The arrays ``infos`` name, headers checked first (each and together), joined along samples."""
    total = 0
    for info in infos:
        what = f"the array {info.filename[:-4]!r}"
        with _member(archive, info, shown) as fh:
            declared = _Declared(fh, what, shown)
        declared.check(info.file_size - declared.offset, info.compress_size, shown)
        total += declared.values
    if total > MAX_VALUES:
        raise DataError(f"{' + '.join(repr(i.filename[:-4]) for i in infos)} hold {total:,} values together; "
                        f"Layerforge loads at most {MAX_VALUES:,} values per array ({mib(MAX_VALUES * 4)} as 32-bit "
                        "floats): use fewer samples or smaller images", shown)
    arrays = []
    for info in infos:
        with _member(archive, info, shown) as fh:
            try:
                arrays.append(np.lib.format.read_array(fh, allow_pickle=False))
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
                raise DataError(f"the array {info.filename[:-4]!r} cannot be read: the file is damaged or truncated "
                                f"({_reason(err)})", shown) from None
    if len(arrays) == 1:
        return arrays[0]
    try:
        return np.concatenate(arrays)
    except ValueError:
        shapes = ", ".join(f"{i.filename[:-4]} {a.shape}" for i, a in zip(infos, arrays, strict=True))
        raise DataError(f"the parts cannot be joined: their shapes differ beyond the first axis ({shapes})",
                        shown) from None


@contextlib.contextmanager
def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> Iterator[Any]:
    try:
        with archive.open(info) as fh:
            yield fh
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DataError(f"the array {info.filename[:-4]!r} cannot be read ({_reason(err)})", shown) from None


def _read_arrays(path: Path, shown: str) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """x and y from an .npz (or x alone from an .npy), every header checked before memory is taken."""
    notes: list[str] = []
    try:
        with open_regular(path) as fh:
            head = fh.read(6)
        if head == b"\x93NUMPY":
            return _read_npy(path, shown), None, notes
        if not head.startswith(b"PK"):
            raise DataError("not a NumPy .npz/.npy file (it does not start like one)", shown)
        x, y = _read_npz(path, shown, notes)
    except OSError as err:
        raise DataError(f"cannot read it as a NumPy .npz/.npy file ({err.strerror or err})", shown) from None
    except MemoryError:
        raise DataError("there is not enough memory to load these arrays: use fewer samples", shown) from None
    return x, y, notes


def _first_bad(mask: np.ndarray) -> int:
    """The sample (first axis) of the first True in ``mask``."""
    return int(np.unravel_index(int(np.argmax(mask)), mask.shape)[0])


def _check_floats(values: np.ndarray, name: str, shown: str) -> None:
    """NaN, infinite, or (in float64) beyond float32 values, which training would turn into inf: name the sample."""
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"{name} holds {int(bad.sum()):,} NaN or infinite values (the first in sample "
                        f"{_first_bad(bad)}): fill or remove them before training", shown)
    if values.dtype.itemsize > 4:
        big = np.abs(values) > _FLOAT32_MAX
        if big.any():
            k = _first_bad(big)
            raise DataError(f"{name} holds values beyond the range of the 32-bit floats training uses "
                            f"(±{_FLOAT32_MAX:.2e}), the first in sample {k}: rescale them", shown)


def _array_kind(x: np.ndarray, shown: str, notes: list[str]) -> tuple[str, np.ndarray]:
    if x.dtype.kind not in "biuf":
        raise DataError(f"x holds {x.dtype} values; Layerforge needs numbers", shown)
    if x.ndim == 0 or len(x) == 0:
        raise DataError("x holds no samples", shown)
    _check_floats(x, "x", shown)
    if x.ndim == 1:
        notes.append("x is one number per sample: read it as a table with one column")
        return "table", x.reshape(-1, 1).astype(np.float32)
    if x.ndim == 2:
        return "table", x.astype(np.float32)
    if x.ndim == 3 and x.dtype.kind in "iu":
        notes.append(f"read x {tuple(x.shape)} as grey images and added a channel axis")
        x = x[..., None]
    elif x.ndim == 3:
        return "series", x.astype(np.float32)
    if x.ndim != 4:
        raise DataError(f"x has shape {tuple(x.shape)}; Layerforge reads samples with 1 to 3 axes (table rows, "
                        "sequences, images)", shown)
    if x.shape[-1] == 4:
        notes.append("dropped the alpha channel of the RGBA images")
        x = x[..., :3]
    if x.shape[-1] not in (1, 3):
        raise DataError(f"x has shape {tuple(x.shape)}: images need 1 (grey) or 3 (RGB) channels last", shown)
    x = x.astype(np.float32)
    top = float(x.max())
    if top > 1.0:
        scale = 255.0 if top <= 255.0 else top
        x /= scale
        notes.append(f"scaled the pixel values from 0..{scale:g} to 0..1")
    return "image", x


def _array_target(y: np.ndarray, n: int, shown: str, task: str | None,
                  notes: list[str]) -> tuple[np.ndarray, str, list[str] | None]:
    if len(y) != n:
        raise DataError(f"x has {n:,} samples but y has {len(y):,}: give one label per sample", shown)
    if y.dtype.kind not in "biufU":
        raise DataError(f"y holds {y.dtype} values; use numbers or texts", shown)
    _check_floats(y, "y", shown)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2 and y.dtype.kind != "U" and task != "regression" and np.isin(y, (0, 1)).all() \
            and (y.sum(axis=1) == 1).all():
        notes.append(f"y is one-hot ({y.shape[1]} columns): read it as class ids")
        return y.argmax(axis=1).astype(np.int64), "classification", [str(i) for i in range(y.shape[1])]
    if y.ndim > 1:
        if y.dtype.kind == "U" or task == "classification":
            raise DataError(f"y has shape {tuple(y.shape)}; class labels must be one per sample (shape ({n},))",
                            shown)
        return y.astype(np.float32), "regression", None
    if y.dtype.kind == "U":
        if task == "regression":
            raise DataError("y holds texts, but task is regression: save numbers", shown)
        classes = sorted(set(y.tolist()))
    else:
        if y.dtype.kind == "b":
            y = y.astype(np.int64)
        values = np.unique(y)
        whole = bool(np.all(np.mod(values, 1) == 0))
        if task is None:
            id_like = y.dtype.kind in "iu" and len(values) <= MAX_CLASSES
            task = "classification" if id_like or looks_like_classes(values.tolist()) else "regression"
            if task == "classification" and y.dtype.kind == "f":
                notes.append(f"read y as {len(values)} classes (few different whole numbers); set the dataset "
                             "option task to \"regression\" to predict it as a number")
        if task == "regression":
            return y.astype(np.float32), "regression", None
        if not whole:
            raise DataError("y holds fractions, but task is classification: save class ids 0, 1, 2, ...", shown)
        if values.min() == 0 and values.max() == len(values) - 1:
            return y.astype(np.int64), "classification", [str(int(v)) for v in values]
        classes = values.tolist()
        notes.append(f"numbered the {len(classes)} classes {_list([str(int(c)) for c in classes])} as 0 to "
                     f"{len(classes) - 1}")
    index = {c: i for i, c in enumerate(classes)}
    ids = np.array([index[c] for c in y.tolist()], dtype=np.int64)
    names = [str(int(c)) if isinstance(c, float) else str(c) for c in classes]
    return ids, "classification", names


def load_npz(path: Path, shown: str, ref: Mapping[str, Any]) -> Dataset:
    """Arrays ``x`` and ``y`` (or ``x_train``/``y_train``...) from np.savez; a .npy file holds x only."""
    target = opts.read(ref, "target", "npz")
    task = opts.read(ref, "task", "npz")
    x, y, notes = _read_arrays(path, shown)
    kind, x = _array_kind(x, shown, notes)
    class_names = None
    if target == "input":
        y, task = x, "regression"
        notes.append("target \"input\": the model learns to reproduce its input (autoencoder)")
    elif y is None:
        raise DataError("the file holds only inputs (x), no labels: save both with np.savez('data.npz', x=..., y=...), "
                        "or set the dataset option target to \"input\" to train an autoencoder", shown)
    else:
        y, task, class_names = _array_target(y, len(x), shown, task, notes)
    label = Path(shown).name
    return freeze(Dataset(
        name=shown, title=make_title(label, x, str(task), len(class_names) if class_names else None, kind),
        kind=kind, task=str(task), x=x, y=y, class_names=class_names,
        description=f"Your arrays {shown}: {count(len(x))} samples of shape {tuple(x.shape[1:])}.", notes=notes,
        ordered=False, image_shape=tuple(x.shape[1:]) if kind == "image" else None))


# --- image folders -----------------------------------------------------------------------------------------

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})
MAX_DEFAULT_SIDE = 256
"""Without image_size, images take their most common size, unless that is larger than this
(photos): then 128×128, so a folder of photos does not fill the memory."""


def _skipped_note(skipped: list[str]) -> str:
    return f"skipped {_plural(len(skipped), 'file')} that could not be read as images: {_list(skipped, 5)}"


def load_image_folder(path: Path, shown: str, ref: Mapping[str, Any]) -> Dataset:
    """One sub-folder per class, images resized to one size, grey when every image is grey."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_dir():
        raise DataError("no such folder", shown)
    folders = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    example = f"{shown.rstrip('/')}/cats/1.png and {shown.rstrip('/')}/dogs/1.png"
    if not folders:
        loose = any(f.suffix.lower() in IMAGE_EXTENSIONS for f in path.iterdir())
        raise DataError(("the folder holds images but no class folders" if loose else "the folder has no sub-folders")
                        + f": put the images of each class in a sub-folder named after it, e.g. {example}", shown)
    notes: list[str] = []
    files: list[tuple[int, Path]] = []
    classes: list[str] = []
    for folder in folders:
        found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not found:
            notes.append(f"left out the folder {folder.name!r}: it holds no images")
            continue
        files += [(len(classes), p) for p in found]
        classes.append(folder.name)
    if len(classes) < 2:
        raise DataError(f"found images for {len(classes)} class{'es' if len(classes) != 1 else ''} only: a classifier "
                        f"needs at least two class folders, e.g. {example}", shown)
    skipped: list[str] = []
    headers: list[tuple[int, Path, tuple[int, int], str]] = []
    warned = _ImageWarnings()
    for label, file in files:
        try:
            with warned.reading(file.relative_to(path)), Image.open(file) as image:
                headers.append((label, file, (image.height, image.width), image.mode))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
            skipped.append(f"{file.relative_to(path)} ({_reason(err)})")
    if not headers:
        raise DataError(_skipped_note(skipped) + "; no image is left", shown)
    size = opts.read(ref, "image_size", "image_folder")
    if size is None:
        size, _n = Counter(h[2] for h in headers).most_common(1)[0]
        if max(size) > MAX_DEFAULT_SIDE:
            size = (128, 128)
    grey = all(h[3] in GREY_MODES for h in headers)
    mode = "L" if grey else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    resized = 0
    for label, file, native, _mode in headers:
        try:
            with warned.reading(file.relative_to(path)), Image.open(file) as image:
                picture = image.convert(mode)
                if native != size:
                    picture = picture.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                    resized += 1
                images.append(np.asarray(picture, dtype=np.uint8))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
            skipped.append(f"{file.relative_to(path)} ({_reason(err)})")
            continue
        labels.append(label)
    notes += warned.notes()
    if skipped:
        notes.append(_skipped_note(skipped))
    if not images:
        raise DataError(_skipped_note(skipped) + "; no image is left", shown)
    if resized:
        notes.append(f"resized {_plural(resized, 'image')} to {size[0]}×{size[1]} (set image_size to choose)")
    x = np.stack(images).astype(np.float32) / 255.0
    x = x.reshape(len(images), size[0], size[1], 1 if grey else 3)
    y = np.array(labels, dtype=np.int64)
    present = sorted(set(labels))
    if len(present) < 2:
        raise DataError(f"only the class {classes[present[0]]!r} has readable images: a classifier needs two", shown)
    folder_name = Path(shown.rstrip("/")).name or shown
    return freeze(Dataset(
        name=shown, title=make_title(folder_name, x, "classification", len(classes), "image"), kind="image",
        task="classification", x=x, y=y, class_names=classes,
        description=f"Your images in {shown}: {count(len(x))} {'grey' if grey else 'colour'} pictures in "
                    f"{len(classes)} class folders ({_list(classes)}).",
        notes=notes, image_shape=(size[0], size[1], 1 if grey else 3)))


class _ImageWarnings:
    """Pillow's warnings while images are read, turned into notes that name the files, instead of
    raw ``DecompressionBombWarning: Image size (...) exceeds limit ...`` lines on the terminal."""

    def __init__(self) -> None:
        self.by_kind: dict[str, set[str]] = {}

    @contextlib.contextmanager
    def reading(self, file: Path) -> Iterator[None]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for warning in caught:
            self.by_kind.setdefault(self._kind(warning), set()).add(str(file))

    @staticmethod
    def _kind(warning: warnings.WarningMessage) -> str:
        from PIL import Image

        text = str(warning.message)
        if issubclass(warning.category, Image.DecompressionBombWarning):
            return (f"very large images (over {Image.MAX_IMAGE_PIXELS:,} pixels), read and scaled down: check they "
                    "are the pictures you meant")
        if "transparency" in text.lower():
            return "images with transparency, which was dropped"
        if "exif" in text.lower():
            return "images with damaged EXIF metadata, ignored (the pixels were read)"
        return f"images that gave a warning while read ({_reason(Exception(text))})"

    def notes(self) -> list[str]:
        out = []
        for kind, files in sorted(self.by_kind.items()):
            listed = sorted(files)
            out.append(f"{kind}: {_list(listed, 5)}")
        return out


def _reason(err: Exception) -> str:
    text = str(err).split(":")[0].strip() or type(err).__name__
    return text if len(text) < 80 else text[:77] + "..."


__all__ = ["IMAGE_EXTENSIONS", "load_csv", "load_image_folder", "load_npz"]
