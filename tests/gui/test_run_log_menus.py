"""File › Export › SavedModel / TFLite / ONNX and File › Open Run Log… as a user drives them.

The file dialogs and message boxes are replaced (nothing blocks); what is written is checked by
running it, and a run log is followed through the live plots into the run history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

EXAMPLE = examples_dir() / "mlp_tabular.json"


class Prompts:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.save_path: Path | None = None
        self.open_path: Path | None = None


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("LAYERFORGE_HOME", str(folder))
    return folder


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    state = Prompts()
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="":
                        state.messages.append((title, text, details)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda *args, **kwargs: (str(state.save_path) if state.save_path else "", "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(
        lambda *args, **kwargs: (str(state.open_path) if state.open_path else "", "")))
    return state


@pytest.fixture
def window(qtbot: Any, prompts: Prompts) -> MainWindow:
    win = MainWindow(open_copy(EXAMPLE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_export_menu_offers_the_deployable_formats(window: MainWindow) -> None:
    labels = [action.text() for action in window.export_menu.actions()]
    assert {"&SavedModel (folder)…", "&TFLite (.tflite)…", "&ONNX (.onnx)…"} <= set(labels)


def test_export_onnx_writes_a_verified_model_and_says_how_close_it_is(window: MainWindow, prompts: Prompts,
                                                                     tmp_path: Path) -> None:
    import onnxruntime

    from app.core.weights import WeightsSource
    from app.keras_bridge.export import model_with_weights
    from app.keras_bridge.weights_io import extract_weights

    project = window.document.project
    model, _ = model_with_weights(project)
    rng = np.random.default_rng(2)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(w.dtype) for w in model.get_weights()])
    project.weights = extract_weights(model, project.graph, WeightsSource(kind="file", file="mine.weights.h5"))
    prompts.save_path = tmp_path / "iris"  # the suffix is added
    window.export_deploy_actions["onnx"].trigger()
    assert prompts.messages == []
    message = window.statusBar().currentMessage()
    assert "max abs difference from Keras" in message and "mine.weights.h5" in message, message
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    session = onnxruntime.InferenceSession(os.fspath(tmp_path / "iris.onnx"), providers=["CPUExecutionProvider"])
    assert np.allclose(session.run(None, {session.get_inputs()[0].name: x})[0], np.asarray(model(x)), atol=1e-5)


def test_export_saved_model_into_a_foreign_folder_explains_and_touches_nothing(window: MainWindow, prompts: Prompts,
                                                                              tmp_path: Path) -> None:
    mine = tmp_path / "holiday"
    mine.mkdir()
    (mine / "note.txt").write_text("keep me")
    prompts.save_path = mine
    window.export_deploy_actions["saved_model"].trigger()
    (title, text, details), = prompts.messages
    assert title == "Export failed" and "holds no SavedModel" in details and "Traceback" not in details
    assert [p.name for p in mine.iterdir()] == ["note.txt"]
