"""Small widgets and display helpers that several parts of the GUI share.

Plot styling (:func:`make_plot_widget`, :func:`add_legend`), class and run colours
(:func:`color_for`), images for display (:func:`image_pixmap`) and the way numbers, class
names and token ids are written: the training panel and the insight views use the same ones,
so every plot and caption in the app looks alike. The GUI's subpackages (editor, panels,
training, insight, experiments) never import each other (an import-linter contract in
pyproject.toml); what two of them need lives here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QWidget

from app.gui.theme import TEXT, TEXT_MUTED

PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F",
           "#BCBD22", "#17BECF")
"""Tableau 10: distinct, colour-blind-friendlier hues for classes and runs."""


def color_for(index: int) -> QColor:
    """Class / run colour ``index`` (cycles through the palette, darker on each lap)."""
    color = QColor(PALETTE[index % len(PALETTE)])
    return color.darker(100 + 30 * (index // len(PALETTE)))


def make_plot_widget(parent: QWidget | None = None, *, x_label: str = "", y_label: str = "") -> pg.PlotWidget:
    """A light pyqtgraph plot that matches the rest of the app (dark text on white, soft grid)."""
    plot = pg.PlotWidget(parent, background="w")
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(TEXT_MUTED))
        axis.setTextPen(pg.mkPen(TEXT))
        plain_values(axis)
    item.showGrid(x=True, y=True, alpha=0.15)
    if x_label:
        item.setLabel("bottom", x_label, color=TEXT)
    if y_label:
        item.setLabel("left", y_label, color=TEXT)
    item.setMenuEnabled(False)
    plot.setMinimumHeight(160)
    return plot


def plain_values(axis: pg.AxisItem) -> None:
    """Tick labels as the values are: pyqtgraph would otherwise rescale them and put the factor in
    the label ("Loss (x0.001)" over ticks 800, 600, 400), which reads as a loss of 800."""
    axis.enableAutoSIPrefix(False)


class OutsideLegend(pg.LegendItem):
    """A legend that lives in a graphics layout cell beside the plot area, never over a curve.

    pyqtgraph's own legend floats over the view box at a fixed offset and covers whatever is
    drawn there. This one is sized by its own layout, so the cell it sits in grows with its
    entries (and shrinks to nothing when it is empty).
    """

    def __init__(self, columns: int = 3) -> None:
        super().__init__(colCount=columns, labelTextColor=TEXT, brush=pg.mkBrush(255, 255, 255, 0),
                         pen=pg.mkPen(None), horSpacing=12)

    def updateSize(self) -> None:
        # The base class sets its own geometry (at 0, 0); in a layout the layout places it.
        self.layout.invalidate()
        self.updateGeometry()

LEGEND_ROW = 4
"""The row of a PlotItem's grid below the bottom axis (title 0, top axis 1, plot 2, bottom axis 3)."""


def add_legend(plot: pg.PlotWidget, columns: int = 3) -> pg.LegendItem:
    """A legend under the plot's x axis: named curves added to the plot list themselves there,
    in ``columns`` columns, and no entry ever hides a curve."""
    item = plot.getPlotItem()
    legend = OutsideLegend(columns)
    item.layout.addItem(legend, LEGEND_ROW, 1)
    item.layout.setRowStretchFactor(LEGEND_ROW, 0)
    item.legend = legend  # PlotItem.addItem puts curves with a name into ``item.legend``
    return legend


def to_uint8_image(sample: np.ndarray) -> np.ndarray:
    """One image sample as uint8 (H, W) or (H, W, 3) for display, whatever its scale.

    Data are usually 0..1 floats, sometimes 0..255 or standardized; anything else is
    stretched to its own min..max so it is still visible."""
    img = np.asarray(sample, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    elif img.ndim == 3 and img.shape[-1] not in (1, 3):
        img = img[..., :3] if img.shape[-1] > 3 else img.mean(axis=-1)
    finite = img[np.isfinite(img)]
    if finite.size == 0:
        return np.zeros(img.shape, dtype=np.uint8)
    low, high = float(finite.min()), float(finite.max())
    img = np.nan_to_num(img, nan=low, posinf=high, neginf=low)
    if low >= 0.0 and high <= 1.0:
        img = img * 255.0
    elif not (low >= 0.0 and high <= 255.0):
        img = (img - low) / ((high - low) or 1.0) * 255.0
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def to_qimage(sample: np.ndarray) -> QImage:
    """A QImage that owns its pixels (safe after ``sample`` is gone)."""
    img = np.ascontiguousarray(to_uint8_image(sample))
    if img.ndim == 2:
        h, w = img.shape
        return QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    h, w, _ = img.shape
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def image_pixmap(sample: np.ndarray, size: int) -> QPixmap:
    """``sample`` scaled to fit ``size`` pixels; small images keep crisp pixels."""
    image = to_qimage(sample)
    smooth = max(image.width(), image.height()) > size // 2
    mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
    return QPixmap.fromImage(image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, mode))


def class_ids(y: np.ndarray) -> np.ndarray | None:
    """Integer class ids from labels given as ids, one-hot rows (or class probabilities) or 0/1
    floats; None if not one class per sample: numbers, or a class at every step ((n, T) ids)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1) if _one_class_per_row(y) else None
    y = y.reshape(len(y)) if y.ndim == 2 else y
    if y.ndim != 1:
        return None
    if np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_):
        return y.astype(np.int64)
    if y.size and np.all(np.isfinite(y)) and np.all(np.equal(np.mod(y, 1), 0)):
        return y.astype(np.int64)
    return None


def _one_class_per_row(y: np.ndarray) -> bool:
    """Rows that each name one class: one-hot or probabilities, every value in 0..1 and every
    row summing to 1. A row of class ids, one per step, does not (2 3 0 sums to 5)."""
    if not np.issubdtype(y.dtype, np.number) and not np.issubdtype(y.dtype, np.bool_):
        return False
    values = y.astype(np.float64)
    return bool(np.all((values >= 0.0) & (values <= 1.0)) and np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


def target_steps(y: np.ndarray) -> int | None:
    """How many steps a class target has when each sample has a class at every step, as in
    seq2seq ((n, T) class ids, or (n, T, C) one-hot); None when each sample has one class."""
    y = np.asarray(y)
    if y.ndim == 3 or (y.ndim == 2 and y.shape[1] > 1 and class_ids(y) is None):
        return int(y.shape[1])
    return None


def step_ids(y: np.ndarray) -> np.ndarray:
    """The class ids of a sequence target, (n, T): as given, or the argmax of (n, T, C) one-hot."""
    y = np.asarray(y)
    return np.argmax(y, axis=-1) if y.ndim == 3 else y.astype(np.int64)


def class_label(names: Sequence[str] | None, index: int) -> str:
    if names is not None and 0 <= index < len(names):
        return str(names[index])
    return str(index)


def format_number(value: Any) -> str:
    """Numbers as a person reads them: 3 significant digits, integers as integers."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "NaN"
    if number == int(number) and abs(number) < 1e6:
        return str(int(number))
    return f"{number:.4g}"


def decode_tokens(row: np.ndarray, vocabulary: Sequence[str] | None) -> str:
    """Token ids back to words (padding dropped, unknown ids shown as ``?``)."""
    words = []
    for token in np.asarray(row).reshape(-1):
        token = int(token)
        if token == 0:
            continue
        if vocabulary is not None and 0 <= token < len(vocabulary):
            word = str(vocabulary[token])
            words.append("?" if token == 1 and not word.strip() else word)
        else:
            words.append("?")
    return " ".join(words)
