"""One node's activation for one sample, drawn the way its shape reads best.

The view takes a node activation (``app.keras_bridge.insight.NodeActivation`` or anything
with the same fields: ``node_id``, ``name``, ``class_name``, ``kind``, ``value`` without the
batch axis, ``attention``) and picks a drawing by ``kind``:

- "image" (H, W, C): a grid of feature maps, up to 32 channels, each stretched to its own
  range so a weak channel is still visible, with the channel index on each tile. An Input
  node (or any 1- or 3-channel Input) is drawn as the picture itself.
- "vector" (U,): a bar chart for up to 64 units, a heat strip for more.
- "sequence" (T, U): a time x units heat map.
- "attention": one query x key matrix per head.
- "scalar": the number, large.

A caption names the node, its class and shape and gives min / mean / max. Tile labels, the
plots' axes and the big number follow the widget's font (presenter mode enlarges it).
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.gui.insight.common import (
    colorize,
    follow_font,
    image_plot,
    is_picture,
    message_label,
    normalize,
    scaled_font,
    set_message,
    shape_text,
    stats_text,
    to_rgb,
)
from app.gui.theme import TEXT, TEXT_SECONDARY
from app.gui.widgets import make_plot_widget

MAX_CHANNELS = 32
"""Feature maps shown at most (the first ones; the caption says how many there are)."""
MAX_BARS = 64
"""Above this many units a vector is drawn as a heat strip instead of bars."""
MAX_HEADS = 16
POSITIVE = "#3F7CC4"
NEGATIVE = "#E8891C"
BACKGROUND = 255
"""The gap colour between tiles (white, like the plot)."""
TILE_LABEL_SCALE = 0.8
TILE_LABEL_MIN_PT = 7.0
"""Tile labels are a little smaller than the widget font, and never below this."""
SCALAR_SCALE = 3.0
SCALAR_MIN_PT = 28.0


def grid_columns(count: int) -> int:
    """Columns for ``count`` tiles: close to square, at most 8 wide."""
    return max(1, min(8, math.ceil(math.sqrt(count))))


def mosaic(tiles: list[np.ndarray], columns: int, gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """RGB tiles (all the same size) laid out in rows on white; returns the image and each tile's
    top-left corner (x, y) in pixels."""
    h, w = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / columns)
    out = np.full((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, 3), BACKGROUND, dtype=np.uint8)
    corners: list[tuple[int, int]] = []
    for i, tile in enumerate(tiles):
        row, column = divmod(i, columns)
        y, x = row * (h + gap), column * (w + gap)
        out[y:y + h, x:x + w] = tile
        corners.append((x, y))
    return out, corners


def signed_colors(values: np.ndarray) -> np.ndarray:
    """Values as 0..1 for a colour map: 0..1 by range when all have one sign, centred on 0 otherwise."""
    a = np.nan_to_num(np.asarray(values, dtype=np.float32))
    low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if low < 0.0 < high:
        bound = max(-low, high)
        return np.clip(a / (2 * bound) + 0.5, 0.0, 1.0)
    return normalize(a)


class ActivationView(QWidget):
    """Draws one node activation (see the module docstring); ``mode()`` says how it is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.caption_label = QLabel(self)
        self.caption_label.setWordWrap(True)
        self.caption_label.setStyleSheet(f"color: {TEXT};")
        layout.addWidget(self.caption_label)
        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack, 1)

        self.message = message_label("", self)
        self.stack.addWidget(self.message)
        self.image_plot, self.image_item = image_plot(self)
        self.stack.addWidget(self.image_plot)
        self.bar_plot = make_plot_widget(self, x_label="unit", y_label="value")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.bar_plot.addItem(self.bars)
        self.stack.addWidget(self.bar_plot)
        self.scalar_label = QLabel(self)
        self.scalar_label.setStyleSheet(f"color: {TEXT};")
        self.scalar_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.scalar_label)

        self._labels: list[pg.TextItem] = []
        self._mode = "message"
        self._tiles = 0
        self._bars = 0
        self._heads = 0
        self._heat_shape: tuple[int, ...] | None = None
        self._image: np.ndarray | None = None
        self.activation: Any = None
        self._apply_font()
        self.show_message("Press Step to run a sample through the model.")

    # --- fonts -------------------------------------------------------------------------------------

    def tile_label_font(self) -> QFont:
        """The font of the channel / head labels on the tiles, from the widget font."""
        return scaled_font(self.font(), TILE_LABEL_SCALE, TILE_LABEL_MIN_PT)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_font()

    def _apply_font(self) -> None:
        font = self.font()
        follow_font(self.image_plot, font)
        follow_font(self.bar_plot, font)
        big = scaled_font(font, SCALAR_SCALE, SCALAR_MIN_PT)
        big.setBold(True)
        self.scalar_label.setFont(big)
        label_font = self.tile_label_font()
        for label in self._labels:
            label.setFont(label_font)

    # --- what is shown (for tests and the panel) ---------------------------------------------------

    def mode(self) -> str:
        """"message", "input", "image", "bars", "strip", "heatmap", "attention", "scalar" or "other"."""
        return self._mode

    def tile_count(self) -> int:
        """Feature-map tiles (or attention heads) in the grid now shown."""
        return self._tiles

    def bar_count(self) -> int:
        return self._bars

    def head_count(self) -> int:
        return self._heads

    def tile_labels(self) -> list[pg.TextItem]:
        """The labels on the tiles now shown (channel numbers, head names)."""
        return list(self._labels)

    def heat_shape(self) -> tuple[int, ...] | None:
        """(rows, columns) of the heat map or strip now shown."""
        return self._heat_shape

    def image(self) -> np.ndarray | None:
        """The RGB image now drawn (input picture, feature-map grid, heat map), or None."""
        return self._image

    def caption(self) -> str:
        return self.caption_label.text()

    def message_text(self) -> str:
        return self.message.text() if self._mode == "message" else ""

    # --- showing -----------------------------------------------------------------------------------

    def show_message(self, text: str, error: bool = False) -> None:
        """Nothing to draw: say why (or what to do)."""
        self._reset("message")
        self.activation = None
        self.caption_label.clear()
        set_message(self.message, text, error)
        self.stack.setCurrentWidget(self.message)

    def show_activation(self, activation: Any) -> None:
        """Draw ``activation`` (a NodeActivation or the like) by its kind."""
        value = np.asarray(activation.value)
        kind = str(getattr(activation, "kind", "other"))
        class_name = str(getattr(activation, "class_name", ""))
        attention = getattr(activation, "attention", None)
        self.activation = activation
        note = ""
        if class_name == "InputLayer" and is_picture(value):
            self._show_picture(value)
        elif kind == "attention" and attention is not None and np.asarray(attention).ndim == 3:
            note = self._show_attention(np.asarray(attention))
        elif kind == "image" and value.ndim == 3:
            note = self._show_feature_maps(value)
        elif kind == "scalar" or value.size == 1:
            self._show_scalar(value)
        elif kind == "vector" or value.ndim == 1:
            self._show_vector(value.reshape(-1))
        elif kind in ("sequence", "attention") and value.ndim == 2:
            self._show_heatmap(value)
        else:
            self._reset("other")
            set_message(self.message, f"No drawing for an output of shape {shape_text(value.shape)}.")
            self.stack.setCurrentWidget(self.message)
        name = html.escape(str(getattr(activation, "name", "")))
        parts = [f"<b>{name}</b>", html.escape(class_name), f"shape {shape_text(value.shape)}", stats_text(value)]
        text = " · ".join(p for p in parts if p)
        if note:
            text += f"<br><span style='color:{TEXT_SECONDARY}'>{html.escape(note)}</span>"
        self.caption_label.setText(text)

    # --- drawings ----------------------------------------------------------------------------------

    def _reset(self, mode: str) -> None:
        self._mode = mode
        self._tiles = self._bars = self._heads = 0
        self._heat_shape = None
        self._image = None
        for label in self._labels:
            self.image_plot.removeItem(label)
        self._labels = []

    def _set_image(self, rgb: np.ndarray, aspect_locked: bool = True, axes: bool = False) -> None:
        self._image = rgb
        self.image_item.setImage(rgb, autoLevels=False, levels=(0, 255))
        item = self.image_plot.getPlotItem()
        for name in ("left", "bottom"):
            item.showAxis(name, axes)
        box = item.getViewBox()
        box.setAspectLocked(aspect_locked)
        box.autoRange(padding=0.02)
        self.stack.setCurrentWidget(self.image_plot)

    def _add_label(self, text: str, x: float, y: float) -> None:
        label = pg.TextItem(text, color=(30, 30, 30), fill=pg.mkBrush(255, 255, 255, 200), anchor=(0, 0))
        label.setFont(self.tile_label_font())
        label.setPos(x, y)
        self.image_plot.addItem(label)
        self._labels.append(label)

    def _show_picture(self, value: np.ndarray) -> None:
        self._reset("input")
        self._set_image(np.rint(to_rgb(value) * 255).astype(np.uint8))

    def _tiles_grid(self, maps: list[np.ndarray], names: list[str], colormap: str) -> None:
        tiles = [colorize(m, colormap) for m in maps]
        h, w = tiles[0].shape[:2]
        gap = max(1, round(max(h, w) / 10))
        rgb, corners = mosaic(tiles, grid_columns(len(tiles)), gap)
        self._set_image(rgb)
        if len(tiles) > 1:
            for name, (x, y) in zip(names, corners, strict=True):
                self._add_label(name, x, y)
        self._tiles = len(tiles)

    def _show_feature_maps(self, value: np.ndarray) -> str:
        self._reset("image")
        channels = value.shape[-1]
        shown = min(channels, MAX_CHANNELS)
        self._tiles_grid([normalize(value[..., c]) for c in range(shown)], [str(c) for c in range(shown)], "viridis")
        if channels > shown:
            return f"Showing the first {shown} of {channels} feature maps, each stretched to its own range."
        return f"{channels} feature map{'s' if channels != 1 else ''}, each stretched to its own range."

    def _show_attention(self, attention: np.ndarray) -> str:
        self._reset("attention")
        heads = min(attention.shape[0], MAX_HEADS)
        maps = []
        for h in range(heads):
            a = np.nan_to_num(attention[h].astype(np.float32))
            top = float(a.max()) if a.size else 0.0
            maps.append(a / top if top > 0 else a)
        self._tiles_grid(maps, [f"head {h + 1}" for h in range(heads)], "viridis")
        self._heads = heads
        return (f"Attention weights per head: rows are queries, columns are keys "
                f"({attention.shape[1]} x {attention.shape[2]}); brighter = more attention.")

    def _show_vector(self, value: np.ndarray) -> None:
        if value.size <= MAX_BARS:
            self._reset("bars")
            v = np.nan_to_num(value.astype(np.float64))
            brushes = [pg.mkBrush(POSITIVE if x >= 0 else NEGATIVE) for x in v]
            self.bars.setOpts(x=np.arange(v.size), height=v, width=0.8, brushes=brushes, pens=[None] * v.size)
            self.bar_plot.getPlotItem().getViewBox().autoRange(padding=0.05)
            self.stack.setCurrentWidget(self.bar_plot)
            self._bars = int(v.size)
            return
        self._reset("strip")
        row = signed_colors(value)[None, :]
        self._set_image(colorize(row, "diverging"), aspect_locked=False, axes=False)
        self._heat_shape = (1, int(value.size))

    def _show_heatmap(self, value: np.ndarray) -> None:
        self._reset("heatmap")
        rgb = colorize(signed_colors(value), "diverging")
        self._set_image(rgb, aspect_locked=False, axes=True)
        item = self.image_plot.getPlotItem()
        item.setLabel("left", "time step", color=TEXT)
        item.setLabel("bottom", "unit", color=TEXT)
        self._heat_shape = (int(value.shape[0]), int(value.shape[1]))

    def _show_scalar(self, value: np.ndarray) -> None:
        self._reset("scalar")
        number = float(np.asarray(value, dtype=np.float64).reshape(-1)[0]) if value.size else float("nan")
        self.scalar_label.setText(f"{number:.4g}")
        self.stack.setCurrentWidget(self.scalar_label)
