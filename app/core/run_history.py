"""Records of finished training runs, kept in the project so runs can be compared later.

A record is plain JSON: what was trained (graph fingerprint, settings, dataset), how it went
(status, reason, per-epoch history, test metrics) and when. The fingerprint ignores layout
and node ids, so moving nodes around does not make a run look like another model, while
any change to a layer, a parameter or a connection does.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.core.graph import Graph

MAX_RUNS = 50
"""Runs kept per project; the oldest go first (each run's history is small, but files stay readable)."""


def graph_fingerprint(graph: Graph) -> str:
    """12 hex digits that change with the model's structure and parameters, not its layout."""
    names = {node.id: node.name for node in graph.nodes()}
    layers = sorted((node.name, node.class_name, json.dumps(node.config, sort_keys=True, default=str))
                    for node in graph.nodes())
    edges = sorted((names[e.source], e.source_port, names[e.target], e.target_port, e.slot) for e in graph.edges())
    outputs = [names[n.id] for n in graph.output_nodes()]
    text = json.dumps({"layers": layers, "edges": edges, "outputs": outputs}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _finite(values: Sequence[float]) -> list[float | None]:
    """JSON has no NaN: a diverged epoch is stored as null."""
    return [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]


def make_record(graph: Graph, settings: Mapping[str, Any], dataset: Mapping[str, Any] | None, *,
                status: str, reason: str, history: Mapping[str, Sequence[float]],
                test_metrics: Mapping[str, float], epochs_run: int, seconds: float,
                started: datetime | None = None,
                tensorboard_log: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """One run as a JSON-ready dict (the project's ``runs`` list holds these).

    ``tensorboard_log`` is the folder the run's TensorBoard logs went to, noted so a run in the
    history can be found again in TensorBoard (``tensorboard --logdir`` its parent).
    """
    when = (started or datetime.now(UTC)).astimezone(UTC)
    record: dict[str, Any] = {
        "id": uuid.uuid4().hex[:8],
        "started": when.isoformat(timespec="seconds"),
        "seconds": round(float(seconds), 2),
        "status": status,
        "reason": reason,
        "settings": copy.deepcopy(dict(settings)),
        "dataset": copy.deepcopy(dict(dataset)) if dataset is not None else None,
        "fingerprint": graph_fingerprint(graph),
        "history": {key: _finite(values) for key, values in history.items()},
        "test_metrics": {key: value for key, value in zip(
            test_metrics, _finite(list(test_metrics.values())), strict=True)},
        "epochs_run": int(epochs_run),
    }
    if tensorboard_log is not None:
        record["tensorboard_log"] = os.fspath(tensorboard_log)
    return record


def append_run(runs: list[dict[str, Any]], record: dict[str, Any], limit: int = MAX_RUNS) -> list[dict[str, Any]]:
    """``runs`` plus ``record``, trimmed to the newest ``limit`` (a new list; the input is untouched)."""
    return [*runs, record][-limit:]


__all__ = ["MAX_RUNS", "append_run", "graph_fingerprint", "make_record"]
