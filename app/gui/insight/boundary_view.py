"""A 2-input classifier's decision map with the training points on top.

:class:`DecisionBoundaryView` draws an ``app.keras_bridge.insight.DecisionGrid`` (the
predicted class and its confidence at R x R points over the data's range) as one image in
data coordinates: each class has its colour, and the more confident the model, the deeper
the colour, so the boundary shows as the pale band between classes. The points are drawn in
the same class colours with a dark outline. While training runs the panel hands a new grid
a few times a second; only the image and the points' data change, nothing is rebuilt.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.gui.insight.common import follow_font, message_label, set_message
from app.gui.theme import TEXT, TEXT_MUTED
from app.gui.widgets import color_for, make_plot_widget

MAX_POINTS = 1500
"""Points drawn at most (the first ones); the 2-D sets have a few hundred."""
PALE = 0.12
DEEP = 0.7
"""Share of the class colour at the lowest and at full confidence (the rest is white)."""


def class_rgb(count: int) -> np.ndarray:
    """(count, 3) float colours 0..1, the same as the app's class colours elsewhere."""
    colours = [color_for(i) for i in range(max(1, count))]
    return np.array([(c.redF(), c.greenF(), c.blueF()) for c in colours], dtype=np.float32)


def grid_image(classes: np.ndarray, confidence: np.ndarray, n_classes: int) -> np.ndarray:
    """RGB uint8 (R, R, 3): class colour mixed with white by confidence (chance level = palest)."""
    k = max(2, n_classes, int(classes.max()) + 1 if classes.size else 2)
    colors = class_rgb(k)
    c = np.clip(np.nan_to_num(np.asarray(confidence, dtype=np.float32)), 0.0, 1.0)
    depth = np.clip((c - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    amount = (PALE + (DEEP - PALE) * depth)[..., None]
    rgb = (1.0 - amount) * 1.0 + amount * colors[np.clip(classes.astype(np.intp), 0, k - 1)]
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


class DecisionBoundaryView(QWidget):
    """The decision map plot (see the module docstring), or a message when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        self.message = message_label("", self)
        self.stack.addWidget(self.message)
        self.plot = make_plot_widget(self, x_label="x₁", y_label="x₂")
        box = self.plot.getPlotItem().getViewBox()
        box.setAspectLocked(True)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image_item)
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen(30, 30, 30, 220, width=1))
        self.plot.addItem(self.scatter)
        self.stack.addWidget(self.plot)
        layout.addWidget(self.stack, 1)
        self.info_label = QLabel(self)
        self.info_label.setWordWrap(True)
        self.info_label.setStyleSheet(f"color: {TEXT_MUTED};")
        layout.addWidget(self.info_label)
        self._image: np.ndarray | None = None
        self._points = 0
        self.updates = 0
        """How many grids were drawn (live updates count too)."""
        follow_font(self.plot, self.font())
        self.show_message("Press Show to draw the decision boundary.")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode: the axes grow with the text
            follow_font(self.plot, self.font())

    def show_message(self, text: str, error: bool = False) -> None:
        self._image = None
        set_message(self.message, text, error)
        self.stack.setCurrentWidget(self.message)

    def set_info(self, text: str) -> None:
        self.info_label.setText(text)
        self.info_label.setStyleSheet(f"color: {TEXT if text else TEXT_MUTED};")

    def update_grid(self, grid: Any, points: np.ndarray | None = None, labels: np.ndarray | None = None,
                    n_classes: int = 2) -> None:
        """Draw a DecisionGrid (xs, ys, classes, confidence) and, when given, the (N, 2) points
        coloured by their integer ``labels``."""
        xs = np.asarray(grid.xs, dtype=np.float64)
        ys = np.asarray(grid.ys, dtype=np.float64)
        classes = np.asarray(grid.classes)
        rgb = grid_image(classes, np.asarray(grid.confidence), n_classes)
        self._image = rgb
        self.image_item.setImage(rgb, autoLevels=False, levels=(0, 255))
        # Pixel centres sit on the grid points: the image spans half a step beyond them.
        dx = (xs[-1] - xs[0]) / max(1, len(xs) - 1) if len(xs) > 1 else 1.0
        dy = (ys[-1] - ys[0]) / max(1, len(ys) - 1) if len(ys) > 1 else 1.0
        self.image_item.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))
        first = self.updates == 0 or self.stack.currentWidget() is not self.plot
        if points is not None and labels is not None:
            p = np.asarray(points, dtype=np.float64)[:MAX_POINTS]
            ids = np.asarray(labels).reshape(-1)[:MAX_POINTS].astype(np.intp)
            k = max(2, n_classes, int(ids.max()) + 1 if ids.size else 2)
            brushes = [pg.mkBrush(color_for(i)) for i in range(k)]
            self.scatter.setData(x=p[:, 0], y=p[:, 1], brush=[brushes[i] for i in np.clip(ids, 0, k - 1)])
            self._points = len(p)
        self.stack.setCurrentWidget(self.plot)
        if first:
            self.plot.getPlotItem().getViewBox().autoRange(padding=0.0)
        self.updates += 1

    def image_shape(self) -> tuple[int, ...] | None:
        """(rows, columns) of the decision image now drawn."""
        return None if self._image is None else tuple(self._image.shape[:2])

    def image(self) -> np.ndarray | None:
        return self._image

    def point_count(self) -> int:
        return self._points

    def message_text(self) -> str:
        return self.message.text() if self._image is None else ""
