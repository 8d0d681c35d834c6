"""The document: every edit one undo step, undo/redo back to identical graphs, live analysis."""

from __future__ import annotations

import pytest

from app.core.graph import GraphError
from app.core.project import dumps
from app.gui.document import Document


@pytest.fixture
def doc(qtbot) -> Document:
    document = Document()
    i = document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 28, 28, 1]})
    d = document.add_node("Dense", (0, 120), {"units": 10})
    document.connect_nodes(i, d)
    return document


def test_edits_are_undoable_steps_back_to_identical_projects(doc: Document) -> None:
    states = [dumps(doc.project)]
    dense = doc.graph.node_by_name("dense").id
    doc.set_param(dense, "units", 5)
    states.append(dumps(doc.project))
    doc.apply_fix(doc.revalidate().problems[0].fix)
    states.append(dumps(doc.project))
    doc.rename(dense, "head")
    states.append(dumps(doc.project))
    for expected in reversed(states[:-1]):
        doc.undo_stack.undo()
        assert dumps(doc.project) == expected
    for expected in states[1:]:
        doc.undo_stack.redo()
        assert dumps(doc.project) == expected


def test_analysis_follows_edits_on_the_next_event_loop_turn(doc: Document, qtbot) -> None:
    dense = doc.graph.node_by_name("dense").id
    with qtbot.waitSignal(doc.analysis_changed, timeout=2000) as blocker:
        doc.set_param(dense, "units", 7)
    assert blocker.args[0].nodes[dense].output_shapes == [(None, 28, 28, 7)]


def test_refused_connection_changes_nothing(doc: Document) -> None:
    count = doc.undo_stack.count()
    dense = doc.graph.node_by_name("dense").id
    with pytest.raises(GraphError, match="itself"):
        doc.connect_nodes(dense, dense)
    assert doc.undo_stack.count() == count


def test_dirty_flag_and_lock(doc: Document, tmp_path, qtbot) -> None:
    assert doc.dirty
    doc.save(tmp_path / "m.json")
    assert not doc.dirty and "m.json" in doc.title()
    with qtbot.waitSignal(doc.dirty_changed):
        doc.add_node("Dropout", (0, 240))
    assert doc.title().startswith("m.json *")
    doc.set_locked(True)
    with pytest.raises(PermissionError):
        doc.add_node("Dense")
