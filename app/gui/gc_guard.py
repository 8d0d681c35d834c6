"""Python's cyclic garbage collector runs on the GUI thread only, while other threads run Python.

Why: Python collects cyclic garbage on whichever thread happens to trigger a collection,
and a closed window, a dropped dialog or a plot is often cyclic garbage (PySide wrappers,
signal connections and parents reach each other). Collected on a training or loader
thread, such a window's Qt objects are destroyed off the GUI thread while the GUI thread
may be painting them, and Qt aborts the whole process (issue 20: Keras' ``clear_session``
ran ``gc.collect()`` on the training thread and destroyed whole ``MainWindow``\\ s of
earlier tests there; automatic collections on that thread did the same, less often).

While a background thread of ours may run Python, automatic collection is off for the whole
interpreter and a timer on the GUI thread runs the generational collections instead, with
Python's own thresholds (pyqtgraph's ``GarbageCollector`` does the same, but for good;
outside a background run collection must be automatic again, so this one watches the
threads it guards and turns automatic collection back on when the last has ended). Code on
those threads must not call ``gc.collect()`` itself (the training engine is told not to).

Call :func:`watch` on the GUI thread, before the thread starts.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QThread, QTimer

COLLECT_INTERVAL_MS = 500
"""How often the GUI thread checks whether a collection is due while automatic collection is off."""

_alive_checks: list[Callable[[], bool]] = []
_timer: QTimer | None = None
_was_enabled = True


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is None or QThread.currentThread() is app.thread()


def collect_due() -> int:
    """Run the generational collection Python would have run by now; returns what it freed."""
    threshold0, threshold1, threshold2 = gc.get_threshold()
    count0, count1, count2 = gc.get_count()
    if threshold0 <= 0 or count0 <= threshold0:
        return 0
    generation = 2 if count1 > threshold1 and count2 > threshold2 else 1 if count1 > threshold1 else 0
    return gc.collect(generation)


def _alive_check(thread: threading.Thread | QThread) -> Callable[[], bool]:
    """True until ``thread`` has ended; a thread not started yet counts as alive."""
    if isinstance(thread, QThread):
        def qthread_alive() -> bool:
            try:
                return not thread.isFinished()
            except RuntimeError:  # its C++ object was deleted: it has ended
                return False
        return qthread_alive
    return lambda: thread.ident is None or thread.is_alive()


def watch(thread: threading.Thread | QThread) -> None:
    """Collect on the GUI thread only until ``thread`` has ended (call before starting it)."""
    global _timer, _was_enabled
    if not _on_gui_thread():
        raise RuntimeError("gc_guard.watch() must be called on the GUI thread")
    if not _alive_checks:
        _was_enabled = gc.isenabled()
        gc.disable()
        if _timer is None:
            _timer = QTimer()
            _timer.setInterval(COLLECT_INTERVAL_MS)
            _timer.timeout.connect(_tick)
        _timer.start()
    _alive_checks.append(_alive_check(thread))


def _tick() -> None:
    collect_due()
    check_now()


def check_now() -> None:
    """Forget the threads that have ended; with none left, collection is automatic again.

    Called by the timer, and by owners that know their thread has just ended (so a test or
    the next run sees automatic collection back at once).
    """
    _alive_checks[:] = [alive for alive in _alive_checks if alive()]
    if not _alive_checks:
        if _timer is not None:
            _timer.stop()
        if _was_enabled and not gc.isenabled():
            gc.enable()


def guarded() -> int:
    """How many background threads are still watched (tests check none is left behind)."""
    return len(_alive_checks)
