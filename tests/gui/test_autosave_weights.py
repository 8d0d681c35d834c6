"""Autosave keeps the model's weights: written beside the autosaved project only when they changed,
and restored by recovery after a crash."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.project import load_project
from app.core.weights import ModelWeights, WeightsSource
from app.gui import app as gui_app
from app.gui import autosave
from app.gui.autosave import Autosaver, find_orphans
from app.gui.document import Document
from app.gui.gallery import examples_dir
from app.gui.main_window import MainWindow

EXAMPLE = examples_dir() / "mlp_tabular.json"


pytestmark = pytest.mark.usefixtures("home")  # LAYERFORGE_HOME in a temporary folder (tests/gui/conftest.py)


def trained(doc: Document, seed: int = 1) -> ModelWeights:
    """Distinctive weights for every layer of ``doc``'s model, as a finished run would leave."""
    import keras

    from app.keras_bridge.compile import compile_graph
    from app.keras_bridge.weights_io import extract_weights

    model = compile_graph(doc.graph.copy(), "net")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    weights = extract_weights(model, doc.graph, WeightsSource(kind="trained", run=1, epochs=3))
    keras.backend.clear_session()
    return weights


def token(path: Path) -> str:
    with h5py.File(path, "r") as h5:
        value = h5.attrs["layerforge_token"]
    return value.decode() if isinstance(value, bytes) else str(value)


def test_weights_are_autosaved_only_when_they_changed(qtbot) -> None:
    doc = Document(load_project(EXAMPLE))
    saver = Autosaver(doc, interval_ms=600_000, delay_ms=10)
    weights = trained(doc)
    with qtbot.waitSignal(saver.saved, timeout=5000):
        doc.adopt_weights(weights, "Weights: trained")
    saver.wait()
    assert saver.weights_file.is_file()
    first = token(saver.weights_file)
    first_inode = saver.weights_file.stat().st_ino

    hidden = doc.graph.node_by_name("hidden_1")
    with qtbot.waitSignal(saver.saved, timeout=5000):
        doc.rename(hidden.id, "renamed")  # keeps every layer's weights: the file is left as it is
    saver.wait()
    assert saver.weights_file.stat().st_ino == first_inode and token(saver.weights_file) == first
    assert load_project(saver.project_file).weights_meta["token"] == first

    with qtbot.waitSignal(saver.saved, timeout=5000):
        doc.set_param(hidden.id, "units", int(hidden.config["units"]) + 3)  # drops two layers' weights
    saver.wait()
    assert token(saver.weights_file) != first
    assert load_project(saver.project_file).weights_meta["token"] == token(saver.weights_file)
    assert set(load_project(saver.project_file).weights_meta["layers"]) == set(doc.weights.layers)

    with qtbot.waitSignal(saver.saved, timeout=5000):
        assert doc.reset_weights()
    saver.wait()
    assert not saver.weights_file.exists() and load_project(saver.project_file).weights_meta is None
    saver.shutdown()


def test_recovery_restores_the_weights(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    project = load_project(EXAMPLE)
    project.path = None
    doc = Document(project)
    weights = trained(doc, seed=4)
    doc.adopt_weights(weights, "")
    saver = Autosaver(doc)
    assert saver.write()
    saver.timer.stop()
    saver._lock.unlock()  # as the OS does for a crashed process
    assert saver.weights_file.is_file()

    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(autosave, "ask_recovery", lambda _parent, _orphans: "recover")
    (window,) = gui_app.open_windows(None)
    try:  # closed below (it deletes itself on close, so qtbot must not close it again)
        recovered = window.document
        assert recovered.dirty and recovered.path is None
        assert set(recovered.weights.layers) == set(weights.layers)
        for node_id, layer in weights.layers.items():
            for key, array in layer.arrays.items():
                np.testing.assert_array_equal(recovered.weights.layers[node_id].arrays[key], array)
        assert recovered.weights.describe() == weights.describe()
        assert "trained in run 1" in window.weights_button.text()
        assert not saver.weights_file.exists()  # the crashed slot is gone; the work lives in the new window's
        assert window.autosaver.write() and window.autosaver.weights_file.is_file()
    finally:
        window.close()
    assert find_orphans() == []
