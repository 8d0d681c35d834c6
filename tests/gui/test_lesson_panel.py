"""The Lesson dock: an example's description rendered beside its model."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocument

from app.core.project import load_project
from app.gui.document import Document
from app.gui.panels.lesson_panel import EMPTY_TEXT, LessonPanel

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture
def panel(qtbot) -> LessonPanel:
    widget = LessonPanel()
    widget.open_links_externally = False
    qtbot.addWidget(widget)
    widget.resize(360, 500)
    return widget


def test_example_description_is_shown_with_its_title_and_file(panel: LessonPanel) -> None:
    path = MODELS / "lenet_mnist.json"
    project = load_project(path)
    assert project.description.startswith("Yann LeCun's LeNet-5")
    panel.set_project(project.name, project.description, path)
    assert panel.has_lesson()
    assert panel.title() == "LeNet-5 style CNN for handwritten digits"
    text = panel.text()
    assert "From the example: lenet_mnist.json" in text
    assert "Watch the shapes shrink from 28x28 to 5x5" in panel.browser.toPlainText()
    assert panel.source_label.toolTip() == str(path)


def test_every_example_renders_its_description(panel: LessonPanel) -> None:
    examples = sorted(MODELS.glob("*.json"))
    assert len(examples) >= 10
    for path in examples:
        project = load_project(path)
        panel.set_project(project.name, project.description, path)
        assert panel.has_lesson(), path.name
        first_words = " ".join(project.description.split()[:4])
        assert first_words in " ".join(panel.browser.toPlainText().split()), path.name


def test_description_is_rendered_as_markdown(panel: LessonPanel) -> None:
    panel.set_project("Demo", "A **bold** idea.\n\n- first point\n- second point\n", None)
    plain = panel.browser.toPlainText()
    assert "**" not in plain and "A bold idea." in plain
    assert "first point" in plain and "- first" not in plain  # a real list, not dashes
    cursor = panel.browser.document().find("bold")
    assert cursor.charFormat().fontWeight() >= 600
    assert cursor.block().textList() is None
    assert panel.browser.document().find("first point").block().textList() is not None
    assert panel.source_label.isHidden()  # not from a file


def test_no_description_shows_the_empty_text(panel: LessonPanel) -> None:
    panel.set_project("Untitled", "   ", None)
    assert not panel.has_lesson()
    assert EMPTY_TEXT in panel.text() and panel.title() == "Untitled"


def test_set_document_reads_the_project(qtbot, panel: LessonPanel) -> None:
    doc = Document.open(MODELS / "mlp_tabular.json")
    panel.set_document(doc)
    assert panel.has_lesson() and panel.title() == "MLP tabular classifier"
    assert "From the example: mlp_tabular.json" in panel.text()
    panel.set_document(None)
    assert not panel.has_lesson() and panel.title() == ""


def test_links_never_navigate_and_only_web_links_are_passed_on(qtbot, panel: LessonPanel) -> None:
    panel.set_project("Links", "Read [the paper](https://example.org/lenet) or [a file](file:///etc/passwd).", None)
    panel.show()
    qtbot.waitExposed(panel)
    before = panel.browser.toPlainText()

    def click(text: str) -> None:
        cursor = panel.browser.document().find(text)
        cursor.setPosition(cursor.selectionStart() + 1)
        point = panel.browser.cursorRect(cursor).center()
        qtbot.mouseClick(panel.browser.viewport(), Qt.MouseButton.LeftButton, pos=point)

    with qtbot.waitSignal(panel.link_opened, timeout=1000) as blocker:
        click("the paper")
    assert blocker.args == [QUrl("https://example.org/lenet")]
    with qtbot.assertNotEmitted(panel.link_opened):
        click("a file")
    assert panel.browser.toPlainText() == before  # still the lesson, not a loaded page


def test_resources_named_by_the_text_are_never_loaded(panel: LessonPanel, tmp_path: Path) -> None:
    image = tmp_path / "secret.png"
    image.write_bytes(b"not really an image")
    panel.set_project("Images", f"![diagram]({image.as_uri()})", None)
    assert panel.browser.loadResource(QTextDocument.ResourceType.ImageResource.value, QUrl(image.as_uri())) is None
