"""A recurrent layer's states on the canvas: one labelled output port per output its config gives
("output", "h", "c" with return_state), tooltips with each port's shape, and real mouse drags that
make edges from output 1 and 2 into the optional initial_h / initial_c ports."""

from __future__ import annotations

import pytest

from app.gui.document import Document
from app.gui.editor.port_item import PortItem
from app.gui.editor.view import GraphView
from tests.gui.drag_helpers import node_id, qtest_drag, shown_view


def encoder_decoder() -> Document:
    """Two LSTMs not yet joined: the encoder returns its states, the decoder reads sequences."""
    document = Document()
    source = document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 5, 6]}, name="encoder_input")
    encoder = document.add_node("LSTM", (0, 150), {"units": 8, "return_state": True}, name="encoder")
    answer = document.add_node("InputLayer", (320, 0), {"batch_shape": [None, 5, 7]}, name="decoder_input")
    decoder = document.add_node("LSTM", (320, 150), {"units": 8, "return_sequences": True}, name="decoder")
    document.connect_nodes(source, encoder)
    document.connect_nodes(answer, decoder)
    document.undo_stack.clear()
    document.revalidate()
    return document


@pytest.fixture
def doc(qtbot) -> Document:
    return encoder_decoder()


@pytest.fixture
def view(qtbot, doc: Document) -> GraphView:
    return shown_view(qtbot, doc, (160, 150))


def test_a_recurrent_layer_with_return_state_has_labelled_state_ports(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    encoder, decoder = scene.nodes[node_id(doc, "encoder")], scene.nodes[node_id(doc, "decoder")]
    assert [(p.name, p.index) for p in encoder.outputs] == [("output", 0), ("h", 1), ("c", 2)]
    assert all(p.show_label for p in encoder.outputs)
    assert [p.name for p in decoder.outputs] == ["output"] and not decoder.output.show_label
    assert "Output 1 'h' (None, 8)" in encoder.outputs[1].toolTip()
    assert "Output 2 'c' (None, 8)" in encoder.outputs[2].toolTip()
    # the optional inputs are ports of their own, labelled, each at its own place on the top edge
    assert list(decoder.inputs) == ["input", "mask", "initial_h", "initial_c"]
    assert "(optional)" in decoder.inputs["initial_h"].toolTip()
    xs = [p.scenePos().x() for p in [*decoder.inputs.values()]]
    assert len(set(xs)) == 4
    assert len({p.scenePos().x() for p in encoder.outputs}) == 3
    assert {p.scenePos().y() for p in encoder.outputs} == {encoder.output.scenePos().y()}


def test_dragging_the_states_into_the_decoder_makes_edges_from_ports_1_and_2(view: GraphView,
                                                                               doc: Document) -> None:
    scene = view.graph_scene()
    encoder, decoder = scene.nodes[node_id(doc, "encoder")], scene.nodes[node_id(doc, "decoder")]
    steps = doc.undo_stack.count()
    qtest_drag(view, encoder.outputs[1].scenePos(), decoder.inputs["initial_h"].scenePos())
    # the other way round: from the input port to the state it should read
    qtest_drag(view, decoder.inputs["initial_c"].scenePos(), encoder.outputs[2].scenePos())
    edges = {(e.source_port, e.target_port) for e in doc.graph.edges() if e.target == decoder.node_id}
    assert edges == {(0, "input"), (1, "initial_h"), (2, "initial_c")}
    assert doc.undo_stack.count() == steps + 2 and not scene.connecting
    assert not doc.analysis.errors, [p.message for p in doc.analysis.errors]
    drawn = {item.edge.source_port: item for item in scene.edges.values() if item.target is decoder}
    start = drawn[2].path().pointAtPercent(0.0)
    assert (start - encoder.outputs[2].scenePos()).manhattanLength() < 1.0  # the edge leaves the 'c' port
    assert "encoder ('c')" in drawn[2].toolTip()


def test_return_state_adds_and_removes_the_state_ports(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    decoder = node_id(doc, "decoder")
    assert len(scene.nodes[decoder].outputs) == 1
    doc.set_param(decoder, "return_state", True)
    assert [p.name for p in scene.nodes[decoder].outputs] == ["output", "h", "c"]
    removed = scene.nodes[decoder].outputs[1:]
    doc.undo_stack.undo()
    assert [p.name for p in scene.nodes[decoder].outputs] == ["output"]
    assert all(p.scene() is None for p in removed)  # the state ports left the canvas
    assert not [i for i in scene.items() if isinstance(i, PortItem) and i.parentItem() is None]
    gru = doc.add_node("GRU", (640, 150), {"units": 4, "return_state": True})
    assert [p.name for p in scene.nodes[gru].outputs] == ["output", "h"]
