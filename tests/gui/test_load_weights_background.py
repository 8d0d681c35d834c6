"""File › Load Weights… in the background: the window keeps working while the file loads, the
answer is one undo step, and an edit or a run that starts meanwhile makes it be refused."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar

from app.gui.document import Document
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow
from app.gui.weights_dialog import LoadAgainBox, WeightsLoad, WeightsReportDialog
from tests.gui.window_helpers import shown_window

EXAMPLE = examples_dir() / "mlp_tabular.json"
LONG = 60_000
"""ms to wait for a load: the first one in a process imports TensorFlow."""


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    return shown_window(qtbot, monkeypatch, tmp_path, open_copy(EXAMPLE))


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """(entered, release): the load's heavy part signals ``entered`` and then waits for ``release``,
    which only the GUI thread sets. A load run on the GUI thread could never be released, so a test
    that gets its answer proves the window went on processing events while it loaded."""
    entered, release = threading.Event(), threading.Event()
    original: Callable[..., Any] = Document.compute_loaded_weights

    def gated(project: Any, path: Any) -> Any:
        entered.set()
        if not release.wait(30):
            raise RuntimeError("the GUI thread never let the load go on")
        return original(project, path)

    monkeypatch.setattr(Document, "compute_loaded_weights", staticmethod(gated))
    yield entered, release
    release.set()


def weights_file(window: MainWindow, path: Path) -> dict[str, list[np.ndarray]]:
    """The example's own model with distinctive weights, saved with Keras' ``save_weights``."""
    import keras

    from app.keras_bridge.compile import compile_graph

    model = compile_graph(window.document.graph.copy(), "source")
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.save_weights(path)
    keras.backend.clear_session()
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def busy(window: MainWindow) -> bool:
    """Whether the window shows a load running: the action off and the busy bar in the status bar."""
    return not window.load_weights_action.isEnabled() and window.statusBar().findChild(QProgressBar) is not None


def release_from_gui(qtbot, gate: tuple[threading.Event, threading.Event]) -> None:
    entered, release = gate
    qtbot.waitUntil(entered.is_set, timeout=LONG)
    QTimer.singleShot(0, release.set)  # runs only if the GUI thread processes events


def test_load_runs_in_the_background_and_is_one_undo_step(qtbot, window: MainWindow, tmp_path: Path,
                                                           gate: tuple[threading.Event, threading.Event]) -> None:
    saved = weights_file(window, tmp_path / "mine.weights.h5")
    doc = window.document
    steps = doc.undo_stack.count()
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert isinstance(load, WeightsLoad) and not load.done
    assert busy(window)
    assert window.statusBar().currentMessage() == "Loading weights from mine.weights.h5…"
    assert window.start_loading_weights(tmp_path / "mine.weights.h5") is None  # one load at a time
    assert doc.undo_stack.count() == steps and not doc.weights
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        release_from_gui(qtbot, gate)
    assert blocker.args == [True]
    assert not busy(window) and window.load_weights_action.isEnabled()
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Load weights from mine.weights.h5"
    by_name = {doc.graph.node(nid).name: lw for nid, lw in doc.weights.layers.items()}
    assert set(by_name) == set(saved)
    for name, arrays in by_name.items():
        for kept, theirs in zip(arrays.arrays.values(), saved[name], strict=True):
            np.testing.assert_array_equal(kept, theirs)
    dialog = window.findChild(WeightsReportDialog)
    assert dialog is not None and dialog.isVisible()
    assert f"{len(saved)} layer(s) took their weights from mine.weights.h5" in dialog.summary.text()
    dialog.accept()
    doc.undo_stack.undo()
    assert not doc.weights and window.weights_button.text() == "Weights: initial"
    doc.undo_stack.redo()
    assert "loaded from mine.weights.h5" in window.weights_button.text()


def test_an_edit_during_the_load_refuses_it_and_offers_to_load_again(
        qtbot, window: MainWindow, tmp_path: Path, gate: tuple[threading.Event, threading.Event]) -> None:
    saved = weights_file(window, tmp_path / "mine.weights.h5")
    doc = window.document
    hidden = next(n for n in doc.graph.nodes() if n.class_name == "Dense")
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert load is not None
    entered, _release = gate
    qtbot.waitUntil(entered.is_set, timeout=LONG)
    doc.set_param(hidden.id, "activation", "tanh")  # the window takes edits while the file loads
    steps = doc.undo_stack.count()
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        release_from_gui(qtbot, gate)
    assert blocker.args == [False]
    assert not doc.weights and doc.undo_stack.count() == steps
    assert window.findChild(WeightsReportDialog) is None
    box = window.findChild(LoadAgainBox)
    assert box is not None and box.isVisible()
    assert box.text() == "No weights were loaded from “mine.weights.h5”."
    assert "the model changed while the weights from mine.weights.h5 were loading" in box.informativeText()
    assert window.load_weights_action.isEnabled()
    box.load_again_button.click()  # loads the file again into the model as it is now
    assert busy(window)
    qtbot.waitUntil(lambda: bool(doc.weights) and not busy(window), timeout=LONG)
    assert doc.undo_stack.count() == steps + 1 and len(doc.weights.layers) == len(saved)
    assert doc.graph.node(hidden.id).config["activation"] == "tanh"
    report = window.findChild(WeightsReportDialog)
    assert report is not None
    report.accept()


def test_moving_a_card_during_the_load_is_no_change(qtbot, window: MainWindow, tmp_path: Path,
                                                    gate: tuple[threading.Event, threading.Event]) -> None:
    weights_file(window, tmp_path / "mine.weights.h5")
    doc = window.document
    node = doc.graph.nodes()[0]
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert load is not None
    qtbot.waitUntil(gate[0].is_set, timeout=LONG)
    doc.move_nodes({node.id: (node.position[0] + 80.0, node.position[1])})
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        release_from_gui(qtbot, gate)
    assert blocker.args == [True] and doc.weights
    window.findChild(WeightsReportDialog).accept()


def test_a_run_that_starts_during_the_load_refuses_it(qtbot, window: MainWindow, tmp_path: Path,
                                                      gate: tuple[threading.Event, threading.Event]) -> None:
    weights_file(window, tmp_path / "mine.weights.h5")
    doc = window.document
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert load is not None
    qtbot.waitUntil(gate[0].is_set, timeout=LONG)
    doc.set_locked(True)  # what starting a run does
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        release_from_gui(qtbot, gate)
    doc.set_locked(False)
    assert blocker.args == [False] and not doc.weights
    assert window.messages == [("Weights not loaded", "No weights were loaded from “mine.weights.h5”.",
                                "the weights are locked while training runs")]


def test_a_broken_file_gets_the_message_not_a_traceback(qtbot, window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "broken.weights.h5").write_bytes(b"not hdf5")
    steps = window.document.undo_stack.count()
    load = window.start_loading_weights(tmp_path / "broken.weights.h5")
    assert load is not None and busy(window)
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        pass
    assert blocker.args == [False]
    assert not busy(window) and window.statusBar().currentMessage() == ""
    [(title, text, details)] = window.messages
    assert title == "Weights not loaded" and text == "No weights were loaded from “broken.weights.h5”."
    assert "broken.weights.h5" in details and "Traceback" not in details
    assert window.document.undo_stack.count() == steps
    assert window.findChild(WeightsReportDialog) is None


def test_an_answer_after_the_window_closed_is_dropped(qtbot, window: MainWindow, tmp_path: Path,
                                                      gate: tuple[threading.Event, threading.Event]) -> None:
    weights_file(window, tmp_path / "mine.weights.h5")
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert load is not None
    qtbot.waitUntil(gate[0].is_set, timeout=LONG)
    window.close()
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        gate[1].set()
    assert blocker.args == [False] and not window.document.weights and not window.messages
    assert window.findChild(WeightsReportDialog) is None


def test_opening_another_project_during_the_load_drops_its_answer(
        qtbot, window: MainWindow, tmp_path: Path, gate: tuple[threading.Event, threading.Event]) -> None:
    weights_file(window, tmp_path / "mine.weights.h5")
    load = window.start_loading_weights(tmp_path / "mine.weights.h5")
    assert load is not None
    qtbot.waitUntil(gate[0].is_set, timeout=LONG)
    window.set_document(open_copy(EXAMPLE))
    with qtbot.waitSignal(load.finished, timeout=LONG) as blocker:
        release_from_gui(qtbot, gate)
    assert blocker.args == [False] and not window.document.weights and not window.messages
    assert "another project is open now" in window.statusBar().currentMessage()
