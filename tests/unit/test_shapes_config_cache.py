"""Parameter checks are cached by the config's value: the cache must never hide or misplace a problem."""

from __future__ import annotations

from app.core.fixes import apply_fix
from app.core.shapes import analyze
from tests.unit.helpers import mlp


def test_same_bad_config_on_two_nodes_names_each_node() -> None:
    graph, (_i, h, o) = mlp(hidden=3, classes=3)
    graph.set_param(h.id, "activation", "sofmax")
    graph.set_param(o.id, "activation", "sofmax")  # now both configs are equal: one cache entry
    problems = [p for p in analyze(graph).problems if p.param == "activation"]
    assert sorted(p.node for p in problems) == sorted([h.id, o.id])
    assert {p.node_name for p in problems} == {h.name, o.name}
    assert all(p.message.startswith(f"{p.node_name}: ") for p in problems)


def test_config_changed_in_place_is_checked_again() -> None:
    graph, (_i, h, _o) = mlp()
    assert analyze(graph).valid
    h.config["units"] = 0  # behind the graph's back: no revision change
    problems = [p for p in analyze(graph).problems if p.param == "units"]
    assert len(problems) == 1 and "must be ≥ 1 (got 0)" in problems[0].message
    h.config["units"] = 8
    assert analyze(graph).valid


def test_cached_fixes_carry_their_node_and_apply() -> None:
    graph, (_i, h, o) = mlp()
    for node in (h, o):
        del node.config["use_bias"]
        graph.set_param(node.id, "unitz", 3)
    problems = [p for p in analyze(graph).problems if p.code == "invalid_param"]
    assert {(p.node, p.fix.action["op"]) for p in problems} == {
        (h.id, "remove_param"), (h.id, "set_param"), (o.id, "remove_param"), (o.id, "set_param")}
    for problem in problems:
        assert problem.fix.action["node"] == problem.node
        apply_fix(graph, problem.fix.action)
    assert analyze(graph).valid
    assert h.config["use_bias"] is True and "unitz" not in o.config
