"""The window and the model's weights: a real short run, Save and reopen, an edit that drops one
layer's weights (said in the status bar, the Inspector and the Summary), and Undo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

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


def test_initial_weights_are_named(window: MainWindow) -> None:
    assert window.weights_button.text() == "Weights: initial"
    assert "Weights: initial" in window.summary.weights_label.text()
    assert not window.reset_weights_action.isEnabled()


def test_file_open_of_a_keras_file_keeps_its_weights(window: MainWindow, tmp_path: Path) -> None:
    import keras

    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(3, name="out")], name="tiny")
    model.get_layer("out").set_weights([np.full((4, 3), 0.5, "float32"), np.arange(3, dtype="float32")])
    model.save(tmp_path / "tiny.keras")
    assert window.open_path(tmp_path / "tiny.keras")
    doc = window.document
    assert window.weights_button.text() == "Weights: imported from tiny.keras"
    (layer,) = doc.weights.layers.values()
    assert np.array_equal(layer.arrays["vars/1"], np.arange(3, dtype="float32"))
    assert window.messages[-1][0] == "Model imported"


@pytest.mark.slow
def test_trained_weights_are_kept_saved_dropped_by_an_edit_and_restored_by_undo(
        qtbot, window: MainWindow, tmp_path: Path) -> None:
    import keras

    window.show_training()
    panel = window.training
    qtbot.waitUntil(panel.can_train, timeout=30_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        assert panel.start_training()
    result = blocker.args[0]
    assert result.status == "finished", result.reason
    doc = window.document
    qtbot.waitUntil(lambda: bool(doc.weights), timeout=5000)
    assert "trained in run 1" in window.weights_button.text() and "2 epochs" in window.weights_button.text()
    assert "trained in run 1" in window.summary.weights_label.text()
    assert len(doc.weights.layers) == 3

    # Save, then reopen: the weights come back from NAME.weights.h5
    path = tmp_path / "iris.json"
    assert window._save_to(path)
    assert (tmp_path / "iris.weights.h5").is_file()
    assert window.open_path(path)
    doc = window.document
    assert doc.path == path and "trained in run 1" in window.weights_button.text(), window.weights_button.text()
    assert window.messages == []
    model = result.model
    for node_id, layer in doc.weights.layers.items():
        trained = model.get_layer(doc.graph.node(node_id).name).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(layer.arrays.values(), trained, strict=True))

    # an export of the reopened project predicts exactly what the trained model did
    inputs = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    from app.keras_bridge.export import export_keras

    export_keras(doc.project, tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras")
    assert np.array_equal(again.predict(inputs, verbose=0), model.predict(inputs, verbose=0))

    # an edit of the output layer's units drops only its weights, and says so
    species = doc.graph.node_by_name("species").id
    hidden = doc.graph.node_by_name("hidden_1").id
    kept = doc.weights.layers[species]
    doc.set_param(species, "units", 4)
    assert species not in doc.weights.layers and hidden in doc.weights.layers
    assert "Weights dropped for species" in window.statusBar().currentMessage()
    window.inspector.show_node(species)
    assert window.inspector.weights_label.text().startswith("Weights dropped")
    window.inspector.show_node(hidden)
    assert "trained in run 1" in window.inspector.weights_label.text()
    doc.revalidate()
    assert "Dropped by the last edit" in window.summary.weights_label.text()
    assert "2 of 3 layers" in window.weights_button.text()

    doc.undo_stack.undo()
    assert doc.weights.layers[species] is kept
    assert "Weights restored for species" in window.statusBar().currentMessage()
    doc.revalidate()
    assert "Dropped" not in window.summary.weights_label.text()
    doc.undo_stack.redo()
    assert species not in doc.weights.layers
    doc.undo_stack.undo()

    # Reset to initial weights is one undo step too
    assert window.reset_weights_action.isEnabled()
    window.reset_weights_action.trigger()
    assert not doc.weights and window.weights_button.text() == "Weights: initial"
    doc.undo_stack.undo()
    assert doc.weights.layers[species] is kept
