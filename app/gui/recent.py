"""Where Layerforge keeps per-user state, and the recent-files list.

Everything per-user lives under the platformdirs folders for the app name "layerforge",
unless ``LAYERFORGE_HOME`` names a folder: then ``config/`` and ``data/`` inside it are
used instead. Tests point it at a temporary folder so they never touch the real ones,
and a teacher can keep a portable setup on a USB stick the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

HOME_ENV = "LAYERFORGE_HOME"
APP_NAME = "layerforge"
MAX_RECENT = 10


def config_dir() -> Path:
    """Folder for small settings files (the recent list)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Folder for data the app writes on its own (autosaves)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class RecentFiles:
    """Most recently opened or saved files, newest first; files that vanished are pruned.

    The list is re-read on every call, so several windows (or processes) share it.
    Failures to read or write it are ignored: a lost recent list must never stop work.
    """

    def __init__(self, path: Path | None = None, limit: int = MAX_RECENT) -> None:
        self.path = path or config_dir() / "recent.json"
        self.limit = limit

    def _read(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        files = data.get("files") if isinstance(data, dict) else None
        return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []

    def _write(self, files: list[str]) -> None:
        with contextlib.suppress(OSError):
            write_text_atomic(self.path, json.dumps({"files": files}, indent=2, ensure_ascii=False) + "\n")

    def files(self) -> list[Path]:
        """Existing files, newest first (missing ones are dropped from the stored list)."""
        stored = self._read()
        existing = [f for f in stored if Path(f).is_file()]
        if existing != stored:
            self._write(existing)
        return [Path(f) for f in existing]

    def add(self, path: str | os.PathLike[str]) -> None:
        entry = os.path.abspath(os.fspath(path))
        files = [entry] + [f for f in self._read() if f != entry and Path(f).is_file()]
        self._write(files[: self.limit])

    def remove(self, path: str | os.PathLike[str]) -> None:
        entry = os.path.abspath(os.fspath(path))
        self._write([f for f in self._read() if f != entry])

    def clear(self) -> None:
        self._write([])
