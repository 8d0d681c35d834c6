"""What the class sees while an autoencoder, a VAE or a GAN trains: pictures after every epoch.

The engine computes each epoch's arrays in the training thread
(:func:`app.keras_bridge.recipes.recipe_view_probe`) and they arrive here through the
worker's coalesced ``probe`` signal, so this widget only draws, and at most every
:data:`REDRAW_MS` (the newest view wins). Autoencoder: a grid of inputs over their
reconstructions. VAE: the 2-D latent space as a scatter coloured by label beside a grid of
digits decoded across the plane. GAN: the samples of a fixed noise batch, and both losses
on one plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.gui.theme import TEXT_MUTED
from app.gui.widgets import add_legend, class_label, color_for, make_plot_widget, to_qimage

REDRAW_MS = 250
"""Pictures are redrawn at most four times a second, whatever arrives."""
GRID_PIXELS = 300
GAP = 1
"""Pixels between the tiles of a grid (drawn in mid-grey)."""
GAN_COLUMNS = 4
D_COLOR = "#D62728"
G_COLOR = "#1E6FD9"

CAPTIONS = {
    "autoencoder": "Rows: {rows}. The same samples after every epoch.",
    "vae": "Left: digits decoded across the latent plane (z from -{extent:g} to {extent:g}). "
           "Right: where the encoder puts each sample (z_mean), coloured by its label.",
    "gan": "The generator's pictures of the same 16 noise vectors after every epoch.",
}


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Grey images (n, h, w) as one mosaic, ``columns`` wide, with a thin grey gap between tiles."""
    n, h, w = images.shape
    rows = max(1, -(-n // columns))
    mosaic = np.full((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP), 0.5, dtype=np.float32)
    for index in range(n):
        r, c = divmod(index, columns)
        mosaic[r * (h + GAP): r * (h + GAP) + h, c * (w + GAP): c * (w + GAP) + w] = images[index]
    return mosaic


class RecipeViews(QWidget):
    """The live pictures of a recipe run; hidden for supervised runs. Feed it on the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recipe = "supervised"
        self.grid_epoch: int | None = None
        """The epoch whose pictures are drawn (0: before training), None before the first."""
        self.grid: np.ndarray | None = None
        """The mosaic drawn last (tests read it)."""
        self.redraws = 0
        self._pending: Any = None
        self._losses: dict[str, list[tuple[float, float]]] = {"d_loss": [], "g_loss": []}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {TEXT_MUTED};")
        layout.addWidget(self.caption)
        row = QHBoxLayout()
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(GRID_PIXELS // 2, GRID_PIXELS // 2)
        row.addWidget(self.picture, 1)
        self.plot = make_plot_widget(self)
        self.plot_item = self.plot.getPlotItem()
        self.legend = add_legend(self.plot, columns=2)
        self.scatter = pg.ScatterPlotItem(size=5, pen=None)
        self.d_curve = self.plot_item.plot(pen=pg.mkPen(D_COLOR, width=2), symbol="o", symbolSize=6,
                                           symbolBrush=D_COLOR, symbolPen=None, name="discriminator loss")
        self.g_curve = self.plot_item.plot(pen=pg.mkPen(G_COLOR, width=2), symbol="s", symbolSize=6,
                                           symbolBrush=G_COLOR, symbolPen=None, name="generator loss")
        row.addWidget(self.plot, 1)
        layout.addLayout(row, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.flush)
        self.hide()

    # --- feeding ------------------------------------------------------------------------------

    def reset(self, recipe: str) -> None:
        """A new run with ``recipe``: clear the pictures; show this view only for a recipe."""
        self._timer.stop()
        self.recipe = recipe
        self.grid_epoch, self.grid, self._pending = None, None, None
        self._losses = {"d_loss": [], "g_loss": []}
        self.picture.clear()
        self.scatter.clear()
        self.d_curve.setData([], [])
        self.g_curve.setData([], [])
        if self.scatter.scene() is not None:
            self.plot_item.removeItem(self.scatter)
        gan = recipe == "gan"
        self.d_curve.setVisible(gan)
        self.g_curve.setVisible(gan)
        self.legend.setVisible(gan)
        self.plot_item.setLabel("bottom", "epoch" if gan else "z[0]")
        self.plot_item.setLabel("left", "loss" if gan else "z[1]")
        if recipe == "vae":
            self.plot_item.addItem(self.scatter)
        self.plot.setVisible(recipe in ("vae", "gan"))
        self.caption.setText("The pictures appear after the first epoch." if recipe != "supervised" else "")
        self.setVisible(recipe != "supervised")

    def show_probe(self, value: Any) -> None:
        """A probe value from the worker: a recipe's view is drawn (soon); anything else is ignored."""
        if getattr(value, "recipe", None) != self.recipe or not hasattr(value, "epoch"):
            return
        self._pending = value
        self._schedule()

    def add_epoch(self, epoch: Any) -> None:
        """An epoch's losses (both GAN losses go on one plot)."""
        if self.recipe != "gan":
            return
        for key in self._losses:
            value = (epoch.logs or {}).get(key)
            if isinstance(value, (int, float)) and np.isfinite(value):
                self._losses[key].append((float(epoch.epoch), float(value)))
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    # --- drawing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Draw what arrived since the last redraw (the timer calls this; tests may too)."""
        self._timer.stop()
        if self.recipe == "gan":
            for key, curve in (("d_loss", self.d_curve), ("g_loss", self.g_curve)):
                points = self._losses[key]
                curve.setData([p[0] for p in points], [p[1] for p in points])
        view, self._pending = self._pending, None
        if view is None:
            return
        self.redraws += 1
        if view.recipe == "vae":
            self._draw_vae(view)
        else:
            self._draw_rows(view)
        self.grid_epoch = int(view.epoch)

    def _draw_rows(self, view: Any) -> None:
        rows = list(view.rows)
        if not rows:
            self.caption.setText("The samples are not images, so there is nothing to draw.")
            return
        if view.recipe == "gan":
            self.grid = tile(rows[0][1], GAN_COLUMNS)
        else:
            columns = max(len(images) for _, images in rows)
            self.grid = tile(np.concatenate([images for _, images in rows]), columns) \
                if len({images.shape[1:] for _, images in rows}) == 1 else tile(rows[-1][1], columns)
        text = CAPTIONS[view.recipe].format(rows=", ".join(name for name, _ in rows))
        self.caption.setText(f"Epoch {view.epoch}. {text}" if view.epoch else f"Before training. {text}")
        self._set_picture(self.grid)

    def _draw_vae(self, view: Any) -> None:
        if view.manifold is not None:
            steps, _, h, w = view.manifold.shape
            self.grid = tile(view.manifold.reshape(steps * steps, h, w), steps)
            self._set_picture(self.grid)
        latent = np.asarray(view.latent)
        if latent.ndim == 2 and latent.shape[1] >= 2:
            labels = view.labels
            if labels is None:
                brushes: Any = pg.mkBrush(30, 111, 217, 150)
            else:
                brushes = [pg.mkBrush(color_for(int(label))) for label in labels]
            self.scatter.setData(latent[:, 0], latent[:, 1], brush=brushes)
        names = ", ".join(f"{class_label(view.class_names, i)}" for i in range(min(10, len(view.class_names))))
        text = CAPTIONS["vae"].format(extent=view.extent)
        if view.manifold is None:
            text = "A latent space with more than 2 axes: the scatter shows its first two. No decoded grid."
        colours = f" Colours follow the labels {names}." if names else ""
        self.caption.setText(f"Epoch {view.epoch}. {text}{colours}" if view.epoch else f"Before training. {text}")

    def _set_picture(self, mosaic: np.ndarray) -> None:
        pixmap = QPixmap.fromImage(to_qimage(mosaic))
        side = max(GRID_PIXELS // 2, min(self.picture.width(), self.picture.height(), GRID_PIXELS * 2))
        self.picture.setPixmap(pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation))


__all__ = ["RecipeViews", "tile"]
