"""File › Load Weights…: one undo step, the report in a dialog, the weights line, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow
from app.gui.weights_dialog import WeightsReportDialog
from tests.gui.window_helpers import shown_window

EXAMPLE = examples_dir() / "mlp_tabular.json"


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    return shown_window(qtbot, monkeypatch, tmp_path, open_copy(EXAMPLE))


def weights_file(window: MainWindow, path: Path, break_last: bool = False) -> dict[str, list[np.ndarray]]:
    """The example's own model with distinctive weights, saved with Keras' save_weights; with
    ``break_last`` the last layer is one unit wider (its shapes do not fit)."""
    import keras

    from app.keras_bridge.compile import compile_graph

    graph = window.document.graph.copy()
    last = graph.output_nodes()[0]
    if break_last:
        graph.set_param(last.id, "units", int(last.config["units"]) + 1)
    model = compile_graph(graph, "source")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.save_weights(path)
    keras.backend.clear_session()
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def test_load_weights_is_one_undo_step_with_a_report(qtbot, window: MainWindow, tmp_path: Path) -> None:
    saved = weights_file(window, tmp_path / "mine.weights.h5", break_last=True)
    doc = window.document
    last = doc.graph.output_nodes()[0]
    steps = doc.undo_stack.count()
    assert window.load_weights(tmp_path / "mine.weights.h5")
    dialog = window.findChild(WeightsReportDialog)
    assert dialog is not None and dialog.isVisible()
    report = dialog.report.toPlainText()
    assert f"{len(saved) - 1} layer(s) matched" in report
    assert f"{last.name}: shape mismatch" in report and "here but" in report and "in the file" in report
    assert "loaded from mine.weights.h5" in window.weights_button.text()
    assert doc.undo_stack.count() == steps + 1 and doc.dirty
    by_name = {doc.graph.node(nid).name: lw for nid, lw in doc.weights.layers.items()}
    assert last.name not in by_name and len(by_name) == len(saved) - 1
    for name, arrays in by_name.items():
        for kept, theirs in zip(arrays.arrays.values(), saved[name], strict=True):
            np.testing.assert_array_equal(kept, theirs)
    dialog.accept()
    qtbot.waitUntil(lambda: window.findChild(WeightsReportDialog) is None or not dialog.isVisible())
    doc.undo_stack.undo()
    assert not doc.weights and window.weights_button.text() == "Weights: initial"
    doc.undo_stack.redo()
    assert "loaded from mine.weights.h5" in window.weights_button.text()


def test_a_file_that_is_not_weights_gets_a_message(window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.weights.h5").write_bytes(b"not hdf5")
    steps = window.document.undo_stack.count()
    assert not window.load_weights(tmp_path / "notes.txt")
    assert not window.load_weights(tmp_path / "broken.weights.h5")
    assert [m[0] for m in window.messages] == ["Weights not loaded", "Weights not loaded"]
    assert "not a weights file" in window.messages[0][2]
    assert "broken.weights.h5" in window.messages[1][2] and "Traceback" not in window.messages[1][2]
    assert window.document.undo_stack.count() == steps
    assert window.findChild(WeightsReportDialog) is None


def test_the_weights_line_names_a_backbones_file(qtbot) -> None:
    from app.core.graph import Graph
    from app.core.project import Project
    from app.gui.document import Document

    graph = Graph()
    image = graph.add_node("InputLayer", name="image", config={"batch_shape": [None, 32, 32, 1]})
    backbone = graph.add_node("MobileNetV2", name="backbone",
                              config={"alpha": 0.35, "pooling": "avg", "weights_file": "bb.weights.h5"})
    graph.connect(image.id, backbone.id)
    doc = Document(Project(graph=graph, name="t"))
    assert doc.weights_text() == "Weights: initial; backbone 'backbone' from bb.weights.h5"
    doc.set_param(backbone.id, "weights_file", "")
    qtbot.waitUntil(lambda: doc.weights_text() == "Weights: initial")
