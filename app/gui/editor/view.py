"""The canvas widget: zoom, pan, selection, keyboard shortcuts, palette drops, clipboard.

Every edit it starts goes through the Document (one undo step each); the scene redraws
from the graph's events. Navigation (zoom, pan, fit, select) never touches the document,
so it still works while training has the document locked. So does asking for a layer's
explanation (F1, the node's "?" or its context menu), which the scene emits as
``help_requested``; presenter mode and cost badges carry over when the document changes.

Blocks: a collapsed card, an open block's frame and a layer inside a block have a context menu
of block actions (open/close, rename, ungroup, group <-> nested model, trainable, duplicate, save
to the personal library), defined in :mod:`app.gui.editor.block_actions` and mixed in; the same
actions, on :meth:`GraphView.current_block_id`, are :attr:`GraphView.block_actions` for the
window's Edit › Block menu. A block from the palette's My Blocks is inserted where it is dropped
(``BLOCK_MIME``).

For presenter mode the view offers :meth:`GraphView.present` (show the model at a readable
scale, never smaller than 1:1) and :meth:`GraphView.view_state` /
:meth:`GraphView.restore_view_state` (leave presenter mode with the zoom and scroll the user had).
"""

from __future__ import annotations

import atexit
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QLineF, QMimeData, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QShowEvent,
    QStatusTipEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsView,
    QLabel,
    QMenu,
    QWidget,
)

from app.core.catalog import get_spec
from app.core.clipboard import MIME_TYPE
from app.core.graph import GraphError
from app.gui import theme
from app.gui.document import Document, follow_document
from app.gui.editor.block_actions import BlockActions
from app.gui.editor.block_item import BlockFrame, BlockItem, BlockLayer
from app.gui.editor.breadcrumb import Breadcrumb
from app.gui.editor.edge_item import EdgeItem
from app.gui.editor.find_bar import FindBar
from app.gui.editor.node_item import HEIGHT, SIMPLE_LOD, NodeItem
from app.gui.editor.overview import Overview
from app.gui.editor.scene import LOCKED_MESSAGE, GraphScene

LAYER_MIME = "application/x-layerforge-layer"
"""What the palette drags: a catalog class name as UTF-8."""
BLOCK_MIME = "application/x-layerforge-block"
"""What the palette drags for a block of the personal library: its file's path as UTF-8."""

OVERVIEW_ZOOM = SIMPLE_LOD
"""Below this zoom nodes are plain blocks and edges one shared path."""
MIN_ZOOM = 0.02
READABLE_ZOOM = 0.8
"""The first view of a model never shows it smaller than this (see :meth:`GraphView.show_start`)."""
MAX_ZOOM = 4.0
FIT_MAX_ZOOM = 1.25
"""Fit-all never blows a small model up beyond this: huge cards look broken on a projector."""
CENTER_ZOOM = 0.8
"""Centring on a node from the problem list zooms in at least this far, so it can be read."""
PRESENT_ZOOM = 1.0
"""In presenter mode the canvas is never shown smaller than this: the large type must stay large."""
PRESENT_MARGIN = 40.0
"""Scene units kept free around the model (or above its inputs) by :meth:`GraphView.present`."""
GRID = 24.0
GRID_MIN_ZOOM = 0.2
"""Zoomed out further than this the grid is only noise (and costs time): plain background."""
MAJOR_EVERY = 5
MESSAGE_MS = 4000
PASTE_STEP = 40.0


_clipboard_hook_installed = False


@dataclass(frozen=True)
class ViewState:
    """Zoom and scroll of a view (see :meth:`GraphView.view_state`): navigation only, no document state."""

    transform: QTransform
    center: QPointF
    """The scene point in the middle of the viewport."""
    scroll: tuple[int, int]
    viewport: tuple[int, int]
    """The viewport's size when saved: the scroll values are exact only at that size."""


def _release_clipboard_at_exit() -> None:
    """PySide6 crashes (SIGSEGV) while the interpreter shuts down if the clipboard still owns a
    QMimeData we created; hand it back while Qt is alive. Installed once, on first copy."""
    global _clipboard_hook_installed
    if _clipboard_hook_installed:
        return
    _clipboard_hook_installed = True

    def release() -> None:
        clipboard = QGuiApplication.clipboard() if QGuiApplication.instance() else None
        if clipboard is not None and clipboard.mimeData() is not None and clipboard.mimeData().hasFormat(MIME_TYPE):
            clipboard.clear()

    atexit.register(release)
    app = QGuiApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(release)


class GraphView(BlockActions, QGraphicsView):
    """A view of one Document's graph; ``set_document`` switches to another."""

    selection_changed = Signal(list)
    message = Signal(str)
    """A sentence explaining a refused gesture (also shown on the canvas and as a status tip)."""
    block_saved = Signal(object)
    """A block was saved to the personal library (the file's Path): the palette lists it again."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._scene: GraphScene | None = None
        self._blocks: BlockLayer | None = None
        self._selection: list[str] = []
        self._batch_selecting = False
        self._pan_from: QPointF | None = None
        self._space_held = False
        self._fit_pending = True
        self._paste_count = 0
        self._last_paste: str | None = None
        self.last_message = ""
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._look = theme.NORMAL
        self._bg = QColor(theme.BACKGROUND)
        self._minor_pen = QPen(QColor(theme.GRID_MINOR), 0)
        self._major_pen = QPen(QColor(theme.GRID_MAJOR), 0)
        self.extra_node_actions: list[QAction] = []
        """Actions the main window adds to a node's context menu, after "Explain this layer"."""
        self._label = QLabel(self.viewport())
        self._label.setStyleSheet(
            f"background: {theme.MESSAGE_BACKGROUND}; color: {theme.MESSAGE_TEXT}; border-radius: 6px;"
            "padding: 6px 12px; font-size: 14px;")
        self._label.setWordWrap(True)
        self._label.hide()
        self._label_timer = QTimer(self)
        self._label_timer.setSingleShot(True)
        self._label_timer.timeout.connect(self._label.hide)
        self.find_bar = FindBar(self)
        """Ctrl+F: finds layers by name or class (see :mod:`app.gui.editor.find_bar`)."""
        self.overview = Overview(self)
        """The minimap in the canvas' corner (View › Overview), hidden at first."""
        self.breadcrumb = Breadcrumb(self)
        """Where the selection is in the block hierarchy; shown while the model has blocks."""
        group = QAction("Group Selection", self)
        group.setShortcut(QKeySequence("Ctrl+G"))
        group.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        group.triggered.connect(lambda _checked=False: self.group_selection())
        self.addAction(group)
        self.group_action = group
        self._followed: Document | None = None
        self._build_block_actions()
        self.set_document(document)

    # --- documents ---------------------------------------------------------------------------

    def set_document(self, document: Document) -> None:
        """Show another document: the old scene stops following its graph and is dropped."""
        old = self._scene
        if old is not None:
            old.selectionChanged.disconnect(self._on_scene_selection)
            old.message.disconnect(self.show_message)
            old.look_changed.disconnect(self._apply_look)
            old.detach()
        if self._blocks is not None:
            self._blocks.message.disconnect(self.show_message)
            self._blocks.changed.disconnect(self._blocks_redrawn)
            self._blocks.detach()
        self.document = document
        self._scene = GraphScene(document, self)
        if old is not None:  # view settings, not part of the document: keep them
            self._scene.set_presenter(old.presenter())
            self._scene.set_badges(old.badges())
        self._scene.selectionChanged.connect(self._on_scene_selection)
        self._scene.message.connect(self.show_message)
        self._scene.look_changed.connect(self._apply_look)
        self._blocks = BlockLayer(self._scene)
        self._blocks.message.connect(self.show_message)
        self._blocks.changed.connect(self._blocks_redrawn)
        self._apply_look(self._scene.look)
        self.setScene(self._scene)
        if old is not None:
            old.deleteLater()
        self._paste_count = 0
        follow_document(self._followed, document, {"blocks_changed": self._update_block_actions,
                                                    "locked_changed": self._update_block_actions})
        self._followed = document
        self._on_scene_selection()
        self._update_block_actions()
        self._sync_detail()
        if self.overview.isVisible():
            self.overview.follow_scene()
        if self.isVisible():
            self.show_start()
        else:
            self._fit_pending = True

    def graph_scene(self) -> GraphScene:
        assert self._scene is not None
        return self._scene

    def scene_node_item(self, node_id: str) -> NodeItem | None:
        return self.graph_scene().nodes.get(node_id)

    def block_layer(self) -> BlockLayer:
        """The scene's block cards, frames and folded layers (see :mod:`app.gui.editor.block_item`)."""
        assert self._blocks is not None
        return self._blocks

    def _content_rect(self) -> QRectF:
        """What fit-all shows: with blocks, only what is drawn (folded layers are not)."""
        blocks = self._blocks
        if blocks is not None and (blocks.hidden or blocks.cards or blocks.frames):
            return blocks.visible_rect()
        return self.graph_scene().itemsBoundingRect()

    def _blocks_redrawn(self) -> None:
        self.breadcrumb.update_path()

    def _apply_look(self, look: theme.Look) -> None:
        """The background and grid follow the scene's look (presenter: plain white)."""
        self._look = look
        self._bg = QColor(look.background)
        self._minor_pen = QPen(QColor(look.grid_minor), 0)
        self._major_pen = QPen(QColor(look.grid_major), 0)
        self.resetCachedContent()
        self.viewport().update()

    # --- teaching ------------------------------------------------------------------------------

    def explain_selection(self) -> bool:
        """F1: ask for the explanation of the one selected node; False when not exactly one."""
        ids = self.selected_node_ids()
        if len(ids) != 1:
            return False
        self.graph_scene().help_requested.emit(ids[0])
        return True

    def node_menu(self, node_id: str) -> QMenu:
        """The context menu of a node: "Explain this layer", then :attr:`extra_node_actions`."""
        menu = QMenu(self)
        explain = menu.addAction("Explain this layer")
        explain.setShortcut(QKeySequence(Qt.Key.Key_F1))
        explain.setShortcutVisibleInContextMenu(True)
        explain.triggered.connect(lambda _checked=False: self.graph_scene().help_requested.emit(node_id))
        if self.extra_node_actions:
            menu.addSeparator()
            menu.addActions(self.extra_node_actions)
        path = self.document.blocks.block_path(node_id)
        if path:  # the innermost block around the layer
            menu.addSeparator()
            self.fill_block_menu(menu.addMenu(f"Block {path[-1].name}"), path[-1].id)
        return menu

    def node_at(self, viewport_pos: QPoint) -> NodeItem | None:
        """The node under a viewport point (its ports and "?" count as the node)."""
        for item in self.items(viewport_pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return item
        return None

    def block_at(self, viewport_pos: QPoint) -> BlockItem | BlockFrame | None:
        """The collapsed card under a viewport point, else the innermost open block's frame
        around it (anywhere inside the frame, not only on its label)."""
        for item in self.items(viewport_pos):
            if isinstance(item, BlockItem):
                return item
        point = self.mapToScene(viewport_pos)
        frames = [f for f in self.block_layer().frames.values() if f.covers(point)]  # its outline
        if not frames:
            return None
        return min(frames, key=lambda f: f.frame_rect().width() * f.frame_rect().height())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        node = self.node_at(event.pos())
        if node is not None:
            if node.node_id not in self.selected_node_ids():  # as in file managers: right-click selects
                self.select_nodes([node.node_id])
            menu = self.node_menu(node.node_id)
        else:
            block = self.block_at(event.pos())
            if block is None or block.block_id not in self.document.blocks:
                super().contextMenuEvent(event)
                return
            if isinstance(block, BlockItem) and not block.isSelected():
                self.select_nodes([])
                block.setSelected(True)
            menu = self.block_menu(block.block_id)
        menu.exec(event.globalPos())
        menu.deleteLater()
        event.accept()

    # --- selection -----------------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        """Selected nodes, in the graph's order (stable for copy and for the inspector)."""
        selected = {i.node_id for i in self.graph_scene().selectedItems() if isinstance(i, NodeItem)}
        return [n.id for n in self.document.graph.nodes() if n.id in selected]

    def selected_edges(self) -> list[EdgeItem]:
        return self.graph_scene().selected_edges()

    def select_nodes(self, ids: list[str]) -> None:
        scene = self.graph_scene()
        self._batch_selecting = True
        try:
            scene.clear_edge_selection()
            scene.clearSelection()
            for node_id in ids:
                item = scene.nodes.get(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            self._batch_selecting = False
        self._on_scene_selection()

    def _on_scene_selection(self) -> None:
        if self._batch_selecting or self._scene is None:
            return
        self.breadcrumb.update_path()
        ids = self.selected_node_ids()
        self._update_block_actions(nodes=ids)
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit(list(ids))

    # --- navigation ------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def min_zoom(self) -> float:
        """How far out the user may zoom: in presenter mode no further than :data:`PRESENT_ZOOM`,
        so the large cards stay readable from the back of the room."""
        return PRESENT_ZOOM if self._scene is not None and self._scene.presenter() else MIN_ZOOM

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Scale to ``zoom`` (clamped), keeping ``anchor`` (scene point) where it is on screen."""
        zoom = max(self.min_zoom(), min(MAX_ZOOM, zoom))
        factor = zoom / self.zoom()
        if math.isclose(factor, 1.0):
            return
        if anchor is None:
            self.scale(factor, factor)
        else:
            before = self.mapFromScene(anchor)
            saved = self.transformationAnchor()
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
            self.scale(factor, factor)
            after = self.mapFromScene(anchor)
            self._scroll_by(QPointF(after - before))
            self.setTransformationAnchor(saved)
        self._sync_detail()

    def _sync_detail(self) -> None:
        """Far out, the scene draws all edges as one path (see GraphScene.set_overview); coming
        back, the edges of folded layers stay hidden."""
        if self._scene is not None:
            overview = self.zoom() < OVERVIEW_ZOOM
            if overview != self._scene.overview:
                self._scene.set_overview(overview)
                if not overview and self._blocks is not None and self._blocks.hidden:
                    self._blocks.apply_folds()

    def paintEvent(self, event: Any) -> None:
        self._sync_detail()  # also catches zoom set by other code (resetTransform, scale)
        super().paintEvent(event)

    def _scroll_by(self, delta: QPointF) -> None:
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(delta.x()))
        v.setValue(v.value() + round(delta.y()))

    def fit_all(self) -> None:
        """Show every node (F). Small models are not blown up past a readable size; in presenter
        mode the scale stays readable (:meth:`present`: fitted only if it fits at 1:1 or more)."""
        self._fit_pending = False
        if self._scene is not None and self.graph_scene().presenter():
            selected = self.selected_node_ids()
            self.present(self.graph_scene().highlighted() or (selected[0] if len(selected) == 1 else None))
            return
        rect = self._content_rect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0.0, 0.0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > FIT_MAX_ZOOM:
            self.resetTransform()
            self.scale(FIT_MAX_ZOOM, FIT_MAX_ZOOM)
        elif self.zoom() < MIN_ZOOM:
            self.resetTransform()
            self.scale(MIN_ZOOM, MIN_ZOOM)
        self.centerOn(rect.center())
        self._sync_detail()

    def show_start(self) -> None:
        """The first view of a model: all of it when it fits at a readable size, else readable
        cards from its top (the inputs), to scroll or zoom out from. A whole model fitted into a
        short canvas drew its cards as plain bars, unreadable for someone opening it."""
        self.fit_all()
        if self._scene is None or self.graph_scene().presenter() or self.zoom() >= READABLE_ZOOM:
            return
        rect = self._content_rect().adjusted(-40, -40, 40, 40)
        self.resetTransform()
        self.scale(READABLE_ZOOM, READABLE_ZOOM)
        seen_w = self.viewport().width() / READABLE_ZOOM
        seen_h = self.viewport().height() / READABLE_ZOOM
        x = rect.center().x() if rect.width() <= seen_w else rect.left() + seen_w / 2
        self.centerOn(x, rect.top() + seen_h / 2)
        self._sync_detail()

    def center_on_node(self, node_id: str) -> None:
        """Scroll so the node is in the middle, zooming in far enough to read it (step-through
        follows the highlighted node with this); in presenter mode at least to :data:`PRESENT_ZOOM`."""
        item = self.scene_node_item(node_id)
        if item is None:
            return
        least = PRESENT_ZOOM if self.graph_scene().presenter() else CENTER_ZOOM
        if self.zoom() < least:
            self.resetTransform()
            self.scale(least, least)
        self.centerOn(item.scenePos())  # the card's centre, not its bounds (port labels, marker)
        self._sync_detail()

    def reveal_node(self, node_id: str) -> None:
        """Select a node and centre it, readable (Find, a click in the Problems or Summary list),
        opening the collapsed blocks around it first (one undo step)."""
        if node_id not in self.document.graph:
            return
        if self._blocks is not None and node_id in self._blocks.hidden:
            self._blocks.open_around(node_id)
        self.select_nodes([node_id])
        self.center_on_node(node_id)

    # --- blocks ----------------------------------------------------------------------------------

    def selected_block_ids(self) -> list[str]:
        """Collapsed blocks whose cards are selected."""
        return [i.block_id for i in self.graph_scene().selectedItems() if isinstance(i, BlockItem)]

    def select_block(self, block_id: str) -> None:
        """Select a collapsed block's card (and nothing else) and centre it."""
        self.select_nodes([])
        card = self.block_layer().cards.get(block_id)
        if card is not None:
            card.setSelected(True)
            self.centerOn(card.scenePos())

    def group_selection(self) -> str | None:
        """Ctrl+G: the selected layers and collapsed blocks become one new block (one undo step)."""
        from app.core.blocks import BlockError

        nodes, blocks = self.selected_node_ids(), self.selected_block_ids()
        if not nodes and not blocks:
            self.show_message("Select the layers to group first.")
            return None
        if self._refuse_if_locked():
            return None
        try:
            block_id = self.document.group_nodes(nodes, "block", block_ids=blocks)
        except (BlockError, KeyError, ValueError) as error:
            self.show_message(str(error))
            return None
        self.block_layer().refresh()
        return block_id

    def open_selected_blocks(self) -> bool:
        """Enter: open the selected collapsed blocks in place."""
        ids = self.selected_block_ids()
        for block_id in ids:
            self.block_layer().open_block(block_id)
        return bool(ids)

    # --- presenter mode: a readable scale, and the user's view kept for afterwards ------------------

    def view_state(self) -> ViewState:
        """The current zoom and scroll, to hand back to :meth:`restore_view_state` later (entering
        presenter mode saves it, leaving restores it)."""
        viewport = self.viewport().rect()
        middle = QPointF(viewport.width() / 2, viewport.height() / 2)
        return ViewState(QTransform(self.transform()), self.viewportTransform().inverted()[0].map(middle),
                         (self.horizontalScrollBar().value(), self.verticalScrollBar().value()),
                         (viewport.width(), viewport.height()))

    def restore_view_state(self, state: ViewState) -> None:
        """Go back to a zoom and scroll from :meth:`view_state`. At the same viewport size the scroll
        is restored exactly; at another (docks shown again, layout not settled yet) the same scene
        point is put in the middle, and the view's centre anchor keeps it there as the size settles."""
        self._fit_pending = False
        self.setTransform(state.transform)
        viewport = self.viewport().rect()
        if (viewport.width(), viewport.height()) == state.viewport:
            self.horizontalScrollBar().setValue(state.scroll[0])
            self.verticalScrollBar().setValue(state.scroll[1])
        else:
            self.centerOn(state.center)
        self._sync_detail()

    def present(self, node_id: str | None = None) -> None:
        """Show the model for a class: the on-screen scale stays at least :data:`PRESENT_ZOOM`.

        If the whole model fits at that scale it is fitted (up to :data:`FIT_MAX_ZOOM`); otherwise
        the view is at exactly :data:`PRESENT_ZOOM`, centred on ``node_id`` (the selection or the
        step-through node) when it is on the canvas, else with the model's input nodes (nodes
        with no incoming edge) centred across and near the top. Call it once the window's layout
        has settled (after hiding docks), since what fits depends on the viewport's size."""
        self._fit_pending = False
        scene = self.graph_scene()
        rect = scene.model_rect()
        if rect.isEmpty():
            self.setTransform(QTransform.fromScale(PRESENT_ZOOM, PRESENT_ZOOM))
            self.centerOn(0.0, 0.0)
            self._sync_detail()
            return
        rect = rect.adjusted(-PRESENT_MARGIN, -PRESENT_MARGIN, PRESENT_MARGIN, PRESENT_MARGIN)
        viewport = self.viewport().rect()
        fit = min(viewport.width() / rect.width(), viewport.height() / rect.height())
        if fit >= PRESENT_ZOOM:
            zoom = min(fit, max(FIT_MAX_ZOOM, PRESENT_ZOOM))
            self.setTransform(QTransform.fromScale(zoom, zoom))
            self.centerOn(rect.center())
            self._sync_detail()
            return
        self.setTransform(QTransform.fromScale(PRESENT_ZOOM, PRESENT_ZOOM))
        item = scene.nodes.get(node_id) if node_id is not None else None
        if item is not None:
            self.centerOn(item.scenePos())
        else:
            self.centerOn(self._inputs_point(viewport.height() / PRESENT_ZOOM))
        self._sync_detail()

    def _inputs_point(self, visible_height: float) -> QPointF:
        """The scene point to centre on so the input nodes sit centred across, near the top."""
        scene = self.graph_scene()
        graph = self.document.graph
        targets = {edge.target for edge in graph.edges()}
        inputs = [item for node_id, item in scene.nodes.items() if node_id not in targets] or list(scene.nodes.values())
        cards, bounds = QRectF(), QRectF()
        for item in inputs:
            cards = cards.united(item.mapRectToScene(item.card_rect()))
            bounds = bounds.united(item.sceneBoundingRect())  # port labels reach above the card
        return QPointF(cards.center().x(), bounds.top() - PRESENT_MARGIN + visible_height / 2)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.set_zoom(self.zoom() * 1.0015 ** delta, self.mapToScene(event.position().toPoint()))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space_held):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self._scroll_by(-delta)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _update_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # --- keyboard --------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if key == Qt.Key.Key_Space and not event.isAutoRepeat() and not self.graph_scene().connecting:
            self._space_held = True
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            self._update_cursor()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and plain:
            self.delete_selection()
        elif key == Qt.Key.Key_F and plain:
            self.fit_all()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain and self.selected_block_ids():
            self.open_selected_blocks()
        elif key == Qt.Key.Key_F1 and plain:
            if not self.explain_selection():
                event.ignore()  # let the window's own F1 (if any) handle it
                return
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif key == Qt.Key.Key_D and mods == Qt.KeyboardModifier.ControlModifier:
            self.duplicate_selection()
        elif key == Qt.Key.Key_Escape and self.graph_scene().connecting:
            self.graph_scene().cancel_connect()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        if self._space_held:  # the release went elsewhere: do not stay stuck in pan mode
            self._space_held = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self._update_cursor()
        super().focusOutEvent(event)

    # --- edits (each one document step) ------------------------------------------------------------

    def _refuse_if_locked(self) -> bool:
        if self.document.locked:
            self.show_message(LOCKED_MESSAGE)
            return True
        return False

    def add_at_center(self, class_name: str) -> str:
        """Add a layer in the middle of the view (palette double-click); returns its id, or ""
        when refused (locked, unknown class) with the reason shown."""
        if self._refuse_if_locked():
            return ""
        if get_spec(class_name) is None:
            self.show_message(f"'{class_name}' is not a layer Layerforge supports.")
            return ""
        centre = self.mapToScene(self.viewport().rect().center())
        return self._add_at(class_name, self._free_spot(centre))

    def _free_spot(self, point: QPointF) -> QPointF:
        """Step down until no node sits there, so repeated adds do not stack invisibly."""
        scene = self.graph_scene()
        for _ in range(50):
            if not any(isinstance(i, NodeItem) and (i.pos() - point).manhattanLength() < HEIGHT / 2
                       for i in scene.items(point)):
                return point
            point = point + QPointF(PASTE_STEP / 2, HEIGHT * 0.75)
        return point

    def _add_at(self, class_name: str, point: QPointF) -> str:
        x, y = self.graph_scene().to_document(point)  # presenter mode may draw the rows spread
        try:
            node_id = self.document.add_node(class_name, (round(x, 1), round(y, 1)))
        except (GraphError, PermissionError) as error:
            self.show_message(str(error))
            return ""
        self.select_nodes([node_id])
        return node_id

    def delete_selection(self) -> None:
        """Delete selected nodes and disconnect selected edges: one undo step together."""
        node_ids = self.selected_node_ids()
        gone = set(node_ids)
        edges = [i.edge for i in self.selected_edges() if i.edge.source not in gone and i.edge.target not in gone]
        if not node_ids and not edges:
            return
        if self._refuse_if_locked():
            return
        if not edges:
            self.document.remove_nodes(node_ids)
        elif not node_ids:
            self.document.disconnect_edges(edges)
        else:
            def change(graph: Any) -> None:
                for edge in edges:
                    graph.disconnect(edge)
                for node_id in node_ids:
                    graph.remove_node(node_id)

            self.document.edit(f"Delete {len(node_ids)} layers and {len(edges)} connections", change)

    def copy_selection(self) -> None:
        """Selected nodes (and the edges between them) to the system clipboard, as JSON."""
        ids = self.selected_node_ids()
        if not ids:
            return
        text = json.dumps(self.document.copy(ids), indent=1)
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        _release_clipboard_at_exit()
        self._paste_count = 0
        self._last_paste = text

    def paste(self) -> list[str]:
        """Paste what the clipboard holds (ours, or the same JSON as text), offset a little
        more on each paste so copies do not hide each other; selects the new nodes."""
        if self._refuse_if_locked():
            return []
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return []
        raw = bytes(mime.data(MIME_TYPE).data()).decode("utf-8", "replace") if mime.hasFormat(MIME_TYPE) \
            else mime.text()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return []
        if raw != self._last_paste:
            self._last_paste, self._paste_count = raw, 0
        self._paste_count += 1
        step = PASTE_STEP * self._paste_count
        new_ids = self.document.paste(data, (step, step))
        if new_ids:
            self.select_nodes(new_ids)
        return new_ids

    def duplicate_selection(self) -> list[str]:
        ids = self.selected_node_ids()
        if not ids or self._refuse_if_locked():
            return []
        new_ids = self.document.duplicate(ids)
        if new_ids:
            self.select_nodes(new_ids)
        return new_ids

    # --- palette drops --------------------------------------------------------------------------

    def _dropped_class(self, mime: QMimeData) -> str | None:
        if not mime.hasFormat(LAYER_MIME):
            return None
        name = bytes(mime.data(LAYER_MIME).data()).decode("utf-8", "replace").strip()
        return name if get_spec(name) is not None else None

    def _dropped_block(self, mime: QMimeData) -> Path | None:
        """A library block's file from the palette (a block file that exists; its content is
        checked when it is read)."""
        from app.core.block_library import SUFFIX

        if not mime.hasFormat(BLOCK_MIME):
            return None
        path = Path(bytes(mime.data(BLOCK_MIME).data()).decode("utf-8", "replace").strip())
        return path if path.name.endswith(SUFFIX) and path.is_file() else None

    def _accepts(self, mime: QMimeData) -> bool:
        return not self.document.locked and bool(self._dropped_class(mime) or self._dropped_block(mime))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        class_name, block = self._dropped_class(mime), self._dropped_block(mime)
        if (class_name is None and block is None) or self._refuse_if_locked():
            event.ignore()
            return
        event.acceptProposedAction()
        point = self.mapToScene(event.position().toPoint())
        if class_name is not None:
            self._add_at(class_name, point)
        elif block is not None:
            self.insert_library_block(block, point)
        self.setFocus()

    # --- messages ---------------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """Explain a refusal without a dialog: on the canvas, as a status tip and a signal."""
        self.last_message = text
        self._label.setText(text)
        self._label.setMaximumWidth(max(200, self.viewport().width() - 40))
        self._label.adjustSize()
        self._place_label()
        self._label.show()
        self._label.raise_()
        self._label_timer.start(MESSAGE_MS)
        window = self.window()
        if window is not None and window is not self:
            QApplication.sendEvent(window, QStatusTipEvent(text))
        self.message.emit(text)

    def _place_label(self) -> None:
        size = self._label.size()
        rect = self.viewport().rect()
        self._label.move(QPoint(max(8, (rect.width() - size.width()) // 2), max(8, rect.height() - size.height() - 16)))

    # --- widget events ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_pending:
            QTimer.singleShot(0, self._fit_if_pending)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._label.isVisible():
            self._place_label()

    def _fit_if_pending(self) -> None:
        if self._fit_pending and self._scene is not None:
            self.show_start()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self._bg)
        zoom = self.zoom()
        if zoom < GRID_MIN_ZOOM or not self._look.grid:
            return
        step = GRID
        while step * zoom < 12:  # keep lines at least 12 px apart, so zoomed out stays calm
            step *= MAJOR_EVERY
            if step > 1e5:
                return
        major = step * MAJOR_EVERY
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, spacing in ((self._minor_pen, step), (self._major_pen, major)):
            lines = []
            x = math.floor(rect.left() / spacing) * spacing
            while x <= rect.right():
                lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                x += spacing
            y = math.floor(rect.top() / spacing) * spacing
            while y <= rect.bottom():
                lines.append(QLineF(rect.left(), y, rect.right(), y))
                y += spacing
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.restore()
