"""A sweep trial that logged to TensorBoard names its log folder in the trials table and the table's menu
opens it (QDesktopServices), as the run history does (issue 18, "Also")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.graph import Graph
from app.core.run_history import make_record
from app.core.sweep_space import SweepSpace
from app.gui.experiments.panel import ExperimentsPanel
from tests.gui.desktop_helpers import opened_path


def trial(number: int, logs: Path | None) -> dict[str, Any]:
    record = make_record(Graph(), {"epochs": 2}, {"name": "moons"}, status="finished", reason="", history={},
                         test_metrics={}, epochs_run=2, seconds=1.0, tensorboard_log=logs)
    return {"event": "trial", "trial": number, "state": "finished", "values": {}, "value": 0.5 + number / 10,
            "seconds": 1.0, "reason": "", "record": record}


def test_a_trials_log_folder_is_shown_and_opened(qtbot: Any, tmp_path: Path) -> None:
    panel = ExperimentsPanel(lambda: None)
    qtbot.addWidget(panel)
    panel._space, panel._metric = SweepSpace(), "val_accuracy"
    panel._setup_table()
    folder = tmp_path / "logs" / "20261206-120000"
    folder.mkdir(parents=True)
    panel._event(trial(0, None))
    panel._event(trial(1, folder))
    rows = {panel.table.item(r, 0).text(): r for r in range(panel.table.rowCount())}
    assert panel.table.item(rows["1"], 0).toolTip() == f"TensorBoard logs: {folder}"
    assert panel.table.item(rows["0"], 0).toolTip() == ""
    assert panel.open_logs_action in panel.table.actions()

    panel.table.selectRow(rows["0"])
    assert not panel.open_logs_action.isEnabled() and panel.open_selected_logs() is False
    panel.table.selectRow(rows["1"])
    assert panel.open_logs_action.isEnabled()
    assert opened_path(qtbot, panel.open_logs_action.trigger) == folder
