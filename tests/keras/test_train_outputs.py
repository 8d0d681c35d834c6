"""``layerforge train`` / ``export`` outputs under hostile projects, faults and Ctrl+C (issue 11,
points 1, 2, 5, 9, 15 and the export wording of 16). Real files and real processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, save_project
from app.keras_bridge.training import TrainingSession

MODELS = Path(__file__).resolve().parents[2] / "models"


def layerforge(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=300)


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


def whole_model(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return archive.testzip() is None and "model.weights.h5" in archive.namelist()


# --- point 1 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("escape", ["absolute", "dotdot"])
def test_a_project_cannot_make_train_overwrite_a_file_outside_its_folder(
        tmp_path: Path, escape: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "downloaded"
    folder.mkdir()
    victim = tmp_path / "victim.keras"
    victim.write_bytes(b"the user's own model")
    value = str(victim) if escape == "absolute" else "../victim.keras"
    project = moons(folder, checkpoint=True, checkpoint_path=value)
    saved = project.read_bytes()
    if escape == "absolute":  # as a user runs it: a real process
        done = layerforge("train", str(project), "--quiet")
        code, err = done.returncode, done.stderr
    else:
        code, err = main(["train", str(project), "--quiet"]), capsys.readouterr().err
    assert code == 2, err
    assert "checkpoint_path" in err and "project's folder" in err and "--checkpoint" in err
    assert "Traceback" not in err
    assert victim.read_bytes() == b"the user's own model"
    assert project.read_bytes() == saved


def test_the_engine_refuses_escaping_paths_too_and_keeps_relative_ones_in_the_project(tmp_path: Path) -> None:
    from app.core.project import load_project

    victim = tmp_path / "victim.keras"
    victim.write_bytes(b"mine")
    folder = tmp_path / "project"
    (folder / "ckpt").mkdir(parents=True)
    (folder / "link").symlink_to(tmp_path, target_is_directory=True)
    for value, words in ((str(victim), "not inside the project's folder"), ("../victim.keras", "leads out"),
                         ("link/victim.keras", "leads out")):
        project = load_project(moons(folder, checkpoint=True, checkpoint_path=value))
        result = TrainingSession(project).run()  # the folder comes from the project's own path
        assert result.status == "failed" and words in result.reason, result.reason
    assert victim.read_bytes() == b"mine"
    project = load_project(moons(folder, checkpoint=True, checkpoint_path="ckpt/best.keras"))
    result = TrainingSession(project).run()
    assert result.ok, result.reason
    assert whole_model(folder / "ckpt" / "best.keras")
    unsaved = Project(graph=project.graph, name="moons", training=project.training, dataset=project.dataset)
    result = TrainingSession(unsaved).run()
    assert result.status == "failed" and "save the project first" in result.reason


def test_the_user_chooses_another_checkpoint_location_on_the_command_line(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "project", tmp_path / "mine"
    folder.mkdir()
    elsewhere.mkdir()
    project = moons(folder, checkpoint=True, checkpoint_path="/nowhere/x.keras")
    assert main(["train", str(project), "--quiet", "--checkpoint", str(elsewhere / "best.keras")]) == 0
    assert whole_model(elsewhere / "best.keras")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["best.keras"], "no temp file left beside it"


# --- point 2 ----------------------------------------------------------------------------------------------

def test_a_checkpoint_save_that_fails_midway_keeps_the_previous_best(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    from app.core.project import load_project

    project = load_project(moons(tmp_path, checkpoint=True, checkpoint_path="best.keras", epochs=3))
    assert TrainingSession(project).run().ok
    before = (tmp_path / "best.keras").read_bytes()

    def half_written(self: object, filepath: object, *args: object, **kwargs: object) -> None:
        Path(os.fspath(filepath)).write_bytes(before[: len(before) // 2])  # what a kill mid-save leaves
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", half_written)
    result = TrainingSession(project).run()
    assert result.status == "failed" and "checkpoint could not be written" in result.reason, result.reason
    assert "No space left" in result.reason
    assert (tmp_path / "best.keras").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras", "moons.json"]


# --- point 5 ----------------------------------------------------------------------------------------------

def test_every_output_is_checked_before_the_first_batch(tmp_path: Path) -> None:
    project = moons(tmp_path, epochs=30)
    missing = tmp_path / "missing"
    done = layerforge("train", str(project), "--out", str(missing / "model.keras"), "--log",
                      str(missing / "metrics.csv"), "--checkpoint", str(missing / "best.keras"))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "epoch 1/" not in done.stderr and "finished" not in done.stdout, "nothing may train first"
    for kind in ("the model", "the metrics log", "the checkpoint"):
        assert f"cannot write {kind} here: the folder {str(missing)!r} does not exist" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_an_output_that_is_a_folder_or_an_unwritable_project_checkpoint_stops_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "model.keras").mkdir()
    project = moons(tmp_path, epochs=30)
    assert main(["train", str(project), "--out", str(tmp_path / "model.keras")]) == 3
    captured = capsys.readouterr()
    assert "a folder, not a file" in captured.err and "epoch 1/" not in captured.err
    (tmp_path / "best.keras").mkdir()
    project = moons(tmp_path, epochs=30, checkpoint=True, checkpoint_path="best.keras")
    assert main(["train", str(project)]) == 3
    captured = capsys.readouterr()
    assert "cannot write the checkpoint" in captured.err and "a folder, not a file" in captured.err
    assert "epoch 1/" not in captured.err and "finished" not in captured.out


# --- point 9 ----------------------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")
@pytest.mark.parametrize("gap", [0.0, 0.3])
def test_a_second_ctrl_c_quits_with_130_and_the_model_saved(tmp_path: Path, gap: float) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = tmp_path / "partial.keras"
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "train", str(MODELS / "mlp_tabular.json"), "--epochs", "100000",
         "--batch-size", "1", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    for line in process.stderr:  # wait until training reports, then press Ctrl+C twice
        if "epoch 1/" in line:
            break
    process.send_signal(signal.SIGINT)
    time.sleep(gap)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, (process.returncode, stderr[-2000:])
    assert "terminate called" not in stderr and "Traceback" not in stderr
    assert out.is_file() and whole_model(out)
    import keras

    assert keras.saving.load_model(out).get_layer("species").units == 3
    assert [p.name for p in tmp_path.iterdir()] == ["partial.keras"]


# --- point 15: Keras' own scratch folders ---------------------------------------------------------------------

def test_keras_scratch_folders_are_recognisable_and_stale_ones_go(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    import keras
    from keras.src.saving import saving_lib

    from app.keras_bridge.export import KERAS_TEMP_PREFIX, save_model_file

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    stale = scratch / f"{KERAS_TEMP_PREFIX}{dead}-abcd" / "assets"
    live = scratch / f"{KERAS_TEMP_PREFIX}{os.getppid()}-abcd"
    foreign = scratch / "tmpabcd1234"
    for folder in (stale, live, foreign):
        folder.mkdir(parents=True)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    save_model_file(model, tmp_path / "m.keras")
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, foreign.name])
    made = Path(saving_lib.get_temp_dir())
    assert made.name.startswith(f"{KERAS_TEMP_PREFIX}{os.getpid()}-")
    shutil.rmtree(made)


# --- point 16: one story about the weights -----------------------------------------------------------------

def test_export_of_a_keras_file_does_not_say_the_weights_are_both_dropped_and_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    source = tmp_path / "trained.keras"
    keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(3, name="out")]).save(source)
    assert main(["export", str(source), "--keras", str(tmp_path / "copy.keras")]) == 0
    err = capsys.readouterr().err
    assert "were carried over" in err, err
    assert "not imported" not in err, err
    assert main(["export", str(source), "--python", str(tmp_path / "copy.py")]) == 0
    captured = capsys.readouterr()
    assert "not imported" not in captured.err, captured.err
    assert "copy.weights.h5 with the weights imported from trained.keras" in captured.out, captured.out
