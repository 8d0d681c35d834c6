"""A layer on the canvas: name, layer type, output-shape badge and parameter count.

The item only draws what the scene tells it (graph events and validation results); moving
it by mouse is a gesture the scene turns into one ``Document.move_nodes`` step on release.
Painting is cheap on purpose: text is laid out once per change, the body paths are shared
by all nodes, the item is cached as a device pixmap, and when zoomed far out (a 250-layer
model fitted to the window) only a coloured block is drawn.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.core.graph import Node
from app.core.shapes import NodeInfo, Problem, describe_shapes
from app.gui import theme
from app.gui.editor.port_item import PortItem

if TYPE_CHECKING:
    from app.gui.editor.edge_item import EdgeItem

WIDTH = 212.0
HEIGHT = 72.0
RADIUS = 9.0
STRIPE = 7.0
PAD = 7.0
SIMPLE_LOD = 0.4
"""Below this zoom a node is a plain block: text would be unreadable anyway."""

_RECT = QRectF(-WIDTH / 2, -HEIGHT / 2, WIDTH, HEIGHT)
_MARKER_CENTER = QPointF(WIDTH / 2 - 3, -HEIGHT / 2 + 3)
_MARKER_RADIUS = 9.0
_BOUNDS = _RECT.adjusted(-6, -20, _MARKER_RADIUS + 3, 8)
"""Selection ring, port labels above the top edge, the problem marker at the corner."""


def _paths() -> tuple[QPainterPath, QPainterPath]:
    body = QPainterPath()
    body.addRoundedRect(_RECT, RADIUS, RADIUS)
    strip = QPainterPath()
    strip.addRect(QRectF(_RECT.left(), _RECT.top(), STRIPE, HEIGHT))
    return body, body.intersected(strip)


BODY_PATH, STRIPE_PATH = _paths()


@dataclass(frozen=True)
class _Fonts:
    name: QFont
    title: QFont
    badge: QFont
    marker: QFont
    name_metrics: QFontMetricsF
    title_metrics: QFontMetricsF
    badge_metrics: QFontMetricsF


@cache
def _fonts() -> _Fonts:
    """Created on first use: fonts need a running QGuiApplication."""
    name, title, badge = theme.font(14, bold=True), theme.font(12), theme.font(12)
    return _Fonts(name, title, badge, theme.font(12, bold=True), QFontMetricsF(name), QFontMetricsF(title),
                  QFontMetricsF(badge))


def compact_count(n: int) -> str:
    """``1280`` -> ``1.3k``: used only when the exact figure does not fit on the node."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def params_text(n: int, exact: bool = True) -> str:
    figure = f"{n:,}" if exact else compact_count(n)
    return f"{figure} param{'' if n == 1 else 's'}"


def _esc(text: str) -> str:
    """Tooltips are rich text; apostrophes in messages stay readable."""
    return html.escape(text, quote=False)


class NodeItem(QGraphicsItem):
    """One node; its position is the centre of the card (the graph's ``position``).

    No ``itemChange`` override on purpose: PySide calls it for every change of every item,
    which made opening a big model slow. The scene updates edges where nodes move.
    """

    def __init__(self, node: Node, info: NodeInfo | None = None, problems: list[Problem] | None = None) -> None:
        """``info``/``problems``: the current analysis of this node, when there is one, so the
        text is laid out once (a 250-node model opens noticeably faster)."""
        super().__init__()
        self.node_id = node.id
        self.class_name = node.class_name
        spec = node.spec
        self.category = spec.category if spec else ""
        self.title = spec.title if spec else node.class_name
        self.name = node.name
        self.edges: set[EdgeItem] = set()
        self.shape_text = "?"
        self.params = 0
        self.known = False
        self.severity: str | None = None
        self.problems: list[Problem] = []
        self._info_key: Any = object()
        self._accent = theme.category_color(self.category)
        self._tint = theme.category_tint(self.category)
        self._border = theme.category_border(self.category)
        ports = spec.ports if spec else ()
        labelled = len(ports) > 1
        self.inputs: dict[str, PortItem] = {}
        for i, port in enumerate(ports):
            item = PortItem(self, port, show_label=labelled)
            item.setPos(-WIDTH / 2 + WIDTH * (i + 1) / (len(ports) + 1), -HEIGHT / 2)
            self.inputs[port.name] = item
        self.output = PortItem(self, None)
        self.output.setPos(0.0, HEIGHT / 2)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setPos(*node.position)
        self._tooltip = ""
        if info is not None or problems:
            self.set_info(info, problems or [])
        else:
            self._layout_text()
            self._update_tooltip()

    # --- what the scene tells the item ----------------------------------------------------

    def refresh(self, node: Node) -> None:
        """After a rename or a config change (the class never changes: that is a new node)."""
        if node.name != self.name:
            self.name = node.name
            self._layout_text()
            self._update_tooltip()
            self.update()

    def set_info(self, info: NodeInfo | None, problems: list[Problem]) -> bool:
        """Show one validation result; returns whether anything visible changed."""
        shape_text = describe_shapes(info) if info is not None else "?"
        known = info is not None and info.ok
        params = info.params if info is not None else 0
        key = (shape_text, known, params, tuple((p.severity, p.message) for p in problems))
        if key == self._info_key:
            return False
        self._info_key = key
        self.shape_text, self.known, self.params, self.problems = shape_text, known, params, list(problems)
        severities = {p.severity for p in problems}
        self.severity = "error" if "error" in severities else ("warning" if severities else None)
        self.output.set_tooltip(shape_text if known else "")
        self._layout_text()
        self._update_tooltip()
        self.update()
        return True

    def input_port(self, name: str) -> PortItem | None:
        return self.inputs.get(name)

    def ports(self) -> list[PortItem]:
        return [*self.inputs.values(), self.output]

    # --- layout and tooltip --------------------------------------------------------------------

    def _layout_text(self) -> None:
        f = _fonts()
        left = _RECT.left() + STRIPE + PAD
        width = _RECT.right() - PAD - left
        name_width = width - _MARKER_RADIUS - 4
        self._name_rect = QRectF(left, _RECT.top() + 6, name_width, f.name_metrics.height())
        self._name_text = f.name_metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, name_width)
        self._title_rect = QRectF(left, self._name_rect.bottom(), width, f.title_metrics.height())
        # The shape badge goes on the bottom row, the parameter count beside it when it fits,
        # else at the end of the title row; the exact count is preferred to a rounded one.
        pill_pad, gap = 5.0, 8.0
        top = self._title_rect.bottom() + 5
        pill_height = f.badge_metrics.height() + 5
        shape_width = f.badge_metrics.horizontalAdvance(self.shape_text) + 2 * pill_pad
        title_width = f.title_metrics.horizontalAdvance(self.title)
        texts = [params_text(self.params), params_text(self.params, exact=False)] if self.known else ["? params"]
        placed = None
        for count in texts:
            count_width = f.title_metrics.horizontalAdvance(count)
            if shape_width + gap + count_width <= width:
                placed = (count, count_width, "badge")
            elif title_width + gap + count_width <= width:
                placed = (count, count_width, "title")
            if placed:
                break
        if placed is None:
            count = texts[-1]
            placed = (count, f.title_metrics.horizontalAdvance(count), "title")
        count, count_width, row = placed
        self._count_text = count
        if row == "badge":
            self._count_rect = QRectF(_RECT.right() - PAD - count_width, top, count_width, pill_height)
            title_room = width
        else:
            self._count_rect = QRectF(_RECT.right() - PAD - count_width, self._title_rect.top(), count_width,
                                      self._title_rect.height())
            title_room = width - count_width - gap
        self._title_text = f.title_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, title_room)
        shape = f.badge_metrics.elidedText(self.shape_text, Qt.TextElideMode.ElideMiddle, width - 2 * pill_pad)
        self._shape_display = shape
        self._pill_rect = QRectF(left, top, f.badge_metrics.horizontalAdvance(shape) + 2 * pill_pad, pill_height)

    def _update_tooltip(self) -> None:
        lines = [f"<b>{_esc(self.name)}</b> — {_esc(self.title)}"]
        lines.append(f"Output: <tt>{_esc(self.shape_text)}</tt>")
        if self.known:
            lines.append(params_text(self.params))
        for problem in self.problems:
            colour = theme.ERROR if problem.severity == "error" else theme.WARNING
            text = f"<span style='color:{colour}'>● {_esc(problem.message)}</span>"
            if problem.fix is not None:
                text += f"<br>&nbsp;&nbsp;Fix: {_esc(problem.fix.description)}"
            lines.append(text)
        tooltip = "<br>".join(lines)
        if tooltip != self._tooltip:
            self._tooltip = tooltip
            self.setToolTip(tooltip)

    # --- painting -----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return _BOUNDS

    def shape(self) -> QPainterPath:
        return BODY_PATH

    def outline_color(self) -> QColor:
        if self.severity == "error":
            return QColor(theme.ERROR)
        if self.severity == "warning":
            return QColor(theme.WARNING)
        return self._border

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        if lod < SIMPLE_LOD:
            self._paint_simple(painter, selected)
            return
        painter.setPen(QPen(self.outline_color(), 3.0 if self.severity else 1.3))
        painter.setBrush(QBrush(self._tint))
        painter.drawPath(BODY_PATH)
        painter.fillPath(STRIPE_PATH, self._accent)
        f = _fonts()
        painter.setPen(QColor(theme.TEXT))
        painter.setFont(f.name)
        painter.drawText(self._name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._name_text)
        painter.setFont(f.title)
        painter.setPen(QColor(theme.TEXT_SECONDARY))
        painter.drawText(self._title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self._title_text)
        painter.drawText(self._count_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self._count_text)
        painter.setPen(QPen(QColor(theme.BADGE_BORDER), 1.0))
        painter.setBrush(QColor(theme.BADGE_FILL))
        painter.drawRoundedRect(self._pill_rect, 5, 5)
        painter.setFont(f.badge)
        painter.setPen(QColor(theme.TEXT if self.known else theme.TEXT_MUTED))
        painter.drawText(self._pill_rect, Qt.AlignmentFlag.AlignCenter, self._shape_display)
        if self.severity:
            painter.setPen(QPen(QColor("#FFFFFF"), 1.5))
            painter.setBrush(self.outline_color())
            painter.drawEllipse(_MARKER_CENTER, _MARKER_RADIUS, _MARKER_RADIUS)
            painter.setFont(f.marker)
            painter.setPen(QColor("#FFFFFF"))
            marker = QRectF(_MARKER_CENTER.x() - _MARKER_RADIUS, _MARKER_CENTER.y() - _MARKER_RADIUS,
                            2 * _MARKER_RADIUS, 2 * _MARKER_RADIUS)
            painter.drawText(marker, Qt.AlignmentFlag.AlignCenter, "!")
        for port in self.inputs.values():
            port.draw(painter)
        self.output.draw(painter)
        if selected:
            painter.setPen(QPen(QColor(theme.SELECTION), 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(_RECT.adjusted(-4, -4, 4, 4), RADIUS + 3, RADIUS + 3)

    def _paint_simple(self, painter: QPainter, selected: bool) -> None:
        fill = QColor(theme.SELECTION) if selected else self._accent
        if self.severity:
            pen = QPen(self.outline_color(), 3.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRect(_RECT)
