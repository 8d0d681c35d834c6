"""The exported Python logs to TensorBoard when the project's ``tensorboard_dir`` setting asks, as the
app's own training does (issue 18, "Also"): the script's own training line, run for real, writes event
files into a new sub-folder of that folder (beside the script) per run; both phases of a two-phase run
share one; a recipe's training line logs too; without the setting nothing changes."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.codegen import CodegenError, generate_python
from app.core.graph import Graph
from app.core.project import Project
from app.keras_bridge.export import export_python
from tests.keras.test_recipes_engine import autoencoder_graph
from tests.keras.test_tensorboard_logging import scalar_tags


def moons_graph(hidden_name: str = "hidden") -> Graph:
    graph = Graph()
    x = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 2]})
    h = graph.add_node("Dense", name=hidden_name, config={"units": 8, "activation": "relu"})
    y = graph.add_node("Dense", name="scores", config={"units": 2, "activation": "softmax"})
    graph.connect(x.id, h.id)
    graph.connect(h.id, y.id)
    return graph


def project(graph: Graph | None = None, **training: Any) -> Project:
    settings = {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "loss": "sparse_categorical_crossentropy",
                "metrics": ["accuracy"], "validation_split": 0.25, **training}
    return Project(graph=graph or moons_graph(), name="moons", training=settings, dataset={"name": "moons"})


def exported(proj: Project, folder: Path) -> tuple[dict[str, Any], str]:
    """The script written by the export, imported as a module (its ``__main__`` block stays off)."""
    script = folder / "net.py"
    export_python(proj, script)
    return runpy.run_path(str(script)), script.read_text(encoding="utf-8")


def training_line(source: str) -> str:
    """The commented ``model.fit(...)`` the script offers, uncommented: what a user would run."""
    (line,) = re.findall(r"^# (model\.fit\(.*\))$", source, re.M)
    return line


def run_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def data(rows: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((rows, 2), dtype=np.float32), rng.integers(0, 2, size=rows)


def test_the_scripts_training_line_writes_tensorboard_events_beside_the_script(tmp_path: Path) -> None:
    namespace, source = exported(project(tensorboard_dir="logs/tb"), tmp_path)
    assert run_folders(tmp_path / "logs") == []  # importing the script writes nothing
    line = training_line(source)
    assert "callbacks=training_callbacks()" in line
    x_train, y_train = data()
    exec(line, {**namespace, "x_train": x_train, "y_train": y_train})
    (run,) = run_folders(tmp_path / "logs" / "tb")
    assert re.fullmatch(r"\d{8}-\d{6}", run.name)
    tags = scalar_tags(run)
    assert set(tags) == {"train", "validation"}
    assert "epoch_loss" in tags["train"] and "epoch_accuracy" in tags["validation"]


def test_both_phases_of_a_two_phase_run_log_into_one_folder(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    namespace, source = exported(project(tensorboard_dir="tb", fine_tune_epochs=1), tmp_path)
    assert "callbacks = training_callbacks()" in source
    namespace["train_in_two_phases"](*data())
    (run,) = run_folders(tmp_path / "tb")
    events = EventAccumulator(str(run / "train"))
    events.Reload()
    tag = "epoch_loss" if "epoch_loss" in events.Tags()["scalars"] else None
    steps = [e.step for e in events.Scalars(tag)] if tag else [e.step for e in events.Tensors("epoch_loss")]
    assert steps == [0, 1, 2]  # two epochs in phase 1, the third in phase 2


def test_a_recipe_scripts_training_line_logs_too(tmp_path: Path) -> None:
    proj = project(autoencoder_graph(), recipe="autoencoder", loss="mse", metrics=[], validation_split=0.0,
                   tensorboard_dir="logs")
    namespace, source = exported(proj, tmp_path)
    line = training_line(source)
    assert line.startswith("model.fit(x_train,") and "callbacks=training_callbacks()" in line
    pixels = np.random.default_rng(1).random((32, 8, 8, 1), dtype=np.float32)
    exec(line, {**namespace, "x_train": pixels})
    (run,) = run_folders(tmp_path / "logs")
    assert "epoch_loss" in scalar_tags(run)["train"]


def test_without_the_setting_the_script_does_not_log() -> None:
    source = generate_python(project(fine_tune_epochs=1))
    assert "TensorBoard" not in source and "datetime" not in source and "callbacks" not in source


def test_a_layer_named_like_the_scripts_own_names_does_not_shadow_them(tmp_path: Path) -> None:
    namespace, source = exported(project(moons_graph("datetime"), tensorboard_dir="tb"), tmp_path)
    assert "datetime_2 = layers.Dense" in source
    exec(training_line(source), {**namespace, "x_train": data()[0], "y_train": data()[1]})
    assert len(run_folders(tmp_path / "tb")) == 1


@pytest.mark.parametrize("value", ["/tmp/elsewhere", "../outside"])
def test_a_log_folder_outside_the_project_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(CodegenError, match="tensorboard_dir") as caught:
        generate_python(project(tensorboard_dir=value))
    assert value in str(caught.value)
