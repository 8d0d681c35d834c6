"""Real training runs: LeNet learns MNIST, and twenty runs in a row keep memory bounded."""

from __future__ import annotations

import gc
import resource
from pathlib import Path

import pytest

from app.core.project import Project, load_project
from app.keras_bridge.training import TrainingSession

MODELS = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.slow


def test_lenet_reaches_95_percent_on_mnist_5k_within_10_epochs() -> None:
    project = load_project(MODELS / "lenet_mnist.json")
    assert project.dataset == {"name": "mnist_5k"} and project.training["epochs"] <= 10
    result = TrainingSession(project).run()
    assert result.status == "finished", result.reason
    assert result.test_metrics["accuracy"] > 0.95, result.test_metrics
    assert result.epochs_run <= 10


def _rss_mib() -> float:
    """Resident memory now (Linux /proc), falling back to the peak where /proc is missing."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_twenty_runs_in_a_row_keep_memory_bounded() -> None:
    template = load_project(MODELS / "mlp_tabular.json")
    template.training.update({"epochs": 2})
    readings = []
    for _ in range(20):
        project = Project(graph=template.graph.copy(), name=template.name, training=dict(template.training),
                          dataset=dict(template.dataset))
        result = TrainingSession(project).run()
        assert result.ok, result.reason
        del result
        gc.collect()
        readings.append(_rss_mib())
    growth = readings[-1] - readings[1]  # the first run pays for TensorFlow's one-off set-up
    assert growth < 150, f"memory grew {growth:.0f} MiB over 19 runs: {[round(r) for r in readings]}"
