"""The Experiments dock: "Sweep this…" from the Inspector, refusing a bad dimension, the live
trials table and scatter plots, the run history, "Apply best" as one undo step, and (slow) a real
6-trial sweep in a child process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from app.core.run_history import make_record
from app.gui.experiments import current_document
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

EXAMPLE = examples_dir() / "mlp_tabular.json"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("LAYERFORGE_HOME", str(folder))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    return folder


@pytest.fixture
def window(qtbot: Any, home: Path) -> Any:
    win = MainWindow(open_copy(EXAMPLE), autosave_directory=home / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.experiments.running:
        win.experiments.stop()
        qtbot.waitUntil(lambda: not win.experiments.running, timeout=30_000)


def _node_id(win: Any, name: str) -> str:
    return current_document(win).graph.node_by_name(name).id


def test_sweep_this_on_an_inspector_parameter_adds_a_dimension(window: Any) -> None:
    window.inspector.show_node(_node_id(window, "hidden_1"))
    labels = [w for w in window.inspector.findChildren(QLabel) if w.text() == "units"]
    actions = [a for label in labels for a in label.actions() if a.text() == "Sweep this…"]
    assert actions and labels[0].contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    actions[0].trigger()
    panel = window.experiments
    assert panel.dimension_specs() == (["hidden_1.units=8..32"], [])
    assert window.experiments_dock.isVisible()
    panel.add_dimension("learning_rate")
    assert panel.dimension_specs() == (["hidden_1.units=8..32", "learning_rate=0.001..0.1"], ["learning_rate"])
    assert "val_accuracy" in [panel.metric_combo.itemText(i) for i in range(panel.metric_combo.count())]


def test_a_bad_dimension_is_refused_with_its_reason(window: Any) -> None:
    panel = window.experiments
    assert panel.add_dimension("hidden_1.units", "0,4")
    assert not panel.start()
    assert "hidden_1.units" in panel.status_label.text() and "≥ 1" in panel.status_label.text()
    assert not panel.running
    assert not panel.add_dimension("hidden_9.units")
    assert "no layer named 'hidden_9'" in panel.status_label.text()


def _record(win: Any, number: int, values: dict[str, Any], value: float | None, state: str) -> dict[str, Any]:
    doc = current_document(win)
    record = make_record(doc.graph, doc.project.training, doc.project.dataset, status="finished",
                         reason="finished 2 epochs", history={"loss": [1.0, 0.5], "val_accuracy": [0.5, value or 0]},
                         test_metrics={}, epochs_run=2, seconds=1.0)
    record["sweep"] = {"trial": number, "values": values, "value": value, "state": state}
    return record


def test_trials_fill_a_sortable_table_the_plots_and_the_run_history_and_apply_best_is_one_undo(
        window: Any, qtbot: Any) -> None:
    panel = window.experiments
    doc = current_document(window)
    panel.add_dimension("learning_rate", "0.001..0.1", log=True)
    panel.add_dimension("hidden_1.units", "8,16,32")
    # What the child process would say, fed in directly (the slow test below runs the real one)
    from app.core.sweep_space import parse_space

    panel._space = parse_space(["learning_rate=0.001..0.1", "hidden_1.units=8,16,32"], doc.graph, ["learning_rate"])
    panel._metric, panel._doc, panel._overrides = "val_accuracy", doc, {"epochs": 2}
    panel._setup_table()
    panel._setup_plots()
    panel._event({"event": "start", "direction": "maximize", "study_name": "s", "trials": 3, "study": "x"})
    panel._event({"event": "running", "trial": 0, "values": {"learning_rate": 0.01, "hidden_1.units": 8},
                  "epoch": 1, "value": 0.4, "seconds": 0.5})
    assert "running · epoch 1" in [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    trials = [(0, {"learning_rate": 0.01, "hidden_1.units": 8}, 0.8, "finished"),
              (1, {"learning_rate": 0.05, "hidden_1.units": 32}, 0.93, "finished"),
              (2, {"learning_rate": 0.001, "hidden_1.units": 16}, None, "failed")]
    for number, values, value, state in trials:
        panel._event({"event": "trial", "trial": number, "state": state, "values": values, "value": value,
                      "seconds": 1.0 + number, "reason": "boom" if state == "failed" else "",
                      "record": _record(window, number, values, value, state)})
    assert panel.table.rowCount() == 3
    assert len(doc.project.runs) == 3  # every trial is a run in the history
    assert sorted(window.training.history.checked_ids()) == sorted(r["id"] for r in doc.project.runs)
    assert panel.plotted_points() == [2, 2]
    metric_column = panel._columns().index("val_accuracy")
    panel.table.sortItems(metric_column, Qt.SortOrder.DescendingOrder)
    assert panel.table.item(0, 0).text() == "1"  # 0.93 first
    assert panel.table.item(2, 0).text() == "2"  # a failed trial ("—") comes last when sorted best-first
    panel.table.sortItems(metric_column, Qt.SortOrder.AscendingOrder)
    assert [panel.table.item(r, 0).text() for r in range(3)] == ["2", "0", "1"]

    assert panel.best()[0] == 1 and panel.apply_button.isEnabled()
    before_units = doc.graph.node_by_name("hidden_1").config["units"]
    before_lr = doc.project.training["learning_rate"]
    with qtbot.waitSignal(panel.best_applied):
        panel.apply_button.click()
    assert doc.graph.node_by_name("hidden_1").config["units"] == 32
    assert doc.project.training["learning_rate"] == 0.05 and doc.project.training["epochs"] == 2
    doc.undo_stack.undo()  # one step takes back the layer and the settings together
    assert doc.graph.node_by_name("hidden_1").config["units"] == before_units
    assert doc.project.training["learning_rate"] == before_lr
    panel._doc = None


@pytest.mark.slow  # a real sweep: the child process imports TensorFlow and trains 6 short trials
def test_a_real_six_trial_sweep_runs_off_the_gui_thread(window: Any, qtbot: Any) -> None:
    panel = window.experiments
    doc = current_document(window)
    panel.add_dimension("learning_rate", "0.001..0.1", log=True)
    panel.add_dimension("hidden_1.units", "4..32")
    panel.trials_spin.setValue(6)
    panel.epochs_spin.setValue(3)
    with qtbot.waitSignal(panel.sweep_ended, timeout=240_000) as ended:
        assert panel.start(), panel.status_label.text()
        assert panel.running and not panel.start_button.isEnabled()
    assert ended.args == [0], panel.status_label.text()
    rows = panel.rows()
    assert len(rows) == 6 and all(r["state"] in ("finished", "pruned", "failed") for r in rows.values())
    assert any(r["state"] == "finished" for r in rows.values())
    assert len(doc.project.runs) == 6 and all("sweep" in run for run in doc.project.runs)
    assert "Done in" in panel.status_label.text()
    assert panel.apply_best()
    number, best = panel.best()
    assert doc.project.training["learning_rate"] == pytest.approx(best["values"]["learning_rate"])
    assert doc.graph.node_by_name("hidden_1").config["units"] == best["values"]["hidden_1.units"]
