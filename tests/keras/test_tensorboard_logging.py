"""TensorBoard logging as a training setting (issue 18, "Also"): a real short run writes event
files under the project's log folder, the run history notes the run's folder, the user's own
``--tensorboard`` folder replaces it, and a folder outside the project is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, load_project, save_project
from app.keras_bridge.training import TrainingSession


def moons(folder: Path, **training: object) -> Path:
    graph = Graph()
    x = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 2]})
    h = graph.add_node("Dense", name="hidden", config={"units": 8, "activation": "relu"})
    y = graph.add_node("Dense", name="scores", config={"units": 2, "activation": "softmax"})
    graph.connect(x.id, h.id)
    graph.connect(h.id, y.id)
    path = folder / "moons.json"
    save_project(Project(graph=graph, name="moons", training={
        "epochs": 2, "batch_size": 32, "learning_rate": 0.01, "test_split": 0.0, **training},
        dataset={"name": "moons", "samples": 200}), path)
    return path


def scalar_tags(run_folder: Path) -> dict[str, set[str]]:
    """The scalar tags TensorBoard itself reads from each split's event file (train, validation)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found = {}
    for split in sorted(p for p in run_folder.iterdir() if p.is_dir()):
        assert list(split.glob("events.out.tfevents.*")), f"no event file in {split}"
        events = EventAccumulator(str(split))
        events.Reload()
        found[split.name] = set(events.Tags()["scalars"]) | set(events.Tags()["tensors"])
    return found


def test_a_run_writes_tensorboard_events_under_the_projects_log_folder(tmp_path: Path) -> None:
    project = load_project(moons(tmp_path, tensorboard_dir="logs/tb"))
    messages: list[str] = []
    session = TrainingSession(project)
    session.listener.message = messages.append  # type: ignore[method-assign]
    result = session.run()
    assert result.ok, result.reason
    folder = result.tensorboard_log
    assert folder is not None and folder.parent == (tmp_path / "logs" / "tb").resolve()
    tags = scalar_tags(folder)
    assert set(tags) == {"train", "validation"}
    assert "epoch_loss" in tags["train"] and "epoch_loss" in tags["validation"]
    assert any("TensorBoard logs" in m and str(folder) in m for m in messages), messages
    second = TrainingSession(project).run()  # a second run gets its own sub-folder beside the first
    assert second.ok and second.tensorboard_log not in (None, folder)
    assert second.tensorboard_log.parent == folder.parent


def test_no_setting_no_logs(tmp_path: Path) -> None:
    project = load_project(moons(tmp_path))
    result = TrainingSession(project).run()
    assert result.ok and result.tensorboard_log is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moons.json"]


def test_train_save_project_notes_the_runs_log_folder_and_the_user_may_choose_another(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "project", tmp_path / "mine"
    folder.mkdir()
    path = moons(folder, tensorboard_dir="/nowhere")  # replaced by --tensorboard, so not refused
    assert main(["train", str(path), "--quiet", "--tensorboard", str(elsewhere), "--save-project"]) == 0
    runs = list(elsewhere.iterdir())
    assert len(runs) == 1 and scalar_tags(runs[0])["train"] >= {"epoch_loss"}
    record = load_project(path).runs[-1]
    assert record["tensorboard_log"] == str(runs[0])
    assert not (folder / "nowhere").exists()


@pytest.mark.parametrize("value, words", [("/tmp/elsewhere", "not inside the project's folder"),
                                          ("../up", "leads out of the project's folder")])
def test_a_log_folder_outside_the_project_is_refused_naming_the_setting(
        tmp_path: Path, value: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    path = moons(folder, tensorboard_dir=value)
    saved = path.read_bytes()
    assert main(["train", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "tensorboard_dir" in err and words in err and "--tensorboard" in err, err
    assert "Traceback" not in err
    assert path.read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_the_engine_refuses_a_link_out_of_the_folder_and_an_unsaved_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "link").symlink_to(outside, target_is_directory=True)
    project = load_project(moons(folder, tensorboard_dir="link/tb"))
    result = TrainingSession(project).run()
    assert result.status == "failed" and "tensorboard_dir" in result.reason and "leads out" in result.reason
    assert list(outside.iterdir()) == []
    unsaved = Project(graph=project.graph, name="moons", training={**project.training, "tensorboard_dir": "tb"},
                      dataset=project.dataset)
    result = TrainingSession(unsaved).run()
    assert result.status == "failed" and "tensorboard_dir" in result.reason and "save the project first" in \
        result.reason
