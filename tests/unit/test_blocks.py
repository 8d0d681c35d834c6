"""Blocks beside the graph: grouping, nesting, ports, totals, validation, duplication, files."""

from __future__ import annotations

import json

import pytest

from app.core.auto_blocks import cell_id, fold_by_prefix, name_prefixes
from app.core.block_library import insert_block, list_blocks, read_block, save_block
from app.core.blocks import (
    BlockError,
    BlockTree,
    Item,
    block_ports,
    block_totals,
    duplicate_block,
    top_level,
    validate_blocks,
)
from app.core.graph import Graph
from app.core.insight import node_cost
from app.core.project import FORMAT_NAME, Project, ProjectError, dumps, loads
from app.core.shapes import analyze
from tests.unit.helpers import chain


def four_dense() -> tuple[Graph, list[str]]:
    graph = Graph()
    nodes = chain(graph, ("InputLayer", {"batch_shape": [None, 8]}), ("Dense", {"units": 4}),
                  ("Dense", {"units": 3}), ("Dense", {"units": 2}), ("Dense", {"units": 1}))
    return graph, [n.id for n in nodes]


def test_group_makes_one_top_level_item_and_paths_name_the_blocks() -> None:
    graph, (i, a, b, c, d) = four_dense()
    tree = BlockTree()
    outer = tree.group([a, b, c], "encoder")
    inner = tree.group([b, c], "core")
    assert inner.parent == outer.id
    assert [blk.name for blk in tree.block_path(c)] == ["encoder", "core"]
    assert tree.block_path(i) == []
    assert top_level(graph, tree) == [Item("node", i), Item("block", outer.id), Item("node", d)]
    assert top_level(graph, tree, outer.id) == [Item("node", a), Item("block", inner.id)]
    assert sorted(tree.nodes_in(outer.id)) == sorted([a, b, c])


def test_grouping_a_node_inside_a_block_with_an_outside_node_takes_the_whole_block() -> None:
    _graph, (_i, a, b, c, d) = four_dense()
    tree = BlockTree()
    inner = tree.group([b, c], "core")
    outer = tree.group([a, b, d], "outer")
    assert tree.block(inner.id).parent == outer.id
    assert sorted(tree.nodes_in(outer.id)) == sorted([a, b, c, d])


def test_ungroup_moves_members_and_children_up_one_level() -> None:
    _graph, (_i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    outer = tree.group([a, b, c], "outer")
    middle = tree.group([b, c], "middle")
    inner = tree.group([c], "inner")
    tree.ungroup(middle.id)
    assert tree.block(inner.id).parent == outer.id
    assert tree.block_of(b) == outer.id
    assert [blk.name for blk in tree.block_path(c)] == ["outer", "inner"]


def test_ports_are_the_edges_crossing_the_border_and_totals_add_up_the_layers() -> None:
    graph, (i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    block = tree.group([a, b], "enc")
    ports = block_ports(graph, tree, block.id)
    assert [(e.source, e.target) for e in ports.inputs] == [(i, a)]
    assert [(e.source, e.target) for e in ports.outputs] == [(b, c)]
    totals = block_totals(graph, tree, block.id, analyze(graph))
    assert totals.layers == 2
    assert totals.params == (8 * 4 + 4) + (4 * 3 + 3)
    assert totals.input_shapes == ((None, 8),) and totals.output_shapes == ((None, 3),)
    analysis = analyze(graph)
    assert totals.flops == sum(node_cost(graph, n, analysis).flops or 0 for n in (a, b)) == 88


def test_nested_model_must_be_one_connected_region_called_once() -> None:
    graph, (_i, a, _b, c, _d) = four_dense()
    tree = BlockTree()
    block = tree.group([a, c], "split", kind="nested_model")
    assert "not one connected region" in validate_blocks(graph, tree)[0].message
    tree.ungroup(block.id)
    # a -> b -> c with b outside: a region that leaves and comes back cannot be one Keras call
    graph2 = Graph()
    x, p, q, r = chain(graph2, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 4}),
                       ("Dense", {"units": 4}), ("Dense", {"units": 4}))
    add = graph2.add_node("Add")
    graph2.connect(p.id, add.id, "inputs")
    graph2.connect(r.id, add.id, "inputs")
    tree2 = BlockTree()
    tree2.group([p.id, add.id], "loop", kind="nested_model")
    assert "feeds back" in validate_blocks(graph2, tree2)[0].message
    tree3 = BlockTree()
    tree3.group([x.id, p.id], "with_input", kind="nested_model")
    assert "Input" in validate_blocks(graph2, tree3)[0].message


def test_nested_model_name_may_not_be_a_layer_name() -> None:
    graph, (_i, a, b, _c, _d) = four_dense()
    tree = BlockTree()
    tree.group([a, b], graph.node(a).name, kind="nested_model")
    assert "name of a layer" in validate_blocks(graph, tree)[0].message
    tree.rename(tree.blocks()[0].id, "encoder")
    assert validate_blocks(graph, tree) == []


def test_duplicate_copies_wiring_and_nesting_with_fresh_names() -> None:
    graph, (_i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    outer = tree.group([a, b, c], "res")
    tree.group([b, c], "inner")
    copy = duplicate_block(graph, tree, outer.id, offset=(100.0, 0.0))
    new_nodes = tree.nodes_in(copy.id)
    assert len(new_nodes) == 3 and not set(new_nodes) & {a, b, c}
    names = [n.name for n in graph.nodes()]
    assert len(names) == len(set(names))
    assert copy.name == "res_1"
    assert len(tree.children(copy.id)) == 1 and tree.children(copy.id)[0].name == "inner"
    inside = set(new_nodes)
    internal = [e for e in graph.edges() if e.source in inside and e.target in inside]
    assert len(internal) == 2
    assert graph.node(new_nodes[0]).position[0] == graph.node(a).position[0] + 100.0


def test_prune_drops_deleted_members_and_empty_blocks() -> None:
    graph, (_i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    outer = tree.group([a, b, c], "outer")
    inner = tree.group([b, c], "inner")
    graph.remove_node(b)
    graph.remove_node(c)
    assert tree.prune(graph)
    assert inner.id not in tree and outer.id in tree
    graph.remove_node(a)
    tree.prune(graph)
    assert len(tree) == 0


def test_refused_edits_say_why() -> None:
    tree = BlockTree()
    with pytest.raises(BlockError, match="select"):
        tree.group([], "empty")
    with pytest.raises(BlockError, match="kind"):
        tree.group(["n1"], "x", kind="folder")
    block = tree.group(["n1"], "x")
    with pytest.raises(BlockError, match="'/'"):
        tree.rename(block.id, "a/b")


# --- project files ---------------------------------------------------------------------------

def test_blocks_round_trip_through_the_project_file() -> None:
    graph, (_i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    outer = tree.group([a, b, c], "base", kind="nested_model")
    tree.set_trainable(outer.id, False)
    outer.training = False
    tree.group([b], "inner")
    tree.set_collapsed(outer.id, True)
    project = loads(dumps(Project(graph=graph, blocks=tree)))
    assert project.blocks.to_list() == tree.to_list()
    assert project.blocks.block(outer.id).trainable is False


def version_1(nodes: int = 2) -> dict:
    graph, ids = four_dense()
    return {"format": FORMAT_NAME, "version": 1, "graph": graph.to_dict()}


def test_version_1_files_open_with_no_blocks() -> None:
    project = loads(json.dumps(version_1()))
    assert len(project.blocks) == 0
    assert json.loads(dumps(project))["version"] == 2


@pytest.mark.parametrize(("blocks", "location", "words"), [
    ([{"id": "b1", "name": "x", "kind": "folder"}], "blocks[0].kind", "kind"),
    ([{"id": "b1", "name": "x", "kind": "group", "members": ["n99"]}], "blocks[0].members[0]", "not in the graph"),
    ([{"id": "b1", "name": "x", "kind": "group", "parent": "b7"}], "blocks[0].parent", "not listed before"),
    ([{"id": "b1", "name": "x", "kind": "group", "members": ["n2"]},
      {"id": "b2", "name": "y", "kind": "group", "members": ["n2"]}], "blocks[1].members[0]", "one block"),
    ([{"id": "b1", "name": "x", "kind": "group"}, {"id": "b1", "name": "y", "kind": "group"}], "blocks[1].id",
     "unique"),
    ([{"id": "b1", "name": "x", "kind": "group", "colour": "red"}], "blocks[0].colour", "unexpected key"),
    ([{"id": "b1", "name": "x", "kind": "group", "collapsed": "yes"}], "blocks[0].collapsed", "true or false"),
    ({"b1": {}}, "blocks", "a list of blocks"),
])
def test_bad_blocks_sections_name_the_key(blocks: object, location: str, words: str) -> None:
    data = version_1() | {"version": 2, "blocks": blocks}
    with pytest.raises(ProjectError) as err:
        loads(json.dumps(data), "model.json")
    assert err.value.location == location
    assert words in err.value.message


# --- the block library -----------------------------------------------------------------------

def test_library_saves_lists_and_inserts_with_fresh_names(tmp_path) -> None:
    graph, (_i, a, b, _c, _d) = four_dense()
    tree = BlockTree()
    block = tree.group([a, b], "residual")
    tree.group([b], "inner")
    path = save_block(graph, tree, block.id, tmp_path / "blocks")
    entries, problems = list_blocks(tmp_path / "blocks")
    assert problems == [] and [(e.name, e.kind, e.layers) for e in entries] == [("residual", "group", 2)]
    entry = read_block(path)
    before = len(graph)
    new = insert_block(graph, tree, entry, (500.0, 0.0))
    inside = tree.nodes_in(new.id)
    assert len(graph) == before + 2 and len(inside) == 2
    assert new.name == "residual_1" and [c.name for c in tree.children(new.id)] == ["inner"]
    names = [n.name for n in graph.nodes()]
    assert len(names) == len(set(names))
    assert sum(1 for e in graph.edges() if e.source in inside and e.target in inside) == 1


def test_library_reports_unreadable_files(tmp_path) -> None:
    (tmp_path / "broken.block.json").write_text("{", encoding="utf-8")
    entries, problems = list_blocks(tmp_path)
    assert entries == [] and "broken.block.json" in problems[0]


# --- folding by name -------------------------------------------------------------------------

def test_name_prefixes_skip_keras_numbering() -> None:
    assert name_prefixes("conv2_block1_1_conv") == [("conv2",), ("conv2", "block1"), ("conv2", "block1", "1")]
    assert name_prefixes("dense_3") == []
    assert name_prefixes("block1a_se_excite") == [("block1",), ("block1a",), ("block1a", "se")]
    assert cell_id("normal_left1_5") == "5" and cell_id("adjust_bn_stem_2") == "stem_2"
    assert cell_id("adjust_bn_stem_2", common={"reduce_4"}) == "2" and cell_id("conv") is None


def test_fold_by_prefix_nests_groups_and_collapses_large_graphs() -> None:
    graph = Graph()
    names = ["stem_conv", "stem_bn", "stem_relu"] + [f"conv{s}_block{b}_{part}" for s in (2, 3) for b in (1, 2)
                                                       for part in ("conv", "bn", "relu")] + ["dense", "dense_1"]
    chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), *[("Dense", {"units": 4})] * len(names))
    for node, name in zip(graph.nodes()[1:], names, strict=True):
        graph.rename(node.id, name)
    tree = BlockTree()
    made = fold_by_prefix(graph, tree)
    assert sorted(b.name for b in made) == ["conv2", "conv2_block1", "conv2_block2", "conv3", "conv3_block1",
                                             "conv3_block2", "stem"]
    assert [c.name for c in tree.children(tree.block_by_name("conv2").id)] == ["conv2_block1", "conv2_block2"]
    assert [i.kind for i in top_level(graph, tree)] == ["node", "block", "block", "block", "node", "node"]
    assert not any(b.collapsed for b in made)  # 18 layers: readable without folding
    folded = BlockTree()
    assert all(b.collapsed for b in fold_by_prefix(graph, folded, collapse=True))


def test_keras_named_layers_join_the_run_around_them_but_name_nothing() -> None:
    graph = Graph()
    layers = [("Dense", "stage1_a_conv"), ("Dense", "stage1_a_bn"), ("Dense", "stage1_a_relu"),
              ("Activation", "activation"), ("Dense", "stage1_b_conv"), ("Dense", "stage1_b_bn"),
              ("Dense", "stage1_b_relu"), ("BatchNormalization", "batch_normalization"),
              ("BatchNormalization", "batch_normalization_1"), ("BatchNormalization", "batch_normalization_2")]
    chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), *[(cls, {}) for cls, _name in layers])
    for node, (_cls, name) in zip(graph.nodes()[1:], layers, strict=True):
        graph.rename(node.id, name)
    tree = BlockTree()
    fold_by_prefix(graph, tree)
    assert sorted(b.name for b in tree.blocks()) == ["stage1", "stage1_a", "stage1_b"]
    stage = tree.block_by_name("stage1")
    assert [graph.node(n).name for n in stage.members] == ["activation"]
