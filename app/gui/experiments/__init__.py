"""The Experiments dock: hyperparameter sweeps in the editor (see :mod:`.panel`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea

from app.gui.experiments.panel import ExperimentsPanel


def current_document(window: Any) -> Any:
    """The window's document (``MainWindow.document`` has been both a method and a property)."""
    document = window.document
    return document() if callable(document) else document


def install_experiments(window: Any, area: Qt.DockWidgetArea) -> QDockWidget:
    """Add the Experiments dock to ``window`` and wire the Inspector's "Sweep this…" to it.

    Each trial the sweep records is checked in the Training dock's run history, so the trials'
    curves are overlaid there (the Training panel is built on first use, as always)."""
    panel = ExperimentsPanel(lambda: current_document(window))
    # In a scroll area, so the panel's row of controls never sets the bottom docks' (and the
    # window's) minimum width: a narrow window scrolls this tab instead of squeezing the others.
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(panel)
    dock = window.add_dock("Experiments", scroll, area)

    def sweep_this(name: str) -> None:
        panel.add_dimension(name)
        dock.show()
        dock.raise_()

    def overlay(run_id: str) -> None:
        window.training.history.set_checked(run_id, True)

    window.inspector.sweep_requested.connect(sweep_this)
    dock.visibilityChanged.connect(lambda visible: visible and panel.refresh_metrics())
    panel.overlay = overlay
    window.experiments = panel
    return dock


__all__ = ["ExperimentsPanel", "current_document", "install_experiments"]
