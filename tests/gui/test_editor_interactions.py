"""The connect drag lives in editor/interactions.py: the scene routes port presses to it, items never import the scene.

Gestures are real mouse events through QTest on the view's viewport (press, moves, release), as a
hand makes them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.core.project import dumps
from app.gui.document import Document
from app.gui.editor.interactions import ConnectInteraction
from app.gui.editor.view import GraphView
from tests.gui.drag_helpers import node_id, qtest_drag, shown_view

EDITOR = Path(__file__).resolve().parents[2] / "app" / "gui" / "editor"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (top level, functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("item_module", ["node_item.py", "edge_item.py", "port_item.py"])
def test_items_do_not_import_the_scene(item_module: str) -> None:
    modules = imported_modules(EDITOR / item_module)
    assert not {m for m in modules if m.startswith(("app.gui.editor.scene", "app.gui.editor.interactions"))}


def test_the_reader_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from app.gui.editor.scene import GraphScene\n", encoding="utf-8")
    assert "app.gui.editor.scene" in imported_modules(sample)


# --- real drags ---------------------------------------------------------------------------------

def two_dense_document() -> Document:
    """input -> dense, and a free Dense beside them."""
    document = Document()
    first = document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 8]})
    dense = document.add_node("Dense", (0, 150), {"units": 4})
    document.add_node("Dense", (260, 300), {"units": 2})
    document.connect_nodes(first, dense)
    document.undo_stack.clear()
    document.revalidate()
    return document


@pytest.fixture
def doc(qtbot) -> Document:
    return two_dense_document()


@pytest.fixture
def view(qtbot, doc: Document) -> GraphView:
    return shown_view(qtbot, doc, (130, 150))


def test_dragging_an_output_port_onto_an_input_port_makes_an_edge(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    source = scene.nodes[node_id(doc, "dense")].output
    target = scene.nodes[node_id(doc, "dense_1")].inputs["input"]
    steps = doc.undo_stack.count()

    def while_dragging() -> None:
        assert scene.connecting and isinstance(scene._interaction, ConnectInteraction)
        assert scene.mouseGrabberItem() is None  # the scene runs the drag, no item grabbed the mouse
        assert target.state in ("valid", "hover-valid")

    qtest_drag(view, source.scenePos(), target.scenePos(), midway=while_dragging)
    edges = [(e.source, e.target, e.target_port) for e in doc.graph.edges()]
    assert (node_id(doc, "dense"), node_id(doc, "dense_1"), "input") in edges
    assert doc.undo_stack.count() == steps + 1 and not scene.connecting
    assert target.connected == 1 and target.state == "" and source.state == ""
    # The node under the port did not move: the press went to the drag, not to the node.
    assert doc.graph.node(node_id(doc, "dense")).position == (0, 150)


def test_a_drag_onto_an_incompatible_port_makes_no_edge(view: GraphView, doc: Document) -> None:
    scene = view.graph_scene()
    dense = scene.nodes[node_id(doc, "dense")]
    before, steps = dumps(doc.project), doc.undo_stack.count()
    qtest_drag(view, dense.output.scenePos(), dense.inputs["input"].scenePos())  # onto its own input
    assert dumps(doc.project) == before and doc.undo_stack.count() == steps
    assert "itself" in view.last_message
    # The InputLayer has no input port at all: a drop on it is refused with a reason too.
    other = scene.nodes[node_id(doc, "dense_1")]
    qtest_drag(view, other.output.scenePos(), scene.nodes[doc.graph.nodes()[0].id].scenePos())
    assert dumps(doc.project) == before and doc.undo_stack.count() == steps
    assert not scene.connecting and all(item.opacity() == 1.0 for item in scene.nodes.values())
    assert scene.items() and not any(item.zValue() == 100.0 for item in scene.items())  # the rubber line is gone
