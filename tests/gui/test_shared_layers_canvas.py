"""Shared layers on the canvas: the nodes that call one layer carry its colour tag and "shared ×N",
and editing one of them edits the layer (every call) as one undo step."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from app.gui.document import Document
from app.gui.editor.node_item import NodeItem, shared_color
from app.gui.editor.view import GraphView


def _siamese() -> tuple[Document, str, str, str]:
    doc = Document()
    a = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 4]})
    b = doc.add_node("InputLayer", (300, 0), {"batch_shape": [None, 4]})
    tower = doc.add_node("Dense", (0, 150), {"units": 3})
    again = doc.edit("Use the layer again", lambda g: g.add_shared_call(tower, (300, 150)).id)
    doc.connect_nodes(a, tower)
    doc.connect_nodes(b, again)
    other = doc.add_node("Dense", (150, 300), {"units": 2})
    doc.undo_stack.clear()
    doc.revalidate()
    return doc, tower, again, other


def _render(item: NodeItem) -> QImage:
    bounds = item.boundingRect()
    image = QImage(int(bounds.width()) + 2, int(bounds.height()) + 2, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.translate(-bounds.left() + 1, -bounds.top() + 1)
    item.paint(painter, _Option(), None)
    painter.end()
    return image


class _Option:
    """The style option paint reads: full detail (level of detail 1)."""

    @staticmethod
    def levelOfDetailFromTransform(_transform: object) -> float:
        return 1.0


def _has_colour(image: QImage, colour: QColor) -> bool:
    return any(QColor(image.pixel(x, y)).rgb() == colour.rgb()
               for y in range(image.height()) for x in range(image.width()))


def test_calls_of_one_layer_are_tagged_alike_and_edit_together(qtbot) -> None:
    doc, tower, again, other = _siamese()
    view = GraphView(doc)
    qtbot.addWidget(view)
    scene = view.graph_scene()
    items = {nid: scene.nodes[nid] for nid in (tower, again, other)}
    assert items[tower].shared == items[again].shared == (tower, 2)
    assert items[other].shared == (None, 1)
    assert "2 nodes call it" in items[again].toolTip()
    colour = shared_color(tower)
    assert _has_colour(_render(items[tower]), colour) and _has_colour(_render(items[again]), colour)
    assert not _has_colour(_render(items[other]), colour)

    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.edit("Set units", lambda g: g.set_param(again, "units", 5))
    assert doc.graph.node(tower).config["units"] == 5
    assert doc.analysis.total_params == 4 * 5 + 5  # the shared Dense once (the other Dense is unconnected)
    assert doc.undo_stack.count() == 1
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.undo_stack.undo()
    assert doc.graph.node(tower).config["units"] == doc.graph.node(again).config["units"] == 3

    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.edit("Delete", lambda g: g.remove_node(tower))
    assert scene.nodes[again].shared == (None, 1)  # the last call owns the layer alone: no tag
    assert isinstance(items[again].card_rect(), QRectF)
