"""The Summary dock: a ``model.summary()``-style table with totals, following the analysis.

Rows come from :func:`app.core.summary.summary_rows` (the CLI prints the same table), so the
dock and ``layerforge check`` always agree. Two more columns give each layer's compute cost
(FLOPs) and activation memory for one sample, from :func:`app.core.insight.model_costs`;
the totals line adds them up, and says "at least" while some layer's cost is unknown.
Items are updated in place rather than rebuilt, so an edit on a graph of a few hundred
layers stays cheap.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog.rules import fmt_shape
from app.core.insight import ModelCosts, NodeCost, format_bytes, format_flops, format_macs, model_costs
from app.core.shapes import Analysis
from app.core.summary import SummaryRow, summary_rows
from app.gui.document import Document, follow_document

NODE_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Layer (type)", "Output shape", "Param #", "FLOPs", "Memory", "Connected to")
PARAM_COLUMN, FLOPS_COLUMN, MEMORY_COLUMN = 2, 3, 4
NUMBER_COLUMNS = (PARAM_COLUMN, FLOPS_COLUMN, MEMORY_COLUMN)
"""Right-aligned, so magnitudes line up."""

HEADER_TIPS = {
    FLOPS_COLUMN: "Floating-point operations for one sample in one forward pass (a multiply-add counts as 2).",
    MEMORY_COLUMN: "Activation memory: the size of the layer's output for one sample. Training keeps these "
                   "for backpropagation, so it grows with the batch size.",
}


def row_texts(row: SummaryRow, cost: NodeCost | None = None) -> list[str]:
    """The cells of a row: Keras' summary columns plus FLOPs and memory ("?" where unknown)."""
    shape = ", ".join(fmt_shape(s) for s in row.output_shapes) if row.output_shapes is not None else "?"
    params = f"{row.params:,}" if row.known else "?"
    flops = format_flops(cost.flops) if cost is not None else "?"
    memory = format_bytes(cost.activation_bytes) if cost is not None else "?"
    return [f"{row.name} ({row.class_name})", shape, params, flops, memory, ", ".join(row.inputs) or "—"]


def cost_tips(cost: NodeCost | None) -> tuple[str, str]:
    """Exact numbers behind the rounded FLOPs and memory cells."""
    if cost is None or cost.flops is None or cost.macs is None:
        flops = "The compute cost of this layer is not known (its shape, or a rule for it, is missing)."
    elif cost.macs:
        flops = f"{cost.flops:,} FLOPs per sample, of which {cost.macs:,} multiply-adds (2 FLOPs each)."
    else:
        flops = f"{cost.flops:,} FLOPs per sample (no multiply-adds)."
    if cost is None or cost.activation_bytes is None:
        memory = "The size of this layer's output is not known."
    else:
        memory = f"{cost.activation_bytes:,} bytes per sample for this layer's output."
    return flops, memory


def totals_html(analysis: Analysis, costs: ModelCosts, unknown_shapes: int) -> str:
    """Parameters as Keras prints them, then compute and memory per sample."""
    total, trainable, frozen = analysis.total_params, analysis.trainable, analysis.non_trainable
    text = (f"<b>Total params:</b> {total:,} &nbsp; <b>Trainable:</b> {trainable:,} &nbsp; "
            f"<b>Non-trainable:</b> {frozen:,}")
    bound = "" if costs.complete else "at least "
    text += (f"<br><b>Compute:</b> {bound}{format_flops(costs.total_flops)} "
             f"({format_macs(costs.total_macs)}) per sample &nbsp; "
             f"<b>Activation memory:</b> {bound}{format_bytes(costs.total_activation_bytes)} per sample")
    if unknown_shapes:
        whose = "their shapes are" if unknown_shapes != 1 else "its shape is"
        text += (f"<br>{unknown_shapes} layer{'s' if unknown_shapes != 1 else ''} not counted: {whose} unknown "
                 "until the problems are fixed.")
    return text


def totals_tip(costs: ModelCosts) -> str:
    """Which layers the "at least" totals leave out ("" when the totals are exact)."""
    if costs.complete:
        return ""
    names = "".join(f"<li>{html.escape(name)}</li>" for name in costs.unknown)
    return (f"<p>The totals leave out {len(costs.unknown)} layer{'s' if len(costs.unknown) != 1 else ''} "
            f"whose cost is not known, so the real numbers are higher:</p><ul>{names}</ul>")


class SummaryPanel(QWidget):
    """Layer, output shape, parameter count and inputs of every layer, plus totals.
    Clicking a row emits ``node_activated(node_id)``; the rows of the nodes selected on the
    canvas are selected here too (:meth:`select_nodes`, or :meth:`follow_view`), and rows the
    user selects here (several with Ctrl or Shift) are selected on the followed canvas."""

    node_activated = Signal(str)
    selection_requested = Signal(list)
    """The node ids of the rows the user selected (not emitted when the canvas set the rows)."""

    def __init__(self, document: Document | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._selected_ids: list[str] = []
        self._view: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header_item = self.tree.headerItem()
        for column in NUMBER_COLUMNS:
            header_item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for column, tip in HEADER_TIPS.items():
            header_item.setToolTip(column, tip)
        self.tree.itemClicked.connect(self._item_clicked)
        self.tree.itemActivated.connect(self._item_activated)
        self.tree.itemSelectionChanged.connect(self._rows_selected)
        layout.addWidget(self.tree, 1)
        self.totals_label = QLabel(self)
        self.totals_label.setWordWrap(True)
        self.totals_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.totals_label)
        self.weights_label = QLabel(self)
        self.weights_label.setWordWrap(True)
        self.weights_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.weights_label)
        self._sized = False
        self.costs: ModelCosts | None = None
        """The costs behind the FLOPs and Memory columns (None without a document)."""
        self.set_document(document)

    def set_document(self, document: Document | None) -> None:
        follow_document(self._document, document, {"analysis_changed": self._analysis_changed,
                                                   "weights_changed": self._weights_changed})
        self._document = document
        self._sized = False
        self._selected_ids = []
        if document is not None:
            self._analysis_changed(document.analysis)
        else:
            self.tree.clear()
            self.totals_label.clear()
            self.totals_label.setToolTip("")
            self.weights_label.clear()
            self.costs = None

    # --- following the canvas selection -----------------------------------------------------------

    def follow_view(self, view: Any) -> None:
        """Mirror ``view``'s node selection (anything with a ``selection_changed(list)`` signal
        and ``selected_node_ids()``): a row that disagrees with the canvas misleads."""
        if view is self._view:
            return
        if self._view is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._view.selection_changed.disconnect(self.select_nodes)
        self._view = view
        if view is not None:
            view.selection_changed.connect(self.select_nodes)
            self.select_nodes(list(view.selected_node_ids()))

    def showEvent(self, event: QShowEvent) -> None:
        """On first show, follow the canvas of the window this panel sits in (when the window
        has not wired it itself), and catch up with its selection."""
        super().showEvent(event)
        if self._view is None:
            view = getattr(self.window(), "view", None)
            if view is not None and hasattr(view, "selection_changed") and hasattr(view, "selected_node_ids"):
                self.follow_view(view)
        else:
            with contextlib.suppress(RuntimeError):
                self.select_nodes(list(self._view.selected_node_ids()))

    def select_nodes(self, node_ids: Sequence[str]) -> None:
        """Select the rows of ``node_ids`` (none: clear), scrolling the first into view. Emits
        nothing: the selection came from the canvas."""
        self._selected_ids = [str(n) for n in node_ids]
        self._apply_selection()

    def selected_node_ids(self) -> list[str]:
        """The node ids of the selected rows, top to bottom."""
        return [str(item.data(0, NODE_ROLE)) for item in self._items_in_order() if item.isSelected()]

    def _items_in_order(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def _apply_selection(self) -> None:
        wanted = set(self._selected_ids)
        tree = self.tree
        model = tree.selectionModel()
        selection = QItemSelection()
        first: QTreeWidgetItem | None = None
        for item in self._items_in_order():
            if item.data(0, NODE_ROLE) in wanted:
                index = tree.indexFromItem(item)
                selection.select(index, index)
                first = first or item
        tree.blockSignals(True)
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            model.select(selection, flags)
            if first is not None:
                model.setCurrentIndex(tree.indexFromItem(first), QItemSelectionModel.SelectionFlag.NoUpdate)
        finally:
            tree.blockSignals(False)
        if first is not None:
            tree.scrollToItem(first)
        tree.viewport().update()

    def rows(self) -> list[list[str]]:
        """The table's text, row by row (what a user reads)."""
        return [[self.tree.topLevelItem(i).text(c) for c in range(len(COLUMNS))]
                for i in range(self.tree.topLevelItemCount())]

    def _analysis_changed(self, analysis: Analysis) -> None:
        if self._document is None:
            return
        graph = self._document.graph
        rows = summary_rows(graph, analysis)
        costs = model_costs(graph, analysis)
        self.costs = costs
        tree = self.tree
        # Rows are rebuilt below: removing one changes the tree's selection, which is not the user's
        # choice and must not reach the canvas (the wanted rows are selected again at the end).
        tree.blockSignals(True)
        try:
            self._fill(rows, costs)
        finally:
            tree.blockSignals(False)
        self.totals_label.setText(totals_html(analysis, costs, sum(1 for r in rows if not r.known)))
        self.totals_label.setToolTip(totals_tip(costs))
        if self._selected_ids:  # rows are reused in place: the selection may now sit on other rows
            self._apply_selection()
        self._weights_changed()

    def _fill(self, rows: list, costs: ModelCosts) -> None:
        tree = self.tree
        while tree.topLevelItemCount() > len(rows):
            tree.takeTopLevelItem(tree.topLevelItemCount() - 1)
        missing = [QTreeWidgetItem() for _ in range(len(rows) - tree.topLevelItemCount())]
        for item in missing:
            for column in NUMBER_COLUMNS:
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        tree.addTopLevelItems(missing)
        for index, row in enumerate(rows):
            item = tree.topLevelItem(index)
            cost = costs.per_node.get(row.node_id)
            for column, text in enumerate(row_texts(row, cost)):
                if item.text(column) != text:
                    item.setText(column, text)
            for column, tip in zip((FLOPS_COLUMN, MEMORY_COLUMN), cost_tips(cost), strict=True):
                if item.toolTip(column) != tip:
                    item.setToolTip(column, tip)
            if item.data(0, NODE_ROLE) != row.node_id:
                item.setData(0, NODE_ROLE, row.node_id)
        if rows and not self._sized:
            for column in range(len(COLUMNS) - 1):
                tree.resizeColumnToContents(column)
            self._sized = True

    def _weights_changed(self, _message: str = "") -> None:
        """The weights line: which weights the model has, and which layers start from initial ones."""
        document = self._document
        if document is None:
            return
        text = html.escape(document.weights_text())
        dropped = [document.graph.node(nid).name for nid in document.dropped if nid in document.graph]
        if dropped:
            text += f"<br>Dropped by the last edit (Undo brings them back): {html.escape(', '.join(dropped))}"
        if self.weights_label.text() != text:
            self.weights_label.setText(text)

    def _rows_selected(self) -> None:
        """The user changed the rows (the canvas' own changes come with the tree's signals
        blocked): select the same nodes on the canvas."""
        ids = self.selected_node_ids()
        self._selected_ids = ids
        self.selection_requested.emit(list(ids))
        if self._view is not None and hasattr(self._view, "select_nodes"):
            with contextlib.suppress(RuntimeError):
                if list(self._view.selected_node_ids()) != ids:
                    self._view.select_nodes(ids)

    def _item_clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        """A plain click shows the layer on the canvas; Ctrl/Shift-clicks only extend the selection."""
        if len(self.tree.selectedItems()) <= 1:
            self._item_activated(item, column)

    def _item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(str(node_id))
