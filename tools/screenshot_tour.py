"""Put the real app into a state worth a README screenshot, then leave it running.

    DISPLAY=:99 .venv/bin/python tools/screenshot_tour.py step      # LeNet trained, stepped to c1
    DISPLAY=:99 .venv/bin/python tools/screenshot_tour.py gradcam   # LeNet trained, Grad-CAM of a test digit
    DISPLAY=:99 .venv/bin/python tools/screenshot_tour.py presenter # presenter mode with help and badges
    DISPLAY=:99 .venv/bin/python tools/screenshot_tour.py boundary  # moons, decision boundary after training

It prints "READY" when the window shows the state; take the picture from outside
(``import -window root shot.png``) and kill the process. Everything goes through the same
API a user's clicks reach (actions, the panels' buttons), on bundled data, offline.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.gui.app import create_application  # noqa: E402
from app.gui.gallery import examples_dir, open_copy  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402

POLL_MS = 200


def when(condition: Callable[[], bool], then: Callable[[], None]) -> None:
    """Run ``then`` once ``condition`` holds, polling without blocking the event loop."""
    if condition():
        then()
    else:
        QTimer.singleShot(POLL_MS, lambda: when(condition, then))


def ready() -> None:
    print("READY", flush=True)


def train_then(window: MainWindow, then: Callable[[], None]) -> None:
    panel = window.training
    finished: list[object] = []
    panel.training_finished.connect(finished.append)
    when(panel.can_train, lambda: (window.start_training(), when(lambda: bool(finished), then)))


def insight_tab(window: MainWindow, name: str, height: int = 470) -> object:
    panel = window.teaching.show_insight()
    window.resizeDocks([window.teaching.insight_dock], [height], Qt.Orientation.Vertical)
    tab = {"step": panel.step_tab, "gradcam": panel.gradcam_tab, "boundary": panel.boundary_tab}[name]
    panel.tabs.setCurrentWidget(tab)
    return panel


def step(window: MainWindow) -> None:
    def show() -> None:
        window.teaching.help_dock.raise_()
        panel = insight_tab(window, "step")
        panel.set_sample(3)
        panel.step()
        when(lambda: panel.highlighted() is not None, lambda: (panel.step(), when(
            lambda: panel.highlighted() == window_node(window, "c1"), ready)))

    train_then(window, show)


def gradcam(window: MainWindow) -> None:
    def show() -> None:
        panel = insight_tab(window, "gradcam")
        panel.set_sample(3)
        panel.gradcam_tab.show_button.click()
        when(lambda: not panel.busy, ready)

    train_then(window, show)


def presenter(window: MainWindow) -> None:
    teaching = window.teaching
    teaching.badge_actions["flops"].setChecked(True)
    teaching.presenter_action.trigger()
    teaching.explain_node(window_node(window, "c1"))
    QTimer.singleShot(1500, ready)


def boundary(window: MainWindow) -> None:
    panel = insight_tab(window, "boundary", 520)
    train_then(window, lambda: when(lambda: not panel.busy, ready))


def window_node(window: MainWindow, name: str) -> str:
    return next(n.id for n in window.document.graph.nodes() if n.name == name)


STATES: dict[str, tuple[str, Callable[[MainWindow], None]]] = {
    "step": ("lenet_mnist.json", step),
    "gradcam": ("lenet_mnist.json", gradcam),
    "presenter": ("lenet_mnist.json", presenter),
    "boundary": ("moons_boundary.json", boundary),
}


def main() -> int:
    state = sys.argv[1] if len(sys.argv) > 1 else ""
    if state not in STATES:
        print(f"usage: screenshot_tour.py {{{','.join(STATES)}}}", file=sys.stderr)
        return 2
    example, drive = STATES[state]
    app = create_application()
    document = open_copy(examples_dir() / example)
    document.project.training["epochs"] = 3 if example == "lenet_mnist.json" else 40
    window = MainWindow(document, autosave_directory=Path(tempfile.mkdtemp()))
    window.show()
    QTimer.singleShot(500, lambda: drive(window))
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
