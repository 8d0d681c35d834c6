"""The Grad-CAM, "Weights & activations" and "Decision boundary" tabs of the insight panel.

Each tab asks the panel for the current model + data (:meth:`InsightPanel.request_material`),
runs its Keras work in a background job, and hands numpy arrays to its view. A failure is
shown as a message in the tab, never raised. When the model changes (an edit, a finished
training run) a tab that has shown something recomputes, at once when it is visible and
otherwise when it is next shown. While a run trains, the decision boundary shows the live
frames; the other tabs say that the trained model comes when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app.gui.insight.boundary_view import DecisionBoundaryView
from app.gui.insight.common import error_text
from app.gui.insight.gradcam_view import GradCamView
from app.gui.insight.histogram_view import HistogramView
from app.gui.insight.host import MaterialSource
from app.gui.insight.material import HINTS as MATERIAL_HINTS
from app.gui.jobs import Jobs
from app.gui.theme import TEXT_MUTED
from app.gui.widgets import class_ids, class_label

if TYPE_CHECKING:
    from app.gui.insight.material import Material

HISTOGRAM_SAMPLES = 256
"""Test samples whose activations make the activation histograms and the dead-ReLU count."""
RESOLUTION = 80
"""Decision grid points per axis."""
POINT_SETS = ("moons", "circles", "xor", "spirals")
NEEDS_BOUNDARY = ("The decision boundary needs a model with a 2-value input and a classifier output, "
                  "and the moons, circles, xor or spirals dataset.")
HINTS = (*MATERIAL_HINTS, NEEDS_BOUNDARY)
LIVE_WAITING = "Live: the map follows the model as it trains (the first frame comes in a moment)…"


def is_hint(message: str) -> bool:
    """Messages that ask the user to do something are grey; failures are red."""
    return message in HINTS


class BoundaryHost(MaterialSource, Protocol):
    """What the decision-boundary tab uses of the insight panel, besides the material."""

    @property
    def live(self) -> LiveBoundary: ...
    def boundary_problem(self, for_run: bool = False) -> str | None: ...


class InsightTab(QWidget):
    """What the three tabs share: the host panel, their jobs and the "recompute when seen" rule."""

    def __init__(self, host: MaterialSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.jobs = Jobs(self)
        self.wanted = False
        """The user asked for this view: it follows later changes of the model."""
        self.stale = False

    def _status_row(self, button_text: str, tip: str) -> tuple[QLabel, QPushButton]:
        """The tab's layout with its first row: a muted status line and a button that computes."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        label = QLabel(self)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {TEXT_MUTED};")
        row.addWidget(label, 1)
        button = QPushButton(button_text, self)
        button.setToolTip(tip)
        button.clicked.connect(self.compute)
        row.addWidget(button)
        layout.addLayout(row)
        self.box = layout
        """The tab's column: the status row, then the view (:meth:`_status_row` made it)."""
        return label, button

    def compute(self) -> None:
        """Ask the host for the model and data; :meth:`_material_ready` draws from them."""
        self.wanted = True
        self.stale = False
        self.jobs.forget()
        self._show_computing()
        self.host.request_material(self._material_ready)

    def _show_computing(self) -> None:
        """Say that work started (each tab says it where it shows its state)."""

    def material_changed(self) -> None:
        """The model or data changed: recompute now when in view, else when next shown (an
        answer still on its way for the old model is dropped)."""
        self.jobs.forget()
        self.host.cancel_material(self._material_ready)
        if self.wanted and self.isVisible():
            self.compute()
        else:
            self.stale = True

    def _material_ready(self, material: Material | None, message: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def activate(self) -> None:
        """The tab was brought to front."""
        if self.stale and self.wanted:
            self.compute()


# --- Grad-CAM ---------------------------------------------------------------------------------------

class GradCamTab(InsightTab):
    """Pick an image and a class (or the predicted one), see where the network looked."""

    def __init__(self, host: MaterialSource, parent: QWidget | None = None) -> None:
        super().__init__(host, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Sample", self))
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setRange(0, 999_999)
        row.addWidget(self.sample_spin)
        row.addWidget(QLabel("Class", self))
        self.class_combo = QComboBox(self)
        self.class_combo.addItem("predicted", None)
        self.class_combo.setMinimumContentsLength(14)
        row.addWidget(self.class_combo, 1)
        self.show_button = QPushButton("Show", self)
        self.show_button.setToolTip("Compute the Grad-CAM heat map for this image and class")
        self.show_button.clicked.connect(self.compute)
        row.addWidget(self.show_button)
        layout.addLayout(row)
        self.view = GradCamView(self)
        layout.addWidget(self.view, 1)
        self._class_names: list[str] | None = None
        self.result: Any = None
        self.sample_spin.valueChanged.connect(self._choice_changed)
        self.class_combo.currentIndexChanged.connect(self._choice_changed)

    def set_sample(self, index: int) -> None:
        self.sample_spin.setValue(int(index))

    def set_class(self, class_index: int | None) -> bool:
        """Explain ``class_index`` (None: the predicted class); False when there is no such class."""
        for i in range(self.class_combo.count()):
            if self.class_combo.itemData(i) == class_index:
                self.class_combo.setCurrentIndex(i)
                return True
        return False

    def _choice_changed(self, _value: int) -> None:
        if self.wanted:
            self.compute()

    def _show_computing(self) -> None:
        self.view.show_message("Computing the heat map…")

    def _material_ready(self, material: Material | None, message: str | None) -> None:
        if material is None:
            self.view.show_message(message or "Nothing to show.", error=not is_hint(message or ""))
            return
        from app.keras_bridge.insight import sample_count

        try:
            count = sample_count(material.prepared)
        except ValueError:
            count = 0
        if count == 0:
            self.view.show_message("The dataset has no samples to show.", error=True)
            return
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, count - 1)
        self.sample_spin.blockSignals(False)
        names = material.class_names
        if names is None:  # no names (arrays without them): the classes by number, from the model
            names = [str(i) for i in range(output_classes(material.model))]
        self._fill_classes(names)
        index = self.sample_spin.value()
        class_index = self.class_combo.currentData()

        def run() -> tuple[Any, np.ndarray]:
            from app.keras_bridge.insight import GradCamError, grad_cam, sample_inputs

            inputs, _label = sample_inputs(material.prepared, index)
            if len(inputs) != 1:
                raise GradCamError("Grad-CAM needs a model with one image input; this one has "
                                   f"{len(inputs)} inputs.")
            image = next(iter(inputs.values()))
            return grad_cam(material.model, image, class_index), image

        self.jobs.forget()
        self.jobs.start(run, lambda value, error: self._done(material, value, error))

    def _fill_classes(self, names: list[str] | None) -> None:
        if names == self._class_names:
            return
        self._class_names = names
        current = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("predicted", None)
        for i, name in enumerate(names or []):
            self.class_combo.addItem(str(name), i)
        found = self.class_combo.findData(current)
        self.class_combo.setCurrentIndex(found if found >= 0 else 0)
        self.class_combo.blockSignals(False)

    def _done(self, material: Material, value: Any, error: BaseException | None) -> None:
        if error is not None:
            self.result = None
            self.view.show_message(error_text(error), error=True)
            return
        cam, image = value
        self.result = cam
        names = material.class_names
        predicted = int(np.argmax(np.asarray(cam.probabilities).reshape(-1)))
        self.class_combo.setItemText(0, f"predicted ({class_label(names, predicted)})")
        self.view.show_result(np.asarray(image)[0], cam.heatmap, cam.probabilities, names, cam.class_index,
                              cam.layer_name, note=getattr(cam, "output_note", ""))


# --- weights & activations ------------------------------------------------------------------------------

class HistogramTab(InsightTab):
    """Per-layer weight and activation histograms and the dead-ReLU share; Refresh recomputes."""

    def __init__(self, host: MaterialSource, parent: QWidget | None = None) -> None:
        super().__init__(host, parent)
        self.status_label, self.refresh_button = self._status_row(
            "Refresh", "Recompute the histograms for the current model")
        self.view = HistogramView(self)
        self.box.addWidget(self.view, 1)
        self.computed = 0
        """How many times histograms were drawn (for tests and the "after training" refresh)."""

    def activate(self) -> None:
        if not self.wanted or self.stale:
            self.compute()

    def _show_computing(self) -> None:
        self.status_label.setText("Computing histograms…")

    def _material_ready(self, material: Material | None, message: str | None) -> None:
        if material is None:
            self.status_label.setText("")
            self.view.show_message(message or "Nothing to show.", error=not is_hint(message or ""))
            return
        units = {}
        for node_id, info in material.analysis.nodes.items():
            shapes = info.output_shapes
            if shapes and shapes[0] and isinstance(shapes[0][-1], int):
                units[node_id] = int(shapes[0][-1])

        def run() -> tuple[list[Any], list[Any], int, str]:
            from app.keras_bridge.insight import activation_histograms, resolve_part, weight_histograms

            part = resolve_part(material.prepared)
            x, _y = getattr(material.prepared, part)
            batch = {name: values[:HISTOGRAM_SAMPLES] for name, values in x.items()}
            count = len(next(iter(batch.values()))) if batch else 0
            weights = weight_histograms(material.model, material.graph)
            activations = activation_histograms(material.model, material.graph, batch)
            return weights, activations, count, part

        self.jobs.start(run, lambda value, error: self._done(material, units, value, error))

    def _done(self, material: Material, units: dict[str, int], value: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText("")
            self.view.show_message(f"The histograms could not be computed: {error_text(error)}", error=True)
            return
        weights, activations, count, part = value
        self.view.set_histograms(weights, activations, units)
        self.status_label.setText(f"Model: {material.source} · activations over {count} {part} sample"
                                  f"{'s' if count != 1 else ''}")
        self.computed += 1


# --- decision boundary ------------------------------------------------------------------------------------

@dataclass
class BoundaryFrame:
    """One decision map with the points it is drawn over (what the live probe hands over)."""

    token: int
    grid: Any
    points: np.ndarray
    labels: np.ndarray
    n_classes: int


def output_classes(model: Any) -> int:
    """How many classes the model's first output scores (a single sigmoid unit: 2); read from its
    output tensor's shape, so nothing is computed."""
    try:
        width = model.outputs[0].shape[-1]
    except (AttributeError, IndexError, TypeError):
        return 0
    if not isinstance(width, int) or width < 1:
        return 0
    return 2 if width == 1 else width


def boundary_points(prepared: Any) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The training points (N, 2), their class ids and the class count; None when the prepared
    data is not a 2-feature classification set."""
    if prepared is None or getattr(prepared, "task", "") != "classification":
        return None
    x, y = prepared.train
    if len(x) != 1 or len(y) != 1:
        return None
    points = np.asarray(next(iter(x.values())))
    if points.ndim != 2 or points.shape[1] != 2:
        return None
    labels = class_ids(np.asarray(next(iter(y.values()))))
    if labels is None:
        return None
    names = getattr(prepared, "class_names", None)
    n_classes = max(2, len(names) if names else int(labels.max()) + 1 if labels.size else 2)
    return points, labels, n_classes


class LiveBoundary:
    """The training probe: called on the training thread, it draws nothing, it only computes.

    ``active`` and ``token`` are set on the GUI thread when a run starts (:meth:`start`); the
    frame carries the token so a late frame of an older run is ignored. The points of the run's
    prepared data are found once per run (the prepared object is kept and compared with ``is``).
    """

    def __init__(self) -> None:
        self.active = False
        self.token = 0
        self._points: tuple[Any, tuple[np.ndarray, np.ndarray, int] | None] | None = None

    def start(self, active: bool) -> None:
        """A run starts: frames get a new token; ``active`` says whether to compute any."""
        self._points = None
        self.token += 1
        self.active = active

    def stop(self) -> None:
        """The run ended: compute nothing more, and let go of its data."""
        self.active = False
        self._points = None

    def __call__(self, model: Any, prepared: Any) -> BoundaryFrame | None:
        if not self.active:
            return None
        cached = self._points
        if cached is None or cached[0] is not prepared:
            cached = (prepared, boundary_points(prepared))
            self._points = cached
        found = cached[1]
        if found is None:
            return None
        from app.keras_bridge.insight import decision_grid

        points, labels, n_classes = found
        return BoundaryFrame(self.token, decision_grid(model, points, RESOLUTION), points, labels, n_classes)


class BoundaryTab(InsightTab):
    """The decision map of a 2-input classifier on a 2-D point set: on Show, and live while training."""

    def __init__(self, host: BoundaryHost, parent: QWidget | None = None) -> None:
        super().__init__(host, parent)
        self.host: BoundaryHost = host
        self.status_label, self.show_button = self._status_row(
            "Show", "Draw the decision boundary of the current model")
        self.view = DecisionBoundaryView(self)
        self.box.addWidget(self.view, 1)
        self.live_frames = 0

    def applicable(self) -> str | None:
        """None when a boundary can be drawn, else the sentence saying what is needed."""
        return self.host.boundary_problem()

    def activate(self) -> None:
        if self.host.live.active:
            return  # a training run draws its frames here
        problem = self.applicable()
        if problem is not None:
            self.view.show_message(problem, error=not is_hint(problem))
            return
        super().activate()

    def material_changed(self) -> None:
        if self.host.live.active:
            # A run draws its own frames here; the trained model is drawn when it ends.
            self.jobs.forget()
            self.host.cancel_material(self._material_ready)
            self.stale = True
            self.status_label.setText(LIVE_WAITING)
            return
        super().material_changed()
        if not self.wanted:
            problem = self.applicable()
            if problem is not None:
                self.view.show_message(problem, error=not is_hint(problem))

    def compute(self) -> None:
        if self.host.live.active:  # Show during a run: the live frames are the current model
            self.wanted = True
            self.stale = True
            return
        self.stale = False
        self.jobs.forget()
        problem = self.applicable()
        if problem is not None:
            self.view.show_message(problem, error=not is_hint(problem))
            return
        self.wanted = True
        self.status_label.setText("Computing the decision grid…")
        self.host.request_material(self._material_ready)

    def _material_ready(self, material: Material | None, message: str | None) -> None:
        if material is None:
            self.status_label.setText("")
            self.view.show_message(message or "Nothing to show.", error=not is_hint(message or ""))
            return
        found = boundary_points(material.prepared)
        if found is None:
            self.status_label.setText("")
            self.view.show_message(NEEDS_BOUNDARY)
            return
        points, labels, n_classes = found

        def run() -> Any:
            from app.keras_bridge.insight import decision_grid

            return decision_grid(material.model, points, RESOLUTION)

        self.jobs.start(run, lambda grid, error: self._done(material, grid, error, points, labels, n_classes))

    def _done(self, material: Material, grid: Any, error: BaseException | None, points: np.ndarray,
              labels: np.ndarray, n_classes: int) -> None:
        if error is not None:
            self.status_label.setText("")
            self.view.show_message(f"The decision grid could not be computed: {error_text(error)}", error=True)
            return
        self.view.update_grid(grid, points, labels, n_classes)
        self.status_label.setText(f"Model: {material.source} · {len(points)} training points · "
                                  f"{RESOLUTION} x {RESOLUTION} grid")

    def show_frame(self, frame: BoundaryFrame) -> None:
        """A live frame from the training run."""
        self.jobs.forget()
        self.view.update_grid(frame.grid, frame.points, frame.labels, frame.n_classes)
        self.live_frames += 1
        self.status_label.setText(f"Live: the model as it trains · {len(frame.points)} training points")


__all__ = ["BoundaryFrame", "BoundaryTab", "GradCamTab", "HistogramTab", "LiveBoundary", "boundary_points",
           "output_classes"]
