"""Issue 20: a GUI training run must never abort the process, whatever garbage the GUI makes.

50 runs start and finish (every third stopped early) while the GUI thread makes cyclic Qt
garbage; the script runs in a subprocess, so an abort fails this test instead of taking
the test run down. Besides surviving, no garbage collection may run on a thread other
than the GUI thread, and no Qt object may be destroyed there: those are the causes of the
abort, and they show on every run, not only on an unlucky one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("gui_training_stress.py")
ROOT = Path(__file__).resolve().parents[2]
CYCLES = 50


@pytest.mark.slow
def test_fifty_gui_training_runs_amid_qt_garbage_never_abort() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(CYCLES)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        pytest.fail(f"the process died by {name}:\n{proc.stderr[-4000:]}")
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["cycles"] == CYCLES
    assert sum(report["statuses"].values()) == CYCLES
    assert report["statuses"].get("failed", 0) == 0, proc.stderr[-4000:]
    assert report["statuses"].get("stopped", 0) >= 1, "some runs were stopped while running"
    assert report["off_thread_collections"] == [], "garbage was collected off the GUI thread"
    assert report["off_thread_destroyed"] == [], "Qt objects were destroyed off the GUI thread"
    assert report["gc_enabled_after"], "automatic garbage collection is back once no run is going on"
    assert report["threads_left"] == 0
