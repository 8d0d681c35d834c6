"""Stand-ins for the training panel as the Insight panel sees it: a dataset of the test's own,
handed over without a real picker or training run, so insight tests choose exactly what they show."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class FakePicker(QObject):
    """The training panel's dataset picker as the insight panel sees it, with a dataset given."""

    dataset_loaded = Signal(object)
    load_failed = Signal(str)
    loading_changed = Signal(bool)

    def __init__(self, dataset: Any) -> None:
        super().__init__()
        self.dataset = dataset
        self.loading = False
        self.error = ""


class FakeTraining(QObject):
    """A training panel that never trains: it only hands the insight panel a dataset of our own."""

    probe_result = Signal(object)
    training_started = Signal()
    training_finished = Signal(object)

    def __init__(self, document: Any, dataset: Any) -> None:
        super().__init__()
        self.document = document
        self.picker = FakePicker(dataset)
        self.result = None
        self.running = False
        self.probe: Any = None

    def set_probe(self, probe: Any) -> None:
        self.probe = probe
