"""Issue 20: garbage is collected on the GUI thread only while our background threads run Python."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt, QThread

from app.gui import gc_guard
from app.gui.jobs import Jobs


@pytest.fixture
def collections_off_gui_thread() -> Iterator[list[str]]:
    """Every collection that starts on a thread other than the main (GUI) thread."""
    seen: list[str] = []

    def callback(phase: str, info: dict) -> None:
        if phase == "start" and threading.current_thread() is not threading.main_thread():
            seen.append(threading.current_thread().name)

    gc.callbacks.append(callback)
    yield seen
    gc.callbacks.remove(callback)


@pytest.fixture(autouse=True)
def no_thread_left_from_earlier_tests(qtbot) -> None:
    """Threads that earlier tests started end on their own; these tests need automatic collection back."""
    def settled() -> bool:
        gc_guard.check_now()
        return gc_guard.guarded() == 0

    qtbot.waitUntil(settled, timeout=60_000)
    assert gc.isenabled()


def _make_cyclic_garbage(rounds: int = 20_000) -> None:
    """Enough cyclic allocations to trigger many automatic collections on the calling thread."""
    for _ in range(rounds):
        node: list = []
        node.append(node)


def test_a_watched_thread_never_collects_and_collection_comes_back_after(qtbot, collections_off_gui_thread) -> None:
    thread = threading.Thread(target=_make_cyclic_garbage, name="busy")
    gc_guard.watch(thread)
    thread.start()
    assert not gc.isenabled(), "automatic collection is off while the thread runs"
    thread.join()
    gc_guard.check_now()
    assert gc.isenabled() and gc_guard.guarded() == 0
    assert collections_off_gui_thread == []


def test_without_the_guard_the_same_thread_does_collect(collections_off_gui_thread) -> None:
    """The control: the allocations above really trigger collections on their own thread."""
    thread = threading.Thread(target=_make_cyclic_garbage, name="unguarded")
    thread.start()
    thread.join()
    assert "unguarded" in collections_off_gui_thread


def test_the_gui_thread_collects_on_a_timer_while_a_thread_is_watched(qtbot) -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="waiting")
    gc_guard.watch(thread)
    thread.start()
    try:
        destroyed_on: list[str] = []
        garbage = QObject()
        garbage.destroyed.connect(lambda *_: destroyed_on.append(threading.current_thread().name),
                                  Qt.ConnectionType.DirectConnection)
        garbage.cycle = garbage
        del garbage
        _make_cyclic_garbage(5_000)  # pushes the young generation's count past Python's threshold
        assert destroyed_on == [], "automatic collection is off: only the GUI thread's timer frees it"
        qtbot.waitUntil(lambda: destroyed_on != [], timeout=10_000)
        assert destroyed_on == [threading.main_thread().name]
    finally:
        release.set()
        thread.join()
    qtbot.waitUntil(lambda: gc.isenabled(), timeout=5_000)  # the timer notices the thread has ended
    assert gc_guard.guarded() == 0


def test_a_watched_qthread_counts_until_it_has_finished(qtbot, collections_off_gui_thread) -> None:
    class Busy(QThread):
        def run(self) -> None:
            _make_cyclic_garbage()

    thread = Busy()
    gc_guard.watch(thread)  # before start: a thread not started yet counts as running
    gc_guard.check_now()
    assert not gc.isenabled()
    with qtbot.waitSignal(thread.finished, timeout=10_000):
        thread.start()
    thread.wait()
    gc_guard.check_now()
    assert gc.isenabled()
    assert collections_off_gui_thread == []


def test_background_jobs_are_guarded(qtbot, collections_off_gui_thread) -> None:
    jobs = Jobs()
    answers: list[object] = []
    with qtbot.waitSignal(jobs.idle_changed, timeout=10_000, check_params_cb=lambda idle: idle):
        jobs.start(lambda: _make_cyclic_garbage() or "done", lambda value, error: answers.append(value))
    assert answers == ["done"]
    assert gc.isenabled() and gc_guard.guarded() == 0
    assert collections_off_gui_thread == []


def test_watch_refuses_other_threads(qtbot) -> None:
    errors: list[BaseException] = []

    def call() -> None:
        try:
            gc_guard.watch(threading.Thread(target=lambda: None))
        except RuntimeError as err:
            errors.append(err)

    caller = threading.Thread(target=call)
    caller.start()
    caller.join()
    assert errors and "GUI thread" in str(errors[0])
