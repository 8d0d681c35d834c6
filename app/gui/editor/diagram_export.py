"""The canvas as a picture for slides and reports: PNG (raster, scaled) or SVG (vector).

Only the model is drawn, on white: selection, the step-through highlight, hover and the "?"
buttons are left out for the export and put back afterwards (see
``GraphScene.plain_rendering``). The file is written next to its destination and renamed
into place, so a failed export never leaves half a picture behind.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from app.gui.editor.block_item import BlockLayer
from app.gui.editor.scene import GraphScene

MARGIN = 24.0
"""White space around the model, in scene units (multiplied by the scale like the rest)."""
MAX_SIDE = 16_384
"""Largest PNG side in pixels; a bigger request is scaled down to fit (QImage's comfortable limit)."""
MAX_PIXELS = 120_000_000
"""About 480 MB of ARGB: a 250-layer model at scale 2 stays far below it."""
TITLE = "Layerforge model"
FORMATS = (".png", ".svg")


DIAGRAM_KIND = "diagram"
"""The dialog kind for :mod:`app.gui.last_folder`: diagrams go where the last one went."""


class DiagramExportError(Exception):
    """Why a diagram could not be written; the message names the path and the reason."""


def export_diagram(scene: QGraphicsScene, path: Path | str, *, scale: float = 2.0,
                   size: tuple[int, int] | None = None) -> Path:
    """Write the scene's model to ``path`` (.png or .svg by suffix); returns the path written.

    ``scale`` multiplies the size: 2.0 gives crisp slides from a 100 % canvas. ``size`` (width,
    height in pixels) instead makes a picture of exactly that size with the model fitted and
    centred in it, as a window of that size shows it after "fit all" (``layerforge diagram``).
    Raises :class:`DiagramExportError` for an unknown suffix, an empty model or an unwritable folder.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        shown = f"'{path.suffix}'" if path.suffix else "no file type"
        raise DiagramExportError(f"Cannot export the diagram to {path}: {shown} is not a picture format "
                                 "Layerforge writes; use .png or .svg.")
    if not (math.isfinite(scale) and scale > 0):
        raise DiagramExportError(f"Cannot export the diagram to {path}: the scale must be a positive number.")
    if size is not None and not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE):
        raise DiagramExportError(f"Cannot export the diagram to {path}: a picture is 1 to {MAX_SIDE} pixels "
                                 f"wide and high, not {size[0]} x {size[1]}.")
    folder = path.parent
    if not folder.is_dir():
        raise DiagramExportError(f"Cannot export the diagram to {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DiagramExportError(f"Cannot export the diagram to {path}: the folder {folder} is not writable.")
    plain = scene.plain_rendering() if isinstance(scene, GraphScene) else contextlib.nullcontext()
    with plain:
        blocks = scene.findChild(BlockLayer) if isinstance(scene, GraphScene) else None
        if blocks is not None:  # the plain look shows every edge item: not those of folded layers
            blocks.apply_folds()
        source = _model_rect(scene)
        if source.isEmpty():
            raise DiagramExportError(f"Cannot export the diagram to {path}: the model is empty, there is "
                                     "nothing to draw.")
        source = source.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        if size is not None:
            picture = QSize(*size)
            source = _fitted_source(source, picture)
        else:
            scale = _fit_scale(source, scale) if suffix == ".png" else scale
            picture = QSize(max(1, math.ceil(source.width() * scale)), max(1, math.ceil(source.height() * scale)))
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=folder)
        os.close(handle)
        temp = Path(temp_name)
        try:
            if suffix == ".png":
                _write_png(scene, source, picture, temp)
            else:
                _write_svg(scene, source, picture, temp)
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a picture is not
            os.replace(temp, path)
        except DiagramExportError as error:
            raise DiagramExportError(f"Cannot export the diagram to {path}: {error}") from None
        except OSError as error:
            raise DiagramExportError(f"Cannot export the diagram to {path}: {error.strerror or error}.") from error
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _model_rect(scene: QGraphicsScene) -> QRectF:
    if isinstance(scene, GraphScene):
        blocks = scene.findChild(BlockLayer)
        if blocks is not None and (blocks.hidden or blocks.cards or blocks.frames):
            return blocks.visible_rect()  # what is drawn: block cards, not the layers folded inside
        return scene.model_rect()
    rect = QRectF()
    for item in scene.items():
        if item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    return rect


def _fitted_source(source: QRectF, picture: QSize) -> QRectF:
    """``source`` grown on its short side to the picture's shape, about the same centre: the model
    is drawn as large as fits and centred, with white space on the other side."""
    aspect = picture.width() / picture.height()
    width, height = source.width(), source.height()
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    centre = source.center()
    return QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)


def _fit_scale(source: QRectF, scale: float) -> float:
    """Lower the scale as much as needed to keep the image within :data:`MAX_SIDE` / :data:`MAX_PIXELS`."""
    side = max(source.width(), source.height()) * scale
    if side > MAX_SIDE:
        scale *= MAX_SIDE / side
    pixels = source.width() * source.height() * scale * scale
    if pixels > MAX_PIXELS:
        scale *= math.sqrt(MAX_PIXELS / pixels)
    return scale


def _render(scene: QGraphicsScene, painter: QPainter, source: QRectF, size: QSize) -> None:
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    target = QRectF(0, 0, size.width(), size.height())
    painter.fillRect(target, QColor("#FFFFFF"))
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)


def _write_png(scene: QGraphicsScene, source: QRectF, size: QSize, path: Path) -> None:
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    if image.isNull():
        raise DiagramExportError(f"a {size.width()} x {size.height()} picture is too large for memory")
    image.fill(QColor("#FFFFFF"))
    painter = QPainter(image)
    try:
        _render(scene, painter, source, size)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise DiagramExportError("the PNG file could not be written")


def _write_svg(scene: QGraphicsScene, source: QRectF, size: QSize, path: Path) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(TITLE)
    generator.setDescription("A neural network drawn with Layerforge.")
    painter = QPainter()
    if not painter.begin(generator):
        raise DiagramExportError("the SVG file could not be opened for writing")
    try:
        _render(scene, painter, source, size)
    finally:
        painter.end()
    if path.stat().st_size == 0:
        raise DiagramExportError("the SVG file could not be written")
