"""The Problems dock: every problem of the latest analysis, with one-click fixes.

Clicking a row emits ``node_activated(node_id)`` (the window selects and centres that
node); a row whose problem carries a suggested fix gets a "Fix" button that applies it
through ``Document.apply_fix``, one undo step.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.shapes import Analysis, Problem
from app.gui.document import Document, follow_document
from app.gui.theme import ERROR

NODE_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Layer", "Where", "Message", "")
FIX_COLUMN = 3


def short_message(problem: Problem) -> str:
    """The message without the leading "layer_name: " (the layer has its own column)."""
    prefix = f"{problem.node_name}: " if problem.node_name else ""
    if prefix and problem.message.startswith(prefix):
        return problem.message[len(prefix):]
    return problem.message


def where_text(problem: Problem) -> str:
    if problem.param:
        return "name" if problem.param == "name" else f"parameter '{problem.param}'"
    if problem.port:
        return f"port '{problem.port}'"
    return ""


def count_text(problems: list[Problem]) -> str:
    """"2 errors, 1 warning" or "No problems"."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "No problems"


class ProblemsPanel(QWidget):
    """List of the document's problems; see the module docstring."""

    node_activated = Signal(str)

    def __init__(self, document: Document | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._shown: list[Problem] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.count_label = QLabel(self)
        layout.addWidget(self.count_label)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet(f"color: {ERROR};")
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FIX_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(self._item_activated)
        self.tree.itemActivated.connect(self._item_activated)
        self.tree.currentItemChanged.connect(self._show_details)
        layout.addWidget(self.tree, 1)
        self.details_label = QLabel(self)
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label.hide()
        layout.addWidget(self.details_label)
        self.fix_buttons: dict[int, QPushButton] = {}
        self._retired: list[QPushButton] = []
        self.set_document(document)

    # --- public -------------------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        follow_document(self._document, document, {"analysis_changed": self._analysis_changed,
                                                   "locked_changed": self._locked_changed})
        self._document = document
        self._shown = None
        if document is not None:
            self._analysis_changed(document.analysis)
        else:
            self._show([])

    @property
    def problems(self) -> list[Problem]:
        """The problems listed, in row order."""
        return list(self._shown or [])

    def apply_fix(self, row: int) -> bool:
        """Apply the fix of the problem in ``row`` (one undo step); returns whether it worked."""
        problem = self.problems[row]
        if self._document is None or problem.fix is None:
            return False
        try:
            self._document.apply_fix(problem.fix)
        except (ValueError, PermissionError) as err:
            self.status_label.setText(f"Could not apply “{problem.fix.description}”: {err}")
            self.status_label.show()
            return False
        self.status_label.hide()
        return True

    # --- internals -------------------------------------------------------------------------------

    def _analysis_changed(self, analysis: Analysis) -> None:
        problems = list(analysis.problems)
        if problems != self._shown:
            self._show(problems)

    def _show(self, problems: list[Problem]) -> None:
        self._shown = problems
        self._retire_buttons()
        self.tree.clear()
        self.details_label.hide()
        self.fix_buttons = {}
        error_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warning_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        locked = self._document is not None and self._document.locked
        for row, problem in enumerate(problems):
            message = short_message(problem)
            item = QTreeWidgetItem([problem.node_name or "Model", where_text(problem), message, ""])
            item.setIcon(0, error_icon if problem.severity == "error" else warning_icon)
            item.setData(0, NODE_ROLE, problem.node)
            tip = f"{problem.severity.capitalize()}: {message}"
            if problem.fix is not None:
                tip += f"\nSuggested fix: {problem.fix.description}"
            for column in range(3):
                item.setToolTip(column, tip)
            self.tree.addTopLevelItem(item)
            if problem.fix is not None:
                button = QPushButton("Fix", self.tree)
                button.setToolTip(problem.fix.description)
                button.setEnabled(not locked)
                button.clicked.connect(lambda _checked=False, r=row: self.apply_fix(r))
                self.tree.setItemWidget(item, FIX_COLUMN, button)
                self.fix_buttons[row] = button
        self.count_label.setText(count_text(problems))

    def _retire_buttons(self) -> None:
        """Take the old Fix buttons out of the tree before it is cleared, and delete them later.

        Left to ``tree.clear()``, the view deletes its index widgets late, and once a panel had
        shown Fix buttons and then none, destroying the panel crashed inside ``~QObject``. A
        button may be the one whose click led here, so it is deleted on a later turn."""
        retired = list(self.fix_buttons.values())
        for button in retired:
            button.hide()
            button.setParent(None)
            button.deleteLater()
        self._retired = retired  # kept until deleteLater has run (the previous ones have by now)

    def _show_details(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        """The whole message of the current row: the table's column is often too narrow for it."""
        row = self.tree.indexOfTopLevelItem(item) if item is not None else -1
        if row < 0 or row >= len(self.problems):
            self.details_label.hide()
            return
        problem = self.problems[row]
        text = f"<b>{html.escape(problem.node_name or 'Model')}</b>: {html.escape(short_message(problem))}"
        if problem.fix is not None:
            text += f"<br><i>Suggested fix:</i> {html.escape(problem.fix.description)}"
        self.details_label.setText(text)
        self.details_label.show()

    def _item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(str(node_id))

    def _locked_changed(self, locked: bool) -> None:
        for row, button in self.fix_buttons.items():
            fix = self.problems[row].fix
            button.setEnabled(not locked)
            button.setToolTip("Fixes cannot be applied while training runs." if locked or fix is None
                              else fix.description)
