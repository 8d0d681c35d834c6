"""An open block's frame follows its members when the layout wrapped them into several columns
(ResNet50's ``conv2`` ends one column and begins the next), and links to a collapsed block
start and end at the ports they belong to (an LSTM's "h" and "c" states)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtWidgets import QGraphicsItem

from app.core.project import Project
from app.gui.document import Document
from app.gui.editor.block_item import FRAME_LABEL, FRAME_PAD, BlockFrame, frame_regions
from app.gui.editor.view import GraphView
from app.keras_bridge.importer import import_config
from tests.gui.drag_helpers import qtest_drag
from tests.gui.window_helpers import open_view, residual_document


@pytest.fixture(scope="module")
def resnet_config() -> dict:
    import keras

    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3))
    data = json.loads(model.to_json())
    keras.backend.clear_session()
    return data


def show(qtbot, document: Document) -> GraphView:
    return open_view(qtbot, document, (1280, 800))


@pytest.fixture
def resnet(qtbot, resnet_config) -> tuple[GraphView, Document]:
    project, _notes = import_config(resnet_config)
    document = Document(project)
    return show(qtbot, document), document


def block_named(document: Document, name: str) -> str:
    block = document.blocks.block_by_name(name)
    assert block is not None, name
    return block.id


def drawn_centres(view: GraphView) -> dict[str, QPointF]:
    """Centre of every card on the canvas: unfolded layers and collapsed blocks."""
    layer = view.block_layer()
    centres = {node_id: item.mapRectToScene(item.card_rect()).center()
               for node_id, item in view.graph_scene().nodes.items() if node_id not in layer.hidden}
    centres.update({block_id: card.mapRectToScene(card.card_rect()).center() for block_id, card in layer.cards.items()})
    return centres


def assert_frame_follows_members(view: GraphView, block_id: str) -> BlockFrame:
    tree = view.document.blocks
    frame = view.block_layer().frames[block_id]
    members = {*tree.nodes_in(block_id), *tree.descendants(block_id)}
    centres = drawn_centres(view)
    assert members & set(centres)
    for key, centre in centres.items():
        name = view.document.graph.node(key).name if key in view.document.graph else tree.block(key).name
        assert frame.shape().contains(centre) == (key in members), (tree.block(block_id).name, name)
        assert frame.covers(centre) == (key in members)
    return frame


def test_a_wrapped_block_is_framed_column_by_column(resnet) -> None:
    view, document = resnet
    conv2 = block_named(document, "conv2")
    assert view.block_layer().open_block(conv2)
    frame = assert_frame_follows_members(view, conv2)
    assert len(frame.regions()) >= 2  # the layout wrapped conv2's blocks into two columns...
    others = [c for k, c in drawn_centres(view).items() if k not in document.blocks.descendants(conv2)]
    assert any(frame.frame_rect().contains(c) for c in others)  # ...so one rectangle would take in others
    # the label sits on a rectangle, with no card over it
    label = frame.label_rect()
    assert frame.covers(label.center()) and frame.label == "conv2 · Group"
    for centre in drawn_centres(view).values():
        assert not label.contains(centre)


def test_nested_open_blocks_each_follow_their_members(resnet) -> None:
    view, document = resnet
    inner = block_named(document, "conv3_block2")
    outer = block_named(document, "conv3")
    assert view.block_layer().open_block(inner)  # opens conv3 around it too
    assert not document.blocks.block(outer).collapsed
    outer_frame = assert_frame_follows_members(view, outer)
    inner_frame = assert_frame_follows_members(view, inner)
    assert inner_frame.zValue() > outer_frame.zValue()  # a click inside the inner frame is the inner block's
    assert outer_frame.zValue() < min(link.zValue() for link in view.block_layer().links)
    for region in inner_frame.regions():
        assert outer_frame.outline().contains(region.center())


def test_double_click_inside_the_outline_closes_and_outside_it_does_not(qtbot, resnet) -> None:
    view, document = resnet
    conv2 = block_named(document, "conv2")
    view.block_layer().open_block(conv2)
    frame = view.block_layer().frames[conv2]
    view.resetTransform()
    # a spot in the bounding rectangle but outside the outline (the gap between the columns)
    outside = None
    bounds = frame.frame_rect()
    for i in range(1, 40):
        for j in range(1, 40):
            point = QPointF(bounds.left() + bounds.width() * i / 40, bounds.top() + bounds.height() * j / 40)
            if not frame.covers(point) and not clickable(view, point):
                outside = point
                break
        if outside is not None:
            break
    assert outside is not None
    view.centerOn(outside)
    assert view.block_at(view.mapFromScene(outside)) is None  # no block menu there either
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(outside))
    QCoreApplication.processEvents()  # a close would be queued for the next turn of the event loop: let it run
    assert not document.blocks.block(conv2).collapsed
    # the padding beside a member card: inside the outline, on no card
    region = frame.regions()[0]
    spot = QPointF(region.left() + FRAME_PAD / 2, region.center().y())
    view.centerOn(spot)
    assert clickable(view, spot)[:1] == [frame]
    assert view.block_at(view.mapFromScene(spot)) is frame
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(spot))
    qtbot.waitUntil(lambda: document.blocks.block(conv2).collapsed)


def clickable(view: GraphView, point: QPointF) -> list[QGraphicsItem]:
    """The items under a scene point that take a left click, topmost first."""
    return [item for item in view.graph_scene().items(point)
            if item.acceptedMouseButtons() & Qt.MouseButton.LeftButton]


def card(x: float, y: float) -> QRectF:
    return QRectF(x - 106, y - 42, 212, 84)


def test_frame_regions_split_at_other_cards_and_join_side_by_side_branches() -> None:
    # one column: members in rows 0-1 and 4-5, another card in row 2 between them
    members = [card(0, 0), card(0, 110), card(0, 440), card(0, 550)]
    regions = frame_regions(members, [card(0, 220)])
    assert len(regions) == 2
    assert regions[0].top() == pytest.approx(-42 - FRAME_PAD - FRAME_LABEL)  # labelled, top first
    assert not any(r.contains(QPointF(0, 220)) for r in regions)
    assert all(any(r.contains(m) for r in regions) for m in members)
    # nothing in between: one rectangle
    assert len(frame_regions(members, [card(500, 220)])) == 1
    # two branches side by side, one column apart: one rectangle around both
    branches = [card(0, 0), card(230, 0), card(0, 110), card(230, 110)]
    assert len(frame_regions(branches, [card(0, 220), card(230, -110)])) == 1


def test_a_frame_gives_way_to_a_card_its_padding_would_reach() -> None:
    # an inner frame's rectangle is a member: padding it again would reach the card above
    inner = QRectF(-128, -108, 256, 214)
    above = card(0, -200)
    (region,) = frame_regions([inner], [above])
    assert not region.contains(above.center())
    assert region.contains(inner)


def test_the_label_goes_where_no_card_hides_it() -> None:
    # the block ends a column under another card, and begins the next one at the top
    regions = frame_regions([card(0, 550), card(320, 0)], [card(0, 440), card(320, 110)])
    assert regions[0].contains(card(320, 0))
    assert regions[0].top() == pytest.approx(-42 - FRAME_PAD - FRAME_LABEL)


# --- links at a collapsed block's ports ------------------------------------------------------------


def lstm_into_block() -> tuple[Document, dict[str, str]]:
    """sequence -> LSTM(return_state) whose h and c feed a block (Dense, Dense, Add), collapsed."""
    document = Document(Project())
    ids = {
        "seq": document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 5, 6]}, name="seq"),
        "encoder": document.add_node("LSTM", (0, 110), {"units": 8, "return_state": True}, name="encoder"),
        "dh": document.add_node("Dense", (-120, 220), {"units": 4}, name="dh"),
        "dc": document.add_node("Dense", (120, 220), {"units": 4}, name="dc"),
        "mix": document.add_node("Add", (0, 330), name="mix"),
    }
    document.connect_nodes(ids["seq"], ids["encoder"])
    document.connect_nodes(ids["encoder"], ids["dh"], source_port=1)
    document.connect_nodes(ids["encoder"], ids["dc"], source_port=2)
    document.connect_nodes(ids["dh"], ids["mix"], "inputs")
    document.connect_nodes(ids["dc"], ids["mix"], "inputs")
    return document, ids


def near(a: QPointF, b: QPointF) -> bool:
    return (a - b).manhattanLength() < 0.5


def test_links_from_state_ports_start_at_those_ports(qtbot) -> None:
    document, ids = lstm_into_block()
    block_id = document.group_nodes([ids["dh"], ids["dc"], ids["mix"]], "head")
    document.set_collapsed(block_id, True)
    view = show(qtbot, document)
    layer = view.block_layer()
    card_item = layer.cards[block_id]
    assert list(card_item.inputs) == [(ids["encoder"], 1), (ids["encoder"], 2)]
    encoder = view.scene_node_item(ids["encoder"])
    assert len(layer.links) == 2
    h_port, c_port = encoder.output_port(1).anchor(), encoder.output_port(2).anchor()
    assert not near(h_port, encoder.output.anchor())
    by_start = {("h" if near(link.start, h_port) else "c" if near(link.start, c_port) else "?"): link
                for link in layer.links}
    assert set(by_start) == {"h", "c"}
    assert near(by_start["h"].end, card_item.top_anchor((ids["encoder"], 1)))
    assert near(by_start["c"].end, card_item.top_anchor((ids["encoder"], 2)))
    assert by_start["h"].end.x() < by_start["c"].end.x()  # in the order of the card's shapes line
    # an edit of the graph's structure redraws the ports: without the "c" edge, one input is left
    (c_edge,) = [e for e in document.graph.edges() if e.source == ids["encoder"] and e.source_port == 2]
    document.disconnect_edges([c_edge])
    qtbot.waitUntil(lambda: len(layer.links) == 1)
    assert list(card_item.inputs) == [(ids["encoder"], 1)]
    assert near(layer.links[0].start, h_port) and near(layer.links[0].end, card_item.top_anchor())


def test_links_out_of_a_block_leave_from_the_tensor_they_carry(qtbot) -> None:
    document, ids = lstm_into_block()
    out = document.add_node("Dense", (-240, 220), {"units": 2}, name="from_output")
    document.connect_nodes(ids["encoder"], out, source_port=0)
    block_id = document.group_nodes([ids["seq"], ids["encoder"]], "encoder_block")
    document.set_collapsed(block_id, True)
    view = show(qtbot, document)
    layer = view.block_layer()
    card_item = layer.cards[block_id]
    tensors = [(ids["encoder"], port) for port in (0, 1, 2)]
    assert list(card_item.outputs) == tensors
    starts = [card_item.bottom_anchor(t) for t in tensors]
    assert starts[0].x() < starts[1].x() < starts[2].x()
    for target, tensor in ((out, tensors[0]), (ids["dh"], tensors[1]), (ids["dc"], tensors[2])):
        end = view.scene_node_item(target).input_port("input").anchor()
        (link,) = [link for link in layer.links if abs(link.end.x() - end.x()) < 0.5]
        assert near(link.start, card_item.bottom_anchor(tensor))


def test_a_rubber_band_started_inside_a_frame_still_selects(qtbot) -> None:
    """The frame's area takes double-clicks, not presses: a drag from an empty spot in it draws
    the rubber band as anywhere else on the canvas."""
    document, _triples = residual_document(3)
    graph = document.graph
    nodes = [n.id for n in graph.nodes()]
    block_id = document.group_nodes(nodes[1:4], "res1")
    view = open_view(qtbot, document, (1280, 800), zoom_one=True)
    frame = view.block_layer().frames[block_id]
    region = frame.regions()[0]
    start = QPointF(region.left() + FRAME_PAD / 2, region.bottom() - FRAME_PAD / 2)
    first = view.scene_node_item(nodes[1])
    end = first.mapRectToScene(first.card_rect()).center()
    view.centerOn((start + end) / 2)
    assert clickable(view, start)[:1] == [frame]
    before = {n.id: n.position for n in graph.nodes()}
    qtest_drag(view, start, end)
    assert set(view.selected_node_ids()) == set(nodes[1:4])  # the block's three layers...
    assert {n.id: n.position for n in graph.nodes()} == before  # ...and nothing moved
    assert not document.blocks.block(block_id).collapsed


def test_a_link_into_an_add_takes_its_own_place_along_the_port(qtbot) -> None:
    """The skip connection leaving a collapsed residual block meets the next Add where its slot
    is, beside the branch's edge, not on top of it in the port's middle."""
    document, triples = residual_document(3)
    graph = document.graph
    nodes = [n.id for n in graph.nodes()]
    block_id = document.group_nodes(nodes[4:7], "res2")  # dense, dense, add of block 2
    document.set_collapsed(block_id, True)
    view = show(qtbot, document)
    layer = view.block_layer()
    add = triples[2][2]
    port = view.scene_node_item(add).input_port("inputs")
    edges = graph.port_edges(add, "inputs")
    assert len(edges) == 2
    skip = next(i for i, e in enumerate(edges) if e.source == triples[1][2])
    branch = view.graph_scene().edges[edges[1 - skip]]
    (link,) = [link for link in layer.links if abs(link.end.y() - port.anchor().y()) < 10]
    assert abs(link.end.x() - port.anchor(skip, 2).x()) < 0.5
    assert abs(link.end.x() - branch.path().pointAtPercent(1).x()) > 10
