"""The user's own files: CSV tables, NumPy arrays, image folders, and what the CLI's --dataset means."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.data import DataError, clear_cache, dataset_ref_from_text, load_dataset


@pytest.fixture(autouse=True)
def _no_cache_between_tests() -> None:
    clear_cache()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def csv_ref(path: Path, **options: object) -> dict[str, object]:
    return {"name": "csv", "path": path.name, **options}


# --- CSV -------------------------------------------------------------------------------------------------

PEOPLE = """age,city,income,bought
34,Paris,52000,yes
,Lyon,48000,no
51,,61000,yes
29,Paris,,no
42,Lyon,57000,yes
38,Nice,50000,no
"""


def test_csv_fills_missing_values_one_hot_encodes_text_and_reports_both(tmp_path: Path) -> None:
    write(tmp_path / "people.csv", PEOPLE)
    ds = load_dataset(csv_ref(tmp_path / "people.csv"), tmp_path)
    assert (ds.kind, ds.task, ds.class_names) == ("table", "classification", ["no", "yes"])
    assert ds.y.tolist() == [1, 0, 1, 0, 1, 0]
    assert ds.feature_names == ["age", "city=Lyon", "city=Nice", "city=Paris", "income"]
    assert ds.x.shape == (6, 5) and ds.x.dtype == np.float32 and np.isfinite(ds.x).all()
    notes = "\n".join(ds.notes)
    assert "filled 1 missing value in 'age' with the median (38)" in notes
    assert "filled 1 missing value in 'income' with the median (52000)" in notes
    assert "filled 1 missing value in 'city' with the most frequent value ('Lyon')" in notes
    assert "one-hot encoded the text column 'city' into 3 columns: city=Lyon, city=Nice, city=Paris" in notes
    assert "standardized 2 number columns" in notes
    np.testing.assert_allclose(ds.x[:, [0, 4]].mean(axis=0), 0, atol=1e-6)
    one_hot = ds.x[:, 1:4]
    assert set(np.unique(one_hot)) == {0.0, 1.0} and (one_hot.sum(axis=1) == 1).all()
    assert one_hot[2].tolist() == [1.0, 0.0, 0.0]  # the missing city became Lyon


def test_csv_target_column_can_be_chosen_and_numbers_become_regression(tmp_path: Path) -> None:
    write(tmp_path / "people.csv", PEOPLE)
    ds = load_dataset(csv_ref(tmp_path / "people.csv", target="income"), tmp_path)
    assert ds.task == "regression" and ds.y.dtype == np.float32
    assert any("dropped 1 row with no value in the target column 'income' (line 5)" in n for n in ds.notes)
    assert len(ds.y) == 5 and "bought=yes" in ds.feature_names  # type: ignore[operator]
    with pytest.raises(DataError) as err:
        load_dataset(csv_ref(tmp_path / "people.csv", target="price"), tmp_path)
    assert str(err.value) \
        == "people.csv: there is no column 'price' to predict; the columns are: age, city, income, bought"


def test_few_whole_numbers_are_classes_unless_told_otherwise(tmp_path: Path) -> None:
    write(tmp_path / "grades.csv", "hours,grade\n1,3\n2,3\n3,4\n4,5\n5,5\n")
    ds = load_dataset(csv_ref(tmp_path / "grades.csv"), tmp_path)
    assert ds.task == "classification" and ds.class_names == ["3", "4", "5"]
    assert any("read the target 'grade' as 3 classes" in n for n in ds.notes)
    forced = load_dataset(csv_ref(tmp_path / "grades.csv", task="regression"), tmp_path)
    assert forced.task == "regression" and forced.y.tolist() == [3, 3, 4, 5, 5]


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    write(tmp_path / "bad.csv", "a,b,c\n1,2,3\n4,5,6\n\n7,8,9,10\n")
    with pytest.raises(DataError) as err:
        load_dataset(csv_ref(tmp_path / "bad.csv"), tmp_path)
    assert err.value.line == 5 and err.value.path == "bad.csv"
    assert str(err.value).startswith("bad.csv, line 5: expected 3 values, one per column of the header, but found 4")


def test_quoted_field_spanning_lines_keeps_later_line_numbers_right(tmp_path: Path) -> None:
    write(tmp_path / "notes.csv", 'x,label\n1,"two\nlines"\n2,b\n3\n')
    with pytest.raises(DataError) as err:
        load_dataset(csv_ref(tmp_path / "notes.csv"), tmp_path)
    assert err.value.line == 5


def test_a_stray_word_in_a_number_column_is_pointed_at(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 2}" for i in range(20))
    write(tmp_path / "typo.csv", f"size,price\n{rows}\n20,abc\n")
    with pytest.raises(DataError) as err:
        load_dataset(csv_ref(tmp_path / "typo.csv", target="size"), tmp_path)
    assert (err.value.line, err.value.column) == (22, "price")
    assert str(err.value).startswith("typo.csv, line 22, column 'price': 'abc' is not a number, but 20 other values")


def test_id_like_text_columns_are_left_out_with_a_note(tmp_path: Path) -> None:
    rows = "\n".join(f"user{i},{i % 7},{i % 2}" for i in range(120))
    write(tmp_path / "users.csv", f"id,visits,churned\n{rows}\n")
    ds = load_dataset(csv_ref(tmp_path / "users.csv"), tmp_path)
    assert ds.feature_names == ["visits"]
    assert any("left out column 'id': its 120 different texts in 120 rows look like" in n for n in ds.notes)


def test_semicolons_headerless_files_and_bad_encodings(tmp_path: Path) -> None:
    write(tmp_path / "eu.csv", "a;b;label\n1,5;2;x\n3;4;y\n5;6;x\n")
    eu = load_dataset(csv_ref(tmp_path / "eu.csv"), tmp_path)
    assert eu.x.shape == (3, 2) and eu.class_names == ["x", "y"]
    write(tmp_path / "plain.csv", "1,2,0\n3,4,1\n5,6,0\n")
    plain = load_dataset(csv_ref(tmp_path / "plain.csv"), tmp_path)
    assert plain.x.shape == (3, 2) and plain.feature_names == ["column 1", "column 2"]
    (tmp_path / "latin.csv").write_bytes(b"name,label\ncaf\xe9,1\nbar,0\n")
    with pytest.raises(DataError, match=r"latin.csv, line 2: byte 0xe9 is not UTF-8"):
        load_dataset(csv_ref(tmp_path / "latin.csv"), tmp_path)
    write(tmp_path / "empty.csv", "\n\n")
    with pytest.raises(DataError, match="the file is empty"):
        load_dataset(csv_ref(tmp_path / "empty.csv"), tmp_path)
    write(tmp_path / "one_class.csv", "a,label\n1,x\n2,x\n")
    with pytest.raises(DataError, match=r"column 'label': the target has only one value \('x'\)"):
        load_dataset(csv_ref(tmp_path / "one_class.csv"), tmp_path)


def test_relative_paths_resolve_against_the_project_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write(tmp_path / "data" / "t.csv", "a,b\n1,0\n2,1\n")
    assert load_dataset({"name": "csv", "path": "data/t.csv"}, tmp_path).n_samples == 2
    with pytest.raises(DataError) as err:
        load_dataset({"name": "csv", "path": "data/missing.csv"}, tmp_path)
    assert str(err.value).startswith("data/missing.csv: there is no such file (looked in")
    with pytest.raises(DataError, match='needs a "path"'):
        load_dataset({"name": "csv"})


def test_csv_autoencoder_uses_every_column(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,10\n")
    ds = load_dataset(csv_ref(tmp_path / "t.csv", target="input"), tmp_path)
    assert ds.x.shape == (3, 3) and np.array_equal(ds.x, ds.y) and ds.task == "regression"


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b\n1,0\n2,1\n")
    assert load_dataset(csv_ref(path), tmp_path).n_samples == 2
    write(path, "a,b\n1,0\n2,1\n3,0\n4,1\n")
    assert load_dataset(csv_ref(path), tmp_path).n_samples == 4


# --- NumPy -------------------------------------------------------------------------------------------------

def test_npz_with_x_and_y(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(30, 5)), y=np.arange(30) % 3)
    ds = load_dataset({"name": "npz", "path": "d.npz"}, tmp_path)
    assert (ds.kind, ds.task, ds.x.shape, ds.class_names) == ("table", "classification", (30, 5), ["0", "1", "2"])


def test_npz_images_pre_split_and_uint8_are_joined_and_scaled(tmp_path: Path) -> None:
    imgs = np.random.default_rng(0).integers(0, 256, size=(12, 10, 10), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x_train=imgs[:8], y_train=np.array([5, 7] * 4), x_test=imgs[8:],
             y_test=np.array([5, 7, 5, 7]))
    ds = load_dataset({"name": "npz", "path": "d.npz"}, tmp_path)
    assert ds.kind == "image" and ds.x.shape == (12, 10, 10, 1) and ds.x.max() <= 1.0
    assert ds.class_names == ["5", "7"] and ds.y.tolist()[:2] == [0, 1]
    notes = "\n".join(ds.notes)
    assert "joined x_train, x_test" in notes and "scaled the pixel values from 0..255 to 0..1" in notes
    assert "numbered the 2 classes 5, 7 as 0 to 1" in notes


def test_npz_one_hot_labels_and_regression_targets(tmp_path: Path) -> None:
    np.savez(tmp_path / "oh.npz", x=np.ones((4, 2)), y=np.eye(3)[[0, 1, 2, 1]])
    assert load_dataset({"name": "npz", "path": "oh.npz"}, tmp_path).y.tolist() == [0, 1, 2, 1]
    np.savez(tmp_path / "reg.npz", x=np.ones((4, 2)), y=np.array([0.5, 1.5, 2.25, 3.0]))
    assert load_dataset({"name": "npz", "path": "reg.npz"}, tmp_path).task == "regression"


def test_npy_holds_inputs_only(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((5, 3)))
    with pytest.raises(DataError, match=r"x.npy: the file holds only inputs \(x\), no labels"):
        load_dataset({"name": "npz", "path": "x.npy"}, tmp_path)
    ds = load_dataset({"name": "npz", "path": "x.npy", "target": "input"}, tmp_path)
    assert ds.task == "regression" and ds.y.shape == (5, 3)


def test_npz_refusals_say_what_to_do(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="Python objects, which Layerforge does not load"):
        load_dataset({"name": "npz", "path": "obj.npy", "target": "input"}, tmp_path)
    np.savez(tmp_path / "names.npz", features=np.ones((3, 2)), labels=np.zeros(3))
    with pytest.raises(DataError, match="found the arrays features, labels but no 'x'"):
        load_dataset({"name": "npz", "path": "names.npz"}, tmp_path)
    np.savez(tmp_path / "short.npz", x=np.ones((3, 2)), y=np.zeros(2))
    with pytest.raises(DataError, match="x has 3 samples but y has 2"):
        load_dataset({"name": "npz", "path": "short.npz"}, tmp_path)
    np.savez(tmp_path / "nan.npz", x=np.array([[1.0], [np.nan]]), y=np.zeros(2))
    with pytest.raises(DataError, match="x holds 1 NaN or infinite values"):
        load_dataset({"name": "npz", "path": "nan.npz"}, tmp_path)
    write(tmp_path / "fake.npz", "not a zip")
    with pytest.raises(DataError, match=r"fake\.npz: "):
        load_dataset({"name": "npz", "path": "fake.npz"}, tmp_path)


# --- image folders -----------------------------------------------------------------------------------------

def make_folder(root: Path, colours: dict[str, tuple[int, int, int]], per_class: int = 3,
                size: tuple[int, int] = (12, 10)) -> Path:
    from PIL import Image

    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", size, colour).save(root / name / f"{i}.png")
    return root


def test_image_folder_skips_a_corrupt_file_and_says_which(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "pics", {"red": (255, 0, 0), "blue": (0, 0, 255)})
    (root / "red" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (root / "blue" / "readme.txt").write_text("ignored: not an image extension")
    ds = load_dataset({"name": "image_folder", "path": "pics"}, tmp_path)
    assert ds.class_names == ["blue", "red"] and ds.x.shape == (6, 10, 12, 3)
    assert np.bincount(ds.y).tolist() == [3, 3]
    red = ds.x[ds.y == 1]
    np.testing.assert_allclose(red[..., 0], 1.0)
    np.testing.assert_allclose(red[..., 2], 0.0)
    assert any("skipped 1 file that could not be read as images: red/broken.png" in n for n in ds.notes)


def test_image_folder_resizes_to_image_size_and_keeps_grey_grey(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "grey"
    for name, value in (("dark", 20), ("light", 230)):
        (root / name).mkdir(parents=True)
        for i, size in enumerate([(8, 8), (8, 8), (16, 12)]):
            Image.new("L", size, value).save(root / name / f"{i}.png")
    ds = load_dataset({"name": "image_folder", "path": str(root)})
    assert ds.x.shape == (6, 8, 8, 1)  # the most common size
    assert any("resized 2 images to 8×8" in n for n in ds.notes)
    sized = load_dataset({"name": "image_folder", "path": str(root), "image_size": [5, 7], "flatten": True})
    assert sized.x.shape == (6, 35) and sized.image_shape == (5, 7, 1)


def test_image_folder_errors(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "flat").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(DataError, match="the folder holds images but no class folders: put the images of each class"):
        load_dataset({"name": "image_folder", "path": "flat"}, tmp_path)
    make_folder(tmp_path / "single", {"only": (1, 2, 3)})
    with pytest.raises(DataError, match="found images for 1 class only"):
        load_dataset({"name": "image_folder", "path": "single"}, tmp_path)
    root = tmp_path / "allbad"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "x.jpg").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"skipped 2 files .*; no image is left"):
        load_dataset({"name": "image_folder", "path": "allbad"}, tmp_path)


# --- what the command line's --dataset means ---------------------------------------------------------------

def test_dataset_ref_from_text(tmp_path: Path) -> None:
    assert dataset_ref_from_text("iris") == {"name": "iris"}
    assert dataset_ref_from_text("MNIST_5K") == {"name": "mnist_5k"}
    write(tmp_path / "t.csv", "a,b\n1,2\n")
    write(tmp_path / "reviews.csv", "text,label\nnice,1\n")
    np.savez(tmp_path / "a.npz", x=np.ones((2, 2)), y=np.zeros(2))
    (tmp_path / "imgs").mkdir()
    assert dataset_ref_from_text("t.csv", tmp_path) == {"name": "csv", "path": str(tmp_path / "t.csv")}
    assert dataset_ref_from_text("reviews.csv", tmp_path)["name"] == "text_csv"
    assert dataset_ref_from_text("a.npz", tmp_path)["name"] == "npz"
    assert dataset_ref_from_text("imgs", tmp_path) == {"name": "image_folder", "path": str(tmp_path / "imgs")}
    with pytest.raises(DataError) as err:
        dataset_ref_from_text("irs", tmp_path)
    assert "did you mean 'iris'?" in str(err.value) and "mnist_5k" in str(err.value)
    write(tmp_path / "notes.txt", "hello")
    with pytest.raises(DataError, match=r"notes\.txt: cannot tell what data this is"):
        dataset_ref_from_text("notes.txt", tmp_path)


def test_data_error_text_names_file_line_and_column() -> None:
    assert str(DataError("not a number", "data/x.csv", 14, "age")) == "data/x.csv, line 14, column 'age': not a number"
    assert str(DataError("empty", "x.csv")) == "x.csv: empty"
    assert str(DataError("plain")) == "plain"
