"""The breadcrumb above the canvas: where the selection sits in the block hierarchy.

``Model › stage_2 › conv2_block1 › conv2_block1_1_conv``: each block on the path is a link;
clicking one closes that block (its card is selected and centred), clicking "Model" fits the
whole model in view. Shown only while the model has blocks, in the canvas' top-left corner.
"""

from __future__ import annotations

import html
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel

from app.gui import theme

if TYPE_CHECKING:
    from app.gui.editor.view import GraphView

MODEL_LINK = "model"
SEPARATOR = " › "


class Breadcrumb(QLabel):
    """A rich-text line of links over the canvas' top-left corner."""

    def __init__(self, view: GraphView) -> None:
        super().__init__(view.viewport())
        self._view_ref = weakref.ref(view)
        """Weakly: a child widget holding its view strongly makes a reference cycle through Qt that
        PySide can crash on when the garbage collector frees it."""
        self.crumbs: list[tuple[str, str]] = []
        """(link, text) per part of the path shown now: ``model``, then ``block:<id>`` links and
        the selected layer's name (link ``""``)."""
        self.setObjectName("breadcrumb")
        self.setStyleSheet(f"#breadcrumb {{ background: {theme.MESSAGE_BACKGROUND}; color: {theme.MESSAGE_TEXT};"
                           " border-radius: 6px; padding: 4px 10px; font-size: 13px; }")
        self.setTextFormat(self.textFormat().RichText)
        self.linkActivated.connect(self.follow)
        self.setToolTip("Where the selection is; click a block to close it, Model to see everything")
        self.move(QPoint(10, 10))
        self.hide()

    @property
    def _view(self) -> GraphView:
        view = self._view_ref()
        assert view is not None, "the view is gone"
        return view

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
        parts = [html.escape(text) if not link else
                 f"<a href='{link}' style='color:{theme.MESSAGE_TEXT}'>{html.escape(text)}</a>"
                 for link, text in crumbs]
        self.setText(SEPARATOR.join(parts))
        self.adjustSize()
        self.show()
        self.raise_()

    def texts(self) -> list[str]:
        return [text for _, text in self.crumbs]

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
