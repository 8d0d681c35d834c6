"""Grad-CAM drawn over its image: where the network looked to decide on a class.

:class:`GradCamView` blends a 0..1 heat map (same height and width as the image) through a
jet colour map over the picture, at a fixed opacity, and lists the top predictions. It is
pure drawing: the panel computes the heat map (``app.keras_bridge.insight.grad_cam``) in a
background job and hands the arrays over.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.gui.insight.common import ColorBar, colorize, image_plot, message_label, set_message, to_rgb
from app.gui.theme import TEXT, WARNING
from app.gui.widgets import class_label

ALPHA = 0.45
"""How much of the heat map shows over the picture."""
TOP = 3
EMPTY_LEVEL = 1e-6
"""A heat map whose highest value is below this shows nothing: the gradient was zero."""


def is_empty_map(heatmap: np.ndarray) -> bool:
    """True when the map has nothing to show (all zero, or no finite value above zero)."""
    heat = np.nan_to_num(np.asarray(heatmap, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return heat.size == 0 or float(heat.max()) <= EMPTY_LEVEL


def empty_map_text(class_name: str, layer_name: str = "") -> str:
    """Why a Grad-CAM map is blank, and what to try instead."""
    where = f" of layer {layer_name}" if layer_name else ""
    return (f"No heat map: for this image, the score of “{class_name}” does not change with any feature map"
            f"{where} (its gradient is zero, or only pulls the other way), so Grad-CAM has nothing to colour. "
            "This happens when the model is already completely sure (the softmax is saturated at 100 %) or "
            "when nothing in the image speaks for that class. Try another sample or another class.")


def blend(image: np.ndarray, heatmap: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """The picture with the jet-coloured heat map over it, RGB uint8 of the picture's size.
    A heat map of another size is resampled to the picture (nearest neighbour)."""
    rgb = to_rgb(image)
    heat = np.clip(np.nan_to_num(np.asarray(heatmap, dtype=np.float32)), 0.0, 1.0)
    h, w = rgb.shape[:2]
    if heat.shape != (h, w):
        rows = np.minimum((np.arange(h) * heat.shape[0] / h).astype(int), heat.shape[0] - 1)
        cols = np.minimum((np.arange(w) * heat.shape[1] / w).astype(int), heat.shape[1] - 1)
        heat = heat[rows][:, cols]
    colored = colorize(heat, "jet").astype(np.float32) / 255.0
    out = (1.0 - alpha) * rgb + alpha * colored
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def top_predictions(probabilities: np.ndarray, class_names: Sequence[str] | None, count: int = TOP) -> list[str]:
    """"seven (7): 92.1 %" lines, most likely first."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    lines = []
    for index in np.argsort(-p)[:count]:
        name = class_label(class_names, int(index))
        label = f"{name} ({index})" if name != str(index) else name
        lines.append(f"{label}: {100 * p[index]:.1f} %")
    return lines


class GradCamView(QWidget):
    """The overlay image and the top-3 predictions (or a message saying why there is none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        self.message = message_label("", self)
        self.stack.addWidget(self.message)
        self.plot, self.image_item = image_plot(self)
        self.stack.addWidget(self.plot)
        layout.addWidget(self.stack, 1)
        self.color_bar = ColorBar("jet", "0  no influence", "strongest  1", self)
        self.color_bar.setToolTip("The heat map's colours: blue where the region did not matter for the class, "
                                  "red where it mattered most (scaled to this image's strongest region).")
        layout.addWidget(self.color_bar)
        self.notice_label = QLabel(self)
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label.setStyleSheet(f"color: {TEXT}; border-left: 4px solid {WARNING}; padding: 4px 8px;")
        self.notice_label.hide()
        layout.addWidget(self.notice_label)
        self.top_label = QLabel(self)
        self.top_label.setWordWrap(True)
        self.top_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.top_label.setStyleSheet(f"color: {TEXT};")
        layout.addWidget(self.top_label)
        self._overlay: np.ndarray | None = None
        self._lines: list[str] = []
        self.empty = False
        """The last map shown was blank (zero gradient): the picture shows without colours."""
        self.show_message("Pick an image and press Show.")

    def show_message(self, text: str, error: bool = False) -> None:
        self._overlay = None
        self._lines = []
        self.empty = False
        self.top_label.clear()
        self.color_bar.hide()
        self.notice_label.hide()
        set_message(self.message, text, error)
        self.stack.setCurrentWidget(self.message)

    def show_result(self, image: np.ndarray, heatmap: np.ndarray, probabilities: np.ndarray,
                    class_names: Sequence[str] | None = None, class_index: int | None = None,
                    layer_name: str = "", note: str = "") -> None:
        """Draw ``heatmap`` over ``image`` and list the top predictions; ``class_index`` is the
        class the map explains, ``note`` a sentence added below (which output of several)."""
        picture = np.asarray(image)
        if picture.ndim == 4:
            picture = picture[0]
        # A blank map would colour the whole picture the same cold blue with no word of why.
        self.empty = is_empty_map(heatmap)
        self._overlay = blend(picture, heatmap, alpha=0.0 if self.empty else ALPHA)
        name = class_label(class_names, int(class_index)) if class_index is not None else "the class"
        self.notice_label.setText(empty_map_text(name, layer_name) if self.empty else "")
        self.notice_label.setVisible(self.empty)
        self.color_bar.setVisible(not self.empty)
        self.image_item.setImage(self._overlay, autoLevels=False, levels=(0, 255))
        self.plot.getPlotItem().getViewBox().autoRange(padding=0.02)
        self.stack.setCurrentWidget(self.plot)
        self._lines = top_predictions(probabilities, class_names)
        about = ""
        if class_index is not None:
            about = f"Heat map for <b>{html.escape(class_label(class_names, int(class_index)))}</b>"
            if layer_name:
                about += f" (from layer {html.escape(layer_name)})"
            about += ". "
        text = about + "Top predictions: " + html.escape(" · ".join(self._lines))
        if note:
            text += "<br>" + html.escape(note)
        self.top_label.setText(text)

    def overlay(self) -> np.ndarray | None:
        """The blended RGB image now shown (H, W, 3), or None."""
        return self._overlay

    def top_lines(self) -> list[str]:
        return list(self._lines)

    def message_text(self) -> str:
        return self.message.text() if self._overlay is None else ""

    def notice_text(self) -> str:
        """The note under a blank heat map saying why it is blank ("" otherwise)."""
        return self.notice_label.text() if self.empty else ""
