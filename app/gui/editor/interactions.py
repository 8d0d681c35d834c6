"""Gestures the scene runs on behalf of its items: an interaction object the scene owns and forwards mouse events to.

This is orange-canvas-core's ``interactions.py`` pattern. Items only draw themselves and report
what they are; they never reach for the scene. When a press lands on a port, the scene starts a
:class:`ConnectInteraction` and hands it every move and release until the drag ends, so the
connect drag (the rubber-band edge, which ports are valid, hit-testing the drop, making the
edge through the document) lives in one place, and ``port_item.py``, ``node_item.py`` and
``edge_item.py`` import nothing of ``scene.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsSceneMouseEvent

from app.core.graph import Edge, GraphError
from app.gui import theme
from app.gui.editor.edge_item import bezier
from app.gui.editor.node_item import NodeItem
from app.gui.editor.port_item import PortItem

if TYPE_CHECKING:
    from app.gui.editor.scene import GraphScene

LOCKED_MESSAGE = "The model is locked while training runs."
DIMMED_OPACITY = 0.3


class Interaction:
    """One gesture in progress. Each handler returns True when it used the event (the scene then
    passes it to no item); :meth:`cancel` ends the gesture without an edit."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def cancel(self) -> None:
        """Undo what the gesture shows (highlights, helper items); the scene forgets it afterwards."""


class ConnectInteraction(Interaction):
    """Dragging from a port to make an edge: the rubber line, valid and invalid targets, the drop."""

    def __init__(self, scene: GraphScene, origin: PortItem) -> None:
        super().__init__(scene)
        self.origin = origin
        self.hover: PortItem | None = None
        self.edge: Edge | None = None
        """The edge the drop made (None while dragging, or when the drop made none)."""
        graph = scene.document.graph
        origin_id = origin.node.node_id
        self.reasons: dict[PortItem, str | None] = {}
        for node_id, item in scene.nodes.items():
            if origin.is_output:
                candidates = [(origin_id, node_id, port.name, port) for port in item.inputs.values()]
            else:  # any output of the other node: its main output or a state
                candidates = [(node_id, origin_id, origin.name, port) for port in item.outputs]
            any_valid = False
            for source, target, port_name, port in candidates:
                reason = graph.can_connect(source, target, port_name)
                self.reasons[port] = reason
                port.set_state("invalid" if reason else "valid")
                any_valid = any_valid or reason is None
            if item is not origin.node and not any_valid:
                item.setOpacity(DIMMED_OPACITY)
        self.line = QGraphicsPathItem()
        pen = QPen(QColor(theme.SELECTION), 2.5, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        pen.setCosmetic(True)
        self.line.setPen(pen)
        self.line.setZValue(100.0)
        self.line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        scene.addItem(self.line)
        self.move(origin.scenePos())

    # --- the scene forwards its mouse events here while the drag lasts --------------------------

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        event.accept()  # another button during the drag: ignored, the drag goes on
        return True

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        self.move(event.scenePos())
        event.accept()
        return True

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return True
        self.finish(event.scenePos())
        event.accept()
        return True

    # --- the gesture -------------------------------------------------------------------------

    def move(self, scene_pos: QPointF) -> None:
        """Follow the mouse with the rubber line and light up the port under it."""
        start = self.origin.scenePos()
        path = bezier(start, scene_pos) if self.origin.is_output else bezier(scene_pos, start)
        self.line.setPath(path)
        port = self._port_at(scene_pos)
        if port is not self.hover:
            if self.hover is not None:
                reason = self.reasons.get(self.hover)
                self.hover.set_state("invalid" if reason else "valid")
            self.hover = port
            if port is not None:
                reason = self.reasons.get(port)
                port.set_state("hover-invalid" if reason else "hover-valid")
                if reason:
                    self.scene.message.emit(sentence(reason))

    def finish(self, scene_pos: QPointF) -> Edge | None:
        """The drop: connect through the document, or say why not. Ends the gesture either way."""
        target = self.target_at(scene_pos)
        self.scene.end_interaction(self)
        if target is None:
            return None
        source, node_id, port_name, source_port = target
        try:
            self.edge = self.scene.document.connect_nodes(source, node_id, port_name, source_port)
        except (GraphError, PermissionError) as error:
            self.scene.message.emit(sentence(str(error)))
        return self.edge

    def _port_at(self, scene_pos: QPointF) -> PortItem | None:
        """The nearest port that takes part in this drag within the look's snap tolerance."""
        tolerance = self.scene.look.snap_tolerance
        box = QRectF(scene_pos.x() - tolerance, scene_pos.y() - tolerance, 2 * tolerance, 2 * tolerance)
        best: tuple[float, PortItem] | None = None
        for item in self.scene.items(box):
            if isinstance(item, PortItem) and item in self.reasons:
                d = item.scenePos() - scene_pos
                distance = d.x() ** 2 + d.y() ** 2
                if best is None or distance < best[0]:
                    best = (distance, item)
        return best[1] if best else None

    def target_at(self, scene_pos: QPointF) -> tuple[str, str, str, int] | None:
        """(source, target, port, source output) for a drop on a port or on a node's body, else None."""
        origin_id = self.origin.node.node_id
        if (scene_pos - self.origin.scenePos()).manhattanLength() < self.scene.look.snap_tolerance:
            return None  # a click on the port, not a drag
        port = self._port_at(scene_pos)
        if port is None:
            node = next((i for i in self.scene.items(scene_pos) if isinstance(i, NodeItem)), None)
            if node is None:
                return None
            ports = [node.output] if not self.origin.is_output else list(node.inputs.values())
            if not ports:  # an InputLayer has no input: connecting to it is still refused, with a reason
                return (origin_id, node.node_id, "input", self.origin.index)
            if node is self.origin.node:
                port = ports[0]
            else:
                port = next((p for p in ports if self.reasons.get(p) is None), ports[0])
        if self.origin.is_output:
            return (origin_id, port.node.node_id, port.name, self.origin.index)
        return (port.node.node_id, origin_id, self.origin.name, port.index)

    def cancel(self) -> None:
        for port in self.reasons:
            port.set_state("")
        for item in self.scene.nodes.values():
            opacity = self.scene.rest_opacity(item)
            if item.opacity() != opacity:
                item.setOpacity(opacity)
        if self.line.scene() is self.scene:
            self.scene.removeItem(self.line)


def sentence(text: str) -> str:
    """A refusal reason as a sentence for the status line."""
    text = text.strip()
    if not text:
        return "That connection is not allowed."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


__all__ = ["DIMMED_OPACITY", "LOCKED_MESSAGE", "ConnectInteraction", "Interaction", "sentence"]
