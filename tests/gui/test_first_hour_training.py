"""What a new user stumbled on in the Training dock (issue 12, point 8), driven through real widgets.

Plain axis values instead of "Loss (x0.001)", legends beside the curves rather than on them,
a confusion matrix that fits its panel, one run state that the progress bar, the window's
status bar and the lock banner all tell alike, the dataset named once on the Data tab, a
notice (not a field) saying why Train is off, and a save dialog that remembers its folder.
The views run on synthetic data; two tests train the tiny iris MLP for real (marked slow).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QWidget

from app.gui.gallery import examples_dir, open_copy
from app.gui.training.live_plots import LivePlots
from app.gui.training.results import MIN_CELL, ResultsView
from app.gui.training.run_history import RunHistoryView
from app.gui.training.worker import running_count

EXAMPLE = examples_dir() / "mlp_tabular.json"
TRAIN_TIMEOUT_MS = 90_000


def scene_rect(item: pg.GraphicsObject | pg.GraphicsWidget) -> QRectF:
    return item.mapRectToScene(item.boundingRect())


def small_loss_runs(count: int = 3) -> list[dict[str, Any]]:
    """Runs whose losses are below 0.001, where pyqtgraph used to label the axis "Loss (x0.001)"."""
    return [{"id": f"run{i}", "started": f"2026-05-03T14:0{i}:00", "status": "finished",
             "settings": {"optimizer": "adam", "learning_rate": 0.001, "epochs": 6},
             "dataset": {"name": "mnist_5k"}, "epochs_run": 6,
             "history": {"loss": [0.0009 - 0.0001 * k - 0.00005 * i for k in range(6)]}}
            for i in range(count)]


# --- axes and legends ------------------------------------------------------------------------------------

def test_run_history_axis_shows_the_loss_as_it_is(qtbot) -> None:
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.resize(640, 520)
    view.show()
    qtbot.waitExposed(view)
    view.set_runs(small_loss_runs())
    for run in small_loss_runs():
        view.set_checked(run["id"])
    axis = view.plot.getPlotItem().getAxis("left")
    qtbot.waitUntil(lambda: len(view.curves) == 3)
    assert axis.autoSIPrefixScale == 1.0, "no hidden factor: a tick of 0.0008 means 0.0008"
    assert "x0.001" not in axis.labelString() and "Loss" in axis.labelString()
    assert axis.tickStrings([0.0008, 0.0006], 1.0, 0.0002) == ["0.0008", "0.0006"]


def test_run_history_legend_sits_under_the_plot_not_on_the_curves(qtbot) -> None:
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.resize(640, 560)
    view.show()
    qtbot.waitExposed(view)
    view.set_runs(small_loss_runs(4))
    for run in small_loss_runs(4):
        view.set_checked(run["id"])
    legend = view.legend
    box = view.plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: len(legend.items) == 4 and legend.geometry().height() > 0)
    qtbot.waitUntil(lambda: not scene_rect(box).intersects(scene_rect(legend)))
    assert scene_rect(legend).top() >= scene_rect(box).bottom(), "the legend is below the plot area"
    assert next(label.text for _sample, label in legend.items).startswith("#1 mnist_5k")


def test_the_run_history_plot_gets_the_room_the_few_rows_do_not_need(qtbot) -> None:
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.resize(600, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_runs(small_loss_runs(2))
    table_height, plot_height = view.splitter.sizes()
    assert plot_height >= 1.4 * table_height, (table_height, plot_height)
    rows = sum(view.table.rowHeight(r) for r in range(view.table.rowCount()))
    assert view.table.viewport().height() >= rows, "every run still shows"


def test_live_plots_have_plain_axes_and_one_legend_clear_of_every_plot(qtbot) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(560, 560)
    plots.show()
    qtbot.waitExposed(plots)
    plots.reset(3, keys=["accuracy", "learning_rate"], show=True)
    for epoch in (1, 2, 3):
        for batch in range(1, 11):
            x = epoch - 1 + batch / 10
            plots.add_progress(SimpleNamespace(epoch=epoch, batch=batch, batches=10,
                                               logs={"loss": 0.0009 / x, "accuracy": 1 - 0.5 / x},
                                               learning_rate=0.0004))
        plots.add_epoch(SimpleNamespace(epoch=epoch, logs={"loss": 0.0009 / epoch, "val_loss": 0.001 / epoch,
                                                           "accuracy": 0.8, "val_accuracy": 0.7,
                                                           "learning_rate": 0.0004}))
    plots.flush_all()
    legend = plots.legend
    assert [label.text for _sample, label in legend.items] == ["train (running)", "train", "validation"]
    qtbot.waitUntil(lambda: legend.geometry().height() > 0)
    for key in plots.plot_keys():
        item = plots._plots[key].plot
        axis = item.getAxis("left")
        assert axis.autoSIPrefixScale == 1.0 and "(x" not in axis.labelString(), key
        qtbot.waitUntil(lambda item=item: not scene_rect(item.getViewBox()).intersects(scene_rect(legend)))
        assert not any(isinstance(child, pg.LegendItem) for child in item.getViewBox().childItems()), \
            "no legend floats over a plot"


# --- the confusion matrix ---------------------------------------------------------------------------------

def ten_class_result(classes: int = 10, samples: int = 500) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, samples)
    guessed = np.where(rng.random(samples) < 0.9, y, rng.integers(0, classes, samples))
    names = [str(i) for i in range(classes)]
    dataset = SimpleNamespace(task="classification", class_names=names, kind="table", title="digits")
    return SimpleNamespace(status="finished", reason="finished 10 epochs", test_metrics={"accuracy": 0.9},
                           notes=[], epochs_run=10, seconds=8.0, device="CPU", dataset=dataset,
                           prepared=SimpleNamespace(test=({"x": np.zeros((samples, 4))}, {"y": y}),
                                                    class_names=names, task="classification"),
                           test_predictions=np.eye(classes)[guessed])


def all_columns_in_view(view: ResultsView) -> bool:
    table = view.confusion_table
    right = table.horizontalHeader().sectionViewportPosition(table.columnCount() - 1) + table.column_width()
    return table.horizontalScrollBar().maximum() == 0 and right <= table.viewport().width()


@pytest.mark.parametrize("width", [380, 460, 700])
def test_the_confusion_matrix_shows_all_ten_columns_at_dock_widths(qtbot, width: int) -> None:
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show()
    qtbot.waitExposed(view)
    view.show_result(ten_class_result())
    qtbot.waitUntil(lambda: all_columns_in_view(view))
    table = view.confusion_table
    assert table.column_width() >= MIN_CELL
    widths = {table.columnWidth(c) for c in range(10)}
    assert len(widths) == 1, "equal cells"


def test_the_confusion_matrix_still_fits_in_presenter_sized_text(qtbot) -> None:
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(460, 800)
    view.show()
    qtbot.waitExposed(view)
    view.show_result(ten_class_result())
    before = view.confusion_table.rowHeight(0)
    bigger = QFont(view.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 1.5)
    view.setFont(bigger)  # what presenter mode does to the whole window
    qtbot.waitUntil(lambda: view.confusion_table.rowHeight(0) > before)
    qtbot.waitUntil(lambda: all_columns_in_view(view))
    assert view.confusion_table.rowHeight(0) >= view.confusion_table.fontMetrics().height()


def test_a_matrix_too_big_for_the_panel_scrolls_instead_of_being_cut(qtbot) -> None:
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(360, 600)
    view.show()
    qtbot.waitExposed(view)
    view.show_result(ten_class_result(classes=30, samples=900))
    table = view.confusion_table
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() > 0)
    assert table.column_width() == MIN_CELL
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    last = table.horizontalHeader().sectionViewportPosition(29)
    assert last >= 0 and last + MIN_CELL <= table.viewport().width() + 1, "the last column can be scrolled to"


# --- the panel in the window ----------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, home: Path, monkeypatch: pytest.MonkeyPatch):
    from app.gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="": None)
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    doc = open_copy(EXAMPLE)
    doc.project.training.update({"epochs": 2, "batch_size": 16})
    win = MainWindow(doc, autosave_directory=home / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.show_training()
    yield win
    if win.training_running:
        win.training.stop_training()
        qtbot.waitUntil(lambda: not win.training_running, timeout=TRAIN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)


def visible_labels_with(root: QWidget, text: str) -> list[QLabel]:
    return [label for label in root.findChildren(QLabel) if label.isVisible() and text in label.text()]


def test_the_data_tab_names_the_dataset_once(window, qtbot) -> None:
    panel = window.training
    panel.tabs.setCurrentWidget(panel.data_tab)
    qtbot.waitUntil(lambda: panel.preview.dataset is not None, timeout=30_000)
    title = panel.preview.dataset.title
    assert len(visible_labels_with(panel.data_tab, title)) == 1, "one heading (the picker's), not two"
    assert title in panel.picker.info_label.text()
    assert "150 samples" in panel.preview.summary_label.text(), "the preview still gives the numbers"
    info = panel.picker.info_label
    qtbot.waitUntil(lambda: info.height() >= info.heightForWidth(info.width()), timeout=5000)
    assert info.visibleRegion().boundingRect().height() >= info.heightForWidth(info.width()), \
        "the description is not cut off by the splitter"


def test_why_train_is_off_is_a_notice_not_a_field(window, qtbot) -> None:
    panel = window.training
    window.document.set_dataset(None)
    qtbot.waitUntil(lambda: bool(panel.problems) and not panel.check_pending, timeout=30_000)
    assert not panel.train_button.isEnabled()
    assert panel.state_stack.currentWidget() is panel.notice_label
    assert panel.notice_label.isVisible() and not panel.progress_bar.isVisible()
    assert panel.notice_text().endswith("Fix the problems above to train")
    assert panel.notice_text().startswith("⚠")
    assert not isinstance(panel.notice_label, QLineEdit) and "border" not in panel.notice_label.styleSheet()
    assert panel.run_state == "idle"


def test_the_trained_model_dialog_starts_where_the_last_one_was_saved(window, home: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import app.gui.training.panel as panel_module

    starts: list[str] = []
    target = tmp_path / "exports" / "models"
    target.mkdir(parents=True)

    def dialog(parent: Any, title: str, start: str, filters: str) -> tuple[str, str]:
        starts.append(start)
        return str(target / "mine"), filters

    monkeypatch.setattr(panel_module.QFileDialog, "getSaveFileName", staticmethod(dialog))
    panel = window.training
    first = panel.ask_model_path()
    assert first == target / "mine.keras"
    assert window.document.path is None and Path(starts[0]).parent == Path.home(), \
        "an unsaved example and no folder remembered yet: home"
    assert panel.ask_model_path() == target / "mine.keras"
    assert Path(starts[1]).parent == target, "then where the last trained model went"
    assert (home / "config" / "folders.ini").is_file(), "remembered in the temporary LAYERFORGE_HOME"


# --- one run state, two runs in a row (real training) ---------------------------------------------------------

@pytest.mark.slow
def test_a_second_run_never_shows_the_first_runs_ending(window, qtbot) -> None:
    panel = window.training
    qtbot.waitUntil(panel.can_train, timeout=60_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS):
        assert panel.start_training()
    assert panel.run_state == "finished"
    assert window.statusBar().currentMessage().startswith("Training finished")
    assert panel.progress_bar.format().startswith("Finished")
    qtbot.waitUntil(panel.can_train, timeout=60_000)

    seen: list[tuple[str, str, str, str, str]] = []

    def record(text: str) -> None:
        seen.append((text, panel.run_state, panel.progress_bar.format(), window.statusBar().currentMessage(),
                     window.lock_banner.detail.text()))

    panel.status_text_changed.connect(record)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        assert panel.start_training()
        assert panel.run_state == "starting"
        assert window.statusBar().currentMessage() == "", "the first run's 'finished' is gone"
        assert panel.state_stack.currentWidget() is panel.progress_bar
    panel.status_text_changed.disconnect(record)
    assert blocker.args[0].status == "finished"
    during = [entry for entry in seen if entry[0]]
    assert during and during[0][1] == "starting"
    assert any(state == "running" for _text, state, *_rest in during)
    for text, state, bar, message, _banner in during:
        assert state in ("starting", "running", "stopping")
        assert text == f"Training: {bar}", "the window's line says what the progress bar says"
        assert "finished" not in message.lower() and "finished" not in bar.lower()
    assert seen[-1][0] == "" and seen[-1][1] == "finished", "the end is said once, by the same state"
    assert window.training_label.isHidden() and window.lock_banner.isHidden()


def test_in_presenter_mode_the_progress_bar_grows_with_its_text(window, qtbot) -> None:
    panel = window.training
    panel.state_stack.setCurrentWidget(panel.progress_bar)
    panel.progress_bar.setFormat("Finished · 3 epochs in 0:28")
    normal = panel.progress_bar.height()
    window.teaching.set_presenter(True)
    try:
        qtbot.waitUntil(lambda: panel.progress_bar.height() > normal)
        qtbot.waitUntil(lambda: panel.progress_bar.height() >= panel.progress_bar.sizeHint().height())
        assert panel.notice_label.height() == panel.progress_bar.height(), "one slot, one height"
        bar = panel.progress_bar
        shown = bar.text()
        assert bar.fontMetrics().horizontalAdvance(shown) <= bar.contentsRect().width(), "one line, cut with …"
        assert shown == bar.format() or shown.endswith("…")
    finally:
        window.teaching.set_presenter(False)
