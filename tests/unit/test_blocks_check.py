"""``layerforge check`` lists the top-level hierarchy; ``--flat`` every layer; ``--json`` the blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.blocks import BlockTree
from app.core.nested_plan import nested_model_problems
from app.core.project import Project, save_project
from tests.unit.test_blocks import four_dense


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    graph, (_i, a, b, c, _d) = four_dense()
    tree = BlockTree()
    tree.group([a, b, c], "encoder", kind="nested_model")
    tree.group([b, c], "core")
    path = tmp_path / "m.json"
    save_project(Project(graph=graph, name="m", blocks=tree), path)
    return path


def test_check_prints_blocks_as_rows_and_flat_prints_every_layer(blocked: Path, capsys) -> None:
    assert main(["check", str(blocked)]) == 0
    out = capsys.readouterr().out
    assert "encoder (Nested model, 3 layers)" in out and "(None, 2)" in out
    assert "dense_1 (Dense)" not in out and "3 top-level items, 2 blocks" in out
    row = next(line for line in out.splitlines() if "dense_3 (Dense)" in line)
    assert row.rstrip(" │").endswith("encoder")  # read from the block, not from the layer inside it
    assert f"{8 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2:,}" in out  # the block's parameters
    assert main(["check", str(blocked), "--flat"]) == 0
    flat = capsys.readouterr().out
    assert "encoder (" not in flat and "dense_1 (Dense)" in flat


def test_check_json_includes_the_blocks_and_the_top_level(blocked: Path, capsys) -> None:
    assert main(["check", str(blocked), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in data["top_level"]] == ["input", "encoder", "dense_3"]
    encoder = next(b for b in data["blocks"] if b["name"] == "encoder")
    assert (encoder["kind"], encoder["layers"], encoder["output_shapes"]) == ("nested_model", 3, [[None, 2]])
    assert len(data["nodes"]) == 5 and data["block_problems"] == []


def test_a_nested_model_keras_cannot_build_fails_the_check(tmp_path: Path, capsys) -> None:
    graph, (_i, a, _b, c, _d) = four_dense()
    tree = BlockTree()
    tree.group([a, c], "split", kind="nested_model")
    path = tmp_path / "bad.json"
    save_project(Project(graph=graph, blocks=tree), path)
    # the layer the Problems panel opens the block at: the first layer of the second part
    (placed,) = nested_model_problems(graph, tree, [])
    assert placed.node == c
    layer = graph.node(c).name
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "not one connected region" in out and f"(layer '{layer}')" in out
    assert main(["check", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert [(p["block"], p["layer"]) for p in data["block_problems"]] == [("split", layer)]
