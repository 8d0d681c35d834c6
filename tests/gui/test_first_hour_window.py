"""Issue 12 (the first hour): docks, remembered layout, reopening, autosave soon after an edit,
presenter mode. Real widgets driven with pytest-qt; settings live in a temporary folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox, QScrollArea, QTabBar

from app.core.project import dumps, load_project
from app.gui import app as gui_app
from app.gui import autosave
from app.gui.autosave import AUTOSAVE_DELAY_MS, AUTOSAVE_INTERVAL_MS
from app.gui.background import READY
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import RIGHT_DOCK_WIDTH, MainWindow
from app.gui.recent import RecentFiles

Button = QMessageBox.StandardButton
LENET = examples_dir() / "lenet_mnist.json"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Recent files, autosaves and window settings all go to a temporary folder."""
    folder = tmp_path / "home"
    monkeypatch.setenv("LAYERFORGE_HOME", str(folder))
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: Button.Discard)
    monkeypatch.setattr(MainWindow, "notify", lambda self, *args, **kwargs: None)
    return folder


def make_window(qtbot, path: Path = LENET, **kwargs) -> MainWindow:
    window = MainWindow(open_copy(path), **kwargs)
    qtbot.addWidget(window)
    window.resize(1360, 850)  # what a 1600x1000 screen gives
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: right_width(window) >= RIGHT_DOCK_WIDTH - 2)  # the first show's dock layout applied
    return window


def right_width(window: MainWindow) -> int:
    """The right dock area's width (its tab bar spans it; a tab behind others keeps an old size)."""
    bar = window.dock_tab_bar(window.inspector_dock)
    return bar.width() if bar is not None else 0


# --- 5. autosave a few seconds after the last edit ---------------------------------------------

def test_autosave_follows_the_last_edit_off_the_gui_thread(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    assert AUTOSAVE_DELAY_MS <= 5000 and AUTOSAVE_INTERVAL_MS == 60_000  # the minute timer stays as a backstop
    writers: list[str] = []
    real_write = autosave.write_text_atomic

    def recording_write(path: Path, text: str) -> None:
        writers.append(threading.current_thread().name)
        real_write(path, text)

    monkeypatch.setattr(autosave, "write_text_atomic", recording_write)
    window = make_window(qtbot)
    saver = window.autosaver
    assert saver.timer.interval() == AUTOSAVE_INTERVAL_MS and saver.timer.isActive()
    saver.debounce.setInterval(300)
    document = window.document
    dense = document.graph.node_by_name("f5").id
    document.set_param(dense, "units", 100)
    qtbot.waitUntil(saver.debounce.isActive, timeout=2000)
    document.set_param(dense, "units", 90)  # a second edit restarts the wait: one write, of the last state
    with qtbot.waitSignal(saver.saved, timeout=3000):
        pass
    assert dumps(load_project(saver.project_file)) == dumps(document.project)
    assert writers and all(name.startswith("layerforge-autosave") for name in writers)
    assert threading.current_thread().name not in writers
    assert len(writers) == 2  # the project file and its marker, once



def test_a_save_right_after_a_queued_autosave_leaves_nothing_to_recover(qtbot, home: Path) -> None:
    window = make_window(qtbot)
    saver = window.autosaver
    document = window.document
    document.set_param(document.graph.node_by_name("f5").id, "units", 100)
    assert saver.write_soon()  # queued for the writer thread ...
    document.save(home / "saved.json")  # ... and the user saves at once
    saver.wait()
    assert not saver.project_file.exists() and not saver.marker_file.exists()


# --- 4. docks ----------------------------------------------------------------------------------

def in_front(dock: QDockWidget) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def select_by_click(qtbot, window: MainWindow, name: str) -> str:
    """Click a card the way a user does (on the card, away from its ports and "?")."""
    view = window.view
    node = window.document.graph.node_by_name(name).id
    view.center_on_node(node)
    item = view.scene_node_item(node)
    card = item.mapRectToScene(item.card_rect())
    point = view.mapFromScene(QPointF(card.left() + card.width() * 0.3, card.center().y()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: view.selected_node_ids() == [node])
    return node


def test_selecting_a_node_brings_the_inspector_to_the_front(qtbot) -> None:
    window = make_window(qtbot)
    teaching = window.teaching
    qtbot.waitUntil(lambda: in_front(teaching.lesson_dock))  # an example opens on its lesson
    select_by_click(qtbot, window, "c1")
    qtbot.waitUntil(lambda: in_front(window.inspector_dock))
    assert window.inspector.node_id == window.document.graph.node_by_name("c1").id
    teaching.explain_node(window.document.graph.node_by_name("c3").id)  # the "?" brings Help ...
    qtbot.waitUntil(lambda: in_front(teaching.help_dock))
    select_by_click(qtbot, window, "f5")  # ... and the next selection the Inspector again
    qtbot.waitUntil(lambda: in_front(window.inspector_dock))
    window.inspector_dock.close()  # closed by the user: selecting does not reopen it
    select_by_click(qtbot, window, "c1")
    assert not window.inspector_dock.isVisible()


def visible_tab_bars(window: MainWindow) -> list[QTabBar]:
    return [bar for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if bar.isVisible() and bar.count()]


def test_dock_tabs_show_whole_titles_at_the_default_size(qtbot) -> None:
    window = make_window(qtbot)
    expected = sorted(["Inspector", "Training", "Help", "Lesson", "Problems", "Summary", "Insight", "Undo History",
                       "Experiments"])
    qtbot.waitUntil(lambda: sorted(bar.tabText(i) for bar in visible_tab_bars(window)
                                   for i in range(bar.count())) == expected)
    bars = visible_tab_bars(window)
    for bar in bars:
        assert bar.elideMode() == Qt.TextElideMode.ElideNone
        for i in range(bar.count()):
            rect = bar.tabRect(i)
            assert rect.right() <= bar.width(), bar.tabText(i)  # every tab on screen: no scrolling needed
            assert rect.width() >= bar.fontMetrics().horizontalAdvance(bar.tabText(i)), bar.tabText(i)


def test_the_conv2d_inspector_fits_its_panel(qtbot) -> None:
    window = make_window(qtbot)
    select_by_click(qtbot, window, "c1")
    inspector = window.inspector
    kernel = inspector.editor("kernel_size")
    qtbot.waitUntil(lambda: kernel.isVisible())
    (scroll,) = [s for s in inspector.findChildren(QScrollArea) if s.widget() is not None]
    qtbot.waitUntil(lambda: not scroll.horizontalScrollBar().isVisible())
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    for spin in kernel.spins:  # both kernel fields whole on screen
        shown = spin.visibleRegion().boundingRect()
        assert shown.width() == spin.width() and spin.width() >= 40


def test_dtype_reads_and_types_without_quotes(qtbot) -> None:
    window = make_window(qtbot)
    node = select_by_click(qtbot, window, "c1")
    dtype = window.inspector.editor("dtype")
    assert dtype.line.text() == "float32"
    dtype.line.setText("float16")
    dtype.line.editingFinished.emit()
    assert window.document.graph.node(node).config["dtype"] == "float16"
    dtype.line.setText("float64")
    dtype.line.editingFinished.emit()
    assert window.document.graph.node(node).config["dtype"] == "float64"
    assert dtype.line.text() == "float64"


def test_the_right_dock_keeps_its_width_when_training_opens(qtbot) -> None:
    window = make_window(qtbot)
    before = right_width(window)
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: window._training_panel is not None, timeout=10000)
    qtbot.waitUntil(lambda: in_front(window.training_dock))
    QApplication.processEvents()
    assert window.training_dock.width() == before == right_width(window)
    assert window.training.minimumSizeHint().width() <= before  # it fits: nothing had to give way
    window.show_training()  # F5's path as well
    QApplication.processEvents()
    assert window.training_dock.width() == before


def test_the_step_button_stays_put_after_the_first_step(qtbot) -> None:
    window = make_window(qtbot)
    panel = window.teaching.show_insight()
    tab = panel.step_tab
    qtbot.waitUntil(lambda: tab.step_button.isVisible() and window.teaching.insight_dock.height() > 250)
    QApplication.processEvents()
    where = tab.step_button.mapTo(window, QPoint(0, 0))
    # What the first Step shows: the sample's picture and a description over two lines.
    tab.thumbnail.setPixmap(QPixmap(tab.thumbnail.size()))
    tab.thumbnail.show()
    tab.sample_label.setText("a long description of the sample<br><b>label: 4</b> (test sample 0 of 500)")
    QApplication.processEvents()
    assert tab.step_button.mapTo(window, QPoint(0, 0)) == where


def dock_layout(window: MainWindow) -> dict[str, QRect | None]:
    """Every open dock: where it is when in front, None when it is a tab behind another."""
    return {dock.objectName(): dock.geometry() if in_front(dock) else None
            for dock in window.findChildren(QDockWidget) if dock.toggleViewAction().isChecked()}


def test_layout_is_the_same_after_presenter_mode(qtbot) -> None:
    window = make_window(qtbot)
    window.teaching.show_insight()  # its views are tall: the bottom docks must not keep their height
    window.problems_dock.raise_()
    QApplication.processEvents()
    before = dock_layout(window)
    bottom = window.problems_dock.height()
    window.teaching.set_presenter(True)
    qtbot.waitUntil(lambda: window.view.zoom() >= 1.0)
    window.teaching.set_presenter(False)
    qtbot.waitUntil(lambda: dock_layout(window) == before)
    assert window.problems_dock.height() == bottom


# --- 4. remembered between runs ---------------------------------------------------------------

def test_geometry_and_docks_are_remembered_between_runs(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    first = make_window(qtbot, settings=settings)
    first.resize(790, 700)  # (the offscreen test screen is 800x800; a restored window is kept on it)
    first.resizeDocks([first.palette_dock], [200], Qt.Orientation.Horizontal)
    first.teaching.help_dock.raise_()
    first.summary_dock.raise_()
    qtbot.waitUntil(lambda: in_front(first.teaching.help_dock) and in_front(first.summary_dock))
    qtbot.waitUntil(lambda: first.palette_dock.width() == 200)
    assert first.close()
    assert settings.value("window/state") is not None

    again = MainWindow(open_copy(LENET), settings=QSettings(str(tmp_path / "window.ini"),
                                                            QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.size() == QSize(790, 700)
    again.show()
    qtbot.waitExposed(again)
    qtbot.waitUntil(lambda: in_front(again.teaching.help_dock) and in_front(again.summary_dock))
    qtbot.waitUntil(lambda: again.palette_dock.width() == 200)


def test_a_window_without_settings_leaves_none(qtbot, home: Path) -> None:
    window = make_window(qtbot)
    assert window.settings is None
    assert window.close()
    assert not (home / "config" / "window.ini").exists()


def test_the_app_reopens_the_last_project(qtbot, home: Path, tmp_path: Path) -> None:
    project = tmp_path / "my_lenet.json"
    project.write_bytes(LENET.read_bytes())
    other = tmp_path / "older.json"
    other.write_bytes((examples_dir() / "mlp_tabular.json").read_bytes())
    recent = RecentFiles()
    recent.add(other)
    recent.add(project)
    (window,) = gui_app.open_windows(None)
    try:
        assert window.document.path == project
        assert window.settings is not None  # the app's windows remember their layout
        assert Path(window.settings.fileName()).parent == home / "config"
    finally:
        window.close()
    project.unlink()
    other.unlink()
    (window,) = gui_app.open_windows(None)  # nothing to reopen: the default example, as on a first start
    try:
        assert window.document.path is None and window.document.project.name == "MLP tabular classifier"
    finally:
        window.close()


# --- 7. presenter mode -------------------------------------------------------------------------

def test_presenter_mode_is_for_showing_a_lesson(qtbot) -> None:
    window = make_window(qtbot)
    teaching = window.teaching
    view = window.view
    teaching.set_presenter(True)
    qtbot.waitUntil(lambda: view.zoom() >= 1.0)
    assert not window.palette_dock.isVisible()
    assert in_front(teaching.insight_dock) and teaching.help_dock.isVisible()
    assert not any(dock.isVisible() for dock in window.clutter_docks())
    for item in view.graph_scene().nodes.values():  # "AveragePooling2D", never "AveragePo…"
        assert item._title_text == item.type_text and "…" not in item._title_text
    view.fit_all()  # F keeps the large scale ...
    assert view.zoom() >= 1.0
    window.zoom_out_action.trigger()  # ... and so does zooming out
    window.zoom_out_action.trigger()
    assert view.zoom() >= 1.0
    window.zoom_in_action.trigger()
    assert view.zoom() > 1.0
    window._backend_state(READY, "TensorFlow 2")  # TensorFlow finishing its import during the lesson
    assert not window.backend_label.isVisible()  # no status chatter on the projector
    teaching.set_presenter(False)
    assert window.backend_label.isVisible() and window.backend_label.text() == "TensorFlow ready"
    view.set_zoom(0.3)  # back to normal: the whole range again
    assert view.zoom() == pytest.approx(0.3)


def test_presenter_mode_keeps_the_conv2d_inspector_and_tabs_whole(qtbot) -> None:
    window = make_window(qtbot)
    select_by_click(qtbot, window, "c1")
    window.teaching.set_presenter(True)
    qtbot.waitUntil(lambda: window.view.zoom() >= 1.0)
    (scroll,) = [s for s in window.inspector.findChildren(QScrollArea) if s.widget() is not None]
    qtbot.waitUntil(lambda: in_front(window.inspector_dock) and not scroll.horizontalScrollBar().isVisible())
    bar = window.dock_tab_bar(window.inspector_dock)
    assert bar is not None and bar.tabRect(bar.count() - 1).right() <= bar.width()  # larger titles, still whole
    window.teaching.set_presenter(False)


def test_insight_opens_with_room_once_and_never_pins_the_bottom_docks(qtbot) -> None:
    window = make_window(qtbot)
    bottom = window.problems_dock.height()
    window.teaching.insight_dock.raise_()  # the user clicks the Insight tab
    qtbot.waitUntil(lambda: window.teaching._insight is not None and window.teaching.insight_dock.height() > bottom)
    grown = window.teaching.insight_dock.height()
    window.resizeDocks([window.teaching.insight_dock], [bottom], Qt.Orientation.Vertical)  # the user drags it back
    qtbot.waitUntil(lambda: window.teaching.insight_dock.height() <= bottom)  # its views scroll: nothing resists
    small = window.teaching.insight_dock.height()
    window.problems_dock.raise_()
    window.teaching.insight_dock.raise_()
    QApplication.processEvents()
    assert window.teaching.insight_dock.height() == small < grown  # the user's size is kept
