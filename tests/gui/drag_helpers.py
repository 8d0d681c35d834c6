"""Real mouse gestures on the canvas for GUI tests: a view shown at zoom 1 and QTest drags through
its viewport (press, moves, release), as a hand makes them, so the scene's own event routing runs;
and a palette drag's drop, as the events it delivers."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.gui.document import Document
from app.gui.editor.view import GraphView
from tests.gui.window_helpers import open_view

LEFT = Qt.MouseButton.LeftButton


def node_id(doc: Document, name: str) -> str:
    """The id of the node called ``name`` (fails the test, naming it, when there is none)."""
    found = doc.graph.node_by_name(name)
    assert found is not None, name
    return found.id


def shown_view(qtbot: Any, doc: Document, centre: tuple[float, float]) -> GraphView:
    """A 900x700 view of ``doc`` on screen at zoom 1, centred on the scene point ``centre``
    (after its first show has fitted the model in view, which would move it otherwise)."""
    widget = open_view(qtbot, doc, (900, 700), zoom_one=True)
    widget.centerOn(*centre)
    return widget


def qtest_drag(view: GraphView, start: QPointF, end: QPointF, steps: int = 8,
               midway: Callable[[], None] | None = None) -> None:
    """A left-button drag from ``start`` to ``end`` (scene points) in ``steps`` moves; ``midway``
    runs halfway, while the button is still down."""
    viewport = view.viewport()
    a, b = view.mapFromScene(start), view.mapFromScene(end)
    QTest.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, a + (b - a) * (i / steps))
        if midway is not None and i == steps // 2:
            midway()
    QTest.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, b)


def drop_mime(view: GraphView, mime: QMimeData, scene_pos: QPointF) -> None:
    """What a drag from the palette delivers to the viewport at ``scene_pos``: enter, move, drop
    (a copy, left button), sent as events so the view's own drop handling runs."""
    local = QPointF(view.mapFromScene(scene_pos))
    args = (Qt.DropAction.CopyAction, mime, LEFT, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():  # PySide6 binds only the deprecated QPoint constructors
        warnings.simplefilter("ignore", DeprecationWarning)
        enter, move = QDragEnterEvent(local.toPoint(), *args), QDragMoveEvent(local.toPoint(), *args)
    QApplication.sendEvent(view.viewport(), enter)
    QApplication.sendEvent(view.viewport(), move)
    QApplication.sendEvent(view.viewport(), QDropEvent(local, *args))
