"""Issue 12, what a new user stumbled on in the editor, driven through the real widgets:
the Input's shape (not batch_shape), placing layers from the palette, fixes that make room,
activations on the cards and for new layers, and which weights File › Export › Keras Model writes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.core.layout import ROW_GAP, overlaps
from app.gui.document import Document
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow
from app.gui.panels.inspector import InspectorPanel
from app.gui.panels.param_editors import BatchSizeEditor, SampleShapeEditor
from app.gui.panels.problems import ProblemsPanel

EXAMPLE = examples_dir() / "mlp_tabular.json"
TRAIN_TIMEOUT_MS = 90_000


pytestmark = pytest.mark.usefixtures("home")  # LAYERFORGE_HOME in a temporary folder (tests/gui/conftest.py)


@pytest.fixture
def window(qtbot, home: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="":
                        messages.append((title, text)))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    doc = open_copy(EXAMPLE)
    doc.project.training.update({"epochs": 2, "batch_size": 16})
    win = MainWindow(doc, autosave_directory=home / "autosave")
    win.messages = messages
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.training_running:
        win.training.stop_training()
        qtbot.waitUntil(lambda: not win.training_running, timeout=TRAIN_TIMEOUT_MS)


def _type(qtbot, line_edit, text: str) -> None:
    """Select all, type ``text`` and press Enter, as a user would."""
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


def _double_click_palette(qtbot, window: MainWindow, class_name: str) -> None:
    tree = window.palette_panel.tree
    item = window.palette_panel.item_for(class_name)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    with qtbot.waitSignal(window.palette_panel.add_requested, timeout=2000):
        # QTest's double click in Qt 6 sends no first press, which item views need: click first.
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.fixture
def doc(qtbot) -> Document:
    """A document that outlives the panels of a test (as the window's does)."""
    return Document()


def _no_overlaps(doc: Document) -> bool:
    return all(not overlaps(doc.graph, n.position, ignore=[n.id]) for n in doc.graph.nodes())


# --- 1. the Input asks for the shape of one sample ---------------------------------------------------------

def test_input_inspector_offers_shape_and_an_advanced_batch_size(qtbot, doc: Document) -> None:
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 784]}, name="image")
    conv = doc.add_node("Conv2D", (0, ROW_GAP), name="conv")
    doc.connect_nodes(image, conv)
    doc.revalidate()
    panel = InspectorPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_node(image)
    shape, batch = panel.editor("shape"), panel.editor("batch_size")
    assert isinstance(shape, SampleShapeEditor) and isinstance(batch, BatchSizeEditor)
    assert panel.editor("batch_shape") is None  # Keras' name stays in the file, not in the form
    assert shape.line.text() == "784" and shape.isVisibleTo(panel)
    assert batch.none_box.isChecked() and not batch.isVisibleTo(panel)  # advanced, closed
    assert panel.form.labelForField(shape).text() == "shape"

    steps = doc.undo_stack.count()
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        _type(qtbot, shape.line, "28, 28, 1")  # what the student typed: one grey image, not a batch of 28
    assert doc.graph.node(image).config["batch_shape"] == [None, 28, 28, 1]
    assert doc.undo_stack.count() == steps + 1
    assert doc.analysis.nodes[conv].output_shapes == [(None, 26, 26, 32)] and doc.analysis.valid

    _type(qtbot, shape.line, "28, 0")
    assert "'shape' dimensions must be positive" in shape.error and shape.line.text() == "28, 28, 1"
    shape.line.setFocus()
    shape.line.clear()
    qtbot.keyClick(shape.line, Qt.Key.Key_Return)
    assert "'shape' needs at least one size" in shape.error

    panel.advanced_button.click()
    assert batch.isVisibleTo(panel)
    assert batch.spin.text().strip() == ""  # no number shown while Any is ticked
    batch.none_box.click()  # a fixed batch size, for the rare model that needs one
    assert doc.graph.node(image).config["batch_shape"] == [32, 28, 28, 1] and batch.spin.isEnabled()
    batch.spin.setValue(16)
    batch.spin.editingFinished.emit()
    assert doc.graph.node(image).config["batch_shape"] == [16, 28, 28, 1]
    doc.revalidate()
    assert shape.line.text() == "28, 28, 1"  # the shape is untouched by the batch size
    batch.none_box.click()
    assert doc.graph.node(image).config["batch_shape"] == [None, 28, 28, 1]


def test_a_batch_size_taken_for_part_of_the_shape_is_explained_and_fixed(qtbot, doc: Document) -> None:
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [28, 28, 1]}, name="image")  # an old file
    conv = doc.add_node("Conv2D", (0, ROW_GAP), name="conv")
    doc.connect_nodes(image, conv)
    doc.revalidate()
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    (problem,) = panel.problems
    assert problem.node == conv and "seems to have the batch size in its shape" in problem.message
    assert "(28, 28, 1) the shape of one sample" in problem.fix.description
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        qtbot.mouseClick(panel.fix_buttons[0], Qt.MouseButton.LeftButton)
    assert doc.graph.node(image).config["batch_shape"] == [None, 28, 28, 1]
    assert doc.analysis.valid and panel.problems == []


# --- 3. placing layers from the palette --------------------------------------------------------------------

def test_palette_double_click_places_below_the_selection_and_connects_as_one_step(qtbot, window: MainWindow
                                                                                  ) -> None:
    doc = window.document
    hidden = doc.graph.node_by_name("hidden_1")
    window.view.select_nodes([hidden.id])
    steps, count = doc.undo_stack.count(), len(doc.graph)
    fed_before = doc.graph.out_edges(hidden.id)
    _double_click_palette(qtbot, window, "Dropout")
    assert len(doc.graph) == count + 1 and doc.undo_stack.count() == steps + 1
    (new,) = window.view.selected_node_ids()
    node = doc.graph.node(new)
    assert node.class_name == "Dropout" and node.position[1] == hidden.position[1] + ROW_GAP
    assert [e.source for e in doc.graph.in_edges(new)] == [hidden.id]
    assert _no_overlaps(doc)
    doc.revalidate()
    assert doc.analysis.nodes[new].output_shapes == doc.analysis.nodes[hidden.id].output_shapes
    window.undo_action.trigger()  # one step takes back the layer and its connection
    assert new not in doc.graph and len(doc.graph) == count and doc.graph.out_edges(hidden.id) == fed_before


def test_palette_double_click_does_not_wire_what_the_shapes_refuse(qtbot, window: MainWindow) -> None:
    doc = window.document
    measurements = doc.graph.node_by_name("measurements")
    window.view.select_nodes([measurements.id])
    _double_click_palette(qtbot, window, "Conv2D")  # a flat (None, 4) input cannot feed a Conv2D
    (new,) = window.view.selected_node_ids()
    assert not doc.graph.in_edges(new) and _no_overlaps(doc)


def test_palette_double_click_without_selection_fills_the_view_centre_without_stacking(qtbot, window: MainWindow
                                                                                       ) -> None:
    doc = window.document
    window.view.select_nodes([])
    added = []
    for _ in range(3):
        _double_click_palette(qtbot, window, "Dense")
        added.append(window.view.selected_node_ids()[0])
    assert len(set(added)) == 3 and _no_overlaps(doc)
    assert all(not doc.graph.in_edges(n) for n in added)
    view = window.view
    centre = view.graph_scene().to_document(view.mapToScene(view.viewport().rect().center()))
    first = doc.graph.node(added[0]).position
    assert abs(first[0] - centre[0]) < 500 and abs(first[1] - centre[1]) < 500


# --- 3. a fix that inserts a layer makes room and reuses a placed one ----------------------------------------

def _cnn_without_flatten(doc: Document) -> tuple[str, str, str]:
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 8, 8, 1]}, name="image")
    conv = doc.add_node("Conv2D", (0, ROW_GAP), {"filters": 2}, name="conv")
    head = doc.add_node("Dense", (0, 2 * ROW_GAP), {"units": 3, "activation": "softmax"}, name="head")
    doc.connect_nodes(image, conv)
    doc.connect_nodes(conv, head)
    doc.revalidate()
    return image, conv, head


def test_problems_fix_moves_the_layers_below_and_reuses_a_placed_flatten(qtbot, doc: Document) -> None:
    image, conv, head = _cnn_without_flatten(doc)
    spare = doc.add_node("Flatten", (300, 2 * ROW_GAP), name="my_flatten")  # placed, never wired
    doc.revalidate()
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    row = next(i for i, p in enumerate(panel.problems) if p.node == head and p.fix is not None)
    assert panel.problems[row].fix.action["class_name"] == "Flatten"
    steps, count = doc.undo_stack.count(), len(doc.graph)
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        qtbot.mouseClick(panel.fix_buttons[row], Qt.MouseButton.LeftButton)
    assert len(doc.graph) == count and doc.undo_stack.count() == steps + 1  # reused, one step
    assert [e.source for e in doc.graph.in_edges(spare)] == [conv]
    assert [e.target for e in doc.graph.out_edges(spare)] == [head]
    assert doc.graph.node(spare).position == (0.0, 2 * ROW_GAP)
    assert doc.graph.node(head).position == (0.0, 3 * ROW_GAP)  # moved down to make room
    assert _no_overlaps(doc)
    assert doc.analysis.nodes[head].output_shapes == [(None, 3)]


def test_problems_fix_without_a_spare_layer_adds_one_and_makes_room(qtbot, doc: Document) -> None:
    image, conv, head = _cnn_without_flatten(doc)
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    row = next(i for i, p in enumerate(panel.problems) if p.node == head and p.fix is not None)
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        assert panel.apply_fix(row)
    (flat,) = [n for n in doc.graph.nodes() if n.class_name == "Flatten"]
    assert flat.position == (0.0, 2 * ROW_GAP) and doc.graph.node(head).position == (0.0, 3 * ROW_GAP)
    assert _no_overlaps(doc)


# --- 6. activations: relu for new Dense/Conv2D, and shown on every card -------------------------------------

def test_new_dense_and_conv_get_relu_and_cards_show_the_activation(qtbot, window: MainWindow) -> None:
    doc = window.document
    window.view.select_nodes([])
    _double_click_palette(qtbot, window, "Conv2D")
    (conv,) = window.view.selected_node_ids()
    assert doc.graph.node(conv).config["activation"] == "relu"
    item = window.view.scene_node_item(conv)
    assert item._title_text == "Conv2D · relu" and "Conv2D · relu" in item.toolTip()
    dense = doc.add_node("Dense", (900, 900))  # a drop on the canvas goes through the same start
    assert doc.graph.node(dense).config["activation"] == "relu"
    head = window.view.scene_node_item(doc.graph.node_by_name("species").id)
    assert head._title_text.endswith("· softmax")
    dropout = window.view.scene_node_item(doc.graph.node_by_name("dropout").id)
    assert "·" not in dropout._title_text  # no activation setting, nothing shown
    doc.set_param(conv, "activation", "linear")  # Keras' default is shown too: that was the surprise
    assert item._title_text == "Conv2D · linear"


def test_a_relu_classifier_output_is_flagged_once_a_dataset_is_chosen_and_fixed_to_softmax(qtbot, doc: Document
                                                                                             ) -> None:
    pixels = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 4]}, name="pixels")
    out = doc.add_node("Dense", (0, ROW_GAP), {"units": 3}, name="out")  # from the palette: relu
    doc.connect_nodes(pixels, out)
    doc.revalidate()
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.problems == []  # still building: no dataset yet, no nagging
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.set_dataset({"name": "iris"})  # a classification loss is the default
    (problem,) = panel.problems
    assert problem.severity == "warning" and "uses relu" in problem.message
    assert problem.fix.description == "Set out's activation to softmax"
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        qtbot.mouseClick(panel.fix_buttons[0], Qt.MouseButton.LeftButton)
    assert doc.graph.node(out).config["activation"] == "softmax" and panel.problems == []
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.set_training({"loss": "binary_crossentropy"})
    doc.set_param(out, "units", 1)
    doc.revalidate()
    assert [p.fix.action["value"] for p in panel.problems] == ["sigmoid"]


# --- 2. File › Export › Keras Model after training ---------------------------------------------------------

def _export(window: MainWindow, target: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    assert window.export_keras_action.isEnabled()
    window.export_keras_action.trigger()
    assert zipfile.is_zipfile(target)
    return window.statusBar().currentMessage()


def test_export_before_training_says_untrained(qtbot, window: MainWindow, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import keras  # noqa: F401  (a hard dependency: fail, never skip)
    message = _export(window, tmp_path / "fresh.keras", monkeypatch)
    assert "initial (untrained) weights" in message and window.messages == []


@pytest.mark.slow
def test_export_after_training_writes_the_trained_weights_and_says_so(qtbot, window: MainWindow, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    window.show_training()
    panel = window.training
    qtbot.waitUntil(panel.can_train, timeout=30_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        assert panel.start_training()
    result = blocker.args[0]
    assert result.status == "finished", result.reason

    target = tmp_path / "trained.keras"
    message = _export(window, target, monkeypatch)
    assert "trained in run 1" in message and "2 epochs" in message and "untrained" not in message
    loaded = keras.models.load_model(target, safe_mode=True)
    for mine, trained in zip(loaded.get_weights(), result.model.get_weights(), strict=True):
        assert np.array_equal(mine, trained)
    biases = [layer.get_weights()[1] for layer in loaded.layers if getattr(layer, "bias", None) is not None]
    assert biases and any(np.any(b != 0) for b in biases)  # trained, not the zero initial biases

    doc = window.document
    doc.move_nodes({doc.graph.node_by_name("dropout").id: (400.0, 400.0)})  # layout only: still the trained model
    assert "trained in run 1" in _export(window, tmp_path / "moved.keras", monkeypatch)

    doc.set_param(doc.graph.node_by_name("hidden_1").id, "units", 5)  # its weights and the next layer's no longer fit
    changed = tmp_path / "changed.keras"
    message = _export(window, changed, monkeypatch)
    assert "trained in run 1" in message and "(hidden_1, hidden_2: initial weights)" in message, message
    reloaded = keras.models.load_model(changed, safe_mode=True)
    assert reloaded.get_layer("hidden_1").units == 5
    assert np.array_equal(reloaded.get_layer("species").get_weights()[0],
                          result.model.get_layer("species").get_weights()[0]), "what still fits is kept"
