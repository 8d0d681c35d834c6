"""States that went stale or unexplained (issue 12, point 9), driven through real widgets.

A blank Grad-CAM map now says why and what to try, with a colour key beside every map; the
Summary's selected rows follow the canvas; the step-through's greying leaves the canvas when
its tab is left (and comes back with it); export dialogs start in the folder last used for
their kind, remembered in a temporary LAYERFORGE_HOME, never the user's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.insight.gradcam_view import GradCamView, is_empty_map
from app.gui.last_folder import last_folder, remember_folder
from tests.gui.test_insight_panel import JOB_TIMEOUT_MS, moons_mlp, setups  # noqa: F401 - the fixture

# --- Grad-CAM: a blank map is explained, every map has a colour key ---------------------------------------


def digit() -> np.ndarray:
    image = np.zeros((8, 8, 1), dtype=np.float32)
    image[2:6, 3:5, 0] = 1.0
    return image


def test_a_blank_heat_map_says_why_and_what_to_try(qtbot) -> None:
    view = GradCamView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.show_result(digit(), np.zeros((8, 8)), np.array([0.0, 1.0, 0.0]), ["zero", "one", "two"], 1, "conv")
    assert view.empty and view.color_bar.isHidden() and view.notice_label.isVisible()
    text = view.notice_text()
    assert "“one”" in text and "layer conv" in text and "gradient is zero" in text
    assert "another sample or another class" in text
    overlay = view.overlay()
    assert overlay is not None and np.array_equal(overlay[..., 0], overlay[..., 2]), \
        "the plain picture (grey), not a sheet of cold blue"
    assert "one" in view.top_label.text(), "the prediction is still listed"


def test_a_real_map_comes_with_a_colour_key_and_no_notice(qtbot) -> None:
    view = GradCamView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    heat = np.zeros((8, 8))
    heat[2:6, 3:5] = 1.0
    view.show_result(digit(), heat, np.array([0.1, 0.9]), None, 1, "conv")
    assert not view.empty and view.notice_text() == "" and view.notice_label.isHidden()
    assert view.color_bar.isVisible()
    low, high = view.color_bar.words()
    assert low.startswith("0") and high.endswith("1")
    strip = view.color_bar.strip
    cold, hot = strip.color_at(0.0), strip.color_at(1.0)
    assert cold.blue() > cold.red() and hot.red() > hot.blue(), "blue means little, red means most (jet)"
    view.show_message("Computing the heat map…")
    assert view.color_bar.isHidden() and view.notice_label.isHidden()


def test_is_empty_map() -> None:
    assert is_empty_map(np.zeros((4, 4))) and is_empty_map(np.full((4, 4), np.nan)) and is_empty_map(np.zeros(0))
    assert not is_empty_map(np.eye(4))


@pytest.mark.slow
def test_a_real_keras_model_with_dead_feature_maps_gets_the_explanation(qtbot) -> None:
    """Conv2D whose ReLU outputs are all zero: Grad-CAM's weighted sum is zero everywhere."""
    import keras

    from app.keras_bridge.insight import grad_cam

    inputs = keras.Input(shape=(8, 8, 1))
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="dead_conv",
                               kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(-1.0))(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(conv))
    model = keras.Model(inputs, outputs)
    cam = grad_cam(model, digit()[np.newaxis], 1)
    view = GradCamView()
    qtbot.addWidget(view)
    view.show_result(digit(), cam.heatmap, cam.probabilities, ["a", "b", "c"], cam.class_index, cam.layer_name)
    assert view.empty and "layer dead_conv" in view.notice_text() and "“b”" in view.notice_text()


# --- the step-through's greying goes with its tab ------------------------------------------------------------

def test_leaving_the_step_through_tab_lifts_the_greying_and_coming_back_restores_it(setups, qtbot) -> None:  # noqa: F811
    doc = moons_mlp()
    s = setups(doc)
    panel, scene, tab = s.panel, s.view.graph_scene(), s.panel.step_tab
    s.wait_for_dataset()
    panel.show()
    qtbot.waitExposed(panel)
    order = doc.analysis.order
    panel.step()
    qtbot.waitUntil(lambda: tab.ready and scene.highlighted() == order[0], timeout=JOB_TIMEOUT_MS)
    panel.step()
    assert scene.highlighted() == order[1]
    panel.play()
    assert tab.playing

    panel.tabs.setCurrentWidget(panel.gradcam_tab)
    assert scene.highlighted() is None, "the canvas is not left greyed under another tab"
    assert not tab.playing, "a walk nobody sees does not go on"
    panel.tabs.setCurrentWidget(panel.histogram_tab)
    assert scene.highlighted() is None

    panel.tabs.setCurrentWidget(tab)
    assert scene.highlighted() == tab.current_node, "back where the walk was"
    panel.tabs.setCurrentWidget(panel.boundary_tab)
    panel.hide()
    panel.show()
    qtbot.waitExposed(panel)
    assert scene.highlighted() is None, "shown again behind another tab: still no greying"
    panel.tabs.setCurrentWidget(tab)
    panel.reset()
    assert scene.highlighted() is None and panel.highlighted() is None
    panel.tabs.setCurrentWidget(panel.gradcam_tab)
    panel.tabs.setCurrentWidget(tab)
    assert scene.highlighted() is None, "after Reset nothing comes back"
    panel.tabs.setCurrentWidget(panel.gradcam_tab)
    panel.step()  # the window's Step action, from another tab
    assert panel.tabs.currentWidget() is tab and scene.highlighted() == order[0]


# --- in the window: the Insight dock tabbed behind Problems ------------------------------------------------

def test_tabbing_the_insight_dock_behind_problems_lifts_the_greying(window, qtbot) -> None:
    """Qt keeps a dock tabbed behind another "visible" (no hide event): the dock's own
    visibilityChanged has to take the greying off, and bring it back with the dock."""
    dock = window.teaching.insight_dock
    dock.show()
    dock.raise_()
    panel = window.teaching.insight
    scene = window.view.graph_scene()
    qtbot.waitUntil(panel.isVisible)
    try:
        panel.step()
        qtbot.waitUntil(lambda: scene.highlighted() is not None, timeout=JOB_TIMEOUT_MS)
        walked_to = scene.highlighted()
        window.problems_dock.raise_()
        qtbot.waitUntil(lambda: dock.visibleRegion().isEmpty())
        qtbot.waitUntil(lambda: scene.highlighted() is None)
        assert panel.highlighted() == walked_to, "the walk itself is kept"
        dock.raise_()
        qtbot.waitUntil(lambda: scene.highlighted() == walked_to)
    finally:
        panel.shutdown()
        qtbot.waitUntil(lambda: not panel.busy, timeout=JOB_TIMEOUT_MS)


# --- the Summary follows the canvas ------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, home: Path, monkeypatch: pytest.MonkeyPatch):
    from app.gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="": None)
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    win = MainWindow(open_copy(examples_dir() / "lenet_mnist.json"), autosave_directory=home / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_summary_selection_follows_the_canvas(window, qtbot) -> None:
    summary, view = window.summary, window.view
    graph = window.document.graph
    c1, f5 = graph.node_by_name("c1").id, graph.node_by_name("f5").id
    view.select_nodes([c1])  # while the Summary is still behind another tab
    window.summary_dock.show()
    window.summary_dock.raise_()
    qtbot.waitUntil(summary.isVisible)
    qtbot.waitUntil(lambda: summary.selected_node_ids() == [c1])
    assert summary.tree.currentItem().text(0).startswith("c1")

    view.select_nodes([f5])
    assert summary.selected_node_ids() == [f5]
    view.select_nodes([c1, f5])
    assert summary.selected_node_ids() == [c1, f5]
    view.select_nodes([])
    assert summary.selected_node_ids() == []

    activated: list[str] = []
    summary.node_activated.connect(activated.append)
    view.select_nodes([f5])
    assert activated == [], "following the canvas is not a click: nothing is sent back"
    window.document.set_param(f5, "units", 100)  # rows are refilled in place
    qtbot.waitUntil(lambda: any("100" in row[1] for row in summary.rows()))
    assert summary.selected_node_ids() == [f5]


# --- remembered folders ------------------------------------------------------------------------------------

def test_each_kind_of_dialog_remembers_its_own_folder(home: Path, tmp_path: Path) -> None:
    diagrams, models = tmp_path / "slides", tmp_path / "models"
    diagrams.mkdir()
    models.mkdir()
    fallback = tmp_path
    assert last_folder("diagram", fallback) == fallback, "nothing remembered: the fallback"
    assert last_folder("diagram") == Path.home()
    assert remember_folder("diagram", diagrams / "lenet.png") == diagrams.resolve(), "a file's folder"
    remember_folder("trained_model", models)
    assert last_folder("diagram", fallback) == diagrams.resolve()
    assert last_folder("trained_model", fallback) == models.resolve()
    assert (home / "config" / "folders.ini").is_file()
    diagrams.rmdir()
    assert last_folder("diagram", fallback) == fallback, "a folder that is gone is not offered"


def test_export_dialogs_start_where_the_last_file_of_their_kind_went(window, home: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Diagram and Keras exports each remember their own folder; the first time, the project's folder."""
    import app.gui.main_window as main_window

    starts: list[str] = []
    (tmp_path / "slides").mkdir()
    (tmp_path / "models").mkdir()
    answers = iter([str(tmp_path / "slides" / "lenet"), str(tmp_path / "models" / "lenet.keras"), "", ""])

    def dialog(parent: Any, title: str, start: str, filters: str) -> tuple[str, str]:
        starts.append(start)
        return next(answers), filters

    monkeypatch.setattr(main_window.QFileDialog, "getSaveFileName", staticmethod(dialog))
    first = window.ask_save_path("Export Diagram", ".png", "PNG images (*.png)", kind="diagram")
    assert first == tmp_path / "slides" / "lenet.png", "the suffix is added"
    window.ask_save_path("Export Keras Model", ".keras", "Keras models (*.keras)", kind="keras")
    default_folder = Path(starts[0]).parent
    assert Path(starts[1]).parent == default_folder, "a kind never used before starts where the project is"
    assert window.teaching.export_diagram(".svg") is False, "cancelled"
    assert Path(starts[2]).parent == (tmp_path / "slides").resolve(), "diagrams: the folder last used"
    assert window.ask_save_path("Export Keras Model", ".keras", "Keras models (*.keras)", kind="keras") is None
    assert Path(starts[3]).parent == (tmp_path / "models").resolve(), "Keras models: their own folder"

