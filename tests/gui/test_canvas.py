"""The canvas: items follow graph events, and mouse/keyboard gestures become document edits.

Gestures are sent as real mouse and key events to the view's viewport, so what is tested
is what a user's hand does: drag from an output port to an input port, click an edge and
press Delete, drag a node.
"""

from __future__ import annotations

import itertools
import json

import pytest
from PySide6.QtCore import QByteArray, QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.core.clipboard import MIME_TYPE
from app.core.graph_sync import same_state
from app.core.project import dumps
from app.gui import theme
from app.gui.document import Document
from app.gui.editor.edge_item import EdgeItem
from app.gui.editor.node_item import HEIGHT, SIMPLE_LOD, NodeItem
from app.gui.editor.view import LAYER_MIME, MAX_ZOOM, READABLE_ZOOM, GraphView
from tests.gui import drag_helpers
from tests.gui.drag_helpers import drop_mime, node_id
from tests.gui.window_helpers import open_view

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton


# --- helpers: real input events on the viewport ---------------------------------------------

def mouse(view: GraphView, kind: QEvent.Type, scene_pos: QPointF, button=LEFT, buttons=None,
          modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = view.viewport()
    local = QPointF(view.mapFromScene(scene_pos))
    if buttons is None:
        buttons = NONE if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local)),
                        NONE if kind == QEvent.Type.MouseMove else button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag(view: GraphView, start: QPointF, end: QPointF, button=LEFT, steps: int = 6,
         check_midway=None) -> None:
    mouse(view, QEvent.Type.MouseButtonPress, start, button)
    for i in range(1, steps + 1):
        mouse(view, QEvent.Type.MouseMove, start + (end - start) * (i / steps), button)
        if check_midway is not None and i == steps // 2:
            check_midway()
    mouse(view, QEvent.Type.MouseButtonRelease, end, button)


def drag_viewport(view: GraphView, start: QPointF, end: QPointF, button=LEFT, steps: int = 6) -> None:
    """A drag in viewport pixels (for panning, where scene points move under the mouse)."""
    viewport = view.viewport()

    def send(kind: QEvent.Type, local: QPointF) -> None:
        pressed = button if kind != QEvent.Type.MouseButtonRelease else NONE
        QApplication.sendEvent(viewport, QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local)),
                                                     NONE if kind == QEvent.Type.MouseMove else button, pressed,
                                                     Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        send(QEvent.Type.MouseMove, start + (end - start) * (i / steps))
    send(QEvent.Type.MouseButtonRelease, end)


def drop_layer(view: GraphView, class_name: bytes, scene_pos: QPointF) -> None:
    """What the palette's QDrag delivers: enter, move, drop."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, QByteArray(class_name))
    drop_mime(view, mime, scene_pos)


def click(view: GraphView, scene_pos: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    mouse(view, QEvent.Type.MouseButtonPress, scene_pos, modifiers=modifiers)
    mouse(view, QEvent.Type.MouseButtonRelease, scene_pos, modifiers=modifiers)


def key(qtbot, view: GraphView, k: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(view.viewport(), k, modifiers)


def edge_midpoint(item: EdgeItem) -> QPointF:
    return item.mapToScene(item.path().pointAtPercent(0.5))


# --- fixtures -------------------------------------------------------------------------------

def column_document(row: float = 120) -> Document:
    """input -> conv2d -> flatten -> dense, one column, ``row`` apart as the layout would place them."""
    document = Document()
    ids = [
        document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 28, 28, 1]}),
        document.add_node("Conv2D", (0, row), {"filters": 32, "kernel_size": [3, 3]}),
        document.add_node("Flatten", (0, 2 * row)),
        document.add_node("Dense", (0, 3 * row), {"units": 10}),
    ]
    for a, b in itertools.pairwise(ids):
        document.connect_nodes(a, b)
    document.undo_stack.clear()
    document.revalidate()
    return document


def shown_view(qtbot, doc: Document) -> GraphView:
    """A 900x700 view at zoom 1, centred on the column, with the keyboard focus."""
    ys = [node.position[1] for node in doc.graph.nodes()]
    widget = drag_helpers.shown_view(qtbot, doc, (0, (min(ys) + max(ys)) / 2))  # the middle of the column
    widget.setFocus()
    return widget


@pytest.fixture
def doc(qtbot) -> Document:
    return column_document(120)


@pytest.fixture
def view(qtbot, doc: Document) -> GraphView:
    return shown_view(qtbot, doc)


# --- items follow the model -----------------------------------------------------------------

def test_items_appear_and_disappear_with_graph_events(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    assert set(scene.nodes) == {n.id for n in doc.graph.nodes()}
    assert set(scene.edges) == set(doc.graph.edges())
    new = doc.add_node("Dropout", (200, 240))
    assert isinstance(view.scene_node_item(new), NodeItem)
    doc.connect_nodes(node_id(doc, "flatten"), new)
    assert len(scene.edges) == 4
    doc.remove_nodes([node_id(doc, "flatten")])
    assert len(scene.nodes) == 4 and len(scene.edges) == 1
    assert all(item.scene() is scene for item in scene.edges.values())
    assert sum(isinstance(i, EdgeItem) for i in scene.items()) == 1
    doc.undo_stack.undo()  # the deletion comes back, edges included
    assert len(scene.nodes) == 5 and len(scene.edges) == 4
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert view.scene_node_item(new) is None and len(scene.edges) == 3
    assert sum(isinstance(i, NodeItem) for i in scene.items()) == 4


def test_node_shows_name_type_shape_and_params(view: GraphView, doc: Document) -> None:
    conv = view.scene_node_item(node_id(doc, "conv2d"))
    assert conv.name == "conv2d" and conv.title == "Conv2D"
    assert conv.shape_text == "(None, 26, 26, 32)" and conv.params == 320
    assert "320 params" in conv._count_text
    assert [p.name for p in conv.ports()] == ["input", "output"]
    assert "input" in conv.inputs["input"].toolTip() and "(None, 26, 26, 32)" in conv.output.toolTip()
    assert conv.cacheMode() == NodeItem.CacheMode.DeviceCoordinateCache
    doc.rename(conv.node_id, "features")
    assert conv.name == "features" and "features" in conv.toolTip()


def test_unknown_shape_shows_question_mark(view: GraphView, doc: Document) -> None:
    new = doc.add_node("Dense", (300, 0))
    item = view.scene_node_item(new)
    assert item.shape_text == "?"  # not analysed yet
    doc.revalidate()
    assert item.shape_text == "?" and item.severity == "error"  # unconnected input


# --- connecting ---------------------------------------------------------------------------

def test_connect_by_dragging_output_port_to_input_port(view: GraphView, doc: Document) -> None:
    extra = doc.add_node("Dense", (260, 360), {"units": 3})
    steps = doc.undo_stack.count()
    source = view.scene_node_item(node_id(doc, "flatten")).output
    target = view.scene_node_item(extra).inputs["input"]
    drag(view, source.scenePos(), target.scenePos())
    assert any(e.source == node_id(doc, "flatten") and e.target == extra for e in doc.graph.edges())
    assert doc.undo_stack.count() == steps + 1
    edge = next(e for e in view.graph_scene().edges if e.target == extra)
    assert target.connected == 1 and view.graph_scene().edges[edge].scene() is view.graph_scene()
    # Dropping on a node's body also works: the first free port is used.
    other = doc.add_node("Dropout", (-260, 360))
    drag(view, source.scenePos(), view.scene_node_item(other).scenePos())
    assert any(e.target == other for e in doc.graph.edges())


def test_drag_from_input_port_to_output_port_connects_too(view: GraphView, doc: Document) -> None:
    extra = doc.add_node("Dense", (260, 360), {"units": 3})
    drag(view, view.scene_node_item(extra).inputs["input"].scenePos(),
         view.scene_node_item(node_id(doc, "conv2d")).output.scenePos())
    assert any(e.source == node_id(doc, "conv2d") and e.target == extra for e in doc.graph.edges())


def test_merge_ports_take_several_edges_named_inputs(view: GraphView, doc: Document) -> None:
    concat = doc.add_node("Concatenate", (260, 480))
    port = view.scene_node_item(concat).inputs["inputs"]
    for name in ("flatten", "dense"):
        drag(view, view.scene_node_item(node_id(doc, name)).output.scenePos(), port.scenePos())
    edges = doc.graph.port_edges(concat, "inputs")
    assert [e.source for e in edges] == [node_id(doc, "flatten"), node_id(doc, "dense")]
    ends = [view.graph_scene().edges[e].path().pointAtPercent(1.0).x() for e in edges]
    assert ends[0] < ends[1]  # spread along the wide port in slot order


def test_invalid_connections_are_refused_with_a_reason(view: GraphView, doc: Document) -> None:
    dense = view.scene_node_item(node_id(doc, "dense"))
    before, steps = dumps(doc.project), doc.undo_stack.count()
    drag(view, dense.output.scenePos(), dense.inputs["input"].scenePos())  # onto itself
    assert dumps(doc.project) == before and doc.undo_stack.count() == steps
    assert "itself" in view.last_message
    assert view._label.isVisible() and "itself" in view._label.text()
    # A cycle: dense -> concat -> dense2 -> back into concat.
    concat = doc.add_node("Concatenate", (260, 480))
    doc.connect_nodes(dense.node_id, concat, "inputs")
    tail = doc.add_node("Dense", (260, 600), {"units": 4})
    doc.connect_nodes(concat, tail)
    before, steps = dumps(doc.project), doc.undo_stack.count()
    concat_item, flatten_item = view.scene_node_item(concat), view.scene_node_item(node_id(doc, "flatten"))

    def dimmed_while_dragging() -> None:
        assert concat_item.opacity() < 1.0  # would make a cycle
        assert concat_item.inputs["inputs"].state == "invalid"
        assert flatten_item.opacity() < 1.0  # its only input is taken
        assert view.scene_node_item(doc.graph.nodes()[0].id).opacity() < 1.0  # an InputLayer has no input port

    drag(view, view.scene_node_item(tail).output.scenePos(), concat_item.inputs["inputs"].scenePos(),
         check_midway=dimmed_while_dragging)
    assert dumps(doc.project) == before and doc.undo_stack.count() == steps
    assert "cycle" in view.last_message
    assert concat_item.opacity() == 1.0 and concat_item.inputs["inputs"].state == ""


def test_valid_targets_stay_bright_while_dragging(view: GraphView, doc: Document) -> None:
    extra = doc.add_node("Dense", (260, 360), {"units": 3})
    extra_item = view.scene_node_item(extra)

    def check() -> None:
        assert extra_item.opacity() == 1.0 and extra_item.inputs["input"].state in ("valid", "hover-valid")

    drag(view, view.scene_node_item(node_id(doc, "flatten")).output.scenePos(), QPointF(400, 150),
         check_midway=check)
    assert len(doc.graph.edges()) == 3  # dropped on nothing: nothing happens


def test_disconnect_by_clicking_an_edge_and_pressing_delete(qtbot, view: GraphView, doc: Document) -> None:
    edge = next(e for e in doc.graph.edges() if e.target == node_id(doc, "flatten"))
    item = view.graph_scene().edges[edge]
    view.select_nodes([node_id(doc, "dense")])
    click(view, edge_midpoint(item))
    assert item.selected and view.selected_edges() == [item] and view.selected_node_ids() == []
    steps = doc.undo_stack.count()
    key(qtbot, view, Qt.Key.Key_Delete)
    assert edge not in doc.graph.edges() and edge not in view.graph_scene().edges
    assert len(doc.graph) == 4 and doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    assert edge in view.graph_scene().edges


# --- deleting, moving -------------------------------------------------------------------------

def test_delete_node_with_delete_key_is_one_undo_step(qtbot, view: GraphView, doc: Document) -> None:
    flatten = node_id(doc, "flatten")
    click(view, view.scene_node_item(flatten).scenePos())
    assert view.selected_node_ids() == [flatten]
    before, steps = doc.graph.to_dict(), doc.undo_stack.count()
    key(qtbot, view, Qt.Key.Key_Backspace)
    assert flatten not in doc.graph and view.scene_node_item(flatten) is None
    assert len(view.graph_scene().edges) == 1 and doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    # Same graph (the re-created node comes last in the node list: sync_graph appends it).
    assert same_state(doc.graph.to_dict(), before) and view.scene_node_item(flatten) is not None
    assert len(view.graph_scene().edges) == 3


def test_delete_nodes_and_edges_together_is_one_step(view: GraphView, doc: Document) -> None:
    edge = next(e for e in doc.graph.edges() if e.target == node_id(doc, "conv2d"))
    view.select_nodes([node_id(doc, "dense")])
    click(view, edge_midpoint(view.graph_scene().edges[edge]), Qt.KeyboardModifier.ControlModifier)
    assert len(view.selected_edges()) == 1 and view.selected_node_ids() == [node_id(doc, "dense")]
    steps = doc.undo_stack.count()
    view.delete_selection()
    assert len(doc.graph) == 3 and edge not in doc.graph.edges()
    assert doc.undo_stack.count() == steps + 1


def test_move_by_drag_is_one_undo_step_and_undo_returns_positions(view: GraphView, doc: Document) -> None:
    conv, flatten = node_id(doc, "conv2d"), node_id(doc, "flatten")
    view.select_nodes([conv, flatten])
    item = view.scene_node_item(conv)
    edge = view.graph_scene().edges[next(e for e in doc.graph.edges() if e.target == conv)]
    end_before = edge.path().pointAtPercent(1.0)
    steps = doc.undo_stack.count()
    drag(view, item.scenePos() + QPointF(-30, 0), item.scenePos() + QPointF(90, 20), steps=8)
    assert doc.graph.node(conv).position == (120.0, 140.0)
    assert doc.graph.node(flatten).position == (120.0, 260.0)  # both selected nodes, one step
    assert doc.undo_stack.count() == steps + 1
    assert edge.path().pointAtPercent(1.0) == end_before + QPointF(120, 20)  # edges follow
    doc.undo_stack.undo()
    assert doc.graph.node(conv).position == (0.0, 120.0)
    assert item.pos() == QPointF(0, 120) and view.scene_node_item(flatten).pos() == QPointF(0, 240)
    assert edge.path().pointAtPercent(1.0) == end_before


def test_click_without_moving_makes_no_undo_step(view: GraphView, doc: Document) -> None:
    steps = doc.undo_stack.count()
    click(view, view.scene_node_item(node_id(doc, "dense")).scenePos())
    assert doc.undo_stack.count() == steps


# --- live validation on the nodes ------------------------------------------------------------

def test_badges_update_downstream_after_a_parameter_edit(qtbot, view: GraphView, doc: Document) -> None:
    flatten = view.scene_node_item(node_id(doc, "flatten"))
    dense = view.scene_node_item(node_id(doc, "dense"))
    assert flatten.shape_text == "(None, 21632)" and dense.params == 216330
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.set_param(node_id(doc, "conv2d"), "filters", 8)
    assert view.scene_node_item(node_id(doc, "conv2d")).shape_text == "(None, 26, 26, 8)"
    assert flatten.shape_text == "(None, 5408)"
    assert dense.shape_text == "(None, 10)" and dense.params == 54090
    assert "5408" in next(iter(e for e in flatten.edges if e.source is flatten)).toolTip()


def test_problem_node_gets_red_outline_and_message_tooltip(view: GraphView, doc: Document) -> None:
    flatten = node_id(doc, "flatten")
    doc.disconnect_edges([e for e in doc.graph.edges() if e.target == flatten])
    doc.revalidate()
    item = view.scene_node_item(flatten)
    assert item.severity == "error" and item.outline_color() == QColor(theme.ERROR)
    message = doc.analysis.problems_for(flatten)[0].message
    assert "not connected" in message and message in item.toolTip()
    downstream = view.scene_node_item(node_id(doc, "dense"))
    assert downstream.shape_text == "?"
    doc.undo_stack.undo()
    doc.revalidate()
    assert item.severity is None and item.outline_color() != QColor(theme.ERROR)


def test_warning_node_gets_amber_outline(view: GraphView, doc: Document) -> None:
    dense = doc.add_node("Dense", (260, 240), {"units": 4})
    doc.connect_nodes(node_id(doc, "conv2d"), dense)  # Dense on an image: allowed, but usually a mistake
    doc.revalidate()
    item = view.scene_node_item(dense)
    assert item.severity == "warning" and item.outline_color() == QColor(theme.WARNING)
    assert "Flatten" in item.toolTip()


# --- clipboard ---------------------------------------------------------------------------------

def test_copy_paste_and_duplicate_with_shortcuts(qtbot, view: GraphView, doc: Document) -> None:
    conv, flatten = node_id(doc, "conv2d"), node_id(doc, "flatten")
    view.select_nodes([conv, flatten])
    key(qtbot, view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasFormat(MIME_TYPE)
    data = json.loads(bytes(mime.data(MIME_TYPE).data()))
    assert [n["name"] for n in data["nodes"]] == ["conv2d", "flatten"] and len(data["edges"]) == 1
    assert json.loads(mime.text()) == data
    steps = doc.undo_stack.count()
    key(qtbot, view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = view.selected_node_ids()
    assert len(pasted) == 2 and not {conv, flatten} & set(pasted)
    assert doc.graph.node(pasted[0]).position == (40.0, 160.0)
    assert doc.undo_stack.count() == steps + 1
    key(qtbot, view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # a second paste goes further
    assert doc.graph.node(view.selected_node_ids()[0]).position == (80.0, 200.0)
    view.select_nodes([node_id(doc, "dense")])
    key(qtbot, view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    (dup,) = view.selected_node_ids()
    assert doc.graph.node(dup).class_name == "Dense" and dup != node_id(doc, "dense")
    assert len(doc.graph) == 9 and doc.undo_stack.count() == steps + 3


def test_paste_accepts_the_json_as_plain_text(view: GraphView, doc: Document) -> None:
    mime = QMimeData()
    mime.setText(json.dumps(doc.copy([node_id(doc, "dense")])))
    QGuiApplication.clipboard().setMimeData(mime)
    assert len(view.paste()) == 1
    QGuiApplication.clipboard().setText("not a model")
    assert view.paste() == [] and len(doc.graph) == 5


# --- navigation ---------------------------------------------------------------------------------

def test_fit_all_shows_every_node(qtbot, view: GraphView, doc: Document) -> None:
    doc.move_nodes({node_id(doc, "dense"): (3000.0, 2500.0)})
    key(qtbot, view, Qt.Key.Key_F)
    viewport = view.viewport().rect()
    for item in view.graph_scene().nodes.values():
        assert viewport.contains(view.mapFromScene(item.sceneBoundingRect()).boundingRect())
    small = Document()
    small.add_node("Dense", (0, 0))
    view.set_document(small)
    view.fit_all()
    assert view.zoom() <= 1.25  # one node is not blown up to fill the screen


def test_a_tall_model_opens_readable_from_its_inputs_and_f_still_fits_it_all(qtbot) -> None:
    """Opening a model taller than the canvas shows readable cards from the top, not plain bars."""
    tall = column_document(400)  # 1,200 px of model
    widget = open_view(qtbot, tall, (600, 340))  # the canvas left between the docks on a small laptop screen
    assert widget.zoom() == pytest.approx(READABLE_ZOOM)
    assert widget.zoom() >= SIMPLE_LOD, "cards are drawn with their text"
    viewport = widget.viewport().rect()
    first = widget.graph_scene().nodes[node_id(tall, "input")]
    last = widget.graph_scene().nodes[node_id(tall, "dense")]
    assert viewport.contains(widget.mapFromScene(first.sceneBoundingRect()).boundingRect()), "the input is in view"
    assert not viewport.intersects(widget.mapFromScene(last.sceneBoundingRect()).boundingRect())
    widget.setFocus()
    key(qtbot, widget, Qt.Key.Key_F)  # asked for: everything, however small
    assert viewport.contains(widget.mapFromScene(last.sceneBoundingRect()).boundingRect())
    assert widget.zoom() < READABLE_ZOOM


def test_a_short_model_opens_whole(qtbot, doc: Document) -> None:
    widget = open_view(qtbot, doc, (900, 700))
    viewport = widget.viewport().rect()
    for item in widget.graph_scene().nodes.values():
        assert viewport.contains(widget.mapFromScene(item.sceneBoundingRect()).boundingRect())


def test_wheel_zooms_around_the_cursor_within_limits(view: GraphView) -> None:
    point = QPointF(200, 150)
    anchor = view.mapToScene(point.toPoint())

    def wheel(delta: int) -> None:
        event = QWheelEvent(point, QPointF(view.viewport().mapToGlobal(point)), QPoint(0, 0), QPoint(0, delta),
                            NONE, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.viewport(), event)

    wheel(120)
    assert view.zoom() > 1.1
    assert (view.mapFromScene(anchor) - point.toPoint()).manhattanLength() <= 2
    for _ in range(40):
        wheel(120)
    assert view.zoom() == pytest.approx(MAX_ZOOM)
    for _ in range(80):
        wheel(-120)
    assert view.zoom() >= 0.02


def test_middle_button_and_space_drag_pan(qtbot, view: GraphView, doc: Document) -> None:
    centre = lambda: view.mapToScene(view.viewport().rect().center())  # noqa: E731
    before = centre()
    drag_viewport(view, QPointF(100, 100), QPointF(160, 140), button=Qt.MouseButton.MiddleButton)
    assert centre().x() == pytest.approx(before.x() - 60, abs=2)
    assert centre().y() == pytest.approx(before.y() - 40, abs=2)
    positions = {n.id: n.position for n in doc.graph.nodes()}
    qtbot.keyPress(view.viewport(), Qt.Key.Key_Space)
    start = centre()
    conv = QPointF(view.mapFromScene(view.scene_node_item(node_id(doc, "conv2d")).scenePos()))
    drag_viewport(view, conv, conv + QPointF(50, 0))  # on a node, yet it pans instead of moving it
    qtbot.keyRelease(view.viewport(), Qt.Key.Key_Space)
    assert centre().x() == pytest.approx(start.x() - 50, abs=2)
    assert {n.id: n.position for n in doc.graph.nodes()} == positions
    assert view.dragMode() == GraphView.DragMode.RubberBandDrag


def test_rubber_band_selects_nodes_not_edges(view: GraphView, doc: Document) -> None:
    spy = []
    view.selection_changed.connect(spy.append)
    drag(view, QPointF(-300, 90), QPointF(300, 260))
    assert set(view.selected_node_ids()) == {node_id(doc, "conv2d"), node_id(doc, "flatten")}
    assert view.selected_edges() == []
    assert spy and set(spy[-1]) == set(view.selected_node_ids())
    edge = next(iter(view.graph_scene().edges.values()))
    click(view, edge_midpoint(edge))  # clicking an edge selects it alone
    assert view.selected_edges() == [edge] and view.selected_node_ids() == [] and spy[-1] == []
    click(view, view.scene_node_item(node_id(doc, "dense")).scenePos())  # and a node click drops it
    assert view.selected_edges() == [] and not edge.selected
    view.select_nodes([node_id(doc, "conv2d")])
    click(view, QPointF(-350, 600))  # empty canvas clears the selection
    assert view.selected_node_ids() == [] and spy[-1] == []


def test_select_and_center_on_node(view: GraphView, doc: Document) -> None:
    spy = []
    view.selection_changed.connect(spy.append)
    dense = node_id(doc, "dense")
    view.select_nodes([dense])
    assert spy == [[dense]]
    view.set_zoom(0.1)
    view.center_on_node(dense)
    centre = view.mapToScene(view.viewport().rect().center())
    assert (centre - QPointF(0, 360)).manhattanLength() < 5 and view.zoom() >= 0.8


# --- adding ----------------------------------------------------------------------------------------

def test_drop_from_palette_adds_at_the_drop_point(view: GraphView, doc: Document) -> None:
    steps = doc.undo_stack.count()
    drop_layer(view, b"Dropout", QPointF(300, 200))
    (new,) = view.selected_node_ids()
    assert doc.graph.node(new).class_name == "Dropout" and doc.undo_stack.count() == steps + 1
    x, y = doc.graph.node(new).position
    assert abs(x - 300) <= 1.5 and abs(y - 200) <= 1.5
    drop_layer(view, b"Lambda", QPointF(300, 400))  # not in the catalog: refused
    assert len(doc.graph) == 5


def test_add_at_center_does_not_stack_nodes(view: GraphView, doc: Document) -> None:
    first = view.add_at_center("Dense")
    second = view.add_at_center("Dense")
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(doc.graph.node(first).position[1] - centre.y()) < 1
    assert doc.graph.node(second).position[1] - doc.graph.node(first).position[1] >= HEIGHT / 2
    assert view.selected_node_ids() == [second]
    assert view.add_at_center("NoSuchLayer") == "" and "not a layer" in view.last_message


# --- locking and switching documents ----------------------------------------------------------------

def test_locked_document_refuses_gestures(qtbot, view: GraphView, doc: Document) -> None:
    extra = doc.add_node("Dense", (260, 360))
    doc.set_locked(True)
    before, steps = dumps(doc.project), doc.undo_stack.count()
    item = view.scene_node_item(node_id(doc, "dense"))
    assert not item.flags() & NodeItem.GraphicsItemFlag.ItemIsMovable
    drag(view, item.scenePos(), item.scenePos() + QPointF(80, 0))  # no move
    drag(view, view.scene_node_item(node_id(doc, "flatten")).output.scenePos(),
         view.scene_node_item(extra).inputs["input"].scenePos())  # no connect
    assert "locked" in view.last_message and not view.graph_scene().connecting
    view.select_nodes([extra])
    key(qtbot, view, Qt.Key.Key_Delete)
    key(qtbot, view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert view.add_at_center("Dense") == ""
    assert dumps(doc.project) == before and doc.undo_stack.count() == steps
    doc.set_locked(False)
    assert item.flags() & NodeItem.GraphicsItemFlag.ItemIsMovable


def test_set_document_rebuilds_the_scene(view: GraphView, doc: Document) -> None:
    other = Document()
    a = other.add_node("InputLayer", (0, 0), {"batch_shape": [None, 4]})
    b = other.add_node("Dense", (0, 120), {"units": 2})
    other.connect_nodes(a, b)
    other.revalidate()
    old_scene = view.graph_scene()
    view.select_nodes([node_id(doc, "dense")])
    spy = []
    view.selection_changed.connect(spy.append)
    view.set_document(other)
    assert view.graph_scene() is not old_scene and view.document is other
    assert set(view.graph_scene().nodes) == {a, b} and len(view.graph_scene().edges) == 1
    assert view.scene_node_item(b).shape_text == "(None, 2)"
    assert spy == [[]]
    doc.add_node("Dropout")  # the old document no longer reaches the view
    assert len(view.graph_scene().nodes) == 2
    assert len(doc.graph.node_added) == 0


def test_closing_the_view_unhooks_it_from_the_document(qtbot, doc: Document) -> None:
    widget = GraphView(doc)
    assert len(doc.graph.node_added) == 1
    widget.deleteLater()
    qtbot.waitUntil(lambda: len(doc.graph.node_added) == 0, timeout=2000)
    doc.add_node("Dropout")
    doc.revalidate()


# --- painting ------------------------------------------------------------------------------------

def _render(view: GraphView) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    view.render(painter)
    painter.end()
    return image


def test_paints_in_detail_and_zoomed_out_overview(qtbot, view: GraphView, doc: Document) -> None:
    """Every paint path runs (pytest-qt fails the test on an exception inside paint)."""
    doc.set_param(node_id(doc, "dense"), "units", 0)  # an error badge
    doc.revalidate()
    concat = doc.add_node("Concatenate", (260, 480))  # a wide port, labelled ports below
    attention = doc.add_node("MultiHeadAttention", (-260, 480), {"num_heads": 2, "key_dim": 4})
    doc.connect_nodes(node_id(doc, "flatten"), concat, "inputs")
    doc.connect_nodes(node_id(doc, "dense"), concat, "inputs")
    view.select_nodes([attention])
    scene = view.graph_scene()
    detail = _render(view)
    assert not scene.overview and detail.pixelColor(5, 5) == QColor(theme.BACKGROUND)
    view.set_zoom(0.1)
    assert scene.overview and not any(e.isVisible() for e in scene.edges.values())
    assert not scene._edge_layer.path().isEmpty()
    _render(view)
    extra = doc.add_node("Dropout", (0, 480))
    doc.connect_nodes(node_id(doc, "dense"), extra)  # the shared edge path follows, on the next turn
    qtbot.waitUntil(lambda: scene._edge_layer.path().elementCount() > 0 and len(scene.edges) == 6
                    and not scene._layer_timer.isActive())
    assert not scene.edges[doc.graph.in_edges(extra)[0]].isVisible()
    view.set_zoom(1.0)
    assert not scene.overview and all(e.isVisible() for e in scene.edges.values())
    assert scene._edge_layer.path().isEmpty() and not scene._edge_layer.isVisible()


def test_clicks_do_not_move_nodes_with_precise_positions(view: GraphView, doc: Document) -> None:
    """Positions from a file may have more decimals than a drag records: a click is no move."""
    dense = node_id(doc, "dense")
    doc.move_nodes({dense: (0.123456, 360.987654)})
    steps = doc.undo_stack.count()
    click(view, view.scene_node_item(dense).scenePos())
    assert doc.undo_stack.count() == steps and doc.graph.node(dense).position == (0.123456, 360.987654)


COPY_THEN_EXIT = r"""
from app.core.project import load_project
from app.gui.app import create_application
from app.gui.document import Document
from app.gui.editor.view import GraphView
app = create_application([])
view = GraphView(Document(load_project("models/mlp_tabular.json")))
view.select_nodes([n.id for n in view.document.graph.nodes()][:2])
view.copy_selection()
print("copied")
"""


def test_exiting_after_a_copy_does_not_crash() -> None:
    """PySide6 segfaults at interpreter exit while the clipboard owns our QMimeData."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", COPY_THEN_EXIT], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "copied" in done.stdout, (done.returncode, done.stderr[-2000:])
