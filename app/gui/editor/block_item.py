"""Blocks on the canvas: a collapsed block is one card, an open block a labelled frame.

The block tree lives in the model (:mod:`app.core.blocks`); :class:`BlockLayer` keeps a
scene's picture of it in step with the document:

* the layers inside a collapsed block are folded away: the scene drops their items and their
  edges' (:meth:`GraphScene.set_folded`; an edge item marked :data:`FOLDED` is skipped by the
  zoomed-out edge path and hidden again by :meth:`BlockLayer.apply_folds`); the block is
  drawn as a :class:`BlockItem` where its first layer is: name, kind, input and output
  shapes, parameters, FLOPs and "N layers", with the problem marker when a layer inside has
  a shape error;
* edges that cross a collapsed block's border attach to its card (:class:`LinkItem`), each at
  the place of the tensor it carries (the card's inputs and outputs, in the order its shapes
  line lists them), and from or to the layer's own port outside (an LSTM's "h" and "c");
* an open block draws a :class:`BlockFrame` around its members, labelled with its name: one
  rectangle per column where the layout wrapped them (:func:`frame_regions`), so no card that
  is not the block's is inside.

Double-click (or Enter on the selected card) opens a block in place; double-click inside an
open block's frame (not on a card) closes it. Both are document edits (one undo step each) that also lay
the view out again (``app.core.layout.apply_view_layout``), so what opens gets room.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.core.blocks import KIND_TITLES, BlockPorts, BlockTotals, block_ports, block_totals
from app.core.catalog.rules import fmt_shape
from app.core.insight import format_flops
from app.core.layout import apply_view_layout, block_anchor, computation_order, visible_owners
from app.gui import theme
from app.gui.editor.edge_item import bezier
from app.gui.editor.node_item import SIMPLE_LOD, params_text

if TYPE_CHECKING:
    from app.core.graph import Edge
    from app.gui.document import Document
    from app.gui.editor.scene import GraphScene

CARD_WIDTH = theme.NORMAL.node_width
CARD_HEIGHT = 84.0
"""Like a layer's card, so a row of the layout (110) leaves room for the edges between cards."""
STACK = 5.0
"""The card is drawn over a second outline this far down-right: a stack, "more inside"."""
FRAME_PAD = 22.0
FRAME_LABEL = 22.0
"""Room above an open block's members for its label."""
FRAME_RADIUS = 12.0
BLOCK_TINT = "#EEF1F6"
FRAME_COLOUR = "#8792A2"
FOLDED = 0x4C46
"""``QGraphicsItem.data`` key: True on the edge items of folded layers."""


def _font(pixel_size: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    return font


def shapes_text(shapes: tuple[Any, ...], compact: bool = False) -> str:
    """``((None, 56, 56, 64),)`` -> ``(None, 56, 56, 64)``, or ``56×56×64`` when ``compact`` (the
    batch dimension left out, to fit a card); unknown shapes are ``?``."""
    if not shapes:
        return "—"
    if compact:
        return ", ".join("?" if s is None else "×".join("?" if d is None else str(d) for d in s[1:]) or "scalar"
                         for s in shapes)
    return ", ".join("?" if s is None else fmt_shape(s) for s in shapes)


def card_lines(name: str, kind: str, totals: BlockTotals) -> tuple[str, str, str, str]:
    """Title, kind line, shapes line and cost line of a collapsed card."""
    layers = f"{totals.layers} layer{'' if totals.layers == 1 else 's'}"
    kind_line = f"{KIND_TITLES.get(kind, kind)} · {layers}"
    shapes = f"{shapes_text(totals.input_shapes, True)} → {shapes_text(totals.output_shapes, True)}"
    cost = f"{params_text(totals.params, exact=totals.params < 10_000_000)} · {format_flops(totals.flops)}"
    return name, kind_line, shapes, cost


class BlockItem(QGraphicsItem):
    """A collapsed block: one card standing for every layer inside."""

    def __init__(self, layer: BlockLayer, block_id: str) -> None:
        super().__init__()
        self._layer = weakref.ref(layer)  # weakly: no reference cycle through the scene's items
        self.block_id = block_id
        self.name = ""
        self.kind = "group"
        self.lines: tuple[str, str, str, str] = ("", "", "", "")
        self.severity: str | None = None
        self.problem_count = 0
        self.inputs: dict[tuple[str, int], int] = {}
        """(producer node id, output index) -> place along the top edge: the block's inputs, in the
        order the card's shapes line lists them (:attr:`app.core.blocks.BlockPorts.input_tensors`)."""
        self.outputs: dict[tuple[str, int], int] = {}
        """The same for the outputs along the bottom edge (``output_tensors``)."""
        rect = QRectF(-CARD_WIDTH / 2, -CARD_HEIGHT / 2, CARD_WIDTH, CARD_HEIGHT)
        self._rect = rect
        self._bounds = rect.adjusted(-6, -6, STACK + 6, STACK + 6)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setZValue(1.0)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_content(self, name: str, kind: str, totals: BlockTotals, problems: list[str], severity: str | None) -> None:
        lines = card_lines(name, kind, totals)
        if (lines, severity, len(problems)) == (self.lines, self.severity, self.problem_count):
            return
        self.name, self.kind, self.lines = name, kind, lines
        self.severity, self.problem_count = severity, len(problems)
        full = f"{shapes_text(totals.input_shapes)} → {shapes_text(totals.output_shapes)}"
        tip = [f"<b>{_esc(name)}</b> — {_esc(lines[1])}", _esc(full), _esc(lines[3])]
        if problems:
            tip.append(f"<span style='color:{theme.ERROR}'>{len(problems)} problem"
                       f"{'' if len(problems) == 1 else 's'} inside:</span> " + _esc(problems[0]))
        tip.append("<i>Double-click or Enter to open</i>")
        self.setToolTip("<br>".join(tip))
        self.update()

    def card_rect(self) -> QRectF:
        return QRectF(self._rect)

    def set_ports(self, inputs: Sequence[tuple[str, int]], outputs: Sequence[tuple[str, int]]) -> None:
        """The tensors that enter and leave the block: a link attaches at its tensor's place."""
        ins = {tensor: i for i, tensor in enumerate(inputs)}
        outs = {tensor: i for i, tensor in enumerate(outputs)}
        if (ins, outs) != (self.inputs, self.outputs):
            self.inputs, self.outputs = ins, outs
            self.update()

    def _port_x(self, index: int, count: int) -> float:
        if count <= 1:
            return 0.0
        return self._rect.left() + self._rect.width() * (index + 0.5) / count

    def top_anchor(self, tensor: tuple[str, int] | None = None) -> QPointF:
        """Where a link into the block ends: the place of the ``tensor`` it carries."""
        index = self.inputs.get(tensor, 0) if tensor is not None else 0
        return self.scenePos() + QPointF(self._port_x(index, len(self.inputs)), self._rect.top())

    def bottom_anchor(self, tensor: tuple[str, int] | None = None) -> QPointF:
        """Where a link out of the block starts: the place of the ``tensor`` (inner layer,
        output index) it carries."""
        index = self.outputs.get(tensor, 0) if tensor is not None else 0
        return self.scenePos() + QPointF(self._port_x(index, len(self.outputs)), self._rect.bottom() + STACK)

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        look = theme.NORMAL
        rect = self._rect
        border = QColor(theme.ERROR if self.severity == "error" else theme.WARNING if self.severity else FRAME_COLOUR)
        width = look.problem_width if self.severity else look.outline_width
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setBrush(QBrush(QColor(BLOCK_TINT)))
        if lod < SIMPLE_LOD:
            pen = QPen(QColor(look.selection) if self.isSelected() else border, 2.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawRect(rect)
            return
        painter.setPen(QPen(border, width))
        painter.drawRoundedRect(rect.translated(STACK, STACK), look.node_radius, look.node_radius)
        painter.drawRoundedRect(rect, look.node_radius, look.node_radius)
        inner = rect.adjusted(12, 6, -12, -6)
        title, kind_line, shapes, cost = self.lines
        rows = ((title, _font(14, True), look.text), (kind_line, _font(11), look.text_secondary),
                (shapes, _font(11), look.text), (cost, _font(11), look.text_secondary))
        y = inner.top()
        for text, font, colour in rows:
            metrics = QFontMetricsF(font)
            painter.setFont(font)
            painter.setPen(QColor(colour))
            line = QRectF(inner.left(), y, inner.width(), metrics.height())
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(text, Qt.TextElideMode.ElideRight, inner.width()))
            y += metrics.height() + 2
        self._paint_ports(painter, border)
        if self.severity:
            centre = QPointF(rect.right() - 3, rect.top() + 3)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(border)
            painter.drawEllipse(centre, 9, 9)
            painter.setPen(QColor("#FFFFFF"))
            painter.setFont(_font(12, True))
            painter.drawText(QRectF(centre.x() - 9, centre.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")
        if self.isSelected():
            painter.setPen(QPen(QColor(look.selection), look.selection_width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), look.node_radius + 3, look.node_radius + 3)

    def _paint_ports(self, painter: QPainter, colour: QColor) -> None:
        """A dot for each input and output when a side has several, so each link meets its own."""
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(QColor(theme.NORMAL.background))
        rect = self._rect
        for ports, y in ((self.inputs, rect.top()), (self.outputs, rect.bottom() + STACK)):
            if len(ports) > 1:
                for index in ports.values():
                    painter.drawEllipse(QPointF(self._port_x(index, len(ports)), y), 3.5, 3.5)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            # after the event: opening removes this card, which must not happen inside its own handler
            layer, block_id = self._layer(), self.block_id
            if layer is not None:
                QTimer.singleShot(0, layer, lambda: layer.open_block(block_id))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)


class BlockFrame(QGraphicsItem):
    """An open block: a labelled outline around its members. When the layout wrapped the members
    into several columns, the outline is the union of one rectangle per column (see
    :func:`frame_regions`), so it never takes in a card that is not the block's. The area inside
    takes the mouse below the cards: a double-click on it (not on a card) closes the block."""

    def __init__(self, layer: BlockLayer, block_id: str) -> None:
        super().__init__()
        self._layer = weakref.ref(layer)  # weakly: no reference cycle through the scene's items
        self.block_id = block_id
        self.label = ""
        self._regions: list[QRectF] = []
        self._path = QPainterPath()
        self._rect = QRectF()
        self._label_rect = QRectF()
        self.setZValue(-2.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)

    def set_frame(self, regions: Sequence[QRectF], label: str, depth: int = 0) -> None:
        """Outline ``regions`` (scene rectangles; the first holds the label). ``depth``: how many
        blocks are around this one, so an inner frame is above the outer (it takes the click)."""
        self.setZValue(-2.0 + min(depth, 90) * 0.01)  # links are at -1: every frame stays below them
        regions = [QRectF(r) for r in regions]
        if regions == self._regions and label == self.label:
            return
        self.prepareGeometryChange()
        self._regions, self.label = regions, label
        path = QPainterPath()
        for region in regions:
            piece = QPainterPath()
            piece.addRoundedRect(region, FRAME_RADIUS, FRAME_RADIUS)
            path = piece if path.isEmpty() else path.united(piece)
        self._path = path
        self._rect = path.boundingRect()
        first = regions[0] if regions else QRectF()
        metrics = QFontMetricsF(_font(12, True))
        self._label_rect = QRectF(first.left() + 10, first.top() + 3,
                                  min(metrics.horizontalAdvance(label) + 12, max(0.0, first.width() - 20)),
                                  metrics.height() + 4)
        self.setToolTip(f"{_esc(label)}<br><i>Double-click inside the frame (not on a layer) to close the block</i>")
        self.update()

    def frame_rect(self) -> QRectF:
        """The bounding rectangle of the outline (which may be several column rectangles)."""
        return QRectF(self._rect)

    def regions(self) -> list[QRectF]:
        """The outline's rectangles, the labelled one first."""
        return [QRectF(r) for r in self._regions]

    def outline(self) -> QPainterPath:
        """The outline in scene coordinates (the item is never moved)."""
        return QPainterPath(self._path)

    def covers(self, point: QPointF) -> bool:
        """Whether a scene point is inside the outline (not only inside its bounding rectangle)."""
        return self._path.contains(point)

    def label_rect(self) -> QRectF:
        return QRectF(self._label_rect)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        return self._path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pen = QPen(QColor(FRAME_COLOUR), 1.2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        fill = QColor(FRAME_COLOUR)
        fill.setAlpha(14)
        painter.setBrush(fill)
        if len(self._regions) == 1:  # the usual frame: cheaper to draw than the same as a path
            painter.drawRoundedRect(self._regions[0], FRAME_RADIUS, FRAME_RADIUS)
        else:
            painter.drawPath(self._path)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SIMPLE_LOD:
            return
        font = _font(12, True)
        painter.setFont(font)
        painter.setPen(QColor(theme.TEXT_SECONDARY))
        text = QFontMetricsF(font).elidedText(self.label, Qt.TextElideMode.ElideRight, self._label_rect.width())
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        layer, block_id = self._layer(), self.block_id  # after the event, as for BlockItem
        if layer is not None:
            QTimer.singleShot(0, layer, lambda: layer.close_block(block_id))
        event.accept()


def frame_regions(members: Sequence[QRectF], obstacles: Sequence[QRectF], pad: float = FRAME_PAD,
                  label: float = FRAME_LABEL) -> list[QRectF]:
    """Rectangles that together frame ``members`` (scene rectangles of a block's cards and inner
    frames) without taking in the centre of any of ``obstacles`` (the cards that are not the
    block's): the labelled one first.

    The layout wraps long chains into columns, so one bounding rectangle would take in whatever
    sits between a block's end of one column and its start in the next. Members are grouped
    into strips that overlap across (a column, or one branch of it), a strip into runs of
    members with no other card between them, and touching runs are merged again where their
    union stays clear (the two branches of a residual block give one rectangle). A padded
    rectangle that still reaches an obstacle's centre (frames nested deeper than the rows'
    gap) gives up the padding on that side."""
    if not members:
        return []
    if not obstacles:  # nothing else near (the usual case): one rectangle
        whole = QRectF()
        for rect in members:
            whole = whole.united(rect)
        return [whole.adjusted(-pad, -pad - label, pad, pad)]
    centres = [o.center() for o in obstacles]

    def clear(rect: QRectF) -> bool:
        return not any(rect.contains(c) for c in centres)

    def padded(rect: QRectF) -> QRectF:
        return rect.adjusted(-pad, -pad, pad, pad)

    strips: list[list[QRectF]] = []
    right = -math.inf
    for rect in sorted(members, key=lambda r: (r.left(), r.top())):
        if strips and rect.left() < right:
            strips[-1].append(rect)
            right = max(right, rect.right())
        else:
            strips.append([rect])
            right = rect.right()
    runs: list[QRectF] = []
    for strip in strips:
        run = QRectF()
        for rect in sorted(strip, key=lambda r: r.top()):
            if run.isNull():
                run = QRectF(rect)
            elif clear(padded(run.united(rect))):
                run = run.united(rect)
            else:
                runs.append(run)
                run = QRectF(rect)
        runs.append(run)
    merged = True
    while merged and len(runs) > 1:
        merged = False
        for i, a in enumerate(runs):
            for j in range(i + 1, len(runs)):
                b = runs[j]
                if padded(a).intersects(padded(b)) and clear(padded(a.united(b))):
                    runs[i] = a.united(b)
                    del runs[j]
                    merged = True
                    break
            if merged:
                break
    runs.sort(key=lambda r: (r.left(), r.top()))  # the block begins top-left (columns wrap left to right)
    # the label goes on the first rectangle with room above it (a card just above would hide it)
    labelled = next((i for i, run in enumerate(runs)
                     if not any(o.intersects(QRectF(run.left() - pad, run.top() - pad - label, run.width() + 2 * pad,
                                                    label + pad)) for o in obstacles)), 0)
    runs.insert(0, runs.pop(labelled))
    regions = []
    for index, run in enumerate(runs):
        region = run.adjusted(-pad, -pad - (label if index == 0 else 0.0), pad, pad)
        for obstacle, centre in zip(obstacles, centres, strict=True):
            if region.contains(centre):
                region = _give_way(region, run, obstacle)
        regions.append(region)
    return regions


def _give_way(region: QRectF, core: QRectF, obstacle: QRectF) -> QRectF:
    """``region`` less its padding on the side of ``obstacle`` (whose centre it holds), halfway
    between ``core`` (the members) and the obstacle's edge and at least past its centre."""
    centre = obstacle.center()
    choices: list[tuple[float, QRectF]] = []
    if centre.y() < core.top():
        top = min(core.top(), max((core.top() + obstacle.bottom()) / 2, centre.y() + 1))
        choices.append((top - region.top(), QRectF(region.left(), top, region.width(), region.bottom() - top)))
    if centre.y() > core.bottom():
        bottom = max(core.bottom(), min((core.bottom() + obstacle.top()) / 2, centre.y() - 1))
        choices.append((region.bottom() - bottom, QRectF(region.left(), region.top(), region.width(),
                                                         bottom - region.top())))
    if centre.x() < core.left():
        left = min(core.left(), max((core.left() + obstacle.right()) / 2, centre.x() + 1))
        choices.append((left - region.left(), QRectF(left, region.top(), region.right() - left, region.height())))
    if centre.x() > core.right():
        right = max(core.right(), min((core.right() + obstacle.left()) / 2, centre.x() - 1))
        choices.append((region.right() - right, QRectF(region.left(), region.top(), right - region.left(),
                                                       region.height())))
    return min(choices, key=lambda c: c[0])[1] if choices else region


class LinkItem(QGraphicsItem):
    """An edge drawn to or from a collapsed block's card (the graph's own edge items are folded
    away with the layers inside)."""

    def __init__(self) -> None:
        super().__init__()
        self._path = QPainterPath()
        self._arrow = QPolygonF()
        self._bounds = QRectF()
        self.start = QPointF()
        self.end = QPointF()
        self.setZValue(-1.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.start, self.end = QPointF(start), QPointF(end)
        look = theme.NORMAL
        path = bezier(start, end)
        arrow = look.arrow
        self.prepareGeometryChange()
        self._path = path
        self._arrow = QPolygonF([end, QPointF(end.x() - arrow * 0.6, end.y() - arrow),
                                 QPointF(end.x() + arrow * 0.6, end.y() - arrow)])
        self._bounds = path.boundingRect().adjusted(-4, -4, 4, 4)

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        look = theme.NORMAL
        colour = QColor(look.edge)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SIMPLE_LOD:
            pen = QPen(colour, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(self._path)
            return
        painter.setPen(QPen(colour, look.edge_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(self._arrow)


class _Drawn:
    """A card on the canvas, as :func:`frame_regions` sees it: rectangle, centre, and the ids of
    the blocks around it (itself too, for a collapsed block's card)."""

    __slots__ = ("around", "centre", "rect")

    def __init__(self, rect: QRectF, around: Sequence[str]) -> None:
        self.rect, self.centre, self.around = rect, rect.center(), frozenset(around)


class _CardGrid:
    """The drawn cards bucketed by position, so each open block looks only at the cards near it
    (with every block of a 1,000-layer network open, there are hundreds of frames to fit)."""

    CELL = 256.0

    def __init__(self, cards: list[_Drawn]) -> None:
        self._cells: dict[tuple[int, int], list[_Drawn]] = {}
        for card in cards:
            key = (math.floor(card.centre.x() / self.CELL), math.floor(card.centre.y() / self.CELL))
            self._cells.setdefault(key, []).append(card)

    def others(self, bounds: QRectF, block_id: str) -> list[QRectF]:
        """Rectangles of the cards not inside ``block_id`` whose centre is within ``bounds``."""
        cell = self.CELL
        columns = range(math.floor(bounds.left() / cell), math.floor(bounds.right() / cell) + 1)
        rows = range(math.floor(bounds.top() / cell), math.floor(bounds.bottom() / cell) + 1)
        if len(columns) * len(rows) > len(self._cells):  # members dragged far apart: every cell
            near = [card for cards in self._cells.values() for card in cards]
        else:
            near = [card for i in columns for j in rows for card in self._cells.get((i, j), ())]
        return [card.rect for card in near if block_id not in card.around and bounds.contains(card.centre)]


class BlockLayer(QObject):
    """Keeps one :class:`GraphScene`'s cards, frames and folded layers in step with its
    document's blocks. ``message`` explains a refused open/close (the document is locked)."""

    message = Signal(str)
    changed = Signal()
    """The cards, frames or folded layers were redrawn (tests, the overview, the breadcrumb)."""

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        # Weakly, as the view's overlays hold their view: the scene and document must not be kept
        # in a reference cycle that only PySide's garbage collection (which can crash) frees.
        self._scene_ref = weakref.ref(scene)
        self._document_ref = weakref.ref(scene.document)
        self.cards: dict[str, BlockItem] = {}
        self.frames: dict[str, BlockFrame] = {}
        self.links: list[LinkItem] = []
        self.hidden: frozenset[str] = frozenset()
        self._ports: dict[str, BlockPorts] = {}
        self._ports_key: tuple[int, int] = (-1, -1)
        self._ports_of: tuple[Callable[[], object], Callable[[], object]] = (lambda: None, lambda: None)
        self._removed: list[QGraphicsItem] = []
        """Items taken off the scene by the previous refresh, kept alive until the next one: the
        scene may still hold a pointer to one (hover, mouse grab) until its event is done."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        graph = scene.document.graph
        self._hooks: list[tuple[Any, Callable[..., None]]] = [
            # no node_added: a new layer is loose, and restoring layers into a block changes the blocks
            (graph.node_removed, self._later),
            (graph.edge_added, self._edge_added), (graph.edge_removed, self._later),
            (graph.node_moved, self._later), (graph.node_changed, self._later)]
        for signal, slot in self._hooks:
            signal.connect(slot)
        scene.document.blocks_changed.connect(self.refresh)
        scene.document.analysis_changed.connect(self._later)
        hooks = self._hooks
        scene.destroyed.connect(lambda *_: _unhook(hooks))
        self.refresh()

    @property
    def scene(self) -> GraphScene:
        scene = self._scene_ref()
        assert scene is not None, "the scene is gone"
        return scene

    @property
    def document(self) -> Document:
        document = self._document_ref()
        assert document is not None, "the document is gone"
        return document

    def detach(self) -> None:
        """Stop following the document (before the scene is dropped)."""
        self._timer.stop()
        _unhook(self._hooks)
        document = self._document_ref()
        with contextlib.suppress(RuntimeError, TypeError):
            if document is not None:
                document.blocks_changed.disconnect(self.refresh)
                document.analysis_changed.disconnect(self._later)

    def _later(self, *_args: object) -> None:
        self._timer.start()

    def _edge_added(self, edge: Any) -> None:
        """A new edge: the cards' links are redrawn (one into a folded layer has no item)."""
        self._later()

    # --- the picture ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Fold, card, link and frame everything as the block tree says now."""
        self._timer.stop()
        self._removed.clear()
        scene, graph, tree = self.scene, self.document.graph, self.document.blocks
        owners = visible_owners(graph, tree)
        hidden = frozenset(node_id for node_id, owner in owners.items() if owner != node_id)
        self.hidden = hidden
        scene.set_folded(hidden)  # the layers inside collapsed blocks lose their items, opened ones get theirs
        self.apply_folds()
        self._update_cards(owners)
        self._update_links(owners)
        self._update_frames(hidden)
        self.changed.emit()

    def apply_folds(self) -> None:
        """Hide the edges of folded layers again: the scene shows every edge item when it leaves
        its zoomed-out drawing (the view calls this after it, and so does the diagram export)."""
        hidden, overview = self.hidden, self.scene.overview
        for edge, item in self.scene.edges.items():
            folded = edge.source in hidden or edge.target in hidden
            if bool(item.data(FOLDED)) != folded:
                item.setData(FOLDED, folded)
            if folded and item.isVisible():
                item.setVisible(False)
            elif not folded and item.isVisible() == overview:
                item.setVisible(not overview)

    def _update_cards(self, owners: dict[str, str]) -> None:
        graph, tree, scene = self.document.graph, self.document.blocks, self.scene
        wanted = [owner for owner in dict.fromkeys(owners.values()) if owner not in graph and owner in tree]
        for block_id in set(self.cards) - set(wanted):
            self._take(self.cards.pop(block_id))
        analysis = self.document.analysis
        order = computation_order(graph) if wanted else {}
        problems_inside: dict[str, list[tuple[str, str]]] = {}
        for problem in analysis.problems:
            if problem.node is not None and owners.get(problem.node, problem.node) != problem.node:
                problems_inside.setdefault(owners[problem.node], []).append((problem.severity, problem.message))
        for block_id in wanted:
            card = self.cards.get(block_id)
            if card is None:
                card = self.cards[block_id] = BlockItem(self, block_id)
                scene.addItem(card)
            anchor = block_anchor(graph, tree, block_id, order)
            if anchor is not None and anchor in graph:  # the anchor layer is folded: it has no item
                where = scene.to_scene(graph.node(anchor).position)
                if card.pos() != where:
                    card.setPos(where)
            block = tree.block(block_id)
            ports = self._block_ports(block_id)
            card.set_ports(ports.input_tensors, ports.output_tensors)
            found = problems_inside.get(block_id, [])
            severity = "error" if any(s == "error" for s, _ in found) else ("warning" if found else None)
            card.set_content(block.name, block.kind, block_totals(graph, tree, block_id, analysis),
                             [message for _, message in found], severity)

    def _block_ports(self, block_id: str) -> BlockPorts:
        """A block's ports, kept until the graph's structure or the block tree changes (the
        picture is redrawn after every move and every analysis, which change neither)."""
        graph, tree = self.document.graph, self.document.blocks
        key = (tree.revision, graph.structure_revision)
        tree_ref, graph_ref = self._ports_of
        if self._ports_key != key or tree_ref() is not tree or graph_ref() is not graph:
            self._ports_key, self._ports = key, {}
            self._ports_of = (weakref.ref(tree), weakref.ref(graph))  # weakly: no cycle through the document
        ports = self._ports.get(block_id)
        if ports is None:
            ports = self._ports[block_id] = block_ports(graph, tree, block_id)
        return ports

    def _update_links(self, owners: dict[str, str]) -> None:
        """One link per value that crosses a collapsed block's border: it starts at the output
        that makes it (a layer's state port, or the block's output of that tensor) and ends at
        the input that takes it (a layer's port, or the block's input of that tensor)."""
        scene = self.scene
        ends: dict[tuple[str, int, str, str], tuple[QPointF, QPointF]] = {}
        for edge in self.document.graph.edges():
            source, target = owners.get(edge.source, edge.source), owners.get(edge.target, edge.target)
            if source == target or (source == edge.source and target == edge.target):
                continue  # inside one card, or an ordinary edge the scene draws itself
            tensor = (edge.source, edge.source_port)
            key = (source, edge.source_port if source == edge.source else self._out_index(source, tensor),
                   target, f"{edge.target_port}#{edge.slot}" if target == edge.target
                   else str(self._in_index(target, tensor)))
            if key in ends:
                continue
            start = self._out_point(source, tensor)
            end = self._in_point(target, edge if target == edge.target else None, tensor)
            if start is not None and end is not None:
                ends[key] = (start, end)
        while len(self.links) > len(ends):
            self._take(self.links.pop())
        while len(self.links) < len(ends):
            link = LinkItem()
            scene.addItem(link)
            self.links.append(link)
        for link, (start, end) in zip(self.links, ends.values(), strict=True):
            link.set_ends(start, end)

    def _take(self, item: QGraphicsItem) -> None:
        self.scene.removeItem(item)
        self._removed.append(item)

    def _out_index(self, owner: str, tensor: tuple[str, int]) -> int:
        card = self.cards.get(owner)
        return card.outputs.get(tensor, 0) if card is not None else 0

    def _in_index(self, owner: str, tensor: tuple[str, int]) -> int:
        card = self.cards.get(owner)
        return card.inputs.get(tensor, 0) if card is not None else 0

    def _out_point(self, owner: str, tensor: tuple[str, int] | None = None) -> QPointF | None:
        """Where a link from ``owner`` starts: a card's place for ``tensor`` (node, output
        index), or the layer's own output port of that index (an LSTM's "h" or "c")."""
        if owner in self.cards:
            return self.cards[owner].bottom_anchor(tensor)
        item = self.scene.nodes.get(owner)
        if item is None:
            return None
        return item.output_port(tensor[1]).anchor() if tensor is not None else item.output.anchor()

    def _in_point(self, owner: str, edge: Edge | None, tensor: tuple[str, int] | None = None) -> QPointF | None:
        """Where a link into ``owner`` ends: a card's place for ``tensor``, or the layer's input
        port, at the edge's place along it when the port takes several (an Add's inputs), as the
        scene spreads its own edges there (:meth:`GraphScene._refresh_port`)."""
        if owner in self.cards:
            return self.cards[owner].top_anchor(tensor)
        item = self.scene.nodes.get(owner)
        if item is None:
            return None
        port_item = item.input_port(edge.target_port) if edge is not None else None
        if port_item is not None and edge is not None:
            edges = self.document.graph.port_edges(owner, edge.target_port)
            index = edges.index(edge) if edge in edges else 0
            point = port_item.anchor(index, len(edges))
        else:
            point = item.scenePos() + QPointF(0.0, item.card_rect().top())
        return QPointF(point.x(), point.y() - (theme.NORMAL.port_radius - 1.5))

    def _update_frames(self, hidden: frozenset[str]) -> None:
        tree, scene = self.document.blocks, self.scene
        chains = {b.id: tree.ancestors(b.id) for b in tree.blocks()}
        open_blocks = [b for b in tree.blocks() if not any(tree.block(a).collapsed for a in chains[b.id])]
        kids: dict[str | None, list[str]] = {}
        for block in tree.blocks():
            kids.setdefault(block.parent, []).append(block.id)
        if not open_blocks:
            for block_id in list(self.frames):
                self._take(self.frames.pop(block_id))
            return
        cards = self._drawn_cards(hidden, chains)
        drawn = _CardGrid(list(cards.values()))
        regions: dict[str, list[QRectF]] = {}
        for block in sorted(open_blocks, key=lambda b: -len(chains[b.id])):  # innermost first
            members = [cards[node_id].rect for node_id in block.members if node_id in cards]
            for child in kids.get(block.id, []):
                if child in regions:
                    members.extend(regions[child])
                elif child in cards:
                    members.append(cards[child].rect)
            if not members:
                continue
            bounds = QRectF()
            for rect in members:
                bounds = bounds.united(rect)
            bounds.adjust(-FRAME_PAD, -FRAME_PAD - FRAME_LABEL, FRAME_PAD, FRAME_PAD)
            regions[block.id] = frame_regions(members, drawn.others(bounds, block.id))
        for block_id in set(self.frames) - set(regions):
            self._take(self.frames.pop(block_id))
        for block_id, rects in regions.items():
            frame = self.frames.get(block_id)
            if frame is None:
                frame = self.frames[block_id] = BlockFrame(self, block_id)
                scene.addItem(frame)
            block = tree.block(block_id)
            frame.set_frame(rects, f"{block.name} · {KIND_TITLES.get(block.kind, block.kind)}", len(chains[block_id]))

    def _drawn_cards(self, hidden: frozenset[str], chains: dict[str, list[str]]) -> dict[str, _Drawn]:
        """Every card drawn, by node or block id: its scene rectangle and the blocks around it."""
        tree = self.document.blocks
        drawn = {}
        for node_id, item in self.scene.nodes.items():
            if node_id not in hidden:
                innermost = tree.block_of(node_id)
                drawn[node_id] = _Drawn(item.mapRectToScene(item.card_rect()),
                                        chains.get(innermost, []) if innermost is not None else [])
        for block_id, card in self.cards.items():
            drawn[block_id] = _Drawn(card.mapRectToScene(card.card_rect()), chains.get(block_id, []))
        return drawn

    def visible_rect(self) -> QRectF:
        """Scene rectangle of what is drawn: unfolded cards, block cards, frames, links."""
        rect = QRectF()
        for node_id, item in self.scene.nodes.items():
            if node_id not in self.hidden:
                rect = rect.united(item.sceneBoundingRect())
        for extra in (*self.cards.values(), *self.frames.values(), *self.links):
            rect = rect.united(extra.sceneBoundingRect())
        for edge, edge_item in self.scene.edges.items():
            if edge.source not in self.hidden and edge.target not in self.hidden:
                rect = rect.united(edge_item.sceneBoundingRect())
        return rect

    # --- opening and closing ---------------------------------------------------------------------

    def open_block(self, block_id: str) -> bool:
        """Open a collapsed block (and the collapsed blocks around it) in place: one undo step."""
        return self._set_open(self.document.blocks.ancestors(block_id), True)  # it and those around it

    def open_around(self, node_id: str) -> bool:
        """Open every collapsed block around a layer (Find, Problems): one undo step."""
        return self._set_open([b.id for b in self.document.blocks.block_path(node_id)], True)

    def close_block(self, block_id: str) -> bool:
        return self._set_open([block_id], False)

    def _set_open(self, block_ids: list[str], opened: bool) -> bool:
        tree = self.document.blocks
        changing = [b for b in block_ids if b in tree and tree.block(b).collapsed == opened]
        if not changing:
            return True
        if self.document.locked:
            from app.gui.editor.scene import LOCKED_MESSAGE

            self.message.emit(LOCKED_MESSAGE)
            return False
        names = ", ".join(tree.block(b).name for b in changing)

        def change(graph: Any) -> None:
            for block_id in changing:
                tree.set_collapsed(block_id, not opened)
            apply_view_layout(graph, tree)

        self.document.edit(f"{'Open' if opened else 'Close'} {names}", change)
        self.refresh()
        return True


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _unhook(hooks: list[tuple[Any, Callable[..., None]]]) -> None:
    for signal, slot in hooks:
        with contextlib.suppress(ValueError):
            signal.disconnect(slot)
