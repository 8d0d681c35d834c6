"""Per-layer histograms of weights and activations, and the share of dead ReLU units.

:class:`HistogramView` lists the layers on the left; choosing one draws its weight
histogram (kernel values) and its activation histogram (over a batch of test samples) on
the right. Below, one line per ReLU layer says how many units never fire on that batch:
"dense_1: 12 of 128 units dead (9%)". The histograms come precomputed
(``app.keras_bridge.insight.Histogram``: ``counts``, ``edges``, ``dead_share``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from app.gui.insight.common import follow_font, message_label, set_message
from app.gui.theme import ERROR, TEXT, TEXT_MUTED
from app.gui.widgets import make_plot_widget

WEIGHT_COLOR = "#3F7CC4"
ACTIVATION_COLOR = "#2E9E5B"
DEAD_WARNING = 0.5
"""A ReLU layer with at least this share of dead units is shown in red."""


def dead_line(name: str, share: float, units: int | None) -> str:
    """"dense_1: 12 of 128 units dead (9%)" (without a unit count: "dense_1: 9% of units dead")."""
    percent = round(100 * share)
    if units:
        dead = round(share * units)
        return f"{name}: {dead} of {units} unit{'s' if units != 1 else ''} dead ({percent}%)"
    return f"{name}: {percent}% of units dead"


class HistogramView(QWidget):
    """Layer list + weight and activation histograms + dead-ReLU lines (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.layer_list = QListWidget(self.splitter)
        self.layer_list.setMinimumWidth(120)
        right = QWidget(self.splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.message = message_label("", right)
        right_layout.addWidget(self.message)
        self.weight_plot = make_plot_widget(right, x_label="weight value", y_label="count")
        self.weight_plot.setTitle("Weights", color=TEXT)
        self.activation_plot = make_plot_widget(right, x_label="activation value", y_label="count")
        self.activation_plot.setTitle("Activations", color=TEXT)
        right_layout.addWidget(self.weight_plot, 1)
        right_layout.addWidget(self.activation_plot, 1)
        self.splitter.addWidget(self.layer_list)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)
        self.dead_label = QLabel(self)
        self.dead_label.setWordWrap(True)
        self.dead_label.setTextFormat(Qt.TextFormat.RichText)
        self.dead_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.dead_label)

        self.weight_curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(WEIGHT_COLOR),
                                            brush=pg.mkBrush(63, 124, 196, 110))
        self.weight_plot.addItem(self.weight_curve)
        self.activation_curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(ACTIVATION_COLOR),
                                                brush=pg.mkBrush(46, 158, 91, 110))
        self.activation_plot.addItem(self.activation_curve)
        self._weights: dict[str, Any] = {}
        self._activations: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self._dead: list[str] = []
        self.layer_list.currentItemChanged.connect(self._current_changed)
        self._apply_font()
        self.set_histograms([], [])

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_font()

    def _apply_font(self) -> None:
        """The plots' axes and titles follow the widget font (presenter mode enlarges it)."""
        for plot in (self.weight_plot, self.activation_plot):
            follow_font(plot, self.font())

    # --- content -----------------------------------------------------------------------------------

    def set_histograms(self, weights: Sequence[Any], activations: Sequence[Any],
                       units: Mapping[str, int] | None = None) -> None:
        """Show new histograms (``units``: node id -> unit count, for the dead-ReLU lines).
        The chosen layer stays chosen when it is still there."""
        previous = self.current_layer()
        self._weights = {h.node_id: h for h in weights}
        self._activations = {h.node_id: h for h in activations}
        order: list[str] = []
        for h in [*activations, *weights]:
            if h.node_id not in order:
                order.append(h.node_id)
        self._names = {h.node_id: h.name for h in [*activations, *weights]}
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for node_id in order:
            name = self._names[node_id]
            item = QListWidgetItem(name if node_id in self._weights else f"{name}  (no weights)")
            item.setData(Qt.ItemDataRole.UserRole, node_id)
            if node_id not in self._weights:
                item.setForeground(pg.mkColor(TEXT_MUTED))
            self.layer_list.addItem(item)
        self.layer_list.blockSignals(False)
        self._dead = []
        rows = []
        for h in activations:
            share = getattr(h, "dead_share", None)
            if share is None:
                continue
            line = dead_line(h.name, float(share), (units or {}).get(h.node_id))
            self._dead.append(line)
            color = ERROR if share >= DEAD_WARNING else TEXT
            rows.append(f"<span style='color:{color}'>{line}</span>")
        if rows:
            self.dead_label.setText("<b>Dead ReLU units</b> (never above zero on this batch):<br>" + "<br>".join(rows))
        else:
            self.dead_label.setText(f"<span style='color:{TEXT_MUTED}'>No ReLU layers to check for dead units."
                                    "</span>" if order else "")
        if not order:
            self.show_message("No histograms yet: press Refresh.")
            return
        chosen = next((i for i in range(self.layer_list.count())
                       if self.layer_list.item(i).data(Qt.ItemDataRole.UserRole) == previous), None)
        if chosen is None:
            chosen = next((i for i in range(self.layer_list.count())
                           if self.layer_list.item(i).data(Qt.ItemDataRole.UserRole) in self._weights), 0)
        self.layer_list.setCurrentRow(chosen)
        self._draw(self.current_layer())

    def show_message(self, text: str, error: bool = False) -> None:
        """A message above the (emptied) plots: not computed yet, or why it failed."""
        set_message(self.message, text, error)
        self.message.show()
        self.weight_curve.setData([], [])
        self.activation_curve.setData([], [])
        if error:
            self.layer_list.clear()
            self.dead_label.clear()
            self._weights, self._activations, self._names, self._dead = {}, {}, {}, []

    # --- queries (tests, the panel) ----------------------------------------------------------------

    def layer_names(self) -> list[str]:
        return [self._names[self.layer_list.item(i).data(Qt.ItemDataRole.UserRole)]
                for i in range(self.layer_list.count())]

    def weight_layer_names(self) -> list[str]:
        return [h.name for h in self._weights.values()]

    def dead_lines(self) -> list[str]:
        return list(self._dead)

    def current_layer(self) -> str | None:
        item = self.layer_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_layer(self, name: str) -> bool:
        for i in range(self.layer_list.count()):
            if self._names.get(self.layer_list.item(i).data(Qt.ItemDataRole.UserRole)) == name:
                self.layer_list.setCurrentRow(i)
                return True
        return False

    def shown_counts(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The weight and activation counts now drawn (None where the layer has none)."""
        node_id = self.current_layer()
        w = self._weights.get(node_id) if node_id else None
        a = self._activations.get(node_id) if node_id else None
        return (np.asarray(w.counts) if w is not None else None, np.asarray(a.counts) if a is not None else None)

    # --- drawing -----------------------------------------------------------------------------------

    def _current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._draw(current.data(Qt.ItemDataRole.UserRole) if current is not None else None)

    def _draw(self, node_id: str | None) -> None:
        self.message.hide()
        for curve, plot, source, what in ((self.weight_curve, self.weight_plot, self._weights, "Weights"),
                                          (self.activation_curve, self.activation_plot, self._activations,
                                           "Activations")):
            h = source.get(node_id) if node_id is not None else None
            if h is None:
                curve.setData([], [])
                plot.setTitle(f"{what}: none for this layer", color=TEXT_MUTED)
                continue
            curve.setData(np.asarray(h.edges, dtype=np.float64), np.asarray(h.counts, dtype=np.float64))
            label = f" ({h.label})" if getattr(h, "label", "") and curve is self.weight_curve else ""
            plot.setTitle(f"{what} of {h.name}{label}", color=TEXT)
            plot.getPlotItem().getViewBox().autoRange(padding=0.05)
