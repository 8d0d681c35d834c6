"""kill -9 at random moments while Layerforge writes: no older file is ever lost, no temp file lingers.

Real processes, real SIGKILL, 20 iterations each. Importing TensorFlow costs seconds, so the
training loop forks its runs from one server process that has imported Keras and the app
(no TensorFlow thread exists yet at the fork); each forked run is the real
``layerforge train`` (``app.cli.main``), killed at a random point. Set
``LAYERFORGE_KILL_LOOP_ROOT`` to another checkout to measure older code the same way.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from app.core.graph import Graph
from app.core.project import Project, save_project

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="fork and SIGKILL are POSIX")]

ITERATIONS = 20
ROOT = Path(os.environ.get("LAYERFORGE_KILL_LOOP_ROOT") or Path(__file__).resolve().parents[2])
OLD_LOG = "this is the user's older metrics log\n"

WRITER = textwrap.dedent("""
    import os, sys
    from app.core.atomic import atomic_write
    target, n = sys.argv[1], 0
    def slow(tmp):
        with open(tmp, "wb") as fh:
            for _ in range(64):
                fh.write(bytes([n % 256]) * 65536)
                fh.flush()
    print("ready", flush=True)
    while True:
        n += 1
        atomic_write(target, slow)
""")

SERVER = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import keras, sklearn.datasets  # noqa: F401  (imported once, before any fork)
    from app.cli import main
    import app.keras_bridge.training, app.keras_bridge.export, app.data  # noqa: F401
    print("ready", flush=True)
    for line in sys.stdin:
        args = json.loads(line)
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os._exit(main(args))
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(status, flush=True)
""")


def _tiny_project(folder: Path) -> Path:
    graph = Graph()
    x = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 2]})
    h = graph.add_node("Dense", name="hidden", config={"units": 64, "activation": "relu"})
    y = graph.add_node("Dense", name="scores", config={"units": 2, "activation": "softmax"})
    graph.connect(x.id, h.id)
    graph.connect(h.id, y.id)
    path = folder / "tiny.json"
    save_project(Project(graph=graph, name="tiny", training={
        "epochs": 100_000, "batch_size": 64, "learning_rate": 0.01, "test_split": 0.0, "validation_split": 0.25,
        "checkpoint": True, "checkpoint_path": "best.keras"}, dataset={"name": "moons", "samples": 128}), path)
    return path


def _whole_model(path: Path) -> bool:
    """A complete .keras archive: readable zip, every member intact, config and weights present."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None and {"config.json", "model.weights.h5"} <= set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _log_ok(text: str) -> bool:
    """The user's old log, or a CSV whose every line is a complete row (header + at least one row)."""
    if text == OLD_LOG:
        return True
    if not text.endswith("\n"):
        return False
    rows = list(csv.reader(io.StringIO(text)))
    return len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows)


def _saving(folder: Path, best: Path, before: int) -> bool:
    """A checkpoint write has begun: a temp file beside it, or the target itself being rewritten."""
    try:
        return best.stat().st_mtime_ns != before or any(p.name.startswith(".best.keras") for p in folder.iterdir())
    except FileNotFoundError:
        return True


def _stale_temps(folder: Path, tmpdir: Path) -> list[str]:
    """Temp files in the output folder and Keras scratch folders whose writer is gone."""
    left = [p.name for p in folder.iterdir() if p.name.startswith(".") and ("tmp" in p.name)]
    left += [p.name for p in tmpdir.iterdir()]
    return left


def test_kill_9_during_training_never_loses_the_best_model_or_the_old_log(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path)
    best, log, scratch = tmp_path / "best.keras", tmp_path / "metrics.csv", tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdin is not None and server.stdout is not None
    rng = random.Random(11)
    lost_best, lost_log, killed_in_save = [], [], 0
    left_by_kills: set[str] = set()
    try:
        assert server.stdout.readline().strip() == "ready"

        def run(args: list[str]) -> int:
            server.stdin.write(json.dumps(["train", str(project), "--quiet", *args]) + "\n")
            server.stdin.flush()
            return int(server.stdout.readline())

        pid = run(["--epochs", "3"])  # the first best model, written by a run that is not killed
        assert os.waitstatus_to_exitcode(int(server.stdout.readline())) == 0, "the unkilled run failed"
        assert _whole_model(best)
        for i in range(ITERATIONS):
            log.write_text(OLD_LOG)
            before = best.stat().st_mtime_ns
            pid = run(["--log", str(log)])
            started = time.monotonic()
            if i % 2:  # kill while a checkpoint is being written: a temp file appears, or the target changes
                while not _saving(tmp_path, best, before) and time.monotonic() - started < 60:
                    time.sleep(0.001)
                time.sleep(rng.uniform(0.0, 0.02))
            else:  # anywhere from start-up to the first epochs
                time.sleep(rng.uniform(0.05, 2.5))
            killed_in_save += any(p.name.startswith(".best.keras") for p in tmp_path.iterdir())
            os.kill(pid, signal.SIGKILL)
            assert os.WIFSIGNALED(int(server.stdout.readline()))
            left_by_kills.update(_stale_temps(tmp_path, scratch))
            if not (best.exists() and _whole_model(best)):
                lost_best.append(i)
                run(["--epochs", "2"])  # a whole best model again for the next round
                server.stdout.readline()
            if not _log_ok(log.read_text() if log.exists() else ""):
                lost_log.append(i)
        print(f"\n{ITERATIONS} kills ({killed_in_save} with a checkpoint temp file present): best model lost "
              f"{len(lost_best)}/{ITERATIONS}, old log lost {len(lost_log)}/{ITERATIONS}")
        run(["--epochs", "2"])  # the next write cleans what the killed runs left
        assert os.waitstatus_to_exitcode(int(server.stdout.readline())) == 0
        remaining = _stale_temps(tmp_path, scratch)
        print(f"temp files seen right after the kills: {len(left_by_kills)}; after the next run: {len(remaining)}")
    finally:
        server.kill()
        server.wait()
    assert lost_best == [], f"the previous best model was destroyed by kills {lost_best}"
    assert lost_log == [], f"the old log was emptied without a complete new row by kills {lost_log}"
    assert remaining == [], f"temp files survived the next write: {remaining}"
    assert all(".layerforge-tmp-" in name or name.startswith("layerforge-keras-") for name in left_by_kills), \
        f"temp names not recognisable: {left_by_kills}"


def test_kill_9_during_atomic_writes_keeps_a_whole_file_and_the_next_write_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"\xff" * 64 * 65536)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(7)
    torn = 0
    seen: set[str] = set()
    for _ in range(ITERATIONS):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.kill()
        writer.wait()
        data = target.read_bytes()
        torn += not (len(data) == 64 * 65536 and data == data[:1] * len(data))
        seen.update(p.name for p in tmp_path.iterdir() if p != target)
    temps = sorted(p.name for p in tmp_path.iterdir() if p != target)
    from app.core.atomic import atomic_write_bytes

    atomic_write_bytes(target, b"fresh")
    after = sorted(p.name for p in tmp_path.iterdir() if p != target)
    print(f"\n{ITERATIONS} kills: torn files {torn}; temp files seen after kills {len(seen)}, left at the end "
          f"{len(temps)}, after the next write {len(after)}")
    assert torn == 0
    assert seen, "the kills should have left temp files to clean"
    assert all(".layerforge-tmp-" in name for name in seen), seen  # recognisable by name
    assert after == []
