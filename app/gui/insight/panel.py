"""The Insight dock: step through a forward pass, Grad-CAM, histograms and the decision boundary.

:class:`InsightPanel` holds four tabs that all look at the same model: the training panel's
last trained model when the graph is unchanged since that run, otherwise a fresh untrained
one (random weights from seed 0), fed with the dataset chosen in the Training panel, split
and prepared as a run would. The panel owns that choice (see :mod:`app.gui.insight.material`)
and builds the model once, in a background job, for whichever tab asks first. One build runs
at a time: edits made meanwhile only change the recipe, and the newest one is built next.

It also registers the live decision boundary with the training panel: a
:class:`~app.keras_bridge.training.Probe` that, for a 2-input classifier on a 2-D point set,
computes the decision grid while ``fit`` runs; the frames come back through the training
panel's ``probe_result`` and are drawn in the "Decision boundary" tab.

Keras is never imported at module level here, and no Keras work runs on the GUI thread.
Building the panel starts no Keras work either (it only registers the probe), so the window
may build it, hidden, just before a run; models are built when a tab asks, and never while a
training run goes on (that would compete for the CPU and reseed Keras in the run's middle).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QTabWidget, QVBoxLayout, QWidget

from app.core.run_history import graph_fingerprint
from app.gui.document import Document, follow_document
from app.gui.insight.common import error_text
from app.gui.insight.material import (
    LOADING,
    MODEL_ERRORS,
    NO_DATASET,
    NO_MODEL,
    NONE,
    TRAINED,
    TRAINING,
    Material,
    Recipe,
    build_material,
    model_name,
    untrained_recipe,
)
from app.gui.insight.step_through import StepThroughTab
from app.gui.insight.tabs import (
    NEEDS_BOUNDARY,
    BoundaryFrame,
    BoundaryTab,
    GradCamTab,
    HistogramTab,
    LiveBoundary,
)
from app.gui.jobs import Jobs
from app.gui.theme import TEXT_MUTED

PROBE_INTERVAL = 0.25
"""Seconds between live decision-boundary frames while training runs."""

MaterialCallback = Callable[[Material | None, str | None], None]


class InsightPanel(QWidget):
    """The Insight dock's widget (see the module docstring).

    ``training_panel_getter`` returns the training panel, or None while it does not exist
    (call :meth:`hook_training_panel` once it is built); ``scene_getter`` returns the
    canvas' GraphScene, whose ``set_highlight`` and whose view's ``center_on_node`` the
    step-through uses.
    """

    node_shown = Signal(str)
    """The step-through shows this node now (its id)."""
    material_ready = Signal()
    """A model + data were made ready (the first request after a change)."""

    def __init__(self, document: Document | None, training_panel_getter: Callable[[], Any],
                 scene_getter: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._training_panel_getter = training_panel_getter
        self._scene_getter = scene_getter
        self._hooked: Any = None
        self._material: Material | None = None
        self._waiters: list[MaterialCallback] = []
        self._building: tuple[Any, ...] | None = None
        self._context_key: tuple[Any, ...] | None = None
        self._run_fingerprint: str | None = None
        self._serials = itertools.count(1)
        # (object, serial[, fingerprint]): the training result and the dataset last seen, kept alive
        # and compared with `is`, so a new object never passes for an old one at the same address
        self._seen_result: tuple[Any, int, str | None] | None = None
        self._seen_dataset: tuple[Any, int] | None = None
        self._highlighted: str | None = None
        self._dock: QDockWidget | None = None
        """The dock this panel sits in (followed for its visibility, see :meth:`_watch_dock`)."""
        self._dock_shown = True
        self.live = LiveBoundary()
        self.jobs = Jobs(self)
        self._build()
        self.hook_training_panel()
        self.set_document(document)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.source_label = QLabel(self)
        self.source_label.setWordWrap(True)
        self.source_label.setStyleSheet(f"color: {TEXT_MUTED};")
        layout.addWidget(self.source_label)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.step_tab = StepThroughTab(self)
        self.gradcam_tab = GradCamTab(self)
        self.histogram_tab = HistogramTab(self)
        self.boundary_tab = BoundaryTab(self)
        self.tabs.addTab(self.step_tab, "Step through")
        self.tabs.addTab(self.gradcam_tab, "Grad-CAM")
        self.tabs.addTab(self.histogram_tab, "Weights && activations")
        self.tabs.addTab(self.boundary_tab, "Decision boundary")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.step_tab.node_shown.connect(self.node_shown)
        # The views, by the names the main window and the tests use.
        self.activation_view = self.step_tab.viewer
        self.gradcam_view = self.gradcam_tab.view
        self.histogram_view = self.histogram_tab.view
        self.boundary_view = self.boundary_tab.view

    # --- the document ------------------------------------------------------------------------------

    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document | None) -> None:
        """Follow another document: everything shown so far is dropped."""
        if document is not self._document:
            self.step_tab.reset()
        follow_document(self._document, document, {
            "analysis_changed": self._document_changed,
            "settings_changed": self._settings_changed,
            "weights_changed": self._settings_changed,  # the model then has other weights
        })
        self._document = document
        self._context_changed(force=True)

    def _document_changed(self, _analysis: object) -> None:
        self._context_changed()

    def _settings_changed(self) -> None:
        self._context_changed()

    # --- the training panel ------------------------------------------------------------------------

    def hook_training_panel(self) -> bool:
        """Connect to the training panel if it exists now (and register the live probe with it).
        Call it once the training panel is built; calling it again is harmless."""
        try:
            panel = self._training_panel_getter()
        except Exception:  # a getter of a window that is closing
            panel = None
        if panel is self._hooked:
            return panel is not None
        old = self._hooked
        if old is not None:
            for signal, slot in ((old.probe_result, self._probe_result),
                                 (old.training_started, self._training_started),
                                 (old.training_finished, self._training_finished),
                                 (old.picker.dataset_loaded, self._dataset_event),
                                 (old.picker.load_failed, self._dataset_event),
                                 (old.picker.loading_changed, self._dataset_event)):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
        self._hooked = panel
        if panel is None:
            return False
        from app.keras_bridge.training import Probe

        panel.set_probe(Probe(self.live, PROBE_INTERVAL))
        panel.probe_result.connect(self._probe_result)
        panel.training_started.connect(self._training_started)
        panel.training_finished.connect(self._training_finished)
        panel.picker.dataset_loaded.connect(self._dataset_event)
        panel.picker.load_failed.connect(self._dataset_event)
        panel.picker.loading_changed.connect(self._dataset_event)
        return True

    def _training_panel(self) -> Any:
        self.hook_training_panel()
        return self._hooked

    def _dataset_event(self, *_args: object) -> None:
        self._context_changed()

    def _training_started(self) -> None:
        document = self._document
        self._run_fingerprint = graph_fingerprint(document.graph) if document is not None else None
        self._seen_result = None  # the training panel has dropped it too
        self.live.start(self.boundary_problem(for_run=True) is None)
        self._context_changed(force=True)  # no model until the run ends (see TRAINING)

    def _training_finished(self, result: Any) -> None:
        self.live.stop()
        if result is not None:
            seen = self._seen_result
            serial = seen[1] if seen is not None and seen[0] is result else next(self._serials)
            self._seen_result = (result, serial, self._run_fingerprint)
        self._run_fingerprint = None
        self._context_changed(force=True)

    def _probe_result(self, value: Any) -> None:
        if isinstance(value, BoundaryFrame) and value.token == self.live.token:
            self.boundary_tab.show_frame(value)

    # --- which model, which data -----------------------------------------------------------------

    def _trained_result(self, fingerprint: str) -> tuple[Any, int] | None:
        """The training panel's last result and its serial, if it trained the model as it is now."""
        panel = self._training_panel()
        document = self._document
        if panel is None or document is None or getattr(panel, "document", None) is not document:
            return None
        result = panel.result
        if result is None or not result.ok or result.model is None or result.prepared is None:
            return None
        seen = self._seen_result
        if seen is None or seen[0] is not result:  # a result this panel has not heard of (yet)
            seen = (result, next(self._serials), None)
            self._seen_result = seen
        printed = seen[2]
        if printed is None and document.project.runs:  # the run ended before this panel heard of it
            printed = document.project.runs[-1].get("fingerprint")
        return (result, seen[1]) if printed == fingerprint else None

    def _dataset_serial(self, dataset: Any) -> int:
        """A number for this dataset object, new whenever the picker hands another one."""
        seen = self._seen_dataset
        if seen is None or seen[0] is not dataset:
            seen = (dataset, next(self._serials))
            self._seen_dataset = seen
        return seen[1]

    def _training_running(self) -> bool:
        panel = self._hooked
        return bool(panel is not None and getattr(panel, "running", False))

    def _recipe(self) -> Recipe | str:
        """How to get the current model + data, or the sentence saying what is missing."""
        document = self._document
        if document is None:
            return NO_MODEL
        graph = document.graph
        fingerprint = graph_fingerprint(graph)
        trained = self._trained_result(fingerprint)
        if trained is not None:
            result, serial = trained
            return Recipe(("trained", serial, fingerprint), TRAINED, graph, document.analysis, result=result)
        if document.analysis.errors:
            return MODEL_ERRORS
        panel = self._hooked
        if panel is None:
            return NO_DATASET
        if self._training_running():
            return TRAINING
        picker = panel.picker
        if picker.loading:
            return LOADING
        dataset = picker.dataset
        if dataset is None:
            error = getattr(picker, "error", "")
            return f"{error.rstrip('.')}. {NO_DATASET}" if error else NO_DATASET
        return untrained_recipe(graph, document.analysis, dataset, self._dataset_serial(dataset),
                                document.project.training, document.project.dataset, fingerprint,
                                model_name(document.project.name or ""), document.weights,
                                document.path.parent if document.path else None)

    def model_source(self) -> str:
        """"trained model (last run)", "untrained (random weights, seed 0)", or "none" when there
        is no model to show (no dataset, errors, a run going on...)."""
        recipe = self._recipe()
        return recipe.source if isinstance(recipe, Recipe) else NONE

    def current_dataset(self) -> Any:
        """The dataset the tabs use: the trained run's, else the one chosen in the Training panel."""
        recipe = self._recipe()
        if isinstance(recipe, Recipe):
            return recipe.result.dataset if recipe.result is not None else recipe.dataset
        return None

    def boundary_problem(self, for_run: bool = False) -> str | None:
        """None when the decision boundary can be drawn, else what it needs (in words).
        ``for_run``: about the run starting now (the chosen dataset, not the last run's)."""
        document = self._document
        if document is None:
            return NO_MODEL
        from app.keras_bridge.insight import is_two_input_classifier

        if not is_two_input_classifier(document.graph, document.analysis):
            return NEEDS_BOUNDARY
        if for_run:
            panel = self._hooked
            dataset = panel.picker.dataset if panel is not None else None
        else:
            dataset = self.current_dataset()
            if dataset is None:
                recipe = self._recipe()
                return recipe if isinstance(recipe, str) and recipe != MODEL_ERRORS else NEEDS_BOUNDARY
        if getattr(dataset, "kind", None) != "points":
            return NEEDS_BOUNDARY
        return None

    def _context_changed(self, force: bool = False) -> None:
        """Something the model or data depend on may have changed: when the answer did, the tabs
        drop what they computed (and recompute if they are in view)."""
        recipe = self._recipe()
        key = recipe.key if isinstance(recipe, Recipe) else ("message", recipe)
        self.source_label.setText(f"Model: {recipe.source if isinstance(recipe, Recipe) else NONE}")
        if key == self._context_key and not force:
            return
        self._context_key = key
        if self._material is not None and self._material.key != key:
            self._material = None
        for tab in (self.step_tab, self.gradcam_tab, self.histogram_tab, self.boundary_tab):
            tab.material_changed()

    def request_material(self, callback: MaterialCallback) -> None:
        """Call ``callback(material, None)`` with the current model + data (built in a job when
        needed), or ``callback(None, message)`` saying what is missing or what went wrong."""
        recipe = self._recipe()
        if isinstance(recipe, str):
            callback(None, recipe)
            return
        if self._material is not None and self._material.key == recipe.key:
            callback(self._material, None)
            return
        if callback not in self._waiters:
            self._waiters.append(callback)
        if self._building is not None:
            return  # one build at a time: when it ends, _built starts the newest recipe if it changed
        self._start_build(recipe)

    def cancel_material(self, callback: MaterialCallback) -> None:
        """Forget a :meth:`request_material` call whose answer is no longer wanted."""
        with contextlib.suppress(ValueError):
            self._waiters.remove(callback)

    def _start_build(self, recipe: Recipe) -> None:
        from app.core.shapes import analyze

        recipe.graph = recipe.graph.copy()  # the job must not see later edits
        recipe.analysis = analyze(recipe.graph)
        self._building = recipe.key
        if recipe.result is not None:  # a trained model: nothing to build
            self._built(recipe, build_material(recipe), None)
            return
        self.jobs.start(lambda: build_material(recipe), lambda value, error: self._built(recipe, value, error))

    def _built(self, recipe: Recipe, material: Material | None, error: BaseException | None) -> None:
        self._building = None
        current = self._recipe()
        if isinstance(current, Recipe) and current.key != recipe.key:
            # The model or data changed while it was built: build the newest, if anyone still waits.
            if self._waiters:
                self._start_build(current)
            return
        waiters, self._waiters = self._waiters, []
        if isinstance(current, str):
            message = current
        elif error is not None:
            message = f"The model could not be prepared: {error_text(error)}"
        else:
            message = None
            self._material = material
            self.material_ready.emit()
        for callback in waiters:
            callback(material if message is None else None, message)

    # --- the canvas ----------------------------------------------------------------------------------

    def highlight(self, node_id: str | None) -> None:
        """Highlight a node on the canvas (None clears the highlight); the view centres on it only
        when it is another node than before, so recomputing the same node leaves the view alone."""
        changed = node_id != self._highlighted
        self._highlighted = node_id
        self._apply_highlight(node_id, center=changed)

    def _apply_highlight(self, node_id: str | None, center: bool) -> None:
        try:
            scene = self._scene_getter()
        except Exception:
            scene = None
        if scene is None:
            return
        with contextlib.suppress(RuntimeError):
            setter = getattr(scene, "set_highlight", None)
            if setter is not None:
                setter(node_id)
            if node_id is not None and center:
                for view in scene.views():
                    center_on = getattr(view, "center_on_node", None)
                    if center_on is not None:
                        center_on(node_id)

    def highlighted(self) -> str | None:
        """The node the step-through highlighted last (None after Reset)."""
        return self._highlighted

    # --- step-through, for the window's actions ----------------------------------------------------

    def step(self) -> None:
        self._show_step_tab()
        self.step_tab.step()

    def back(self) -> None:
        self._show_step_tab()
        self.step_tab.back()

    def _show_step_tab(self) -> None:
        """The window's Step / Back act on the step-through: its tab comes to the front, so the
        greyed canvas always has the walk (and its Reset) in view."""
        if self.tabs.currentWidget() is not self.step_tab:
            self.tabs.setCurrentWidget(self.step_tab)

    def reset(self) -> None:
        self.step_tab.reset()

    def play(self) -> None:
        self._show_step_tab()
        self.step_tab.play()

    def pause(self) -> None:
        self.step_tab.pause()

    def set_sample(self, index: int) -> None:
        self.step_tab.set_sample(index)
        self.gradcam_tab.set_sample(index)

    # --- jobs and visibility -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A background job (building a model, computing a view) is running."""
        return not all(jobs.idle for jobs in (self.jobs, self.step_tab.jobs, self.gradcam_tab.jobs,
                                               self.histogram_tab.jobs, self.boundary_tab.jobs))

    def wait_for_jobs(self, timeout_s: float = 30.0) -> None:
        """Let running jobs end (the window is closing)."""
        for jobs in (self.jobs, self.step_tab.jobs, self.gradcam_tab.jobs, self.histogram_tab.jobs,
                     self.boundary_tab.jobs):
            jobs.wait(timeout_s)

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Stop playing, unregister the probe, and wait for running jobs."""
        self.step_tab.pause()
        panel = self._hooked
        if panel is not None:
            with contextlib.suppress(RuntimeError):
                panel.set_probe(None)
        self.wait_for_jobs(timeout_s)

    def _tab_changed(self, index: int) -> None:
        self.hook_training_panel()
        tab = self.tabs.widget(index)
        self._follow_step_tab(tab is self.step_tab and self._dock_shown)
        activate = getattr(tab, "activate", None)
        if activate is not None and self.isVisible():
            activate()

    def _watch_dock(self) -> None:
        """Follow the visibility of the dock this panel sits in. A dock tabbed behind another
        (Problems, Summary) stays "visible" to Qt, so this panel gets no hide event then; only
        the dock's ``visibilityChanged`` tells, and without it the canvas stayed greyed."""
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if widget is self._dock:
            return
        if self._dock is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._dock.visibilityChanged.disconnect(self._dock_visibility)
        self._dock = widget
        if widget is not None:
            widget.visibilityChanged.connect(self._dock_visibility)

    def _dock_visibility(self, visible: bool) -> None:
        self._dock_shown = visible
        self._follow_step_tab(visible and self.tabs.currentWidget() is self.step_tab)

    def _follow_step_tab(self, in_front: bool) -> None:
        """The canvas is greyed only while the step-through can be seen: leaving its tab takes
        the greying away (Play pauses), coming back puts it back where the walk was."""
        if self._highlighted is None:
            return
        if not in_front:
            self.step_tab.pause()
        self._apply_highlight(self._highlighted if in_front and self.isVisible() else None, center=False)

    def showEvent(self, event: QShowEvent) -> None:
        """Shown again: the step-through's highlight comes back (where it was, without moving the
        view) if its tab is the one in front."""
        super().showEvent(event)
        self._watch_dock()
        if self._highlighted is not None and self.tabs.currentWidget() is self.step_tab and self._dock_shown:
            self._apply_highlight(self._highlighted, center=False)
        if self.hook_training_panel():
            self._context_changed()
        self._tab_changed(self.tabs.currentIndex())

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden (closed, or tabbed behind another dock): stop playing and take the highlight
        off the canvas, which would otherwise stay dimmed with no Reset in sight."""
        super().hideEvent(event)
        self.step_tab.pause()
        if self._highlighted is not None:
            self._apply_highlight(None, center=False)


__all__ = ["PROBE_INTERVAL", "InsightPanel"]
