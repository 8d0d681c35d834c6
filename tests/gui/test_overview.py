"""The overview (minimap): the visible rectangle follows the canvas, and dragging in it moves the canvas."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.core.project import Project
from app.gui.document import Document
from app.gui.editor.view import GraphView
from tests.benchmarks.graphs import efficientnet_b0_like
from tests.gui.window_helpers import open_view, shown_window


@pytest.fixture
def view(qtbot) -> GraphView:
    document = Document(Project(graph=efficientnet_b0_like()))
    document.auto_layout()
    widget = open_view(qtbot, document, zoom_one=True)  # zoom 1: the canvas shows a small part of the model
    widget.overview.show()
    qtbot.waitExposed(widget.overview)
    return widget


def centre(view: GraphView) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def test_the_overview_sits_in_the_corner_and_shows_the_visible_part(view: GraphView) -> None:
    overview = view.overview
    viewport = view.viewport().rect()
    assert overview.geometry().bottomRight().x() < viewport.right()
    assert overview.geometry().top() > viewport.height() / 2
    shown = overview.visible_rect()
    inner = overview.contentsRect()
    assert shown.width() < inner.width() / 2  # at zoom 1 only a small part of a 250-layer model shows
    assert overview.contentsRect().contains(shown.center().toPoint())
    before = shown.center()
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 400)
    assert overview.visible_rect().center().x() > before.x()


def test_clicking_and_dragging_in_the_overview_moves_the_canvas(qtbot, view: GraphView) -> None:
    overview = view.overview
    inner = overview.contentsRect()
    start = QPoint(inner.left() + inner.width() // 4, inner.center().y())
    end = QPoint(inner.left() + 3 * inner.width() // 4, inner.center().y() + 10)
    qtbot.mousePress(overview, Qt.MouseButton.LeftButton, pos=start)
    wanted = overview.to_scene(QPointF(start))
    assert abs(centre(view).x() - wanted.x()) < 2 and abs(centre(view).y() - wanted.y()) < 2
    qtbot.mouseMove(overview, end)
    qtbot.mouseRelease(overview, Qt.MouseButton.LeftButton, pos=end)
    wanted = overview.to_scene(QPointF(end))
    assert abs(centre(view).x() - wanted.x()) < 2 and abs(centre(view).y() - wanted.y()) < 2
    assert overview.visible_rect().center().x() > start.x() + inner.width() / 4


def test_scrolling_redraws_only_the_rectangle_and_edits_render_again(qtbot, view: GraphView) -> None:
    overview = view.overview
    renders = overview.renders
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 200)
    view.set_zoom(0.5)
    qtbot.wait(1)
    assert overview.renders == renders
    node = view.document.graph.nodes()[0]
    view.document.move_nodes({node.id: (node.position[0] - 3000, node.position[1])})
    qtbot.waitUntil(lambda: overview.renders > renders)


def test_the_overview_follows_a_new_document(qtbot, view: GraphView) -> None:
    overview = view.overview
    renders = overview.renders
    document = Document()
    document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 4]})
    view.set_document(document)
    assert overview.renders > renders
    assert overview._scene is view.graph_scene()


def test_view_overview_toggles_it_in_the_main_window(qtbot, tmp_path, monkeypatch) -> None:
    window = shown_window(qtbot, monkeypatch, tmp_path, Document(Project(graph=efficientnet_b0_like())),
                          answer_prompts=False)
    assert window.overview_action in window.view_menu.actions()
    assert not window.view.overview.isVisible()
    window.overview_action.trigger()
    assert window.view.overview.isVisible()
    window.overview_action.trigger()
    assert not window.view.overview.isVisible()
    window.close()
