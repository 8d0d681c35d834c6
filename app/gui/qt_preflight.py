"""Check, before Qt starts, that its X11 (xcb) platform plugin can load.

On a fresh Linux desktop ``pip install PySide6`` works, but the xcb plugin needs system
libraries that a default install may lack (``libxcb-cursor0`` since Qt 6.5). Qt then
prints a long message and *aborts* the process inside ``QApplication()``; nothing the
app does afterwards runs. So :func:`xcb_problem` tries to load each library the plugin
links against (the same ``dlopen`` Qt would do) and, if any is missing, returns the
exact ``apt-get install`` line to fix it. Importing this module loads no Qt.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from collections.abc import Callable, Mapping

XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
"""Shared libraries Qt 6's xcb plugin (libqxcb + libQt6XcbQpa) links against, with the
Debian/Ubuntu package that provides each (from ``ldd`` on the PySide6 6.11 wheel)."""


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (what Qt's plugin loader will ask for)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str], platform: str) -> bool:
    """Qt will pick the xcb plugin: Linux, and QT_QPA_PLATFORM unset or naming xcb."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    return not chosen or chosen.split(":", 1)[0].split(";", 1)[0] == "xcb"


def missing_xcb_libraries(load: Callable[[str], bool] | None = None) -> list[str]:
    """The xcb plugin's libraries the loader cannot find, in :data:`XCB_LIBRARIES` order."""
    load = load or can_load
    return [soname for soname in XCB_LIBRARIES if not load(soname)]


def install_command(missing: list[str]) -> str:
    """The one line that installs the packages providing ``missing``."""
    packages = list(dict.fromkeys(XCB_LIBRARIES[soname] for soname in missing))
    return "sudo apt-get install " + " ".join(packages)


def xcb_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                load: Callable[[str], bool] | None = None) -> str | None:
    """Why Qt's xcb plugin would abort, with the command that fixes it; None when it can load."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not uses_xcb(environ, platform):
        return None
    missing = missing_xcb_libraries(load)
    if not missing:
        return None
    lines = [
        "layerforge: Qt cannot open a window: its X11 (xcb) platform plugin needs system libraries "
        "that are not installed:",
        "  " + ", ".join(missing),
        "Install them with:",
        "  " + install_command(missing),
    ]
    if shutil.which("apt-get") is None:
        lines.append("(Those are the Debian/Ubuntu package names; other distributions name them similarly, "
                     "e.g. xcb-util-cursor on Fedora.)")
    if environ.get("WAYLAND_DISPLAY"):
        lines.append("On Wayland you can also start it with QT_QPA_PLATFORM=wayland.")
    return "\n".join(lines)


__all__ = ["XCB_LIBRARIES", "can_load", "install_command", "missing_xcb_libraries", "uses_xcb", "xcb_problem"]
