"""Ports: where edges attach, and where a connection drag starts or ends.

Input ports sit on a node's top edge (one per ``PortSpec``, the optional ones too), the output
ports on the bottom edge: one per output the layer's config gives (a recurrent layer with
return_state adds its states, labelled "h" and "c"), each the ``source_port`` of its edges. A
variadic port (the inputs of Add or Concatenate) is drawn as one wide port that takes any number
of edges, spread along it in slot order. The scene routes a press on a port
to its connect drag (``editor/interactions.py``), which asks the document to connect on
release; the port only draws and reports its state, and never edits anything.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.core.catalog.spec import PortSpec
from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.node_item import NodeItem

PORT_RADIUS = theme.NORMAL.port_radius
HIT_RADIUS = theme.NORMAL.port_hit_radius
"""Ports are small on screen but easy to hit: the clickable area is wider than the dot."""
WIDE_PORT_WIDTH = theme.NORMAL.wide_port_width
LABEL_GAP = 3.0
LABEL_RECT = QRectF(-40, -PORT_RADIUS - LABEL_GAP - 13, 80, 13)
# Enum members bound once: PySide's enum attribute lookups add up over hundreds of ports.
_NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
_LEFT_BUTTON = Qt.MouseButton.LeftButton
_CROSS = Qt.CursorShape.CrossCursor


@cache
def _geometry(wide: bool, look: theme.Look = theme.NORMAL) -> tuple[QRectF, QPainterPath, QRectF]:
    """The dot, the hit shape and the bounds, shared by all ports of a kind and look."""
    radius, hit_radius = look.port_radius, look.port_hit_radius
    half = look.wide_port_width / 2 if wide else radius
    dot = QRectF(-half, -radius, 2 * half, 2 * radius)
    grow = hit_radius - radius
    hit = dot.adjusted(-grow, -grow, grow, grow)
    shape = QPainterPath()
    shape.addRoundedRect(hit, hit_radius, hit_radius)
    return dot, shape, hit


@cache
def _label_font(look: theme.Look = theme.NORMAL) -> QFont:
    return theme.font(look.port_label_px)


@cache
def _label_rect(look: theme.Look = theme.NORMAL) -> QRectF:
    """Above the dot, centred on it (the normal look gives :data:`LABEL_RECT`)."""
    height = 13.0 if look.port_label_px <= 10 else round(look.port_label_px * 1.3)
    width = 80.0 if look.port_label_px <= 10 else 8.0 * look.port_label_px
    return QRectF(-width / 2, -look.port_radius - LABEL_GAP - height, width, height)


class PortItem(QGraphicsItem):
    """One input port (``spec`` set) or output ``index`` (``spec`` None, ``label`` its name) of a node."""

    def __init__(self, node: NodeItem, spec: PortSpec | None, show_label: bool = False,
                 look: theme.Look = theme.NORMAL, index: int = 0, label: str = "output") -> None:
        super().__init__(node)
        self.node = node
        self.spec = spec
        self.is_output = spec is None
        self.index = index
        """Which of the node's outputs (an edge's ``source_port``); 0 for input ports."""
        self.name = label if spec is None else spec.name
        self.variadic = bool(spec and spec.variadic)
        self.connected = 0
        self.state = ""  # "", "valid", "invalid", "hover-valid", "hover-invalid"
        self.show_label = show_label
        self.look = look
        self._dot, self._shape, self._bounds = _geometry(self.variadic, look)
        # The node draws its ports (one paint call per node instead of three): this item only
        # takes the mouse and shows the tooltip.
        self.setFlag(_NO_CONTENTS)
        self.setAcceptedMouseButtons(_LEFT_BUTTON)
        self.setCursor(_CROSS)
        self.setZValue(1)
        self.set_tooltip("")

    # --- geometry ------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def set_look(self, look: theme.Look) -> None:
        """Presenter mode: bigger dots, easier to hit (the node re-places the port)."""
        if look != self.look:
            self.prepareGeometryChange()
            self.look = look
            self._dot, self._shape, self._bounds = _geometry(self.variadic, look)

    def anchor(self, index: int = 0, count: int = 1) -> QPointF:
        """Scene point where the ``index``-th of ``count`` edges on this port attaches."""
        x = 0.0
        if self.variadic and count > 1:
            usable = self.look.wide_port_width - 2 * self.look.port_radius
            x = -usable / 2 + usable * index / (count - 1)
        return self.scenePos() + QPointF(x, 0.0)

    # --- state -----------------------------------------------------------------------------

    def set_connected(self, count: int) -> None:
        if count != self.connected:
            self.connected = count
            self.node.update()

    def set_state(self, state: str) -> None:
        """Highlight while a connection is being dragged (see GraphScene)."""
        if state != self.state:
            self.state = state
            self.node.update()

    def set_tooltip(self, shape_text: str) -> None:
        if self.is_output:
            text = f"Output {self.index} '{self.name}'" if self.index or self.show_label else "Output"
            if shape_text:
                text += f" {shape_text}"
            text += "\nDrag to an input port to connect."
        elif self.variadic:
            text = f"Input port '{self.name}': takes several inputs, in the order they are connected."
        else:
            text = f"Input port '{self.name}'" + (" (optional)" if self.spec and self.spec.optional else "")
        if text != self.toolTip():
            self.setToolTip(text)

    # --- painting ---------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Never called (ItemHasNoContents): see :meth:`draw`."""

    def draw(self, painter: QPainter) -> None:
        """Paint the port in its node's coordinates (called from ``NodeItem.paint``)."""
        look = self.look
        border = QColor(look.port_connected)
        filled = (self.connected or self.is_output) and not self.variadic  # a wide port stays light: edges show it
        fill = QColor(look.port_connected if filled else look.port_fill)
        width = look.port_width
        if self.state:
            valid = self.state in ("valid", "hover-valid")
            border = QColor(theme.VALID_TARGET if valid else theme.INVALID_TARGET)
            width = (3.0 if self.state.startswith("hover") else 2.2) * look.port_width / theme.NORMAL.port_width
            if self.state.startswith("hover"):
                fill = border
        painter.setPen(QPen(border, width))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self._dot.translated(self.pos()), look.port_radius, look.port_radius)
        if self.show_label:
            painter.setFont(_label_font(look))
            painter.setPen(QColor(look.text_secondary))
            rect = _label_rect(look)
            if self.is_output:  # inside the card, just above the dot: the bounds end below the card
                rect = rect.translated(0.0, LABEL_GAP - 1.0)
            painter.drawText(rect.translated(self.pos()), Qt.AlignmentFlag.AlignCenter, self.name)
