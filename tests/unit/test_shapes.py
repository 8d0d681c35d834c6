"""Validation: every problem pinned to node and port, in words a student understands."""

from app.core.fixes import apply_fix
from app.core.graph import Graph
from app.core.shapes import ShapeAnalyzer, analyze
from tests.unit.helpers import chain, mlp


def codes(graph: Graph) -> list[str]:
    return [p.code for p in analyze(graph).problems]


def test_valid_mlp_shapes_and_counts() -> None:
    graph, (i, h, o) = mlp(features=4, hidden=8, classes=3)
    result = analyze(graph)
    assert result.valid and result.problems == []
    assert result.nodes[h.id].output_shapes == [(None, 8)]
    assert result.nodes[o.id].output_shapes == [(None, 3)]
    assert (result.nodes[h.id].params, result.nodes[o.id].params) == (4 * 8 + 8, 8 * 3 + 3)
    assert result.total_params == 67 and result.non_trainable == 0


def test_frozen_layer_counts_as_non_trainable() -> None:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "trainable", False)
    result = analyze(graph)
    assert (result.nodes[h.id].trainable, result.nodes[h.id].non_trainable) == (0, 40)


def test_empty_model() -> None:
    assert codes(Graph()) == ["empty"]


def test_cycle_is_reported_on_every_node_of_the_loop_with_a_fix() -> None:
    graph, (i, h, o) = mlp()
    graph.connect(o.id, h.id, check=False)
    problems = [p for p in analyze(graph).problems if p.code == "cycle"]
    assert {p.node for p in problems} == {h.id, o.id}
    assert "loop" in problems[0].message and problems[0].fix is not None
    apply_fix(graph, problems[0].fix.action)
    assert analyze(graph).valid


def test_missing_input_suggests_adding_one() -> None:
    graph = Graph()
    chain(graph, ("Dense", {"units": 4}), ("Dense", {"units": 2}))
    problems = analyze(graph).problems
    missing = next(p for p in problems if p.code == "missing_input")
    assert "no Input" in missing.message
    apply_fix(graph, missing.fix.action)
    assert "missing_input" not in codes(graph)


def test_unconnected_port_names_the_node_and_port() -> None:
    graph, (i, h, o) = mlp()
    lonely = graph.add_node("Dense", name="lonely")
    problem = next(p for p in analyze(graph).problems if p.code == "unconnected_port")
    assert (problem.node, problem.port) == (lonely.id, "input")
    assert "lonely" in problem.message and "not connected" in problem.message


def test_two_edges_into_one_port_suggest_a_merge_layer_and_a_fix() -> None:
    graph, (i, h, o) = mlp()
    graph.connect(i.id, o.id, check=False)
    problem = next(p for p in analyze(graph).problems if p.code == "multiple_edges")
    assert problem.port == "input" and "Add or Concatenate" in problem.message
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).valid


def test_no_output_and_unused_input() -> None:
    graph = Graph()
    graph.add_node("InputLayer")
    assert set(codes(graph)) == {"unused_input", "no_output"}


def test_duplicate_names_are_reported_once_per_extra_node_with_a_rename_fix() -> None:
    graph, (i, h, o) = mlp()
    graph.rename(o.id, h.name)
    problems = [p for p in analyze(graph).problems if p.code == "duplicate_name"]
    assert len(problems) == 1 and problems[0].node == o.id and problems[0].param == "name"
    apply_fix(graph, problems[0].fix.action)
    assert analyze(graph).valid


def test_invalid_param_value_is_pinned_to_the_parameter() -> None:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "units", 0)
    graph.set_param(o.id, "activation", "sofmax")
    problems = {p.param: p for p in analyze(graph).problems}
    assert "must be ≥ 1 (got 0)" in problems["units"].message
    assert "'activation' must be one of" in problems["activation"].message
    assert problems["units"].node == h.id


def test_unknown_parameter_and_unknown_layer() -> None:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "unitz", 3)
    weird = graph.add_node("Lambda")
    graph.connect(o.id, weird.id, check=False)
    found = {p.code: p for p in analyze(graph).problems}
    assert "no parameter 'unitz'" in found["invalid_param"].message
    assert "not a layer Layerforge supports" in found["unknown_layer"].message


def test_dense_after_image_warns_and_fix_inserts_flatten() -> None:
    graph = Graph()
    i, d = chain(graph, ("InputLayer", {"batch_shape": [None, 28, 28, 1]}), ("Dense", {"units": 10}))
    result = analyze(graph)
    (warning,) = result.problems
    assert warning.severity == "warning" and result.valid
    assert "Flatten or GlobalAveragePooling2D" in warning.message
    created = apply_fix(graph, warning.fix.action)
    assert graph.node(created[0]).class_name == "Flatten"
    after = analyze(graph)
    assert after.problems == [] and after.nodes[d.id].output_shapes == [(None, 10)]


def test_errors_upstream_block_downstream_without_cascading_messages() -> None:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "units", -3)
    result = analyze(graph)
    assert [p.node for p in result.problems] == [h.id]
    assert result.nodes[o.id].output_shapes is None and result.nodes[o.id].blocked


def test_incremental_revalidation_recomputes_only_what_changed() -> None:
    graph = Graph()
    nodes = chain(graph, ("InputLayer", {"batch_shape": [None, 8]}), *[("Dense", {"units": 8})] * 10)
    analyzer = ShapeAnalyzer()
    analyzer.analyze(graph)
    assert analyzer.recomputed == 11
    analyzer.analyze(graph)
    assert analyzer.recomputed == 0
    graph.set_param(nodes[-2].id, "activation", "relu")  # same output shape: downstream reused
    analyzer.analyze(graph)
    assert analyzer.recomputed == 1
    graph.set_param(nodes[5].id, "units", 4)  # shape changes: it and its consumer recompute
    result = analyzer.analyze(graph)
    assert analyzer.recomputed == 2
    assert result.nodes[nodes[6].id].params == 4 * 8 + 8


def test_problem_to_dict_has_the_cli_fields() -> None:
    graph, (i, h, o) = mlp()
    graph.set_param(h.id, "units", 0)
    data = analyze(graph).problems[0].to_dict()
    assert {"node", "port", "message", "fix"} <= data.keys() and data["node"] == h.name


def test_stacked_lstm_fix_sets_return_sequences_upstream() -> None:
    graph = Graph()
    i, a, b = chain(graph, ("InputLayer", {"batch_shape": [None, 10, 3]}), ("LSTM", {"units": 8}),
                    ("LSTM", {"units": 4}))
    problem = next(p for p in analyze(graph).problems if p.node == b.id)
    assert "timesteps" in problem.message
    assert problem.fix.action == {"op": "set_param", "node": a.id, "param": "return_sequences", "value": True}
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).nodes[b.id].output_shapes == [(None, 4)]


def test_lstm_after_bidirectional_fix_sets_return_sequences_inside_the_wrapper() -> None:
    from app.core.catalog.recurrent import layer_value

    graph = Graph()
    i, bi, b = chain(graph, ("InputLayer", {"batch_shape": [None, 10, 3]}),
                     ("Bidirectional", {"layer": layer_value("LSTM", {"units": 8})}), ("LSTM", {"units": 4}))
    graph.set_param(bi.id, "layer", layer_value("LSTM", graph.node(bi.id).config["layer"]["config"]))
    problem = next(p for p in analyze(graph).problems if p.node == b.id)
    apply_fix(graph, problem.fix.action)
    result = analyze(graph)
    assert result.nodes[bi.id].output_shapes == [(None, 10, 16)]
    assert result.nodes[b.id].output_shapes == [(None, 4)]


def test_lstm_on_flat_vector_suggests_reshape() -> None:
    graph = Graph()
    i, lstm = chain(graph, ("InputLayer", {"batch_shape": [None, 12]}), ("LSTM", {"units": 4}))
    problem = analyze(graph).problems[0]
    assert "Embedding" in problem.message and problem.port == "input"
    apply_fix(graph, problem.fix.action)
    assert analyze(graph).nodes[lstm.id].output_shapes == [(None, 4)]


def test_add_with_different_shapes_names_the_axis() -> None:
    graph = Graph()
    i = graph.add_node("InputLayer", config={"batch_shape": [None, 8]})
    a = graph.add_node("Dense", config={"units": 16})
    b = graph.add_node("Dense", config={"units": 32})
    add = graph.add_node("Add")
    for d in (a, b):
        graph.connect(i.id, d.id)
        graph.connect(d.id, add.id, "inputs")
    problem = next(p for p in analyze(graph).problems if p.node == add.id)
    assert "axis 1" in problem.message and "16" in problem.message and "32" in problem.message
    concat = graph.add_node("Concatenate", config={"axis": 1})
    graph.connect(a.id, concat.id, "inputs")
    graph.connect(b.id, concat.id, "inputs")
    assert analyze(graph).nodes[concat.id].output_shapes == [(None, 48)]
