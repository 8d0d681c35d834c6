"""Run records: JSON-ready, NaN-free, and a fingerprint that follows the model, not its layout."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from app.core.graph import Graph
from app.core.run_history import append_run, graph_fingerprint, make_record


def small_graph() -> Graph:
    graph = Graph()
    a = graph.add_node("InputLayer", config={"batch_shape": [None, 4]})
    b = graph.add_node("Dense", config={"units": 3})
    graph.connect(a.id, b.id)
    return graph


def test_fingerprint_ignores_layout_but_not_parameters_or_wiring() -> None:
    graph = small_graph()
    before = graph_fingerprint(graph)
    assert len(before) == 12 and int(before, 16) >= 0
    dense = graph.node_by_name("dense")
    graph.move(dense.id, (500.0, 900.0))
    assert graph_fingerprint(graph) == before
    graph.set_param(dense.id, "units", 4)
    changed = graph_fingerprint(graph)
    assert changed != before
    graph.disconnect(graph.edges()[0])
    assert graph_fingerprint(graph) not in (before, changed)


def test_a_record_is_json_and_stores_nan_as_null() -> None:
    record = make_record(small_graph(), {"epochs": 2}, {"name": "iris"}, status="failed", reason="NaN",
                         history={"loss": [0.5, math.nan]}, test_metrics={"accuracy": math.inf},
                         epochs_run=2, seconds=1.234, started=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["history"]["loss"] == [0.5, None]
    assert record["test_metrics"] == {"accuracy": None}
    assert record["started"] == "2026-01-02T03:04:05+00:00" and record["seconds"] == 1.23
    assert record["dataset"] == {"name": "iris"} and record["status"] == "failed"


def test_the_history_keeps_the_newest_runs() -> None:
    runs: list[dict] = []
    for i in range(5):
        runs = append_run(runs, {"id": str(i)}, limit=3)
    assert [r["id"] for r in runs] == ["2", "3", "4"]
