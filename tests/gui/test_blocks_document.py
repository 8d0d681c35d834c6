"""Block edits in the document: each one undo step, signalled, saved; deleting layers prunes blocks."""

from __future__ import annotations

import pytest

from app.core.blocks import BlockError
from app.core.project import dumps, loads
from app.gui.document import Document


@pytest.fixture
def doc(qtbot) -> Document:
    document = Document()
    previous = document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 8]})
    for i, units in enumerate((6, 5, 4, 3)):
        node = document.add_node("Dense", (0, 120 * (i + 1)), {"units": units}, name=f"d{units}")
        document.connect_nodes(previous, node)
        previous = node
    return document


def ids(doc: Document, *names: str) -> list[str]:
    return [doc.graph.node_by_name(n).id for n in names]


def test_every_block_edit_is_one_undo_step_back_to_identical_files(doc: Document, qtbot) -> None:
    states = [dumps(doc.project)]
    with qtbot.waitSignal(doc.blocks_changed, timeout=1000):
        block = doc.group_nodes(ids(doc, "d6", "d5"), "encoder")
    states.append(dumps(doc.project))
    doc.rename_block(block, "enc")
    states.append(dumps(doc.project))
    doc.set_block_kind(block, "nested_model")
    states.append(dumps(doc.project))
    doc.set_collapsed(block, True)
    states.append(dumps(doc.project))
    doc.duplicate_block(block)
    states.append(dumps(doc.project))
    doc.ungroup(block)
    states.append(dumps(doc.project))
    assert len(set(states)) == len(states)
    for expected in reversed(states[:-1]):
        with qtbot.waitSignal(doc.blocks_changed, timeout=1000):
            doc.undo_stack.undo()
        assert dumps(doc.project) == expected
    for expected in states[1:]:
        doc.undo_stack.redo()
        assert dumps(doc.project) == expected
    assert loads(states[4]).blocks.block(block).collapsed is True


def test_deleting_members_prunes_the_block_and_undo_brings_it_back(doc: Document) -> None:
    block = doc.group_nodes(ids(doc, "d6", "d5"), "pair")
    doc.remove_nodes(ids(doc, "d6"))
    assert doc.blocks.block(block).members == ids(doc, "d5")
    doc.remove_nodes(ids(doc, "d5"))
    assert block not in doc.blocks
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert sorted(doc.blocks.block(block).members) == sorted(ids(doc, "d6", "d5"))


def test_refused_block_edit_changes_nothing(doc: Document) -> None:
    count = doc.undo_stack.count()
    with pytest.raises(BlockError):
        doc.group_nodes([], "nothing")
    assert doc.undo_stack.count() == count and len(doc.blocks) == 0


def test_block_library_from_the_document(doc: Document, tmp_path) -> None:
    block = doc.group_nodes(ids(doc, "d6", "d5"), "pair")
    path = doc.save_block_to_library(block, tmp_path)
    count = doc.undo_stack.count()
    new = doc.insert_library_block(path, (300.0, 0.0))
    assert doc.undo_stack.count() == count + 1
    assert len(doc.blocks.nodes_in(new)) == 2 and doc.blocks.block(new).name == "pair_1"
    doc.undo_stack.undo()
    assert new not in doc.blocks and len(doc.graph) == 5


def test_freezing_a_nested_model_freezes_its_layers_in_one_step(doc: Document) -> None:
    block = doc.group_nodes(ids(doc, "d6", "d5"), "base", kind="nested_model")
    trainable = doc.revalidate().trainable
    count = doc.undo_stack.count()
    doc.set_block_trainable(block, False)
    assert doc.undo_stack.count() == count + 1
    assert all(doc.graph.node(n).config["trainable"] is False for n in ids(doc, "d6", "d5"))
    assert doc.revalidate().trainable == trainable - (8 * 6 + 6) - (6 * 5 + 5)
    doc.undo_stack.undo()
    assert doc.blocks.block(block).trainable and doc.graph.node(ids(doc, "d6")[0]).config["trainable"] is True
