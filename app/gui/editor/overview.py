"""The overview (minimap): the whole model in a small corner of the canvas, with the part the
canvas shows drawn as a rectangle; click or drag in it to move the canvas there.

Cheap to repaint by design: the scene is rendered once into a picture at the overview's scale
(cards are plain blocks at that size, see ``NodeItem.paint``'s level of detail) and rendered
again only a moment after the scene changes; scrolling or zooming the canvas only redraws the
rectangle over that picture.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QFrame

from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.scene import GraphScene
    from app.gui.editor.view import GraphView

SIZE = QSize(240, 170)
MARGIN = 12
"""Pixels between the overview and the canvas' bottom-right corner."""
PADDING = 40.0
"""Scene units shown around the model."""
RERENDER_MS = 150
"""After a scene change, wait this long for more before rendering the picture again."""


class Overview(QFrame):
    """A fitted picture of the canvas' scene in the bottom-right corner of its viewport."""

    def __init__(self, view: GraphView) -> None:
        super().__init__(view.viewport())
        self._view_ref = weakref.ref(view)
        """Weakly: a child widget holding its view strongly makes a reference cycle through Qt that
        PySide can crash on when the garbage collector frees it."""
        self._scene: GraphScene | None = None
        self._picture = QPixmap()
        self._source = QRectF()
        self._scale = 1.0
        self._offset = QPointF()
        self._dragging = False
        self.renders = 0
        """How many times the scene was rendered (tests check that scrolling does not)."""
        self.setObjectName("overview")
        self.setFixedSize(SIZE)
        self.setFrameShape(QFrame.Shape.Box)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the canvas")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RERENDER_MS)
        self._timer.timeout.connect(self.render_picture)
        for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
            bar.valueChanged.connect(self.update)
            bar.rangeChanged.connect(self.update)
        view.viewport().installEventFilter(self)
        self.hide()

    # --- following the canvas -----------------------------------------------------------------

    @property
    def _view(self) -> GraphView:
        view = self._view_ref()
        assert view is not None, "the view is gone"
        return view

    def follow_scene(self) -> None:
        """Watch the view's current scene (the view makes a new one for each document)."""
        scene = self._view.graph_scene()
        if scene is self._scene:
            return
        if self._scene is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # the old scene may be gone already
                self._scene.changed.disconnect(self._scene_changed)
        self._scene = scene
        scene.changed.connect(self._scene_changed)
        self.render_picture()

    def _scene_changed(self, _regions: object = None) -> None:
        if self.isVisible():
            self._timer.start()

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        if visible:
            self._place()
            self.raise_()
            self.follow_scene()
            self.render_picture()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._view_ref() is None:
            return False
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
            self.update()
        return False

    def _place(self) -> None:
        viewport = self._view.viewport().rect()
        self.move(QPoint(max(0, viewport.width() - self.width() - MARGIN),
                         max(0, viewport.height() - self.height() - MARGIN)))

    # --- the picture -------------------------------------------------------------------------------

    def render_picture(self) -> None:
        """Render the scene into the cached picture, fitted into the overview."""
        self._timer.stop()
        scene = self._scene
        inner = self.contentsRect()
        if scene is None or inner.isEmpty():
            return
        source = scene.model_rect()
        if source.isEmpty():
            source = QRectF(-100, -100, 200, 200)
        source = source.adjusted(-PADDING, -PADDING, PADDING, PADDING)
        scale = min(inner.width() / source.width(), inner.height() / source.height())
        size = QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))
        picture = QPixmap(size * self.devicePixelRatioF())
        picture.setDevicePixelRatio(self.devicePixelRatioF())
        picture.fill(QColor(theme.BACKGROUND))
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
        painter.end()
        self._picture, self._source, self._scale = picture, source, scale
        self._offset = QPointF(inner.left() + (inner.width() - size.width()) / 2,
                               inner.top() + (inner.height() - size.height()) / 2)
        self.renders += 1
        self.update()

    def to_scene(self, point: QPointF) -> QPointF:
        """The scene point under a point of this widget."""
        return QPointF((point.x() - self._offset.x()) / self._scale + self._source.left(),
                       (point.y() - self._offset.y()) / self._scale + self._source.top())

    def from_scene(self, point: QPointF) -> QPointF:
        return QPointF((point.x() - self._source.left()) * self._scale + self._offset.x(),
                       (point.y() - self._source.top()) * self._scale + self._offset.y())

    def visible_rect(self) -> QRectF:
        """The part of the scene the canvas shows, in this widget's coordinates."""
        view = self._view
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        top_left, bottom_right = self.from_scene(shown.topLeft()), self.from_scene(shown.bottomRight())
        return QRectF(top_left, bottom_right)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.BACKGROUND))
        if not self._picture.isNull():
            painter.drawPixmap(self._offset, self._picture)
        if not self._source.isEmpty():
            shown = self.visible_rect().intersected(QRectF(self.contentsRect()).adjusted(0, 0, -1, -1))
            accent = QColor(theme.SELECTION)
            fill = QColor(accent)
            fill.setAlpha(40)
            painter.fillRect(shown, fill)
            painter.setPen(QPen(accent, 1.5))
            painter.drawRect(shown)
        painter.end()
        super().paintEvent(event)

    # --- moving the canvas -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._move_view(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._move_view(event.position())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _move_view(self, point: QPointF) -> None:
        self._view.centerOn(self.to_scene(point))
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.isVisible():
            self.render_picture()
