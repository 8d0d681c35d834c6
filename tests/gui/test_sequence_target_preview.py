"""The dataset preview with a class at every step (seq2seq targets, shape (n, T)): it says how
many steps each target has and shows every row's sequence, instead of reading each row as one
one-hot class (argmax) and drawing a class histogram of made-up classes."""

from __future__ import annotations

import numpy as np

from app.data import load_dataset
from app.data.dataset import Dataset
from app.gui.training.preview import MAX_STEPS_SHOWN, DatasetPreview
from app.gui.widgets import class_ids, target_steps


def shown(qtbot, ds: Dataset) -> DatasetPreview:
    preview = DatasetPreview()
    qtbot.addWidget(preview)
    preview.resize(640, 480)
    preview.show()
    preview.show_dataset(ds)
    return preview


def test_a_class_at_every_step_is_shown_as_a_sequence_target(qtbot) -> None:
    ds = load_dataset({"name": "reverse_sequences", "samples": 40, "length": 20, "symbols": 4})
    assert ds.y.shape == (40, 20) and ds.task == "classification"  # the seq2seq set: a letter at each step
    preview = shown(qtbot, ds)
    assert preview.mode == "table"
    summary = preview.summary_label.text()
    assert "targets: 20 steps each" in summary and "4 classes" in summary
    assert preview.class_counts() == {} and preview.counts_label.isHidden()  # no histogram of one class a row
    assert preview.table_model.headers()[-1] == "targets (20 steps)"
    letters = ds.class_names
    for row, texts in zip(ds.y, preview.table_model.row_texts(), strict=False):
        assert texts[-1] == ", ".join(letters[v] for v in row[:MAX_STEPS_SHOWN]) + " …"


def test_short_sequences_are_shown_whole_and_one_hot_rows_stay_one_class_each(qtbot) -> None:
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    steps = Dataset("steps", "Steps", "table", "classification", x, np.array([[2, 0, 1]] * 6),
                    ["no", "maybe", "yes"], ["a", "b"])
    preview = shown(qtbot, steps)
    assert "targets: 3 steps each" in preview.summary_label.text()
    assert [r[-1] for r in preview.table_model.row_texts()] == ["yes, no, maybe"] * 6

    one_hot = Dataset("hot", "Hot", "table", "classification", x, np.eye(3)[[2, 0, 1, 2, 2, 0]],
                      ["no", "maybe", "yes"], ["a", "b"])
    preview.show_dataset(one_hot)
    assert "steps each" not in preview.summary_label.text()
    assert preview.class_counts() == {"no": 2, "maybe": 1, "yes": 3}
    assert [r[-1] for r in preview.table_model.row_texts()] == ["yes", "no", "maybe", "yes", "yes", "no"]


def test_class_ids_tell_a_class_a_row_from_a_class_a_step() -> None:
    assert class_ids(np.array([[2, 3, 0], [1, 1, 1]])) is None  # ids at 3 steps, not one-hot rows
    assert target_steps(np.array([[2, 3, 0], [1, 1, 1]])) == 3
    assert class_ids(np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])).tolist() == [1, 0]  # probabilities
    assert target_steps(np.eye(4)[[3, 1]]) is None and target_steps(np.array([2, 0, 1])) is None
    assert target_steps(np.zeros((5, 7, 3))) == 7  # one-hot at every step
