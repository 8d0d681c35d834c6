"""File › Export › SavedModel / TFLite / ONNX and File › Open Run Log… as a user drives them.

The file dialogs and message boxes are replaced (nothing blocks); what is written is checked by
running it, and a run log is followed through the live plots into the run history."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

EXAMPLE = examples_dir() / "mlp_tabular.json"


class Prompts:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.save_path: Path | None = None
        self.open_path: Path | None = None


pytestmark = pytest.mark.usefixtures("home")  # LAYERFORGE_HOME in a temporary folder (tests/gui/conftest.py)


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    state = Prompts()
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
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


def record_lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def run_records(epochs: int = 2, batches: int = 3) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [{"event": "start", "model": "MLP tabular classifier", "dataset": "iris",
                                      "epochs": epochs, "batches": batches, "batch_size": 16,
                                      "device": "2 processes (JAX DataParallel)", "time": 0.0}]
    for epoch in range(1, epochs + 1):
        for batch in range(1, batches + 1):
            records.append({"event": "batch", "epoch": epoch, "epochs": epochs, "batch": batch, "batches": batches,
                            "logs": {"loss": 1.0 / (epoch + batch), "accuracy": 0.5}, "time": 1.0})
        records.append({"event": "epoch", "epoch": epoch, "epochs": epochs, "time": 2.0,
                        "logs": {"loss": 0.9 / epoch, "accuracy": 0.5 + epoch / 10, "val_loss": 1.1 / epoch,
                                 "val_accuracy": 0.4 + epoch / 10, "learning_rate": 0.01}})
    records.append({"event": "end", "status": "finished", "reason": "finished 2 epochs", "epochs_run": epochs,
                    "seconds": 12.5, "test_metrics": {"accuracy": 0.9, "loss": 0.25}, "time": 12.5})
    return records


def test_open_run_log_follows_a_growing_log_into_the_plots_and_the_run_history(
        window: MainWindow, prompts: Prompts, qtbot: Any, tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    records = run_records()
    log.write_text(record_lines(records[:5]))  # start, 3 batches, epoch 1
    prompts.open_path = log
    runs_before = len(window.document.project.runs)
    window.open_run_log_action.trigger()
    follower = window.run_log_follower
    plots = window.training.plots
    assert follower.following
    assert list(plots.series("loss", "train")[1]) == [pytest.approx(0.9)]
    assert list(plots.series("loss", "validation")[1]) == [pytest.approx(1.1)]
    assert len(window.document.project.runs) == runs_before  # not before it has ended

    with log.open("a", encoding="utf-8") as fh:  # the rest arrives, its last line in two writes
        rest = record_lines(records[5:])
        fh.write(rest[:-30])
        fh.flush()
        qtbot.waitUntil(lambda: len(plots.series("loss", "train")[1]) == 2, timeout=5000)
        assert follower.following
        with qtbot.waitSignal(follower.finished, timeout=5000) as finished:
            fh.write(rest[-30:])
            fh.flush()
    record = finished.args[0]
    assert not follower.following
    runs = window.document.project.runs
    assert len(runs) == runs_before + 1 and runs[-1] is not None and runs[-1]["id"] == record["id"]
    assert runs[-1]["status"] == "finished" and runs[-1]["epochs_run"] == 2
    assert runs[-1]["history"]["loss"] == [pytest.approx(0.9), pytest.approx(0.45)]
    assert runs[-1]["test_metrics"] == {"accuracy": 0.9, "loss": 0.25}
    assert "followed from metrics.jsonl" in runs[-1]["reason"] and runs[-1]["seconds"] == 12.5
    assert "added to the run history" in window.statusBar().currentMessage()


def test_a_killed_run_with_a_truncated_last_line_is_plotted_and_not_kept(window: MainWindow, qtbot: Any,
                                                                         tmp_path: Path) -> None:
    log = tmp_path / "killed.jsonl"
    log.write_text(record_lines(run_records()[:5]) + '{"event": "batch", "epoch": 2, "ep')
    runs_before = len(window.document.project.runs)
    assert window.open_run_log(log)
    follower = window.run_log_follower
    assert follower.reader.truncated and follower.following
    assert list(window.training.plots.series("loss", "train")[1]) == [pytest.approx(0.9)]
    follower.stop()
    assert len(window.document.project.runs) == runs_before
