"""``layerforge sweep`` with real (tiny) trials: failing trials, two worker processes on one
study file, the run history, and the best trial's settings reproducing its metric."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.core.project import load_project

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture
def mlp(tmp_path: Path) -> Path:
    project = tmp_path / "mlp.json"
    shutil.copy(MODELS / "mlp_tabular.json", project)
    return project


def test_a_bad_param_names_it_and_trains_nothing(mlp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(mlp), "--param", "hidden_9.units=8,16", "--trials", "2"]) == 2
    err = capsys.readouterr().err
    assert "hidden_9.units" in err and "no layer named 'hidden_9'" in err and "Traceback" not in err
    assert main(["sweep", str(mlp), "--param", "learning_rate=0.1..0.001", "--trials", "2"]) == 2
    assert "from low to high" in capsys.readouterr().err
    assert main(["sweep", str(mlp), "--param", "learning_rate=0.01,0.1", "--metric", "val_auc"]) == 2
    assert "val_auc" in capsys.readouterr().err
    assert not (mlp.parent / "mlp.sweeps").exists()


def test_a_failing_trial_is_reported_and_the_sweep_goes_on(mlp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # species.units=2 cannot fit iris' three classes: that trial fails with the reason, the other finishes
    code = main(["sweep", str(mlp), "--param", "species.units=2,3", "--sampler", "grid", "--trials", "5",
                 "--epochs", "2", "--no-prune", "--study-name", "fail-test"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "the grid has 2 points" in out.err
    assert "failed" in out.out and "species" in out.out and "3 classes" in out.out
    assert "best: trial" in out.out and "species.units=3" in out.out
    runs = load_project(mlp).runs
    assert len(runs) == 2
    by_units = {run["sweep"]["values"]["species.units"]: run for run in runs}
    assert by_units[2]["status"] == "failed" and "3 classes" in by_units[2]["reason"]
    assert by_units[3]["status"] == "finished" and len(by_units[3]["history"]["val_accuracy"]) == 2
    assert by_units[3]["sweep"]["study"] == "fail-test" and by_units[3]["sweep"]["metric"] == "val_accuracy"
    assert (mlp.parent / "mlp.sweeps" / "mlp.journal").is_file()


@pytest.mark.slow  # two fresh processes import TensorFlow: about 30-45 s on 2 busy cores
def test_two_workers_share_a_study_and_the_best_trial_reproduces(mlp: Path, tmp_path: Path) -> None:
    best_file = tmp_path / "best.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "sweep", str(mlp), "--dataset", "iris", "--param", "learning_rate=1e-3..1e-1",
         "--log", "learning_rate", "--param", "hidden_1.units=4..32", "--trials", "6", "--epochs", "4",
         "--workers", "2", "--study-name", "two", "--out-project", str(best_file)],
        capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "best: trial" in done.stdout and "2 workers" in done.stdout

    import optuna

    from app.keras_bridge.sweep import storage_for

    study = optuna.load_study(study_name="two", storage=storage_for(mlp.parent / "mlp.sweeps" / "mlp.journal"))
    assert len(study.trials) == 6  # the budget is shared: not 6 per worker
    records = {run["sweep"]["trial"]: run for run in load_project(mlp).runs}
    assert sorted(records) == list(range(6))
    assert {run["sweep"]["worker"] for run in records.values()} == {0, 1}  # both processes ran trials

    finished = {n: r for n, r in records.items() if r["sweep"]["state"] == "finished"}
    best_number = max(finished, key=lambda n: (finished[n]["sweep"]["value"], -n))
    best = finished[best_number]
    assert json.loads(json.dumps(best["sweep"]["values"])) == best["sweep"]["values"]

    # The best trial's settings, applied to the project, retrained with the same seed
    from app.keras_bridge.training import TrainingSession

    project = load_project(best_file)
    assert project.training["learning_rate"] == pytest.approx(best["sweep"]["values"]["learning_rate"])
    assert project.graph.node_by_name("hidden_1").config["units"] == best["sweep"]["values"]["hidden_1.units"]
    assert len(project.runs) == 6
    result = TrainingSession(project).run()
    assert result.ok, result.reason
    again = result.history
    assert again["val_accuracy"][-1] == pytest.approx(best["sweep"]["value"], abs=1 / 30 + 1e-6)  # one of 30 samples
    assert again["val_loss"][-1] == pytest.approx(best["history"]["val_loss"][-1], rel=0.02, abs=1e-3)
    print(f"best trial {best_number}: val_accuracy {best['sweep']['value']:.4f} -> retrained "
          f"{again['val_accuracy'][-1]:.4f}; val_loss {best['history']['val_loss'][-1]:.5f} -> "
          f"{again['val_loss'][-1]:.5f}")
