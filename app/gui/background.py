"""Import TensorFlow/Keras in the background, so the window is usable at once.

Importing Keras takes seconds; the editor needs none of it (shapes come from app.core).
A daemon Python thread does the import and reports through a Qt signal, which Qt
delivers queued to the GUI thread. A daemon thread (not a QThread) means quitting while
TensorFlow is still loading neither waits for it nor aborts on a running QThread.
Code that later runs ``import keras`` on the GUI thread simply waits for the import in
progress (Python's per-module import lock), so there is no double import.
"""

from __future__ import annotations

import gc
import importlib
import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from app.gui import gc_guard

IDLE, LOADING, READY, FAILED = "idle", "loading", "ready", "failed"

_heap_frozen = False


def freeze_long_lived_heap(*, collect: bool = False) -> None:
    """Hide every object that exists now from the garbage collector, for good (once a process).

    Why: a full collection holds the GIL while it walks every tracked object, and after
    TensorFlow is imported there are about a million, so each one froze the window for a
    third of a second (Keras' ``clear_session`` runs one at every training start). Frozen
    objects are skipped; what is made later is collected as usual. Cyclic garbage that is
    frozen is never freed, so ``collect`` first frees what is garbage already (call it on the
    GUI thread: see ``app.gui.gc_guard``). Never unfrozen: collecting what piled up after ``gc.unfreeze()``
    crashed PySide in a test run of an earlier version.
    """
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    if collect:
        gc.collect()
    gc.freeze()


class BackgroundImporter(QObject):
    """Imports ``modules`` once on a worker thread; ``state_changed(state, detail)`` follows it."""

    state_changed = Signal(str, str)

    def __init__(self, modules: Sequence[str] = ("keras",), label: str = "TensorFlow",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.modules = tuple(modules)
        self.label = label
        self.state = IDLE
        self.detail = ""
        self.seconds: float | None = None
        self._thread: threading.Thread | None = None
        # Our own slot records the state on the GUI thread, in order with what observers see.
        self.state_changed.connect(self._record)

    def _record(self, state: str, detail: str) -> None:
        self.state, self.detail = state, detail
        if state in (READY, FAILED) and self._thread is not None:
            self._thread.join()  # it has emitted its last signal; nothing is left for it to do
            if state == READY:  # TensorFlow's heap, once loaded, is not garbage: freeze it (on this thread)
                freeze_long_lived_heap(collect=True)
            gc_guard.check_now()

    def start(self) -> None:
        """Start the import (once); returns at once."""
        if self._thread is not None:
            return
        self.state, self.detail = LOADING, f"Loading {self.label}…"
        self.state_changed.emit(self.state, self.detail)
        self._thread = threading.Thread(target=self._run, name="layerforge-import", daemon=True)
        gc_guard.watch(self._thread)  # importing allocates millions of objects: none collected there
        self._thread.start()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            for name in self.modules:
                importlib.import_module(name)
        except Exception as err:  # any failure (missing package, broken install) only disables export/training
            self.state_changed.emit(FAILED, f"{self.label} unavailable: {type(err).__name__}: {err}")
            return
        self.seconds = time.perf_counter() - started
        self.state_changed.emit(READY, f"{self.label} ready ({self.seconds:.1f} s)")


_shared: BackgroundImporter | None = None


def shared_importer() -> BackgroundImporter:
    """The app-wide Keras importer every window's status bar follows."""
    global _shared
    if _shared is None:
        _shared = BackgroundImporter()
    return _shared

