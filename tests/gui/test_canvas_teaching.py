"""Teaching on the canvas: the "?" on each node, F1, cost badges, step-through highlight, presenter mode.

Gestures are real mouse and key events on the view's viewport (helpers shared with
test_canvas.py), and what a node shows is read back from the item that draws it.
"""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QContextMenuEvent, QImage, QPainter, QPainterPath
from PySide6.QtWidgets import QApplication

from app.core.insight import format_bytes, format_flops, node_cost
from app.core.layout import ROW_GAP
from app.gui import theme
from app.gui.document import Document
from app.gui.editor import scene as scene_module
from app.gui.editor.node_item import BADGE_KINDS, HEIGHT, HELP_TOOLTIP, NodeItem, _fonts
from app.gui.editor.scene import DIMMED_OPACITY
from app.gui.editor.view import FIT_MAX_ZOOM, GraphView
from app.gui.gallery import examples_dir
from tests.gui.test_canvas import NONE, click, column_document, drag, key, mouse, node_id, shown_view


@pytest.fixture
def doc(qtbot) -> Document:
    """The canvas tests' column, rows as far apart as auto-layout puts them."""
    return column_document(110)


@pytest.fixture
def view(qtbot, doc: Document) -> GraphView:
    return shown_view(qtbot, doc)


def item(view: GraphView, doc: Document, name: str) -> NodeItem:
    found = view.scene_node_item(node_id(doc, name))
    assert found is not None
    return found


def render(view: GraphView) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    view.render(painter)
    painter.end()
    return image


# --- the "?" button and F1 -------------------------------------------------------------------

def test_help_button_click_asks_for_help_and_moves_nothing(qtbot, view: GraphView, doc: Document) -> None:
    conv = item(view, doc, "conv2d")
    button = conv.help
    assert button.toolTip() == HELP_TOOLTIP
    assert button.cursor().shape() == Qt.CursorShape.PointingHandCursor
    assert conv.card_rect().contains(button.pos())  # inside the card, top-right quarter
    assert button.pos().x() > 0 and button.pos().y() < 0
    positions = {n.id: n.position for n in doc.graph.nodes()}
    steps = doc.undo_stack.count()
    with qtbot.waitSignal(view.graph_scene().help_requested, timeout=1000) as blocker:
        click(view, button.scenePos())
    assert blocker.args == [conv.node_id]
    assert view.selected_node_ids() == [] and not view.graph_scene().connecting
    # Pressing the "?" and dragging away neither moves the node nor rubber-bands, and a
    # release off the button is no click.
    with qtbot.assertNotEmitted(view.graph_scene().help_requested):
        drag(view, button.scenePos(), button.scenePos() + QPointF(120, 60))
    assert {n.id: n.position for n in doc.graph.nodes()} == positions
    assert conv.pos() == QPointF(0, 110) and view.selected_node_ids() == []
    assert doc.undo_stack.count() == steps


def test_help_button_hover_and_works_while_locked(qtbot, view: GraphView, doc: Document) -> None:
    dense = item(view, doc, "dense")
    mouse(view, QEvent.Type.MouseMove, dense.help.scenePos(), button=NONE, buttons=NONE)
    assert dense.help.hovered
    mouse(view, QEvent.Type.MouseMove, QPointF(400, 600), button=NONE, buttons=NONE)
    assert not dense.help.hovered
    doc.set_locked(True)  # reading about a layer is not an edit
    with qtbot.waitSignal(view.graph_scene().help_requested, timeout=1000) as blocker:
        click(view, dense.help.scenePos())
    assert blocker.args == [dense.node_id]


def test_f1_explains_the_one_selected_node(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    flatten = node_id(doc, "flatten")
    view.select_nodes([flatten])
    with qtbot.waitSignal(scene.help_requested, timeout=1000) as blocker:
        key(qtbot, view, Qt.Key.Key_F1)
    assert blocker.args == [flatten]
    view.select_nodes([flatten, node_id(doc, "dense")])
    with qtbot.assertNotEmitted(scene.help_requested):
        key(qtbot, view, Qt.Key.Key_F1)
        view.select_nodes([])
        key(qtbot, view, Qt.Key.Key_F1)
    assert not view.explain_selection()


def test_node_context_menu_offers_explain(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    dense = item(view, doc, "dense")
    menu = view.node_menu(dense.node_id)
    assert [a.text() for a in menu.actions()] == ["Explain this layer"]
    menu.deleteLater()
    # A real right-click: the node gets selected, the menu pops up, its action is chosen.
    chosen = []

    def choose() -> None:
        popup = QApplication.activePopupWidget()
        if popup is None:
            QTimer.singleShot(10, choose)
            return
        chosen.append(popup.actions()[0].text())
        popup.actions()[0].trigger()
        popup.close()

    QTimer.singleShot(0, choose)
    local = view.mapFromScene(dense.scenePos())
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, view.viewport().mapToGlobal(local))
    with qtbot.waitSignal(scene.help_requested, timeout=2000) as blocker:
        QApplication.sendEvent(view.viewport(), event)
    assert blocker.args == [dense.node_id] and chosen == ["Explain this layer"]
    assert view.selected_node_ids() == [dense.node_id]


# --- cost badges ---------------------------------------------------------------------------------

def test_no_badges_by_default_and_no_costs_computed(monkeypatch, view: GraphView, doc: Document) -> None:
    calls = []
    real = scene_module.node_cost
    monkeypatch.setattr(scene_module, "node_cost", lambda *args: calls.append(args[1]) or real(*args))
    scene = view.graph_scene()
    assert scene.badges() == frozenset()
    doc.set_param(node_id(doc, "dense"), "units", 12)
    doc.revalidate()
    assert calls == []  # nothing is costed while no badge is shown
    conv = item(view, doc, "conv2d")
    assert conv.chips == () and conv.card_rect().height() == HEIGHT and "320 params" in conv._count_text
    scene.set_badges({"flops"})
    assert sorted(calls) == sorted(scene.nodes)  # each node once
    scene.set_badges({"flops", "memory"})
    assert len(calls) == len(scene.nodes)  # same analysis: cached
    doc.revalidate()
    assert len(calls) == 2 * len(scene.nodes)  # a new analysis: costed again
    with pytest.raises(ValueError, match="watts"):
        scene.set_badges({"watts"})


def test_badges_show_costs_and_follow_config_edits(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    conv = item(view, doc, "conv2d")
    conv_id = conv.node_id
    height = conv.card_rect().height()
    scene.set_badges(frozenset({"params", "flops", "memory"}))
    cost = node_cost(doc.graph, conv_id, doc.analysis)
    # 26 x 26 x 32 outputs, each 3 x 3 x 1 multiply-adds: 194,688 MACs = 389,376 FLOPs.
    assert cost.flops == 389_376
    assert conv.chip_texts == ["320 params", format_flops(cost.flops), format_bytes(cost.activation_bytes)]
    assert conv.chip_texts == ["320 params", "389.4 KFLOPs", "84.5 KB"]
    assert conv._count_text == ""  # the count is a chip now, not repeated
    # The card grew to fit the chips, and ports and edges stayed attached.
    assert conv.card_rect().height() > height
    assert conv.output.pos().y() == pytest.approx(conv.card_rect().bottom())
    for edge in conv.edges:
        port = edge.target.input_port(edge.edge.target_port)
        end = edge.path().pointAtPercent(1.0)
        assert abs(end.x() - port.scenePos().x()) < 0.5 and abs(end.y() - port.scenePos().y()) < 6
        start = edge.path().pointAtPercent(0.0)
        assert (start - edge.source.output.scenePos()).manhattanLength() < 0.5
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000):
        doc.set_param(conv_id, "filters", 8)
    cost = node_cost(doc.graph, conv_id, doc.analysis)
    assert conv.chip_texts[1] == format_flops(cost.flops) == "97.3 KFLOPs"
    assert conv.chip_texts[0] == "80 params"
    dense = item(view, doc, "dense")
    assert dense.chip_texts[1] == format_flops(node_cost(doc.graph, dense.node_id, doc.analysis).flops)
    scene.set_badges(set())
    assert conv.chips == () and conv.card_rect().height() == height and conv._count_text == "80 params"


def test_unknown_costs_say_so(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    scene.set_badges({"flops", "memory"})
    loose = doc.add_node("Dense", (300, 0), {"units": 3})  # no input: nothing is known
    assert view.scene_node_item(loose).chip_texts == ["? FLOPs", "? memory"]
    doc.revalidate()
    assert view.scene_node_item(loose).chip_texts == ["? FLOPs", "? memory"]
    doc.connect_nodes(node_id(doc, "dense"), loose)
    doc.revalidate()
    assert view.scene_node_item(loose).chip_texts == ["60 FLOPs", "12 B"]  # 10 x 3 multiply-adds; 3 floats


# --- step-through highlight ----------------------------------------------------------------------

def test_highlight_dims_the_rest_and_clears(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    conv = item(view, doc, "conv2d")
    others = [i for i in scene.nodes.values() if i is not conv]
    scene.set_highlight(conv.node_id)
    assert scene.highlighted() == conv.node_id and conv.highlighted
    assert conv.opacity() == 1.0 and all(i.opacity() == DIMMED_OPACITY for i in others)
    assert conv.zValue() > max(i.zValue() for i in others)
    for edge in scene.edges.values():  # edges into and out of it stay bright
        touching = conv.node_id in (edge.edge.source, edge.edge.target)
        assert edge.opacity() == (1.0 if touching else DIMMED_OPACITY)
    assert conv.boundingRect().contains(conv.card_rect().adjusted(-10, -10, 10, 10))  # room for the glow
    # The glow is drawn: left of the card, the canvas is tinted with the highlight colour.
    view.center_on_node(conv.node_id)
    image = render(view)
    left = view.mapFromScene(conv.scenePos() + QPointF(conv.card_rect().left() - 4, 0))
    glow, plain = image.pixelColor(left), QColor(theme.BACKGROUND)
    assert glow.blue() > glow.red() + 40 and glow != plain
    # A new node while highlighted is dimmed too; a gesture does not undo the dimming.
    extra = doc.add_node("Dropout", (260, 330))
    assert view.scene_node_item(extra).opacity() == DIMMED_OPACITY
    drag(view, item(view, doc, "flatten").output.scenePos(), QPointF(500, 600))
    assert all(i.opacity() == (1.0 if i is conv else DIMMED_OPACITY) for i in scene.nodes.values())
    scene.set_highlight(None)
    assert scene.highlighted() is None and not conv.highlighted
    assert all(i.opacity() == 1.0 for i in scene.nodes.values())
    assert all(e.opacity() == 1.0 for e in scene.edges.values())
    assert conv.zValue() == 0.0


def test_highlight_follows_the_graph(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    flatten = node_id(doc, "flatten")
    scene.set_highlight("no-such-node")
    assert scene.highlighted() is None
    view.select_nodes([flatten])
    scene.set_highlight(flatten)
    assert item(view, doc, "flatten").zValue() > 1.0  # above selected nodes too
    doc.remove_nodes([flatten])  # the highlighted node goes: nothing stays dimmed
    assert scene.highlighted() is None
    assert all(i.opacity() == 1.0 for i in scene.nodes.values())
    view.set_zoom(0.1)
    scene.set_highlight(node_id(doc, "dense"))
    render(view)  # the zoomed-out block of a highlighted node paints too
    assert scene._edge_layer.opacity() == DIMMED_OPACITY


def test_center_on_node_for_step_through(view: GraphView, doc: Document) -> None:
    dense = node_id(doc, "dense")
    view.set_zoom(0.05)
    view.center_on_node(dense)
    centre = view.mapToScene(view.viewport().rect().center())
    assert (centre - QPointF(0, 330)).manhattanLength() < 5 and view.zoom() >= 0.8


# --- presenter mode ------------------------------------------------------------------------------

def _geometry(view: GraphView) -> dict:
    scene = view.graph_scene()
    return {
        "cards": {k: i.card_rect() for k, i in scene.nodes.items()},
        "bounds": {k: i.boundingRect() for k, i in scene.nodes.items()},
        "ports": {(k, p.name): (p.pos(), p.boundingRect()) for k, i in scene.nodes.items() for p in i.ports()},
        "help": {k: i.help.pos() for k, i in scene.nodes.items()},
        "edges": {e: (i.path().pointAtPercent(0.0), i.path().pointAtPercent(1.0), i.boundingRect())
                  for e, i in scene.edges.items()},
        "tooltips": {k: i.toolTip() for k, i in scene.nodes.items()},
        "texts": {k: (i._name_text, i._title_text, i._count_text, i._shape_display) for k, i in scene.nodes.items()},
    }


def test_presenter_mode_enlarges_and_restores_exactly(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    conv = item(view, doc, "conv2d")
    before = _geometry(view)
    background = render(view).pixelColor(5, 5)
    assert background == QColor(theme.BACKGROUND) and not scene.presenter()
    with qtbot.waitSignal(scene.look_changed, timeout=1000):
        scene.set_presenter(True)
    assert scene.presenter() and conv.look is theme.PRESENTER
    assert _fonts(conv.look).name.pixelSize() >= 1.4 * _fonts(theme.NORMAL).name.pixelSize()
    assert conv.card_rect().height() > HEIGHT and conv.card_rect().width() > before["cards"][conv.node_id].width()
    port = conv.inputs["input"]
    assert port.boundingRect().width() >= 1.5 * before["ports"][(conv.node_id, "input")][1].width()  # easier to hit
    assert port.pos().y() == pytest.approx(conv.card_rect().top())
    edge = next(i for i in scene.edges.values() if i.target is conv)
    assert abs(edge.path().pointAtPercent(1.0).x() - port.scenePos().x()) < 0.5
    assert edge.look.edge_width > theme.NORMAL.edge_width
    assert _geometry(view)["tooltips"] == before["tooltips"]  # tooltips unchanged
    image = render(view)
    assert image.pixelColor(5, 5) == QColor("#FFFFFF")  # plain white, no grid
    assert all(image.pixelColor(x, 7) == QColor("#FFFFFF") for x in range(0, 200, 3))
    scene.set_presenter(False)
    assert not scene.presenter() and _geometry(view) == before
    assert render(view).pixelColor(5, 5) == background


def test_presenter_and_badges_survive_a_document_switch(view: GraphView) -> None:
    view.graph_scene().set_presenter(True)
    view.graph_scene().set_badges({"params"})
    other = Document()
    a = other.add_node("InputLayer", (0, 0), {"batch_shape": [None, 4]})
    b = other.add_node("Dense", (0, 110), {"units": 2})
    other.connect_nodes(a, b)
    other.revalidate()
    view.set_document(other)
    scene = view.graph_scene()
    assert scene.presenter() and scene.badges() == {"params"}
    assert view.scene_node_item(b).look is theme.PRESENTER
    assert view.scene_node_item(b).chip_texts == ["10 params"]
    assert render(view).pixelColor(5, 5) == QColor("#FFFFFF")


def test_presenter_ports_are_easier_to_hit(view: GraphView, doc: Document) -> None:
    """A drop 30 units above a port misses it normally and connects in presenter mode."""
    extra = doc.add_node("Dense", (260, 330), {"units": 3})
    source = item(view, doc, "flatten").output
    target = view.scene_node_item(extra).inputs["input"]
    miss = QPointF(0, -30)
    drag(view, source.scenePos(), target.scenePos() + miss)
    assert not any(e.target == extra for e in doc.graph.edges())
    view.graph_scene().set_presenter(True)
    drag(view, source.scenePos(), target.scenePos() + miss)
    assert any(e.target == extra for e in doc.graph.edges())


def test_no_visible_change_without_teaching_features(view: GraphView, doc: Document) -> None:
    """Default canvas: same card size, port places and edge ends as before this feature."""
    conv = item(view, doc, "conv2d")
    assert conv.card_rect().height() == HEIGHT == 72.0 and conv.card_rect().width() == 212.0
    assert conv.inputs["input"].pos() == QPointF(0, -36) and conv.output.pos() == QPointF(0, 36)
    assert conv.boundingRect() == conv.card_rect().adjusted(-6, -20, 12, 8)
    edge = next(i for i in view.graph_scene().edges.values() if i.target is conv)
    assert edge.path().pointAtPercent(1.0) == QPointF(0, 110 - 36 - 4)


# --- presenter mode on the examples: room for every edge, a readable scale, the user's view kept ---

EXAMPLES = sorted(examples_dir().glob("*.json"))


def presenter_view(qtbot, path, badges=(), size=(1360, 850)) -> GraphView:
    view = GraphView(Document.open(path))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view._fit_pending)
    scene = view.graph_scene()
    scene.set_presenter(True)
    scene.set_badges(badges)
    return view


def scene_cards(view: GraphView) -> dict[str, QRectF]:
    return {k: i.mapRectToScene(i.card_rect()) for k, i in view.graph_scene().nodes.items()}


def visible_length(path: QPainterPath, cards: list[QRectF], samples: int = 400) -> float:
    """How much of an edge's curve lies outside every card (what the eye can follow). A curve with
    hardly any room loops (its control points stay 40 units out), so callers check the drop too."""
    points = [path.pointAtPercent(i / samples) for i in range(samples + 1)]
    total = 0.0
    for a, b in itertools.pairwise(points):
        middle = (a + b) / 2
        if not any(card.contains(middle) for card in cards):
            total += math.hypot(b.x() - a.x(), b.y() - a.y())
    return total


def takes_lane(edge_item) -> bool:
    path = edge_item.path()
    return path.boundingRect().right() > max(path.pointAtPercent(0.0).x(), path.pointAtPercent(1.0).x()) + 100


def assert_edge_readable(edge_item, source_card, cards) -> None:
    """An edge shows more than 8 units outside the cards and runs down from its output port to the
    arrow tip, except where a deep network wraps: then it climbs to the next column's top."""
    path = edge_item.path()
    start, end = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
    length = visible_length(path, cards)
    assert length > 8, (edge_item.source.name, edge_item.target.name, length)
    if end.x() <= source_card.right():  # the same column
        assert end.y() - start.y() > 8, (edge_item.source.name, edge_item.target.name, end.y() - start.y())


def test_examples_are_laid_out_in_auto_layout_rows() -> None:
    """The examples are what the presenter checks below are about: rows ROW_GAP apart."""
    assert len(EXAMPLES) >= 12
    for path in EXAMPLES:
        ys = sorted({round(n.position[1], 1) for n in Document.open(path).graph.nodes()})
        assert min(b - a for a, b in itertools.pairwise(ys)) == ROW_GAP, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_presenter_with_every_badge_leaves_room_for_every_edge(qtbot, path) -> None:
    view = presenter_view(qtbot, path, BADGE_KINDS)
    scene = view.graph_scene()
    cards = scene_cards(view)
    items = scene.nodes
    assert all(i.look is theme.PRESENTER and len(i.chip_texts) == 3 for i in items.values())
    # Three chips do not fit beside the text: cards this tall would leave under 16 units between
    # rows 110 apart, so the rows are drawn further apart.
    assert max(r.height() for r in cards.values()) > ROW_GAP - 16
    assert scene.spread() > 1.0
    for (a, ra), (b, rb) in itertools.combinations(cards.items(), 2):
        assert not ra.intersects(rb), (items[a].name, items[b].name)
        if ra.left() < rb.right() and rb.left() < ra.right():  # one above the other: a gap for the edge
            gap = max(rb.top() - ra.bottom(), ra.top() - rb.bottom())
            assert gap >= 16, (items[a].name, items[b].name, gap)
    rects = list(cards.values())
    assert scene.edges
    for edge_item in scene.edges.values():
        assert_edge_readable(edge_item, cards[edge_item.source.node_id], rects)
    # The same edges as on the normal canvas take a lane beside the column (those skipping rows).
    lanes = {edge for edge, edge_item in scene.edges.items() if takes_lane(edge_item)}
    scene.set_presenter(False)
    assert lanes == {edge for edge, edge_item in scene.edges.items() if takes_lane(edge_item)}
    scene.set_presenter(True)
    # The spread is drawing only: the document keeps its positions, the scene maps them.
    for node in view.document.graph.nodes():
        pos = items[node.id].pos()
        assert (pos.x(), pos.y()) == pytest.approx((node.position[0], node.position[1] * scene.spread()))
        assert scene.to_document(pos) == pytest.approx(node.position)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_presenter_cards_fit_the_rows_with_one_badge_kind(qtbot, path) -> None:
    view = presenter_view(qtbot, path)
    scene = view.graph_scene()
    for badges in [(), *((kind,) for kind in BADGE_KINDS)]:
        scene.set_badges(badges)
        # Issue 12.7: a layer type is never cut; one too long to share its row with the count or a
        # chip even when drawn smaller ("GlobalAveragePooling2D" + FLOPs) gives them a row below.
        heights = [i.card_rect().height() for i in scene.nodes.values()
                   if all(r.top() < i._pill_rect.bottom() for r in [i._count_rect, *(r for _, r in i._chip_rects)])]
        assert max(heights) <= 86, (badges, max(heights))
        assert all(i._title_text == i.type_text for i in scene.nodes.values())
        assert all(len(i.chip_texts) == len(badges) for i in scene.nodes.values())
        assert scene.spread() == pytest.approx(1.1)  # the same small spread: the canvas does not jump
        by_id = scene_cards(view)
        cards = list(by_id.values())
        for ra, rb in itertools.combinations(cards, 2):
            assert not ra.intersects(rb)
        for edge_item in scene.edges.values():
            assert_edge_readable(edge_item, by_id[edge_item.source.node_id], cards)


def test_presenter_spread_keeps_gestures_in_document_positions(qtbot, view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    dense = item(view, doc, "dense")
    scene.set_presenter(True)
    scene.set_badges(BADGE_KINDS)
    spread = scene.spread()
    assert spread > 1.0 and dense.pos() == QPointF(0, 330 * spread)
    # Dragging a card moves the document by the distance in document units.
    start = dense.scenePos() + QPointF(-60, 0)
    drag(view, start, start + QPointF(100, 50 * spread))
    assert doc.graph.node(dense.node_id).position == pytest.approx((100, 380), abs=0.1)
    assert dense.pos().y() == pytest.approx(380 * spread)
    # A layer added in the middle of the view lands where it is drawn.
    view.centerOn(QPointF(400, 600))
    new = view.add_at_center("Dropout")
    assert new and view.scene_node_item(new).pos().y() == pytest.approx(doc.graph.node(new).position[1] * spread,
                                                                         abs=0.2)
    # Back to normal: everything is drawn at its document position again.
    scene.set_presenter(False)
    assert scene.spread() == 1.0
    for node in doc.graph.nodes():
        assert (view.scene_node_item(node.id).pos().x(), view.scene_node_item(node.id).pos().y()) == node.position
    for edge_item in scene.edges.values():
        assert (edge_item.path().pointAtPercent(0.0) - edge_item.source.output.scenePos()).manhattanLength() < 0.5


def test_view_state_round_trip(qtbot, view: GraphView) -> None:
    view.set_zoom(0.63)
    view.centerOn(QPointF(137, 251))
    state = view.view_state()
    transform = view.transform()
    scroll = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    centre = view.mapToScene(view.viewport().rect().center())
    view.graph_scene().set_presenter(True)
    view.present()
    view.set_zoom(2.0)
    view.centerOn(QPointF(-900, 1200))
    assert view.transform() != transform
    view.graph_scene().set_presenter(False)
    view.restore_view_state(state)
    assert view.transform() == transform and view.zoom() == pytest.approx(0.63)
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == scroll
    assert view.mapToScene(view.viewport().rect().center()) == centre
    # Another viewport size (docks shown again): the same scene point comes back to the middle.
    view.set_zoom(1.7)
    view.resize(700, 500)
    qtbot.waitUntil(lambda: view.viewport().width() < 800)
    view.restore_view_state(state)
    assert view.zoom() == pytest.approx(0.63)
    size = view.viewport().size()
    middle = view.viewportTransform().inverted()[0].map(QPointF(size.width() / 2, size.height() / 2))
    assert abs(middle.x() - state.center.x()) <= 1 / 0.63 and abs(middle.y() - state.center.y()) <= 1 / 0.63  # 1 px
    assert (state.center - QPointF(137, 251)).manhattanLength() < 2  # where centerOn put it


def test_present_keeps_lenet_readable_in_a_laptop_window(qtbot) -> None:
    view = presenter_view(qtbot, examples_dir() / "lenet_mnist.json", size=(1360, 850))
    scene, doc = view.graph_scene(), view.document
    view.fit_all()
    assert view.zoom() >= 1.0  # issue 12.7: F (fit) keeps the large type (it used to shrink below normal)
    view.set_zoom(0.3)
    assert view.zoom() == pytest.approx(1.0)  # and so does zooming out
    view.present()
    assert view.zoom() == pytest.approx(1.0)
    # No selection: the input node, centred across, near the top.
    digit = scene.nodes[node_id(doc, "digit")]
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    card = digit.mapRectToScene(digit.card_rect())
    assert shown.contains(card) and card.top() - shown.top() < 100
    assert abs(view.mapFromScene(digit.scenePos()).x() - view.viewport().width() / 2) <= 2
    # With a node to show (the selection or the step-through node), centred on it.
    f6 = node_id(doc, "f6")
    view.set_zoom(0.3)
    view.present(f6)
    assert view.zoom() == pytest.approx(1.0)
    assert (view.mapToScene(view.viewport().rect().center()) - scene.nodes[f6].scenePos()).manhattanLength() < 3
    # Step-through centring in presenter mode does not zoom out past 1:1 either.
    view.set_zoom(0.5)
    view.center_on_node(node_id(doc, "c3"))
    assert view.zoom() == pytest.approx(1.0)


def test_present_fits_a_small_model_without_shrinking_it(qtbot, view: GraphView, doc: Document) -> None:
    view.resize(1360, 850)
    qtbot.waitUntil(lambda: view.viewport().width() == 1360)
    view.graph_scene().set_presenter(True)
    view.set_zoom(0.2)
    view.present(node_id(doc, "dense"))
    assert 1.0 <= view.zoom() <= FIT_MAX_ZOOM
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(shown.contains(r) for r in scene_cards(view).values())
