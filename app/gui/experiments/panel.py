"""The Experiments dock: define a sweep, watch its trials live, compare them, apply the best.

Dimensions come from the Inspector's "Sweep this…" (a layer parameter) or are typed
(``learning_rate=0.0001..0.1``); they are checked by :mod:`app.core.sweep_space`, the same
parser the CLI uses, so a bad one is refused here with the same sentence. Start runs
``layerforge sweep --jsonl`` in a child process (:mod:`app.gui.experiments.process`) on a
snapshot of the project; each finished trial becomes a run in the document's history and is
checked in the Training dock's History, so the trials' curves are overlaid there. The table
sorts by any column; the scatter plots show the metric against each dimension; "Apply best"
puts the best trial's values into the project as one undo step. A trial that logged to TensorBoard
(the project's log folder is set) names its folder in its tooltip, and the table's menu opens it.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.sweep_space import (
    SWEEPABLE_SETTINGS,
    SweepSpace,
    SweepSpaceError,
    available_metrics,
    current_value,
    default_metric,
    dimension_for,
    format_value,
    is_log_default,
    metric_direction,
    parse_space,
    split_spec,
)
from app.gui.experiments.process import SweepProcess
from app.gui.theme import ERROR, TEXT_MUTED, VALID_TARGET, WARNING

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_COLORS = {"finished": VALID_TARGET, "pruned": WARNING, "failed": ERROR}
SAMPLER_LABELS = (("tpe", "Bayesian (TPE)"), ("random", "Random"), ("grid", "Grid"))


class _SortItem(QTableWidgetItem):
    """A cell that sorts by its number (``SORT_ROLE``), not its text; empty cells sort last."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)):
            return float(mine) < float(theirs)
        if isinstance(mine, (int, float)) != isinstance(theirs, (int, float)):
            return isinstance(mine, (int, float))
        return self.text() < other.text()


def _item(text: str, sort: Any = None, editable: bool = False) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setData(SORT_ROLE, sort if sort is not None else text)
    flags = item.flags() | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
    item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags & ~Qt.ItemFlag.ItemIsEditable)
    return item


class ExperimentsPanel(QWidget):
    """The dock's widget. ``document_source()`` gives the window's current document."""

    trial_recorded = Signal(str)
    """A finished trial's run id, after it was added to the document's run history."""
    sweep_ended = Signal(int)
    best_applied = Signal(int)

    def __init__(self, document_source: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document_source = document_source
        self.overlay: Callable[[str], None] | None = None
        """Called with each recorded run's id (the window checks it in the run history)."""
        self.process = SweepProcess(self)
        self.process.event.connect(self._event)
        self.process.ended.connect(self._ended)
        self._doc: Any = None
        self._space = SweepSpace()
        self._metric = ""
        self._direction = "maximize"
        self._overrides: dict[str, Any] = {}
        self._rows: dict[int, dict[str, Any]] = {}
        self._temp: str | None = None
        self._plot: Any = None
        self._build()

    # --- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        outer.addLayout(top)

        left = QVBoxLayout()
        top.addLayout(left, 3)
        self.dimensions = QTableWidget(0, 3, self)
        self.dimensions.setHorizontalHeaderLabels(["Parameter", "Values (v1,v2 or low..high)", "Log"])
        self.dimensions.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.dimensions.verticalHeader().setVisible(False)
        self.dimensions.setMaximumHeight(130)
        self.dimensions.setToolTip("Right-click a parameter in the Inspector and choose \"Sweep this…\", or add "
                                   "one below. Edit the values in place.")
        left.addWidget(self.dimensions)
        add_row = QHBoxLayout()
        self.add_edit = QLineEdit(self)
        self.add_edit.setPlaceholderText("learning_rate=0.0001..0.1   or   hidden_1.units=8,16,32")
        self.add_edit.returnPressed.connect(self._add_typed)
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self.add_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_edit.setCompleter(completer)
        self.add_button = QPushButton("Add", self)
        self.add_button.clicked.connect(self._add_typed)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self._remove_selected)
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        left.addLayout(add_row)

        form = QFormLayout()
        top.addLayout(form, 1)
        self.trials_spin = QSpinBox(self)
        self.trials_spin.setRange(1, 1000)
        self.trials_spin.setValue(6)
        self.metric_combo = QComboBox(self)
        self.metric_combo.setEditable(True)
        self.sampler_combo = QComboBox(self)
        for key, label in SAMPLER_LABELS:
            self.sampler_combo.addItem(label, key)
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(1, 16)
        self.epochs_spin = QSpinBox(self)
        self.epochs_spin.setRange(0, 100_000)
        self.epochs_spin.setSpecialValueText("project's")
        form.addRow("Trials", self.trials_spin)
        form.addRow("Optimize", self.metric_combo)
        form.addRow("Search", self.sampler_combo)
        form.addRow("Workers", self.workers_spin)
        form.addRow("Epochs", self.epochs_spin)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start sweep", self)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.apply_button = QPushButton("Apply best", self)
        self.apply_button.setEnabled(False)
        self.apply_button.setToolTip("Put the best trial's values into the project (one undo step)")
        self.apply_button.clicked.connect(self.apply_best)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.apply_button)
        form.addRow(buttons)

        self.status_label = QLabel("Add a parameter to sweep, then Start.", self)
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet(f"color: {TEXT_MUTED}")
        outer.addWidget(self.status_label)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.table = QTableWidget(0, 0, self.splitter)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.open_logs_action = QAction("Open TensorBoard log folder", self.table)
        self.open_logs_action.setEnabled(False)
        self.open_logs_action.triggered.connect(self.open_selected_logs)
        self.table.addAction(self.open_logs_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_logs_action.setEnabled(bool(self.selected_log_folder())))
        self.plot_holder = QWidget(self.splitter)
        QVBoxLayout(self.plot_holder).setContentsMargins(0, 0, 0, 0)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([600, 400])
        outer.addWidget(self.splitter, 1)

    # --- dimensions -----------------------------------------------------------------------------------
    def document(self) -> Any:
        return self._document_source()

    def refresh_metrics(self) -> None:
        """Offer the metrics the project's training reports (the typed text is kept)."""
        document = self.document()
        training = document.project.training if document is not None else {}
        current = self.metric_combo.currentText() or default_metric(training)
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        self.metric_combo.addItems(available_metrics(training))
        self.metric_combo.setCurrentText(current)
        self.metric_combo.blockSignals(False)
        if document is not None:
            self._names.setStringList(sweepable_names(document))

    def dimension_specs(self) -> tuple[list[str], list[str]]:
        """(``NAME=values`` specs, names searched on a log scale), as the table shows them."""
        specs, logs = [], []
        for row in range(self.dimensions.rowCount()):
            name = self.dimensions.item(row, 0).text()
            specs.append(f"{name}={self.dimensions.item(row, 1).text().strip()}")
            if self.dimensions.item(row, 2).checkState() == Qt.CheckState.Checked:
                logs.append(name)
        return specs, logs

    def add_dimension(self, name: str, values: str | None = None, log: bool | None = None) -> bool:
        """Add (or focus) a dimension; without ``values`` it starts around the current value."""
        document = self.document()
        graph, training = document.graph, document.project.training
        try:
            spec = f"{name}={values}" if values is not None else dimension_for(name, graph,
                                                                              current_value(name, graph, training))
        except SweepSpaceError as err:
            self._say(str(err), ERROR)
            return False
        values_text = split_spec(spec)[1]
        ranged = ".." in values_text
        use_log = is_log_default(name) if log is None else log
        for row in range(self.dimensions.rowCount()):
            if self.dimensions.item(row, 0).text() == name:
                self.dimensions.item(row, 1).setText(values_text)
                self.dimensions.selectRow(row)
                return True
        row = self.dimensions.rowCount()
        self.dimensions.insertRow(row)
        self.dimensions.setItem(row, 0, _item(name))
        self.dimensions.setItem(row, 1, _item(values_text, editable=True))
        check = _item("")
        check.setFlags(check.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        check.setCheckState(Qt.CheckState.Checked if use_log and ranged else Qt.CheckState.Unchecked)
        self.dimensions.setItem(row, 2, check)
        self.dimensions.resizeColumnToContents(0)
        self.refresh_metrics()
        self._say(f"{name} added; edit its values, then Start.", TEXT_MUTED)
        return True

    def _add_typed(self) -> None:
        text = self.add_edit.text().strip()
        if not text:
            return
        name, sep, values = text.partition("=")
        if self.add_dimension(name.strip(), values.strip() if sep and values.strip() else None):
            self.add_edit.clear()

    def _remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.dimensions.selectedIndexes()}, reverse=True)
        for row in rows or [self.dimensions.rowCount() - 1]:
            if row >= 0:
                self.dimensions.removeRow(row)

    def _say(self, text: str, colour: str = TEXT_MUTED) -> None:
        self.status_label.setStyleSheet(f"color: {colour}")
        self.status_label.setText(text)

    # --- running ----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process.running

    def start(self) -> bool:
        """Check the sweep and start it in a child process; False (with the reason shown) if it cannot."""
        if self.running:
            return False
        document = self.document()
        specs, logs = self.dimension_specs()
        try:
            space = parse_space(specs, document.graph, logs)
        except SweepSpaceError as err:
            self._say(str(err), ERROR)
            return False
        if not document.project.dataset:
            self._say("Choose a dataset in the Training dock first.", ERROR)
            return False
        metric = self.metric_combo.currentText().strip() or default_metric(document.project.training)
        if metric not in available_metrics(document.project.training):
            self._say(f"{metric}: training does not report it; choose one of "
                      f"{', '.join(available_metrics(document.project.training))}", ERROR)
            return False
        arguments = self._arguments(document, space, specs, logs, metric)
        self._doc, self._space, self._metric = document, space, metric
        self._direction = metric_direction(metric)
        self._overrides = {"epochs": self.epochs_spin.value()} if self.epochs_spin.value() else {}
        self._rows = {}
        self._setup_table()
        self._setup_plots()
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.apply_button.setEnabled(False)
        self._say("Starting the sweep (TensorFlow loads in the sweep's own process)…", TEXT_MUTED)
        self.process.start(arguments)
        return True

    def _arguments(self, document: Any, space: SweepSpace, specs: list[str], logs: list[str], metric: str) -> list[str]:
        from app.core.project import Project, save_project

        self._cleanup()
        self._temp = tempfile.mkdtemp(prefix="layerforge-sweep-")
        snapshot = Path(self._temp) / "snapshot.json"
        project = document.project
        save_project(Project(graph=document.graph.copy(), name=project.name, training=copy.deepcopy(project.training),
                             dataset=copy.deepcopy(project.dataset)), snapshot)
        if document.path is not None:
            base_dir = Path(document.path).resolve().parent
            stem = Path(document.path).stem or "project"
            study = base_dir / f"{stem}.sweeps" / f"{stem}.journal"
        else:
            base_dir, study = Path(self._temp), Path(self._temp) / "study.journal"
        stem = re.sub(r"[^A-Za-z0-9]+", "_", Path(document.path).stem if document.path else project.name).strip("_")
        name = f"{stem.lower() or 'project'}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        arguments = [str(snapshot), "--base-dir", str(base_dir), "--study", str(study), "--study-name", name,
                     "--no-history",
                     "--trials", str(self.trials_spin.value()), "--metric", metric,
                     "--sampler", str(self.sampler_combo.currentData()), "--workers", str(self.workers_spin.value())]
        if self.epochs_spin.value():
            arguments += ["--epochs", str(self.epochs_spin.value())]
        for spec in specs:
            arguments += ["--param", spec]
        for name in logs:
            arguments += ["--log", name]
        return arguments

    def stop(self) -> None:
        if self.running:
            self._say("Stopping after the current batch of each trial…", WARNING)
            self.process.stop()

    def _cleanup(self) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def shutdown(self) -> None:
        """Stop the child and wait for it (the window is closing)."""
        if self.running:
            self.process.process.terminate()
            if not self.process.process.waitForFinished(5000):
                self.process.process.kill()
                self.process.process.waitForFinished(2000)
        self._cleanup()

    # --- events from the sweep ------------------------------------------------------------------------
    def _event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            self._direction = str(event.get("direction", self._direction))
            where = (f"Study: {event.get('study')}" if self._doc is not None and self._doc.path is not None
                     else "The study is temporary: save the project to keep studies beside it.")
            self._say(f"Sweep {event.get('study_name')}: {event.get('trials')} trials, {self._direction} "
                      f"{self._metric}. {where}", TEXT_MUTED)
        elif kind == "running":
            self._update_row(int(event["trial"]), event.get("values") or {}, "running", event.get("value"),
                             event.get("seconds"), epoch=int(event.get("epoch") or 0))
        elif kind == "epoch":
            logs = event.get("logs") or {}
            row = self._rows.get(int(event["trial"]), {})
            self._update_row(int(event["trial"]), row.get("values", {}), "running", logs.get(self._metric),
                             None, epoch=int(event.get("epoch") or 0))
        elif kind == "trial":
            self._trial_done(event)
        elif kind == "note":
            self._say(str(event.get("text", "")), WARNING)
        elif kind == "done":
            counts = event.get("counts") or {}
            best = event.get("best")
            text = (f"Done in {float(event.get('seconds') or 0):.1f} s: {counts.get('finished', 0)} finished, "
                    f"{counts.get('pruned', 0)} pruned, {counts.get('failed', 0)} failed.")
            if best:
                text += f" Best: trial {best['trial']}, {self._metric} {format_value(best['value'])}."
            self._say(text, VALID_TARGET if best else ERROR)

    def _trial_done(self, event: Mapping[str, Any]) -> None:
        number = int(event["trial"])
        state = str(event.get("state"))
        record = event.get("record")
        logs = record.get("tensorboard_log") if isinstance(record, dict) else None
        if isinstance(logs, str) and logs:  # shown by the row's tooltip, opened from the table's menu
            self._rows.setdefault(number, {"values": {}, "state": "running", "value": None})["tensorboard_log"] = logs
        self._update_row(number, event.get("values") or {}, state, event.get("value"), event.get("seconds"),
                         reason=str(event.get("reason") or ""))
        if isinstance(record, dict):
            self._rows[number]["run_id"] = record.get("id")
            self._record(record)
        self._redraw()
        self.apply_button.setEnabled(self.best() is not None)

    def _record(self, record: dict[str, Any]) -> None:
        """Keep the trial in the history of the document the sweep started from (if still open)."""
        document = self._doc
        try:
            if document is None or document is not self.document():
                return
            document.add_run(record)
        except RuntimeError:  # the document was closed meanwhile
            return
        self.trial_recorded.emit(str(record.get("id")))
        if self.overlay is not None:
            with contextlib.suppress(RuntimeError):
                self.overlay(str(record.get("id")))

    def _ended(self, code: int, stderr: str) -> None:
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self._cleanup()
        if code not in (0, 130) or not any(r["state"] == "finished" for r in self._rows.values()):
            errors = [line.removeprefix("error: ").strip() for line in stderr.splitlines()
                      if line.startswith(("error:", "  - "))]
            if errors:
                self._say("The sweep stopped: " + " ".join(errors[:4]), ERROR)
            elif code not in (0, 130) and not self._rows:
                tail = [line for line in stderr.splitlines() if line.strip()][-2:]
                self._say(f"The sweep ended with exit code {code}. " + " ".join(tail), ERROR)
        self._doc = None
        self.apply_button.setEnabled(self.best() is not None)
        self.sweep_ended.emit(code)

    # --- the table ------------------------------------------------------------------------------------
    def _columns(self) -> list[str]:
        return ["Trial", *self._space.names(), self._metric, "Status", "Time"]

    def _setup_table(self) -> None:
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setRowCount(0)
        columns = self._columns()
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setSortingEnabled(True)

    def _find_row(self, number: int) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(SORT_ROLE) == number:
                return row
        return -1

    def _update_row(self, number: int, values: Mapping[str, Any], state: str, value: Any, seconds: Any, *,
                    epoch: int = 0, reason: str = "") -> None:
        info = self._rows.setdefault(number, {"values": {}, "state": "running", "value": None})
        if values:
            info["values"] = dict(values)
        if info["state"] != "running" and state == "running":
            return  # a late progress line for a trial already ended
        info["state"] = state
        if value is not None and isinstance(value, (int, float)) and math.isfinite(value):
            info["value"] = float(value)
        elif state != "running":
            info["value"] = None
        if seconds is not None:
            info["seconds"] = float(seconds)
        self.table.setSortingEnabled(False)
        row = self._find_row(number)
        if row < 0:
            row = self.table.rowCount()
            self.table.insertRow(row)
        cells = [_item(str(number), number)]
        for name in self._space.names():
            v = info["values"].get(name)
            cells.append(_item("…" if v is None else format_value(v), v if isinstance(v, (int, float)) else None))
        shown = info["value"]
        worst = -math.inf if self._direction == "maximize" else math.inf  # sorted best-first, they come last
        cells.append(_item("—" if shown is None else f"{shown:.4f}", worst if shown is None else shown))
        status = f"running · epoch {epoch}" if state == "running" and epoch else state
        status_item = _item(status)
        if state in STATE_COLORS:
            status_item.setForeground(QColor(STATE_COLORS[state]))
        if reason:
            status_item.setToolTip(reason)
        cells.append(status_item)
        secs = info.get("seconds")
        cells.append(_item("" if secs is None else f"{secs:.1f} s", secs))
        logs = info.get("tensorboard_log")
        tip = "\n".join([*([reason] if reason else []), *([f"TensorBoard logs: {logs}"] if logs else [])])
        for column, cell in enumerate(cells):
            if tip:
                cell.setToolTip(tip)
            self.table.setItem(row, column, cell)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()

    def selected_log_folder(self) -> str:
        """The TensorBoard log folder of the selected trial; "" when none is selected or it did not log."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        item = self.table.item(rows[0].row(), 0) if rows else None
        number = item.data(SORT_ROLE) if item is not None else None
        return str(self._rows.get(number, {}).get("tensorboard_log") or "") if isinstance(number, int) else ""

    def open_selected_logs(self) -> bool:
        """Open the selected trial's log folder in the desktop's file manager; False (and why) if it cannot."""
        folder = self.selected_log_folder()
        if not folder:
            return False
        if not os.path.isdir(folder):
            self._say(f"The TensorBoard log folder {folder} no longer exists.", ERROR)
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            self._say(f"Could not open {folder}.", ERROR)
            return False
        return True

    def rows(self) -> dict[int, dict[str, Any]]:
        """Trial number -> ``values``, ``state``, ``value``, ``seconds`` (tests and Apply best read it)."""
        return self._rows

    def best(self) -> tuple[int, dict[str, Any]] | None:
        done = [(n, r) for n, r in self._rows.items() if r["state"] == "finished" and r["value"] is not None]
        if not done:
            return None
        sign = -1.0 if self._direction == "maximize" else 1.0
        return min(done, key=lambda item: (sign * item[1]["value"], item[0]))

    # --- the scatter plots ------------------------------------------------------------------------------
    def _setup_plots(self) -> None:
        import pyqtgraph as pg

        layout = self.plot_holder.layout()
        if self._plot is None:
            self._plot = pg.GraphicsLayoutWidget(self.plot_holder)
            self._plot.setBackground("w")
            self._plot.setMinimumHeight(150)
            layout.addWidget(self._plot)
        self._plot.clear()
        self._plot_items: list[tuple[Any, Any]] = []
        for index, dim in enumerate(self._space.dimensions):
            item = self._plot.addPlot(row=0, col=index)
            item.setLabel("bottom", dim.name)
            if index == 0:
                item.setLabel("left", self._metric)
            item.showGrid(x=True, y=True, alpha=0.15)
            item.setMenuEnabled(False)
            for axis in ("left", "bottom"):
                item.getAxis(axis).enableAutoSIPrefix(False)  # values as they are, no "(x0.001)" factor
            if dim.log:
                item.setLogMode(x=True, y=False)
            if not dim.is_range and dim.kind not in ("int", "float"):
                ticks = [(i, format_value(v)) for i, v in enumerate(dim.values)]
                item.getAxis("bottom").setTicks([ticks])
            scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#1E6FD9"), brush=pg.mkBrush(30, 111, 217, 120))
            item.addItem(scatter)
            best = pg.ScatterPlotItem(size=14, symbol="star", pen=pg.mkPen(VALID_TARGET),
                                      brush=pg.mkBrush(VALID_TARGET))
            item.addItem(best)
            self._plot_items.append((scatter, best))

    def _x(self, dim: Any, value: Any) -> float | None:
        if not dim.is_range and dim.kind not in ("int", "float"):
            return float(dim.values.index(value)) if value in dim.values else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)

    def _redraw(self) -> None:
        if self._plot is None:
            return
        best = self.best()
        for dim, (scatter, best_item) in zip(self._space.dimensions, self._plot_items, strict=False):
            xs, ys = [], []
            for info in self._rows.values():
                x = self._x(dim, info["values"].get(dim.name))
                if info["state"] == "finished" and info["value"] is not None and x is not None:
                    xs.append(x)
                    ys.append(info["value"])
            scatter.setData(xs, ys)
            if best is not None:
                x = self._x(dim, best[1]["values"].get(dim.name))
                best_item.setData([x] if x is not None else [], [best[1]["value"]] if x is not None else [])

    def plotted_points(self) -> list[int]:
        """Points per dimension plot (tests)."""
        return [len(scatter.data) for scatter, _best in getattr(self, "_plot_items", [])]

    # --- apply best -------------------------------------------------------------------------------------
    def apply_best(self) -> bool:
        """The best trial's values (and the sweep's epochs) into the project, as one undo step."""
        best = self.best()
        document = self.document()
        if best is None or document is None:
            return False
        number, info = best
        values = info["values"]
        layer_changes: list[tuple[str, str, Any]] = []
        settings: dict[str, Any] = dict(self._overrides)
        for dim in self._space.dimensions:
            if dim.name not in values:
                continue
            if dim.node is None:
                settings[dim.key] = values[dim.name]
                continue
            node = document.graph.node_by_name(dim.node)
            if node is None:
                self._say(f"Cannot apply: the model no longer has a layer named '{dim.node}'.", ERROR)
                return False
            layer_changes.append((node.id, dim.key, values[dim.name]))
        try:
            document.undo_stack.beginMacro(f"Apply best trial #{number}")
            try:
                if layer_changes:
                    document.edit(f"Apply best trial #{number}",
                                  lambda g: [g.set_param(nid, key, value) for nid, key, value in layer_changes])
                if settings:
                    document.set_training(settings)
            finally:
                document.undo_stack.endMacro()
        except PermissionError as err:
            self._say(f"Cannot apply while training runs: {err}", ERROR)
            return False
        self._say(f"Applied trial {number}: "
                  + ", ".join(f"{k}={format_value(v)}" for k, v in values.items()) + " (Ctrl+Z undoes it).",
                  VALID_TARGET)
        self.best_applied.emit(number)
        return True


def sweepable_names(document: Any) -> list[str]:
    """Every name the add field completes: training settings, then each layer's numeric parameters."""
    names = list(SWEEPABLE_SETTINGS)
    for node in document.graph.nodes():
        spec = node.spec
        for param in spec.params if spec is not None else ():
            if param.kind.value in ("int", "float", "choice", "activation", "bool"):
                names.append(f"{node.name}.{param.name}")
    return names
