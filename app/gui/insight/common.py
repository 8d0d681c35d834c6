"""Shared pieces of the insight views: colour maps as numpy lookups, image helpers, jobs, messages.

Every view draws numpy arrays it is handed; nothing here imports Keras. Images are composed
as RGB ``uint8`` arrays in numpy (one ``ImageItem`` per view, however many tiles), which
keeps painting cheap and makes what is shown easy to check in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.gui.theme import ERROR, TEXT, TEXT_MUTED

JET_STOPS = (
    (0.0, (0, 0, 128)),
    (0.11, (0, 0, 255)),
    (0.36, (0, 255, 255)),
    (0.62, (255, 255, 0)),
    (0.89, (255, 0, 0)),
    (1.0, (128, 0, 0)),
)
"""The classic 'jet' map Grad-CAM papers use: blue (cold) to dark red (hot)."""

DIVERGING_STOPS = ((0.0, (33, 102, 172)), (0.5, (247, 247, 247)), (1.0, (178, 24, 43)))
"""Blue - white - red, for values with a sign (attention is 0..1 and uses viridis)."""


@cache
def lookup_table(name: str) -> np.ndarray:
    """A (256, 3) uint8 colour table: "viridis", "jet" or "diverging"."""
    if name == "viridis":
        return np.ascontiguousarray(pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=False),
                                    dtype=np.uint8)
    stops = JET_STOPS if name == "jet" else DIVERGING_STOPS
    positions = np.array([s[0] for s in stops])
    colors = np.array([s[1] for s in stops], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(t, positions, colors[:, i]) for i in range(3)], axis=1)
    return np.clip(np.rint(table), 0, 255).astype(np.uint8)


class GradientStrip(QWidget):
    """A colour table drawn left (0) to right (1): the body of a :class:`ColorBar`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        table = np.ascontiguousarray(lookup_table(name)[np.newaxis, :, :])  # (1, 256, 3)
        self._table = table
        self._image = QImage(table.data, table.shape[1], 1, table.strides[0], QImage.Format.Format_RGB888).copy()
        self.setMinimumWidth(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(160, max(10, self.fontMetrics().height() - 2))

    def color_at(self, fraction: float) -> QColor:
        """The colour shown at ``fraction`` (0..1) of the strip."""
        index = round(min(1.0, max(0.0, fraction)) * 255)
        r, g, b = (int(v) for v in self._table[0, index])
        return QColor(r, g, b)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.rect().adjusted(0, 0, -1, -1)
        painter.drawImage(QRect(rect.x(), rect.y(), rect.width() + 1, rect.height() + 1), self._image)
        painter.setPen(QPen(QColor(TEXT_MUTED)))
        painter.drawRect(rect)
        painter.end()


class ColorBar(QWidget):
    """A colour key for a 0..1 map: what the lowest and the highest colour mean, in words,
    on either side of the colour table."""

    def __init__(self, name: str, low: str, high: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(6)
        self.low_label = QLabel(low, self)
        self.high_label = QLabel(high, self)
        for label in (self.low_label, self.high_label):
            label.setStyleSheet(f"color: {TEXT_MUTED};")
        self.strip = GradientStrip(name, self)
        layout.addWidget(self.low_label)
        layout.addWidget(self.strip, 1)
        layout.addWidget(self.high_label)

    def set_words(self, low: str, high: str) -> None:
        self.low_label.setText(low)
        self.high_label.setText(high)

    def words(self) -> tuple[str, str]:
        return self.low_label.text(), self.high_label.text()


def normalize(values: np.ndarray) -> np.ndarray:
    """Values scaled to 0..1 by their own min..max (a constant map becomes 0); NaN becomes 0."""
    a = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if a.size == 0:
        return a
    low, high = float(a.min()), float(a.max())
    if high - low <= 1e-12:
        return np.zeros_like(a)
    return (a - low) / (high - low)


def colorize(unit: np.ndarray, name: str = "viridis") -> np.ndarray:
    """A 0..1 array as RGB uint8 through a colour table (shape + (3,))."""
    index = np.clip(np.rint(np.asarray(unit, dtype=np.float32) * 255), 0, 255).astype(np.intp)
    return lookup_table(name)[index]


def to_rgb(image: np.ndarray) -> np.ndarray:
    """An (H, W), (H, W, 1) or (H, W, 3+) image as float RGB 0..1 (stretched when not 0..1)."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[-1] != 3:
        img = img[..., :3] if img.shape[-1] > 3 else img.mean(axis=-1)
    img = np.nan_to_num(img)
    low, high = (float(img.min()), float(img.max())) if img.size else (0.0, 1.0)
    if not (low >= 0.0 and high <= 1.0):
        img = img / 255.0 if low >= 0.0 and high <= 255.0 else normalize(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.clip(img, 0.0, 1.0)


def is_picture(value: np.ndarray) -> bool:
    """(H, W, 1) or (H, W, 3): something to draw as a photo rather than as feature maps."""
    return value.ndim == 3 and value.shape[-1] in (1, 3) and min(value.shape[:2]) > 1


def stats_text(value: np.ndarray) -> str:
    """"min -0.12 · mean 0.034 · max 1.5" (finite values only)."""
    a = np.asarray(value, dtype=np.float64)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return "no finite values"
    return f"min {finite.min():.3g} · mean {finite.mean():.3g} · max {finite.max():.3g}"


def shape_text(shape: Sequence[int]) -> str:
    inner = ", ".join(str(int(d)) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def error_text(error: BaseException) -> str:
    """Words for a failed job: the message of errors meant for people, type + message otherwise."""
    text = str(error).strip()
    if isinstance(error, (ValueError, LookupError, OSError)) or type(error).__name__ in ("DataError", "DataMismatch"):
        return text or type(error).__name__
    lines = text.splitlines()
    first = " ".join(lines[:4]) if lines else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def message_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Grey, centred, wrapping text: what a view shows when it has nothing to draw."""
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(f"color: {TEXT_MUTED}; padding: 16px;")
    return label


def set_message(label: QLabel, text: str, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet(f"color: {ERROR if error else TEXT_MUTED}; padding: 16px;")


def image_plot(parent: QWidget | None = None, *, axes: bool = False) -> tuple[pg.PlotWidget, pg.ImageItem]:
    """A white plot holding one row-major RGB image, y pointing down like a picture."""
    plot = pg.PlotWidget(parent, background="w")
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(TEXT_MUTED))
        axis.setTextPen(pg.mkPen(TEXT))
        if not axes:
            item.hideAxis(name)
    box = item.getViewBox()
    box.invertY(True)
    box.setAspectLocked(True)
    box.setMouseEnabled(False, False)
    image = pg.ImageItem(axisOrder="row-major")
    item.addItem(image)
    plot.setMinimumHeight(120)
    return plot, image


# --- fonts: the plots follow the widget font (presenter mode enlarges the window's) ------------------

def point_size(font: QFont) -> float:
    """The font's size in points (a pixel-sized font is converted at 96 dpi)."""
    size = font.pointSizeF()
    return size if size > 0 else max(1.0, font.pixelSize() * 0.75)


def scaled_font(font: QFont, factor: float = 1.0, minimum: float = 1.0) -> QFont:
    """A copy of ``font``, ``factor`` times as large and at least ``minimum`` points."""
    scaled = QFont(font)
    scaled.setPointSizeF(max(minimum, point_size(font) * factor))
    return scaled


def follow_font(plot: pg.PlotWidget, font: QFont) -> None:
    """Tick values, axis labels and the title of ``plot`` in ``font``'s size: pyqtgraph's items
    do not follow the widget font by themselves."""
    item = plot.getPlotItem()
    size = f"{point_size(font):.3g}pt"
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setTickFont(QFont(font))
        axis.labelStyle = {**axis.labelStyle, "font-size": size}
        if axis.labelText or axis.labelUnits:
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)
    title = item.titleLabel
    title.opts["size"] = size
    if title.isVisible() and title.text:
        title.setText(title.text)
