"""Issue 11, item 6: training runs in one process must not keep each other's traced functions.

Every run used to leave its traced train step alive (4-6 MiB a run, linear) through TensorFlow's
global gradient registry (see :mod:`app.keras_bridge.release`). These tests count what is kept
(live FuncGraphs, registered custom gradients) rather than resident memory, which is noisy; the
RSS figure is in ``tests/benchmarks/test_training_speed.py::test_memory_after_twenty_runs``.
"""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.core.project import Project, load_project
from app.keras_bridge.release import custom_gradient_names, release_gradients
from app.keras_bridge.training import TrainingSession

MODELS = Path(__file__).resolve().parents[2] / "models"
RUNS = 10

pytestmark = pytest.mark.slow


def _live_func_graphs() -> int:
    from tensorflow.python.framework.func_graph import FuncGraph

    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FuncGraph))


def _tiny_project() -> Project:
    project = load_project(MODELS / "mlp_tabular.json")  # iris, a 5-node MLP
    project.training.update({"epochs": 1})
    return project


def test_ten_runs_keep_no_traced_graphs_of_earlier_runs() -> None:
    template = _tiny_project()
    started = time.perf_counter()
    graphs, registered, models = [], [], []
    for _ in range(RUNS):
        project = Project(graph=template.graph.copy(), name=template.name, training=dict(template.training),
                          dataset=dict(template.dataset))
        result = TrainingSession(project).run()
        assert result.status == "finished", result.reason
        models.append(weakref.ref(result.model))
        del result, project
        graphs.append(_live_func_graphs())
        registered.append(len(custom_gradient_names()))
    seconds = time.perf_counter() - started
    # before the fix: 30 more FuncGraphs and 2 more custom gradients after every run
    assert graphs[-1] <= graphs[1], f"live FuncGraphs after each run: {graphs}"
    assert registered[-1] == registered[0], f"registered custom gradients after each run: {registered}"
    assert [ref() for ref in models[:-1]] == [None] * (RUNS - 1), "models of earlier runs are still alive"
    assert seconds < 120, f"{RUNS} tiny runs took {seconds:.0f} s"


def test_a_kept_model_still_predicts_evaluates_and_trains_after_the_release() -> None:
    result = TrainingSession(_tiny_project()).run()
    assert result.status == "finished", result.reason
    model, (x_train, y_train) = result.model, result.prepared.train
    x, y = next(iter(x_train.values())), next(iter(y_train.values()))
    assert np.isfinite(model.predict(x, verbose=0)).all()
    assert np.isfinite(model.evaluate(x, y, verbose=0)).all()
    before = model.get_weights()
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # the traced step runs without its entry
    assert np.isfinite(history.history["loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def _fitted_mlp(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(seed).random((64, 4), dtype=np.float32)
    model.fit(x, np.arange(64) % 3, epochs=1, batch_size=16, verbose=0)
    return model


def test_release_removes_only_the_given_models_gradients() -> None:
    keras.backend.clear_session()
    before = custom_gradient_names()
    ours, theirs = _fitted_mlp(1), _fitted_mlp(2)
    added = custom_gradient_names() - before
    assert len(added) >= 2, "Keras' train step no longer registers custom gradients: this test needs a new probe"
    graphs_with_both = _live_func_graphs()
    released = release_gradients(before, ours)
    assert 0 < released < len(added)
    left = custom_gradient_names() - before
    assert len(left) == len(added) - released
    del ours
    assert _live_func_graphs() < graphs_with_both, "the released model's traced graphs are still alive"
    # the other model's entries stayed; it still trains, and releasing it takes exactly those (and any new ones)
    x = np.random.default_rng(3).random((64, 4), dtype=np.float32)
    theirs.fit(x, np.arange(64) % 3, epochs=1, batch_size=16, verbose=0)
    assert left <= custom_gradient_names()
    release_gradients(before, theirs)
    assert custom_gradient_names() - before == frozenset()
