"""The Insight panel driven as a user would, with real Keras models and bundled datasets.

Step-through on the LeNet example (untrained, MNIST digits), Grad-CAM and histograms on a
tiny CNN over the 8x8 digits, and the decision boundary of a 2-input MLP on moons: on Show,
and live while a real (2-epoch) training run goes. Also what must not happen: edits while the
dock is hidden start no work and do not move the canvas, a double Step skips nothing, a
retrained model replaces the old one, and a run is never slowed by an untrained model.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

import app.keras_bridge.insight as insight_engine
from app.data import load_dataset
from app.gui.document import Document
from app.gui.editor.view import GraphView
from app.gui.gallery import examples_dir, open_copy
from app.gui.insight import InsightPanel
from app.gui.insight.material import NO_DATASET, NONE, TRAINED, TRAINING, UNTRAINED
from app.gui.insight.tabs import NEEDS_BOUNDARY, RESOLUTION, BoundaryFrame
from app.gui.training.panel import TrainingPanel
from app.gui.training.worker import running_count
from tests.gui.insight_fakes import FakeTraining

JOB_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_MS = 90_000


class Setup:
    """A document with its canvas, training panel and insight panel (``build_panel=False``: the
    test builds the insight panel itself, with :meth:`make_panel`)."""

    def __init__(self, qtbot: Any, document: Document, with_training: bool = True, *,
                 training: Any = None, build_panel: bool = True) -> None:
        self.qtbot = qtbot
        self.document = document
        self.training = training if training is not None else TrainingPanel(document) if with_training else None
        self.view = GraphView(document)
        self.panel: Any = None
        if build_panel:
            self.make_panel()
        # Not qtbot.addWidget: pytest-qt deletes those before fixtures end, and the jobs' answers
        # must still find their widgets while the fixture waits for them.

    def make_panel(self) -> InsightPanel:
        self.panel = InsightPanel(self.document, lambda: self.training, self.view.graph_scene)
        return self.panel

    def wait_for_dataset(self) -> None:
        assert self.training is not None
        self.qtbot.waitUntil(lambda: self.training.picker.dataset is not None, timeout=JOB_TIMEOUT_MS)

    def wait_idle(self) -> None:
        self.qtbot.waitUntil(lambda: not self.panel.busy, timeout=JOB_TIMEOUT_MS)


@pytest.fixture
def setups(qtbot):
    """Makes Setups; afterwards every job, load and training thread they started has ended."""
    made: list[Setup] = []
    before = set(threading.enumerate())

    def make(document: Document, with_training: bool = True, **kwargs: Any) -> Setup:
        setup = Setup(qtbot, document, with_training, **kwargs)
        made.append(setup)
        return setup

    yield make
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)
    for setup in made:
        if setup.panel is not None:
            setup.panel.shutdown()
            qtbot.waitUntil(lambda s=setup: not s.panel.busy, timeout=JOB_TIMEOUT_MS)
        if isinstance(setup.training, TrainingPanel):
            qtbot.waitUntil(lambda s=setup: not s.training.picker.loading, timeout=JOB_TIMEOUT_MS)
            setup.training.wait_for_jobs()
        for widget in (setup.panel, setup.view, setup.training):
            if widget is None:
                continue
            if hasattr(widget, "close"):
                widget.close()
            widget.deleteLater()

    def ours_ended() -> bool:
        return not [t for t in threading.enumerate()
                    if t not in before and t.name.startswith("layerforge-") and t.is_alive()]

    qtbot.waitUntil(ours_ended, timeout=30_000)


def tiny_cnn() -> Document:
    """Input 8x8x1 -> Conv2D(4, 3x3, relu, same) -> Flatten -> Dense(10, softmax), on the 8x8 digits."""
    doc = Document()
    doc.project.name = "tiny cnn"
    image = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 8, 8, 1]}, name="image")
    conv = doc.add_node("Conv2D", (0, 100), {"filters": 4, "kernel_size": [3, 3], "activation": "relu",
                                             "padding": "same"}, name="conv")
    flat = doc.add_node("Flatten", (0, 200), name="flat")
    out = doc.add_node("Dense", (0, 300), {"units": 10, "activation": "softmax"}, name="digit_class")
    doc.connect_nodes(image, conv)
    doc.connect_nodes(conv, flat)
    doc.connect_nodes(flat, out)
    doc.set_dataset({"name": "digits"})
    doc.revalidate()
    assert doc.analysis.valid, doc.analysis.problems
    return doc


def moons_mlp() -> Document:
    """Input (2,) -> Dense(8, relu) -> Dense(2, softmax), on moons."""
    doc = Document()
    doc.project.name = "moons mlp"
    point = doc.add_node("InputLayer", (0, 0), {"batch_shape": [None, 2]}, name="point")
    hidden = doc.add_node("Dense", (0, 100), {"units": 8, "activation": "relu"}, name="hidden")
    out = doc.add_node("Dense", (0, 200), {"units": 2, "activation": "softmax"}, name="side")
    doc.connect_nodes(point, hidden)
    doc.connect_nodes(hidden, out)
    doc.set_dataset({"name": "moons"})
    doc.set_training({"epochs": 2, "batch_size": 32})
    doc.revalidate()
    assert doc.analysis.valid, doc.analysis.problems
    return doc


# --- step-through ------------------------------------------------------------------------------------

def test_step_through_lenet_highlights_each_node_and_shows_its_activation(setups, qtbot) -> None:
    doc = open_copy(examples_dir() / "lenet_mnist.json")
    s = setups(doc)
    panel, scene = s.panel, s.view.graph_scene()
    s.wait_for_dataset()
    assert panel.model_source() == UNTRAINED and "untrained (random weights, seed 0)" in panel.source_label.text()
    order = doc.analysis.order
    shown: list[str] = []
    panel.node_shown.connect(shown.append)

    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready and bool(shown), timeout=JOB_TIMEOUT_MS)
    first = doc.graph.node(order[0])
    assert first.class_name == "InputLayer"
    assert shown == [order[0]] and panel.highlighted() == order[0] and scene.highlighted() == order[0]
    assert panel.activation_view.mode() == "input"  # the digit itself, as a picture
    assert panel.activation_view.image().shape == (28, 28, 3)
    assert panel.activation_view.activation.kind == "image"
    assert "label:" in panel.step_tab.sample_label.text() and not panel.step_tab.thumbnail.isHidden()
    assert panel.step_tab.sample_spin.maximum() == 499  # 10 % of the 5,000 digits are the test split

    # step on to the first convolution: one tile per filter (instant: no new job)
    conv = next(nid for nid in order if doc.graph.node(nid).class_name == "Conv2D")
    for _ in range(len(order) + 1):  # bounded: a wrong order fails here instead of hanging
        if panel.step_tab.current_node == conv:
            break
        panel.step()
        assert panel.step_tab.ready
    assert panel.step_tab.current_node == conv
    filters = doc.graph.node(conv).config["filters"]
    assert panel.activation_view.mode() == "image" and panel.activation_view.tile_count() == filters
    assert scene.highlighted() == conv and shown[-1] == conv
    assert f"{doc.graph.node(conv).name}" in panel.activation_view.caption()

    # the dense layers are bar charts, the last one sums to 1 (softmax)
    for _ in range(len(order) + 1):
        if panel.step_tab.current_node == order[-1]:
            break
        panel.step()
    assert panel.step_tab.current_node == order[-1]
    assert panel.activation_view.mode() == "bars" and panel.activation_view.bar_count() == 10
    assert float(np.sum(panel.activation_view.activation.value)) == pytest.approx(1.0, abs=1e-4)
    assert not panel.step_tab.step_button.isEnabled()

    panel.step_tab.back()
    assert panel.step_tab.current_node == order[-2] and scene.highlighted() == order[-2]

    # another sample: the same node, recomputed
    before = np.array(panel.activation_view.activation.value)
    panel.set_sample(7)
    qtbot.waitUntil(lambda: panel.step_tab.ready and panel.step_tab.current_node == order[-2]
                    and panel.activation_view.activation is not None, timeout=JOB_TIMEOUT_MS)
    assert not np.allclose(before, panel.activation_view.activation.value)

    panel.reset()
    assert panel.step_tab.index == -1 and panel.highlighted() is None and scene.highlighted() is None
    assert panel.activation_view.mode() == "message"

    with qtbot.waitSignal(panel.node_shown, timeout=5000) as played:
        panel.play()
    assert played.args == [order[0]] and panel.step_tab.playing
    panel.pause()
    assert not panel.step_tab.playing


def test_step_through_says_what_to_do_without_a_dataset(setups, qtbot) -> None:
    doc = open_copy(examples_dir() / "lenet_mnist.json")
    doc.project.dataset = None
    s = setups(doc, with_training=False)
    s.panel.step()
    assert s.panel.activation_view.mode() == "message"
    assert s.panel.activation_view.message_text() == NO_DATASET
    # no model: the source line says so (not "untrained"), and nothing was started
    assert s.panel.source_label.text() == f"Model: {NONE}" and s.panel.model_source() == NONE
    assert not s.panel.busy and s.panel.step_tab.material is None
    assert s.panel.highlighted() is None and s.view.graph_scene().highlighted() is None
    assert s.panel.boundary_problem() == NEEDS_BOUNDARY


# --- Grad-CAM and histograms ---------------------------------------------------------------------------

def test_gradcam_and_histograms_on_a_small_cnn(setups, qtbot) -> None:
    doc = tiny_cnn()
    s = setups(doc)
    panel = s.panel
    s.wait_for_dataset()
    tab = panel.gradcam_tab
    tab.set_sample(3)
    tab.compute()
    qtbot.waitUntil(lambda: panel.gradcam_view.overlay() is not None or bool(panel.gradcam_view.message_text()
                    .startswith(("The", "Grad"))), timeout=JOB_TIMEOUT_MS)
    assert panel.gradcam_view.overlay() is not None, panel.gradcam_view.message_text()
    assert panel.gradcam_view.overlay().shape == (8, 8, 3)
    assert tab.result.heatmap.shape == (8, 8) and tab.result.layer_name == "conv"
    assert len(panel.gradcam_view.top_lines()) == 3
    assert tab.class_combo.count() == 11 and tab.class_combo.itemText(0).startswith("predicted (")
    predicted = int(np.argmax(tab.result.probabilities))
    assert tab.result.class_index == predicted

    # a chosen class recomputes the map for that class
    other = (predicted + 1) % 10
    assert tab.set_class(other)
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.class_index == other, timeout=JOB_TIMEOUT_MS)
    assert f"Heat map for <b>{other}</b>" in panel.gradcam_view.top_label.text()

    # histograms: one list entry per layer, weights for those that have them
    panel.histogram_tab.compute()
    qtbot.waitUntil(lambda: panel.histogram_tab.computed == 1, timeout=JOB_TIMEOUT_MS)
    view = panel.histogram_view
    with_weights = [doc.graph.node(nid).name for nid in doc.analysis.order
                    if doc.analysis.nodes[nid].params > 0]
    assert with_weights == ["conv", "digit_class"]
    assert sorted(view.weight_layer_names()) == sorted(with_weights)
    assert view.layer_names() == ["conv", "flat", "digit_class"]
    assert view.select_layer("conv")
    weights, activations = view.shown_counts()
    assert int(weights.sum()) == 3 * 3 * 1 * 4  # every kernel value counted once
    samples = min(256, round(1797 * 0.1))  # the test split of the 1,797 digits has 180
    assert int(activations.sum()) == samples * 8 * 8 * 4  # every 8x8x4 activation of every test sample
    assert f"over {samples} test samples" in panel.histogram_tab.status_label.text()
    assert len(view.dead_lines()) == 1 and view.dead_lines()[0].startswith("conv: ")
    assert "of 4 units dead" in view.dead_lines()[0]
    assert "untrained" in panel.histogram_tab.status_label.text()


def test_gradcam_explains_why_a_dense_model_has_no_heat_map(setups, qtbot) -> None:
    s = setups(moons_mlp())
    s.wait_for_dataset()
    s.panel.gradcam_tab.compute()
    qtbot.waitUntil(lambda: bool(s.panel.gradcam_view.message_text())
                    and "Computing" not in s.panel.gradcam_view.message_text(), timeout=JOB_TIMEOUT_MS)
    assert s.panel.gradcam_view.overlay() is None
    assert "image models" in s.panel.gradcam_view.message_text()


# --- decision boundary ------------------------------------------------------------------------------------

def test_decision_boundary_on_show_and_live_while_training(setups, qtbot) -> None:
    doc = moons_mlp()
    s = setups(doc)
    panel, training = s.panel, s.training
    s.wait_for_dataset()
    assert panel.boundary_problem() is None
    panel.boundary_tab.compute()
    qtbot.waitUntil(lambda: panel.boundary_view.image_shape() is not None, timeout=JOB_TIMEOUT_MS)
    assert panel.boundary_view.image_shape() == (RESOLUTION, RESOLUTION)
    assert panel.boundary_view.point_count() == 280  # 70 % of the 400 points train
    assert "untrained" in panel.boundary_tab.status_label.text()
    untrained_image = panel.boundary_view.image().copy()
    # the histograms are in view: they follow the training run by themselves
    panel.show()
    qtbot.waitExposed(panel)
    panel.tabs.setCurrentWidget(panel.histogram_tab)
    qtbot.waitUntil(lambda: panel.histogram_tab.computed == 1, timeout=JOB_TIMEOUT_MS)
    assert UNTRAINED in panel.histogram_tab.status_label.text()

    # a real run: the probe computes grids on the training thread, the panel draws them
    frames: list[Any] = []
    training.probe_result.connect(frames.append)
    updates = panel.boundary_view.updates
    with qtbot.waitSignal(training.training_finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        training.start_training()
    result = finished.args[0]
    assert result.status == "finished", result.reason
    qtbot.waitUntil(lambda: panel.boundary_tab.live_frames >= 1, timeout=JOB_TIMEOUT_MS)
    live = [f for f in frames if isinstance(f, BoundaryFrame)]
    assert live and live[-1].grid.classes.shape == (RESOLUTION, RESOLUTION)
    assert panel.boundary_view.updates > updates
    assert panel.boundary_view.image_shape() == (RESOLUTION, RESOLUTION)
    assert not np.array_equal(panel.boundary_view.image(), untrained_image)
    qtbot.waitUntil(lambda: panel.histogram_tab.computed == 2, timeout=JOB_TIMEOUT_MS)
    assert TRAINED in panel.histogram_tab.status_label.text()

    # after the run the panel works on the trained model, until the model is edited
    assert panel.model_source() == TRAINED and TRAINED in panel.source_label.text()
    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready and panel.step_tab.current_node is not None,
                    timeout=JOB_TIMEOUT_MS)
    assert panel.step_tab.position_label.text().startswith("node 1 of 3")
    assert panel.step_tab.material.trained and panel.step_tab.material.model is result.model
    doc.set_param(doc.graph.node_by_name("hidden").id, "units", 6)
    doc.revalidate()
    assert panel.model_source() == UNTRAINED


def test_the_boundary_tab_says_what_it_needs(setups, qtbot) -> None:
    doc = tiny_cnn()
    s = setups(doc)
    s.wait_for_dataset()
    assert s.panel.boundary_problem() == NEEDS_BOUNDARY
    s.panel.boundary_tab.compute()
    assert s.panel.boundary_view.message_text() == NEEDS_BOUNDARY
    # a CNN gets no decision map: no model is built for one, and nothing is drawn
    assert not s.panel.busy and s.panel.boundary_view.image_shape() is None
    assert s.panel.boundary_view.updates == 0


# --- what must not happen -----------------------------------------------------------------------------

def watch_centring(monkeypatch: pytest.MonkeyPatch, s: Setup) -> list[str]:
    """The nodes the canvas view is asked to centre on, in order."""
    centred: list[str] = []
    original = s.view.center_on_node

    def center(node_id: str) -> None:
        centred.append(node_id)
        original(node_id)

    monkeypatch.setattr(s.view, "center_on_node", center)
    return centred


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the untrained models the insight panel builds (on its job threads)."""
    built: list[str] = []
    original = insight_engine.untrained_model

    def counted(graph: Any, name: str = "model", seed: int = 0) -> Any:
        built.append(name)
        return original(graph, name=name, seed=seed)

    monkeypatch.setattr(insight_engine, "untrained_model", counted)
    return built


def test_edits_during_a_walk_with_the_panel_hidden_start_nothing_and_leave_the_canvas(setups, qtbot,
                                                                                        monkeypatch) -> None:
    doc = tiny_cnn()
    s = setups(doc)
    panel, scene = s.panel, s.view.graph_scene()
    s.wait_for_dataset()
    centred = watch_centring(monkeypatch, s)
    builds = count_builds(monkeypatch)
    shown: list[str] = []
    panel.node_shown.connect(shown.append)
    order = doc.analysis.order
    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready and bool(shown), timeout=JOB_TIMEOUT_MS)
    panel.step()
    conv = order[1]
    assert panel.step_tab.current_node == conv and shown == order[:2] and centred == order[:2]
    assert builds == ["tiny_cnn"]

    # three edits of another node while the dock is hidden: no model, no forward pass, no jump
    out = doc.graph.node_by_name("digit_class").id
    for use_bias in (False, True, False):
        doc.set_param(out, "use_bias", use_bias)
        doc.revalidate()
    assert not panel.isVisible()
    assert not panel.busy and builds == ["tiny_cnn"]
    assert not panel.step_tab.ready and panel.step_tab.material is None
    assert centred == order[:2] and shown == order[:2]
    assert scene.highlighted() == conv and panel.step_tab.current_node == conv
    assert panel.source_label.text() == f"Model: {UNTRAINED}"

    # the next Step builds the edited model once and moves on from where the walk was
    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready, timeout=JOB_TIMEOUT_MS)
    assert panel.step_tab.current_node == order[2] and shown == order[:3] and centred == order[:3]
    assert builds == ["tiny_cnn", "tiny_cnn"]
    assert panel.step_tab.material.graph.node(out).config["use_bias"] is False


def test_edits_with_the_walk_in_view_build_only_the_newest_model_and_keep_the_view(setups, qtbot,
                                                                                    monkeypatch) -> None:
    doc = moons_mlp()
    s = setups(doc)
    panel, scene = s.panel, s.view.graph_scene()
    s.wait_for_dataset()
    panel.show()
    qtbot.waitExposed(panel)
    centred = watch_centring(monkeypatch, s)
    builds = count_builds(monkeypatch)
    order = doc.analysis.order
    hidden = doc.graph.node_by_name("hidden").id
    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready and panel.step_tab.current_node is not None, timeout=JOB_TIMEOUT_MS)
    panel.step()
    assert panel.step_tab.current_node == hidden == order[1] and centred == order[:2]

    # a burst of edits: the first starts a build, the rest wait for it and only the newest follows
    for units in (5, 6, 9):
        doc.set_param(hidden, "units", units)
        doc.revalidate()
    assert not panel.step_tab.ready
    qtbot.waitUntil(lambda: panel.step_tab.ready, timeout=JOB_TIMEOUT_MS)
    assert len(builds) == 3  # the first model, the first edit's, the newest: not one per edit
    assert panel.step_tab.material.graph.node(hidden).config["units"] == 9
    assert panel.step_tab.current_node == hidden and panel.activation_view.bar_count() == 9
    assert centred == order[:2] and scene.highlighted() == hidden  # recomputed in place: no jump


def test_a_double_step_skips_nothing_and_hiding_the_panel_lifts_the_highlight(setups, qtbot) -> None:
    doc = moons_mlp()
    s = setups(doc)
    panel, scene, tab = s.panel, s.view.graph_scene(), s.panel.step_tab
    s.wait_for_dataset()
    panel.show()
    qtbot.waitExposed(panel)
    shown: list[str] = []
    panel.node_shown.connect(shown.append)
    order = doc.analysis.order

    qtbot.mouseClick(tab.step_button, Qt.MouseButton.LeftButton)
    assert panel.busy and not tab.step_button.isEnabled() and not tab.back_button.isEnabled()
    qtbot.mouseClick(tab.step_button, Qt.MouseButton.LeftButton)  # a second click while it computes
    panel.step()  # and the window's Step action
    qtbot.waitUntil(lambda: tab.ready and bool(shown), timeout=JOB_TIMEOUT_MS)
    assert shown == [order[0]] and tab.current_node == order[0] and tab.index == 0
    assert tab.step_button.isEnabled()
    panel.step()
    assert scene.highlighted() == order[1]

    panel.hide()
    assert scene.highlighted() is None and panel.highlighted() == order[1]
    panel.show()
    qtbot.waitExposed(panel)
    assert scene.highlighted() == order[1] and tab.current_node == order[1]


def test_built_hidden_just_before_a_run_then_retrained_the_panel_shows_the_newest_model(setups, qtbot,
                                                                                       monkeypatch) -> None:
    doc = moons_mlp()
    doc.set_training({"epochs": 1})
    s = setups(doc, build_panel=False)
    training = s.training
    s.wait_for_dataset()
    builds = count_builds(monkeypatch)
    seen: dict[str, Any] = {}

    def started() -> None:  # after the panel's own slot
        if "label" not in seen:
            panel = s.panel
            seen["label"] = panel.source_label.text()
            panel.step()  # Step during the run: a hint, and no model is built
            seen["message"] = panel.activation_view.message_text()
            seen["busy"] = panel.busy

    def about_to_train() -> None:  # what the window does for a 2-input classifier
        if s.panel is None:
            panel = s.make_panel()
            seen["busy when built"] = panel.busy
            training.training_started.connect(started)

    training.about_to_train.connect(about_to_train)
    with qtbot.waitSignal(training.training_finished, timeout=TRAIN_TIMEOUT_MS) as first_run:
        training.start_training()  # starts at once, or as soon as the check before training is done
    first = first_run.args[0]
    assert first.ok, first.reason
    panel = s.panel
    assert seen == {"busy when built": False, "label": f"Model: {NONE}", "message": TRAINING, "busy": False}
    qtbot.waitUntil(lambda: panel.boundary_tab.live_frames >= 1, timeout=JOB_TIMEOUT_MS)  # the probe was on
    assert panel.source_label.text() == f"Model: {TRAINED}"
    got: list[Any] = []
    panel.request_material(lambda material, _message: got.append(material))
    assert got[-1].model is first.model

    with qtbot.waitSignal(training.training_finished, timeout=TRAIN_TIMEOUT_MS) as second_run:
        training.start_training()  # starts at once, or as soon as the check before training is done
    second = second_run.args[0]
    assert second.ok, second.reason
    panel.request_material(lambda material, _message: got.append(material))
    assert got[-1].model is second.model and got[-1].model is not first.model
    panel.reset()
    panel.step()
    qtbot.waitUntil(lambda: panel.step_tab.ready and panel.step_tab.current_node is not None, timeout=JOB_TIMEOUT_MS)
    assert panel.step_tab.material.model is second.model
    assert builds == []  # no untrained model at any time: before, during or after the runs


def test_gradcam_without_class_names_explains_the_class_chosen_by_number(setups, qtbot) -> None:
    doc = tiny_cnn()
    doc.set_training({"test_split": 0.0})  # no test split: the views use the validation samples
    digits = load_dataset({"name": "digits"}, None)
    s = setups(doc, training=FakeTraining(doc, dataclasses.replace(digits, class_names=None)))
    panel, tab = s.panel, s.panel.gradcam_tab
    tab.compute()
    qtbot.waitUntil(lambda: not panel.busy, timeout=JOB_TIMEOUT_MS)
    assert panel.gradcam_view.overlay() is not None, panel.gradcam_view.message_text()
    assert [tab.class_combo.itemData(i) for i in range(tab.class_combo.count())] == [None, *range(10)]
    assert [tab.class_combo.itemText(i) for i in range(1, 11)] == [str(i) for i in range(10)]
    predicted = int(np.argmax(tab.result.probabilities))
    assert tab.result.class_index == predicted

    other = (predicted + 3) % 10
    assert tab.set_class(other)
    qtbot.waitUntil(lambda: not panel.busy, timeout=JOB_TIMEOUT_MS)
    assert tab.result.class_index == other and tab.class_combo.currentData() == other
    assert tab.class_combo.count() == 11
    assert f"Heat map for <b>{other}</b>" in panel.gradcam_view.top_label.text()

    panel.histogram_tab.compute()
    qtbot.waitUntil(lambda: panel.histogram_tab.computed == 1, timeout=JOB_TIMEOUT_MS)
    assert "over 256 validation samples" in panel.histogram_tab.status_label.text()
