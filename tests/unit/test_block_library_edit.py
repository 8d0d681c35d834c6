"""Removing and renaming saved blocks in the personal library: the name inside the file and
the file name follow, taken or bad names are refused with a message, and no crafted name
can make the library write or delete outside its folder."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from app.core.block_library import list_blocks, read_block, remove_block, rename_block, save_block
from app.core.blocks import BlockTree
from app.core.graph import Graph
from app.core.project import ProjectError
from tests.unit.helpers import chain


def library(folder: Path, *names: str) -> dict[str, Path]:
    """A library holding one two-layer block per name (a nested "inner" block in each)."""
    paths = {}
    for name in names:
        graph = Graph()
        nodes = chain(graph, ("InputLayer", {"batch_shape": [None, 8]}), ("Dense", {"units": 4}),
                      ("Dense", {"units": 3}))
        tree = BlockTree()
        block = tree.group([nodes[1].id, nodes[2].id], name)
        tree.group([nodes[2].id], "inner")
        paths[name] = save_block(graph, tree, block.id, folder)
    return paths


def listed(folder: Path) -> list[str]:
    return [entry.name for entry in list_blocks(folder)[0]]


def test_remove_deletes_the_blocks_file_only(tmp_path) -> None:
    paths = library(tmp_path, "res2", "encoder")
    assert remove_block(tmp_path, "res2") == paths["res2"].resolve()
    assert not paths["res2"].exists() and paths["encoder"].is_file()
    assert listed(tmp_path) == ["encoder"]


def test_an_unreadable_file_is_removed_by_its_file_name(tmp_path) -> None:
    library(tmp_path, "res2")
    broken = tmp_path / "broken.block.json"
    broken.write_text("{ not json", encoding="utf-8")
    remove_block(tmp_path, "broken.block.json")
    assert not broken.exists() and listed(tmp_path) == ["res2"]


def test_removing_a_missing_block_says_so(tmp_path) -> None:
    library(tmp_path, "res2")
    with pytest.raises(ProjectError, match="no block named 'nothing'"):
        remove_block(tmp_path, "nothing")


@pytest.mark.parametrize("name", ["../outside.block.json", "../outside", "sub/x.block.json", "..", ".",
                                  str(Path("/tmp") / "outside.block.json")])
def test_a_crafted_name_never_removes_outside_the_folder(tmp_path, name) -> None:
    folder = tmp_path / "blocks"
    library(folder, "res2")
    outside = tmp_path / "outside.block.json"
    outside.write_text("{}", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.block.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ProjectError):
        remove_block(folder, name)
    assert outside.is_file() and (folder / "sub" / "x.block.json").is_file()
    assert listed(folder) == ["res2"]


def test_a_link_leading_out_of_the_folder_is_refused(tmp_path) -> None:
    folder = tmp_path / "blocks"
    library(folder, "res2")
    outside = library(tmp_path / "elsewhere", "far")["far"]
    (folder / "far.block.json").symlink_to(outside)
    with pytest.raises(ProjectError, match="not a file of the block library"):
        remove_block(folder, "far")
    with pytest.raises(ProjectError, match="not a file of the block library"):
        rename_block(folder, "far", "near")
    assert outside.is_file() and read_block(outside).name == "far"


def test_rename_changes_the_name_inside_and_the_file_name(tmp_path) -> None:
    paths = library(tmp_path, "res2", "encoder")
    new = rename_block(tmp_path, "res2", "  residual two ")
    assert new == (tmp_path / "residual_two.block.json").resolve()
    assert not paths["res2"].exists()
    entry = read_block(new)
    assert entry.name == "residual two" and entry.top.name == "residual two"
    assert [c.name for c in entry.blocks.children(entry.top.id)] == ["inner"]  # the rest kept
    assert entry.layers == 2
    data = json.loads(new.read_text(encoding="utf-8"))
    assert data["name"] == "residual two"
    assert listed(tmp_path) == ["encoder", "residual two"]
    assert not [p for p in os.listdir(tmp_path) if "layerforge-tmp" in p]  # no temp file left


def test_a_rename_to_the_same_file_name_rewrites_in_place(tmp_path) -> None:
    paths = library(tmp_path, "res 2")
    new = rename_block(tmp_path, "res 2", "res_2")  # both names give res_2.block.json
    assert new == paths["res 2"].resolve() and listed(tmp_path) == ["res_2"]


@pytest.mark.parametrize(("new", "words"), [("", "needs a name"), ("   ", "needs a name"),
                                            ("a/b", "'/'"), ("tab\there", "control characters"),
                                            ("encoder", "already has a block named 'encoder'")])
def test_a_bad_or_taken_name_is_refused_and_nothing_changes(tmp_path, new, words) -> None:
    paths = library(tmp_path, "res2", "encoder")
    before = {name: path.read_bytes() for name, path in paths.items()}
    with pytest.raises(ProjectError, match=words):
        rename_block(tmp_path, "res2", new)
    assert {name: path.read_bytes() for name, path in paths.items()} == before


def test_a_name_whose_file_another_file_holds_is_refused(tmp_path) -> None:
    library(tmp_path, "res2")
    (tmp_path / "other.block.json").write_text("{ broken", encoding="utf-8")
    with pytest.raises(ProjectError, match="already holds another block"):
        rename_block(tmp_path, "res2", "other")
    assert listed(tmp_path) == ["res2"] and (tmp_path / "other.block.json").read_text() == "{ broken"


def test_a_crafted_new_name_stays_in_the_folder(tmp_path) -> None:
    folder = tmp_path / "blocks"
    library(folder, "res2")
    new = rename_block(folder, "res2", "..\\..\\evil")
    assert new.parent == folder.resolve() and read_block(new).name == "..\\..\\evil"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocks"]


def test_renaming_an_unreadable_file_says_why(tmp_path) -> None:
    (tmp_path / "broken.block.json").write_text("{", encoding="utf-8")
    with pytest.raises(ProjectError, match=re.escape("broken.block.json")):
        rename_block(tmp_path, "broken.block.json", "fixed")
    assert (tmp_path / "broken.block.json").is_file()


def test_a_file_name_picks_one_of_two_files_holding_the_same_name(tmp_path) -> None:
    paths = library(tmp_path, "res2", "encoder")
    copy = tmp_path / "res2_copy.block.json"
    copy.write_bytes(paths["res2"].read_bytes())  # copied by hand: the same block name inside
    remove_block(tmp_path, "res2_copy.block.json")
    assert not copy.exists() and paths["res2"].is_file()
    copy.write_bytes(paths["res2"].read_bytes())
    assert rename_block(tmp_path, "res2_copy.block.json", "res2 ") == copy.resolve()  # its own name: no change
    with pytest.raises(ProjectError, match="already has a block named 'encoder'"):
        rename_block(tmp_path, "res2_copy.block.json", "encoder")
    new = rename_block(tmp_path, "res2_copy.block.json", "res3")
    assert not copy.exists() and read_block(new).name == "res3" and read_block(paths["res2"]).name == "res2"
