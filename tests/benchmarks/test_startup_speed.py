"""Issue figure: time to first window (goal < 1.5 s), with TensorFlow left for later.

Each round is a fresh interpreter (``python -c``), so imports are paid as a user pays
them. The script runs the same start-up path as ``layerforge`` (app.gui.app:
create_application, open_windows on the default example) and stops the clock at the
window's first paint. Times are from ``time.perf_counter()`` at the top of the script;
the subprocess wall time (interpreter start-up included) is what pytest-benchmark records.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOAL_S = 1.5

FIRST_WINDOW = r"""
import time
started = time.perf_counter()
import json, os, sys
from app.gui import app as gui_app
imported = time.perf_counter()
qapp = gui_app.create_application([sys.argv[0]])
window, = gui_app.open_windows(None)
built = time.perf_counter()
painted = []
gui_app.start_after_first_paint(window, lambda: painted.append(time.perf_counter()), fallback_ms=60_000)
while not painted and time.perf_counter() - started < 60:
    qapp.processEvents()
report = {
    "import_s": imported - started,
    "build_s": built - imported,
    "first_window_s": painted[0] - started,
    "exposed": window.windowHandle().isExposed(),
    "tensorflow_imported": "tensorflow" in sys.modules or "keras" in sys.modules,
    "nodes": len(window.document.graph),
}
if sys.argv[1] == "tensorflow":
    from app.gui.background import shared_importer
    importer = shared_importer()
    window.watch_importer(importer)
    ticks = []
    from PySide6.QtCore import QTimer
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    importer.start()
    while importer.state not in ("ready", "failed") and time.perf_counter() - started < 120:
        qapp.processEvents()
    report["tensorflow_state"] = importer.state
    report["tensorflow_ready_s"] = time.perf_counter() - started
    report["status_text"] = window.backend_label.text()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    report["max_gui_stall_ms"] = 1000 * max(gaps, default=0.0)
    report["median_tick_ms"] = 1000 * sorted(gaps)[len(gaps) // 2] if gaps else 0.0
print("REPORT " + json.dumps(report), flush=True)
os._exit(0)
"""


def launch(mode: str, home: Path) -> dict[str, Any]:
    env = {**os.environ, "LAYERFORGE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-c", FIRST_WINDOW, mode], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line[len("REPORT "):])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty per-user folder: no recovery prompt, no real settings touched."""
    return tmp_path / "home"


def test_time_to_first_window(benchmark, home: Path) -> None:
    launch("window", home)  # warm the OS file cache, as a second start would find it
    reports: list[dict[str, Any]] = []
    benchmark.pedantic(lambda: reports.append(launch("window", home)), rounds=5, iterations=1)
    first = [r["first_window_s"] for r in reports]
    benchmark.extra_info.update({
        "first_window_median_s": round(statistics.median(first), 3),
        "first_window_min_s": round(min(first), 3),
        "import_median_s": round(statistics.median(r["import_s"] for r in reports), 3),
        "build_window_median_s": round(statistics.median(r["build_s"] for r in reports), 3),
        "goal_s": GOAL_S,
    })
    assert all(r["exposed"] and r["nodes"] > 0 for r in reports)
    assert not any(r["tensorflow_imported"] for r in reports), "TensorFlow was imported before the window showed"
    assert statistics.median(first) < GOAL_S, benchmark.extra_info


def test_tensorflow_loads_after_the_window_without_freezing_it(benchmark, home: Path) -> None:
    """One round: the window is up first, TensorFlow arrives later, the GUI keeps ticking meanwhile."""
    import keras  # noqa: F401  (a hard dependency: fail, never skip)
    report = benchmark.pedantic(lambda: launch("tensorflow", home), rounds=1, iterations=1)
    benchmark.extra_info.update({k: round(v, 3) if isinstance(v, float) else v for k, v in report.items()})
    assert not report["tensorflow_imported"]
    assert report["tensorflow_state"] == "ready" and report["status_text"] == "TensorFlow ready"
    assert report["tensorflow_ready_s"] > report["first_window_s"]
