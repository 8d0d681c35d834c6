"""Problems inside nested models (issue 16): what keeps a nested-model block from being built
is placed on a layer inside it (the Problems panel reveals that node, opening the collapsed
block) and its message names the block; a shape error on a layer inside a nested model says
which model it is in."""

from __future__ import annotations

import json

import pytest

from app.core.blocks import BlockTree, validate_blocks
from app.core.catalog import get_spec
from app.core.graph import Graph
from app.core.nested_plan import nested_model_problems
from app.core.project import Project, ProjectError, dumps, loads
from app.core.shapes import analyze


def _add(graph: Graph, class_name: str, name: str, **config: object) -> str:
    spec = get_spec(class_name)
    assert spec is not None
    return graph.add_node(class_name, name, {**spec.default_config(), **config}).id


def _chain() -> tuple[Graph, dict[str, str]]:
    """x -> a -> b -> c -> out (Dense layers)."""
    graph = Graph()
    ids = {"x": graph.add_node("InputLayer", "x", {"batch_shape": [None, 4], "dtype": "float32"}).id}
    for name in ("a", "b", "c", "out"):
        ids[name] = _add(graph, "Dense", name, units=3)
    for src, dst in (("x", "a"), ("a", "b"), ("b", "c"), ("c", "out")):
        graph.connect(ids[src], ids[dst], "input")
    return graph, ids


def test_a_nested_model_with_no_way_in_is_reported_on_its_first_layer() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["b"], ids["c"]], "body", kind="nested_model")
    graph.disconnect(graph.in_edges(ids["b"])[0])
    analysis = analyze(graph)
    problems = nested_model_problems(graph, tree, analysis.problems)
    block_problems = [p for p in problems if p.code == "nested_model"]
    assert [(p.node, p.node_name) for p in block_problems] == [(ids["b"], "b")]
    assert "nested model 'body' has no inputs" in block_problems[0].message
    assert block_problems[0].message.startswith("b: ")  # the panel's layer column shows 'b'
    assert block_problems[0].severity == "error"
    # the unconnected input of 'b' itself is reported on 'b' too, saying which model it is in
    (port,) = [p for p in problems if p.code != "nested_model" and p.node == ids["b"]]
    assert port.message.endswith("(inside nested model 'body')")


def test_a_shape_error_inside_a_nested_model_names_the_block() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["a"], ids["b"]], "encoder", kind="nested_model")
    graph.set_param(ids["b"], "units", -2)
    analysis = analyze(graph)
    before = [p for p in analysis.problems if p.node == ids["b"]]
    assert before, "units=-2 must be an error of 'b'"
    problems = nested_model_problems(graph, tree, analysis.problems)
    after = [p for p in problems if p.node == ids["b"]]
    assert [(p.code, p.node, p.param) for p in after] == [(p.code, p.node, p.param) for p in before]
    assert all(p.message == f"{q.message} (inside nested model 'encoder')" for p, q in zip(after, before,
                                                                                            strict=True))
    # layers outside nested models keep their messages
    assert [p for p in problems if p.node not in (ids["a"], ids["b"])] == [
        p for p in analysis.problems if p.node not in (ids["a"], ids["b"])]


def test_a_nested_model_in_two_parts_points_at_the_second_part() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["a"], ids["c"]], "split", kind="nested_model")
    (problem,) = nested_model_problems(graph, tree, analyze(graph).problems)
    assert (problem.code, problem.node, problem.node_name) == ("nested_model", ids["c"], "c")
    assert "nested model 'split' is not one connected region" in problem.message
    assert [p.node_id for p in validate_blocks(graph, tree)] == [ids["c"]]


def test_a_nested_model_holding_an_input_points_at_that_input() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["x"], ids["a"]], "front", kind="nested_model")
    (problem,) = nested_model_problems(graph, tree, analyze(graph).problems)
    assert (problem.node, problem.node_name) == (ids["x"], "x")
    assert "nested model 'front' holds an Input of the outer model" in problem.message


def test_a_nested_model_named_like_a_layer_points_at_its_first_layer() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["b"], ids["c"]], "out", kind="nested_model")
    (problem,) = nested_model_problems(graph, tree, analyze(graph).problems)
    assert (problem.node, problem.node_name) == (ids["b"], "b")
    assert "nested model 'out' has the name of a layer" in problem.message


def test_an_inner_nested_model_is_named_with_the_one_around_it() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    inner = tree.group([ids["b"]], "inner", kind="nested_model")
    tree.group([ids["a"], ids["b"], ids["c"]], "outer", kind="nested_model")
    assert tree.block(inner.id).parent is not None
    graph.set_param(ids["b"], "units", 0)
    problems = [p for p in nested_model_problems(graph, tree, analyze(graph).problems) if p.node == ids["b"]]
    assert problems and all(p.message.endswith("(inside nested model 'inner' of 'outer')") for p in problems)


def test_groups_and_sound_nested_models_add_nothing() -> None:
    graph, ids = _chain()
    tree = BlockTree()
    tree.group([ids["a"], ids["b"]], "fold")
    tree.group([ids["c"]], "tail", kind="nested_model")
    analysis = analyze(graph)
    assert analysis.valid
    assert nested_model_problems(graph, tree, analysis.problems) == analysis.problems == []


def test_a_project_file_with_malformed_nested_model_outputs_is_refused_where_it_is_wrong() -> None:
    graph, ids = _chain()
    project = Project(graph=graph, name="p")
    block = project.blocks.group([ids["b"], ids["c"]], "body", kind="nested_model")
    block.outputs = [(ids["c"], 0)]
    block.sequential = True
    again = loads(dumps(project)).blocks.block(block.id)
    assert (again.outputs, again.sequential) == ([(ids["c"], 0)], True)
    data = json.loads(dumps(project))
    data["blocks"][0]["outputs"] = [[ids["c"], "0"]]
    with pytest.raises(ProjectError, match=r"blocks\[0\]\.outputs"):
        loads(json.dumps(data))
