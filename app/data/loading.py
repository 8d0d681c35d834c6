"""From a project's dataset reference to a :class:`Dataset`: bundled sets by name, files by path.

Loads are cached in-process (keyed on the options, and for files on their size and change time),
so the training panel's preview and the run that follows read the data once. Cached arrays
are read-only; every call gets its own :class:`Dataset` record.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from app.core.userfiles import open_regular
from app.data import options as opts
from app.data.bundled import BUNDLED, load_bundled
from app.data.dataset import Dataset, freeze, make_title, shape_text
from app.data.errors import DataError
from app.data.images import resize
from app.data.option_table import understood

FILE_KINDS = ("csv", "npz", "image_folder", "text_csv")


def _label(ds: Dataset) -> str:
    return ds.title.rsplit(" (", 1)[0]


def _apply_generic(ds: Dataset, ref: Mapping[str, Any], dataset: str, *, own_target: bool) -> Dataset:
    """Options any dataset of its kind understands: image size, pixel range, flattening, autoencoder.
    ``dataset`` is the bundled name or file kind whose options these are (the option table's name)."""
    x, notes, changed = ds.x, list(ds.notes), False
    image_shape = ds.image_shape
    if ds.kind == "image" and x.ndim == 4:
        size = opts.read(ref, "image_size", dataset)
        if size is not None and size != x.shape[1:3]:
            notes.append(f"resized the images from {shape_text(x.shape[1:3])} to {shape_text(size)}")
            x, changed = resize(x, *size), True
            image_shape = (size[0], size[1], int(x.shape[3]))
        if opts.read(ref, "pixels", dataset) == "0-255":
            x, changed = x * np.float32(255.0), True
            notes.append("pixel values are 0..255 (option pixels), for models that rescale them themselves")
        if opts.read(ref, "flatten", dataset):
            notes.append(f"flattened each image to {int(np.prod(x.shape[1:])):,} values (option flatten)")
            x, changed = x.reshape(len(x), -1), True
    y, task, class_names = ds.y, ds.task, ds.class_names
    if not own_target and "target" in understood(dataset) and ref.get("target") is not None:
        target = opts.read(ref, "target", dataset)
        if target != "input":
            raise DataError(f"option 'target' of {ds.name!r} can only be \"input\" (an autoencoder: the model "
                            f"reproduces its input); got {target!r}")
        y, task, class_names, changed = x, "regression", None, True
        notes.append("target \"input\": the model learns to reproduce its input (autoencoder)")
    if not changed:
        return ds
    out = ds.copy_shallow()
    out.x, out.y, out.task, out.class_names, out.notes, out.image_shape = x, y, task, class_names, notes, image_shape
    out.title = make_title(_label(ds), x, task, len(class_names) if class_names else None, ds.kind)
    return freeze(out)


@functools.lru_cache(maxsize=12)
def _bundled(name: str, key: tuple[Any, ...]) -> Dataset:
    return read_bundled(name, dict(key))


def read_bundled(name: str, ref: Mapping[str, Any]) -> Dataset:
    """Bundled set ``name`` with the options of ``ref``, not cached (``load_dataset`` caches)."""
    ds = load_bundled(name, ref).copy_shallow()
    ds.notes = opts.ignored_options(ref, name) + ds.notes
    return _apply_generic(ds, ref, name, own_target=False)


def _signature(path: Path) -> tuple[Any, ...]:
    """What must stay the same for a cached file load to be reused."""
    try:
        if path.is_dir():
            return tuple(sorted((str(p.relative_to(path)), st.st_size, st.st_mtime_ns)
                                for p in path.rglob("*") if p.is_file() for st in [p.stat()]))
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return ()


@functools.lru_cache(maxsize=8)
def _file(kind: str, path: str, shown: str, signature: tuple[Any, ...], key: tuple[Any, ...]) -> Dataset:
    return read_file(kind, Path(path), shown, dict(key))


def read_file(kind: str, full: Path, shown: str, ref: Mapping[str, Any]) -> Dataset:
    """The user's file ``full`` (shown to the user as ``shown``) read as file kind ``kind``, not cached."""
    from app.data import files, text

    if kind == "csv":
        ds = files.load_csv(full, shown, ref)
    elif kind == "npz":
        ds = files.load_npz(full, shown, ref)
    elif kind == "image_folder":
        ds = files.load_image_folder(full, shown, ref)
    else:
        ds = text.load_text_csv(full, shown, ref)
    ds = ds.copy_shallow()
    ds.notes = opts.ignored_options(ref, kind) + ds.notes
    return _apply_generic(ds, ref, kind, own_target=kind != "image_folder")


def _options_key(ref: Mapping[str, Any]) -> tuple[Any, ...]:
    return opts.hashable({k: v for k, v in ref.items() if k not in ("name", "path", "inputs")})


def load_dataset(ref: Mapping[str, Any], base_dir: Path | None = None) -> Dataset:
    """The dataset a project's reference names: ``{"name": "iris"}``, ``{"name": "csv", "path": "data.csv"}``.
    Relative paths are taken from ``base_dir`` (the project file's folder)."""
    if not isinstance(ref, Mapping):
        raise DataError('a dataset reference is an object such as {"name": "iris"}')
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        raise DataError('the dataset reference has no "name": use a bundled name such as "iris" or a file kind '
                        f"({', '.join(FILE_KINDS)}) with a \"path\"")
    if name in BUNDLED:
        try:
            return _bundled(name, _options_key(ref)).copy_shallow()
        except DataError as err:
            if err.path is None:
                err.path = name  # "co2: option 'window' must be ..."
            raise
    if name not in FILE_KINDS:
        raise DataError(f"unknown dataset {name!r}{_suggest(name)}: bundled datasets are {', '.join(BUNDLED)}; "
                        f"your own files use the name {', '.join(FILE_KINDS)} with a \"path\"")
    shown = ref.get("path")
    if not isinstance(shown, str) or not shown:
        raise DataError(f'a {name} dataset needs a "path" to the {"folder" if name == "image_folder" else "file"}')
    full = Path(shown).expanduser()
    if not full.is_absolute() and base_dir is not None:
        full = Path(base_dir) / full
    if not full.exists():
        raise DataError(f"there is no such {'folder' if name == 'image_folder' else 'file'}"
                        + (f" (looked in {os.fspath(full.parent)})" if full != Path(shown) else ""), shown)
    full = full.resolve()
    return _file(name, str(full), shown, _signature(full), _options_key(ref)).copy_shallow()


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), list(BUNDLED), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _looks_like_text_table(path: Path) -> bool:
    """A CSV whose header has a column called "text" (and few columns) holds texts to classify."""
    try:
        with open_regular(path) as raw:  # a named pipe is refused here, not waited on
            header = raw.readline(65536).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    columns = [c.strip().strip('"').lower() for c in header.replace(";", ",").replace("\t", ",").split(",")]
    return "text" in columns and len(columns) <= 3


def dataset_ref_from_text(text: str, cwd: Path | None = None) -> dict[str, Any]:
    """What a user typed on the command line as a reference: a bundled name, or a file or folder
    (made absolute against ``cwd``, the current folder by default, so it means what the user meant)."""
    given = text.strip()
    if not given:
        raise DataError(f"no dataset given: name a bundled one ({', '.join(BUNDLED)}) or a file")
    if given in BUNDLED:
        return {"name": given}
    if given.lower() in BUNDLED:
        return {"name": given.lower()}
    path = Path(given).expanduser()
    full = path if path.is_absolute() else (cwd or Path.cwd()) / path
    if full.is_dir():
        return {"name": "image_folder", "path": str(full)}
    suffix = full.suffix.lower()
    if not full.exists():
        raise DataError(f"{given!r} is neither a bundled dataset{_suggest(given)} nor an existing file or folder; "
                        f"bundled datasets are {', '.join(BUNDLED)}")
    if suffix in (".csv", ".tsv"):
        return {"name": "text_csv" if _looks_like_text_table(full) else "csv", "path": str(full)}
    if suffix in (".npz", ".npy"):
        return {"name": "npz", "path": str(full)}
    raise DataError("cannot tell what data this is: use a .csv table, a .npz/.npy file of arrays, or a folder "
                    "with one sub-folder of images per class", given)


def clear_cache() -> None:
    """Forget cached loads (tests; or after the user edits a file in place within the same second)."""
    _bundled.cache_clear()
    _file.cache_clear()


__all__ = ["FILE_KINDS", "clear_cache", "dataset_ref_from_text", "load_dataset"]
