"""New from Example: a gallery of the projects in ``models/``, each with its description.

The chosen example opens as an untitled *copy*, so experimenting never overwrites the
example a class will open next time.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.project import load_project
from app.gui.document import Document

DEFAULT_EXAMPLE = "mlp_tabular.json"


def examples_dir() -> Path:
    """The repository's ``models/`` folder (next to the ``app`` package)."""
    return Path(__file__).resolve().parents[2] / "models"


def is_example(path: str | Path) -> bool:
    """Whether ``path`` is one of the bundled examples (a file in ``models/``)."""
    return Path(path).resolve().parent == examples_dir()


def default_example() -> Path:
    return examples_dir() / DEFAULT_EXAMPLE


@dataclass(frozen=True)
class Example:
    path: Path
    name: str
    description: str
    layers: int


def list_examples(folder: Path | None = None) -> list[Example]:
    """Every example project with its name and description, by name.

    Only the header fields are read here (fast); the full file is validated when opened.
    """
    folder = folder or examples_dir()
    examples = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        graph = data.get("graph")
        nodes = graph.get("nodes") if isinstance(graph, dict) else None
        name = data.get("name")
        description = data.get("description")
        examples.append(Example(
            path=path,
            name=name if isinstance(name, str) and name else path.stem,
            description=description if isinstance(description, str) else "",
            layers=len(nodes) if isinstance(nodes, list) else 0,
        ))
    examples.sort(key=lambda e: e.name.lower())
    return examples


def open_copy(path: str | Path) -> Document:
    """The example as an untitled document (Save asks for a new file). Raises ProjectError."""
    project = load_project(path)
    project.path = None
    document = Document(project)
    document.example = Path(path)
    return document


class ExampleGallery(QDialog):
    """Lists the examples; the selected one's description is shown in full."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from Example")
        self.resize(760, 440)
        self.examples = list_examples(folder)

        self.list = QListWidget()
        self.list.setMinimumWidth(260)
        self.list.setSpacing(3)
        for example in self.examples:
            item = QListWidgetItem(example.name)
            item.setToolTip(str(example.path.name))
            self.list.addItem(item)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)

        row = QHBoxLayout()
        row.addWidget(self.list, 2)
        row.addWidget(self.details, 3)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if not self.examples:
            layout.addWidget(QLabel(f"No example projects were found in {examples_dir()}."))
        layout.addLayout(row)
        layout.addWidget(self.buttons)

        self.list.currentRowChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self.accept())
        if self.examples:
            self.list.setCurrentRow(0)
        else:
            self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(False)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.examples):
            self.details.clear()
            return
        example = self.examples[row]
        text = html.escape(example.description or "No description.").replace("\n", "<br>")
        self.details.setHtml(
            f"<h2>{html.escape(example.name)}</h2>"
            f"<p style='color: gray'>{example.layers} layers · {html.escape(example.path.name)}</p>"
            f"<p>{text}</p>"
        )

    def select_path(self, path: str | Path) -> bool:
        """Select an example by file (for tests and for remembering the last choice)."""
        for row, example in enumerate(self.examples):
            if example.path == Path(path).resolve():
                self.list.setCurrentRow(row)
                return True
        return False

    def selected(self) -> Example | None:
        row = self.list.currentRow()
        return self.examples[row] if 0 <= row < len(self.examples) else None
