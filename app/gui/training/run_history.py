"""Every training run of a project in one table, and the chosen metric of several runs on one plot.

Runs are the records the panel keeps in ``project.runs`` (see ``app.core.run_history``):
``id``, ``started``, ``status``, ``settings``, ``dataset``, ``fingerprint``, ``history``,
``test_metrics``, ``epochs_run`` and, when the run logged to TensorBoard, ``tensorboard_log`` (its
folder: shown in the run's tooltip, opened or copied from the table's menu). The view only reads
them; deleting a run is a request (``delete_requested``) that the panel carries out through the
document, so it can be undone.
Checking rows overlays their curves; each run keeps its colour while the list is unchanged.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QDesktopServices, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import ERROR, TEXT, TEXT_MUTED, VALID_TARGET, WARNING
from app.gui.training.preview import empty_label
from app.gui.training.results import METRIC_NAMES, metric_text
from app.gui.widgets import add_legend, color_for, format_number, make_plot_widget

ID_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Run", "Dataset", "Optimizer", "LR", "Epochs", "Loss", "Val loss", "Test", "Model", "Status")
STATUS_COLORS = {"finished": VALID_TARGET, "stopped": WARNING, "failed": ERROR}
LEGEND_COLUMN_WIDTH = 210
"""Room for one legend entry ("#12 iris · adam"): the legend has as many columns as fit."""


def run_time(record: Mapping[str, Any]) -> str:
    """When a run started, in local time ("03 May 14:02"); the raw text if it is not ISO."""
    started = record.get("started")
    if not started:
        return "—"
    try:
        when = datetime.fromisoformat(str(started))
    except ValueError:
        return str(started)
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%d %b %H:%M")


def dataset_text(ref: Any) -> str:
    """A dataset reference in a few words: "iris", "csv: data.csv"."""
    if not isinstance(ref, Mapping):
        return "—" if ref is None else str(ref)
    name = str(ref.get("name", "?"))
    path = ref.get("path")
    if path:
        return f"{name}: {str(path).replace(chr(92), '/').rsplit('/', 1)[-1]}"
    return name


def last(history: Mapping[str, Any], key: str) -> str:
    values = history.get(key) if isinstance(history, Mapping) else None
    if not values:
        return "—"
    return format_number(values[-1])


def log_folder(record: Mapping[str, Any]) -> str:
    """The run's TensorBoard log folder as the record notes it; "" when it did not log."""
    value = record.get("tensorboard_log")
    return value if isinstance(value, str) else ""


def metric_order(keys: set[str]) -> list[str]:
    """loss, val_loss, then each metric followed by its val_ twin, learning_rate last."""
    base = sorted({k.removeprefix("val_") for k in keys} - {"loss", "learning_rate"})
    ordered = ["loss", "val_loss"]
    for name in base:
        ordered += [name, f"val_{name}"]
    ordered.append("learning_rate")
    return [k for k in ordered if k in keys] + sorted(keys - set(ordered))


def metric_label(key: str) -> str:
    if key == "learning_rate":
        return "Learning rate"
    if key.startswith("val_"):
        return f"{METRIC_NAMES.get(key[4:], key[4:])} (validation)"
    return METRIC_NAMES.get(key, key)


class RunHistoryView(QWidget):
    """The run table with check boxes, and an overlay plot of the checked runs."""

    runs_checked = Signal(list)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[dict[str, Any]] = []
        self._stale = False
        """Runs changed while hidden: the plot is redrawn when the view is shown."""
        self._checked: list[str] = []
        self._seen: set[str] | None = None
        self._current_fingerprint: str | None = None
        self._filling = False
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._split = False
        """The table/plot split was fitted to the rows (done once; then it is the user's)."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)
        self.empty_page = empty_label("No runs yet. Every training run is recorded here with its settings and "
                                      "results, so you can compare them.", self.stack)
        self.stack.addWidget(self.empty_page)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self.stack)
        top = QWidget(self.splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(4)
        self.table = QTableWidget(0, len(COLUMNS), top)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Test"), QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(0).setToolTip("Tick runs to draw them on the plot below.")
        self.table.horizontalHeaderItem(COLUMNS.index("Model")).setToolTip(
            "A fingerprint of the model's layers and wiring: runs with the same fingerprint trained the same model.")
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.delete_action = QAction("Delete run", self.table)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(self._delete_selected)
        self.table.addAction(self.delete_action)
        self.open_logs_action = QAction("Open TensorBoard log folder", self.table)
        self.open_logs_action.setToolTip("Open the folder this run's TensorBoard logs went to "
                                         "(see them with: tensorboard --logdir FOLDER).")
        self.open_logs_action.triggered.connect(self.open_selected_logs)
        self.copy_logs_action = QAction("Copy TensorBoard log folder path", self.table)
        self.copy_logs_action.triggered.connect(self.copy_selected_logs)
        for action in (self.open_logs_action, self.copy_logs_action):
            action.setEnabled(False)
            self.table.addAction(action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        top_layout.addWidget(self.table, 1)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        metric_label_widget = QLabel("Plot:", top)
        bar.addWidget(metric_label_widget)
        self.metric_combo = QComboBox(top)
        self.metric_combo.setToolTip("Which number to compare across the ticked runs, epoch by epoch.")
        self.metric_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        metric_label_widget.setBuddy(self.metric_combo)
        self.metric_combo.currentIndexChanged.connect(self._redraw)
        bar.addWidget(self.metric_combo)
        self.hint_label = QLabel(top)
        self.hint_label.setStyleSheet(f"color: {TEXT_MUTED};")
        bar.addWidget(self.hint_label, 1)
        self.logs_button = QPushButton("TensorBoard logs", top)
        self.logs_button.setToolTip("Open the folder the selected run's TensorBoard logs went to (right-click a "
                                    "run to copy its path); runs log when the TensorBoard log folder is set.")
        self.logs_button.setEnabled(False)
        self.logs_button.clicked.connect(self.open_selected_logs)
        bar.addWidget(self.logs_button)
        self.delete_button = QPushButton("Delete run", top)
        self.delete_button.setToolTip("Remove the selected run from the project's history (Delete key; undoable).")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._delete_selected)
        bar.addWidget(self.delete_button)
        top_layout.addLayout(bar)

        self.plot = make_plot_widget(self.splitter, x_label="epoch")
        self.legend = add_legend(self.plot)
        self.plot.installEventFilter(self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.plot)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.stack.addWidget(self.splitter)
        self.stack.setCurrentWidget(self.empty_page)

    # --- public -------------------------------------------------------------------------------

    @property
    def runs(self) -> list[dict[str, Any]]:
        return list(self._runs)

    @property
    def current_metric(self) -> str:
        return str(self.metric_combo.currentData() or "loss")

    def set_metric(self, key: str) -> bool:
        index = self.metric_combo.findData(key)
        if index >= 0:
            self.metric_combo.setCurrentIndex(index)
        return index >= 0

    def metrics(self) -> list[str]:
        return [self.metric_combo.itemData(i) for i in range(self.metric_combo.count())]

    def checked_ids(self) -> list[str]:
        """Ids of the ticked runs, in the order they ran."""
        return list(self._checked)

    def set_checked(self, run_id: str, checked: bool = True) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.data(ID_ROLE) == run_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return

    def set_current_fingerprint(self, fingerprint: str | None) -> None:
        """Mark the runs that trained the model as it is now."""
        self._current_fingerprint = fingerprint
        self._fill_table()

    def set_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        """Show ``runs`` (oldest first, as the project keeps them). Ticks survive; the first time the
        newest run is ticked, and later every newly added run is ticked (you just trained it)."""
        self._runs = [dict(r) for r in runs if isinstance(r, Mapping)]
        ids = [self._id(r) for r in self._runs]
        checked = [i for i in self._checked if i in ids]
        if self._seen is None:
            checked = ids[-1:]
        else:
            checked += [i for i in ids if i not in self._seen and i not in checked]
        self._seen = set(ids)
        self._checked = [i for i in ids if i in checked]
        self._fill_metrics()
        self._fill_table()
        self.stack.setCurrentWidget(self.splitter if self._runs else self.empty_page)
        if self.isVisible():
            self._redraw()
            if not self._split and self._runs:
                self._split = True
                self._share_height()
        else:  # a run just ended and the History tab is behind another: draw when it is shown
            self._stale = True
        self.runs_checked.emit(self.checked_ids())

    # --- table --------------------------------------------------------------------------------

    @staticmethod
    def _id(record: Mapping[str, Any]) -> str:
        return str(record.get("id", ""))

    def _fill_metrics(self) -> None:
        keys: set[str] = set()
        for record in self._runs:
            history = record.get("history")
            if isinstance(history, Mapping):
                keys.update(k for k, v in history.items() if isinstance(v, Sequence) and v)
        current = self.current_metric
        order = metric_order(keys) or ["loss"]
        if order == self.metrics():
            return
        self.metric_combo.blockSignals(True)
        try:
            self.metric_combo.clear()
            for key in order:
                self.metric_combo.addItem(metric_label(key), key)
            index = self.metric_combo.findData(current)
            self.metric_combo.setCurrentIndex(max(0, index))
        finally:
            self.metric_combo.blockSignals(False)

    def _fill_table(self) -> None:
        self._filling = True
        try:
            table = self.table
            selected = self._selected_id()
            table.setRowCount(len(self._runs))
            # Newest first: the run you just made is at the top.
            for row, (number, record) in enumerate(reversed(list(enumerate(self._runs, start=1)))):
                self._fill_row(row, number, record)
            if selected is not None:
                for row in range(table.rowCount()):
                    if table.item(row, 0).data(ID_ROLE) == selected:
                        table.selectRow(row)
        finally:
            self._filling = False
        self._selection_changed()

    def _fill_row(self, row: int, number: int, record: Mapping[str, Any]) -> None:
        run_id = self._id(record)
        settings = record.get("settings") if isinstance(record.get("settings"), Mapping) else {}
        history = record.get("history") if isinstance(record.get("history"), Mapping) else {}
        tests = record.get("test_metrics") if isinstance(record.get("test_metrics"), Mapping) else {}
        status = str(record.get("status", ""))
        epochs_run = record.get("epochs_run")
        planned = settings.get("epochs")
        epochs = "—" if epochs_run is None else str(epochs_run)
        if planned is not None and epochs_run is not None and epochs_run != planned:
            epochs += f"/{planned}"
        fingerprint = str(record.get("fingerprint", "") or "")
        same = bool(fingerprint) and fingerprint == self._current_fingerprint
        texts = [
            f"#{number}  {run_time(record)}",
            dataset_text(record.get("dataset")),
            str(settings.get("optimizer", "—")),
            format_number(settings["learning_rate"]) if "learning_rate" in settings else "—",
            epochs,
            last(history, "loss"),
            last(history, "val_loss"),
            " · ".join(f"{k} {metric_text(k, v)}" for k, v in tests.items()) or "—",
            ("● " if same else "") + (fingerprint or "—"),
            status or "—",
        ]
        tip = self._tooltip(number, record, settings)
        for column, text in enumerate(texts):
            item = self.table.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(row, column, item)
            item.setText(text)
            item.setToolTip(tip)
            item.setData(ID_ROLE, run_id)
            if COLUMNS[column] in ("LR", "Epochs", "Loss", "Val loss"):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        first = self.table.item(row, 0)
        first.setFlags(first.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        first.setCheckState(Qt.CheckState.Checked if run_id in self._checked else Qt.CheckState.Unchecked)
        index = next((i for i, r in enumerate(self._runs) if self._id(r) == run_id), 0)
        first.setForeground(QBrush(color_for(index)))
        status_item = self.table.item(row, COLUMNS.index("Status"))
        status_item.setForeground(QBrush(QColor(STATUS_COLORS.get(status, TEXT))))
        model_item = self.table.item(row, COLUMNS.index("Model"))
        model_item.setToolTip("Trained the model as it is now." if same else
                              "Model fingerprint (layers and wiring; positions on the canvas do not count).")

    @staticmethod
    def _tooltip(number: int, record: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
        keys = ("loss", "batch_size", "epochs", "schedule", "validation_split", "test_split", "seed")
        lines = [f"<b>Run #{number}</b> ({html.escape(str(record.get('started', '')))})"]
        reason = record.get("reason")
        if reason:
            lines.append(html.escape(str(reason)))
        lines += [f"{html.escape(k)}: {html.escape(str(settings[k]))}" for k in keys if k in settings]
        logs = log_folder(record)
        if logs:
            lines.append(f"TensorBoard logs: {html.escape(logs)}")
        return "<br>".join(lines)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        run_id = item.data(ID_ROLE)
        on = item.checkState() == Qt.CheckState.Checked
        if on == (run_id in self._checked):
            return
        ids = [self._id(r) for r in self._runs]
        checked = set(self._checked) | {run_id} if on else set(self._checked) - {run_id}
        self._checked = [i for i in ids if i in checked]
        self._redraw()
        self.runs_checked.emit(self.checked_ids())

    def _selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(ID_ROLE) if item is not None else None

    def _selection_changed(self) -> None:
        self.delete_button.setEnabled(self._selected_id() is not None)
        logs = self.selected_log_folder()
        for widget in (self.open_logs_action, self.copy_logs_action, self.logs_button):
            widget.setEnabled(bool(logs))

    def selected_log_folder(self) -> str:
        """The selected run's TensorBoard log folder; "" when no run is selected or it did not log."""
        run_id = self._selected_id()
        record = next((r for r in self._runs if self._id(r) == run_id), None) if run_id is not None else None
        return log_folder(record) if record is not None else ""

    def open_selected_logs(self) -> bool:
        """Open the selected run's log folder in the desktop's file manager; False (and why, in the hint
        line) when the run has none or the folder is gone."""
        folder = self.selected_log_folder()
        if not folder:
            return False
        if not os.path.isdir(folder):
            self.hint_label.setText(f"The TensorBoard log folder {folder} no longer exists.")
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            self.hint_label.setText(f"Could not open {folder}; right-click the run to copy its path.")
            return False
        return True

    def copy_selected_logs(self) -> bool:
        """Put the selected run's log folder on the clipboard (for ``tensorboard --logdir``)."""
        folder = self.selected_log_folder()
        if folder:
            QGuiApplication.clipboard().setText(folder)
            self.hint_label.setText(f"Copied {folder}")
        return bool(folder)

    def _delete_selected(self) -> None:
        run_id = self._selected_id()
        if run_id is not None:
            self.delete_requested.emit(run_id)

    # --- plot ---------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self._redraw()
        super().showEvent(event)
        if not self._split and self._runs:
            self._split = True
            self._share_height()

    def _share_height(self) -> None:
        """The table as tall as its rows (at most 40 %), the plot the rest: with the default
        split the plot was a strip under an almost empty table."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        table = self.table
        rows = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(table.rowCount()))
        chrome = self.splitter.widget(0).height() - table.height()  # the metric bar under the table
        top = min(max(rows + 2 * table.frameWidth() + max(chrome, 0) + 24, total // 4), int(total * 0.4))
        self.splitter.setSizes([top, total - top])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.plot and event.type() == QEvent.Type.Resize:
            # The legend sits under the plot: as many entries side by side as its width holds.
            self.legend.setColumnCount(max(1, self.plot.width() // LEGEND_COLUMN_WIDTH))
        return super().eventFilter(watched, event)

    def _redraw(self) -> None:
        self._stale = False
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves = {}
        self.legend.clear()
        key = self.current_metric
        item.setLabel("left", metric_label(key), color=TEXT)
        missing = []
        for index, record in enumerate(self._runs):
            run_id = self._id(record)
            if run_id not in self._checked:
                continue
            history = record.get("history") if isinstance(record.get("history"), Mapping) else {}
            values = history.get(key)
            if not values:
                missing.append(f"#{index + 1}")
                continue
            y = np.full(len(values), np.nan)
            for i, v in enumerate(values):
                with contextlib.suppress(TypeError, ValueError):
                    y[i] = float(v)
            x = np.arange(1, len(values) + 1, dtype=np.float64)
            color = color_for(index)
            settings = record.get("settings") if isinstance(record.get("settings"), Mapping) else {}
            name = f"#{index + 1} {dataset_text(record.get('dataset'))} · {settings.get('optimizer', '?')}"
            curve = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                                    symbolBrush=pg.mkBrush(color), symbolPen=None, name=name, connect="finite")
            item.addItem(curve)
            self.curves[run_id] = curve
        longest = max((len(c.xData) for c in self.curves.values() if c.xData is not None), default=0)
        # Whole epochs only: "1.5" on an epoch axis reads as a mistake.
        item.getAxis("bottom").setTickSpacing(levels=[(max(1, longest // 10), 0)] if longest <= 40 else None)
        item.enableAutoRange()
        if not self._checked:
            self.hint_label.setText("Tick runs in the table to compare them.")
        elif missing:
            self.hint_label.setText(f"No {metric_label(key).lower()} recorded for run {', '.join(missing)}.")
        else:
            self.hint_label.setText("")
