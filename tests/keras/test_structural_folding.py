"""Networks whose layers carry only Keras' numbered names (InceptionV3's conv2d_12,
activation_7) fold by structure: the stretches between cut points of the graph become groups
named after their meaningful last layer (mixed0, block35), so the top level stays readable."""

from __future__ import annotations

import json

import keras
import pytest

from app.core.auto_blocks import MIN_GROUP, fold_by_structure
from app.core.blocks import FOLD_THRESHOLD, BlockTree, top_level, validate_blocks
from app.core.graph import Graph
from app.keras_bridge.importer import import_config


def test_the_stretch_between_two_cut_points_becomes_one_group() -> None:
    graph = Graph()
    x = graph.add_node("InputLayer", name="input_layer", config={"batch_shape": [None, 4]})
    trunk = graph.add_node("Dense", name="dense", config={"units": 4})
    left = graph.add_node("Dense", name="dense_1", config={"units": 4})
    right = graph.add_node("Dense", name="dense_2", config={"units": 4})
    join = graph.add_node("Add", name="join")
    head = graph.add_node("Dense", name="dense_3", config={"units": 2})
    for a, b in ((x, trunk), (trunk, left), (trunk, right), (join, head)):
        graph.connect(a.id, b.id)
    for branch in (left, right):
        graph.connect(branch.id, join.id, join.spec.ports[0].name)
    tree = BlockTree()
    (block,) = fold_by_structure(graph, tree, collapse=True)
    assert block.name == "join" and block.collapsed
    assert set(tree.nodes_in(block.id)) == {left.id, right.id, join.id}
    assert [item.id for item in top_level(graph, tree)] == [x.id, trunk.id, block.id, head.id]
    assert validate_blocks(graph, tree) == []


INCEPTIONS = {
    "InceptionV3": (keras.applications.InceptionV3, {"mixed0", "mixed5", "mixed8", "mixed10"}),
    "InceptionResNetV2": (keras.applications.InceptionResNetV2, {"mixed_5b", "block35", "mixed_6a", "block17",
                                                                 "mixed_7a", "block8"}),
}


@pytest.mark.parametrize("key", list(INCEPTIONS))
def test_inception_networks_open_folded_by_structure(key: str) -> None:
    build, expected = INCEPTIONS[key]
    model = build(weights=None, input_shape=(75, 75, 3))
    project, _notes = import_config(json.loads(model.to_json()))
    graph, tree = project.graph, project.blocks
    assert len(top_level(graph, tree)) <= FOLD_THRESHOLD < len(graph)
    assert validate_blocks(graph, tree) == []
    assert expected <= {b.name for b in tree.blocks()}
    for block in tree.blocks():  # no empty or single-layer groups, all closed at the top
        assert len(tree.nodes_in(block.id)) >= MIN_GROUP, block.name
        assert block.collapsed
    inside = {nid for block in tree.blocks() for nid in tree.nodes_in(block.id)}
    assert len(inside) > len(graph) * 0.8  # the branches, not only the concatenates, went in
