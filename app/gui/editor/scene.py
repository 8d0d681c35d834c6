"""The canvas scene: mirrors one Document's graph, and turns gestures into document edits.

Items are created, moved and removed only in answer to the graph's events (DESIGN.md,
rule 2), and badges and outlines only in answer to ``Document.analysis_changed``. Mouse
gestures end in one Document call each: a drag of nodes becomes one ``move_nodes`` on
release, a drag between ports one ``connect``. While the document is locked (training
runs) the scene does not start those gestures at all.

Layers inside a collapsed block have no items at all (a folded 1,000-layer network draws a few
dozen cards): :meth:`GraphScene.set_folded`, which the block layer calls whenever the folds
change, creates the items of layers that come into view and drops those of layers folded away.

Zoomed far out (a whole 250-layer model in the window) the edge items are hidden and one
path item draws every edge: one C++ paint instead of hundreds of Python ones.

For teaching the scene also holds view state that is not part of the document: optional
cost badges on the nodes (computed only while shown, once per analysis), the step-through
highlight (one node bright, the rest dimmed), and presenter mode (the
:data:`~app.gui.theme.PRESENTER` look on every item). A "?" on a node emits ``help_requested``.

Presenter cards are taller than the auto-layout's rows (110 apart) leave a clear gap for, more
so with several cost badges, so in that look the scene *spreads* the rows it draws: a node at
document position ``(x, y)`` is drawn at ``(x, y * spread())`` (1.1 on the examples, 1.3 with all
three badges). Only the drawing moves; :meth:`GraphScene.to_scene` and
:meth:`GraphScene.to_document` convert, and every gesture stores document positions.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSceneMouseEvent

from app.core.graph import Edge, GraphError, Node, Position
from app.core.insight import NodeCost, node_cost
from app.core.layout import ROW_GAP, visible_owners
from app.core.shapes import Analysis, NodeInfo, Problem, describe_shapes
from app.gui import theme
from app.gui.document import Document
from app.gui.editor.block_item import FOLDED
from app.gui.editor.edge_item import EdgeItem
from app.gui.editor.interactions import DIMMED_OPACITY, LOCKED_MESSAGE, ConnectInteraction, Interaction
from app.gui.editor.node_item import BADGE_KINDS, HelpButton, NodeItem, badge_texts, shared_links
from app.gui.editor.port_item import PortItem

SNAP_TOLERANCE = theme.NORMAL.snap_tolerance
"""How far (scene units) from a port a connection drag may end and still hit it (normal look)."""
HIGHLIGHT_Z = 2.0
"""The step-through node is drawn above selected (1) and other (0) nodes."""
SPREAD_STEP = 0.05
"""The row spread grows in these steps, so small changes of card height do not move the canvas."""


class GraphScene(QGraphicsScene):
    """Items for every node and edge of ``document.graph`` outside collapsed blocks; emits
    ``message`` to explain refusals."""

    message = Signal(str)
    help_requested = Signal(str)
    """A node id: the user clicked the node's "?" (the view emits it for F1 too)."""
    look_changed = Signal(object)
    """The new :class:`~app.gui.theme.Look` after :meth:`set_presenter` (the view redraws its background)."""

    def __init__(self, document: Document, parent: Any = None) -> None:
        super().__init__(parent)
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._interaction: Interaction | None = None
        """The gesture in progress (a connect drag); it gets the scene's mouse events first."""
        self._selected_edges: set[EdgeItem] = set()
        self._raised: set[NodeItem] = set()
        self.overview = False
        self.look = theme.NORMAL
        self._badges: frozenset[str] = frozenset()
        self._costs: dict[str, NodeCost] = {}
        self._costs_of: Analysis | None = None
        self._highlight: str | None = None
        self._spread = 1.0
        self._folded: frozenset[str] = frozenset()
        """Layers inside collapsed blocks: they have no items."""
        self._dropped: list[QGraphicsItem] = []
        """Items folded away by the last :meth:`set_folded`, kept alive until the next one: the
        scene may still hold a pointer to one (hover, mouse grab) until its event is done."""
        self._edge_layer = QGraphicsPathItem()
        self._edge_layer.setPen(_layer_pen(self.look))
        self._edge_layer.setZValue(-1.0)
        self._edge_layer.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._edge_layer.setVisible(False)
        self.addItem(self._edge_layer)
        self._layer_timer = QTimer(self)
        self._layer_timer.setSingleShot(True)
        self._layer_timer.setInterval(0)
        self._layer_timer.timeout.connect(self._rebuild_edge_layer)
        self.selectionChanged.connect(self._raise_selected)
        # A fixed, generous scene rect: growing it as nodes move would make the view jump.
        self.setSceneRect(QRectF(-100_000, -100_000, 200_000, 200_000))
        self._populate()
        graph = document.graph
        self._hooks: list[tuple[Any, Callable[..., None]]] = [
            (graph.node_added, self._on_node_added),
            (graph.node_removed, self._on_node_removed),
            (graph.edge_added, self._on_edge_added),
            (graph.edge_removed, self._on_edge_removed),
            (graph.node_changed, self._on_node_changed),
            (graph.node_moved, self._on_node_moved),
        ]
        for signal, slot in self._hooks:
            signal.connect(slot)
        document.analysis_changed.connect(self._on_analysis)
        document.locked_changed.connect(self._on_locked)
        # The graph's (Qt-free) signals hold our bound methods: drop them with the scene, or a
        # document that outlives its view would call into a deleted scene.
        hooks = self._hooks
        self.destroyed.connect(lambda *_: _unhook(hooks))

    # --- lifetime ----------------------------------------------------------------------------

    def detach(self) -> None:
        """Stop following the document (the view calls this before switching documents)."""
        self.cancel_connect()
        _unhook(self._hooks)
        with contextlib.suppress(RuntimeError, TypeError):
            self.document.analysis_changed.disconnect(self._on_analysis)
            self.document.locked_changed.disconnect(self._on_locked)

    def _populate(self) -> None:
        graph = self.document.graph
        analysis = self.document.analysis
        by_node = _problems_by_node(analysis)
        owners = visible_owners(graph, self.document.blocks)
        self._folded = frozenset(node_id for node_id, owner in owners.items() if owner != node_id)
        for node in graph.nodes():
            if node.id not in self._folded:
                self._add_node_item(node, analysis.nodes.get(node.id), by_node.get(node.id, []))
        for edge in graph.edges():
            self._on_edge_added(edge)
        self._on_locked(self.document.locked)
        self._show_shared()
        self._update_spread()

    def folded(self) -> frozenset[str]:
        """The layers inside collapsed blocks, which have no items."""
        return self._folded

    def set_folded(self, folded: frozenset[str]) -> None:
        """Give items to exactly the layers not in ``folded`` (those inside collapsed blocks):
        create the items of layers that came into view, with the current analysis, badges,
        highlight and look, and drop the items of layers folded away (deselected first)."""
        self._dropped.clear()
        graph = self.document.graph
        self._folded = folded
        dropped = [n for n in self.nodes if n in folded]
        for node_id in dropped:
            self._drop_node_item(node_id)
        shown = [node for node in graph.nodes() if node.id not in folded and node.id not in self.nodes]
        if not shown:
            if dropped:
                self._update_spread()  # the tallest card may have gone
            return
        analysis = self.document.analysis
        by_node = _problems_by_node(analysis)
        links = shared_links(graph)
        for node in shown:
            self._add_node_item(node, analysis.nodes.get(node.id), by_node.get(node.id, []))
            self.nodes[node.id].set_shared(links.get(node.id, (None, 1)))
        new = {node.id for node in shown}
        for edge in graph.edges():
            if edge.source in new or edge.target in new:
                self._on_edge_added(edge)
        self._update_spread()

    def _drop_node_item(self, node_id: str) -> None:
        """Take a folded layer's item and its edges' items off the scene (the graph keeps them)."""
        item = self.nodes.pop(node_id)
        self._raised.discard(item)
        if item.isSelected():
            item.setSelected(False)
        for edge_item in list(item.edges):
            self.edges.pop(edge_item.edge, None)
            edge_item.detach()
            self._selected_edges.discard(edge_item)
            self.removeItem(edge_item)
            self._dropped.append(edge_item)
        self.removeItem(item)
        self._dropped.append(item)
        self._edges_changed()

    # --- graph events -> items ----------------------------------------------------------------

    def _on_node_added(self, node: Node) -> None:
        self._add_node_item(node, None, [])
        self._update_spread()

    def _add_node_item(self, node: Node, info: NodeInfo | None, problems: list[Problem]) -> None:
        item = NodeItem(node, info, problems, look=self.look)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, not self.document.locked)
        if self._spread != 1.0:
            item.setPos(self.to_scene(node.position))
        if self._badges:
            item.set_chips(badge_texts(self._cost(node.id), self._badges))
        if self._highlight == node.id:  # step-through reached a layer whose block just opened
            item.set_highlighted(True)
            item.setZValue(HIGHLIGHT_Z)
        elif self._highlight is not None:
            item.setOpacity(DIMMED_OPACITY)
        if self.overview:
            item.help.setVisible(False)
        self.nodes[node.id] = item
        self.addItem(item)

    def _on_node_removed(self, node: Node) -> None:
        if node.id == self._highlight:
            self.set_highlight(None)
        item = self.nodes.pop(node.id, None)
        if item is None:
            return
        self._raised.discard(item)
        for edge_item in list(item.edges):
            self._on_edge_removed(edge_item.edge)
        self.removeItem(item)
        self._update_spread()

    def _on_edge_added(self, edge: Edge) -> None:
        source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
        if source is None or target is None or edge in self.edges:
            if edge not in self.edges:  # an edge to or from a folded layer: its visible end counts it
                self._refresh_port(edge.target, edge.target_port)
                if source is not None:
                    source.output.set_connected(len(self.document.graph.out_edges(edge.source)))
            return
        item = EdgeItem(edge, source, target, self.look)
        if self._spread != 1.0:
            item.row = ROW_GAP * self._spread
            item.update_path()
        item.setVisible(not self.overview)
        if self._highlight is not None:
            item.setOpacity(self.rest_opacity(item))
        self.edges[edge] = item
        self.addItem(item)
        self._edges_changed()
        info = self.document.analysis.nodes.get(edge.source)
        item.set_shape_text(describe_shapes(info) if info is not None else "?")
        self._refresh_port(edge.target, edge.target_port)
        source.output.set_connected(len(self.document.graph.out_edges(edge.source)))

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            item.detach()
            self._selected_edges.discard(item)
            self.removeItem(item)
            self._edges_changed()
        self._refresh_port(edge.target, edge.target_port)
        if edge.source in self.document.graph and edge.source in self.nodes:
            self.nodes[edge.source].output.set_connected(len(self.document.graph.out_edges(edge.source)))

    def _refresh_port(self, node_id: str, port_name: str) -> None:
        """Spread the edges of one input port along it (slot order) and mark it connected. Edges
        from folded layers (no items) keep their slots and count, as the block card's link draws them."""
        item = self.nodes.get(node_id)
        if item is None or node_id not in self.document.graph:
            return
        edges = self.document.graph.port_edges(node_id, port_name)
        for i, edge in enumerate(edges):
            edge_item = self.edges.get(edge)
            if edge_item is not None and (edge_item.index, edge_item.count) != (i, len(edges)):
                edge_item.index, edge_item.count = i, len(edges)
                edge_item.update_path()
                self._edges_changed()
        port = item.input_port(port_name)
        if port is not None:
            port.set_connected(len(edges))

    def _on_node_changed(self, node: Node) -> None:
        item = self.nodes.get(node.id)
        if item is not None:
            item.refresh(node)
            self._refresh_edge_tooltips(item)

    def _on_node_moved(self, node: Node) -> None:
        item = self.nodes.get(node.id)
        if item is None:
            return
        target = self.to_scene(node.position)
        if (item.pos().x(), item.pos().y()) != (target.x(), target.y()):
            item.setPos(target)
            self._update_edges([item])

    def _update_edges(self, items: list[NodeItem]) -> None:
        """Re-route the edges of nodes that moved (each edge once)."""
        edges = {edge for item in items for edge in item.edges}
        for edge in edges:
            edge.update_path()
        if edges:
            self._edges_changed()

    def _on_analysis(self, analysis: Analysis) -> None:
        by_node = _problems_by_node(analysis)
        for node_id, item in self.nodes.items():
            if item.set_info(analysis.nodes.get(node_id), by_node.get(node_id, [])):
                self._refresh_edge_tooltips(item)
        self._show_shared()
        if self._badges:
            self._show_badges()
        else:
            self._update_spread()

    def _show_shared(self) -> None:
        """Tag the nodes that call one shared layer (same colour, "shared ×N")."""
        links = shared_links(self.document.graph)
        for node_id, item in self.nodes.items():
            item.set_shared(links.get(node_id, (None, 1)))

    def _refresh_edge_tooltips(self, item: NodeItem) -> None:
        for edge_item in item.edges:
            if edge_item.source is item:
                edge_item.set_shape_text(item.shape_text)

    def _on_locked(self, locked: bool) -> None:
        if locked:
            self.cancel_connect()
        for item in self.nodes.values():
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, not locked)

    # --- edge selection (kept here, so a rubber band never picks edges) ------------------------

    def select_edge(self, item: EdgeItem, additive: bool = False) -> None:
        """A click on an edge: select it alone, or add/remove it with Ctrl or Shift."""
        if additive:
            if item in self._selected_edges:
                self._selected_edges.discard(item)
                item.set_selected(False)
            else:
                self._selected_edges.add(item)
                item.set_selected(True)
            return
        self.clear_edge_selection()
        self.clearSelection()
        self._selected_edges.add(item)
        item.set_selected(True)

    def clear_edge_selection(self) -> None:
        for item in self._selected_edges:
            item.set_selected(False)
        self._selected_edges.clear()

    def selected_edges(self) -> list[EdgeItem]:
        return sorted(self._selected_edges, key=lambda item: item.edge)

    def _raise_selected(self) -> None:
        """Selected nodes are drawn above the others (a dragged node is never hidden)."""
        selected = {i for i in self.selectedItems() if isinstance(i, NodeItem)}
        changed = (self._raised - selected) | (selected - self._raised)
        self._raised = selected
        for item in changed:
            item.setZValue(self._z(item))

    def _z(self, item: NodeItem) -> float:
        if item.highlighted:
            return HIGHLIGHT_Z
        return 1.0 if item in self._raised else 0.0

    # --- teaching: "?" buttons, cost badges, step-through highlight, presenter mode --------------

    def badges(self) -> frozenset[str]:
        """The cost badges shown on every node (a subset of :data:`BADGE_KINDS`)."""
        return self._badges

    def set_badges(self, kinds: Iterable[str]) -> None:
        """Show ``"params"``, ``"flops"`` and/or ``"memory"`` chips on each node; empty = none.

        Costs are worked out only while badges are shown, and once per analysis."""
        wanted = frozenset(kinds)
        unknown = wanted - set(BADGE_KINDS)
        if unknown:
            raise ValueError(f"Unknown badge kinds {sorted(unknown)}; choose from {list(BADGE_KINDS)}.")
        if wanted == self._badges:
            return
        self._badges = wanted
        if not wanted:
            self._costs, self._costs_of = {}, None
        self._show_badges()

    def _cost(self, node_id: str) -> NodeCost | None:
        analysis = self.document.analysis
        if analysis is not self._costs_of:
            self._costs, self._costs_of = {}, analysis
        if node_id not in self._costs:
            cost = None
            if node_id in analysis.nodes and node_id in self.document.graph:
                try:
                    cost = node_cost(self.document.graph, node_id, analysis)
                except (KeyError, ValueError, GraphError):  # an analysis a step behind the graph
                    cost = None
            if cost is None:
                return None
            self._costs[node_id] = cost
        return self._costs[node_id]

    def _show_badges(self) -> None:
        grown = []
        for node_id, item in self.nodes.items():
            chips = badge_texts(self._cost(node_id), self._badges) if self._badges else ()
            if item.set_chips(chips):
                grown.append(item)
        if not self._update_spread():
            self._update_edges(grown)

    def highlighted(self) -> str | None:
        """The node step-through is showing, or None."""
        return self._highlight

    def set_highlight(self, node_id: str | None) -> None:
        """Draw ``node_id`` with a bright outline and glow, raised, and dim every other node and
        the edges that do not touch it; ``None`` (or an id not in the graph) clears it. A layer
        inside a collapsed block is highlighted once its block opens (its item is made then)."""
        if node_id is not None and node_id not in self.document.graph:
            node_id = None
        if node_id == self._highlight:
            return
        old = self.nodes.get(self._highlight) if self._highlight is not None else None
        self._highlight = node_id
        new = self.nodes.get(node_id) if node_id is not None else None
        for item, on in ((old, False), (new, True)):
            if item is not None:
                item.set_highlighted(on)
                item.setZValue(self._z(item))
        for item in self.nodes.values():
            opacity = self.rest_opacity(item)
            if item.opacity() != opacity:
                item.setOpacity(opacity)
        for edge_item in self.edges.values():
            opacity = self.rest_opacity(edge_item)
            if edge_item.opacity() != opacity:
                edge_item.setOpacity(opacity)
        self._edge_layer.setOpacity(1.0 if node_id is None else DIMMED_OPACITY)

    def rest_opacity(self, item: NodeItem | EdgeItem) -> float:
        """Opacity outside gestures: dimmed while another node is highlighted. Edges into and out
        of the highlighted node stay bright: they show where its data comes from and goes."""
        highlight = self._highlight
        if highlight is None:
            return 1.0
        if isinstance(item, EdgeItem):
            return 1.0 if highlight in (item.edge.source, item.edge.target) else DIMMED_OPACITY
        return 1.0 if item.node_id == highlight else DIMMED_OPACITY

    def presenter(self) -> bool:
        return self.look is theme.PRESENTER

    def set_presenter(self, on: bool) -> None:
        """Large fonts and ports and a high-contrast palette on every item; off restores the normal
        look exactly. Node positions (the document) do not change; where cards are too tall for the
        rows, the rows are drawn further apart (see :meth:`spread`)."""
        look = theme.PRESENTER if on else theme.NORMAL
        if look is self.look:
            return
        self.look = look
        self.cancel_connect()
        for item in self.nodes.values():
            item.set_look(look)
        self._update_spread(route=False)  # the edges take the new look just below, and re-route then
        for edge_item in self.edges.values():
            edge_item.set_look(look)
        self._edge_layer.setPen(_layer_pen(look))
        self._edges_changed()
        self.look_changed.emit(look)

    # --- drawing positions: the presenter look may spread the rows ---------------------------------

    def spread(self) -> float:
        """How much further apart than in the document the rows are drawn (1.0: as they are).

        Only the presenter look spreads (the normal look's ``min_row_gap`` is 0): just enough that
        its tallest card leaves ``look.min_row_gap`` between rows :data:`~app.core.layout.ROW_GAP`
        apart, in :data:`SPREAD_STEP` steps."""
        return self._spread

    def to_scene(self, position: Position) -> QPointF:
        """Where a node at this document position is drawn."""
        return QPointF(position[0], position[1] * self._spread)

    def to_document(self, point: QPointF) -> Position:
        """The document position of a scene point (a drop, a dragged node)."""
        return (point.x(), point.y() / self._spread)

    def _update_spread(self, route: bool = True) -> bool:
        """Work out the spread for the current cards; when it changed, move every node to its new
        drawing position (and re-route the edges unless ``route`` is False). Returns whether it did."""
        look = self.look
        spread = 1.0
        if look.min_row_gap > 0 and self.nodes:
            tallest = max(item.card_rect().height() for item in self.nodes.values())
            needed = (tallest + look.min_row_gap) / ROW_GAP
            if needed > 1.0:
                spread = round(math.ceil(needed / SPREAD_STEP - 1e-9) * SPREAD_STEP, 4)
        if spread == self._spread:
            return False
        self._spread = spread
        graph = self.document.graph
        for node_id, item in self.nodes.items():
            if node_id in graph:
                item.setPos(self.to_scene(graph.node(node_id).position))
        for edge_item in self.edges.values():
            edge_item.row = ROW_GAP * spread
        if route:
            self._update_edges(list(self.nodes.values()))
        return True

    @contextlib.contextmanager
    def plain_rendering(self) -> Iterator[None]:
        """Draw only the model while the block runs (diagram export): no selection, highlight,
        hover, "?" buttons or zoomed-out overview; everything is put back afterwards."""
        highlight, overview = self._highlight, self.overview
        self.set_highlight(None)
        self.set_overview(False)
        for item in self.nodes.values():
            item.set_plain(True)
        for edge_item in self.edges.values():
            edge_item.set_plain(True)
        try:
            yield
        finally:
            for item in self.nodes.values():
                item.set_plain(False)
            for edge_item in self.edges.values():
                edge_item.set_plain(False)
            self.set_overview(overview)
            self.set_highlight(highlight)

    def model_rect(self) -> QRectF:
        """Scene rectangle of every node and edge (empty without nodes): what an export shows."""
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        for edge_item in self.edges.values():
            rect = rect.united(edge_item.sceneBoundingRect())
        return rect

    # --- zoomed far out: one path for all edges -------------------------------------------------

    def set_overview(self, overview: bool) -> None:
        """The view calls this as the zoom crosses the level where details stop being drawn."""
        if overview == self.overview:
            return
        self.overview = overview
        for item in self.edges.values():
            item.setVisible(not overview)
        for node_item in self.nodes.values():  # too small to click, and not drawn
            node_item.help.setVisible(not overview)
        if overview:
            self._rebuild_edge_layer()
        else:
            self._layer_timer.stop()
            self._edge_layer.setPath(QPainterPath())  # no stale bounds for fit-all
        self._edge_layer.setVisible(overview)

    def _edges_changed(self) -> None:
        if self.overview:
            self._layer_timer.start()

    def _rebuild_edge_layer(self) -> None:
        path = QPainterPath()
        for item in self.edges.values():
            if not item.data(FOLDED):  # an edge into a collapsed block (block_item.BlockLayer) is not drawn
                path.addPath(item.path())
        self._edge_layer.setPath(path)

    # --- moving nodes: one undo step per drag --------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None and self._interaction.mouse_press(event):
            return
        item = self._item_for(event)
        left = event.button() == Qt.MouseButton.LeftButton
        additive = bool(event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
        if left and isinstance(item, PortItem) and self.begin_connect(item):
            event.accept()  # the drag is the interaction's now: no item grabs the mouse
            return
        if left and isinstance(item, EdgeItem):
            self.select_edge(item, additive)
            event.accept()
            return
        super().mousePressEvent(event)
        if not additive:
            self.clear_edge_selection()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None and self._interaction.mouse_move(event):
            return
        super().mouseMoveEvent(event)
        if isinstance(self.mouseGrabberItem(), NodeItem):  # Qt moved the selected nodes: edges follow
            self._update_edges([i for i in self.selectedItems() if isinstance(i, NodeItem)])

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None and self._interaction.mouse_release(event):
            return
        grabber = self.mouseGrabberItem()
        super().mouseReleaseEvent(event)
        if isinstance(grabber, HelpButton) and grabber.take_click():  # a click on a node's "?"
            self.help_requested.emit(grabber.node.node_id)
        if event.button() == Qt.MouseButton.LeftButton:
            self.commit_moves()

    def _item_for(self, event: QGraphicsSceneMouseEvent) -> QGraphicsItem | None:
        """The item Qt would give this press to: the topmost under the mouse that takes its button."""
        for item in self.items(event.scenePos()):
            if item.acceptedMouseButtons() & event.button() and item.isVisible() and item.isEnabled():
                return item
        return None

    def commit_moves(self) -> None:
        """Turn where the user dragged nodes into one ``move_nodes`` edit."""
        graph = self.document.graph
        moved = {}
        for node_id, item in self.nodes.items():
            if node_id in graph:
                x, y = self.to_document(item.pos())
                gx, gy = graph.node(node_id).position
                if abs(x - gx) > 1e-6 or abs(y - gy) > 1e-6:
                    moved[node_id] = (round(x, 1), round(y, 1))  # tidy numbers in saved files
        if not moved:
            return
        try:
            self.document.move_nodes(moved)
        except PermissionError:
            self.message.emit(LOCKED_MESSAGE)
        items = [self.nodes[node_id] for node_id in moved]
        for item in items:  # the model has the last word (rounded, or unchanged when refused)
            item.setPos(self.to_scene(graph.node(item.node_id).position))
        self._update_edges(items)

    # --- connecting by dragging between ports ------------------------------------------------

    @property
    def connecting(self) -> bool:
        return isinstance(self._interaction, ConnectInteraction)

    def begin_connect(self, port: PortItem) -> bool:
        """Start a connection drag from ``port``; False (and a message) when edits are locked."""
        if self.document.locked:
            self.message.emit(LOCKED_MESSAGE)
            return False
        self.cancel_connect()
        self._interaction = ConnectInteraction(self, port)
        return True

    def update_connect(self, scene_pos: QPointF) -> None:
        if isinstance(self._interaction, ConnectInteraction):
            self._interaction.move(scene_pos)

    def finish_connect(self, scene_pos: QPointF) -> Edge | None:
        """End the drag: connect through the document, or say why not."""
        if not isinstance(self._interaction, ConnectInteraction):
            return None
        return self._interaction.finish(scene_pos)

    def cancel_connect(self) -> None:
        if self._interaction is not None:
            self.end_interaction(self._interaction)

    def end_interaction(self, interaction: Interaction) -> None:
        """``interaction`` is over: its highlights and helper items go, the scene forgets it."""
        if interaction is self._interaction:
            self._interaction = None
        interaction.cancel()


def _layer_pen(look: theme.Look) -> QPen:
    """The zoomed-out edge path: thin, cosmetic (the same on-screen width at any zoom)."""
    pen = QPen(QColor(look.edge), 1.2 if look is theme.NORMAL else 1.8)
    pen.setCosmetic(True)
    return pen


def _problems_by_node(analysis: Analysis) -> dict[str, list[Problem]]:
    by_node: dict[str, list[Problem]] = {}
    for problem in analysis.problems:
        if problem.node is not None:
            by_node.setdefault(problem.node, []).append(problem)
    return by_node


def _unhook(hooks: list[tuple[Any, Callable[..., None]]]) -> None:
    for signal, slot in hooks:
        with contextlib.suppress(ValueError):
            signal.disconnect(slot)
    hooks.clear()
