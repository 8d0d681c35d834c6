"""What a finished run achieved: how it ended, test metrics, and what the model gets right and wrong.

:class:`ResultsView` reads a :class:`app.keras_bridge.training.TrainingResult`: its status and
reason, ``test_metrics``, and, to judge the model on data it never saw, ``prepared.test`` (the
test inputs and targets as the model was fed them) with ``test_predictions`` (the model's
first output on them). From those it draws a confusion matrix for classifiers, a grid of
sample predictions for images (mistakes in red), a table of texts, and predicted-vs-actual
plots for regression and time series. All of it is numpy over the test split (a few thousand
samples at most), so it is drawn at once on the GUI thread.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import ERROR, TEXT, TEXT_MUTED, VALID_TARGET, WARNING, mix
from app.gui.training.preview import MAX_POINTS, ImageGrid, RowsModel, as_images, empty_label, make_table_view
from app.gui.widgets import (
    add_legend,
    class_ids,
    class_label,
    color_for,
    decode_tokens,
    format_number,
    make_plot_widget,
)

SAMPLE_COUNT = 16
TEXT_ROWS = 100
STATUS_STYLE = {"finished": ("Finished", VALID_TARGET), "stopped": ("Stopped", WARNING), "failed": ("Failed", ERROR)}
HEAT = QColor("#1E5AA8")
"""The confusion matrix's full-strength colour (one blue, so it reads as 'more', not as 'wrong')."""

METRIC_NAMES = {"loss": "Loss", "accuracy": "Accuracy", "top3_accuracy": "Top-3 accuracy", "auc": "AUC",
                "precision": "Precision", "recall": "Recall", "mae": "Mean absolute error",
                "mse": "Mean squared error", "rmse": "Root mean squared error"}
PERCENT_METRICS = {"accuracy", "top3_accuracy", "precision", "recall"}


def metric_text(name: str, value: Any) -> str:
    """"93.3 %" for shares, 3-4 significant digits otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if name.removeprefix("val_") in PERCENT_METRICS and 0.0 <= number <= 1.0:
        return f"{100 * number:.1f} %"
    return f"{number:.4g}"


def predicted_classes(predictions: np.ndarray) -> np.ndarray | None:
    """Class ids from a classifier's output: argmax of a softmax, or a sigmoid unit cut at 0.5
    (at 0 when the output is a logit, i.e. outside 0..1)."""
    p = np.asarray(predictions)
    if p.ndim == 2 and p.shape[1] > 1:
        return np.argmax(p, axis=1).astype(np.int64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim != 1 or p.size == 0:
        return None
    if np.issubdtype(p.dtype, np.integer):
        return p.astype(np.int64)
    threshold = 0.5 if (np.nanmin(p) >= 0.0 and np.nanmax(p) <= 1.0) else 0.0
    return (p > threshold).astype(np.int64)


def confusion_counts(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts[i, j] = samples of class i predicted as j (sklearn's convention).

    Counted with numpy: importing sklearn.metrics on the GUI thread stalled it for 0.1-0.3 s.
    Labels outside 0..n_classes-1 are left out, as sklearn does with ``labels=``.
    """
    true = np.asarray(true, dtype=np.int64).ravel()
    predicted = np.asarray(predicted, dtype=np.int64).ravel()
    keep = (true >= 0) & (true < n_classes) & (predicted >= 0) & (predicted < n_classes)
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (true[keep], predicted[keep]), 1)
    return counts


MIN_CELL = 26
"""The narrowest a confusion-matrix column gets before the table scrolls instead."""
CELL_PADDING = 14


class ConfusionTable(QTableWidget):
    """The confusion matrix as a grid of equal cells that fits the room it is given.

    Cells are as wide as the widest count (or class name) where there is room, and narrower
    (down to :data:`MIN_CELL`) where there is not, so ten or twenty classes fit a docked panel
    without a column cut off; only beyond that does the table scroll. Rows follow the font,
    so presenter mode's larger text still fits its cells.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widest = MIN_CELL
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setMinimumSectionSize(MIN_CELL)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 80)

    def fit(self) -> None:
        """Size the cells from the contents and the font, then to the room there is."""
        n = self.columnCount()
        metrics = self.fontMetrics()
        texts = [self.horizontalHeaderItem(c).text() for c in range(n) if self.horizontalHeaderItem(c)]
        texts += [self.item(r, c).text() for r in range(self.rowCount()) for c in range(n) if self.item(r, c)]
        self._widest = max([MIN_CELL, *(metrics.horizontalAdvance(t) + CELL_PADDING for t in texts)])
        row_height = max(24, metrics.height() + 10)
        self.verticalHeader().setDefaultSectionSize(row_height)
        for row in range(self.rowCount()):
            self.verticalHeader().resizeSection(row, row_height)
        # Never wider or taller than the whole matrix: the space left over stays empty, not grey.
        # (When it is squeezed, a scroll bar takes room from the cells, which then narrow.)
        frame = 2 * self.frameWidth()
        side = self.verticalHeader().sizeHint().width()
        top = self.horizontalHeader().sizeHint().height()
        self.setMaximumWidth(side + n * self._widest + frame)
        self.setMaximumHeight(top + self.rowCount() * row_height + frame)
        self._fit_columns()

    def _fit_columns(self) -> None:
        n = self.columnCount()
        if not n:
            return
        room = self.viewport().width()  # without the row labels and any scroll bar
        width = max(MIN_CELL, min(self._widest, room // n))
        header = self.horizontalHeader()
        for column in range(n):
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def column_width(self) -> int:
        return self.horizontalHeader().sectionSize(0) if self.columnCount() else 0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode: bigger text, bigger cells
            self.fit()


def first_value(arrays: Any) -> np.ndarray | None:
    """The first array of a ``{name: array}`` dict (the first input / output), or the array itself."""
    if arrays is None:
        return None
    if isinstance(arrays, dict):
        return np.asarray(next(iter(arrays.values()))) if arrays else None
    if isinstance(arrays, (list, tuple)):
        return np.asarray(arrays[0]) if arrays else None
    return np.asarray(arrays)


class ResultsView(QWidget):
    """The outcome of the latest run; ``show_result(None)`` shows the empty state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: Any = None
        self.confusion: np.ndarray | None = None
        self.class_names: list[str] = []
        self.true_classes: np.ndarray | None = None
        self.predicted: np.ndarray | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)
        self.empty_page = empty_label("Train the model to see its results here: test metrics, a confusion matrix "
                                      "for classifiers, sample predictions and predicted-vs-actual plots.",
                                      self.stack)
        self.stack.addWidget(self.empty_page)

        page = QWidget(self.stack)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.setSpacing(8)
        self.status_label = QLabel(page)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label.setMinimumWidth(72)
        head.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignTop)
        self.reason_label = QLabel(page)
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.reason_label, 1)
        layout.addLayout(head)
        self.meta_label = QLabel(page)
        self.meta_label.setStyleSheet(f"color: {TEXT_MUTED};")
        self.meta_label.setWordWrap(True)
        layout.addWidget(self.meta_label)
        self.notes_label = QLabel(page)
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.RichText)
        self.notes_label.setStyleSheet(f"color: {TEXT_MUTED};")
        self.notes_label.setToolTip("What was done to the data so it fits the model, and remarks on the settings.")
        layout.addWidget(self.notes_label)

        self.metrics_table = QTableWidget(0, 2, page)
        self.metrics_table.setHorizontalHeaderLabels(["Test metric", "Value"])
        self.metrics_table.verticalHeader().hide()
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.metrics_table.setAlternatingRowColors(True)
        self.metrics_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.metrics_table.verticalHeader().setDefaultSectionSize(24)
        self.metrics_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.metrics_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.metrics_table.setToolTip("The model's numbers on the test split: data it never trained on.")
        layout.addWidget(self.metrics_table)
        self.no_test_label = QLabel(page)
        self.no_test_label.setWordWrap(True)
        self.no_test_label.setStyleSheet(f"color: {TEXT_MUTED};")
        layout.addWidget(self.no_test_label)

        self.tabs = QTabWidget(page)
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        # Confusion matrix
        confusion_page = QWidget()
        confusion_layout = QVBoxLayout(confusion_page)
        confusion_layout.setContentsMargins(0, 4, 0, 0)
        self.confusion_caption = QLabel(confusion_page)
        self.confusion_caption.setWordWrap(True)
        confusion_layout.addWidget(self.confusion_caption)
        self.confusion_table = ConfusionTable(confusion_page)
        confusion_layout.addWidget(self.confusion_table, 1)
        confusion_layout.addStretch(0)
        self.tabs.addTab(confusion_page, "Confusion matrix")

        # Sample predictions (images)
        samples_page = QWidget()
        samples_layout = QVBoxLayout(samples_page)
        samples_layout.setContentsMargins(0, 4, 0, 0)
        samples_top = QHBoxLayout()
        self.samples_caption = QLabel(samples_page)
        self.samples_caption.setWordWrap(True)
        samples_top.addWidget(self.samples_caption, 1)
        self.samples_filter = QComboBox(samples_page)
        self.samples_filter.addItem("All test samples", False)
        self.samples_filter.addItem("Mistakes only", True)
        self.samples_filter.setToolTip("Show the first test samples, or only those the model got wrong.")
        self.samples_filter.currentIndexChanged.connect(self._show_samples)
        samples_top.addWidget(self.samples_filter)
        samples_layout.addLayout(samples_top)
        self.samples = ImageGrid(samples_page, columns=8, size=72)
        samples_layout.addWidget(self.samples, 1)
        self.tabs.addTab(samples_page, "Sample predictions")

        # Text predictions
        self.text_model = RowsModel(parent=self)
        self.text_table = make_table_view(self.text_model)
        self.tabs.addTab(self.text_table, "Text predictions")

        # Predicted vs actual
        scatter_page = QWidget()
        scatter_layout = QVBoxLayout(scatter_page)
        scatter_layout.setContentsMargins(0, 4, 0, 0)
        self.scatter_caption = QLabel(scatter_page)
        self.scatter_caption.setWordWrap(True)
        scatter_layout.addWidget(self.scatter_caption)
        self.scatter_plot = make_plot_widget(scatter_page, x_label="actual", y_label="predicted")
        scatter_layout.addWidget(self.scatter_plot, 1)
        self.tabs.addTab(scatter_page, "Predicted vs actual")

        # Over time
        self.time_plot = make_plot_widget(x_label="test sample (in time order)", y_label="value")
        add_legend(self.time_plot)
        self.tabs.addTab(self.time_plot, "Over time")
        self.stack.addWidget(page)
        self.result_page = page
        self._plot_items: list[tuple[pg.PlotWidget, pg.GraphicsObject]] = []
        self._images: np.ndarray | None = None
        self.show_result(None)

    # --- public -------------------------------------------------------------------------------

    @property
    def result(self) -> Any:
        return self._result

    def visible_tabs(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count()) if self.tabs.isTabVisible(i)]

    def metric_rows(self) -> list[tuple[str, str]]:
        return [(self.metrics_table.item(r, 0).text(), self.metrics_table.item(r, 1).text())
                for r in range(self.metrics_table.rowCount())]

    def sample_captions(self) -> list[str]:
        return self.samples.captions()

    def show_result(self, result: Any) -> None:
        """Show ``result`` (a TrainingResult or anything with its attributes), or the empty state."""
        self._result = result
        self._reset()
        if result is None:
            self.stack.setCurrentWidget(self.empty_page)
            return
        self.stack.setCurrentWidget(self.result_page)
        status = str(getattr(result, "status", "") or "")
        title, color = STATUS_STYLE.get(status, (status.capitalize() or "Done", TEXT_MUTED))
        self.status_label.setText(title)
        self.status_label.setStyleSheet(f"background: {color}; color: white; border-radius: 4px; padding: 2px 8px; "
                                        "font-weight: bold;")
        reason = str(getattr(result, "reason", "") or "")
        self.reason_label.setText(reason)
        self.reason_label.setStyleSheet(f"color: {ERROR};" if status == "failed" else f"color: {TEXT};")
        self.meta_label.setText(self._meta_text(result))
        notes = [str(n) for n in (getattr(result, "notes", None) or [])]
        self.notes_label.setText("<br>".join(f"• {html.escape(n)}" for n in notes))
        self.notes_label.setVisible(bool(notes))
        self._show_metrics(getattr(result, "test_metrics", None) or {})
        try:
            self._show_predictions(result)
        except Exception as err:  # a view of the results must not lose the result itself
            self._hide_all_tabs()
            self.no_test_label.setText(f"Could not draw the predictions ({type(err).__name__}: {err}).")
            self.no_test_label.show()

    # --- header -------------------------------------------------------------------------------

    @staticmethod
    def _meta_text(result: Any) -> str:
        parts = []
        epochs = getattr(result, "epochs_run", None)
        if epochs:
            parts.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
        seconds = getattr(result, "seconds", None)
        if seconds:
            minutes, secs = divmod(float(seconds), 60)
            parts.append(f"{int(minutes)} min {secs:.0f} s" if minutes >= 1 else f"{secs:.1f} s")
        device = getattr(result, "device", "")
        if device:
            parts.append(f"on {device}")
        ds = getattr(result, "dataset", None)
        if ds is not None:
            parts.append(f"data: {getattr(ds, 'title', '') or getattr(ds, 'name', '')}")
        return " · ".join(parts)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self._result is not None:  # presenter mode
            self._show_metrics(getattr(self._result, "test_metrics", None) or {})

    def _show_metrics(self, metrics: dict[str, Any]) -> None:
        table = self.metrics_table
        table.setRowCount(len(metrics))
        for row, (name, value) in enumerate(metrics.items()):
            label = QTableWidgetItem(METRIC_NAMES.get(name, name.replace("_", " ").capitalize()))
            label.setToolTip(name)
            number = QTableWidgetItem(metric_text(name, value))
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, 0, label)
            table.setItem(row, 1, number)
        table.setVisible(bool(metrics))
        table.verticalHeader().setDefaultSectionSize(max(24, table.fontMetrics().height() + 8))
        for row in range(len(metrics)):
            table.setRowHeight(row, table.verticalHeader().defaultSectionSize())
        height = table.horizontalHeader().sizeHint().height() + sum(table.rowHeight(r) for r in range(len(metrics))) + 4
        table.setFixedHeight(min(height, 220))

    # --- predictions --------------------------------------------------------------------------

    def _reset(self) -> None:
        self.confusion = None
        self.class_names = []
        self.true_classes = None
        self.predicted = None
        self._images = None
        for plot, item in self._plot_items:
            plot.getPlotItem().removeItem(item)
        self._plot_items = []
        legend = self.time_plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        self.samples.set_images([], [])
        self.samples_filter.show()
        self.tabs.setTabText(self.tabs.indexOf(self.samples.parentWidget()), "Sample predictions")
        self.text_model.set_rows([], [])
        self.no_test_label.hide()
        self._hide_all_tabs()

    def _hide_all_tabs(self) -> None:
        for i in range(self.tabs.count()):
            self.tabs.setTabVisible(i, False)
        self.tabs.hide()

    def _show_tab(self, widget: QWidget) -> None:
        self.tabs.setTabVisible(self.tabs.indexOf(widget), True)
        self.tabs.show()

    def _show_predictions(self, result: Any) -> None:
        prepared = getattr(result, "prepared", None)
        test = getattr(prepared, "test", None) if prepared is not None else None
        predictions = getattr(result, "test_predictions", None)
        if getattr(result, "status", "") == "failed":
            return
        if test is None or predictions is None:
            self.no_test_label.setText("No predictions to show: set a test split above 0 to judge the model on "
                                       "data it never trained on.")
            self.no_test_label.show()
            return
        x = first_value(test[0])
        y = first_value(test[1])
        predictions = np.asarray(predictions)
        if y is None or len(y) != len(predictions):
            self.no_test_label.setText("The predictions and the test targets do not line up; nothing to compare.")
            self.no_test_label.show()
            return
        ds = getattr(result, "dataset", None)
        task = getattr(prepared, "task", None) or getattr(ds, "task", "")
        names = list(getattr(prepared, "class_names", None) or getattr(ds, "class_names", None) or [])
        kind = getattr(ds, "kind", "")
        if task == "classification" and self._show_confusion(y, predictions, names):
            if kind == "image" and x is not None:
                self._images = as_images(x, getattr(ds, "image_shape", None))
                if self._images is not None:
                    self._show_samples()
                    self._show_tab(self.samples.parentWidget())
            elif kind == "text" and x is not None and x.ndim == 2:
                self._show_texts(x, getattr(ds, "vocabulary", None))
            self.tabs.setCurrentIndex(0)
            return
        if kind == "image" and y.shape == predictions.shape:
            self._show_reconstructions(y, predictions, getattr(ds, "image_shape", None))
        self._show_regression(y, predictions, ordered=bool(getattr(ds, "ordered", False)))

    def _show_confusion(self, y: np.ndarray, predictions: np.ndarray, names: Sequence[str]) -> bool:
        true = class_ids(y)
        predicted = predicted_classes(predictions)
        if true is None or predicted is None or len(true) != len(predicted):
            return False
        n = max(len(names), int(true.max(initial=-1)) + 1, int(predicted.max(initial=-1)) + 1, 1)
        self.class_names = [class_label(names, i) for i in range(n)]
        self.true_classes, self.predicted = true, predicted
        counts = confusion_counts(true, predicted, n)
        self.confusion = counts
        table = self.confusion_table
        table.clear()
        table.setRowCount(n)
        table.setColumnCount(n)
        table.setHorizontalHeaderLabels(self.class_names)
        table.setVerticalHeaderLabels(self.class_names)
        for i in range(n):
            table.horizontalHeaderItem(i).setToolTip(f"predicted: {self.class_names[i]}")
            table.verticalHeaderItem(i).setToolTip(f"true class: {self.class_names[i]}")
        row_totals = counts.sum(axis=1)
        white = QColor("#FFFFFF")
        for i in range(n):
            for j in range(n):
                count = int(counts[i, j])
                share = count / row_totals[i] if row_totals[i] else 0.0
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(mix(HEAT, white, 0.08 + 0.92 * share if count else 0.0)))
                item.setForeground(QBrush(white if share > 0.5 else QColor(TEXT)))
                if i == j:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                true_name, predicted_name = self.class_names[i], self.class_names[j]
                item.setToolTip(f"{count} '{true_name}' sample{'s' if count != 1 else ''} predicted as "
                                f"'{predicted_name}' ({100 * share:.0f} % of '{true_name}')")
                table.setItem(i, j, item)
        table.fit()  # equal cells read as a grid, not as a ragged table; all of them in view
        correct = int(np.trace(counts))
        total = int(counts.sum())
        accuracy = f"{100 * correct / total:.1f} %" if total else "—"
        self.confusion_caption.setText(
            f"Rows: the true class · columns: what the model predicted. {correct:,} of {total:,} test samples "
            f"right ({accuracy}); darker cells hold a larger share of their row.")
        self._show_tab(self.confusion_table.parentWidget())
        return True

    def _show_samples(self) -> None:
        images, true, predicted = self._images, self.true_classes, self.predicted
        if images is None or true is None or predicted is None:
            return
        wrong = np.flatnonzero(true != predicted)
        mistakes_only = bool(self.samples_filter.currentData())
        indices = wrong[:SAMPLE_COUNT] if mistakes_only else np.arange(min(SAMPLE_COUNT, len(images)))
        captions, colors, tips = [], [], []
        for i in indices:
            t, p = self.class_names[int(true[i])], self.class_names[int(predicted[i])]
            if t == p:
                captions.append(f"✓ {p}")
                colors.append(None)
            else:
                captions.append(f"✗ {p}\ntrue: {t}")
                colors.append(ERROR)
            tips.append(f"test sample {int(i)}: true '{t}', predicted '{p}'")
        self.samples.set_images([images[i] for i in indices], captions, colors, tips)
        shown = "mistakes" if mistakes_only else "test samples"
        extra = f" The model got {len(wrong):,} of {len(true):,} wrong." if len(true) else ""
        if mistakes_only and not len(wrong):
            self.samples_caption.setText("No mistakes on the test split.")
        else:
            self.samples_caption.setText(f"The first {len(indices)} {shown}: the predicted class under each image; "
                                         f"wrong ones in red with the true class.{extra}")

    def _show_reconstructions(self, y: np.ndarray, predictions: np.ndarray, image_shape: Any) -> None:
        """An autoencoder's test images, each next to what the model rebuilt from it."""
        originals = as_images(y, image_shape)
        rebuilt = as_images(predictions, image_shape)
        if originals is None or rebuilt is None:
            return
        count = min(SAMPLE_COUNT // 2, len(originals))
        images, captions, tips = [], [], []
        for i in range(count):
            images += [originals[i], np.clip(rebuilt[i], 0.0, 1.0) if originals[i].max() <= 1.0 else rebuilt[i]]
            captions += [f"#{i} input", f"#{i} output"]
            tips += [f"test sample {i} as given", f"test sample {i} as the model rebuilt it"]
        self.samples.set_images(images, captions, tooltips=tips)
        self.samples_filter.hide()
        self.samples_caption.setText(f"The first {count} test images (left) next to the model's reconstruction "
                                     "(right).")
        self.tabs.setTabText(self.tabs.indexOf(self.samples.parentWidget()), "Reconstructions")
        self._show_tab(self.samples.parentWidget())

    def _show_texts(self, x: np.ndarray, vocabulary: Sequence[str] | None) -> None:
        true, predicted = self.true_classes, self.predicted
        if true is None or predicted is None:
            return
        n = min(TEXT_ROWS, len(x))
        rows, colors = [], []
        for i in range(n):
            t, p = self.class_names[int(true[i])], self.class_names[int(predicted[i])]
            rows.append([decode_tokens(x[i], vocabulary), t, p])
            colors.append(None if t == p else QColor(ERROR))
        self.text_model.set_rows(["text", "true", "predicted"], rows, colors)
        self.text_table.resizeColumnToContents(1)
        header = self.text_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._show_tab(self.text_table)

    def _add(self, plot: pg.PlotWidget, item: pg.GraphicsObject) -> None:
        plot.getPlotItem().addItem(item)
        self._plot_items.append((plot, item))

    def _show_regression(self, y: np.ndarray, predictions: np.ndarray, ordered: bool) -> None:
        actual = np.asarray(y, dtype=np.float64)
        predicted = np.asarray(predictions, dtype=np.float64)
        if actual.size != predicted.size:
            self.no_test_label.setText(f"The model's output ({predicted.shape[1:]}) and the targets "
                                       f"({actual.shape[1:]}) differ in size; nothing to compare.")
            self.no_test_label.show()
            return
        a, p = actual.reshape(-1), predicted.reshape(-1)
        finite = np.isfinite(a) & np.isfinite(p)
        a, p = a[finite], p[finite]
        if a.size == 0:
            self.no_test_label.setText("The predictions are not finite numbers; nothing to plot.")
            self.no_test_label.show()
            return
        step = max(1, a.size // MAX_POINTS)
        self._add(self.scatter_plot, pg.ScatterPlotItem(a[::step], p[::step], size=5, pen=None,
                                                        brush=pg.mkBrush(color_for(0).red(), color_for(0).green(),
                                                                         color_for(0).blue(), 150)))
        low, high = float(min(a.min(), p.min())), float(max(a.max(), p.max()))
        self._add(self.scatter_plot, pg.PlotDataItem([low, high], [low, high],
                                                     pen=pg.mkPen(TEXT_MUTED, width=1, style=Qt.PenStyle.DashLine)))
        self.scatter_plot.getPlotItem().enableAutoRange()
        total = float(((a - a.mean()) ** 2).sum())
        r2 = 1.0 - float(((a - p) ** 2).sum()) / total if total > 0 else float("nan")
        mae = float(np.abs(a - p).mean())
        shown = f"{a[::step].size:,} of {a.size:,} values" if step > 1 else f"{a.size:,} test values"
        self.scatter_caption.setText(f"Each dot is a test value: actual across, predicted up; on the dashed line the "
                                     f"model is exact. R² {format_number(r2)} · mean absolute error "
                                     f"{format_number(mae)} ({shown}).")
        self._show_tab(self.scatter_plot.parentWidget())
        width = actual.reshape(len(actual), -1).shape[1] if actual.ndim > 1 else 1
        if ordered:
            steps = np.arange(len(actual), dtype=np.float64)
            first_actual = actual.reshape(len(actual), -1)[:, 0]
            first_predicted = predicted.reshape(len(predicted), -1)[:, 0]
            self._add(self.time_plot, pg.PlotDataItem(steps, first_actual, pen=pg.mkPen(TEXT_MUTED, width=1.5),
                                                      name="actual"))
            self._add(self.time_plot, pg.PlotDataItem(steps, first_predicted, pen=pg.mkPen(color_for(1), width=1.5),
                                                      name="predicted" if width == 1 else "predicted (first step)"))
            self.time_plot.getPlotItem().enableAutoRange()
            self._show_tab(self.time_plot)
        first_visible = next(i for i in range(self.tabs.count()) if self.tabs.isTabVisible(i))
        self.tabs.setCurrentIndex(first_visible)
