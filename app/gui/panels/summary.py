"""The Summary dock: a ``model.summary()``-style table with totals, following the analysis.

Rows come from :func:`app.core.summary.summary_rows` (the CLI prints the same table), so the
dock and ``layerforge check`` always agree. Items are updated in place rather than rebuilt,
so an edit on a graph of a few hundred layers stays cheap.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
from app.core.shapes import Analysis
from app.core.summary import SummaryRow, summary_rows
from app.gui.document import Document, follow_document

NODE_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Layer (type)", "Output shape", "Param #", "Connected to")
PARAM_COLUMN = 2


def row_texts(row: SummaryRow) -> list[str]:
    """The four cells of a row as Keras' summary writes them ("?" where the shape is unknown)."""
    shape = ", ".join(fmt_shape(s) for s in row.output_shapes) if row.output_shapes is not None else "?"
    params = f"{row.params:,}" if row.known else "?"
    return [f"{row.name} ({row.class_name})", shape, params, ", ".join(row.inputs) or "—"]


class SummaryPanel(QWidget):
    """Layer, output shape, parameter count and inputs of every layer, plus totals.
    Clicking a row emits ``node_activated(node_id)``."""

    node_activated = Signal(str)

    def __init__(self, document: Document | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.tree.headerItem().setTextAlignment(PARAM_COLUMN, Qt.AlignmentFlag.AlignRight)
        self.tree.itemClicked.connect(self._item_activated)
        self.tree.itemActivated.connect(self._item_activated)
        layout.addWidget(self.tree, 1)
        self.totals_label = QLabel(self)
        self.totals_label.setWordWrap(True)
        self.totals_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.totals_label)
        self._sized = False
        self.set_document(document)

    def set_document(self, document: Document | None) -> None:
        follow_document(self._document, document, {"analysis_changed": self._analysis_changed})
        self._document = document
        self._sized = False
        if document is not None:
            self._analysis_changed(document.analysis)
        else:
            self.tree.clear()
            self.totals_label.clear()

    def rows(self) -> list[list[str]]:
        """The table's text, row by row (what a user reads)."""
        return [[self.tree.topLevelItem(i).text(c) for c in range(len(COLUMNS))]
                for i in range(self.tree.topLevelItemCount())]

    def _analysis_changed(self, analysis: Analysis) -> None:
        if self._document is None:
            return
        rows = summary_rows(self._document.graph, analysis)
        tree = self.tree
        while tree.topLevelItemCount() > len(rows):
            tree.takeTopLevelItem(tree.topLevelItemCount() - 1)
        missing = [QTreeWidgetItem() for _ in range(len(rows) - tree.topLevelItemCount())]
        for item in missing:
            item.setTextAlignment(PARAM_COLUMN, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        tree.addTopLevelItems(missing)
        for index, row in enumerate(rows):
            item = tree.topLevelItem(index)
            for column, text in enumerate(row_texts(row)):
                if item.text(column) != text:
                    item.setText(column, text)
            if item.data(0, NODE_ROLE) != row.node_id:
                item.setData(0, NODE_ROLE, row.node_id)
        if rows and not self._sized:
            for column in range(len(COLUMNS) - 1):
                tree.resizeColumnToContents(column)
            self._sized = True
        self.totals_label.setText(self._totals(rows, analysis))

    @staticmethod
    def _totals(rows: list[SummaryRow], analysis: Analysis) -> str:
        total, trainable, frozen = analysis.total_params, analysis.trainable, analysis.non_trainable
        text = (f"<b>Total params:</b> {total:,} &nbsp; <b>Trainable:</b> {trainable:,} &nbsp; "
                f"<b>Non-trainable:</b> {frozen:,}")
        unknown = sum(1 for r in rows if not r.known)
        if unknown:
            whose = "their shapes are" if unknown != 1 else "its shape is"
            text += (f"<br>{unknown} layer{'s' if unknown != 1 else ''} not counted: {whose} unknown "
                     "until the problems are fixed.")
        return text

    def _item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(str(node_id))
