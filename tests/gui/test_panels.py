"""Dock panels: palette search/add/drag, inspector typed editors, problems with fixes, summary."""

from __future__ import annotations

import html

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.core.catalog import CATALOG, get_spec
from app.core.insight import format_bytes, format_flops, node_cost
from app.core.project import dumps
from app.gui.document import Document
from app.gui.panels.inspector import EMPTY_HINT, InspectorPanel
from app.gui.panels.palette import LAYER_MIME_TYPE, PalettePanel
from app.gui.panels.param_editors import (
    BoolEditor,
    ChoiceEditor,
    FloatSpinEditor,
    IntEditor,
    IntTupleEditor,
    LayerEditor,
    ObjectComboEditor,
    RegularizerEditor,
    TupleTextEditor,
)
from app.gui.panels.problems import ProblemsPanel, short_message
from app.gui.panels.summary import FLOPS_COLUMN, MEMORY_COLUMN, PARAM_COLUMN, SummaryPanel

# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def mlp(qtbot) -> Document:
    """Input (784) -> hidden Dense (32) -> head Dense (10)."""
    doc = Document()
    i = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 784]}, name="pixels")
    h = doc.add_node("Dense", (0, 120), {"units": 32, "activation": "relu"}, name="hidden")
    o = doc.add_node("Dense", (0, 240), {"units": 10, "activation": "softmax"}, name="head")
    doc.connect_nodes(i, h)
    doc.connect_nodes(h, o)
    doc.revalidate()
    return doc


@pytest.fixture
def broken(qtbot) -> Document:
    """An image fed straight into Dense (warning, fix: Flatten) and flat data into Conv2D (error)."""
    doc = Document()
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 28, 28, 1]}, name="image")
    dense = doc.add_node("Dense", (0, 120), {"units": 10}, name="dense")
    flat = doc.add_node("InputLayer", (300, 0), {"batch_shape": [None, 784]}, name="flat")
    conv = doc.add_node("Conv2D", (300, 120), name="conv")
    doc.connect_nodes(image, dense)
    doc.connect_nodes(flat, conv)
    doc.revalidate()
    return doc


def _inspector(qtbot, doc: Document, name: str) -> InspectorPanel:
    panel = InspectorPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_node(doc.graph.node_by_name(name).id)
    return panel


def _type(qtbot, line_edit, text: str) -> None:
    """Select all, type ``text`` and press Enter, as a user would."""
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


# --- palette ----------------------------------------------------------------------------------------


def test_palette_lists_every_layer_and_search_filters(qtbot) -> None:
    palette = PalettePanel()
    qtbot.addWidget(palette)
    assert set(palette.visible_class_names()) == set(CATALOG)
    palette.search.setText("conv2d")
    shown = palette.visible_class_names()
    assert "Conv2D" in shown and "Conv2DTranspose" in shown and "Dense" not in shown
    palette.search.setText("pooling")  # category
    assert "MaxPooling2D" in palette.visible_class_names()
    palette.search.setText("fully connected")  # words of the teaching summary
    assert palette.visible_class_names() == ["Dense"]
    palette.search.setText("no such layer at all")
    assert palette.visible_class_names() == [] and not palette.empty_label.isHidden()
    palette.search.clear()
    assert len(palette.visible_class_names()) == len(CATALOG)


def test_palette_double_click_and_enter_request_an_add(qtbot) -> None:
    palette = PalettePanel()
    qtbot.addWidget(palette)
    palette.show()
    item = palette.item_for("Dropout")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    with qtbot.waitSignal(palette.add_requested, timeout=1000) as blocker:
        # QTest's double click in Qt 6 sends no first press, which item views need: click first.
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["Dropout"]

    palette.search.setFocus()
    qtbot.keyClicks(palette.search, "batchnorm")
    with qtbot.waitSignal(palette.add_requested, timeout=1000) as blocker:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert blocker.args == ["BatchNormalization"]

    palette.tree.setCurrentItem(palette.item_for("Flatten"))
    with qtbot.waitSignal(palette.add_requested, timeout=1000) as blocker:
        qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert blocker.args == ["Flatten"]


def test_palette_drag_data_and_teaching_tooltip(qtbot) -> None:
    palette = PalettePanel()
    qtbot.addWidget(palette)
    item = palette.item_for("Conv2D")
    assert LAYER_MIME_TYPE in palette.tree.mimeTypes()
    data = palette.tree.mimeData([item])
    assert bytes(data.data(LAYER_MIME_TYPE)).decode("utf-8") == "Conv2D"
    assert item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    doc = get_spec("Conv2D").doc
    tip = item.toolTip(0)
    for text in (doc.summary, doc.shape, doc.use, doc.mistake):
        assert html.escape(text) in tip


def test_palette_question_mark_click_requests_help_not_an_add(qtbot) -> None:
    palette = PalettePanel()
    qtbot.addWidget(palette)
    palette.resize(300, 600)
    palette.show()
    qtbot.waitExposed(palette)
    item = palette.item_for("Dropout")
    palette.tree.scrollToItem(item)
    rect = palette.help_rect("Dropout")
    assert rect.isValid() and item.text(1) == "?"
    assert rect.left() > palette.tree.visualItemRect(item).center().x()  # a narrow column on the right
    with qtbot.assertNotEmitted(palette.add_requested):
        with qtbot.waitSignal(palette.help_requested, timeout=1000) as blocker:
            qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert blocker.args == ["Dropout"]
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    width = palette.tree.header().sectionSize(1)
    big = palette.font()
    big.setPointSizeF(big.pointSizeF() * 2)
    palette.setFont(big)  # presenter mode: the "?" grows with the text
    assert item.font(1).pointSizeF() == pytest.approx(big.pointSizeF()) and item.font(1).bold()
    assert palette.tree.header().sectionSize(1) > width

    name_rect = palette.tree.visualItemRect(palette.item_for("Flatten"))  # the name itself still selects
    with qtbot.assertNotEmitted(palette.help_requested):
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=name_rect.center())
    assert palette.tree.currentItem() is palette.item_for("Flatten")


def test_palette_f1_requests_help_for_the_current_entry(qtbot) -> None:
    host = QWidget()  # a window-wide F1 shortcut (the canvas help) must not steal the palette's F1
    qtbot.addWidget(host)
    window_help = QAction("Help", host)
    window_help.setShortcut(Qt.Key.Key_F1)
    window_help.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    host.addAction(window_help)
    palette = PalettePanel(host)
    QVBoxLayout(host).addWidget(palette)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()  # shortcuts only fire for the active window
    qtbot.waitUntil(host.isActiveWindow, timeout=1000)

    palette.tree.setCurrentItem(palette.item_for("Conv2D"))
    palette.tree.setFocus()
    with qtbot.assertNotEmitted(window_help.triggered), \
            qtbot.waitSignal(palette.help_requested, timeout=1000) as blocker:
        qtbot.keyClick(palette.tree, Qt.Key.Key_F1)
    assert blocker.args == ["Conv2D"]

    palette.search.setFocus()
    qtbot.keyClicks(palette.search, "batchnorm")
    with qtbot.waitSignal(palette.help_requested, timeout=1000) as blocker:
        qtbot.keyClick(palette.search, Qt.Key.Key_F1)
    assert blocker.args == ["BatchNormalization"]

    palette.tree.setCurrentItem(palette.tree.topLevelItem(0))  # a category: nothing to explain
    palette.tree.setFocus()
    with qtbot.waitSignal(window_help.triggered, timeout=1000):
        qtbot.keyClick(palette.tree, Qt.Key.Key_F1)


def test_palette_adds_nothing_while_locked_but_still_explains(qtbot, mlp: Document) -> None:
    palette = PalettePanel()
    qtbot.addWidget(palette)
    palette.show()
    palette.set_document(mlp)
    added: list[str] = []
    explained: list[str] = []
    palette.add_requested.connect(added.append)
    palette.help_requested.connect(explained.append)
    mlp.set_locked(True)
    item = palette.item_for("Dense")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)

    def double_click() -> None:  # Qt 6's QTest double click sends no first press: click first
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    double_click()
    assert added == [] and not palette.tree.dragEnabled()
    qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=palette.help_rect("Dense").center())
    assert explained == ["Dense"]
    mlp.set_locked(False)
    double_click()
    assert added == ["Dense"] and palette.tree.dragEnabled()


# --- inspector --------------------------------------------------------------------------------------


def test_inspector_builds_typed_editors(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    units = panel.editor("units")
    assert isinstance(units, IntEditor) and units.spin.minimum() == 1 and units.spin.value() == 32
    assert isinstance(panel.editor("activation"), ChoiceEditor)
    assert panel.editor("activation").combo.currentText() == "relu"
    assert isinstance(panel.editor("use_bias"), BoolEditor)
    assert isinstance(panel.editor("kernel_initializer"), ObjectComboEditor)
    assert isinstance(panel.editor("kernel_regularizer"), RegularizerEditor)
    assert panel.advanced.isAncestorOf(panel.editor("kernel_initializer"))  # advanced params are tucked away
    assert panel.name_edit.text() == "hidden"
    assert "(None, 32)" in panel.info_label.text() and "25,120" in panel.info_label.text()
    assert get_spec("Dense").doc.summary.split(". ")[0] in panel.doc_label.text()

    conv = mlp.add_node("Conv2D", (300, 0))
    panel.show_node(conv)
    kernel = panel.editor("kernel_size")
    assert isinstance(kernel, IntTupleEditor) and [s.value() for s in kernel.spins] == [3, 3]
    assert panel.editor("padding").choices == ["valid", "same"]

    bi = mlp.add_node("Bidirectional", (600, 0))
    panel.show_node(bi)
    layer = panel.editor("layer")
    assert isinstance(layer, LayerEditor) and layer.combo.currentText() == "LSTM"
    assert {"units", "return_sequences"} <= set(layer.sub_editors)
    assert panel.editor("merge_mode").choices[0] is None  # nullable choice offers None

    panel.show_node(mlp.graph.node_by_name("pixels").id)
    shape = panel.editor("shape")  # an Input's batch_shape is shown as its shape + an advanced batch size
    assert isinstance(shape, TupleTextEditor) and shape.line.text() == "784"
    assert isinstance(panel.editor("dtype"), ChoiceEditor)

    drop = mlp.add_node("Dropout", (0, 400))
    panel.show_node(drop)
    assert isinstance(panel.editor("rate"), FloatSpinEditor)
    assert panel.editor("rate").spin.text() == "0.5"
    assert panel.editor("seed").none_box.isChecked()


def test_editing_units_is_one_undo_step_and_updates_downstream_shapes(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    hidden = mlp.graph.node_by_name("hidden").id
    head = mlp.graph.node_by_name("head").id
    steps = mlp.undo_stack.count()
    before = dumps(mlp.project)
    with qtbot.waitSignal(mlp.analysis_changed, timeout=2000):
        _type(qtbot, panel.editor("units").spin.lineEdit(), "64")
    assert mlp.graph.node(hidden).config["units"] == 64
    assert mlp.undo_stack.count() == steps + 1
    analysis = mlp.analysis
    assert analysis.nodes[hidden].output_shapes == [(None, 64)]
    assert analysis.nodes[head].params == 64 * 10 + 10
    assert "(None, 64)" in panel.info_label.text()

    editor = panel.editor("units")
    mlp.undo_stack.undo()
    mlp.revalidate()
    assert dumps(mlp.project) == before
    assert panel.editor("units") is editor and editor.spin.value() == 32  # updated in place, not rebuilt


def test_arrow_steps_are_coalesced_into_one_undo_step(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    hidden = mlp.graph.node_by_name("hidden")
    steps = mlp.undo_stack.count()
    spin = panel.editor("units").spin
    spin.setFocus()
    for _ in range(3):
        qtbot.keyClick(spin, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: hidden.config["units"] == 35, timeout=2000)
    assert mlp.undo_stack.count() == steps + 1


def test_initializer_editor_keeps_custom_objects_as_json(qtbot, mlp: Document) -> None:
    hidden = mlp.graph.node_by_name("hidden")
    custom = {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 7},
              "registered_name": None}
    mlp.set_param(hidden.id, "kernel_initializer", custom)
    panel = _inspector(qtbot, mlp, "hidden")
    editor = panel.editor("kernel_initializer")
    assert editor.combo.currentText().startswith("{") and '"seed": 7' in editor.combo.currentText()
    _type(qtbot, editor.combo.lineEdit(), "he_normal")
    assert hidden.config["kernel_initializer"] == "he_normal"
    _type(qtbot, editor.combo.lineEdit(), "not_an_initializer")
    assert "not_an_initializer" in editor.error and hidden.config["kernel_initializer"] == "he_normal"


def test_choice_checkbox_and_regularizer_edits(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    hidden = mlp.graph.node_by_name("hidden")
    steps = mlp.undo_stack.count()
    assert panel.editor("activation").select("tanh")
    assert hidden.config["activation"] == "tanh"
    panel.editor("use_bias").check.click()
    assert hidden.config["use_bias"] is False
    assert panel.editor("kernel_regularizer").select("L1L2", l1=0.001, l2=0.01)
    assert hidden.config["kernel_regularizer"] == {
        "module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.001, "l2": 0.01},
        "registered_name": None,
    }
    assert mlp.undo_stack.count() == steps + 3
    mlp.revalidate()
    assert panel.editor("kernel_regularizer").kind.currentText() == "L1L2"
    assert panel.editor("kernel_regularizer").select("None")
    assert hidden.config["kernel_regularizer"] is None


def test_invalid_values_are_refused_with_the_reason_inline(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    before = dumps(mlp.project)
    steps = mlp.undo_stack.count()

    units = panel.editor("units")
    _type(qtbot, units.spin.lineEdit(), "0")  # below the minimum of 1
    assert "'units' must be ≥ 1 (got 0)" in units.error_label.text() and units.error_label.isVisibleTo(panel)
    assert units.spin.value() == 32
    _type(qtbot, units.spin.lineEdit(), "-5")  # a key Qt would swallow: typed, then refused with the reason
    assert "'units' must be ≥ 1 (got -5)" in units.error

    _type(qtbot, panel.name_edit, "head")  # taken by the other Dense
    assert "already called 'head'" in panel.name_error.text() and panel.name_edit.text() == "hidden"
    _type(qtbot, panel.name_edit, "bad/name")  # Keras refuses '/' in a layer name
    assert "Keras refuses '/'" in panel.name_error.text() and panel.name_edit.text() == "hidden"

    panel.show_node(mlp.graph.node_by_name("pixels").id)
    shape = panel.editor("shape")
    _type(qtbot, shape.line, "-3")
    assert "positive whole numbers" in shape.error and shape.line.text() == "784"
    _type(qtbot, shape.line, "28, x")
    assert "'x' is not a whole number" in shape.error

    assert dumps(mlp.project) == before and mlp.undo_stack.count() == steps

    _type(qtbot, shape.line, "28, 28")  # a valid value clears the message and applies
    assert not shape.error and mlp.graph.node_by_name("pixels").config["batch_shape"] == [None, 28, 28]

    drop = mlp.add_node("Dropout", (0, 400))
    panel.show_node(drop)
    rate = panel.editor("rate")
    _type(qtbot, rate.spin.lineEdit(), "1")
    assert "'rate' must be < 1 (got 1)" in rate.error and mlp.graph.node(drop).config["rate"] == 0.5


def test_rename_is_one_undo_step(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    hidden = mlp.graph.node_by_name("hidden").id
    steps = mlp.undo_stack.count()
    _type(qtbot, panel.name_edit, "features")
    assert mlp.graph.node(hidden).name == "features" and mlp.undo_stack.count() == steps + 1
    assert not panel.name_error.text()


def test_wrapped_layer_editor(qtbot) -> None:
    doc = Document()
    i = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 40, 8]})
    bi = doc.add_node("Bidirectional", (0, 120))
    doc.connect_nodes(i, bi)
    doc.revalidate()
    panel = InspectorPanel(doc)
    qtbot.addWidget(panel)
    panel.show_node(bi)
    layer = panel.editor("layer")
    steps = doc.undo_stack.count()
    assert layer.sub_editors["units"].edit_and_commit(16)
    assert layer.sub_editors["return_sequences"].edit_and_commit(True)
    assert doc.revalidate().nodes[bi].output_shapes == [(None, 40, 32)]
    assert layer.select("GRU")  # switching class keeps the shared settings
    wrapped = doc.graph.node(bi).config["layer"]
    assert wrapped["class_name"] == "GRU" and wrapped["config"]["units"] == 16
    assert wrapped["config"]["return_sequences"] is True
    assert doc.undo_stack.count() == steps + 3
    assert not layer.sub_editors["units"].edit_and_commit(0)  # refused by the inner layer's own rule
    assert "'units' must be ≥ 1" in layer.sub_editors["units"].error
    assert doc.undo_stack.count() == steps + 3


def test_inspector_empty_state_lock_and_analysis_problems(qtbot, broken: Document) -> None:
    panel = InspectorPanel(broken)
    qtbot.addWidget(panel)
    assert panel.stack.currentWidget() is panel.empty_label and panel.empty_label.text() == EMPTY_HINT
    conv = broken.graph.node_by_name("conv").id
    panel.show_node(conv)
    assert "expects a 4-D input" in panel.problems_label.text()
    broken.set_locked(True)
    assert not panel.editor("filters").isEnabled() and panel.name_edit.isReadOnly()
    broken.set_locked(False)
    assert panel.editor("filters").isEnabled()
    broken.remove_nodes([conv])
    broken.revalidate()
    assert panel.stack.currentWidget() is panel.empty_label


def test_switching_nodes_commits_nothing_by_itself(qtbot, mlp: Document) -> None:
    panel = _inspector(qtbot, mlp, "hidden")
    drop = mlp.add_node("Dropout", (0, 400), {"rate": 0.123456})
    steps = mlp.undo_stack.count()
    panel.show_node(drop)
    assert panel.editor("rate").spin.text() == "0.1235"  # rounded for display only
    panel.show_node(mlp.graph.node_by_name("head").id)
    panel.show_node(None)
    assert mlp.undo_stack.count() == steps and mlp.graph.node(drop).config["rate"] == 0.123456


# --- problems ------------------------------------------------------------------------------------------


def test_problems_panel_lists_activates_and_fixes(qtbot, broken: Document) -> None:
    panel = ProblemsPanel(broken)
    qtbot.addWidget(panel)
    panel.show()
    problems = panel.problems
    assert problems == broken.analysis.problems and panel.tree.topLevelItemCount() == len(problems)
    assert panel.count_label.text() == "1 error, 1 warning"
    conv_row = next(i for i, p in enumerate(problems) if p.node_name == "conv")
    item = panel.tree.topLevelItem(conv_row)
    assert item.text(0) == "conv" and item.text(2).startswith("Conv2D expects a 4-D input")
    assert set(panel.fix_buttons) == {i for i, p in enumerate(problems) if p.fix is not None}

    rect = panel.tree.visualItemRect(item)
    with qtbot.waitSignal(panel.node_activated, timeout=1000) as blocker:
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [broken.graph.node_by_name("conv").id]
    details = panel.details_label.text()  # the full message, which the column may cut
    assert html.escape(short_message(problems[conv_row])) in details and "Suggested fix" in details

    before = dumps(broken.project)
    steps = broken.undo_stack.count()
    with qtbot.waitSignal(broken.analysis_changed, timeout=2000):
        qtbot.mouseClick(panel.fix_buttons[conv_row], Qt.MouseButton.LeftButton)
    assert broken.undo_stack.count() == steps + 1
    assert any(n.class_name == "Reshape" for n in broken.graph.nodes())
    assert panel.count_label.text() == "1 warning" and panel.tree.topLevelItemCount() == 1
    broken.undo_stack.undo()
    broken.revalidate()
    assert dumps(broken.project) == before and panel.count_label.text() == "1 error, 1 warning"


def test_problems_panel_follows_document_switch(qtbot, broken: Document, mlp: Document) -> None:
    panel = ProblemsPanel(broken)
    qtbot.addWidget(panel)
    panel.set_document(mlp)
    assert panel.count_label.text() == "No problems" and panel.tree.topLevelItemCount() == 0
    broken.remove_nodes([broken.graph.node_by_name("conv").id])
    broken.revalidate()  # the old document no longer drives the panel
    assert panel.count_label.text() == "No problems"


# --- summary ---------------------------------------------------------------------------------------------


def test_summary_rows_and_totals_match_the_analysis(qtbot, mlp: Document) -> None:
    panel = SummaryPanel(mlp)
    qtbot.addWidget(panel)
    assert panel.rows() == [
        ["pixels (InputLayer)", "(None, 784)", "0", "0 FLOPs", "3.1 KB", "—"],
        ["hidden (Dense)", "(None, 32)", "25,120", "50.2 KFLOPs", "128 B", "pixels"],
        ["head (Dense)", "(None, 10)", "330", "640 FLOPs", "40 B", "hidden"],
    ]
    assert mlp.analysis.total_params == 25_450
    assert "Total params:</b> 25,450" in panel.totals_label.text()
    assert "Non-trainable:</b> 0" in panel.totals_label.text()
    mlp.set_param(mlp.graph.node_by_name("hidden").id, "trainable", False)
    mlp.revalidate()
    assert panel.rows()[2][2] == "330"
    assert "Trainable:</b> 330" in panel.totals_label.text()
    assert "Non-trainable:</b> 25,120" in panel.totals_label.text()
    mlp.remove_nodes([mlp.graph.node_by_name("head").id])
    mlp.revalidate()
    assert [r[0] for r in panel.rows()] == ["pixels (InputLayer)", "hidden (Dense)"]


def test_summary_flops_and_memory_columns_match_insight(qtbot) -> None:
    doc = Document()
    pixels = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 784]}, name="pixels")
    head = doc.add_node("Dense", (0, 120), {"units": 10, "activation": "softmax"}, name="head")
    doc.connect_nodes(pixels, head)
    doc.revalidate()
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    item = panel.tree.topLevelItem(1)
    cost = node_cost(doc.graph, head, doc.analysis)
    assert cost.flops == 2 * 784 * 10 and cost.macs == 784 * 10  # bias and softmax are not counted
    assert item.text(FLOPS_COLUMN) == format_flops(cost.flops) == "15.7 KFLOPs"
    assert item.text(MEMORY_COLUMN) == format_bytes(cost.activation_bytes) == "40 B"  # 10 float32 values
    assert "15,680 FLOPs per sample, of which 7,840 multiply-adds" in item.toolTip(FLOPS_COLUMN)
    assert "40 bytes" in item.toolTip(MEMORY_COLUMN)
    for column in (PARAM_COLUMN, FLOPS_COLUMN, MEMORY_COLUMN):
        assert item.textAlignment(column) & Qt.AlignmentFlag.AlignRight
        assert panel.tree.headerItem().textAlignment(column) & Qt.AlignmentFlag.AlignRight
    assert panel.tree.headerItem().text(FLOPS_COLUMN) == "FLOPs"
    assert panel.tree.headerItem().text(MEMORY_COLUMN) == "Memory"

    totals = panel.totals_label.text()
    assert "Compute:</b> 15.7 KFLOPs (7.8 KMACs) per sample" in totals
    assert "Activation memory:</b> 3.1 KB per sample" in totals  # (784 + 10) * 4 = 3,176 bytes
    assert "at least" not in totals and panel.totals_label.toolTip() == ""

    items = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.set_param(head, "units", 20)
    assert [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())] == items  # in place
    assert items[1].text(FLOPS_COLUMN) == format_flops(2 * 784 * 20) == "31.4 KFLOPs"
    assert "31.4 KFLOPs (15.7 KMACs)" in panel.totals_label.text()


def test_summary_totals_say_at_least_when_a_cost_is_unknown(qtbot) -> None:
    doc = Document()
    tokens = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, None, 8]}, name="steps")
    lstm = doc.add_node("LSTM", (0, 120), {"units": 4}, name="memory")
    head = doc.add_node("Dense", (0, 240), {"units": 2}, name="head")
    doc.connect_nodes(tokens, lstm)
    doc.connect_nodes(lstm, head)
    doc.revalidate()
    panel = SummaryPanel(doc)
    qtbot.addWidget(panel)
    rows = panel.rows()
    assert rows[1][FLOPS_COLUMN] == "?"  # an LSTM over an unknown number of timesteps
    assert rows[1][MEMORY_COLUMN] == "16 B" and rows[0][MEMORY_COLUMN] == "?"
    assert rows[2][FLOPS_COLUMN] == "16 FLOPs"
    assert panel.costs is not None and panel.costs.unknown == ["steps", "memory"]
    totals = panel.totals_label.text()
    assert "Compute:</b> at least 16 FLOPs (8 MACs)" in totals
    assert "Activation memory:</b> at least 24 B" in totals
    tip = panel.totals_label.toolTip()
    assert "<li>steps</li>" in tip and "<li>memory</li>" in tip and "2 layers" in tip
    assert "not known" in panel.tree.topLevelItem(1).toolTip(FLOPS_COLUMN)
