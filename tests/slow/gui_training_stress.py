"""Stress script for issue 20, run in a subprocess by ``test_gui_training_stress.py``.

Many GUI training runs start and finish (or are stopped) while the GUI thread keeps
making cyclic Qt garbage: dialogs, widgets and pyqtgraph plots that are shown, then
dropped inside reference cycles. Before the fix, Keras' ``clear_session`` collected that
garbage on the training thread and Qt aborted the process now and then. The script
records every garbage collection that runs on a thread other than the GUI thread, and
every Qt object destroyed off the GUI thread, and prints a JSON report as its last line.
An abort shows up as the subprocess dying by a signal.

Usage: python gui_training_stress.py CYCLES
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import faulthandler

faulthandler.enable()

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget  # noqa: E402

from app.core.project import load_project  # noqa: E402
from app.gui.training.worker import TrainingWorker, running_count  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 120_000
GARBAGE_INTERVAL_MS = 60
"""A window's worth of garbage this often while a run goes on (leaves the GUI thread idle time)."""

off_thread_collections: list[str] = []
off_thread_destroyed: list[str] = []


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start" and threading.current_thread() is not threading.main_thread():
        off_thread_collections.append(f"{threading.current_thread().name}: generation {info['generation']}")


def _record_destroyed(kind: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        off_thread_destroyed.append(f"{kind} on {threading.current_thread().name}")


def make_cyclic_garbage(count: int, *, plots: bool = True) -> int:
    """Show Qt objects, then drop them inside reference cycles: only a collection frees them."""
    made = 0
    for i in range(count):
        dialog = QDialog()
        layout = QVBoxLayout(dialog)
        label = QLabel(f"garbage {i}", dialog)
        layout.addWidget(label)
        plot = pg.PlotWidget(dialog) if plots else QWidget(dialog)
        if plots:
            plot.plot([0, 1, 2], [i, i + 1, i])
        layout.addWidget(plot)
        dialog.show()
        widget = QWidget()
        widget.show()
        timer = QTimer(widget)
        timer.start(1000)
        for obj, kind in ((dialog, "QDialog"), (widget, "QWidget"), (plot, "PlotWidget")):
            obj.destroyed.connect(lambda *_a, k=kind: _record_destroyed(k), Qt.ConnectionType.DirectConnection)
        dialog.cycle = dialog  # reference cycles: refcounting alone never frees these
        widget.cycle = (widget, timer, dialog)
        plot.cycle = plot
        made += 3
    QApplication.processEvents()
    return made


def main(cycles: int) -> int:
    app = QApplication.instance() or QApplication([])
    gc.callbacks.append(_gc_callback)
    project = load_project(ROOT / "models" / "moons_boundary.json")
    project.training.update({"epochs": 1, "batch_size": 32, "checkpoint": False, "early_stopping": False})
    statuses: dict[str, int] = {}
    garbage = 0
    for cycle in range(cycles):
        garbage += make_cyclic_garbage(2)
        worker = TrainingWorker(project)
        loop = QEventLoop()
        worker.finished.connect(loop.quit)
        maker = QTimer()
        maker.timeout.connect(lambda: make_cyclic_garbage(1, plots=False))
        maker.start(GARBAGE_INTERVAL_MS)
        if cycle % 3 == 2:  # stop some runs as soon as they report progress
            worker.progress.connect(lambda _p, w=worker: w.stop())
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        guard.start(RUN_TIMEOUT_MS)
        worker.start()
        loop.exec()
        maker.stop()
        if worker.result is None:
            print(f"cycle {cycle}: the run did not finish within {RUN_TIMEOUT_MS // 1000} s", file=sys.stderr)
            return 3
        statuses[worker.result.status] = statuses.get(worker.result.status, 0) + 1
        if worker.result.status == "failed":
            print(f"cycle {cycle}: {worker.result.reason}", file=sys.stderr)
        worker.deleteLater()
        app.processEvents()
    gc.collect()
    app.processEvents()
    report = {
        "cycles": cycles,
        "statuses": statuses,
        "garbage_objects_made": garbage,
        "off_thread_collections": off_thread_collections[:20],
        "off_thread_collection_count": len(off_thread_collections),
        "off_thread_destroyed": off_thread_destroyed[:20],
        "off_thread_destroyed_count": len(off_thread_destroyed),
        "gc_enabled_after": gc.isenabled(),
        "threads_left": running_count(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
