"""The run history shows where a run's TensorBoard logs went (issue 18, "Also"): the folder in the run's
tooltip, and the selected run's folder opened in the desktop's file manager (QDesktopServices) or copied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from app.core.graph import Graph
from app.core.run_history import make_record
from app.gui.training.run_history import ID_ROLE, RunHistoryView
from tests.gui.desktop_helpers import file_urls_caught, opened_path


def record(logs: Path | None) -> dict[str, Any]:
    graph = Graph()
    graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 2]})
    return make_record(graph, {"optimizer": "adam", "learning_rate": 0.01, "epochs": 2}, {"name": "moons"},
                       status="finished", reason="finished 2 epochs", history={"loss": [0.7, 0.6]},
                       test_metrics={}, epochs_run=2, seconds=1.0, tensorboard_log=logs)


def view_with(qtbot: Any, runs: list[dict[str, Any]]) -> RunHistoryView:
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.show()
    view.set_runs(runs)
    return view


def select(view: RunHistoryView, run_id: str) -> None:
    row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 0).data(ID_ROLE) == run_id)
    view.table.selectRow(row)


def test_a_logged_run_shows_its_folder_and_opens_it(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "20261206-120000"
    folder.mkdir(parents=True)
    logged, plain = record(folder), record(None)
    view = view_with(qtbot, [logged, plain])
    select(view, plain["id"])
    assert "TensorBoard" not in view.table.item(0, 0).toolTip()
    assert not view.logs_button.isEnabled() and not view.open_logs_action.isEnabled()
    assert view.open_selected_logs() is False

    select(view, logged["id"])
    assert f"TensorBoard logs: {folder}" in view.table.item(1, 0).toolTip()
    assert view.logs_button.isEnabled() and view.copy_logs_action.isEnabled()
    assert view.open_logs_action in view.table.actions()  # the table's right-click menu
    assert opened_path(qtbot, view.logs_button.click) == folder


def test_the_folder_can_be_copied(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "tb" / "run"
    logged = record(folder)
    view = view_with(qtbot, [logged])
    select(view, logged["id"])
    QGuiApplication.clipboard().clear()
    view.copy_logs_action.trigger()
    assert QGuiApplication.clipboard().text() == str(folder)
    assert str(folder) in view.hint_label.text()


def test_a_folder_that_is_gone_is_said_and_not_opened(qtbot: Any, tmp_path: Path) -> None:
    gone = tmp_path / "deleted"
    logged = record(gone)
    view = view_with(qtbot, [logged])
    select(view, logged["id"])
    calls: list[QUrl] = []
    with file_urls_caught() as opener:
        opener.opened.connect(calls.append)
        assert view.open_selected_logs() is False
    assert calls == [] and "no longer exists" in view.hint_label.text() and str(gone) in view.hint_label.text()
