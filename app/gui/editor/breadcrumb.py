"""The breadcrumb over the canvas: where the selection sits in the block hierarchy.

``Model › conv3 › conv3_block2 › conv3_block2_add``: each block on the path is a link;
clicking one closes that block (its card is selected and centred, the blocks around it stay
open), clicking "Model" fits the whole model in view. Shown only while the model has blocks,
as a bar in the canvas' top-left corner that never reaches under the find bar or the overview:
a path too long for the room left is elided from the left (``… › conv5_block3 › add``), the
whole path is in the tooltip.
"""

from __future__ import annotations

import contextlib
import html
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.view import GraphView

MODEL_LINK = "model"
SEPARATOR = " › "
ELLIPSIS = "…"
MARGIN = 10
"""Pixels between the bar and the viewport's edges."""
GAP = 8
"""Pixels kept free between the bar and the find bar or the overview."""
MIN_ROOM = 120
"""Narrower than this beside the find bar, the bar moves below it instead."""
PADDING = (10, 4, 10, 4)
FONT_PX = 13


class Breadcrumb(QFrame):
    """A bar of links over the canvas' top-left corner, one label per crumb."""

    def __init__(self, view: GraphView) -> None:
        super().__init__(view.viewport())
        self._view_ref = weakref.ref(view)
        """Weakly: a child widget holding its view strongly makes a reference cycle through Qt that
        PySide can crash on when the garbage collector frees it."""
        self.crumbs: list[tuple[str, str]] = []
        """(link, text) per part of the whole path: ``model``, then ``block:<id>`` links and
        the selected layer's name (link ``""``)."""
        self.parts: list[QLabel] = []
        """The labels shown now, separators included (the path may be elided)."""
        self._fitted: tuple[list[tuple[str, str]], int] | None = None
        self.setObjectName("breadcrumb")
        font = QFont()
        font.setPixelSize(FONT_PX)
        self.setFont(font)
        self.setStyleSheet(f"#breadcrumb {{ background: {theme.MESSAGE_BACKGROUND}; border-radius: 6px; }}"
                           f"#breadcrumb QLabel {{ color: {theme.MESSAGE_TEXT}; background: transparent; }}")
        row = QHBoxLayout(self)
        row.setContentsMargins(*PADDING)
        row.setSpacing(0)
        self._row = row
        self.move(QPoint(MARGIN, MARGIN))
        viewport = view.viewport()
        viewport.installEventFilter(self)
        for other in self._others():
            other.installEventFilter(self)
        self.hide()

    @property
    def _view(self) -> GraphView:
        view = self._view_ref()
        assert view is not None, "the view is gone"
        return view

    def _others(self) -> list[QWidget]:
        """The overlays the bar must leave room for (made before it by the view)."""
        view = self._view
        return [w for w in (getattr(view, "find_bar", None), getattr(view, "overview", None)) if w is not None]

    # --- the path ------------------------------------------------------------------------------

    def update_path(self) -> None:
        """Show the path of the selected layer or block card (nothing selected: just "Model")."""
        view = self._view
        tree = view.document.blocks
        if not tree:
            self.crumbs = []
            self.hide()
            return
        crumbs: list[tuple[str, str]] = [(MODEL_LINK, "Model")]
        nodes, blocks = view.selected_node_ids(), view.selected_block_ids()
        if len(nodes) + len(blocks) == 1:
            if blocks:
                chain = tree.ancestors(blocks[0])  # outermost first, the block itself last
                crumbs += [(f"block:{b}", tree.block(b).name) for b in chain]
            else:
                crumbs += [(f"block:{b.id}", b.name) for b in tree.block_path(nodes[0])]
                crumbs.append(("", view.document.graph.node(nodes[0]).name))
        self.crumbs = crumbs
        self.setToolTip(html.escape(SEPARATOR.join(self.texts()))
                        + "<br><i>Click a block to close it, Model to see everything</i>")
        self.show()
        self.raise_()
        self._fit()

    def texts(self) -> list[str]:
        """The whole path's texts (what is shown may be elided)."""
        return [text for _, text in self.crumbs]

    def shown_texts(self) -> list[str]:
        """What the bar shows now, crumb by crumb (``…`` where the path's start is left out)."""
        return [label.property("crumb") for label in self.parts if label.property("crumb") is not None]

    def link_label(self, link: str) -> QLabel | None:
        """The label of a crumb's link (``model``, ``block:<id>``), if it is shown."""
        return next((label for label in self.parts if label.property("link") == link), None)

    # --- fitting into the room left ------------------------------------------------------------

    def _room(self) -> tuple[QPoint, int]:
        """Where the bar goes and how wide it may be: from the top-left corner to the find bar
        or overview beside it (or below the find bar, when it leaves too little room)."""
        viewport = self._view.viewport().rect()
        height = self._height()
        top = MARGIN
        for _attempt in range(2):
            right = viewport.width() - MARGIN
            below = top
            for other in self._others():
                if other.isHidden():
                    continue
                box = other.geometry()
                if box.top() < top + height + GAP and box.bottom() + GAP > top:
                    right = min(right, box.left() - GAP)
                    below = max(below, box.bottom() + GAP)
            if right - MARGIN >= MIN_ROOM or below == top:
                break
            top = below
        return QPoint(MARGIN, top), max(0, right - MARGIN)

    def _height(self) -> int:
        return round(QFontMetricsF(self.font()).height()) + PADDING[1] + PADDING[3] + 2

    def _fit(self) -> None:
        if self.isHidden():
            return
        where, width = self._room()
        if self._fitted != (self.crumbs, width):
            self._fitted = (list(self.crumbs), width)
            self._build(self._elided(width - PADDING[0] - PADDING[2]))
            self.adjustSize()
        if self.width() > width:
            self.resize(width, self.height())
        self.move(where)

    def _elided(self, room: float) -> list[tuple[str, str]]:
        """The crumbs that fit in ``room`` pixels: the path's end, with ``…`` for the start left
        out; the last crumb's own text elided from the left if even it alone does not fit."""
        metrics = QFontMetricsF(self.font())
        separator = metrics.horizontalAdvance(SEPARATOR)

        def width(parts: list[tuple[str, str]]) -> float:
            return sum(metrics.horizontalAdvance(text) for _, text in parts) + separator * (len(parts) - 1) + 2

        crumbs = list(self.crumbs)
        shown = crumbs
        for drop in range(1, len(crumbs)):
            if width(shown) <= room:
                return shown
            shown = [("", ELLIPSIS), *crumbs[drop:]]
        if width(shown) <= room:
            return shown
        link, text = shown[-1]
        rest = room - width(shown[:-1]) - separator
        return [*shown[:-1], (link, metrics.elidedText(text, Qt.TextElideMode.ElideLeft, max(0.0, rest)))]

    def _build(self, crumbs: list[tuple[str, str]]) -> None:
        for label in self.parts:
            self._row.removeWidget(label)
            label.hide()
            label.deleteLater()
        self.parts = []
        for index, (link, text) in enumerate(crumbs):
            if index:
                self._add(html.escape(SEPARATOR).replace(" ", "&nbsp;"), None)  # kept, not collapsed
            label = self._add(html.escape(text) if not link else
                              f"<a href='{link}' style='color:{theme.MESSAGE_TEXT}'>{html.escape(text)}</a>", text)
            if link:
                label.setProperty("link", link)
                label.setCursor(Qt.CursorShape.PointingHandCursor)
                label.linkActivated.connect(self.follow)

    def _add(self, rich: str, crumb: str | None) -> QLabel:
        label = QLabel(rich, self)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        label.setProperty("crumb", crumb)
        self._row.addWidget(label)
        label.show()  # the bar may be showing already: a new child is not shown by itself
        self.parts.append(label)
        return label

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._view_ref() is None or not self.crumbs:
            return False
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide):
            with contextlib.suppress(RuntimeError):  # an overlay being deleted with the view
                self._fit()
        return False

    # --- clicks ----------------------------------------------------------------------------------

    def follow(self, link: str) -> None:
        """A click on a crumb: "Model" fits everything; a block closes and its card is selected."""
        view = self._view
        if link == MODEL_LINK:
            view.fit_all()
            return
        if link.startswith("block:"):
            block_id = link.removeprefix("block:")
            if block_id in view.document.blocks and view.block_layer().close_block(block_id):
                view.select_block(block_id)
            self.update_path()
