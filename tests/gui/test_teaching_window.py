"""The teaching tools as the window wires them: help from the canvas and the palette, lessons,
cost badges, presenter mode and diagram export, driven through real clicks and actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow
from app.gui.teaching import PRESENTER_SHORTCUT

LENET = examples_dir() / "lenet_mnist.json"


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    messages: list[str] = []
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="":
                        messages.append(f"{title}: {text} {details}"))
    win = MainWindow(open_copy(LENET), autosave_directory=tmp_path / "autosave")
    win.messages = messages  # type: ignore[attr-defined]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def node_id(window: MainWindow, name: str) -> str:
    return next(n.id for n in window.document.graph.nodes() if n.name == name)


def click_help_button(window: MainWindow, qtbot, node: str) -> None:
    view = window.view
    item = view.scene_node_item(node)
    view.center_on_node(node)
    button = item.help
    centre = view.mapFromScene(button.mapToScene(button.boundingRect().center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_the_question_mark_on_a_node_opens_its_help_with_this_nodes_numbers(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    c1 = node_id(window, "c1")
    click_help_button(window, qtbot, c1)
    qtbot.waitUntil(lambda: teaching.help.title().startswith("c1"))
    assert teaching.help_dock.isVisible()
    text = teaching.help.text()
    assert "6 filters" in text and "156 parameters" in text  # 6 x (5x5x1 + 1)


def test_f1_explains_the_selected_layer_and_says_what_to_do_without_one(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    window.view.select_nodes([node_id(window, "f5")])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: teaching.help.title().startswith("f5"))
    assert "48,120" in teaching.help.text() or "48120" in teaching.help.text()
    window.view.select_nodes([])
    teaching.explain_action.trigger()
    assert "Select one layer" in window.statusBar().currentMessage()


def test_the_question_mark_in_the_palette_explains_the_layer_without_adding_it(window: MainWindow, qtbot) -> None:
    before = len(window.document.graph)
    window.palette_panel.tree.scrollToItem(window.palette_panel.item_for("LSTM"))
    rect = window.palette_panel.help_rect("LSTM")
    qtbot.mouseClick(window.palette_panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.teaching.help.class_name() == "LSTM")
    assert window.teaching.help_dock.isVisible()
    assert len(window.document.graph) == before
    assert "Add it to the canvas" in window.teaching.help.text()


def test_an_example_opens_with_its_lesson(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    assert teaching.lesson.has_lesson() and "LeNet" in teaching.lesson.title()
    assert window.open_example(examples_dir() / "text_lstm.json")
    project = window.document.project
    assert teaching.lesson.title() == project.name
    assert project.description.split()[0] in teaching.lesson.text()
    assert teaching.lesson_dock.isVisible()
    assert "From the example: text_lstm.json" in teaching.lesson.source_label.text().replace("<b>", "").replace(
        "</b>", "")
    window.new_document()
    assert not teaching.lesson.has_lesson() and teaching.lesson.source_label.isHidden()


def test_a_saved_project_of_ones_own_has_a_lesson_but_no_example_line(window: MainWindow, tmp_path: Path) -> None:
    window.document.project.description = "My own notes on this model."
    path = tmp_path / "mine.json"
    assert window._save_to(path)
    assert window.open_path(path)
    lesson = window.teaching.lesson
    assert lesson.has_lesson() and "My own notes" in lesson.text()
    assert lesson.source_label.isHidden()


def test_cost_badges_follow_the_view_menu(window: MainWindow) -> None:
    teaching = window.teaching
    scene = window.view.graph_scene()
    assert scene.badges() == frozenset()
    teaching.badge_actions["flops"].trigger()
    teaching.badge_actions["memory"].trigger()
    assert scene.badges() == frozenset({"flops", "memory"})
    chips = window.view.scene_node_item(node_id(window, "c1")).chip_texts
    assert "235.2 KFLOPs" in chips and "18.4 KB" in chips  # 28x28x6 outputs x 25 MACs x 2; 4704 floats
    window.open_example(examples_dir() / "mlp_tabular.json")
    assert window.view.graph_scene().badges() == frozenset({"flops", "memory"})  # the new canvas keeps them


def test_presenter_mode_enlarges_hides_clutter_and_restores_exactly(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    assert window.teaching.presenter_action.shortcut() == QKeySequence(PRESENTER_SHORTCUT)
    assert teaching.presenter_action in window.view_menu.actions()
    visible_before = {dock.objectName(): dock.isVisible() for dock in window.clutter_docks()}
    font_before = window.font().pointSizeF()
    zoom_before = window.view.zoom()
    teaching.presenter_action.trigger()
    qtbot.waitUntil(lambda: window.view.zoom() >= 1.0)  # readable cards, not a zoomed-out overview
    assert teaching.presenter and window.view.graph_scene().presenter()
    assert window.font().pointSizeF() > font_before * 1.3
    assert not any(dock.isVisible() for dock in window.clutter_docks())
    assert not window.palette_dock.isVisible()  # issue 12.7: the class watches; the palette is hidden
    assert window.teaching.insight_dock.isVisible() and window.teaching.help_dock.isVisible()
    teaching.presenter_action.trigger()
    assert not teaching.presenter and not window.view.graph_scene().presenter()
    assert window.font().pointSizeF() == font_before
    assert window.view.zoom() == pytest.approx(zoom_before)
    qtbot.waitUntil(lambda: {d.objectName(): d.isVisible() for d in window.clutter_docks()} == visible_before)


def test_the_diagram_exports_to_png_and_svg(window: MainWindow, tmp_path: Path) -> None:
    teaching = window.teaching
    png, svg = tmp_path / "lenet.png", tmp_path / "lenet.svg"
    assert teaching.export_diagram(".png", png)
    image = QImage(str(png))
    assert image.width() > 200 and image.height() > 200
    assert teaching.export_diagram(".svg", svg)
    assert "digit_class" in svg.read_text(encoding="utf-8")
    assert teaching.export_png_action in window.export_menu.actions()
    assert not teaching.export_diagram(".png", tmp_path / "missing" / "x.png")
    assert window.messages and "missing" in window.messages[-1]  # type: ignore[attr-defined]


def test_help_follows_edits_of_the_shown_node(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    c1 = node_id(window, "c1")
    teaching.explain_node(c1)
    window.document.set_param(c1, "filters", 8)
    qtbot.waitUntil(lambda: "208 parameters" in teaching.help.text())  # 8 x (5x5x1 + 1)


def test_the_insight_dock_is_built_on_first_use_and_follows_the_document(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    assert teaching._insight is None  # start-up does not pay for the insight views
    panel = teaching.show_insight()
    assert teaching.insight_dock.widget().widget() is panel and panel.tabs.count() == 4  # in a scroll area
    assert panel.document is window.document
    window.open_example(examples_dir() / "mlp_tabular.json")
    assert panel.document is window.document
    panel.reset()
    assert window.view.graph_scene().highlighted() is None


def in_front(window: MainWindow) -> dict[str, bool]:
    docks = [*window.clutter_docks(), window.teaching.insight_dock]
    return {d.objectName(): d.isVisible() and not d.visibleRegion().isEmpty() for d in docks}


def test_presenter_mode_shows_the_insight_dock_and_puts_the_tabs_back(window: MainWindow, qtbot) -> None:
    teaching = window.teaching
    before = in_front(window)
    assert before["dock_problems"] and not before["dock_insight"]
    teaching.set_presenter(True)
    qtbot.waitUntil(lambda: in_front(window)["dock_insight"])  # issue 12.7: the teaching tools stay in view
    assert not window.problems_dock.isVisible()
    teaching.set_presenter(False)
    qtbot.waitUntil(lambda: in_front(window) == before)

    teaching.show_insight()
    qtbot.waitUntil(lambda: in_front(window)["dock_insight"])
    teaching.set_presenter(True)
    assert teaching.insight_dock.isVisible() and not window.problems_dock.isVisible()
    teaching.set_presenter(False)
    qtbot.waitUntil(lambda: in_front(window)["dock_insight"] and window.problems_dock.isVisible())


def test_the_decision_boundary_is_live_even_if_the_insight_dock_was_never_opened(qtbot, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    document = open_copy(examples_dir() / "moons_boundary.json")
    document.project.training["epochs"] = 3
    win = MainWindow(document, autosave_directory=tmp_path / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    panel = win.training
    qtbot.waitUntil(panel.can_train, timeout=60_000)
    assert win.teaching._insight is None
    frames: list[object] = []
    panel.probe_result.connect(frames.append)
    with qtbot.waitSignal(panel.training_finished, timeout=120_000) as blocker:
        assert win.start_training()
    assert blocker.args[0].ok, blocker.args[0].reason
    insight = win.teaching._insight
    assert insight is not None  # built just before the run, so the run carried its probe
    assert len([f for f in frames if f is not None]) >= 3  # the start, and after each epoch at least
    assert insight.boundary_tab.live_frames >= 3
