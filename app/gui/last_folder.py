"""The folder each kind of file dialog last used, remembered between runs.

A save dialog that always opens in ``$HOME`` makes a teacher click through the same folders
for every exported diagram or trained model. Each dialog names its *kind* ("diagram",
"trained_model", "keras", ...); :func:`last_folder` gives the folder that kind last used
(if it still exists) and :func:`remember_folder` records a new one after the user chose.

The folders live in a small INI file beside the recent-files list
(:func:`app.gui.recent.config_dir`), so ``LAYERFORGE_HOME`` moves them too and tests that
point it at a temporary folder never read or write the user's settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app.gui.recent import config_dir

SETTINGS_FILE = "folders.ini"
GROUP = "last_folder"


def _settings() -> QSettings:
    """The INI file (made on first write); re-opened on each call so a moved home is followed."""
    return QSettings(str(config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def _key(kind: str) -> str:
    # Keys are plain words: a slash would make a sub-group, a space reads badly in the file.
    return f"{GROUP}/" + "".join(c if c.isalnum() or c in "_-" else "_" for c in kind.strip() or "default")


def last_folder(kind: str, fallback: Path | str | None = None) -> Path:
    """The folder a ``kind`` of dialog last used; else ``fallback``; else the home folder.
    A remembered folder that was deleted or is now a file is skipped."""
    value = _settings().value(_key(kind))
    if isinstance(value, str) and value:
        folder = Path(value)
        if folder.is_dir():
            return folder
    if fallback is not None and Path(fallback).is_dir():
        return Path(fallback)
    return Path.home()


def remember_folder(kind: str, path: Path | str) -> Path:
    """Record where a ``kind`` of dialog ended up: the folder itself, or a chosen file's folder
    (the file need not exist yet). Returns the folder recorded."""
    chosen = Path(path).expanduser()
    folder = chosen if chosen.is_dir() else chosen.parent
    folder = folder.resolve()
    settings = _settings()
    settings.setValue(_key(kind), str(folder))
    settings.sync()
    return folder


__all__ = ["last_folder", "remember_folder"]
