"""Atomic file replacement, shared by project saves, autosave and exports.

Write to a fresh temp file in the target's folder, flush it to disk, then ``os.replace``
it over the target: readers see the old file or the new one, never half of either, and a
crash or a full disk leaves the previous file intact.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object], suffix: str = "") -> Path:
    """Run ``write(tmp)`` on a temp path next to ``path``, then move it over ``path``.

    ``suffix`` ends the temp name (Keras only saves to names ending in ``.keras``). A
    symlinked target is resolved so the real file is replaced and the link kept; the old
    file's permissions carry over. The temp file never survives a failure; exceptions
    from ``write`` or the file system propagate unchanged. Returns the real target.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    tmp = folder / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp{suffix}"
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
