"""The tensorboard_dir training setting: checked like the checkpoint's path (never outside the
project's folder), noted in the run history, and shown in the settings form."""

from __future__ import annotations

from app.core.graph import Graph
from app.core.run_history import make_record
from app.core.training_settings import DEFAULT_SETTINGS, check_settings, tensorboard_dir_problem


def problems(**changes: object) -> dict[str, str]:
    return {p.key: p.message for p in check_settings({**DEFAULT_SETTINGS, **changes})}


def test_off_by_default_and_a_relative_folder_is_fine() -> None:
    assert DEFAULT_SETTINGS["tensorboard_dir"] == ""
    for value in ("", "logs", "runs/tb", "logs\\tb"):
        assert "tensorboard_dir" not in problems(tensorboard_dir=value), value


def test_absolute_escaping_and_odd_values_are_refused_in_words() -> None:
    for value, words in (("/tmp/tb", "not inside the project's folder"), ("C:\\tb", "not inside"),
                         ("~/tb", "not inside"), ("../tb", "leads out"), ("logs/../../tb", "leads out"),
                         ("logs\n", "control characters"), (3, "must be a folder name")):
        message = problems(tensorboard_dir=value).get("tensorboard_dir", "")
        assert words in message, (value, message)
        assert message == tensorboard_dir_problem(value)
    assert "TensorBoard log folder" in problems(tensorboard_dir="/x")["tensorboard_dir"]
    assert "--tensorboard DIR" in problems(tensorboard_dir="/x")["tensorboard_dir"]


def test_the_checkpoints_wording_is_unchanged() -> None:
    message = problems(checkpoint_path="/x.keras")["checkpoint_path"]
    assert "name a checkpoint relative to its own folder (such as 'model.best.keras')" in message
    assert "--checkpoint PATH" in message


def test_the_run_record_notes_the_log_folder_only_when_there_was_one() -> None:
    graph = Graph()
    graph.add_node("InputLayer", name="x", config={"batch_shape": [None, 2]})
    common = dict(status="finished", reason="", history={"loss": [1.0]}, test_metrics={}, epochs_run=1,
                  seconds=1.0)
    assert "tensorboard_log" not in make_record(graph, {"tensorboard_dir": "tb"}, None, **common)
    record = make_record(graph, {"tensorboard_dir": "tb"}, None, tensorboard_log="/p/tb/20261206-100000", **common)
    assert record["tensorboard_log"] == "/p/tb/20261206-100000"
