"""The Inspector's editor of an RNN's cell: switching the cell's class (SimpleRNNCell -> LSTMCell,
a cell -> StackedRNNCells and back) keeps the settings the new class shares and gives the rest the
new class' defaults, as one undoable edit; the cell's own settings get typed editors."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.core.catalog.recurrent_cells import CELL_SPECS, cell_value
from app.gui.document import Document
from app.gui.panels.inspector import InspectorPanel
from app.gui.panels.param_editors import LayerEditor


def rnn_document() -> tuple[Document, str]:
    """Input (10 steps x 3) -> RNN(SimpleRNNCell(12, relu, no bias))."""
    doc = Document()
    source = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 10, 3]})
    cell = cell_value("SimpleRNNCell", units=12, activation="relu", use_bias=False, dropout=0.25)
    rnn = doc.add_node("RNN", (0, 120), {"cell": cell}, name="loop")
    doc.connect_nodes(source, rnn)
    doc.undo_stack.clear()
    doc.revalidate()
    return doc, rnn


def cell_editor(qtbot, doc: Document, node: str) -> LayerEditor:
    panel = InspectorPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_node(node)
    editor = panel.editor("cell")
    assert isinstance(editor, LayerEditor)
    return editor


def test_switching_the_cell_class_keeps_the_shared_settings(qtbot) -> None:
    doc, rnn = rnn_document()
    editor = cell_editor(qtbot, doc, rnn)
    assert editor.combo.currentText() == "SimpleRNNCell"
    assert editor.sub_editors["units"].value == 12  # the cell's settings have editors of their own
    steps = doc.undo_stack.count()

    editor.combo.setFocus()
    qtbot.keyClick(editor.combo, Qt.Key.Key_Down)  # the next class in the list, as a user picks it
    cell = doc.graph.node(rnn).config["cell"]
    assert cell["class_name"] == "LSTMCell"
    config = cell["config"]
    assert (config["units"], config["activation"], config["use_bias"], config["dropout"]) == (12, "relu", False, 0.25)
    # what SimpleRNNCell does not have takes LSTMCell's defaults: every key Keras writes is there
    defaults = CELL_SPECS["LSTMCell"].default_config()
    assert set(config) == set(defaults)
    assert config["recurrent_activation"] == "sigmoid" and config["unit_forget_bias"] is True
    assert doc.undo_stack.count() == steps + 1
    analysis = doc.revalidate()
    assert not analysis.errors, [p.message for p in analysis.errors]
    assert analysis.nodes[rnn].output_shapes == [(None, 12)]
    assert analysis.nodes[rnn].params == 4 * 12 * (3 + 12)  # LSTM's weights, still without biases
    assert editor.combo.currentText() == "LSTMCell" and editor.sub_editors["units"].value == 12

    doc.undo_stack.undo()
    assert doc.graph.node(rnn).config["cell"]["class_name"] == "SimpleRNNCell"
    qtbot.waitUntil(lambda: editor.combo.currentText() == "SimpleRNNCell")  # the inspector follows the undo
    assert editor.sub_editors["units"].value == 12 and "unit_forget_bias" not in editor.sub_editors


def test_a_stack_takes_the_cell_and_a_cell_takes_the_stacks_first_settings(qtbot) -> None:
    doc, rnn = rnn_document()
    editor = cell_editor(qtbot, doc, rnn)
    assert editor.select("StackedRNNCells")
    stack = doc.graph.node(rnn).config["cell"]
    assert stack["class_name"] == "StackedRNNCells"
    [inner] = stack["config"]["cells"]
    assert inner["class_name"] == "SimpleRNNCell" and inner["config"]["units"] == 12
    assert doc.revalidate().nodes[rnn].output_shapes == [(None, 12)]

    assert editor.select("GRUCell")
    gru = doc.graph.node(rnn).config["cell"]
    assert gru["class_name"] == "GRUCell"
    assert (gru["config"]["units"], gru["config"]["activation"], gru["config"]["use_bias"]) == (12, "relu", False)
    assert gru["config"]["reset_after"] is True
    analysis = doc.revalidate()
    assert not analysis.errors, [p.message for p in analysis.errors]
    assert editor.sub_editors["units"].edit_and_commit(5)
    assert doc.graph.node(rnn).config["cell"]["config"]["units"] == 5
    assert doc.revalidate().nodes[rnn].output_shapes == [(None, 5)]
