"""The training panel as a user drives it: settings, live curves, the worker thread, real runs.

The first half needs no Keras: the document's undoable settings, the settings form, the
live plots fed with synthetic reports and the worker run with stand-in sessions. The
second half trains real (tiny) models through the panel: iris on the MLP example, a few
epochs of batch 16, so the whole file stays quick on two cores.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QMessageBox, QSpinBox

from app.core.project import dumps
from app.core.training_settings import DEFAULT_SETTINGS
from app.gui.document import Document
from app.gui.gallery import examples_dir, open_copy
from app.gui.theme import ERROR
from app.gui.training.live_plots import LivePlots
from app.gui.training.settings_form import SettingsForm
from app.gui.training.worker import TrainingWorker, failed_result, running_count

EXAMPLE = examples_dir() / "mlp_tabular.json"
TRAIN_TIMEOUT_MS = 90_000


@pytest.fixture(autouse=True)
def no_leaked_threads(qtbot):
    """Every training thread and background job a test starts has ended when it is over."""
    before = {t for t in threading.enumerate()}
    yield
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)

    def ours_ended() -> bool:
        left = [t for t in threading.enumerate() if t not in before and t.name.startswith("layerforge-")
                and t.is_alive()]
        return not left

    qtbot.waitUntil(ours_ended, timeout=30_000)


def progress(epoch: int, batch: int, batches: int = 10, epochs: int = 3, **logs: float) -> SimpleNamespace:
    return SimpleNamespace(epoch=epoch, epochs=epochs, batch=batch, batches=batches,
                           logs=logs or {"loss": 1.0 / (epoch * batch), "accuracy": 0.5},
                           learning_rate=0.01, elapsed=0.1, eta=4.0)


def epoch_end(epoch: int, epochs: int = 3) -> SimpleNamespace:
    return SimpleNamespace(epoch=epoch, epochs=epochs, elapsed=1.0,
                           logs={"loss": 1.0 / epoch, "accuracy": 0.5 + epoch / 10, "val_loss": 1.2 / epoch,
                                 "val_accuracy": 0.4 + epoch / 10, "learning_rate": 0.01})


# --- the document: settings, dataset and runs ---------------------------------------------------------

def test_set_training_is_one_undo_step_that_views_hear_about(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    before = dumps(doc.project)
    with qtbot.waitSignal(doc.settings_changed, timeout=1000):
        assert doc.set_training({"learning_rate": 0.05, "epochs": 7})
    assert doc.project.training["learning_rate"] == 0.05 and doc.project.training["epochs"] == 7
    assert doc.undo_stack.count() == 1 and doc.dirty
    assert not doc.set_training({"epochs": 7}), "an unchanged value is no step"
    assert doc.undo_stack.count() == 1
    with qtbot.waitSignal(doc.settings_changed, timeout=1000):
        doc.undo_stack.undo()
    assert dumps(doc.project) == before and not doc.dirty
    doc.undo_stack.redo()
    assert doc.project.training["epochs"] == 7


def test_set_dataset_is_undoable_and_both_are_refused_while_locked(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    assert doc.set_dataset({"name": "moons", "noise": 0.3})
    assert doc.undo_stack.text(doc.undo_stack.count() - 1) == "Set dataset moons"
    assert doc.project.dataset == {"name": "moons", "noise": 0.3}
    doc.undo_stack.undo()
    assert doc.project.dataset == {"name": "iris"}
    doc.set_locked(True)
    with pytest.raises(PermissionError):
        doc.set_training({"epochs": 2})
    with pytest.raises(PermissionError):
        doc.set_dataset(None)
    assert doc.project.training["epochs"] != 2


def test_runs_are_kept_marking_the_document_unsaved_and_deleting_one_is_undoable(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    doc.undo_stack.setClean()
    with qtbot.waitSignal(doc.runs_changed, timeout=1000):
        doc.add_run({"id": "a1", "status": "finished"})
    doc.add_run({"id": "b2", "status": "stopped"})
    assert doc.dirty and doc.undo_stack.count() == 0, "a run is not an undo step, but it is unsaved work"
    assert doc.remove_run("a1")
    assert [r["id"] for r in doc.project.runs] == ["b2"]
    doc.undo_stack.undo()
    assert [r["id"] for r in doc.project.runs] == ["a1", "b2"]
    assert not doc.remove_run("nope")


# --- the settings form ------------------------------------------------------------------------------------

@pytest.fixture
def form(qtbot) -> tuple[SettingsForm, Document]:
    doc = open_copy(EXAMPLE)
    widget = SettingsForm(doc)
    qtbot.addWidget(widget)
    return widget, doc


def test_form_has_an_editor_for_every_setting_showing_the_project(form) -> None:
    widget, doc = form
    for key in DEFAULT_SETTINGS:
        assert widget.editor(key) is not None
    assert isinstance(widget.editor("optimizer"), QComboBox)
    assert widget.editor("optimizer").currentData() == "adam"
    assert widget.editor("optimizer").itemData(0, 3)  # a hint as tooltip (ToolTipRole)
    assert isinstance(widget.editor("epochs"), QSpinBox) and widget.editor("epochs").value() == 60
    assert widget.editor("learning_rate").text() == "0.01"
    assert isinstance(widget.editor("shuffle"), QCheckBox) and widget.editor("shuffle").isChecked()


def test_form_writes_each_change_as_one_undo_step(form, qtbot) -> None:
    widget, doc = form
    edit = widget.editor("learning_rate")
    assert isinstance(edit, QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, "3e-4")
    qtbot.keyClick(edit, "\r")
    assert doc.project.training["learning_rate"] == pytest.approx(3e-4)
    assert edit.text() == "0.0003"
    widget.set_value("epochs", 12)
    widget.set_value("loss", "categorical_crossentropy")
    widget.set_value("metrics", ["accuracy", "auc"])
    assert doc.undo_stack.count() == 4
    assert doc.project.training["metrics"] == ["accuracy", "auc"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert widget.editor("loss").currentData() == "sparse_categorical_crossentropy"
    assert widget.editor("epochs").value() == 12
    doc.undo_stack.undo()
    assert widget.editor("epochs").value() == 60


def test_form_shows_only_the_fields_that_apply(form) -> None:
    widget, _doc = form
    assert not widget.is_shown("momentum") and not widget.is_shown("weight_decay")
    widget.set_value("optimizer", "sgd")
    assert widget.is_shown("momentum") and widget.is_shown("nesterov") and not widget.is_shown("weight_decay")
    widget.set_value("optimizer", "adamw")
    assert widget.is_shown("weight_decay") and not widget.is_shown("momentum")
    assert not widget.is_shown("decay_rate")
    widget.set_value("schedule", "step")
    assert widget.is_shown("decay_rate") and widget.is_shown("decay_epochs")
    assert "epoch" in widget.schedule_preview.text()
    assert not widget.editor("patience").isEnabled()
    widget.set_value("early_stopping", True)
    assert widget.editor("patience").isEnabled() and widget.editor("monitor").isEnabled()


def test_form_shows_problems_next_to_their_field(form) -> None:
    widget, doc = form
    widget.set_value("learning_rate", "fast")
    assert "number" in widget.problem_label("learning_rate").text()
    assert not widget.problem_label("learning_rate").isHidden()
    assert doc.project.training["learning_rate"] == 0.01, "text that is no number is not stored"
    widget.set_value("learning_rate", "0")
    assert "(0, 10]" in widget.problem_label("learning_rate").text()
    widget.set_value("validation_split", 0.5)
    widget.set_value("test_split", 0.45)
    assert "under 10 %" in widget.problem_label("validation_split").text()
    doc.undo_stack.undo()
    assert widget.problem_label("validation_split").isHidden()


def test_form_is_disabled_while_training_runs(form) -> None:
    widget, doc = form
    doc.set_locked(True)
    assert not widget.isEnabled()
    doc.set_locked(False)
    assert widget.isEnabled()


# --- live plots ---------------------------------------------------------------------------------------------

def test_live_plots_draw_batches_and_epochs_at_a_limited_rate(qtbot) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset(3)
    for e in range(1, 4):
        for b in range(1, 101):
            plots.add_progress(progress(e, b, batches=100))
        plots.add_epoch(epoch_end(e))
    assert plots.plot_keys() == ["loss", "accuracy", "learning_rate"]
    x, _y = plots.series("loss", "batch")
    assert len(x) == 300 and x[0] == pytest.approx(0.01) and x[-1] == pytest.approx(3.0)
    assert len(plots.shown("loss", "batch")[0]) == 0, "nothing is drawn outside the timer"
    qtbot.waitUntil(lambda: len(plots.shown("loss", "validation")[0]) == 3, timeout=2000)
    assert plots.redraws == 1, "a burst of reports costs one redraw per plot, one plot at a time"
    assert len(plots.shown("accuracy", "train")[0]) == 0, "the next plot waits for its slice"
    qtbot.waitUntil(lambda: len(plots.shown("learning_rate", "batch")[0]) == 300, timeout=2000)
    assert plots.redraws == 3
    assert list(plots.shown("accuracy", "train")[0]) == [1.0, 2.0, 3.0]
    assert "Loss" in plots.summary() and "val 0.4" in plots.summary()


def test_live_plots_ignore_reports_that_arrive_out_of_order(qtbot) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset(2)
    for b in (1, 3, 2, 4):
        plots.add_progress(progress(1, b))
    plots.flush()
    assert list(plots.shown("loss", "batch")[0]) == pytest.approx([0.1, 0.3, 0.4])
    plots.reset(2, keys=["accuracy", "learning_rate"])
    assert plots.plot_keys() == ["loss"], "other plots appear with their first value"
    assert len(plots.series("loss", "batch")[0]) == 0 and len(plots.shown("loss", "batch")[0]) == 0
    plots.add_epoch(epoch_end(1, 2))
    assert plots.plot_keys() == ["loss", "accuracy", "learning_rate"]


# --- the worker ---------------------------------------------------------------------------------------------

class FakeSession:
    """Reports like the engine, from the worker's thread, until told to stop or done."""

    def __init__(self, project: Any, *, listener: Any, dataset: Any = None, overrides: Any = None,
                 base_dir: Any = None, epochs: int = 2, batches: int = 5, wait_for_stop: bool = False,
                 fail: bool = False) -> None:
        self.listener = listener
        self.epochs, self.batches = epochs, batches
        self.wait_for_stop = wait_for_stop
        self.fail = fail
        self.stopped = threading.Event()
        self.project_name = project.name

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> Any:
        if self.fail:
            raise RuntimeError("boom")
        self.listener.message(f"training {self.project_name}")
        for e in range(1, self.epochs + 1):
            for b in range(1, self.batches + 1):
                self.listener.progress(progress(e, b, self.batches, self.epochs))
                if self.wait_for_stop:
                    self.stopped.wait(30)
                if self.stopped.is_set():
                    return SimpleNamespace(status="stopped", reason=f"stopped by you at epoch {e}, batch {b}",
                                           ok=True, epochs_run=e - 1)
            self.listener.epoch_end(epoch_end(e, self.epochs))
        return SimpleNamespace(status="finished", reason="finished", ok=True, epochs_run=self.epochs)


def test_worker_reports_on_the_gui_thread_and_ends_cleanly(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    worker = TrainingWorker(doc.project, session_factory=FakeSession)
    seen: dict[str, list] = {"progress": [], "epochs": [], "messages": [], "threads": []}
    gui_thread = QApplication.instance().thread()
    worker.progress.connect(lambda p: (seen["progress"].append((p.epoch, p.batch)),
                                       seen["threads"].append(QThread.currentThread() == gui_thread)))
    worker.epoch_end.connect(lambda e: seen["epochs"].append(e.epoch))
    worker.message.connect(seen["messages"].append)
    doc.project.name = "changed after the snapshot"
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        worker.start()
    assert blocker.args[0].status == "finished"
    assert not worker.running and running_count() == 0
    assert seen["epochs"] == [1, 2]
    assert seen["progress"] == sorted(seen["progress"]) and seen["progress"][-1] == (2, 5)
    assert all(seen["threads"])
    assert seen["messages"] == ["training MLP tabular classifier"], "the run trains the snapshot"
    with pytest.raises(RuntimeError):
        worker.start()


def test_worker_passes_the_probe_and_hands_over_only_the_newest_value(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    gate = threading.Event()
    given: list[Any] = []

    class Probing(FakeSession):
        def __init__(self, *args: Any, probe: Any = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            given.append(probe)

        def run(self) -> Any:
            for value in range(5):  # faster than the GUI takes them: they coalesce
                self.listener.probe(value)
            gate.wait(30)
            self.listener.probe(99)
            return super().run()

    worker = TrainingWorker(doc.project, session_factory=Probing, probe="the probe")
    values: list[Any] = []
    worker.probe.connect(values.append)
    worker.start()
    qtbot.waitUntil(lambda: bool(values) and values[-1] == 4, timeout=10_000)  # the newest is never lost
    gate.set()
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        pass
    assert given == ["the probe"]
    assert values[-1] == 99 and values == sorted(values) and len(values) == len(set(values))


def test_worker_stop_ends_the_run(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    worker = TrainingWorker(doc.project,
                            session_factory=lambda *a, **k: FakeSession(*a, wait_for_stop=True, **k))
    with qtbot.waitSignal(worker.progress, timeout=10_000):
        worker.start()
    assert worker.running
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        worker.stop()
    assert blocker.args[0].status == "stopped"
    assert running_count() == 0


def test_worker_turns_an_exception_into_a_failed_result(qtbot) -> None:
    doc = open_copy(EXAMPLE)
    worker = TrainingWorker(doc.project, session_factory=lambda *a, **k: FakeSession(*a, fail=True, **k))
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        worker.start()
    result = blocker.args[0]
    assert result.status == "failed" and "boom" in result.reason and not result.ok
    assert failed_result("x").status == "failed"


def test_a_deleted_worker_leaves_its_thread_to_finish(qtbot) -> None:
    """Deleting the worker mid-run must not destroy a running QThread (that would abort)."""
    doc = open_copy(EXAMPLE)
    gate = threading.Event()

    class Slow(FakeSession):
        def run(self) -> Any:
            gate.wait(30)
            return super().run()

    worker = TrainingWorker(doc.project, session_factory=Slow)
    worker.start()
    shiboken6.delete(worker)
    assert not shiboken6.isValid(worker)
    assert running_count() == 1
    gate.set()
    qtbot.waitUntil(lambda: running_count() == 0, timeout=10_000)


# --- real training through the panel and the window ----------------------------------------------------------

keras_needed = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("LAYERFORGE_HOME", str(folder))
    return folder


@pytest.fixture
def window(qtbot, home, monkeypatch: pytest.MonkeyPatch):
    from app.gui.main_window import MainWindow

    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="":
                        messages.append((title, text)))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    doc = open_copy(EXAMPLE)
    doc.project.training.update({"epochs": 3, "batch_size": 16})
    win = MainWindow(doc, autosave_directory=home / "autosave")
    win.messages = messages
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.show_training()
    yield win
    if win.training_running:
        win.training.stop_training()
        qtbot.waitUntil(lambda: not win.training_running, timeout=TRAIN_TIMEOUT_MS)


def ready(panel) -> bool:
    return panel.can_train()


def test_the_training_panel_is_built_when_first_shown(qtbot, home) -> None:
    """Start-up does not pay for pyqtgraph and the data views: the dock fills in on first use."""
    from app.gui.main_window import MainWindow

    win = MainWindow(open_copy(EXAMPLE), autosave_directory=home / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    for _ in range(3):  # the deferred build, had it been scheduled, would run here
        QApplication.processEvents()
    assert win._training_panel is None
    assert "Training" in [a.text().replace("&", "") for a in win.menuBar().actions()]
    win.show_training()
    qtbot.waitUntil(lambda: win._training_panel is not None, timeout=10_000)
    assert win.training_dock.widget() is win.training
    assert win.train_action.shortcut().toString() == "F5" and win.stop_action.shortcut().toString() == "Shift+F5"
    assert not win.stop_action.isEnabled()


@keras_needed
def test_train_iris_through_the_panel(window, qtbot) -> None:
    panel = window.training
    doc = window.document
    runs_before = len(doc.project.runs)
    locked_checks: list[bool] = []

    def during_training() -> None:
        try:
            doc.set_param(doc.graph.node_by_name("hidden_1").id, "units", 3)
            locked_checks.append(False)
        except PermissionError:
            locked_checks.append(True)
        locked_checks.append(window.lock_banner.isVisible() and not panel.settings_form.isEnabled())
        locked_checks.append(not window.train_action.isEnabled() and window.stop_action.isEnabled())

    panel.training_started.connect(during_training)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        # F5 at once, while the dataset still loads: the run starts as soon as the check says yes.
        window.train_action.trigger()
        assert not panel.running and "as soon as" in panel.status_label.text()
    result = blocker.args[0]
    assert not panel.problems and panel.problems_scroll.isHidden()
    assert result.status == "finished", result.reason
    assert locked_checks == [True, True, True]
    assert not doc.locked and window.lock_banner.isHidden()
    assert window.train_action.isEnabled() and not window.stop_action.isEnabled()
    # curves: batch points and one point per epoch, train and validation
    assert len(panel.plots.series("loss", "batch")[0]) >= 3
    assert list(panel.plots.series("loss", "train")[0]) == [1.0, 2.0, 3.0]
    assert len(panel.plots.series("loss", "validation")[0]) == 3
    assert "accuracy" in panel.plots.plot_keys()
    # results, history, dirty document
    assert panel.results.result is result and panel.tabs.currentWidget() is panel.results_tab
    assert "accuracy" in result.test_metrics
    assert len(doc.project.runs) == runs_before + 1
    record = doc.project.runs[-1]
    assert record["status"] == "finished" and record["epochs_run"] == 3 and record["dataset"] == {"name": "iris"}
    assert len(record["history"]["loss"]) == 3
    assert panel.history.runs[-1]["id"] == record["id"]
    assert doc.dirty and window.windowTitle().startswith("MLP tabular classifier *")
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    assert panel.save_button.isEnabled() and window.save_trained_action.isEnabled()
    assert window.training_label.isHidden()


@keras_needed
def test_stop_at_the_first_progress_report(window, qtbot) -> None:
    panel = window.training
    window.document.set_training({"epochs": 50})
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    texts: list[str] = []
    panel.status_text_changed.connect(texts.append)
    stopped_once: list[bool] = []

    def stop_now(_progress: object) -> None:
        if not stopped_once:
            stopped_once.append(True)
            window.lock_banner.stop_button.click()

    assert panel.start_training()
    panel._worker.progress.connect(stop_now)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        pass
    result = blocker.args[0]
    assert result.status == "stopped" and "stopped by you" in result.reason
    assert result.epochs_run < 50
    assert any(t.startswith("Training: Epoch 1/50") and "ETA" in t for t in texts)
    assert not window.document.locked and window.train_action.isEnabled()
    assert window.document.project.runs[-1]["status"] == "stopped"
    assert "stopped by you" in panel.status_label.text().lower()


@keras_needed
def test_data_that_does_not_fit_is_explained_before_training(window, qtbot) -> None:
    panel = window.training
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    window.document.set_dataset({"name": "wine"})  # 13 features, the model takes 4
    qtbot.waitUntil(lambda: bool(panel.problems), timeout=30_000)
    assert any("measurements" in p and "13" in p for p in panel.problems), panel.problems
    assert not panel.train_button.isEnabled() and not panel.problems_scroll.isHidden()
    assert "13" in panel.problems_label.text()
    window.train_action.trigger()  # F5 anyway: nothing starts, nothing breaks
    assert not window.training_running and not window.document.locked
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    assert panel.problems_scroll.isHidden()


@keras_needed
def test_a_failing_run_shows_its_reason_and_leaves_the_app_usable(window, qtbot, tmp_path: Path) -> None:
    panel = window.training
    doc = window.document
    assert window._save_to(tmp_path / "project.json")  # a checkpoint path is relative to the saved project
    doc.set_training({"checkpoint": True, "checkpoint_path": "missing/best.keras", "epochs": 2})
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    runs_before = len(doc.project.runs)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        assert panel.start_training()
    result = blocker.args[0]
    assert result.status == "failed" and "does not exist" in result.reason
    assert "Training failed" in panel.status_label.text() and "does not exist" in panel.status_label.text()
    assert ERROR.lower() in panel.status_label.styleSheet().lower()
    assert not doc.locked and window.lock_banner.isHidden()
    assert len(doc.project.runs) == runs_before, "a run that never trained is not kept"
    assert not panel.save_button.isEnabled()
    assert window.messages == [], "no dialog: the reason is in the panel"
    doc.set_param(doc.graph.node_by_name("dropout").id, "rate", 0.3)  # editing works again
    doc.set_training({"checkpoint": False})
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        assert panel.start_training()
    assert blocker.args[0].status == "finished"


@keras_needed
def test_save_the_trained_model_as_a_loadable_keras_file(window, qtbot, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    panel = window.training
    target = tmp_path / "trained.keras"
    monkeypatch.setattr(type(panel), "ask_model_path", lambda self: target)
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as blocker:
        panel.start_training()
    result = blocker.args[0]
    with qtbot.waitSignal(panel.model_saved, timeout=60_000):
        assert window.save_trained_action.isEnabled()
        window.save_trained_action.trigger()
    assert "Saved" in panel.save_label.text()
    import keras

    loaded = keras.models.load_model(target, safe_mode=True)
    x_test = next(iter(result.prepared.test[0].values()))
    assert np.allclose(loaded.predict(x_test, verbose=0), result.model.predict(x_test, verbose=0), atol=1e-5)


@keras_needed
def test_closing_the_window_while_training_stops_first(window, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.gui.main_window import MainWindow

    asked: list[bool] = []
    answers = [False, True]
    monkeypatch.setattr(MainWindow, "ask_stop_training", lambda self: asked.append(True) or answers.pop(0))
    panel = window.training
    window.document.set_training({"epochs": 200})
    qtbot.waitUntil(lambda: ready(panel), timeout=30_000)
    with qtbot.waitSignal(panel.training_started, timeout=5000):
        panel.start_training()
    assert not window.close(), "answered No: the window stays and training goes on"
    assert window.training_running
    assert window.new_document() is False and window.messages[-1][0] == "Training is running"
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS):
        window.close()
    assert asked == [True, True]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.document.locked
