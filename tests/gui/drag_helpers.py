"""Real mouse gestures on the canvas for GUI tests: a view shown at zoom 1 and QTest drags through
its viewport (press, moves, release), as a hand makes them, so the scene's own event routing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from app.gui.document import Document
from app.gui.editor.view import GraphView

LEFT = Qt.MouseButton.LeftButton


def node_id(doc: Document, name: str) -> str:
    """The id of the node called ``name`` (fails the test, naming it, when there is none)."""
    found = doc.graph.node_by_name(name)
    assert found is not None, name
    return found.id


def shown_view(qtbot: Any, doc: Document, centre: tuple[float, float]) -> GraphView:
    """A 900x700 view of ``doc`` on screen at zoom 1, centred on the scene point ``centre``
    (after its first show has fitted the model in view, which would move it otherwise)."""
    widget = GraphView(doc)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: not widget._fit_pending)
    widget.resetTransform()
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
