"""GUI tests: offscreen Qt, and nothing a test opens may outlive it (as napari checks).

Two checks run after every GUI test:

- no top-level widget the test opened is still visible;
- no :class:`~app.gui.document.Document` or :class:`~app.gui.editor.scene.GraphScene` the test
  made is still alive once Qt has run its pending deletions and the garbage collector has run
  (napari's viewer check). A survivor means something still holds the whole project: a signal
  connected to a lambda on a long-lived object, a module-level cache, an unfinished thread.
  ``gc.get_referrers(obj)`` shows who. This check runs only when the test itself passed
  (a failing test's traceback keeps its locals alive) and did not freeze the heap (the first
  finished background import does, once a process: what was alive then is never collected).
"""

from __future__ import annotations

import gc
import os
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_LIVE_MODELS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Every Document and GraphScene made during the GUI tests, for as long as it lives."""

_CALL_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture(scope="session", autouse=True)
def track_models() -> Iterator[None]:
    """Record each Document and GraphScene as it is made (cheaper than scanning ``gc.get_objects()``,
    which takes a quarter of a second per test once TensorFlow is loaded)."""
    from app.gui.document import Document
    from app.gui.editor.scene import GraphScene

    originals = {cls: cls.__dict__["__init__"] for cls in (Document, GraphScene)}

    def tracking(init: Any) -> Any:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            _LIVE_MODELS.add(self)
        return __init__

    for cls, init in originals.items():
        cls.__init__ = tracking(init)
    yield
    for cls, init in originals.items():
        cls.__init__ = init


def _survivors(before: weakref.WeakSet[Any]) -> list[Any]:
    return [obj for obj in list(_LIVE_MODELS) if obj not in before]


@pytest.fixture(autouse=True)
def no_leaked_widgets(qapp: Any, track_models: None, request: pytest.FixtureRequest) -> Iterator[None]:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    before = set(QApplication.topLevelWidgets())
    models_before: weakref.WeakSet[Any] = weakref.WeakSet(_LIVE_MODELS)
    frozen_before = gc.get_freeze_count()
    yield
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w not in before and w.isVisible()]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    assert not leaked, f"widgets left open by the test: {leaked}"

    if not request.node.stash.get(_CALL_PASSED, False):
        return
    if gc.get_freeze_count() != frozen_before:
        return  # the test froze the heap (app.gui.background.freeze_long_lived_heap): what it holds stays
    # Windows first, as in the app: the deleteLater() of what the test (or pytest-qt) closed.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    # This fixture is set up first, so it is torn down last: every other function-scoped fixture
    # has finished, but the test item still holds their values until the test is over. Let go
    # of them (fixtures of a wider scope keep theirs in their own cache; none here makes a model).
    funcargs = request.node.funcargs
    for name in [n for n in funcargs if n != request.fixturename]:
        del funcargs[name]
    if _survivors(models_before):
        gc.collect()  # only when needed: a full collection costs ~0.5 s once TensorFlow is loaded
    survivors = [f"{type(obj).__name__} at {id(obj):#x}" for obj in _survivors(models_before)]
    assert not survivors, (f"still alive after the test and a garbage collection: {', '.join(survivors)}; "
                           "something keeps a reference to it (gc.get_referrers shows what)")


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """LAYERFORGE_HOME in a temporary folder: settings, recent files, autosaves and the block
    library never touch the user's. Files that need it for every test mark themselves with
    ``pytestmark = pytest.mark.usefixtures("home")``."""
    folder = tmp_path / "home"
    monkeypatch.setenv("LAYERFORGE_HOME", str(folder))
    return folder
