"""Blocks on the canvas: a collapsed block is one card, an open block a labelled frame.

The block tree lives in the model (:mod:`app.core.blocks`); :class:`BlockLayer` keeps a
scene's picture of it in step with the document:

* the layers inside a collapsed block are folded away: the scene drops their items and their
  edges' (:meth:`GraphScene.set_folded`; an edge item marked :data:`FOLDED` is skipped by the
  zoomed-out edge path and hidden again by :meth:`BlockLayer.apply_folds`); the block is
  drawn as a :class:`BlockItem` where its first layer is: name, kind, input and output
  shapes, parameters, FLOPs and "N layers", with the problem marker when a layer inside has
  a shape error;
* edges that cross a collapsed block's border attach to its card (:class:`LinkItem`);
* an open block draws a :class:`BlockFrame` around its members, labelled with its name.

Double-click (or Enter on the selected card) opens a block in place; double-click on an open
block's frame label closes it. Both are document edits (one undo step each) that also lay
the view out again (``app.core.layout.apply_view_layout``), so what opens gets room.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.core.blocks import KIND_TITLES, BlockTotals, block_totals
from app.core.catalog.rules import fmt_shape
from app.core.insight import format_flops
from app.core.layout import apply_view_layout, block_anchor, computation_order, visible_owners
from app.gui import theme
from app.gui.editor.edge_item import bezier
from app.gui.editor.node_item import SIMPLE_LOD, params_text

if TYPE_CHECKING:
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

    def top_anchor(self) -> QPointF:
        return self.scenePos() + QPointF(0.0, self._rect.top())

    def bottom_anchor(self) -> QPointF:
        return self.scenePos() + QPointF(0.0, self._rect.bottom() + STACK)

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
    """An open block: a labelled frame around its members. Only the border and the label take
    the mouse (double-click closes the block); clicks inside reach the cards."""

    def __init__(self, layer: BlockLayer, block_id: str) -> None:
        super().__init__()
        self._layer = weakref.ref(layer)  # weakly: no reference cycle through the scene's items
        self.block_id = block_id
        self.label = ""
        self._rect = QRectF()
        self._label_rect = QRectF()
        self.setZValue(-2.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)

    def set_frame(self, rect: QRectF, label: str) -> None:
        if rect == self._rect and label == self.label:
            return
        self.prepareGeometryChange()
        self._rect, self.label = QRectF(rect), label
        metrics = QFontMetricsF(_font(12, True))
        self._label_rect = QRectF(rect.left() + 10, rect.top() + 3, metrics.horizontalAdvance(label) + 12,
                                  metrics.height() + 4)
        self.setToolTip(f"{label}<br><i>Double-click the label to close the block</i>")
        self.update()

    def frame_rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._label_rect)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pen = QPen(QColor(FRAME_COLOUR), 1.2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        fill = QColor(FRAME_COLOUR)
        fill.setAlpha(14)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 12, 12)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SIMPLE_LOD:
            return
        painter.setFont(_font(12, True))
        painter.setPen(QColor(theme.TEXT_SECONDARY))
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.label)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        layer, block_id = self._layer(), self.block_id  # after the event, as for BlockItem
        if layer is not None:
            QTimer.singleShot(0, layer, lambda: layer.close_block(block_id))
        event.accept()


class LinkItem(QGraphicsItem):
    """An edge drawn to or from a collapsed block's card (the graph's own edge items are folded
    away with the layers inside)."""

    def __init__(self) -> None:
        super().__init__()
        self._path = QPainterPath()
        self._arrow = QPolygonF()
        self._bounds = QRectF()
        self.setZValue(-1.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
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
            found = problems_inside.get(block_id, [])
            severity = "error" if any(s == "error" for s, _ in found) else ("warning" if found else None)
            card.set_content(block.name, block.kind, block_totals(graph, tree, block_id, analysis),
                             [message for _, message in found], severity)

    def _update_links(self, owners: dict[str, str]) -> None:
        scene = self.scene
        ends: dict[tuple[str, str, str], tuple[QPointF, QPointF]] = {}
        for edge in self.document.graph.edges():
            source, target = owners.get(edge.source, edge.source), owners.get(edge.target, edge.target)
            if source == target or (source == edge.source and target == edge.target):
                continue  # inside one card, or an ordinary edge the scene draws itself
            key = (source, target, edge.target_port if target == edge.target else "")
            if key in ends:
                continue
            start = self._out_point(source)
            end = self._in_point(target, edge.target_port if target == edge.target else None)
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

    def _out_point(self, owner: str) -> QPointF | None:
        if owner in self.cards:
            return self.cards[owner].bottom_anchor()
        item = self.scene.nodes.get(owner)
        return item.output.anchor() if item is not None else None

    def _in_point(self, owner: str, port: str | None) -> QPointF | None:
        if owner in self.cards:
            return self.cards[owner].top_anchor()
        item = self.scene.nodes.get(owner)
        if item is None:
            return None
        port_item = item.input_port(port) if port is not None else None
        point = port_item.anchor() if port_item is not None else item.scenePos() + QPointF(0.0, item.card_rect().top())
        return QPointF(point.x(), point.y() - (theme.NORMAL.port_radius - 1.5))

    def _update_frames(self, hidden: frozenset[str]) -> None:
        tree, scene = self.document.blocks, self.scene
        open_blocks = [b for b in tree.blocks() if not b.collapsed
                       and not any(tree.block(a).collapsed for a in tree.ancestors(b.id)[:-1])]
        rects: dict[str, QRectF] = {}
        for block in sorted(open_blocks, key=lambda b: -len(tree.ancestors(b.id))):  # innermost first
            rect = QRectF()
            for node_id in block.members:
                item = scene.nodes.get(node_id)
                if item is not None and node_id not in hidden:
                    rect = rect.united(item.mapRectToScene(item.card_rect()))
            for child in tree.children(block.id):
                if child.id in rects:
                    rect = rect.united(rects[child.id])
                elif child.id in self.cards:
                    card = self.cards[child.id]
                    rect = rect.united(card.mapRectToScene(card.card_rect()))
            if rect.isEmpty():
                continue
            rects[block.id] = rect.adjusted(-FRAME_PAD, -FRAME_PAD - FRAME_LABEL, FRAME_PAD, FRAME_PAD)
        for block_id in set(self.frames) - set(rects):
            self._take(self.frames.pop(block_id))
        for block_id, rect in rects.items():
            frame = self.frames.get(block_id)
            if frame is None:
                frame = self.frames[block_id] = BlockFrame(self, block_id)
                scene.addItem(frame)
            block = tree.block(block_id)
            frame.set_frame(rect, f"{block.name} · {KIND_TITLES.get(block.kind, block.kind)}")

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
