"""Step through a forward pass: one sample, node by node, with the canvas following along.

The user picks a sample of the test split and presses Step: the canvas highlights the next
node in topological order and the viewer below shows that node's real activation for the
sample. All activations of one (model, sample) pair come from ONE forward pass in a
background job (``ActivationProbe.run``), so after the first Step every further step, Back
and Play is instant. Play steps every :data:`PLAY_INTERVAL_MS`; Reset clears the highlight.
While that pass runs, Step and Back do nothing (a second click must not skip a node).

An edit (or a finished run) makes the activations stale: they are dropped and Play pauses,
but nothing is recomputed until the tab is in view or the user steps again, so editing with
the dock hidden costs nothing. The walk stays on the same node when it still exists, and the
canvas only moves when the highlighted node changes.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QStyle, QVBoxLayout, QWidget

from app.gui.insight.activation_view import ActivationView
from app.gui.insight.common import error_text, is_picture
from app.gui.insight.host import MaterialSource
from app.gui.insight.material import is_hint
from app.gui.jobs import Jobs
from app.gui.theme import TEXT, TEXT_MUTED
from app.gui.widgets import class_label, decode_tokens, format_number, image_pixmap

if TYPE_CHECKING:
    from app.gui.insight.material import Material

PLAY_INTERVAL_MS = 800
THUMBNAIL = 56
MAX_VALUES = 6
"""Values of a non-image sample shown next to the picker."""


def sample_text(value: np.ndarray, vocabulary: Any = None) -> str:
    """A short description of one non-image sample: its first values, or its words for text."""
    flat = np.asarray(value).reshape(-1)
    if np.issubdtype(flat.dtype, np.integer) and vocabulary is not None:
        words = decode_tokens(flat, vocabulary)
        return (words[:80] + "…") if len(words) > 80 else words
    shown = ", ".join(format_number(v) for v in flat[:MAX_VALUES])
    more = f", … ({flat.size} values)" if flat.size > MAX_VALUES else ""
    return f"[{shown}{more}]"


def label_text(label: Any, class_names: list[str] | None) -> str:
    """"label: seven" for a class (id or one-hot), the number(s) otherwise."""
    from app.keras_bridge.insight import class_of

    if isinstance(label, dict):
        return "labels: " + ", ".join(f"{k} = {label_text(v, class_names)}" for k, v in label.items())
    index = class_of(label) if class_names else None
    if index is not None:
        return f"label: {class_label(class_names, index)}"
    value = np.asarray(label).reshape(-1)
    if value.size == 1:
        return f"label: {format_number(value[0])}"
    return f"label: {sample_text(value)}"


class StepHost(MaterialSource, Protocol):
    """What the step-through tab uses of the insight panel: the material, and the canvas highlight."""

    def highlight(self, node_id: str | None) -> None: ...


class StepThroughTab(QWidget):
    """The "Step through" tab (see the module docstring)."""

    node_shown = Signal(str)

    def __init__(self, host: StepHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.jobs = Jobs(self)
        self._material: Material | None = None
        self._probes: dict[tuple[Any, ...], Any] = {}
        self._activations: dict[str, Any] | None = None
        self._activation_key: tuple[Any, ...] | None = None
        self._order: list[str] = []
        self._index = -1
        self._computing = False
        self._shown_node: str | None = None  # the node last announced by node_shown
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)

        buttons = QHBoxLayout()
        style = self.style()
        self.step_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step", self)
        self.step_button.setToolTip("Show the next node's activation")
        self.step_button.clicked.connect(self.step)
        self.back_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward), "Back", self)
        self.back_button.clicked.connect(self.back)
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play", self)
        self.play_button.setToolTip("Step automatically")
        self.play_button.clicked.connect(self.toggle_play)
        self.reset_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Reset", self)
        self.reset_button.clicked.connect(self.reset)
        for button in (self.step_button, self.back_button, self.play_button, self.reset_button):
            buttons.addWidget(button)
        self.position_label = QLabel(self)
        self.position_label.setStyleSheet(f"color: {TEXT_MUTED};")
        buttons.addWidget(self.position_label, 1)
        layout.addLayout(buttons)  # first: the sample's description below grows after the first Step

        sample_row = QHBoxLayout()
        sample_row.addWidget(QLabel("Sample", self))
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setRange(0, 999_999)
        self.sample_spin.setToolTip("Which sample of the test split runs through the model")
        self.sample_spin.valueChanged.connect(self._sample_changed)
        sample_row.addWidget(self.sample_spin)
        self.thumbnail = QLabel(self)
        self.thumbnail.setFixedSize(THUMBNAIL + 4, THUMBNAIL + 4)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.hide()
        sample_row.addWidget(self.thumbnail)
        self.sample_label = QLabel(self)
        self.sample_label.setWordWrap(True)
        self.sample_label.setStyleSheet(f"color: {TEXT};")
        sample_row.addWidget(self.sample_label, 1)
        layout.addLayout(sample_row)

        self.viewer = ActivationView(self)
        layout.addWidget(self.viewer, 1)
        self._update_controls()

    # --- state -----------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """Position in :attr:`order` (-1 before the first Step)."""
        return self._index

    @property
    def order(self) -> list[str]:
        """Node ids in the order they are stepped through (known once activations were computed)."""
        return list(self._order)

    @property
    def material(self) -> Material | None:
        """The model + data the activations come from (None until the first Step)."""
        return self._material

    @property
    def current_node(self) -> str | None:
        return self._order[self._index] if 0 <= self._index < len(self._order) else None

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def ready(self) -> bool:
        """The activations of the current sample are here (stepping is instant)."""
        return self._activations is not None and not self._computing

    # --- user actions ----------------------------------------------------------------------------

    def step(self) -> None:
        """The next node (the first one after Reset); at the last node, Play stops. Nothing
        while the forward pass runs."""
        if self._computing:
            return
        if self._order and self._index >= len(self._order) - 1:
            self.pause()
            return
        self._index += 1
        self._show_current()

    def back(self) -> None:
        if self._computing:
            return
        if self._index > 0:
            self._index -= 1
            self._show_current()

    def reset(self) -> None:
        """Back to before the first node; the canvas highlight goes away."""
        self.pause()
        self._index = -1
        self._shown_node = None
        self.host.highlight(None)
        self.viewer.show_message("Press Step to run the sample through the model, one node at a time.")
        self._update_controls()

    def play(self) -> None:
        if not self._timer.isActive():
            if self._order and self._index >= len(self._order) - 1:
                self._index = -1
            self._timer.start()
            self._tick()
            self._update_controls()

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._update_controls()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_sample(self, index: int) -> None:
        """Choose sample ``index`` of the test split (clamped to the split once its size is known)."""
        self.sample_spin.setValue(int(index))

    def _tick(self) -> None:
        if self._computing:
            return  # the first Step waits for the forward pass
        self.step()

    def _sample_changed(self, _value: int) -> None:
        self._activations = None
        self._activation_key = None
        if self._material is not None:
            self._show_sample(self._material)
        if self._index >= 0:
            self._show_current()

    # --- the material (model + data) -------------------------------------------------------------

    def material_changed(self) -> None:
        """The model or the data changed: the activations are dropped and Play pauses; a walk in
        progress is recomputed on the new model now if the tab is in view, else when it is next
        shown (:meth:`activate`) or at the next Step."""
        self.jobs.forget()
        self.host.cancel_material(self._material_ready)
        self._computing = False
        self._material = None
        self._activations = None
        self._activation_key = None
        self._probes = {}
        self.pause()
        if self._index >= 0:
            if self.isVisible():
                self._compute()
            else:
                self.viewer.show_message("The model changed: its activations are recomputed when this tab is "
                                         "shown or at the next Step.")
        self._update_controls()

    def activate(self) -> None:
        """The tab came into view: a walk whose activations went stale is recomputed."""
        if self._index >= 0 and self._activations is None and not self._computing:
            self._compute()

    def _show_current(self) -> None:
        self._update_controls()
        if self._activations is not None:
            self._display()
            return
        if not self._computing:
            self._compute()

    def _compute(self) -> None:
        self._computing = True
        self.viewer.show_message("Running the sample through the model…")
        self._update_controls()
        self.host.request_material(self._material_ready)

    def _material_ready(self, material: Material | None, message: str | None) -> None:
        if not self._computing:
            return  # asked for a model that has changed since
        if material is None:
            self._computing = False
            self.pause()
            self.viewer.show_message(message or "Nothing to show.", error=bool(message) and not is_hint(message or ""))
            self._shown_node = None
            self.host.highlight(None)
            self._update_controls()
            return
        self._material = material
        count = self._sample_count(material)
        if count == 0:
            self._computing = False
            self.viewer.show_message("The dataset has no samples to show.", error=True)
            self._update_controls()
            return
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, count - 1)
        self.sample_spin.blockSignals(False)
        self._show_sample(material)
        index = self.sample_spin.value()
        key = (*material.key, index)
        probe = self._probes.get(material.key)

        def run() -> tuple[Any, dict[str, Any]]:
            from app.keras_bridge.insight import ActivationProbe, sample_inputs

            nonlocal probe
            if probe is None:
                probe = ActivationProbe(material.model, material.graph, material.analysis)
            inputs, _label = sample_inputs(material.prepared, index)
            return probe, probe.run(inputs)

        self.jobs.forget()
        self.jobs.start(run, lambda value, error: self._computed(material, key, value, error))

    def _computed(self, material: Material, key: tuple[Any, ...], value: Any, error: BaseException | None) -> None:
        self._computing = False
        if error is not None:
            self.pause()
            self.viewer.show_message(f"The activations could not be computed: {error_text(error)}", error=True)
            self._update_controls()
            return
        probe, activations = value
        self._probes = {material.key: probe}  # one model's probe at a time: it holds the model
        self._activations = activations
        self._activation_key = key
        previous = self.current_node  # in the order before this pass (the model may have changed)
        self._order = [node_id for node_id in probe.order if node_id in activations]
        if key[-1] != self.sample_spin.value():  # the sample changed meanwhile
            self._activations = None
            self._show_current()
            return
        if previous in self._order:  # the walk stays on its node, wherever an edit moved it
            self._index = self._order.index(previous)
        else:
            self._index = min(self._index, len(self._order) - 1)
        if self._index >= 0:
            self._display()
        self._update_controls()

    def _display(self) -> None:
        node_id = self.current_node
        if node_id is None or self._activations is None:
            return
        self.viewer.show_activation(self._activations[node_id])
        self.host.highlight(node_id)
        self._update_controls()
        if node_id != self._shown_node:  # the same node recomputed (another sample, an edit) is no news
            self._shown_node = node_id
            self.node_shown.emit(node_id)

    # --- the sample ------------------------------------------------------------------------------

    @staticmethod
    def _sample_count(material: Material) -> int:
        from app.keras_bridge.insight import sample_count

        try:
            return sample_count(material.prepared)
        except ValueError:
            return 0

    def _show_sample(self, material: Material) -> None:
        from app.keras_bridge.insight import resolve_part, sample_inputs

        index = self.sample_spin.value()
        try:
            inputs, label = sample_inputs(material.prepared, index)
            part = resolve_part(material.prepared)
        except (IndexError, ValueError) as err:
            self.sample_label.setText(str(err))
            self.thumbnail.hide()
            return
        first = np.asarray(next(iter(inputs.values())))[0]
        if is_picture(first):
            self.thumbnail.setPixmap(image_pixmap(first, THUMBNAIL))
            self.thumbnail.show()
            what = ""
        else:
            self.thumbnail.hide()
            what = html.escape(sample_text(first, getattr(material.dataset, "vocabulary", None))) + "<br>"
        label = html.escape(label_text(label, material.class_names))
        self.sample_label.setText(f"{what}<b>{label}</b> <span style='color:{TEXT_MUTED}'>"
                                  f"({part} sample {index} of {self._sample_count(material)})</span>")

    # --- controls --------------------------------------------------------------------------------

    def _update_controls(self) -> None:
        total = len(self._order)
        self.back_button.setEnabled(not self._computing and self._index > 0)
        self.step_button.setEnabled(not self._computing and (not total or self._index < total - 1))
        self.reset_button.setEnabled(self._index >= 0)
        style = self.style()
        if self.playing:
            self.play_button.setText("Pause")
            self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        else:
            self.play_button.setText("Play")
            self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        if self._computing:
            text = "computing activations…"
        elif self._index >= 0 and total:
            node = self._activations.get(self.current_node) if self._activations and self.current_node else None
            name = getattr(node, "name", "")
            text = f"node {self._index + 1} of {total}" + (f": {name}" if name else "")
        else:
            text = ""
        self.position_label.setText(text)
        self.position_label.setStyleSheet(f"color: {TEXT_MUTED};")


__all__ = ["PLAY_INTERVAL_MS", "StepThroughTab", "label_text", "sample_text"]
