"""The Help dock: a node's teaching text and numbers, kept in step with the document."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QFontDatabase

from app.core.catalog import get_spec
from app.core.explain import explain_node
from app.gui.document import Document
from app.gui.panels.help_panel import EMPTY_HINT, PALETTE_NOTE, HelpPanel
from app.gui.theme import category_color

CONV_SENTENCE = "(None, 28, 28, 1) -> (None, 26, 26, 32): 32 filters x (3x3x1 + 1 bias) = 320 parameters"


@pytest.fixture
def cnn(qtbot) -> Document:
    """Input (28, 28, 1) -> Conv2D with 32 3x3 filters -> Flatten."""
    doc = Document()
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 28, 28, 1]}, name="image")
    conv = doc.add_node("Conv2D", (0, 120), {"filters": 32, "kernel_size": [3, 3]}, name="conv")
    flat = doc.add_node("Flatten", (0, 240), name="flat")
    doc.connect_nodes(image, conv)
    doc.connect_nodes(conv, flat)
    doc.revalidate()
    return doc


@pytest.fixture
def panel(qtbot) -> HelpPanel:
    widget = HelpPanel()
    qtbot.addWidget(widget)
    widget.resize(360, 600)
    return widget


def _conv(doc: Document) -> str:
    return doc.graph.node_by_name("conv").id


def test_empty_state_shows_the_hint(panel: HelpPanel) -> None:
    assert panel.title() == ""
    assert EMPTY_HINT in panel.text()
    assert panel.header.isHidden()


def test_node_shows_teaching_text_and_its_numbers(panel: HelpPanel, cnn: Document) -> None:
    panel.show_node(cnn, _conv(cnn))
    doc = get_spec("Conv2D").doc
    assert panel.title() == "conv (Conv2D)"
    text = panel.text()
    assert CONV_SENTENCE in text
    assert "320 parameters" in text
    assert "floor((28 − 3) / 1) + 1 = 26" in text  # how the output shape follows from the input
    assert "194,688 multiply-adds" in text and "84.5 KB per sample" in text  # 26*26*32*9 MACs, 21,632 floats
    for label in ("Formula", "Shape", "This node", "Typical use", "Common mistake"):
        assert label in text
    for part in (doc.summary, doc.formula, doc.shape, doc.use, doc.mistake):
        assert part in text
    assert PALETTE_NOTE not in text
    assert category_color("Convolution").name() in panel.header.styleSheet().lower()
    formula = panel.browser.document().find(doc.formula[:12])
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    assert fixed in formula.charFormat().fontFamilies()  # the formula is set in a fixed-width font
    assert fixed not in (panel.browser.document().find(doc.summary[:12]).charFormat().fontFamilies() or [])
    assert panel.node_id() == _conv(cnn) and panel.class_name() is None


def test_numbers_follow_an_undoable_config_edit(qtbot, panel: HelpPanel, cnn: Document) -> None:
    conv = _conv(cnn)
    panel.show_node(cnn, conv)
    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.set_param(conv, "filters", 16)
    text = panel.text()
    assert "16 filters x (3x3x1 + 1 bias) = 160 parameters" in text
    assert "320 parameters" not in text
    assert text.count("\n") > 5
    expected = explain_node(cnn.graph, conv, cnn.analysis).numbers
    assert all(sentence in text for sentence in expected)

    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.rename(conv, "features")
    assert panel.title() == "features (Conv2D)"

    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.undo_stack.undo()
    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.undo_stack.undo()
    assert CONV_SENTENCE in panel.text() and panel.title() == "conv (Conv2D)"


def test_deleting_the_node_says_so_and_undo_brings_it_back(qtbot, panel: HelpPanel, cnn: Document) -> None:
    conv = _conv(cnn)
    panel.show_node(cnn, conv)
    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.remove_nodes([conv])
    assert panel.title() == "conv (removed)"
    assert "conv was removed from the model" in panel.text()
    assert "320 parameters" not in panel.text()
    with qtbot.waitSignal(cnn.analysis_changed, timeout=2000):
        cnn.undo_stack.undo()
    assert conv in cnn.graph and CONV_SENTENCE in panel.text()


def test_palette_entry_has_teaching_text_but_no_numbers(panel: HelpPanel, cnn: Document) -> None:
    panel.show_node(cnn, _conv(cnn))
    panel.show_layer("Dense")
    doc = get_spec("Dense").doc
    text = panel.text()
    assert panel.title() == "Dense" and panel.class_name() == "Dense" and panel.node_id() is None
    assert doc.summary in text and doc.mistake in text
    assert PALETTE_NOTE in text and "Add it to the canvas to see its numbers" in text
    assert "parameters" not in text.replace(PALETTE_NOTE, "")
    assert "Core" in text  # the category line under the title
    cnn.set_param(_conv(cnn), "filters", 8)  # edits no longer reach a palette entry
    cnn.revalidate()
    assert panel.title() == "Dense"


def test_another_document_clears_and_the_old_one_no_longer_drives_it(qtbot, panel: HelpPanel,
                                                                     cnn: Document) -> None:
    panel.show_node(cnn, _conv(cnn))
    other = Document()
    panel.set_document(other)
    assert panel.title() == "" and EMPTY_HINT in panel.text()
    cnn.set_param(_conv(cnn), "filters", 8)
    cnn.revalidate()
    assert panel.title() == "" and "filters" not in panel.text()

    panel.show_node(cnn, _conv(cnn))  # showing a node of a document follows that one
    assert panel.document() is cnn and "8 filters" in panel.text()
    panel.set_document(cnn)  # the same document again changes nothing
    assert "8 filters" in panel.text()
    panel.clear()
    assert panel.title() == "" and EMPTY_HINT in panel.text()


def test_node_with_unknown_shapes_explains_why(qtbot, panel: HelpPanel) -> None:
    doc = Document()
    flat = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 784]}, name="flat")
    conv = doc.add_node("Conv2D", (0, 120), name="conv")
    doc.connect_nodes(flat, conv)
    doc.revalidate()
    panel.show_node(doc, conv)
    assert "not known yet" in panel.text() and "4-D" in panel.text()


def test_text_is_selectable_wraps_and_follows_the_widget_font(panel: HelpPanel, cnn: Document) -> None:
    panel.show_node(cnn, _conv(cnn))
    assert panel.browser.lineWrapMode() == panel.browser.LineWrapMode.WidgetWidth
    assert panel.browser.textInteractionFlags() & panel.browser.textInteractionFlags().TextSelectableByMouse
    before = panel.title_label.font().pointSizeF()
    big = QFont(panel.font())
    big.setPointSizeF(panel.font().pointSizeF() * 2)
    panel.setFont(big)  # presenter mode
    assert panel.title_label.font().pointSizeF() == pytest.approx(before * 2)
    assert panel.browser.document().defaultFont().pointSizeF() == pytest.approx(big.pointSizeF())
