"""Importing real networks builds a readable hierarchy: name-prefix groups (ResNet's
conv2_block1, EfficientNet's block1a, MobileNetV2's block_3) and NASNet's trailing cell ids,
collapsed, so the top level has at most ~40 items; every group is named by what its layers share."""

from __future__ import annotations

import json

import keras
import pytest

from app.core.auto_blocks import _keras_named, cell_id, name_prefixes
from app.core.blocks import FOLD_THRESHOLD, top_level, validate_blocks
from app.core.graph import Graph
from app.keras_bridge.importer import import_config

APPLICATIONS = {
    "ResNet50": (keras.applications.ResNet50, (64, 64, 3), ["conv2", "conv2_block1", "conv5_block3"]),
    "EfficientNetB0": (keras.applications.EfficientNetB0, (64, 64, 3), ["block1a", "block6d", "block2a_se"]),
    "MobileNetV2": (keras.applications.MobileNetV2, (96, 96, 3), ["expanded_conv", "block_3", "block_16"]),
    "NASNetMobile": (keras.applications.NASNetMobile, (96, 96, 3), ["normal_0", "normal_11", "reduction_stem_1"]),
    "Xception": (keras.applications.Xception, (96, 96, 3), ["block1", "block14"]),
    "DenseNet121": (keras.applications.DenseNet121, (64, 64, 3), ["conv2_block1", "conv5"]),
    # ConvNeXt's stem and downsampling steps are Sequential sub-models: nested-model blocks
    "ConvNeXtTiny": (keras.applications.ConvNeXtTiny, (64, 64, 3), ["convnext_tiny_stage_2_block_8",
                                                                   "convnext_tiny_stem"]),
}


@pytest.mark.parametrize("key", list(APPLICATIONS))
def test_applications_open_folded_with_sensible_groups(key: str) -> None:
    build, shape, expected = APPLICATIONS[key]
    model = build(weights=None, input_shape=shape)
    project, _notes = import_config(json.loads(model.to_json()))
    graph, tree = project.graph, project.blocks
    items = top_level(graph, tree)
    assert len(items) <= FOLD_THRESHOLD < len(graph)
    assert validate_blocks(graph, tree) == []
    names = {b.name for b in tree.blocks()}
    assert set(expected) <= names
    assert not names & {"batch", "conv2d", "activation", "add"}  # Keras' numbering names no block
    for block in tree.blocks():
        assert block.collapsed
        if block.kind == "group":
            for nid in tree.nodes_in(block.id):
                assert _sensible(graph, nid, block.name), (block.name, graph.node(nid).name)


def _sensible(graph: Graph, nid: str, block: str) -> bool:
    """A layer belongs to a group named by its prefix, or by its trailing cell id (Keras-named
    layers such as activation_12 sit inside the cell they feed)."""
    name = graph.node(nid).name
    if _keras_named(graph, nid) or tuple(block.split("_")) in name_prefixes(name):
        return True
    cell = cell_id(block)
    return cell is not None and name.endswith(f"_{cell}")


def test_small_models_and_keras_numbering_are_not_grouped() -> None:
    x = keras.Input((4,), name="x")
    y = keras.layers.Dense(4, name="dense")(x)
    y = keras.layers.Dense(4, name="dense_1")(y)
    y = keras.layers.Dense(4, name="dense_2")(y)
    project, _ = import_config(json.loads(keras.Model(x, y).to_json()))
    assert len(project.blocks) == 0


def test_a_small_model_with_named_blocks_is_grouped_but_open() -> None:
    x = keras.Input((4,), name="x")
    y = x
    for part in ("a", "b", "c"):
        y = keras.layers.Dense(4, name=f"enc_{part}")(y)
    project, _ = import_config(json.loads(keras.Model(x, y).to_json()))
    (block,) = project.blocks.blocks()
    assert (block.name, block.collapsed, len(block.members)) == ("enc", False, 3)
