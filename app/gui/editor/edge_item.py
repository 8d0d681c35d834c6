"""A connection drawn as a Bezier curve from an output port down to an input port.

The path is computed when an end moves, never while painting. Edges that skip rows of a
layered layout bow out sideways so they are not hidden behind the nodes they pass.
Clicking an edge selects it (Delete then disconnects it through the document). Edge
selection is kept by the scene, not by Qt, so a rubber band picks nodes only and never
disconnects something by accident. Zoomed far out the scene hides the edge items and draws
all edges as one path instead (see ``GraphScene.set_overview``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.core.graph import Edge
from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.node_item import NodeItem

ARROW = theme.NORMAL.arrow
HIT_WIDTH = theme.NORMAL.edge_hit_width
ROW = 110.0
"""About one row of the automatic layout: longer vertical edges take a lane to the side."""
LANE_OFFSET = 132.0
"""Distance of that lane from the column's centre: just clear of a node's right edge."""
_LEFT_BUTTON = Qt.MouseButton.LeftButton


def bezier(start: QPointF, end: QPointF, row: float = ROW) -> QPainterPath:
    """Leaves the output going down, arrives at the input coming down.

    An edge that skips rows of a column (a residual connection) takes a lane beside the
    column instead of running hidden behind the nodes it passes. ``row`` is the distance of
    the rows as drawn (presenter mode may draw them further apart: see ``GraphScene.spread``).
    """
    dx, dy = end.x() - start.x(), end.y() - start.y()
    path = QPainterPath(start)
    if abs(dx) < LANE_OFFSET and dy > 1.5 * row:
        lane = max(start.x(), end.x()) + LANE_OFFSET
        top, bottom = start.y() + row * 0.8, end.y() - row * 0.8
        path.cubicTo(QPointF(start.x(), start.y() + 45), QPointF(lane, top - 45), QPointF(lane, top))
        path.lineTo(QPointF(lane, bottom))
        path.cubicTo(QPointF(lane, bottom + 45), QPointF(end.x(), end.y() - 45), end)
        return path
    pull = max(40.0, abs(dy) * 0.45)
    path.cubicTo(QPointF(start.x(), start.y() + pull), QPointF(end.x(), end.y() - pull), end)
    return path


def _esc(text: str) -> str:
    """Tooltips are rich text; apostrophes in messages stay readable."""
    return html.escape(text, quote=False)


class EdgeItem(QGraphicsItem):
    """One graph edge; ``index``/``count`` place it on a wide (variadic) input port."""

    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem, look: theme.Look = theme.NORMAL) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.index = 0
        self.count = 1
        self.row = ROW
        """The distance of auto-layout rows as the scene draws them (see ``GraphScene.spread``)."""
        self._path = QPainterPath()
        self._arrow = QPolygonF()
        self._shape: QPainterPath | None = None
        self._outline: QPolygonF | None = None
        self._bounds = QRectF()
        self._tooltip = ""
        self.selected = False
        self.plain = False
        """Drawing for an exported diagram: selection is not shown."""
        self.look = look
        self.setAcceptedMouseButtons(_LEFT_BUTTON)
        self.setZValue(-1.0)
        source.edges.add(self)
        target.edges.add(self)
        self.update_path()

    def detach(self) -> None:
        self.source.edges.discard(self)
        self.target.edges.discard(self)

    def set_look(self, look: theme.Look) -> None:
        """Presenter mode on or off: thicker, darker edges (call after the nodes took the look)."""
        if look != self.look:
            self.look = look
            self.update_path()

    def set_plain(self, plain: bool) -> None:
        if plain != self.plain:
            self.plain = plain
            self.update()

    def update_path(self) -> None:
        look = self.look
        start = self.source.output_port(self.edge.source_port).anchor()
        port = self.target.input_port(self.edge.target_port)
        end = port.anchor(self.index, self.count) if port is not None else self.target.scenePos() + QPointF(
            0.0, self.target.card_rect().top())
        end = QPointF(end.x(), end.y() - (look.port_radius - 1.5))  # stop at the port's rim; the arrow tip touches it
        path = bezier(start, end, self.row)
        self.prepareGeometryChange()
        self._path = path
        self._outline = None
        arrow, hit = look.arrow, look.edge_hit_width
        self._arrow = QPolygonF([end, QPointF(end.x() - arrow * 0.6, end.y() - arrow),
                                 QPointF(end.x() + arrow * 0.6, end.y() - arrow)])
        self._shape = None
        self._bounds = path.boundingRect().adjusted(-hit, -hit, hit, hit)

    def set_shape_text(self, shape_text: str) -> None:
        """Tooltip: what flows along the edge."""
        source, target = _esc(self.source.name), _esc(self.target.name)
        if self.edge.source_port:
            source += f" ('{_esc(self.source.output_port(self.edge.source_port).name)}')"
        port = _esc(self.edge.target_port)
        tooltip = f"{source} → {target} ('{port}')<br><tt>{_esc(shape_text)}</tt>"
        if tooltip != self._tooltip:
            self._tooltip = tooltip
            self.setToolTip(tooltip)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(self.look.edge_hit_width)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.selected and not self.plain
        look = self.look
        colour = QColor(look.selection if selected else look.edge)
        if lod < 0.4:  # zoomed far out: a polyline is as good and much cheaper than the curve
            pen = QPen(colour, 2.0 if selected else 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            if self._outline is None:
                self._outline = QPolygonF([self._path.pointAtPercent(i / 8) for i in range(9)])
            painter.drawPolyline(self._outline)
            return
        painter.setPen(QPen(colour, look.edge_selected_width if selected else look.edge_width, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(self._arrow)
