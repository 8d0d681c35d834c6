"""Live training curves: loss and val_loss, one plot per metric, and the learning rate.

Progress reports (a few per second, each the running value inside an epoch) become thin
batch-level lines at fractional epochs; epoch ends become the bold per-epoch points, train
and validation. Following DESIGN.md, each curve is one reused ``PlotDataItem`` over numpy
arrays that grow by doubling, and the items are only redrawn from a single-shot timer,
whatever the report rate; between runs nothing ticks at all.

Painting competes with training: the GUI thread needs the GIL for every step of a redraw,
and a busy training thread hands it over only every few milliseconds. So redraws are kept
cheap and rare: each plot at most 10 times a second, and one plot per turn of the event
loop (progress comes at most 20 times a second anyway); no
grid (pyqtgraph draws it with the axes, so every new point would repaint all of them); the
value range only grows between epoch ends (auto-range would re-render the tick labels on
nearly every redraw); titles never change during a run (a new title re-lays out the whole
plot, so the latest values go to one label instead); the value axes have a fixed width;
and plots are made once, before a run starts where the keys are known, and reused.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.core.training_settings import METRICS, label_of
from app.gui.theme import TEXT, TEXT_MUTED
from app.gui.widgets import OutsideLegend, plain_values

REFRESH_MS = 100
"""Redraws happen at most this often (10 Hz; see the module docstring)."""
SLICE_MS = 20
"""Within one refresh, plots are redrawn one at a time this far apart (see ``flush``)."""
AXIS_WIDTH = 54
"""Fixed width of the value axis, in pixels: changing tick labels then cause no re-layout."""

LEARNING_RATE = "learning_rate"
LOSS = "loss"

TRAIN_COLOR = "#1E6FD9"
VALIDATION_COLOR = "#E8891C"
BATCH_COLOR = (30, 111, 217, 110)
PHASE_COLOR = "#7A3DB8"
"""The line marking where fine-tuning (phase 2 of a two-phase run) starts."""
COLUMNS = 2


class Series:
    """One curve: preallocated x/y arrays that double when full, and the item that shows them."""

    def __init__(self, item: pg.PlotDataItem, capacity: int = 256) -> None:
        self.item = item
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1
        self.dirty = True

    def clear(self) -> None:
        self.dirty = self.dirty or self.n > 0
        self.n = 0

    @property
    def last_x(self) -> float:
        return float(self.x[self.n - 1]) if self.n else -math.inf

    @property
    def last_y(self) -> float | None:
        return float(self.y[self.n - 1]) if self.n else None

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]

    def draw(self) -> None:
        if self.dirty:
            self.dirty = False
            self.item.setData(self.x[: self.n], self.y[: self.n])


RECIPE_LOSSES = {"d_loss": "Discriminator loss", "g_loss": "Generator loss",
                 "reconstruction_loss": "Reconstruction loss", "kl_loss": "KL term"}
"""What a recipe logs besides (or, for a GAN, instead of) the loss (app.keras_bridge.recipes)."""


def label_for(key: str) -> str:
    if key == LEARNING_RATE:
        return "Learning rate"
    return "Loss" if key == LOSS else RECIPE_LOSSES.get(key) or label_of(METRICS, key)


class MetricPlot:
    """A plot of one quantity: batch line, per-epoch train points and validation points."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.plot = plot = pg.PlotItem()
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setLabel("bottom", "epoch")
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        for name in ("left", "bottom"):
            plain_values(plot.getAxis(name))
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setTitle(f"<b>{label_for(key)}</b>", color=TEXT, size="11pt")
        batch_label = "per batch" if key == LEARNING_RATE else "train (running)"
        self.batch = Series(plot.plot(pen=pg.mkPen(BATCH_COLOR, width=1), name=batch_label))
        self.train = Series(plot.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), symbol="o", symbolSize=7,
                                      symbolBrush=TRAIN_COLOR, symbolPen=None,
                                      name="per epoch" if key == LEARNING_RATE else "train"))
        self.validation = Series(plot.plot(pen=pg.mkPen(VALIDATION_COLOR, width=2), symbol="s", symbolSize=7,
                                           symbolBrush=VALIDATION_COLOR, symbolPen=None, name="validation"))
        # The value range is ours (see fit_range): pyqtgraph's auto-range would move the axis,
        # and so re-render its tick labels, on nearly every redraw.
        plot.disableAutoRange(axis="y")
        self._range: tuple[float, float] | None = None
        self.phase_line: pg.InfiniteLine | None = None

    def mark_phase(self, x: float | None) -> None:
        """A dashed vertical line where fine-tuning (phase 2) starts; None removes it."""
        if x is None:
            if self.phase_line is not None:
                self.plot.removeItem(self.phase_line)
                self.phase_line = None
            return
        if self.phase_line is None:
            self.phase_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(PHASE_COLOR, width=1.5,
                                                                                   style=Qt.PenStyle.DashLine),
                                              label="fine-tuning", labelOpts={"position": 0.92, "color": PHASE_COLOR})
            self.plot.addItem(self.phase_line, ignoreBounds=True)
        self.phase_line.setValue(x)

    def start(self, epochs: int | None) -> None:
        """Empty, ready for a run of ``epochs`` epochs."""
        self.mark_phase(None)
        for series in self.series.values():
            series.clear()
            series.draw()
        self._range = None
        if epochs:
            self.plot.setXRange(0, epochs, padding=0.02)
            self.plot.disableAutoRange(axis="x")
        else:
            self.plot.enableAutoRange(axis="x")

    @property
    def series(self) -> dict[str, Series]:
        return {"batch": self.batch, "train": self.train, "validation": self.validation}

    @property
    def dirty(self) -> bool:
        """Points arrived since the last draw."""
        return any(s.dirty for s in self.series.values())

    @property
    def empty(self) -> bool:
        return not any(s.n for s in self.series.values())

    def draw(self, tight: bool = False) -> bool:
        dirty = any(s.dirty for s in self.series.values())
        for series in self.series.values():
            series.draw()
        if dirty or tight:
            self.fit_range(tight)
        return dirty

    def fit_range(self, tight: bool = False) -> None:
        """Keep every point in view, moving the axis as seldom as possible: the range only grows
        (with a margin) between epochs, and fits the data closely again when an epoch ends."""
        values = [s.data()[1] for s in self.series.values() if s.n]
        if not values:
            return
        data = np.concatenate(values)
        data = data[np.isfinite(data)]
        if not len(data):
            return
        low, high = float(data.min()), float(data.max())
        if self.key == LEARNING_RATE:  # a rate is never negative: the axis starts at 0
            low = 0.0
        current = self._range
        if not tight and current is not None and current[0] <= low and high <= current[1]:
            return
        span = high - low or max(abs(high), 1e-3)
        margin = span * (0.05 if tight else 0.15)
        bottom = low if self.key == LEARNING_RATE or (low >= 0 and low - margin < 0) else low - margin
        self._range = (bottom, high + margin)
        self.plot.setYRange(*self._range, padding=0)

    def summary(self) -> str:
        """"<b>Loss</b> 0.42 · val 0.51": the latest values, for the label over the plots."""
        latest = self.train.last_y if self.train.n else self.batch.last_y
        if latest is None:
            return ""
        text = f"<b>{html.escape(label_for(self.key))}</b> {_fmt(latest)}"
        if self.validation.n:
            text += f" <span style='color:{VALIDATION_COLOR}'>val {_fmt(self.validation.last_y)}</span>"
        return text


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—" if value is None else str(value)
    return f"{value:.4g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class LivePlots(QWidget):
    """The curves of the run in progress (or the last one). Feed it ``add_progress`` /
    ``add_epoch`` on the GUI thread; call :meth:`reset` before a new run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.values_label = QLabel("The curves appear here while a model trains.", self)
        self.values_label.setStyleSheet(f"color: {TEXT_MUTED};")
        self.values_label.setTextFormat(Qt.TextFormat.RichText)
        self.values_label.setWordWrap(True)
        # A fixed height: new values never change the layout, which would re-lay out and
        # repaint every plot below (the label gains a line when validation values arrive).
        self.values_label.setFixedHeight(2 * self.values_label.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.values_label)
        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setBackground("w")
        self.canvas.setMinimumHeight(220)
        layout.addWidget(self.canvas, 1)
        # One legend for all plots (the colours mean the same in each), in its own row over
        # them: inside a plot it would cover the first epochs' curves.
        self.legend = OutsideLegend(columns=3)
        self.canvas.ci.addItem(self.legend, row=0, col=0, colspan=COLUMNS)
        self._legend_filled = False
        self._plots: dict[str, MetricPlot] = {}
        """Plots on the canvas, in display order."""
        self._pool: dict[str, MetricPlot] = {}
        """Plots made earlier and not shown in this run (reused when their key comes up)."""
        self._epochs: int | None = None
        self.phase_start: float | None = None
        """The x (epochs done) where fine-tuning began in this run, when it has."""
        self._to_tighten: list[MetricPlot] = []
        """Plots whose value range fits the data again after an epoch, one per redraw."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.flush)
        self.redraws = 0
        """How many timer redraws changed something (tests check the rate limit)."""

    # --- feeding -----------------------------------------------------------------------------

    def reset(self, epochs: int | None = None, keys: Iterable[str] = (), show: bool = False,
              loss: bool = True) -> None:
        """Clear all curves for a new run of ``epochs`` epochs (the x axis spans them).

        ``keys`` are quantities the run will probably report ("accuracy", "learning_rate"):
        their plots are made now, before training competes for the GUI thread, and shown
        when their first value arrives, or at once with ``show`` (when the keys are sure).
        The loss plot is shown at once, unless ``loss`` is False (a GAN logs two losses instead).
        """
        self._timer.stop()
        self._to_tighten = []
        for plot in self._plots.values():
            self.canvas.ci.removeItem(plot.plot)
            self._pool[plot.key] = plot
        self._plots = {}
        self._epochs = epochs
        self.phase_start = None
        self.redraws = 0
        keys = list(dict.fromkeys([LOSS, *keys] if loss else keys))
        for key in keys:
            if key not in self._pool:
                self._pool[key] = MetricPlot(key)
        for plot in self._pool.values():
            plot.start(epochs)
        for key in keys if show else [LOSS] if loss else []:
            self._plot(key)
        self.values_label.setText("Waiting for the first batch…")

    def prepare(self, keys: Iterable[str]) -> int:
        """Make the plots for ``keys`` ahead of time (while the app is idle); returns how many were new."""
        made = 0
        for key in dict.fromkeys([LOSS, *keys]):
            if key not in self._pool and key not in self._plots:
                self._pool[key] = MetricPlot(key)
                self._pool[key].start(self._epochs)
                made += 1
        return made

    def add_progress(self, progress: Any) -> None:
        """A running report inside an epoch (an engine ``Progress``)."""
        batches = max(1, int(progress.batches))
        x = (int(progress.epoch) - 1) + min(int(progress.batch), batches) / batches
        logs: Mapping[str, Any] = progress.logs or {}
        for key, value in logs.items():
            if key.startswith("val_") or key == LEARNING_RATE or not _is_number(value):
                continue
            series = self._plot(key).batch
            if x > series.last_x:  # reports may arrive out of order; a line must not step back
                series.append(x, float(value))
        rate = getattr(progress, "learning_rate", None)
        if _is_number(rate):
            series = self._plot(LEARNING_RATE).batch
            if x > series.last_x:
                series.append(x, float(rate))
        self._schedule()

    def add_epoch(self, epoch: Any) -> None:
        """An epoch's final numbers (an engine ``EpochEnd``)."""
        x = float(epoch.epoch)
        if getattr(epoch, "phase", 1) == 2 and self.phase_start is None:
            self.phase_start = x - 1  # the line sits where the first fine-tuning epoch begins
            for plot in self._plots.values():
                plot.mark_phase(self.phase_start)
        self._to_tighten = list(self._plots.values())
        for key, value in (epoch.logs or {}).items():
            if not _is_number(value):
                continue
            if key == LEARNING_RATE:
                self._plot(LEARNING_RATE).train.append(x, float(value))
            elif key.startswith("val_"):
                self._plot(key[4:]).validation.append(x, float(value))
            else:
                self._plot(key).train.append(x, float(value))
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(REFRESH_MS)

    def flush(self) -> None:
        """Redraw one plot that changed now, and the next ones a slice later (the timer calls
        this; tests may too).

        One plot at a time: a redraw of the whole canvas takes 15-30 ms on a two-core laptop
        while training competes for the CPU, and the window cannot react meanwhile; one plot
        is a quarter of that. After an epoch the value ranges fit the data closely again, as
        part of the same turn of each plot.
        """
        self._timer.stop()
        waiting = [plot for plot in self._plots.values() if plot.dirty or plot in self._to_tighten]
        if not waiting:
            return
        plot = waiting[0]
        plot.draw()
        if plot in self._to_tighten:
            self._to_tighten.remove(plot)
            plot.fit_range(tight=True)
        self.redraws += 1
        parts = [text for text in (p.summary() for p in self._plots.values()) if text]
        self.values_label.setText(" &nbsp;·&nbsp; ".join(parts))
        if len(waiting) > 1:  # the rest of this refresh, a slice later
            self._timer.start(SLICE_MS)

    def flush_all(self) -> None:
        """Everything, ranges included, at once (a run has ended: nothing competes any more)."""
        self._timer.stop()
        while any(plot.dirty or plot in self._to_tighten for plot in self._plots.values()):
            self.flush()
        self._timer.stop()

    # --- plots ----------------------------------------------------------------------------------

    def _plot(self, key: str) -> MetricPlot:
        found = self._plots.get(key)
        if found is not None:
            return found
        plot = self._pool.pop(key, None)
        if plot is None:
            plot = MetricPlot(key)
            plot.start(self._epochs)
        if self.phase_start is not None:
            plot.mark_phase(self.phase_start)
        for shown in self._plots.values():
            self.canvas.ci.removeItem(shown.plot)
        # The loss first, metrics next, the learning rate last.
        keys = [*self._plots, key]
        order = [k for k in (LOSS,) if k in keys] + sorted(k for k in keys if k not in (LOSS, LEARNING_RATE))
        order += [k for k in (LEARNING_RATE,) if k in keys]
        plots = {**self._plots, key: plot}
        self._plots = {k: plots[k] for k in order}
        for index, name in enumerate(order):
            self.canvas.ci.addItem(self._plots[name].plot, row=1 + index // COLUMNS, col=index % COLUMNS)
        if key != LEARNING_RATE and not self._legend_filled:  # a loss plot has all three kinds of curve
            self._legend_filled = True
            self.legend.addItem(plot.batch.item, "train (running)")
            self.legend.addItem(plot.train.item, "train")
            self.legend.addItem(plot.validation.item, "validation")
        return plot

    def plot_keys(self) -> list[str]:
        """The quantities plotted, e.g. ['loss', 'accuracy', 'learning_rate']."""
        return list(self._plots)

    def series(self, key: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The points of one curve: ``kind`` is "batch", "train" or "validation" (empty if none)."""
        plot = self._plots.get(key)
        if plot is None:
            return np.empty(0), np.empty(0)
        return plot.series[kind].data()

    def shown(self, key: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """What the plot item currently draws (lags :meth:`series` until the next redraw)."""
        plot = self._plots.get(key)
        if plot is None:
            return np.empty(0), np.empty(0)
        x, y = plot.series[kind].item.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    def summary(self) -> str:
        """The latest values as shown over the plots (plain text)."""
        return self.values_label.text()
