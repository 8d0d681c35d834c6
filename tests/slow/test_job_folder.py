"""``layerforge job``: the folder's contents, its refusals, and its train.py really training, on one
process and as a two-process data-parallel job on 127.0.0.1 (JAX backend, keras.distribution)."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from app.cli import main
from app.core.project import load_project
from app.data import load_dataset, prepare, split_dataset
from app.keras_bridge.job_folder import FILES, write_job

MODELS = Path(__file__).resolve().parents[2] / "models"
LOSS_TOLERANCE = 1e-4
"""The reference is the same train.py run as one process in this test's own process, on the
TensorFlow backend (a third JAX process would double the test's time on a 2-core machine): the
same global batches and updates, float32 kernels of another backend. Measured: <= 6e-8 over 4
epochs; two JAX processes end with bit-identical weights."""


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MLP example's job, its Dropout at rate 0: dropout masks come from each backend's own
    random generator, and the single-process reference below runs on another backend."""
    folder = tmp_path_factory.mktemp("jobs") / "iris-job"
    project = load_project(MODELS / "mlp_tabular.json")
    (dropout,) = [node for node in project.graph.nodes() if node.class_name == "Dropout"]
    project.graph.set_param(dropout.id, "rate", 0.0)
    write_job(project, folder, base_dir=MODELS, overrides={"epochs": 4})
    return folder


def test_the_folder_holds_everything_and_the_data_is_the_engines(job: Path) -> None:
    assert sorted(p.name for p in job.iterdir()) == sorted(FILES)
    settings = json.loads((job / "settings.json").read_text())
    assert settings["epochs"] == 4 and settings["inputs"] == ["measurements"] and settings["outputs"] == ["species"]
    project = load_project(MODELS / "mlp_tabular.json")
    from app.core.training_settings import with_defaults

    chosen = with_defaults(project.training)
    dataset = load_dataset(project.dataset, MODELS)
    prepared = prepare(dataset, split_dataset(dataset, chosen["validation_split"], chosen["test_split"],
                                              chosen["seed"]), project.graph, chosen, project.dataset)
    with np.load(job / "data.npz") as data:
        for name, part in (("train", prepared.train), ("validation", prepared.validation), ("test", prepared.test)):
            assert part is not None
            assert np.array_equal(data[f"x_{name}/measurements"], part[0]["measurements"])
            assert np.array_equal(data[f"y_{name}/species"], part[1]["species"])
    requirements = (job / "requirements.txt").read_text()
    assert f"keras=={keras.__version__}" in requirements and "jax==" in requirements
    readme = (job / "README.md").read_text()
    assert "--num-processes 2 --process-id 1 --coordinator" in readme and "#20585" in readme
    compile(((job / "train.py").read_text()), "train.py", "exec")


def test_the_command_writes_a_job_and_refuses_a_folder_that_is_not_empty(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["job", str(MODELS / "mlp_tabular.json"), "-o", str(tmp_path / "job"), "--epochs", "7"]) == 0
    assert f"wrote {tmp_path / 'job'}" in capsys.readouterr().out
    assert json.loads((tmp_path / "job" / "settings.json").read_text())["epochs"] == 7

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["job", str(MODELS / "mlp_tabular.json"), "-o", str(mine)]) == 3
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert main(["job", str(MODELS / "mlp_tabular.json"), "-o", str(tmp_path / "no" / "such")]) == 3
    assert main(["job", str(MODELS / "mlp_tabular.json"), "-o", str(mine), "--force"]) == 0
    assert sorted(p.name for p in mine.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job", "mine"], "no temp folder is left"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train(job: Path, tag: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out, metrics = job / f"{tag}.keras", job / f"{tag}.jsonl"
    log = open(job / f"{tag}.log", "wb")  # noqa: SIM115 (closed with the process below)
    return subprocess.Popen([sys.executable, str(job / "train.py"), "--out", str(out), "--metrics", str(metrics),
                             *extra], env=env, stdout=log, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[bytes], job: Path, tag: str) -> None:
    try:
        code = process.wait(timeout=85)  # about 15 s on an idle 2-core machine: JAX compiles the steps
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    assert code == 0, (job / f"{tag}.log").read_text(errors="replace")[-3000:]


def epoch_losses(path: Path) -> list[float]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["event"] == "start" and records[-1]["event"] == "end"
    return [r["logs"]["loss"] for r in records if r["event"] == "epoch"]


def single_run(job: Path) -> None:
    """The job's own train.py, one process (same global batch, same dropped remainder), in this process."""
    spec = importlib.util.spec_from_file_location("job_train", job / "train.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--num-processes", "1", "--out", str(job / "single.keras"), "--metrics",
                        str(job / "single.jsonl")]) == 0


@pytest.mark.slow
def test_two_processes_train_in_lockstep_and_match_one_process(job: Path) -> None:
    port = str(free_port())
    workers = [train(job, f"worker{rank}", "--num-processes", "2", "--process-id", str(rank), "--coordinator",
                     f"127.0.0.1:{port}") for rank in (0, 1)]
    single_run(job)
    for process, tag in zip(workers, ("worker0", "worker1"), strict=True):
        finish(process, job, tag)

    weights = [keras.models.load_model(job / f"{tag}.keras").get_weights() for tag in ("worker0", "worker1",
                                                                                       "single")]
    for a, b in zip(weights[0], weights[1], strict=True):
        assert np.array_equal(a, b), "both processes end with the same weights"
    start = keras.models.load_model(job / "model.keras").get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(weights[0], start, strict=True)), "the job trained"
    for a, b in zip(weights[0], weights[2], strict=True):
        assert np.allclose(a, b, atol=1e-5)

    two, one = epoch_losses(job / "worker0.jsonl"), epoch_losses(job / "single.jsonl")
    assert len(two) == len(one) == 4
    assert epoch_losses(job / "worker1.jsonl") == two
    print(f"losses, 2 processes: {two}\nlosses, 1 process:   {one}")
    assert np.max(np.abs(np.array(two) - np.array(one))) <= LOSS_TOLERANCE
    assert "2 processes" in json.loads((job / "worker0.jsonl").read_text().splitlines()[0])["device"]
    assert main(["follow", str(job / "worker0.jsonl"), "--no-wait"]) == 0  # what train.py writes, follow reads
