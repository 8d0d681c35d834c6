"""The training panel's views: dataset picker and preview, results, run history (pytest-qt, real widgets).

Data comes from the real :mod:`app.data` where a test needs real loading (iris, moons, a bad
CSV, every preview kind); the rest use small hand-made datasets and an injected loader, so
they check the widgets' own behaviour (pacing of edits, stale loads, inline errors) exactly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from app.data import Dataset
from app.gui.training.dataset_picker import FILE_KIND_KEYS, DatasetPicker, read_columns
from app.gui.training.preview import DatasetPreview, as_images
from app.gui.training.results import ResultsView, confusion_counts, metric_text, predicted_classes
from app.gui.training.run_history import RunHistoryView, metric_order
from app.gui.widgets import class_ids, decode_tokens, to_uint8_image

ROOT = Path(__file__).resolve().parents[2]
LOAD_TIMEOUT = 60_000


def real_data() -> Any:
    """The real app.data package. A missing piece fails the test: it is a regression, not a reason to skip."""
    import app.data as data

    assert callable(data.load_dataset) and callable(data.list_datasets)
    return data


# --- hand-made datasets (the Dataset fields the views read) ---------------------------------------

FakeDataset = Dataset  # hand-made datasets use the real class, with small arrays


@dataclass(frozen=True)
class FakeBundled:
    name: str
    title: str
    kind: str
    task: str
    description: str
    options: dict[str, Any] = field(default_factory=dict)


CATALOG = [
    FakeBundled("iris", "Iris flowers", "table", "classification", "Fisher's iris measurements (scikit-learn)."),
    FakeBundled("moons", "Two moons", "points", "classification", "Two interleaving half circles.",
                {"noise": 0.2, "samples": 400, "seed": 0}),
    FakeBundled("co2", "CO2 at Mauna Loa", "series", "regression", "Weekly CO2.", {"window": 24, "horizon": 1}),
]


def fake_points(ref: dict[str, Any]) -> FakeDataset:
    rng = np.random.default_rng(ref.get("seed", 0))
    n = int(ref.get("samples", 400))
    return FakeDataset("moons", f"Two moons ({n} × 2, 2 classes)", "points", "classification",
                       rng.normal(size=(n, 2)).astype(np.float32), (np.arange(n) % 2).astype(np.int64), ["a", "b"],
                       notes=[f"noise {ref.get('noise', 0.2)}"])


class Loader:
    """A load_dataset stand-in that records calls; ``gate`` (if set) holds a load until released."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.gate: threading.Event | None = None
        self.error: Exception | None = None

    def __call__(self, ref: dict[str, Any], base_dir: Path | None) -> FakeDataset:
        self.calls.append(dict(ref))
        gate = self.gate
        if gate is not None:
            gate.wait(30)
        if self.error is not None:
            raise self.error
        if ref["name"] == "moons":
            return fake_points(ref)
        return FakeDataset(ref["name"], ref["name"].title(), "table", "classification",
                           np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]), ["no", "yes"],
                           description=f"made for {ref['name']}", notes=["filled 1 missing value in 'b'"])


@pytest.fixture
def loader() -> Loader:
    return Loader()


@pytest.fixture
def picker(qtbot, loader):
    widget = DatasetPicker(datasets=CATALOG, loader=loader)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    if widget.loading:  # never leave a loading thread behind
        if loader.gate is not None:
            loader.gate.set()
        qtbot.waitUntil(lambda: not widget.loading, timeout=LOAD_TIMEOUT)


# --- DatasetPicker with an injected loader --------------------------------------------------------

def test_picker_starts_empty_and_groups_bundled_sets_by_kind(picker):
    assert picker.dataset is None and picker.ref is None
    assert picker.combo.currentIndex() == -1
    assert "Choose a dataset" in picker.combo.placeholderText()
    texts = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert texts.index("Tables") < texts.index("Iris flowers") < texts.index("Time series")
    assert "Your own data" in texts and "CSV table…" in texts and "Image folder…" in texts
    header = picker.combo.model().item(texts.index("Tables"))
    assert not header.isEnabled()
    iris = picker.combo.model().item(texts.index("Iris flowers"))
    assert "iris measurements" in iris.toolTip()


def test_choosing_a_set_emits_the_ref_and_loads_off_the_gui_thread(qtbot, picker, loader):
    loader.gate = threading.Event()
    with qtbot.waitSignal(picker.ref_changed, timeout=1000) as changed:
        assert picker.select("moons")
    assert changed.args[0] == {"name": "moons", "noise": 0.2, "samples": 400, "seed": 0}
    # The GUI thread is free while the loader is still blocked.
    assert picker.loading and picker.dataset is None and picker.busy_row.isVisible()
    assert "Loading 'moons'" in picker.busy_label.text()
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT) as loaded:
        loader.gate.set()
    assert picker.dataset is loaded.args[0] and picker.dataset.x.shape == (400, 2)
    assert not picker.loading and picker.busy_row.isHidden()
    assert "Two moons" in picker.info_label.text() and "noise 0.2" in picker.info_label.text()
    assert set(picker.option_widgets) == {"noise", "samples", "seed"}
    assert picker.option_widgets["noise"].toolTip()


def test_option_edits_are_paced_into_one_ref_change(qtbot, picker, loader):
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        picker.select("moons")
    samples: QSpinBox = picker.option_widgets["samples"]  # type: ignore[assignment]
    noise: QDoubleSpinBox = picker.option_widgets["noise"]  # type: ignore[assignment]
    emitted: list[dict] = []
    picker.ref_changed.connect(emitted.append)
    samples.setValue(200)
    noise.setValue(0.3)
    samples.setValue(250)
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        pass
    assert emitted == [{"name": "moons", "noise": 0.3, "samples": 250, "seed": 0}]
    assert picker.dataset.x.shape == (250, 2)
    assert loader.calls[-1]["samples"] == 250


def test_set_ref_shows_a_project_ref_without_emitting_and_ignores_echoes(qtbot, picker, loader):
    emitted: list[dict] = []
    picker.ref_changed.connect(emitted.append)
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        picker.set_ref({"name": "moons", "noise": 0.05, "samples": 100}, ROOT)
    assert emitted == []
    assert picker.combo.currentText() == "Two moons"
    assert picker.option_widgets["noise"].value() == pytest.approx(0.05)
    assert picker.option_widgets["samples"].value() == 100
    assert picker.option_widgets["seed"].value() == 0  # the set's default where the ref is silent
    calls = len(loader.calls)
    picker.set_ref({"name": "moons", "noise": 0.05, "samples": 100}, ROOT)  # a panel echoing the change back
    assert len(loader.calls) == calls and not picker.loading
    picker.option_widgets["seed"].setValue(7)  # an edit waiting for the typing pause ...
    picker.set_ref({"name": "moons", "noise": 0.05, "samples": 100}, ROOT)  # ... survives an echo
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        pass
    assert changed.args[0] == {"name": "moons", "noise": 0.05, "samples": 100, "seed": 7}
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        picker.set_ref({"name": "moons", "noise": 0.05, "samples": 100}, ROOT)  # undo: shown again, no emit
    assert picker.option_widgets["seed"].value() == 0 and emitted == [changed.args[0]]
    picker.set_ref(None)
    assert picker.dataset is None and picker.combo.currentIndex() == -1 and not picker.options_box.isVisible()


def test_a_stale_load_is_dropped(qtbot, picker, loader):
    loader.gate = threading.Event()
    picker.select("moons")
    first_gate = loader.gate
    loader.gate = None
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT) as loaded:
        picker.select("iris")
    assert loaded.args[0].name == "iris"
    seen: list[Any] = []
    picker.dataset_loaded.connect(seen.append)
    first_gate.set()  # the moons load finishes late ...
    qtbot.waitUntil(lambda: len(loader.calls) == 2 and picker._jobs.idle, timeout=LOAD_TIMEOUT)
    assert seen == [] and picker.dataset.name == "iris"  # ... and is ignored


def test_closing_the_picker_while_it_loads_is_safe(qtbot, loader):
    widget = DatasetPicker(datasets=CATALOG, loader=loader)
    loader.gate = threading.Event()
    widget.select("moons")
    threads = [t for t in threading.enumerate() if t.name.startswith("layerforge-job-")]
    assert threads
    widget.deleteLater()
    qtbot.waitUntil(lambda: not shiboken_valid(widget), timeout=5000)
    loader.gate.set()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()


def shiboken_valid(obj: Any) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_a_data_error_is_shown_inline_in_red(qtbot, picker, loader):
    from app.data.errors import DataError

    loader.error = DataError("not a number: 'abc'", path="data/x.csv", line=14, column="age")
    with qtbot.waitSignal(picker.load_failed, timeout=LOAD_TIMEOUT) as failed:
        picker.select("iris")
    assert failed.args[0] == "Could not load 'iris': data/x.csv, line 14, column 'age': not a number: 'abc'"
    assert picker.error == failed.args[0] and picker.error_label.isVisible()
    assert "#D32F2F" in picker.error_label.styleSheet()
    assert picker.dataset is None and not picker.loading
    loader.error = None
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        picker.reload()
    assert picker.error == "" and picker.error_label.isHidden()


def test_an_unexpected_exception_is_a_message_not_a_traceback(qtbot, picker, loader):
    loader.error = ValueError("broken")
    with qtbot.waitSignal(picker.load_failed, timeout=LOAD_TIMEOUT) as failed:
        picker.select("iris")
    assert failed.args[0] == "Could not load 'iris': ValueError: broken"
    assert "Traceback" not in picker.error


def test_your_file_asks_for_a_path_and_cancel_keeps_the_current_set(qtbot, picker, loader, tmp_path):
    with qtbot.waitSignal(picker.dataset_loaded, timeout=LOAD_TIMEOUT):
        picker.select("iris")
    asked: list[str] = []
    picker.ask_path = lambda kind: asked.append(kind)  # the user cancels the dialog
    assert not picker.select("npz")
    assert asked == ["npz"]
    assert picker.ref == {"name": "iris"} and picker.combo.currentText() == "Iris flowers"


def test_csv_file_lists_its_columns_and_stores_a_relative_path(qtbot, picker, loader, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    csv_file = data / "people.csv"
    csv_file.write_text("age,city,income,bought\n41,Oslo,3.5,yes\n33,Rome,2.0,no\n", encoding="utf-8")
    picker.set_ref(None, tmp_path)
    picker.ask_path = lambda kind: csv_file
    with qtbot.waitSignal(picker.ref_changed, timeout=1000) as changed:
        picker.select("csv")
    assert changed.args[0] == {"name": "csv", "path": "data/people.csv"}
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    assert picker.path_row.isVisible() and picker.path_label.text() == "data/people.csv"
    target: QComboBox = picker.option_widgets["target"]  # type: ignore[assignment]
    items = [target.itemText(i) for i in range(target.count())]
    assert items[0] == "(automatic) the last column, 'bought'"
    assert items[2:] == ["age", "city", "income", "bought"]
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        target.setCurrentIndex(target.findData("income"))
    assert changed.args[0] == {"name": "csv", "path": "data/people.csv", "target": "income"}
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    assert loader.calls[-1]["target"] == "income"


def test_image_folder_and_npz_options(qtbot, picker, loader, tmp_path):
    picker.ask_path = lambda kind: tmp_path / "pictures"
    with qtbot.waitSignal(picker.ref_changed, timeout=1000) as changed:
        picker.select("image_folder")
    assert changed.args[0]["name"] == "image_folder" and changed.args[0]["path"].endswith("pictures")
    size: QSpinBox = picker.option_widgets["image_size"]  # type: ignore[assignment]
    assert size.value() == 0 and size.text().startswith("automatic")  # the loader's own choice until set
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        size.setValue(32)
    assert changed.args[0]["image_size"] == 32
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        size.setValue(0)
    assert "image_size" not in changed.args[0]
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    picker.ask_path = lambda kind: tmp_path / "arrays.npz"
    picker.select("npz")
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        picker.option_widgets["autoencoder"].setChecked(True)
    assert changed.args[0]["target"] == "input"
    qtbot.waitUntil(lambda: not picker.loading, timeout=LOAD_TIMEOUT)
    assert set(FILE_KIND_KEYS) == {"csv", "text_csv", "npz", "image_folder"}


def test_read_columns_sniffs_the_delimiter(tmp_path):
    semicolons = tmp_path / "a.csv"
    semicolons.write_text("\ufeffa;b;c\n1;2;3\n", encoding="utf-8")
    assert read_columns(semicolons) == ["a", "b", "c"]


# --- DatasetPicker with the real app.data --------------------------------------------------------

@pytest.fixture
def real_picker(qtbot):
    real_data()
    widget = DatasetPicker()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.loading, timeout=LOAD_TIMEOUT)


def test_real_picker_loads_iris_and_moons(qtbot, real_picker):
    assert {"iris", "moons", "mnist_5k", "co2", "sentiment"} <= set(real_picker.bundled_names())
    with qtbot.waitSignal(real_picker.dataset_loaded, timeout=LOAD_TIMEOUT) as loaded:
        real_picker.select("iris")
    ds = loaded.args[0]
    assert ds.x.shape == (150, 4) and ds.n_classes == 3 and real_picker.error == ""
    assert "Iris" in real_picker.info_label.text()
    with qtbot.waitSignal(real_picker.dataset_loaded, timeout=LOAD_TIMEOUT) as loaded:
        real_picker.select("moons")
    assert loaded.args[0].kind == "points"
    samples = real_picker.option_widgets["samples"]
    with qtbot.waitSignal(real_picker.dataset_loaded, timeout=LOAD_TIMEOUT) as loaded:
        samples.setValue(120)
    assert loaded.args[0].x.shape == (120, 2)


def test_real_picker_shows_a_bad_csv_line_inline(qtbot, real_picker, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,7,8,9\n", encoding="utf-8")
    with qtbot.waitSignal(real_picker.load_failed, timeout=LOAD_TIMEOUT) as failed:
        real_picker.set_ref({"name": "csv", "path": "bad.csv"}, tmp_path)
    message = failed.args[0]
    assert "bad.csv" in message and "line 4" in message
    assert real_picker.error_label.isVisible() and real_picker.dataset is None


# --- DatasetPreview ---------------------------------------------------------------------------------

def make_kinds() -> dict[str, FakeDataset]:
    rng = np.random.default_rng(0)
    return {
        "table": FakeDataset("iris", "Iris", "table", "classification", rng.normal(size=(150, 4)).astype(np.float32),
                             np.repeat(np.arange(3), 50), ["setosa", "versicolor", "virginica"],
                             ["sepal length", "sepal width", "petal length", "petal width"]),
        "image": FakeDataset("shapes", "Shapes", "image", "classification", rng.random((60, 16, 16, 3), np.float32),
                             np.arange(60) % 5, ["circle", "square", "triangle", "cross", "star"]),
        "series": FakeDataset("co2", "CO2", "series", "regression", rng.random((100, 24, 1), np.float32),
                              rng.random(100).astype(np.float32), series=np.cumsum(rng.normal(size=124)), ordered=True),
        "points": FakeDataset("moons", "Moons", "points", "classification", rng.normal(size=(80, 2)),
                              np.arange(80) % 2, ["top", "bottom"]),
        "text": FakeDataset("sentiment", "Sentiment", "text", "classification",
                            np.array([[2, 4, 0, 0], [3, 1, 4, 0]], np.int32), np.array([1, 0]),
                            ["negative", "positive"], vocabulary=["", "[UNK]", "good", "bad", "movie"]),
    }


def test_preview_empty_state(qtbot):
    preview = DatasetPreview()
    qtbot.addWidget(preview)
    assert preview.mode == "empty"
    assert preview.stack.currentWidget() is preview.empty_page
    assert preview.empty_page.text() == "Pick a dataset to see a preview"


def test_preview_renders_each_kind(qtbot):
    preview = DatasetPreview()
    qtbot.addWidget(preview)
    preview.resize(640, 480)
    preview.show()
    kinds = make_kinds()

    preview.show_dataset(kinds["table"])
    assert preview.mode == "table" and preview.table_model.rowCount() == 100
    headers = [preview.table_model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert headers == ["sepal length", "sepal width", "petal length", "petal width", "class"]
    assert preview.table_model.row_texts()[0][-1] == "setosa"
    assert preview.class_counts() == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert "setosa: 50 (33 %)" in preview.counts_label.text()

    preview.show_dataset(kinds["image"])
    assert preview.mode == "images" and len(preview.images.cells) == 32
    assert preview.images.captions()[:5] == ["circle", "square", "triangle", "cross", "star"]
    assert not preview.images.cells[0][0].pixmap().isNull()

    preview.show_dataset(kinds["series"])
    assert preview.mode == "series" and len(preview.plot_items) == 1
    assert len(preview.plot_items[0].xData) == 124 and preview.counts_label.isHidden()

    preview.show_dataset(kinds["points"])
    assert preview.mode == "points" and len(preview.plot_items) == 2  # one scatter per class, for the legend
    assert sum(len(item.data) for item in preview.plot_items) == 80

    preview.show_dataset(kinds["text"])
    assert preview.mode == "text"
    assert preview.table_model.row_texts() == [["good movie", "positive"], ["bad [UNK] movie", "negative"]]

    preview.show_dataset(None)
    assert preview.mode == "empty" and preview.plot_items == []


def test_preview_of_real_bundled_sets(qtbot):
    data = real_data()
    preview = DatasetPreview()
    qtbot.addWidget(preview)
    expected = {"iris": "table", "digits": "images", "sunspots": "series", "moons": "points", "sentiment": "text"}
    for name, mode in expected.items():
        ds = data.load_dataset({"name": name})
        preview.show_dataset(ds)
        assert preview.mode == mode, name
    assert preview.table_model.rowCount() > 0


def test_image_helpers():
    assert to_uint8_image(np.full((2, 2, 1), 1.0)).tolist() == [[255, 255], [255, 255]]
    assert to_uint8_image(np.array([[-1.0, 1.0]])).tolist() == [[0, 255]]
    assert as_images(np.zeros((3, 784))).shape == (3, 28, 28, 1)
    assert as_images(np.zeros((3, 12)), like=(2, 2, 3)).shape == (3, 2, 2, 3)
    assert as_images(np.zeros((3, 7))) is None
    assert class_ids(np.eye(3)[[2, 0]]).tolist() == [2, 0]
    assert class_ids(np.array([[1.0], [0.0]])).tolist() == [1, 0]
    assert class_ids(np.array([0.5, 1.2])) is None
    assert decode_tokens(np.array([0, 2, 9]), ["", "?", "hi"]) == "hi ?"


# --- ResultsView ------------------------------------------------------------------------------------

def test_results_empty_and_failed(qtbot):
    view = ResultsView()
    qtbot.addWidget(view)
    assert view.stack.currentWidget() is view.empty_page and "Train the model" in view.empty_page.text()
    view.show()
    view.show_result(SimpleNamespace(status="failed", reason="failed: model: 'dense' has no input", test_metrics={},
                                     notes=[], prepared=None, test_predictions=None, dataset=None))
    assert view.status_label.text() == "Failed" and "has no input" in view.reason_label.text()
    assert "#D32F2F" in view.reason_label.styleSheet()
    assert view.visible_tabs() == [] and view.metrics_table.isHidden()


def tiny_keras_result() -> SimpleNamespace:
    """A real (tiny) Keras classifier trained for a few steps on separable images, as a result."""
    import keras

    rng = np.random.default_rng(0)
    y = np.arange(48) % 3
    x = rng.random((48, 6, 6, 1), np.float32) * 0.2
    for i, label in enumerate(y):
        x[i, 2 * label:2 * label + 2] += 0.8
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:36], y[:36], epochs=3, batch_size=12, verbose=0)
    x_test, y_test = x[36:], y[36:]
    scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    predictions = model.predict(x_test, verbose=0)
    names = ["top", "middle", "bottom"]
    ds = FakeDataset("stripes", "Stripes", "image", "classification", x, y, names)
    prepared = SimpleNamespace(test=({"image": x_test}, {"label": y_test}), class_names=names, task="classification",
                               notes=[])
    return SimpleNamespace(status="finished", reason="finished 3 epochs", test_metrics=scores, model=model,
                           prepared=prepared, test_predictions=predictions, dataset=ds, epochs_run=3, seconds=1.5,
                           device="CPU", notes=["added nothing"], history={})


def test_results_of_a_real_tiny_classifier(qtbot):
    from sklearn.metrics import confusion_matrix

    result = tiny_keras_result()
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_result(result)
    assert view.status_label.text() == "Finished" and view.reason_label.text() == "finished 3 epochs"
    assert "3 epochs" in view.meta_label.text() and "CPU" in view.meta_label.text()
    assert {name for name, _ in view.metric_rows()} == {"Accuracy", "Loss"}
    assert view.visible_tabs() == ["Confusion matrix", "Sample predictions"]
    y_test = result.prepared.test[1]["label"]
    expected = confusion_matrix(y_test, np.argmax(result.test_predictions, axis=1), labels=[0, 1, 2])
    assert np.array_equal(view.confusion, expected)
    table = view.confusion_table
    assert [table.horizontalHeaderItem(i).text() for i in range(3)] == ["top", "middle", "bottom"]
    assert [table.verticalHeaderItem(i).text() for i in range(3)] == ["top", "middle", "bottom"]
    assert [[int(table.item(i, j).text()) for j in range(3)] for i in range(3)] == expected.tolist()
    captions = view.sample_captions()
    assert len(captions) == 12
    predicted = np.argmax(result.test_predictions, axis=1)
    for caption, true, guess in zip(captions, y_test, predicted, strict=True):
        assert caption.startswith("✓" if true == guess else "✗")
    view.samples_filter.setCurrentIndex(1)
    assert len(view.sample_captions()) == int((predicted != y_test).sum())
    view.show_result(None)
    assert view.stack.currentWidget() is view.empty_page and view.confusion is None


def test_results_confusion_for_binary_sigmoid_output(qtbot):
    y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    p = np.array([[0.1], [0.7], [0.4], [0.6], [0.9]])
    view = ResultsView()
    qtbot.addWidget(view)
    ds = FakeDataset("b", "B", "table", "classification", np.zeros((5, 2)), y[:, 0].astype(int), ["no", "yes"])
    view.show_result(SimpleNamespace(status="finished", reason="ok", test_metrics={"accuracy": 0.6}, notes=[],
                                     dataset=ds, test_predictions=p,
                                     prepared=SimpleNamespace(test=({"x": np.zeros((5, 2))}, {"y": y}),
                                                              class_names=["no", "yes"], task="classification")))
    assert view.confusion.tolist() == [[1, 1], [1, 2]]
    assert view.metric_rows() == [("Accuracy", "60.0 %")]


def test_results_for_a_time_series_regression(qtbot):
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(40, 1)).astype(np.float32)
    ds = FakeDataset("co2", "CO2", "series", "regression", np.zeros((40, 8, 1)), actual[:, 0], ordered=True)
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_result(SimpleNamespace(status="stopped", reason="stopped by you at epoch 2, batch 3",
                                     test_metrics={"loss": 0.1, "mae": 0.2}, notes=[], dataset=ds,
                                     test_predictions=actual + 0.1, epochs_run=2, seconds=75, device="CPU",
                                     prepared=SimpleNamespace(test=({"x": np.zeros((40, 8, 1))}, {"y": actual}),
                                                              class_names=None, task="regression")))
    assert view.status_label.text() == "Stopped" and "1 min 15 s" in view.meta_label.text()
    assert view.visible_tabs() == ["Predicted vs actual", "Over time"]
    assert view.confusion is None
    assert "R² " in view.scatter_caption.text() and "mean absolute error 0.1" in view.scatter_caption.text()
    scatter = view._plot_items[0][1]
    assert len(scatter.data) == 40


def test_results_of_an_image_autoencoder_show_reconstructions(qtbot):
    rng = np.random.default_rng(2)
    y = rng.random((10, 64), np.float32)  # flattened 8×8 grey images, target = input
    ds = FakeDataset("digits", "Digits", "image", "classification", y, np.zeros(10, np.int64), image_shape=(8, 8, 1))
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_result(SimpleNamespace(status="finished", reason="finished 1 epoch", test_metrics={"loss": 0.02},
                                     notes=[], dataset=ds, test_predictions=y * 0.9,
                                     prepared=SimpleNamespace(test=({"x": y}, {"y": y}), class_names=None,
                                                              task="regression")))
    assert view.visible_tabs() == ["Reconstructions", "Predicted vs actual"]
    assert view.sample_captions()[:2] == ["#0 input", "#0 output"] and len(view.sample_captions()) == 16
    assert view.tabs.currentIndex() == view.tabs.indexOf(view.samples.parentWidget())
    view.show_result(tiny_result_without_keras())
    assert view.visible_tabs() == ["Confusion matrix", "Sample predictions"]


def tiny_result_without_keras() -> SimpleNamespace:
    y = np.array([0, 1, 1, 0])
    x = np.zeros((4, 4, 4, 1), np.float32)
    ds = FakeDataset("s", "S", "image", "classification", x, y, ["a", "b"])
    return SimpleNamespace(status="finished", reason="ok", test_metrics={}, notes=[], dataset=ds,
                           test_predictions=np.eye(2)[[0, 1, 0, 0]],
                           prepared=SimpleNamespace(test=({"x": x}, {"y": y}), class_names=["a", "b"],
                                                    task="classification"))


def test_results_without_a_test_split_say_how_to_get_one(qtbot):
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_result(SimpleNamespace(status="finished", reason="finished 2 epochs", test_metrics={}, notes=[],
                                     dataset=None, test_predictions=None,
                                     prepared=SimpleNamespace(test=None, class_names=None, task="classification")))
    assert view.no_test_label.isVisible() and "test split" in view.no_test_label.text()
    assert view.visible_tabs() == []


def test_results_helpers():
    assert predicted_classes(np.array([[0.2, 0.8], [0.9, 0.1]])).tolist() == [1, 0]
    assert predicted_classes(np.array([[-2.0], [3.0]])).tolist() == [0, 1]  # logits cut at 0
    assert confusion_counts(np.array([0, 1, 1]), np.array([0, 0, 1]), 3).tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    assert metric_text("val_accuracy", 0.9234) == "92.3 %" and metric_text("loss", 0.123456) == "0.1235"


def test_results_of_a_real_engine_run(qtbot):
    real_data()
    from app.core.project import load_project
    from app.keras_bridge.training import TrainingSession

    project = load_project(ROOT / "models" / "mlp_tabular.json")
    result = TrainingSession(project, overrides={"epochs": 2, "batch_size": 16}).run()
    assert result.status == "finished", result.reason
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_result(result)
    assert view.visible_tabs() == ["Confusion matrix"]
    assert view.confusion.shape == (3, 3)
    assert int(view.confusion.sum()) == len(result.test_predictions)
    assert {"Loss", "Accuracy"} <= {name for name, _ in view.metric_rows()}


# --- RunHistoryView --------------------------------------------------------------------------------

def make_runs(n: int = 3) -> list[dict[str, Any]]:
    return [{
        "id": f"run{i}", "started": f"2025-05-0{i + 1}T14:0{i}:00+00:00",
        "status": ("finished", "stopped", "failed")[i % 3], "reason": "finished 5 epochs",
        "settings": {"optimizer": "adam" if i % 2 == 0 else "sgd", "learning_rate": 0.001 * (i + 1), "epochs": 5,
                     "loss": "sparse_categorical_crossentropy", "batch_size": 16},
        "dataset": {"name": "iris"} if i else {"name": "csv", "path": "data/people.csv"},
        "fingerprint": f"abc{i}",
        "history": {"loss": [1.0 / (e + 1 + i) for e in range(5 - (i == 1) * 2)],
                    "val_loss": [1.2 / (e + 1) for e in range(5 - (i == 1) * 2)],
                    "accuracy": [0.5 + 0.1 * e for e in range(5 - (i == 1) * 2)]},
        "test_metrics": {"accuracy": 0.9, "loss": 0.25}, "epochs_run": 3 if i == 1 else 5,
    } for i in range(n)]


def test_history_empty_state(qtbot):
    view = RunHistoryView()
    qtbot.addWidget(view)
    assert view.stack.currentWidget() is view.empty_page and "No runs yet" in view.empty_page.text()
    view.set_runs([])
    assert view.checked_ids() == [] and view.curves == {}


def test_history_table_and_overlay(qtbot):
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.runs_checked, timeout=1000) as checked:
        view.set_runs(make_runs())
    assert checked.args[0] == ["run2"]  # the newest run is ticked at first
    table = view.table
    assert table.rowCount() == 3
    newest = [table.item(0, c).text() for c in range(table.columnCount())]
    assert newest[0].startswith("#3") and newest[1:5] == ["iris", "adam", "0.003", "5"]
    assert newest[7] == "accuracy 90.0 % · loss 0.25" and newest[8] == "abc2" and newest[9] == "failed"
    assert table.item(1, 4).text() == "3/5"  # stopped early
    assert table.item(2, 1).text() == "csv: people.csv"
    assert view.metrics() == ["loss", "val_loss", "accuracy"]
    assert list(view.curves) == ["run2"]

    with qtbot.waitSignal(view.runs_checked, timeout=1000) as checked:
        view.set_checked("run0")
    assert checked.args[0] == ["run0", "run2"]
    assert list(view.curves) == ["run0", "run2"]  # one curve per ticked run
    assert view.curves["run0"].yData.tolist() == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    colors = {run: curve.opts["pen"].color().name() for run, curve in view.curves.items()}
    assert len(set(colors.values())) == 2
    legend_names = [label.text for _sample, label in view.legend.items]
    assert legend_names == ["#1 csv: people.csv · adam", "#3 iris · adam"]

    view.set_metric("accuracy")
    assert view.curves["run2"].yData.tolist() == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    view.set_checked("run1")
    assert len(view.curves["run1"].yData) == 3

    with qtbot.waitSignal(view.runs_checked, timeout=1000) as checked:
        table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)  # the user unticks the newest run
    assert checked.args[0] == ["run0", "run1"] and "run2" not in view.curves


def test_history_keeps_ticks_and_ticks_new_runs(qtbot):
    view = RunHistoryView()
    qtbot.addWidget(view)
    runs = make_runs(2)
    view.set_runs(runs)
    view.set_checked("run0")
    assert view.checked_ids() == ["run0", "run1"]
    view.set_checked("run1", False)
    view.set_runs(make_runs(3))  # a new run arrives
    assert view.checked_ids() == ["run0", "run2"]
    view.set_runs(make_runs(3)[1:])  # run0 deleted
    assert view.checked_ids() == ["run2"] and "run0" in view.curves, "hidden, the plot waits to be seen"
    view.show()
    assert list(view.curves) == ["run2"]


def test_history_delete_request(qtbot):
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.show()
    view.set_runs(make_runs())
    assert not view.delete_button.isEnabled()
    view.table.selectRow(1)
    assert view.delete_button.isEnabled()
    with qtbot.waitSignal(view.delete_requested, timeout=1000) as deleted:
        view.delete_button.click()
    assert deleted.args[0] == "run1"
    assert len(view.runs) == 3  # the panel removes it, not the view
    with qtbot.waitSignal(view.delete_requested, timeout=1000) as deleted:
        view.delete_action.trigger()
    assert deleted.args[0] == "run1"


def test_history_marks_the_current_model(qtbot):
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.set_runs(make_runs())
    view.set_current_fingerprint("abc1")
    assert view.table.item(1, 8).text() == "● abc1" and view.table.item(0, 8).text() == "abc2"


def test_metric_order():
    assert metric_order({"val_accuracy", "loss", "accuracy", "learning_rate", "val_loss", "auc"}) == [
        "loss", "val_loss", "accuracy", "val_accuracy", "auc", "learning_rate"]
