"""Two-phase training in the GUI: the settings form's transfer-learning fields and the phase marker."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QLineEdit, QSpinBox

from app.gui.gallery import examples_dir, open_copy
from app.gui.training.live_plots import LivePlots
from app.gui.training.settings_form import SettingsForm


@pytest.fixture
def lesson_form(qtbot):
    doc = open_copy(examples_dir() / "transfer_digits.json")
    widget = SettingsForm(doc)
    qtbot.addWidget(widget)
    return widget, doc


def test_the_lesson_shows_its_fine_tuning_settings(lesson_form) -> None:
    widget, doc = lesson_form
    assert isinstance(widget.editor("fine_tune_epochs"), QSpinBox) and widget.editor("fine_tune_epochs").value() == 2
    assert widget.editor("fine_tune_layers").value() == 1
    weights = widget.editor("pretrained_weights")
    assert isinstance(weights, QLineEdit) and weights.text() == "digits_0_to_4_backbone.keras"
    assert widget.editor("fine_tune_learning_rate").isEnabled()
    widget.editor("fine_tune_epochs").setValue(0)
    assert doc.project.training["fine_tune_epochs"] == 0
    assert not widget.editor("fine_tune_layers").isEnabled()


def epoch(number: int, phase: int, loss: float) -> SimpleNamespace:
    return SimpleNamespace(epoch=number, epochs=6, logs={"loss": loss, "accuracy": 0.5}, elapsed=1.0, phase=phase)


def test_live_plots_mark_where_fine_tuning_starts(qtbot) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.reset(6, keys=["accuracy"], show=True)
    for number in range(1, 5):
        plots.add_epoch(epoch(number, 1, 1.0 / number))
    assert plots.phase_start is None
    plots.add_epoch(epoch(5, 2, 0.1))
    plots.flush_all()
    assert plots.phase_start == 4.0
    for key in plots.plot_keys():
        line = plots._plots[key].phase_line
        assert line is not None and line.value() == 4.0
    plots.reset(6)
    assert plots.phase_start is None and plots._plots["loss"].phase_line is None


def test_inspector_picks_a_backbone_weights_file_relative_to_the_project(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QToolButton

    from app.core.project import save_project
    from app.gui.document import Document
    from app.gui.panels.inspector import InspectorPanel

    doc = open_copy(examples_dir() / "mobilenet_transfer.json")
    save_project(doc.project, tmp_path / "lesson.json")
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "bb.weights.h5").write_bytes(b"")
    panel = InspectorPanel(doc)
    qtbot.addWidget(panel)
    panel.show_node(doc.graph.node_by_name("backbone").id)
    assert {"weights_file", "train_top_layers", "trainable"} <= set(panel.editors)
    buttons = [b for b in panel.findChildren(QToolButton) if b.text() == "Choose weights file…"]
    assert len(buttons) == 1
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "weights" / "bb.weights.h5"), ""))
    buttons[0].click()
    assert doc.graph.node_by_name("backbone").config["weights_file"] == "weights/bb.weights.h5"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("/elsewhere/x.weights.h5", ""))
    buttons[0].click()
    assert doc.graph.node_by_name("backbone").config["weights_file"] == "weights/bb.weights.h5"
    assert isinstance(doc, Document)
