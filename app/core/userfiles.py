"""Opening files a user (or a project file) names: regular files only, read with a hard byte limit.

Why: ``open()`` on a named pipe blocks until some other program writes to it, and ``/dev/zero``
never ends, so a mistyped path could hang the app or fill the memory. Every reader of user
files goes through :func:`open_regular` / :func:`read_limited`. Sizes in messages are always
in MiB (1024 × 1024 bytes), written by :func:`mib`, so "the file is X; the limit is Y" never
mixes units or rounds two different sizes to the same text.

Pure Python: no Qt, no Keras, no numpy.
"""

from __future__ import annotations

import io
import os
import stat

MIB = 1024 * 1024


class FileRefused(OSError):
    """A path that is not an ordinary file, or a file over a size limit. An ``OSError`` so every
    existing ``except OSError`` that reports ``err.strerror`` shows this message as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FileTooLarge(FileRefused):
    """A file larger than the limit for its kind; ``size`` may be a lower bound when it grew while read."""

    def __init__(self, message: str, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


def mib(n: float, decimals: int | None = None) -> str:
    """``n`` bytes in MiB: "50 MiB", "0.3 MiB", "1,234 MiB"; under 0.1 MiB in bytes ("800 bytes").
    ``decimals`` forces a precision."""
    value = n / MIB
    if decimals is None and n < MIB // 10:
        return f"{int(n):,} bytes"  # "0.0 MiB" would say nothing
    if decimals is None:
        decimals = 0 if value >= 10 or value == int(value) else 1
    return f"{value:,.{decimals}f} MiB"


def sizes(size: float, limit: float) -> tuple[str, str]:
    """``size`` and ``limit`` in MiB with just enough decimals that a size over the limit never
    reads the same as it (50.0001 MiB against 50 MiB), ending in exact byte counts if need be."""
    for decimals in (None, 1, 2, 3):
        a, b = mib(size, decimals), mib(limit, decimals)
        if a != b:
            return a, b
    return f"{mib(size)} ({int(size):,} bytes)", f"{mib(limit)} ({int(limit):,} bytes)"


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device (such as /dev/zero)"),
    (stat.S_ISBLK, "a disk device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((text for test, text in _KINDS if test(mode)), "not an ordinary file")


def not_regular_message(mode: int) -> str:
    """The refusal for a non-regular file, saying what it is."""
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    return (f"it is {kind_of(mode)}, not an ordinary file; Layerforge reads only ordinary files, since reading a "
            "pipe or a device could wait forever or never end")


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """The file opened for binary reading, after checking on the open descriptor that it is a
    regular file. Opening is non-blocking, so a FIFO with no writer is refused at once instead
    of hanging; raises :class:`FileRefused` (an ``OSError``) or the ``OSError`` of ``os.open``."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(not_regular_message(mode))
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | os.PathLike[str]) -> None:
    """Raise :class:`FileRefused` when ``path`` exists but is not a regular file (the stat follows links)."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise FileRefused(not_regular_message(mode))


def too_large_message(size: int, limit: int, what: str) -> str:
    shown, allowed = sizes(size, limit)
    return f"the file is {shown}; {what} are limited to {allowed}"


def read_limited(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The whole regular file, refused with :class:`FileTooLarge` ("the file is 61 MiB; ``what`` are
    limited to 50 MiB") when it is, or becomes while read, larger than ``limit`` bytes."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise FileTooLarge(too_large_message(size, limit, what), size, limit)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(too_large_message(len(data), limit, what), len(data), limit)
    return data


__all__ = ["MIB", "FileRefused", "FileTooLarge", "check_regular", "kind_of", "mib", "open_regular", "read_limited",
           "sizes", "too_large_message"]
