"""Issue 12 (the first hour): docks, remembered layout, reopening, autosave soon after an edit,
presenter mode. Real widgets driven with pytest-qt; settings live in a temporary folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.project import dumps, load_project
from app.gui import autosave
from app.gui.autosave import AUTOSAVE_DELAY_MS, AUTOSAVE_INTERVAL_MS
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow

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
    return window


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
