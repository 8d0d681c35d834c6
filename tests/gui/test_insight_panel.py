"""The Insight panel driven as a user would, with real Keras models and bundled datasets.

Step-through on the LeNet example (untrained, MNIST digits), Grad-CAM and histograms on a
tiny CNN over the 8x8 digits, and the decision boundary of a 2-input MLP on moons: on Show,
and live while a real (2-epoch) training run goes.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from app.gui.document import Document
from app.gui.editor.view import GraphView
from app.gui.gallery import examples_dir, open_copy
from app.gui.insight import InsightPanel
from app.gui.insight.material import NO_DATASET, TRAINED, UNTRAINED
from app.gui.insight.tabs import NEEDS_BOUNDARY, RESOLUTION, BoundaryFrame
from app.gui.training.panel import TrainingPanel
from app.gui.training.worker import running_count

JOB_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_MS = 90_000


class Setup:
    """A document with its canvas, training panel and insight panel."""

    def __init__(self, qtbot: Any, document: Document, with_training: bool = True) -> None:
        self.qtbot = qtbot
        self.document = document
        self.training = TrainingPanel(document) if with_training else None
        self.view = GraphView(document)
        self.panel = InsightPanel(document, lambda: self.training, self.view.graph_scene)
        # Not qtbot.addWidget: pytest-qt deletes those before fixtures end, and the jobs' answers
        # must still find their widgets while the fixture waits for them.

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

    def make(document: Document, with_training: bool = True) -> Setup:
        setup = Setup(qtbot, document, with_training)
        made.append(setup)
        return setup

    yield make
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)
    for setup in made:
        setup.panel.shutdown()
        qtbot.waitUntil(lambda s=setup: not s.panel.busy, timeout=JOB_TIMEOUT_MS)
        if setup.training is not None:
            qtbot.waitUntil(lambda s=setup: not s.training.picker.loading, timeout=JOB_TIMEOUT_MS)
            setup.training.wait_for_jobs()
        for widget in (setup.panel, setup.view, setup.training):
            if widget is not None:
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
    doc.connect(image, conv)
    doc.connect(conv, flat)
    doc.connect(flat, out)
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
    doc.connect(point, hidden)
    doc.connect(hidden, out)
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
    while panel.step_tab.current_node != conv:
        panel.step()
        assert panel.step_tab.ready
    filters = doc.graph.node(conv).config["filters"]
    assert panel.activation_view.mode() == "image" and panel.activation_view.tile_count() == filters
    assert scene.highlighted() == conv and shown[-1] == conv
    assert f"{doc.graph.node(conv).name}" in panel.activation_view.caption()

    # the dense layers are bar charts, the last one sums to 1 (softmax)
    while panel.step_tab.current_node != order[-1]:
        panel.step()
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
    assert "Training panel's Data tab" in NO_DATASET
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
    assert "moons, circles, xor or spirals" in NEEDS_BOUNDARY
