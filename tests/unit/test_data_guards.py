"""Hostile or unlucky data files (issue 11, points 3, 13, 14, 16): array headers are checked before any
memory is taken, numbers that overflow are pointed at, a CSV is parsed once, and warnings become notes."""

from __future__ import annotations

import io
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app.data import DataError, clear_cache, csvread, load_dataset
from app.data import files as files_module


@pytest.fixture(autouse=True)
def _no_cache_between_tests() -> None:
    clear_cache()


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def refused(path: Path, **options: object) -> str:
    with pytest.raises(DataError) as info:
        load_dataset({"name": "npz", "path": path.name, **options}, path.parent)
    return str(info.value)


# --- .npy / .npz: declared shapes, dtypes and expansion --------------------------------------------------

def test_a_header_that_lies_about_its_size_is_called_a_lie_not_python_objects(tmp_path: Path) -> None:
    # Before: the .npz said "holds Python objects"; the .npy ended in a MemoryError for 37.3 GiB.
    (tmp_path / "liar.npy").write_bytes(npy_header((100_000, 50_000)) + bytes(1024))
    message = refused(tmp_path / "liar.npy", target="input")
    assert "declares shape (100000, 50000) of float64, 38,147 MiB of data, but the file holds only 1,024 bytes" \
        in message
    assert "truncated or its header is wrong" in message and "Python objects" not in message
    with zipfile.ZipFile(tmp_path / "liar.npz", "w") as archive:
        archive.writestr("x.npy", npy_header((1000, 1000)) + bytes(800))
        archive.writestr("y.npy", npy_header((1000,)) + bytes(8000))
    message = refused(tmp_path / "liar.npz")
    assert "the header of the array 'x' declares shape (1000, 1000) of float64, 7.6 MiB" in message
    assert "holds only 800 bytes" in message and "Python objects" not in message


def test_a_37_gib_array_is_refused_from_its_header_with_the_limit_stated(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    with path.open("wb") as fh:  # a sparse file: the size is real, the disk space is not used
        fh.write(npy_header((100_000, 50_000)))
        fh.truncate(fh.tell() + 100_000 * 50_000 * 8)
    tracemalloc.start()
    try:
        message = refused(path, target="input")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "has 5,000,000,000 values (shape (100000, 50000) of float64)" in message
    assert "at most 268,435,456 values per array (1,024 MiB as 32-bit floats)" in message
    assert peak < 10 * 2**20


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like the issue's file (9 MB of .npz that unpacked to 2 GiB), a little smaller to write: 4.6 MiB whose
    x unpacks to 1,028 MiB of zeros, just over the limit (written in 4 MiB pieces)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    zero = bytes(4 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as fh:
            fh.write(npy_header((2**28 + 2**20,), "<f4"))
            for _ in range(257):
                fh.write(zero)
        archive.writestr("y.npy", npy_header((2**28 + 2**20,), "|u1"))
    return path


def test_a_small_npz_that_expands_past_the_limit_is_refused_before_it_is_unpacked(bomb: Path) -> None:
    # Before (the 9 MB -> 2 GiB file): loaded, 30 s and 4.1 GB of memory.
    tracemalloc.start()
    try:
        message = refused(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "the array 'x' has 269,484,032 values (shape (269484032,) of float32, " in message
    assert "MiB in the file that would expand to 1,028 MiB)" in message
    assert "at most 268,435,456 values per array" in message
    assert peak < 10 * 2**20


def test_an_array_that_packs_more_than_the_ratio_allows_is_refused(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "zeros.npz", x=np.zeros((80 * 2**18, 1), dtype=np.float32), y=np.zeros(3))
    message = refused(tmp_path / "zeros.npz")
    assert "would expand from" in message and "more than 1000 times" in message and "zip bomb" in message
    # small arrays are loaded whatever their ratio
    np.savez_compressed(tmp_path / "small.npz", x=np.zeros((2**20, 2), dtype=np.float32), y=np.arange(2**20) % 2)
    assert load_dataset({"name": "npz", "path": "small.npz"}, tmp_path).x.shape == (2**20, 2)


def test_the_joined_parts_count_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MAX_VALUES", 100)
    np.savez(tmp_path / "parts.npz", x_train=np.ones((60, 1)), x_test=np.ones((60, 1)), y_train=np.zeros(60),
             y_test=np.zeros(60))
    assert "'x_train' + 'x_test' hold 120 values together; Layerforge loads at most 100 values" \
        in refused(tmp_path / "parts.npz")


def test_object_arrays_are_still_refused_as_python_objects(tmp_path: Path) -> None:
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2))
    assert "the array 'x' holds Python objects" in refused(tmp_path / "obj.npz")


def test_float64_values_beyond_float32_name_the_sample(tmp_path: Path) -> None:
    x = np.ones((5, 2))
    x[3, 1] = 1e308
    np.savez(tmp_path / "big.npz", x=x, y=np.arange(5) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # before: "RuntimeWarning: overflow encountered in cast", then inf
        message = refused(tmp_path / "big.npz")
    assert "x holds values beyond the range of the 32-bit floats training uses" in message
    assert "the first in sample 3" in message
    np.savez(tmp_path / "nan.npz", x=np.ones((4, 2)), y=np.array([0.5, np.nan, 1.0, 2.0]))
    assert "y holds 1 NaN or infinite values (the first in sample 1)" in refused(tmp_path / "nan.npz")


# --- CSV: overflow, one parse ----------------------------------------------------------------------------

def test_one_huge_value_is_pointed_at_instead_of_zeroing_the_column(tmp_path: Path) -> None:
    # Before: "standardized 3 number columns" while column b had become all zeros (and a numpy warning).
    (tmp_path / "big.csv").write_text("a,b,c,label\n1,2,3,x\n4,1e308,6,y\n7,8,9,x\n2,3,1,y\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError) as info:
            load_dataset({"name": "csv", "path": "big.csv"}, tmp_path)
    err = info.value
    assert (err.line, err.column) == (3, "b")
    assert "the value 1e+308 is so large that the mean or spread of this column overflows" in err.message


def test_a_regression_target_beyond_float32_is_pointed_at(tmp_path: Path) -> None:
    (tmp_path / "y.csv").write_text("a,b,price\n1,2,1.5\n4,5,1e39\n3,3,2.5\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset({"name": "csv", "path": "y.csv", "task": "regression"}, tmp_path)
    assert (info.value.line, info.value.column) == (3, "price")
    assert "beyond the range of 32-bit floats" in info.value.message


def test_number_columns_read_by_chunks_agree_with_the_cell_by_cell_rules(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvread, "CHUNK_ROWS", 3)
    rows = ["city,size,score,label"]
    for i in range(12):
        city = "75001" if i < 7 else ["Paris", "Lyon", "Nice", "Metz", "Caen"][i - 7]  # text after two chunks
        size = "" if i == 4 else ("NA" if i == 9 else f" {i}.5 ")
        rows.append(f"{city},{size},{i * 1_000},{'yes' if i % 2 else 'no'}")
    (tmp_path / "mixed.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = load_dataset({"name": "csv", "path": "mixed.csv"}, tmp_path)
    assert ds.feature_names == ["city=75001", "city=Caen", "city=Lyon", "city=Metz", "city=Nice", "city=Paris",
                                "size", "score"]
    notes = "\n".join(ds.notes)
    assert "filled 2 missing values in 'size' with the median (6)" in notes
    assert ds.y.tolist() == [i % 2 for i in range(12)]
    # a stray word after the first chunks is still the typo it was
    rows[11] = "Lyon,oops,10000,yes"
    (tmp_path / "typo.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset({"name": "csv", "path": "typo.csv"}, tmp_path)
    assert (info.value.line, info.value.column) == (12, "size") and "'oops' is not a number" in info.value.message


def test_a_csv_is_parsed_once_for_the_check_and_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.project import load_project
    from app.keras_bridge.training import TrainingSession, check_before_training

    lines = ["a,b,c,d,species"] + [f"{i % 7},{i % 5}.5,{i % 3},{i % 11},{'kab'[i % 3]}" for i in range(300)]
    (tmp_path / "flowers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls: list[str] = []
    original = csvread.read_csv

    def counted(*args: object, **kwargs: object) -> csvread.CsvTable:
        calls.append(str(args[0]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files_module, "read_csv", counted)
    project = load_project(Path(__file__).parents[2] / "models" / "mlp_tabular.json")
    project.dataset = {"name": "csv", "path": "flowers.csv"}
    assert check_before_training(project, base_dir=tmp_path) == []
    session = TrainingSession(project, base_dir=tmp_path)
    session.stop()  # the run loads and prepares the data, then stops before Keras is needed
    result = session.run()
    assert result.status == "stopped" and result.dataset is not None
    assert len(calls) == 1


# --- warnings become notes --------------------------------------------------------------------------------

def test_pillow_warnings_become_notes_naming_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    for name, colour in (("cats", (200, 10, 10)), ("dogs", (10, 10, 200))):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (12, 10), colour).save(tmp_path / "pets" / name / f"{i}.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 120-pixel images now warn (and 200+ would fail)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # before: DecompressionBombWarning reached the terminal
        ds = load_dataset({"name": "image_folder", "path": "pets"}, tmp_path)
    note = next(n for n in ds.notes if n.startswith("very large images"))
    assert "over 100 pixels" in note and "cats/0.png" in note and "dogs/1.png" in note
