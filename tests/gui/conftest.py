"""GUI tests: offscreen Qt, and no top-level widget may outlive its test (as napari checks)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def no_leaked_widgets(qapp):
    from PySide6.QtWidgets import QApplication

    before = set(QApplication.topLevelWidgets())
    yield
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w not in before and w.isVisible()]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    assert not leaked, f"widgets left open by the test: {leaked}"
