"""Issue 12.11: a Linux desktop without Qt's xcb libraries gets the install command, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.gui import qt_preflight
from app.gui.qt_preflight import XCB_LIBRARIES, install_command, missing_xcb_libraries, uses_xcb, xcb_problem

ROOT = Path(__file__).resolve().parents[2]


def missing(*sonames: str):
    return lambda soname: soname not in sonames


def test_only_linux_with_xcb_chosen_or_defaulted_is_checked() -> None:
    assert uses_xcb({}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb:nograb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "wayland"}, "linux")
    assert not uses_xcb({}, "darwin") and not uses_xcb({}, "win32")
    # Nothing is even looked up where xcb is not used.
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", load=missing(*XCB_LIBRARIES)) is None
    assert xcb_problem({}, "darwin", load=missing(*XCB_LIBRARIES)) is None


def test_missing_cursor_library_names_the_exact_apt_command() -> None:
    problem = xcb_problem({"DISPLAY": ":0"}, "linux", load=missing("libxcb-cursor.so.0"))
    assert problem is not None
    assert "libxcb-cursor.so.0" in problem
    assert "  sudo apt-get install libxcb-cursor0" in problem.splitlines()


def test_several_missing_libraries_one_install_line() -> None:
    gone = missing("libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libxcb-icccm.so.4")
    assert missing_xcb_libraries(gone) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"]
    assert install_command(missing_xcb_libraries(gone)) == \
        "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0"


def test_all_present_is_no_problem() -> None:
    assert xcb_problem({"DISPLAY": ":0"}, "linux", load=lambda _soname: True) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_real_loader_finds_what_this_machine_has() -> None:
    assert qt_preflight.can_load("libc.so.6")
    assert not qt_preflight.can_load("libdoes-not-exist-layerforge.so.9")


PRETEND_MISSING = r"""
import sys
from app.gui import qt_preflight
qt_preflight.can_load = lambda soname: soname != "libxcb-cursor.so.0"
from app.cli import main
sys.exit(main([]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_layerforge_exits_with_the_command_before_qt_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update({"DISPLAY": ":987", "LAYERFORGE_HOME": str(tmp_path),
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    done = subprocess.run([sys.executable, "-c", PRETEND_MISSING], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, (done.returncode, done.stderr)  # not -6 (SIGABRT inside Qt)
    assert "sudo apt-get install libxcb-cursor0" in done.stderr
    assert "could not connect to display" not in done.stderr  # Qt never started
