"""DESIGN rule 1: app.core never imports Qt or Keras (checked in a clean interpreter)."""

import json
import subprocess
import sys


def test_importing_core_loads_no_qt_keras_or_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "import app.core.graph, app.core.shapes, app.core.project, app.core.fixes, app.core.summary, app.cli\n"
        "import app.core.catalog\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'shiboken6', 'pyqtgraph', 'keras', 'tensorflow'})\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_data_and_the_training_engine_load_no_qt_and_data_loads_no_keras() -> None:
    """app.data is numpy-only (the GUI previews data before TensorFlow loads); the engine
    imports Keras only when a run starts, and never Qt (the CLI shares it)."""
    code = (
        "import json, sys\n"
        "import app.data, app.core.training_settings, app.core.run_history\n"
        "data_bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'shiboken6', 'pyqtgraph', 'keras', 'tensorflow', 'sklearn', 'pandas'})\n"
        "import app.keras_bridge.training, app.commands.train\n"
        "engine_bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'shiboken6', 'pyqtgraph', 'keras', 'tensorflow'})\n"
        "print(json.dumps([data_bad, engine_bad]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], []]
