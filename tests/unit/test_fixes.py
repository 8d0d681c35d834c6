"""Fix actions are data; apply_fix carries them out through the graph API."""

import pytest

from app.core.fixes import FixError, apply_fix
from app.core.graph import Graph
from app.core.shapes import analyze
from tests.unit.helpers import chain, mlp


def test_insert_before_rewires_through_the_new_node() -> None:
    graph = Graph()
    i, d = chain(graph, ("InputLayer", {"batch_shape": [None, 4, 4, 2]}), ("Dense", {"units": 3}))
    (new_id,) = apply_fix(graph, {"op": "insert_before", "node": d.id, "port": "input", "class_name": "Flatten"})
    assert [(e.source, e.target) for e in graph.edges()] == sorted([(i.id, new_id), (new_id, d.id)])
    assert analyze(graph).nodes[d.id].output_shapes == [(None, 3)]


def test_set_remove_param_and_rename() -> None:
    graph, (i, h, o) = mlp()
    apply_fix(graph, {"op": "set_param", "node": h.id, "param": "units", "value": 5})
    apply_fix(graph, {"op": "remove_param", "node": h.id, "param": "use_bias"})
    apply_fix(graph, {"op": "rename", "node": h.id, "name": "hidden"})
    node = graph.node(h.id)
    assert node.config["units"] == 5 and "use_bias" not in node.config and node.name == "hidden"


def test_stale_or_unknown_fixes_raise_fix_error() -> None:
    graph, _ = mlp()
    with pytest.raises(FixError, match="unknown fix operation"):
        apply_fix(graph, {"op": "format_disk"})
    with pytest.raises(FixError, match="cannot apply"):
        apply_fix(graph, {"op": "set_param", "node": "gone", "param": "units", "value": 1})
