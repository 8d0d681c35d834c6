"""A nested model Keras could not build shows in the Problems panel, placed on the layer inside
it where the trouble shows, and marks its collapsed card; a click on the problem opens the
block at that layer (issue 16, "shape errors inside a collapsed block mark the block and the
Problems panel opens it to the layer")."""

from __future__ import annotations

from app.core.project import Project
from app.gui.document import Document
from tests.gui.window_helpers import shown_window
from tests.unit.test_layout import residual_chain


def test_a_nested_model_with_no_way_in_is_a_problem_that_opens_the_block(qtbot, tmp_path, monkeypatch) -> None:
    graph, _triples = residual_chain(3)
    document = Document(Project(graph=graph))
    nodes = [n.id for n in graph.nodes()]
    inside = nodes[4:7]
    block_id = document.group_nodes(inside, "res2", kind="nested_model")
    document.set_collapsed(block_id, True)
    window = shown_window(qtbot, monkeypatch, tmp_path, document)
    qtbot.waitUntil(lambda: document.analysis is not None and document.analysis.valid)

    wired = document.undo_stack.index()
    # every way into the nested model cut: Keras could not call it as one model
    document.disconnect_edges([e for e in graph.edges() if e.target in inside and e.source not in inside])
    qtbot.waitUntil(lambda: any(p.code == "nested_model" for p in window.problems.problems))
    (found,) = [p for p in window.problems.problems if p.code == "nested_model"]
    assert found.node in inside and "res2" in found.message
    assert not document.analysis.valid  # training refuses it, as `layerforge check` does
    card = window.view.block_layer().cards[block_id]
    qtbot.waitUntil(lambda: card.problem_count > 0)

    window.problems.node_activated.emit(found.node)  # a click on the problem
    assert not document.blocks.block(block_id).collapsed
    assert window.view.selected_node_ids() == [found.node]

    document.undo_stack.setIndex(wired)  # undo: wired again, and the problem goes
    qtbot.waitUntil(lambda: not any(p.code == "nested_model" for p in window.problems.problems))
    window.close()
