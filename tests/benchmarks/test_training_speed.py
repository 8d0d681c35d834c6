"""Issue #5 figures for the training engine, in one run:

* throughput of :class:`TrainingSession` against a plain ``model.fit`` on the same model,
  data and settings (goal: at least 0.95x). Both train LeNet on MNIST 5k for 2 epochs
  with no validation; both times are the wall time of the ``fit`` call, so the engine's
  data loading and compilation, which a plain ``fit`` never does, are not counted.
* resident memory after 20 consecutive runs against after the first, and its growth per run
  after the first five (issue 11: under 1 MiB).
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.core.project import Project, load_project
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.training import TrainingSession
from tests.slow.test_training_quality import _rss_mib

MODELS = Path(__file__).resolve().parents[2] / "models"
ROUNDS = 3
SETTINGS = {"epochs": 2, "batch_size": 64, "validation_split": 0.0, "test_split": 0.0, "shuffle": True}


def _lenet() -> Project:
    project = load_project(MODELS / "lenet_mnist.json")
    project.training.update(SETTINGS)
    return project


def _engine_fit_seconds() -> float:
    result = TrainingSession(_lenet()).run()
    assert result.status == "finished", result.reason
    return result.fit_seconds


def _plain_fit_seconds() -> float:
    """What a Keras user would write: the same model, data and settings, ``verbose=0``."""
    from app.data import load_dataset, prepare, split_dataset

    project = _lenet()
    dataset = load_dataset(project.dataset)
    splits = split_dataset(dataset, 0.0, 0.0, 0)
    prepared = prepare(dataset, splits, project.graph, project.training, project.dataset)
    (x,), (y,) = (list(part.values()) for part in prepared.train)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = compile_graph(project.graph, project.name)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=2, shuffle=True, verbose=0)
    return time.perf_counter() - start


def test_engine_throughput_against_plain_fit(benchmark: pytest.FixtureRequest) -> None:
    _plain_fit_seconds()  # warm up TensorFlow and the dataset cache once, for both
    plain, engine = [], []
    for _ in range(ROUNDS):  # interleaved, so background load hits both alike
        plain.append(_plain_fit_seconds())
        engine.append(_engine_fit_seconds())
    benchmark.pedantic(_engine_fit_seconds, rounds=1, iterations=1)
    ratio = min(plain) / min(engine)
    benchmark.extra_info.update({"plain_fit_s": round(min(plain), 3), "engine_fit_s": round(min(engine), 3),
                                 "throughput_vs_plain": round(ratio, 3)})
    print(f"\nplain fit {min(plain):.2f} s, engine {min(engine):.2f} s: engine throughput {ratio:.3f}x plain")
    assert ratio >= 0.95


def test_memory_after_twenty_runs(benchmark: pytest.FixtureRequest) -> None:
    template = load_project(MODELS / "mlp_tabular.json")
    template.training.update({"epochs": 2})
    readings: list[float] = []

    def one_run() -> None:
        project = Project(graph=template.graph.copy(), name=template.name, training=dict(template.training),
                          dataset=dict(template.dataset))
        result = TrainingSession(project).run()
        assert result.ok, result.reason
        del result
        gc.collect()
        readings.append(_rss_mib())

    benchmark.pedantic(one_run, rounds=20, iterations=1)
    growth = readings[-1] - readings[0]
    # issue 11: the growth per run once TensorFlow's one-off set-up is paid (runs 5..20), as the
    # least-squares slope, which one noisy reading cannot swing the way a difference of two can
    settled = readings[4:]
    per_run = float(np.polyfit(np.arange(len(settled)), settled, 1)[0])
    benchmark.extra_info.update({"rss_after_first_mib": round(readings[0]), "rss_after_20_mib": round(readings[-1]),
                                 "growth_mib": round(growth, 1), "growth_per_run_after_5_mib": round(per_run, 3)})
    print(f"\nRSS after run 1: {readings[0]:.0f} MiB, after run 20: {readings[-1]:.0f} MiB ({growth:+.0f} MiB); "
          f"after the first five {per_run:+.2f} MiB a run")
    assert per_run < 1.0, f"memory grows {per_run:.2f} MiB a run: {[round(r) for r in readings]}"
