"""The training engine with real Keras on small real data: progress, stop, NaN, failures, schedules."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import Project, load_project
from app.core.training_settings import learning_rate_at
from app.data import Dataset
from app.keras_bridge.training import (
    PROGRESS_INTERVAL,
    EpochEnd,
    Probe,
    Progress,
    TrainingSession,
    check_before_training,
)

MODELS = Path(__file__).resolve().parents[2] / "models"


class Recorder:
    """A listener that keeps everything, with the time each progress report arrived."""

    def __init__(self) -> None:
        self.progress_items: list[Progress] = []
        self.times: list[float] = []
        self.epochs: list[EpochEnd] = []
        self.messages: list[str] = []
        self.threads: set[str] = set()

    def progress(self, progress: Progress) -> None:
        self.times.append(time.perf_counter())
        self.progress_items.append(progress)
        self.threads.add(threading.current_thread().name)

    def epoch_end(self, epoch: EpochEnd) -> None:
        self.epochs.append(epoch)

    def message(self, text: str) -> None:
        self.messages.append(text)


def mlp(inputs: int = 2, units: int = 2, activation: str = "softmax") -> Graph:
    graph = Graph()
    x = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, inputs]})
    h = graph.add_node("Dense", name="hidden", config={"units": 16, "activation": "relu"})
    y = graph.add_node("Dense", name="scores", config={"units": units, "activation": activation})
    graph.connect(x.id, h.id)
    graph.connect(h.id, y.id)
    return graph


def moons_project(**training: object) -> Project:
    settings = {"epochs": 3, "batch_size": 16, "learning_rate": 0.01, "test_split": 0.2, **training}
    return Project(graph=mlp(), name="moons", training=settings, dataset={"name": "moons", "samples": 400})


def test_a_run_trains_reports_and_evaluates_on_the_test_split() -> None:
    recorder = Recorder()
    result = TrainingSession(moons_project(), listener=recorder).run()
    assert result.status == "finished", result.reason
    assert result.reason == "finished 3 epochs" and result.epochs_run == 3
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert all(len(values) == 3 for values in result.history.values())
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert 0.0 <= result.test_metrics["accuracy"] <= 1.0 and "loss" in result.test_metrics
    assert result.test_predictions is not None and result.test_predictions.shape == (80, 2)
    assert result.device == "CPU" and result.model is not None
    assert [e.epoch for e in recorder.epochs] == [1, 2, 3]
    assert recorder.epochs[-1].logs["learning_rate"] == pytest.approx(0.01)
    last = recorder.progress_items[-1]
    # 400 moons: 80 test, 80 validation, 240 to train in batches of 16
    assert (last.epoch, last.batch, last.batches) == (3, 15, 15) and last.fraction == 1.0 and last.eta == 0
    assert "MainThread" not in recorder.threads or len(recorder.threads) == 1


class ProbeRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.probes: list[tuple[float, float]] = []

    def probe(self, value: tuple[float, float]) -> None:
        self.probes.append(value)


def test_a_probe_sees_the_weights_change_while_the_model_trains() -> None:
    """A live view's probe runs at the start, during and after every epoch, on the model as it trains."""
    recorder = ProbeRecorder()

    def accuracy_on_train(model: object, prepared: object) -> tuple[float, float]:
        x, y = prepared.train  # type: ignore[attr-defined]
        scores = np.asarray(model(x["features"], training=False))  # type: ignore[operator]
        return float(np.mean(np.argmax(scores, axis=1) == y["scores"])), time.perf_counter()

    project = moons_project(epochs=4, batch_size=8, learning_rate=0.05)
    result = TrainingSession(project, listener=recorder, probe=Probe(accuracy_on_train, interval=0.0)).run()
    assert result.ok, result.reason
    assert len(recorder.probes) >= 1 + 4  # before training and after each epoch at least
    first, last = recorder.probes[0][0], recorder.probes[-1][0]
    assert last > first and last > 0.8  # moons become separable as it trains


def test_a_failing_probe_is_reported_and_dropped_without_ending_the_run() -> None:
    recorder = ProbeRecorder()

    def broken(model: object, prepared: object) -> None:
        raise ValueError("no grid for you")

    result = TrainingSession(moons_project(epochs=2), listener=recorder, probe=Probe(broken)).run()
    assert result.ok and result.epochs_run == 2
    assert recorder.probes == []
    assert [m for m in recorder.messages if m.startswith("the live view stopped")] == [
        "the live view stopped (ValueError): no grid for you"]


def test_progress_is_throttled_to_twenty_reports_a_second() -> None:
    recorder = Recorder()
    project = moons_project(epochs=2, batch_size=1)
    result = TrainingSession(project, listener=recorder).run()
    assert result.ok
    batches = 2 * recorder.progress_items[-1].batches
    assert len(recorder.progress_items) < batches / 4  # 560 batches, far fewer reports
    gaps = np.diff(recorder.times)
    within_epoch = [gap for gap, item in zip(gaps, recorder.progress_items[1:], strict=True)
                    if item.batch != item.batches]  # the last batch of an epoch is always reported
    assert min(within_epoch) >= PROGRESS_INTERVAL * 0.9


def test_stop_ends_the_run_within_a_batch_or_two() -> None:
    recorder = Recorder()
    project = moons_project(epochs=50, batch_size=1)
    session = TrainingSession(project, listener=recorder)
    stop_at: list[int] = []

    class StopAtFirstReport(Recorder):
        def progress(self, progress: Progress) -> None:
            if not stop_at:
                stop_at.append(progress.batch)
                session.stop()

    session.listener = StopAtFirstReport()
    result = session.run()
    assert result.status == "stopped" and result.reason.startswith("stopped by you at epoch 1, batch ")
    stopped_at = int(result.reason.rsplit(" ", 1)[1])
    assert stopped_at <= stop_at[0] + 3  # the async report lags Keras by a batch at most
    assert result.epochs_run <= 1 and result.model is not None


def test_a_nan_loss_stops_with_a_message_that_says_what_to_try() -> None:
    rng = np.random.default_rng(0)
    data = Dataset(name="huge", title="huge targets", kind="table", task="regression",
                   x=rng.normal(size=(200, 2)).astype("float32"), y=np.full(200, 1e38, dtype="float32"))
    project = Project(graph=mlp(units=1, activation="linear"), training={
        "loss": "mse", "metrics": [], "epochs": 5, "batch_size": 10, "optimizer": "sgd", "learning_rate": 1.0},
        dataset={"name": "huge"})
    result = TrainingSession(project, dataset=data).run()
    assert result.status == "failed" and not result.ok
    assert "loss became NaN or infinite at epoch 1, batch" in result.reason
    assert "lower the learning rate" in result.reason
    assert result.epochs_run <= 1


def test_data_that_does_not_fit_the_model_fails_before_keras_with_each_problem() -> None:
    project = load_project(MODELS / "lenet_mnist.json")
    project.dataset = {"name": "iris"}
    problems = check_before_training(project)
    assert problems and any("digit" in p for p in problems), problems
    result = TrainingSession(project).run()
    assert result.status == "failed" and result.reason.startswith("the data does not fit the model")
    assert result.model is None


def test_an_exception_inside_keras_becomes_a_failed_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.keras_bridge.training as training

    real_prepare = training.prepare

    def wrong_shapes(*args: object, **kwargs: object) -> object:
        prepared = real_prepare(*args, **kwargs)
        x, y = prepared.train
        prepared.train = ({name: np.concatenate([a, a], axis=1) for name, a in x.items()}, y)
        return prepared

    monkeypatch.setattr(training, "prepare", wrong_shapes)
    result = TrainingSession(moons_project()).run()
    assert result.status == "failed" and result.reason.startswith("training failed (")
    assert len(result.reason.splitlines()) <= training.MAX_ERROR_LINES + 1


def test_invalid_settings_and_graph_errors_are_listed_before_training() -> None:
    project = moons_project(batch_size=0, optimizer="adagrad2")
    project.graph.remove_node(project.graph.node_by_name("hidden").id)
    problems = check_before_training(project)
    assert any(p.startswith("training setting batch_size") for p in problems)
    assert any(p.startswith("training setting optimizer") for p in problems)
    assert any(p.startswith("model:") for p in problems)
    result = TrainingSession(project).run()
    assert result.status == "failed" and "batch_size" in result.reason


def test_no_dataset_says_how_to_choose_one() -> None:
    project = moons_project()
    project.dataset = None
    assert check_before_training(project) == [
        "no dataset chosen: pick one in the training panel (or pass --dataset)"]


def test_the_session_is_a_snapshot_edits_after_creation_do_not_reach_it() -> None:
    project = moons_project(epochs=1)
    session = TrainingSession(project)
    project.graph.set_param(project.graph.node_by_name("scores").id, "units", 7)
    project.training["epochs"] = 9
    result = session.run()
    assert result.ok and result.epochs_run == 1
    assert result.model.get_layer("scores").units == 2


def test_a_schedule_sets_the_learning_rate_batch_by_batch() -> None:
    recorder = Recorder()
    project = moons_project(epochs=4, schedule="cosine", warmup_epochs=1, learning_rate=0.02, test_split=0.0)
    result = TrainingSession(project, listener=recorder).run()
    assert result.ok, result.reason
    per_epoch = recorder.progress_items[-1].batches
    expected = [learning_rate_at(project.training, (epoch + 1) * per_epoch - 1, per_epoch) for epoch in range(4)]
    assert result.history["learning_rate"] == pytest.approx(expected, rel=1e-5)
    assert result.test_metrics == {}


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adam", "adamw", "adamax", "nadam"])
def test_every_optimizer_trains(optimizer: str) -> None:
    result = TrainingSession(moons_project(epochs=1, optimizer=optimizer, nesterov=True, clipnorm=1.0,
                                           metrics=["accuracy", "top3_accuracy"])).run()
    assert result.ok, result.reason
    assert np.isfinite(result.history["loss"][0]) and result.history["top3_accuracy"] == [1.0]


def test_binary_metrics_on_a_sigmoid_output() -> None:
    project = moons_project(epochs=2, loss="binary_crossentropy", metrics=["accuracy", "auc", "precision", "recall"])
    project.graph.set_config(project.graph.node_by_name("scores").id, {
        **project.graph.node_by_name("scores").config, "units": 1, "activation": "sigmoid"})
    result = TrainingSession(project).run()
    assert result.ok, result.reason
    assert {"auc", "precision", "recall", "val_auc"} <= set(result.history)
    assert 0.0 <= result.test_metrics["auc"] <= 1.0


def test_callbacks_early_stopping_reduce_lr_and_checkpoint(tmp_path: Path) -> None:
    project = moons_project(epochs=3, early_stopping=True, patience=5, reduce_lr=True, reduce_lr_patience=0,
                            reduce_lr_factor=0.5, checkpoint=True, checkpoint_path="best.keras")
    result = TrainingSession(project, base_dir=tmp_path).run()
    assert result.ok, result.reason
    assert (tmp_path / "best.keras").is_file()
    bad = TrainingSession(moons_project(checkpoint=True, checkpoint_path="nowhere/best.keras"),
                          base_dir=tmp_path).run()
    assert bad.status == "failed" and "does not exist" in bad.reason


def test_early_stopping_says_so_in_the_reason() -> None:
    project = moons_project(epochs=30, early_stopping=True, patience=0, monitor="loss", shuffle=False)
    for name in ("hidden", "scores"):  # frozen: the loss cannot improve, so patience 0 ends epoch 2
        project.graph.set_param(project.graph.node_by_name(name).id, "trainable", False)
    result = TrainingSession(project).run()
    assert result.status == "finished" and result.epochs_run == 2
    assert result.reason == "early stopping after epoch 2: loss stopped improving (best weights restored)"
