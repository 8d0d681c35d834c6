"""The settings form's TensorBoard log folder: a text field under Callbacks that writes the
setting, and marks a folder outside the project with the reason."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from app.gui.document import Document
from app.gui.training.settings_form import SettingsForm


def test_the_log_folder_field_writes_the_setting_and_shows_a_refusal(qtbot) -> None:
    doc = Document()
    widget = SettingsForm(doc)
    qtbot.addWidget(widget)
    editor = widget.editor("tensorboard_dir")
    assert isinstance(editor, QLineEdit) and editor.text() == "" and widget.is_shown("tensorboard_dir")
    widget.set_value("tensorboard_dir", "logs")
    assert doc.project.training["tensorboard_dir"] == "logs"
    assert widget.problem_label("tensorboard_dir").text() == ""
    widget.set_value("tensorboard_dir", "../logs")
    assert doc.project.training["tensorboard_dir"] == "../logs"
    assert "leads out of the project's folder" in widget.problem_label("tensorboard_dir").text()
    doc.set_training({"tensorboard_dir": "runs"})
    assert editor.text() == "runs"
