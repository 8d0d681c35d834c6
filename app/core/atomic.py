"""Atomic file replacement, shared by project saves, autosave and exports.

Write to a fresh temp file in the target's folder, flush it to disk, then ``os.replace``
it over the target: readers see the old file or the new one, never half of either, and a
crash or a full disk leaves the previous file intact.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

TEMP_MARK = ".layerforge-tmp-"
"""Every temp file Layerforge writes is named ``.<target>.layerforge-tmp-<pid>-<hex><suffix>``:
recognisable to a person listing the folder, and carrying the writer's process id so a later
write can tell a file still being written from one a killed run left behind."""

_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.layerforge-tmp-(?P<pid>\d{1,10})-[0-9a-f]{12}(?P<suffix>.*)$", re.S)
_LEGACY_NAME = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp(?P<suffix>.*)$", re.S)
LEGACY_STALE_SECONDS = 3600.0
"""Temp files from older versions carry no process id: removed only once this old."""

_active: set[str] = set()
_active_lock = threading.Lock()


def temp_path_for(target: Path, suffix: str = "") -> Path:
    """A fresh, recognisable temp name next to ``target`` (same folder, so the rename is atomic)."""
    return target.parent / f".{target.name}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:12]}{suffix}"


def register_temp(path: Path) -> None:
    """Mark ``path`` as being written by this process, so :func:`clean_stale_temps` leaves it."""
    with _active_lock:
        _active.add(os.fspath(path))


def release_temp(path: Path) -> None:
    with _active_lock:
        _active.discard(os.fspath(path))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a process we may not signal counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _is_stale(name: str, full: str, target_name: str | None, now: float, mtime: float) -> bool:
    match = _TEMP_NAME.match(name)
    if match:
        pid = int(match["pid"])
        if pid == os.getpid():
            with _active_lock:
                return full not in _active
        return not pid_alive(pid)
    legacy = _LEGACY_NAME.match(name)
    return bool(legacy and legacy["target"] == target_name and now - mtime > LEGACY_STALE_SECONDS)


def clean_stale_temps(folder: str | os.PathLike[str], target_name: str | None = None) -> list[Path]:
    """Delete temp files in ``folder`` that a killed or crashed writer left behind; returns them.

    A file counts as stale when its name carries Layerforge's temp mark and the process that
    made it no longer runs (or is this process, which is not writing it now). Pre-mark temp
    names (``.<target>.<hex>.tmp<suffix>``) of ``target_name`` go once they are an hour old.
    Only regular files are removed; errors are ignored (cleaning must never stop a save).
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(".") or (TEMP_MARK not in name and ".tmp" not in name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if _is_stale(name, entry.path, target_name, now, entry.stat(follow_symlinks=False).st_mtime):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def writable_problem(path: str | os.PathLike[str]) -> str | None:
    """Why a file could not be written at ``path`` (in words), or None when it can.

    Checked by really creating (and removing) a temp file in the target's folder, so
    permissions, read-only mounts and ACLs all count; run it before long work whose result
    would otherwise be thrown away.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.exists():
        return f"the folder {os.fspath(folder)!r} does not exist"
    if not folder.is_dir():
        return f"{os.fspath(folder)!r} is not a folder"
    if target.is_dir():
        return "this is a folder, not a file name"
    probe = temp_path_for(target, ".probe")
    try:
        write_new(probe, b"")
    except OSError as err:
        return f"cannot write in the folder {os.fspath(folder)!r} ({err.strerror or err})"
    with suppress(OSError):
        os.unlink(probe)
    return None


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object], suffix: str = "") -> Path:
    """Run ``write(tmp)`` on a temp path next to ``path``, then move it over ``path``.

    ``suffix`` ends the temp name (Keras only saves to names ending in ``.keras``); stale
    temp files of earlier, killed writers in that folder are removed first. A
    symlinked target is resolved so the real file is replaced and the link kept; the old
    file's permissions carry over. The temp file never survives a failure; exceptions
    from ``write`` or the file system propagate unchanged. Returns the real target.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    clean_stale_temps(folder, target.name)
    tmp = temp_path_for(target, suffix)
    register_temp(tmp)
    try:
        write(tmp)
        fsync_file(tmp)
        with suppress(OSError):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        release_temp(tmp)
    fsync_folder(folder)
    return target


def write_new(path: Path, data: bytes) -> None:
    """Create ``path`` exclusively (never clobbering a file someone else just made) and write."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    return atomic_write(path, lambda tmp: write_new(tmp, data))


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows syncing a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
