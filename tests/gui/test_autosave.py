"""Never lose work: autosave while dirty, recovery after a real crash, the recent list, the error hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.project import dumps, load_project
from app.gui import app as gui_app
from app.gui import autosave
from app.gui.autosave import Autosaver, autosave_dir, find_orphans
from app.gui.document import Document
from app.gui.gallery import examples_dir, open_copy
from app.gui.main_window import MainWindow
from app.gui.recent import MAX_RECENT, RecentFiles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = examples_dir() / "mlp_tabular.json"
Button = QMessageBox.StandardButton


pytestmark = pytest.mark.usefixtures("home")  # LAYERFORGE_HOME in a temporary folder (tests/gui/conftest.py)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Windows discard on close; message boxes are recorded instead of shown."""
    said: list[str] = []
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: Button.Discard)
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="": said.append(text))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _parent, _title, text, *a: said.append(text)))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _parent, _title, text, *a: said.append(text)))
    yield said
    for window in gui_app.windows():
        window.close()


def markers() -> list[Path]:
    folder = autosave_dir()
    return sorted(folder.glob(f"*{autosave.MARKER_SUFFIX}")) if folder.is_dir() else []


def test_timer_writes_only_while_dirty(qtbot) -> None:
    doc = Document(load_project(EXAMPLE))
    saver = Autosaver(doc, interval_ms=20)
    with qtbot.waitSignal(saver.timer.timeout, timeout=2000):
        pass
    assert markers() == [] and not saver.project_file.exists()  # clean: nothing to protect

    dense = doc.graph.node_by_name("hidden_1").id
    doc.set_param(dense, "units", 20)
    with qtbot.waitSignal(saver.saved, timeout=2000):
        pass
    assert dumps(load_project(saver.project_file)) == dumps(doc.project)
    marker = json.loads(saver.marker_file.read_text(encoding="utf-8"))
    assert marker["original"] == str(EXAMPLE) and marker["name"] == doc.project.name
    assert doc.path == EXAMPLE  # autosaving never re-homes the project

    doc.undo_stack.undo()  # back to the saved state: the autosave is no longer needed
    assert not saver.project_file.exists() and markers() == []
    doc.undo_stack.redo()
    assert saver.write()
    doc.save(Path(os.environ["LAYERFORGE_HOME"]) / "saved.json")
    assert markers() == []
    saver.shutdown()


def test_window_autosaves_and_clean_close_leaves_nothing(qtbot, quiet: list[str]) -> None:
    window = MainWindow(open_copy(EXAMPLE), autosave_interval_ms=20)
    qtbot.addWidget(window)
    window.palette_panel.add_requested.emit("Dropout")
    with qtbot.waitSignal(window.autosaver.saved, timeout=2000):
        pass
    assert len(markers()) == 1
    assert window.close()
    assert markers() == []


def test_a_live_windows_autosave_is_not_offered(qtbot) -> None:
    doc = Document(load_project(EXAMPLE))
    doc.undo_stack.resetClean()
    saver = Autosaver(doc)
    assert saver.write()
    assert find_orphans() == []  # its lock is held: it belongs to a running window
    saver.shutdown()


CRASH = r"""
import os, sys
from PySide6.QtWidgets import QApplication
qapp = QApplication([])
from app.core.project import dumps
from app.gui.document import Document
from app.gui.main_window import MainWindow
doc = Document.open(sys.argv[1])
window = MainWindow(doc)
doc.set_param(doc.graph.node_by_name("hidden_1").id, "units", 24)
doc.add_node("Dropout", (40.0, 620.0))
assert window.autosaver.write()
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    fh.write(dumps(doc.project))
os._exit(3)  # a crash: no close event, no clean-up, the lock file stays behind
"""


def test_recovery_after_a_crash_restores_the_identical_project(tmp_path: Path, home: Path, quiet: list[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    original = tmp_path / "iris.json"
    original.write_bytes(EXAMPLE.read_bytes())
    expected_file = tmp_path / "expected.json"
    env = {**os.environ, "LAYERFORGE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CRASH, str(original), str(expected_file)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert len(markers()) == 1
    expected = expected_file.read_text(encoding="utf-8")

    offered: list[list[autosave.Orphan]] = []
    monkeypatch.setattr(autosave, "ask_recovery", lambda _parent, orphans: offered.append(orphans) or "recover")
    opened = gui_app.open_windows(None)

    assert len(offered) == 1 and len(offered[0]) == 1
    assert "iris.json" in offered[0][0].describe()
    (window,) = opened
    doc = window.document
    assert dumps(doc.project) == expected
    assert doc.path == original and doc.dirty
    assert window.windowTitle().startswith("iris.json *")
    assert load_project(original).graph.node_by_name("hidden_1").config["units"] == 16  # untouched until saved
    # The work now sits in the new window's slot; the crashed one is gone.
    assert [m.name for m in markers()] == [window.autosaver.marker_file.name]
    assert find_orphans() == []
    window.save_action.trigger()
    assert dumps(load_project(original)) == expected
    assert markers() == []


def leave_orphan(name: str) -> Document:
    """An autosave as a crashed process leaves it (its lock released as the OS does for a dead PID)."""
    project = load_project(EXAMPLE)
    project.name = name
    project.path = None
    doc = Document(project)
    doc.undo_stack.resetClean()
    saver = Autosaver(doc)
    assert saver.write()
    saver.timer.stop()
    saver._lock.unlock()
    return doc


def test_decide_later_keeps_the_work_and_discard_removes_it(qtbot, quiet: list[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    leave_orphan("first")
    answers = ["later", "discard"]
    monkeypatch.setattr(autosave, "ask_recovery", lambda _parent, _orphans: answers.pop(0))
    (window,) = gui_app.open_windows(None)  # "later": the default example opens, the autosave stays
    assert window.document.project.name == "MLP tabular classifier"
    assert [o.name for o in find_orphans_released()] == ["first"]
    window.close()
    (window,) = gui_app.open_windows(None)  # "discard"
    assert find_orphans_released() == []
    window.close()


def find_orphans_released() -> list[autosave.Orphan]:
    orphans = find_orphans()
    for orphan in orphans:
        orphan.release()
    return orphans


def test_several_orphans_each_get_a_window(qtbot, quiet: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    leave_orphan("one")
    leave_orphan("two")
    monkeypatch.setattr(autosave, "ask_recovery", lambda _parent, _orphans: "recover")
    opened = gui_app.open_windows(None)
    assert sorted(w.document.project.name for w in opened) == ["one", "two"]
    assert all(w.document.dirty and w.document.path is None for w in opened)


def test_unreadable_autosave_is_set_aside_with_a_message(qtbot, quiet: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    leave_orphan("broken")
    (orphan,) = find_orphans_released()
    orphan.project_file.write_text("{ not json", encoding="utf-8")
    monkeypatch.setattr(autosave, "ask_recovery", lambda _parent, _orphans: "recover")
    (window,) = gui_app.open_windows(None)
    assert window.document.project.name == "MLP tabular classifier"  # started normally
    assert any("broken" in text for text in quiet)
    assert find_orphans_released() == []
    assert (orphan.project_file.parent / f"{orphan.slot}.unreadable.json").is_file()


def test_error_hook_autosaves_and_keeps_running(qtbot, quiet: list[str]) -> None:
    window = gui_app.new_window(open_copy(EXAMPLE))
    window.palette_panel.add_requested.emit("Dropout")
    handler = gui_app.ErrorHandler()
    try:
        raise ValueError("something broke in a slot")
    except ValueError as err:
        handler(type(err), err, err.__traceback__)
    assert len(markers()) == 1
    assert any("something broke in a slot" in text and "autosaved" in text for text in quiet)
    assert window.isVisible()


def test_recent_files_newest_first_deduplicated_pruned_and_bounded(tmp_path: Path, home: Path) -> None:
    recent = RecentFiles()
    files = []
    for i in range(MAX_RECENT + 2):
        path = tmp_path / f"m{i}.json"
        path.write_text("{}", encoding="utf-8")
        files.append(path)
        recent.add(path)
    recent.add(files[3])
    listed = recent.files()
    assert listed[0] == files[3] and len(listed) == MAX_RECENT and len(set(listed)) == MAX_RECENT
    assert listed[1] == files[-1]
    files[-1].unlink()
    assert files[-1] not in recent.files()
    assert (home / "config" / "recent.json").is_file()
    stored = json.loads((home / "config" / "recent.json").read_text(encoding="utf-8"))["files"]
    assert str(files[-1]) not in stored  # pruned from the file too
    (home / "config" / "recent.json").write_text("garbage", encoding="utf-8")
    assert RecentFiles().files() == []  # a damaged list is ignored, never an error
    recent.clear()
    assert recent.files() == []
