"""Which weights File › Export › Keras Model writes, and the sentence that says so.

Right after training, the weights the user has are the last run's: exporting a freshly
initialised copy instead (as it once did, without a word) loses the work. The run's model is
used when the graph still is the one that was trained (the run record's fingerprint, which
ignores layout); otherwise the export is untrained and the message says why.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.graph import Graph
from app.core.run_history import graph_fingerprint

UNTRAINED = "untrained (freshly initialised) weights"


@dataclass(frozen=True)
class ExportWeights:
    """The model to save (None: compile the graph afresh) and what the file holds, in words."""

    model: Any
    text: str
    changed_since_training: bool = False
    """A run's weights exist but no longer fit the model: worth a dialog, not just a status line."""


def weights_for_export(graph: Graph, runs: list[dict[str, Any]], trained: tuple[Any, str | None] | None,
                       name: str = "model") -> ExportWeights:
    """Decide what to export from the graph, the project's run records and the training panel's
    :meth:`~app.gui.training.panel.TrainingPanel.trained_model` (None when there is none)."""
    if trained is None:
        return ExportWeights(None, UNTRAINED)
    model, started = trained
    record = next((run for run in reversed(runs) if started is not None and run.get("started") == started), None)
    if record is not None:
        fits = record.get("fingerprint") == graph_fingerprint(graph)
    else:  # the run was deleted from the history: compare the architectures themselves
        fits = _same_architecture(model, graph, name)
    if not fits:
        return ExportWeights(None, f"{UNTRAINED}: the model changed since the last training run, so its "
                             "trained weights no longer fit (train again to export trained weights)", True)
    return ExportWeights(model, f"the trained weights of {_run_text(record)}")


def _run_text(record: dict[str, Any] | None) -> str:
    """'the run at 06:12 (5 epochs, test accuracy 0.981)' from a run record."""
    if record is None:
        return "the last training run"
    when = ""
    with contextlib.suppress(ValueError):
        when = f" at {datetime.fromisoformat(str(record.get('started'))).astimezone().strftime('%H:%M')}"
    epochs = int(record.get("epochs_run") or 0)
    details = [f"{epochs} epoch{'s' if epochs != 1 else ''}"]
    if record.get("status") == "stopped":
        details[0] = f"stopped after {details[0]}"
    metrics = record.get("test_metrics") or {}
    key = next((k for k in ("accuracy", "compile_metrics", "loss") if isinstance(metrics.get(k), (int, float))), None)
    if key is not None:
        value = float(metrics[key])
        shown = f"{value * 100:.1f} %" if key == "accuracy" and 0 <= value <= 1 else f"{value:.3g}"
        details.append(f"test {key} {shown}")
    return f"the run{when} ({', '.join(details)})"


def _same_architecture(model: Any, graph: Graph, name: str) -> bool:
    """Whether ``model`` is the graph as it is now (Keras configs compared; weights aside)."""
    from app.keras_bridge.compile import compile_graph

    try:
        fresh = compile_graph(graph, name)
    except Exception:  # an invalid graph cannot be the one that trained
        return False

    def text(m: Any) -> str:
        config = m.get_config()
        config.pop("name", None)
        return json.dumps(config, sort_keys=True, default=str)

    return text(model) == text(fresh)
