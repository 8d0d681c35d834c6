"""The Training dock: data, settings, Train / Stop, live curves, results and the run history.

What the user does here, in order: choose a dataset (Data tab, with a preview), adjust the
settings (Settings tab), press Train. Before Train is enabled a background check
(:func:`app.keras_bridge.training.check_before_training`) lists, in words, everything that
would stop the run: a setting out of range, a model error, data that does not fit an Input
or an output. While training runs the document is locked (the window shows a banner),
the curves grow in the Training tab and the progress bar says where the run is. When it
ends the document is unlocked, the run is kept in the project's history, and the results
(test metrics, confusion matrix, sample predictions) are shown; a failure is shown in red
with its reason, and the app stays usable.

Nothing here blocks the GUI thread for long: the check, the run and saving the trained
model all happen on other threads and report back through queued signals.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.run_history import graph_fingerprint, make_record
from app.core.training_settings import total_epochs, with_defaults
from app.gui.document import Document, follow_document
from app.gui.jobs import Jobs
from app.gui.last_folder import last_folder, remember_folder
from app.gui.theme import ERROR, TEXT_MUTED, VALID_TARGET
from app.gui.training.dataset_picker import DatasetPicker
from app.gui.training.live_plots import LivePlots
from app.gui.training.preview import DatasetPreview
from app.gui.training.recipe_views import RecipeViews
from app.gui.training.results import ResultsView
from app.gui.training.run_history import RunHistoryView
from app.gui.training.settings_form import SettingsForm
from app.gui.training.worker import TrainingWorker, snapshot_project

STATUS_INTERVAL_S = 0.5
"""How often the status bar and the lock banner show the progress."""
START_DELAY_MS = 40
"""Between pressing Train and starting the thread, so the window first repaints as locked."""
CHECK_DELAY_MS = 200
"""Pause after the last edit before the pre-training check runs (edits come in bursts)."""

PROGRESS_STEPS = 1000
PROBLEMS_MAX_HEIGHT = 130
"""The problem list scrolls beyond this, so the buttons always stay in view."""
NO_DATASET = "Choose a dataset in the Data tab."
TRAINED_MODEL_KIND = "trained_model"
"""The save dialog's kind for :mod:`app.gui.last_folder`."""


def format_duration(seconds: float | None) -> str:
    """0:07, 2:05, 1:02:03 — as a clock shows time left."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(progress: Any) -> str:
    """"Epoch 3/10 · batch 40/125 · ETA 0:12" for an engine Progress."""
    text = f"Epoch {progress.epoch}/{progress.epochs} · batch {progress.batch}/{progress.batches}"
    if progress.eta is not None:
        text += f" · ETA {format_duration(progress.eta)}"
    return text


def progress_fraction(progress: Any) -> float:
    batches = max(1, int(progress.batches))
    done = (int(progress.epoch) - 1) * batches + min(int(progress.batch), batches)
    return min(1.0, done / (max(1, int(progress.epochs)) * batches))


RESULTS_DELAY_MS = 40
"""How long after a run ends its results are filled in (see ``_finished``)."""

RUN_PHASES = ("idle", "starting", "running", "stopping", "finished", "stopped", "failed")
"""Where a run is, as :attr:`TrainingPanel.run_state` says it; everything that shows the state
(the progress bar, the notice beside Train, the window's status bar and lock banner through
``status_text_changed``) is written from that one value."""
NOTICE_ICONS = {"problems": "⚠", "ready": "✓", "waiting": "…"}


class ElidingProgressBar(QProgressBar):
    """A progress bar whose words end in "…" when the bar is too narrow (presenter mode's large
    text in a docked panel), instead of wrapping onto a second line the bar has no room for.
    The whole sentence is its tooltip."""

    def text(self) -> str:
        room = self.contentsRect().width() - 8
        return self.fontMetrics().elidedText(super().text(), Qt.TextElideMode.ElideRight, max(0, room))


class TrainingPanel(QWidget):
    """The Training dock's widget (see the module docstring)."""

    training_started = Signal()
    training_finished = Signal(object)
    """The engine's TrainingResult, after the document was unlocked and the run recorded."""
    running_changed = Signal(bool)
    status_text_changed = Signal(str)
    """A one-line state for the window's status bar ("Epoch 3/10 · ETA 0:12", "" when idle)."""
    checked = Signal()
    """The pre-training check finished (its problems are in :attr:`problems`)."""
    model_saved = Signal(object)
    about_to_train = Signal()
    """A run is about to start (emitted before the run takes its snapshot and its probe)."""
    probe_result = Signal(object)
    """What the probe set with :meth:`set_probe` computed during the current run (newest only)."""

    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._probe: Any = None
        self._worker: TrainingWorker | None = None
        self._run_document: Document | None = None
        self._started_at: datetime | None = None
        self._result: Any = None
        self._problems: list[str] = []
        self._check_generation = 0
        self._checked_generation = -1
        self._jobs = Jobs(self)
        self._saving = False
        self._status_sent = 0.0
        self._start_requested = False
        self._checked_key: tuple[Any, ...] | None = None
        self._fingerprint: str | None = None
        self._phase = "idle"
        self._progress_epoch = 0
        self._build()
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._run_check)
        self.set_document(document)

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        # Data: the picker over the preview.
        self.picker = DatasetPicker()
        self.preview = DatasetPreview(heading=False)  # the picker above already names the dataset
        self.data_tab = QSplitter(Qt.Orientation.Vertical)
        self.data_tab.setChildrenCollapsible(False)
        self.data_tab.addWidget(self.picker)
        self.data_tab.addWidget(self.preview)
        self.data_tab.setStretchFactor(1, 1)
        self.tabs.addTab(self.data_tab, "Data")

        # Settings, scrolling.
        self.settings_form = SettingsForm(None)
        self.settings_tab = QScrollArea()
        self.settings_tab.setWidgetResizable(True)
        self.settings_tab.setFrameShape(QFrame.Shape.NoFrame)
        self.settings_tab.setWidget(self.settings_form)
        self.tabs.addTab(self.settings_tab, "Settings")

        # Training: the live curves and what the engine reported.
        self.training_tab = QWidget()
        training_layout = QVBoxLayout(self.training_tab)
        training_layout.setContentsMargins(0, 0, 0, 0)
        self.plots = LivePlots(self.training_tab)
        training_layout.addWidget(self.plots, 1)
        self.recipe_views = RecipeViews(self.training_tab)  # autoencoder / VAE / GAN pictures, hidden otherwise
        training_layout.addWidget(self.recipe_views, 1)
        self.log = QPlainTextEdit(self.training_tab)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(200)
        self.log.setPlaceholderText("Notes about the data and the device appear here when training starts.")
        self.log.setFixedHeight(self.log.fontMetrics().lineSpacing() * 4 + 12)
        training_layout.addWidget(self.log)
        self.tabs.addTab(self.training_tab, "Training")

        # Results, with the trained model's save button.
        self.results_tab = QWidget()
        results_layout = QVBoxLayout(self.results_tab)
        results_layout.setContentsMargins(0, 0, 0, 0)
        self.results = ResultsView()
        results_layout.addWidget(self.results, 1)
        save_row = QHBoxLayout()
        self.save_label = QLabel(self.results_tab)
        self.save_label.setWordWrap(True)
        save_row.addWidget(self.save_label, 1)
        self.save_button = QPushButton("Save Trained Model…", self.results_tab)
        self.save_button.setToolTip("Save the model with its trained weights as a .keras file.")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_trained_model)
        save_row.addWidget(self.save_button)
        results_layout.addLayout(save_row)
        self.tabs.addTab(self.results_tab, "Results")

        self.history = RunHistoryView()
        self.tabs.addTab(self.history, "History")

        # Always visible: what stops training, the buttons, the progress and the outcome.
        self.problems_label = QLabel(self)
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.problems_scroll = QScrollArea(self)
        self.problems_scroll.setWidgetResizable(True)
        self.problems_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.problems_scroll.setWidget(self.problems_label)
        self.problems_scroll.hide()
        layout.addWidget(self.problems_scroll)

        controls = QHBoxLayout()
        controls.setSpacing(6)
        style = self.style()
        self.train_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train", self)
        self.train_button.setToolTip("Train the model on the chosen dataset (F5)")
        self.train_button.clicked.connect(self.start_training)
        controls.addWidget(self.train_button)
        self.stop_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop", self)
        self.stop_button.setToolTip("End training after the current batch (Shift+F5)")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_training)
        controls.addWidget(self.stop_button)
        self.progress_bar = ElidingProgressBar(self)
        self.progress_bar.setRange(0, PROGRESS_STEPS)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Before a run, a notice says why Train is (not) available: plain text beside the
        # buttons, not a box that looks like a field to type in. The progress bar takes its
        # place while a run goes on and keeps its outcome afterwards. Both share one slot (as
        # tall as the taller, in any font), so switching never re-lays out the tab.
        self.notice_label = QLabel(self)
        self.notice_label.setObjectName("train_notice")
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.state_stack = QStackedWidget(self)
        self.state_stack.addWidget(self.notice_label)
        self.state_stack.addWidget(self.progress_bar)
        self.state_stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        controls.addWidget(self.state_stack, 1)
        layout.addLayout(controls)

        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        # Its room is kept while hidden: the line coming and going at the start and the end of
        # a run would otherwise re-lay out the tab and repaint all the plots at once.
        policy = self.status_label.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.status_label.setSizePolicy(policy)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.hide()
        layout.addWidget(self.status_label)

        self.picker.ref_changed.connect(self._picker_ref_changed)
        self.picker.dataset_loaded.connect(self._dataset_loaded)
        self.picker.load_failed.connect(self._dataset_failed)
        self.picker.loading_changed.connect(lambda _loading: self._schedule_check())
        self.history.delete_requested.connect(self._delete_run)

    # --- the document -------------------------------------------------------------------------

    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document | None) -> None:
        """Follow another document (not while training: the run belongs to its document)."""
        if self.running and document is not self._document:
            raise RuntimeError("stop the training before switching to another model")
        follow_document(self._document, document, {
            "settings_changed": self._settings_changed,
            "analysis_changed": self._analysis_changed,
            "runs_changed": self._runs_changed,
            "path_changed": self._path_changed,
        })
        self._document = document
        self.settings_form.set_document(document)
        self._result = None
        self._problems = []
        self._start_requested = False
        self._checked_key = None
        self._fingerprint = None
        self.plots.reset(None)
        self._show_result(None)
        self.save_button.setEnabled(False)
        self.save_label.clear()
        self._set_status("")
        self._phase = "idle"
        self.progress_bar.setValue(0)
        self.log.clear()
        if document is not None:
            self.picker.set_ref(document.project.dataset, self._base_dir())
            self.history.set_runs(list(document.project.runs))
        else:
            self.picker.set_ref(None, None)
            self.history.set_runs([])
        self._schedule_check()

    def _base_dir(self) -> Path | None:
        document = self._document
        return document.path.parent if document is not None and document.path is not None else None

    def _settings_changed(self) -> None:
        if self._document is not None:
            self.picker.set_ref(self._document.project.dataset, self._base_dir())  # no-op when it is its own echo
        self._schedule_check()

    def _analysis_changed(self, _analysis: object) -> None:
        self._schedule_check()

    def _path_changed(self, _path: object) -> None:
        if self._document is not None:
            self.picker.set_ref(self._document.project.dataset, self._base_dir())

    def _runs_changed(self) -> None:
        if self._document is not None:
            self.history.set_runs(list(self._document.project.runs))

    def _delete_run(self, run_id: str) -> None:
        if self._document is not None:
            self._document.remove_run(run_id)

    def _picker_ref_changed(self, ref: dict) -> None:
        document = self._document
        if document is None:
            return
        try:
            document.set_dataset(ref)
        except PermissionError as err:  # the picker is disabled while training; be safe anyway
            self._set_status(str(err), ERROR)
            self.picker.set_ref(document.project.dataset, self._base_dir())

    def _dataset_loaded(self, dataset: object) -> None:
        self.preview.show_dataset(dataset)
        self._schedule_check()
        QTimer.singleShot(0, self, self._fit_picker)  # once the description is in its label

    def _fit_picker(self) -> None:
        """Give the picker the height its wrapped description needs (the splitter would cut it off
        mid-sentence); the preview below gives up the room, never below a third of the tab."""
        splitter = self.data_tab
        sizes = splitter.sizes()
        layout = self.picker.layout()
        if len(sizes) != 2 or layout is None or not splitter.isVisible():
            return
        need = layout.totalHeightForWidth(self.picker.width()) if layout.hasHeightForWidth() \
            else self.picker.sizeHint().height()
        total = sum(sizes)
        wanted = min(need, total - max(total // 3, self.preview.minimumSizeHint().height()))
        if wanted > sizes[0]:
            splitter.setSizes([wanted, total - wanted])

    def _dataset_failed(self, _message: str) -> None:
        self.preview.show_dataset(None)
        self._schedule_check()

    # --- the pre-training check -------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """What stops training now, in words (empty when Train can start)."""
        return list(self._problems)

    @property
    def check_pending(self) -> bool:
        return self._checked_generation != self._check_generation or self._check_timer.isActive()

    def _schedule_check(self) -> None:
        """Re-check soon: edits come in bursts, and the check runs on another thread. Only while
        the panel is seen (or a start waits for it): hidden, it catches up when shown."""
        self._check_generation += 1
        if not self.running and (self.isVisible() or self._start_requested):
            self._check_timer.start()
        self._update_controls()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.running and self._checked_generation != self._check_generation:
            self._check_timer.start()

    def _run_check(self) -> None:
        document = self._document
        generation = self._check_generation
        if document is None or self.running:
            return
        project = document.project
        picker_ref = self.picker.ref
        if project.dataset is None and picker_ref is None:
            self._check_done(generation, [NO_DATASET], None)
            return
        if self.picker.loading or (picker_ref or None) != (project.dataset or None):
            return  # the picker's load or commit finishes first and schedules another check
        dataset = self.picker.dataset
        if dataset is None:
            reason = self.picker.error or "the dataset could not be loaded"
            self._check_done(generation, [f"{reason.rstrip('.')}. Choose another dataset or fix the file."], None)
            return
        snapshot = snapshot_project(project)
        base_dir = self._base_dir()
        fingerprint = graph_fingerprint(snapshot.graph)
        if fingerprint != self._fingerprint:  # mark the runs that trained the model as it is now
            self._fingerprint = fingerprint
            self.history.set_current_fingerprint(fingerprint)
        # Moving a layer changes nothing the check looks at: keep its answer.
        key = (fingerprint, json.dumps(snapshot.training, sort_keys=True, default=str),
               json.dumps(snapshot.dataset, sort_keys=True, default=str), id(dataset), base_dir)
        if key == self._checked_key:
            self._check_done(generation, self._problems, None)
            return

        def check() -> list[str]:
            from app.keras_bridge.training import check_before_training

            return check_before_training(snapshot, dataset=dataset, base_dir=base_dir)

        self._start_job(check, lambda value, error: self._check_done(generation, value, error, key))

    def _check_done(self, generation: int, problems: list[str] | None, error: BaseException | None,
                    key: tuple[Any, ...] | None = None) -> None:
        if generation != self._check_generation:
            return  # something changed meanwhile; a newer check is on its way
        if error is not None:
            problems = [f"the check before training failed ({type(error).__name__}): {error}"]
            key = None
        self._problems = list(problems or [])
        self._checked_generation = generation
        if key is not None:
            self._checked_key = key
        self._show_problems()
        self._update_controls()
        self.checked.emit()
        if self._start_requested and not self.check_pending:
            self._start_requested = False
            if not self._problems:
                self.start_training()
                return
            self._set_status("")
        if not self._problems:
            # Train is about to be pressed: make its plots now, not when training competes for the GUI.
            QTimer.singleShot(0, self, lambda: self.plots.prepare(self._plot_keys()))

    def _show_problems(self) -> None:
        if not self._problems or self.running:
            self.problems_scroll.hide()
            return
        items = "".join(f"<li>{html.escape(p).replace(chr(10), '<br>')}</li>" for p in self._problems)
        self.problems_label.setText(f"<b style='color:{ERROR}'>Before training can start:</b>"
                                    f"<ul style='margin-top:2px; margin-left:-20px; color:{ERROR}'>{items}</ul>")
        width = max(200, self.problems_scroll.viewport().width())
        needed = self.problems_label.heightForWidth(width)
        self.problems_scroll.setFixedHeight(min(PROBLEMS_MAX_HEIGHT, max(40, needed + 4)))
        self.problems_scroll.show()

    # --- jobs on plain threads -------------------------------------------------------------------------

    def _start_job(self, function: Callable[[], Any], callback: Callable[[Any, BaseException | None], None]) -> None:
        self._jobs.start(function, callback)

    def wait_for_jobs(self, timeout_s: float = 30.0) -> None:
        """Let background checks and saves end (when the window closes)."""
        self._jobs.wait(timeout_s)

    # --- training -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def stopping(self) -> bool:
        """Stop was asked for and the run has not ended yet."""
        return self._worker is not None and self._worker.stop_requested

    def set_probe(self, probe: Any) -> None:
        """A :class:`~app.keras_bridge.training.Probe` for the next runs (None: none); its values
        come out of :attr:`probe_result` (a live decision boundary uses this)."""
        self._probe = probe

    @property
    def result(self) -> Any:
        """The last run's TrainingResult (None before the first)."""
        return self._result

    def can_train(self) -> bool:
        return (self._document is not None and not self.running and not self._saving and not self.check_pending
                and not self._problems and self.picker.dataset is not None)

    def idle_text(self) -> str:
        """Why Train is (not) available, in a few words."""
        if self.running:
            return "Training is running"
        if self._document is None:
            return "Open a model first"
        if self._saving:
            return "Saving the trained model…"
        if self.picker.loading:
            return "Loading the dataset…"
        if self.check_pending:
            return "Checking the model against the data…"
        if self._problems:
            return "Fix the problems above to train"
        return "Ready to train (F5)"

    @property
    def run_state(self) -> str:
        """Where the run is: one of :data:`RUN_PHASES` ("finished" and the like stay until the
        next run starts or another model is opened)."""
        return self._phase

    def notice_text(self) -> str:
        """The notice beside Train, as shown ("" while the progress bar is up)."""
        return self.notice_label.text() if self.state_stack.currentWidget() is self.notice_label else ""

    def _update_controls(self) -> None:
        running = self.running
        self.train_button.setEnabled(self.can_train())
        self.stop_button.setEnabled(running and not self.stopping)
        self.stop_button.setText("Stopping…" if self.stopping else "Stop")
        idle = self.idle_text()
        self.train_button.setToolTip(idle if not self.can_train() else "Train the model on the chosen dataset (F5)")
        self.picker.setEnabled(not running)
        # The outcome of the last run stays in the bar until something stops the next one.
        notice = not running and (self._result is None or bool(self._problems))
        if notice:
            self._show_notice(idle)
        self.state_stack.setCurrentWidget(self.notice_label if notice else self.progress_bar)

    def _show_notice(self, text: str) -> None:
        if self._problems and not self.check_pending:
            kind, color = "problems", ERROR
        elif self.can_train():
            kind, color = "ready", VALID_TARGET
        else:
            kind, color = "waiting", TEXT_MUTED
        shown = f"{NOTICE_ICONS[kind]}  {text}"
        if self.notice_label.text() != shown:
            self.notice_label.setText(shown)
            self.notice_label.setToolTip(text)
            weight = "bold" if kind == "problems" else "normal"
            self.notice_label.setStyleSheet(f"color: {color}; font-weight: {weight};")

    def _set_phase(self, phase: str, text: str) -> None:
        """The one place the run's state is written: the progress bar's words, and the window's
        status line and lock banner (through ``status_text_changed``) say the same thing."""
        self._phase = phase
        self.progress_bar.setFormat(text)
        self.progress_bar.setToolTip(text)
        self.state_stack.setCurrentWidget(self.progress_bar if phase != "idle" else self.notice_label)
        if phase in ("starting", "running", "stopping"):
            self._status_sent = time.monotonic()
            self.status_text_changed.emit(f"Training: {text}")
        else:
            self.status_text_changed.emit("")

    def _clear_window_message(self) -> None:
        """A new run makes the last run's "Training finished" message in the window's status bar
        stale: take it away so the bar never contradicts the progress shown here."""
        window = self.window()
        if isinstance(window, QMainWindow) and window.statusBar().currentMessage().startswith("Training"):
            window.statusBar().clearMessage()

    def _plot_keys(self) -> list[str]:
        """The quantities a run with the current settings reports (one-output models)."""
        metrics = self._document.project.training.get("metrics") if self._document is not None else None
        return [*(m for m in metrics if isinstance(m, str)), "learning_rate"] if isinstance(metrics, list) \
            else ["learning_rate"]

    def start_training(self) -> bool:
        """Start a run if nothing stops it; False (with the reason shown) otherwise."""
        self.picker.commit_pending()
        if not self.can_train():
            waiting = self.picker.loading or self.check_pending
            if self.running or self._document is None or self._saving:
                pass
            elif waiting and not (self._problems and not self.check_pending):
                # Pressed while the data loads or the check runs: start as soon as it says yes.
                self._start_requested = True
                self._set_status("Training starts as soon as the check before training is done…", TEXT_MUTED)
                if not self._check_timer.isActive() and not self.picker.loading:
                    self._check_timer.start()
            elif self._problems:
                self._show_problems()
            return False
        document = self._document
        assert document is not None
        settings = with_defaults(document.project.training)
        self._start_requested = False
        self.about_to_train.emit()  # a live view may set its probe now, for this run
        worker = TrainingWorker(document.project, dataset=self.picker.dataset, base_dir=self._base_dir(),
                                probe=self._probe, parent=self)
        worker.progress.connect(self._progress)
        worker.probe.connect(self.probe_result)
        worker.probe.connect(self.recipe_views.show_probe)
        worker.epoch_end.connect(self._epoch_end)
        worker.epoch_end.connect(self.recipe_views.add_epoch)
        self.recipe_views.reset(str(settings.get("recipe", "supervised")))
        worker.message.connect(self._message)
        worker.finished.connect(self._finished)
        self._worker = worker
        self._run_document = document
        self._started_at = datetime.now(UTC)
        self._result = None
        document.set_locked(True)
        # One output: Keras names the logs after the metrics, so every plot can be laid out now.
        self.plots.reset(total_epochs(settings) if isinstance(settings["epochs"], int) else None,
                         keys=self._plot_keys(), show=len(document.graph.output_nodes()) == 1,
                         loss=settings.get("recipe") != "gan")  # a GAN logs d_loss and g_loss instead
        self.log.clear()
        self._show_result(None)
        self.save_button.setEnabled(False)
        self.save_label.clear()
        self.problems_scroll.hide()
        self.progress_bar.setValue(0)
        self._progress_epoch = 0
        self._set_status("")
        self._clear_window_message()
        self.tabs.setCurrentWidget(self.training_tab)
        self._update_controls()
        # Start the thread once the window has repainted in its training state: building the
        # model holds the GIL in long stretches, which would make that first repaint crawl.
        QTimer.singleShot(START_DELAY_MS, self, lambda: self._start_worker(worker))
        self._set_phase("starting", "Starting… (building the model)")
        self.running_changed.emit(True)
        self.training_started.emit()
        return True

    def _start_worker(self, worker: TrainingWorker) -> None:
        if worker is self._worker and not worker.running and worker.result is None:
            worker.start()

    def stop_training(self) -> None:
        """End the run after the current batch; the results still come (status "stopped")."""
        worker = self._worker
        if worker is None or worker.stop_requested:
            return
        worker.stop()
        self._update_controls()
        self._set_phase("stopping", self.progress_bar.format() + " · stopping after this batch…")

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop a run and wait for its thread and any background job (the window is closing)."""
        worker = self._worker
        ended = True
        if worker is not None:
            worker.stop()
            ended = worker.wait(timeout_ms)
        self.wait_for_jobs(timeout_ms / 1000)
        return ended

    def _progress(self, progress: Any) -> None:
        self.plots.add_progress(progress)
        text = progress_text(progress)
        if self.stopping:
            text += " · stopping after this batch…"
        self.progress_bar.setValue(int(progress_fraction(progress) * PROGRESS_STEPS))
        # The window's status bar and banner need not follow every batch: twice a second is
        # plenty, but a new epoch or the end of one is news at once.
        news = int(progress.epoch) != self._progress_epoch or progress.batch == progress.batches \
            or self._phase == "starting"
        self._progress_epoch = int(progress.epoch)
        if news or time.monotonic() - self._status_sent >= STATUS_INTERVAL_S:
            self._set_phase("stopping" if self.stopping else "running", text)
        else:
            self.progress_bar.setFormat(text)

    def _epoch_end(self, epoch: Any) -> None:
        self.plots.add_epoch(epoch)

    def _message(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _finished(self, result: Any) -> None:
        worker, document = self._worker, self._run_document
        self._worker = None
        self._run_document = None
        self.plots.flush()  # the other plots follow a slice apart, like during the run
        if document is not None:
            document.set_locked(False)
            if worker is not None and (result.status != "failed" or result.epochs_run > 0):
                # A run that never trained (the data did not fit, say) is not worth keeping.
                project = worker.project
                document.add_run(make_record(
                    project.graph, with_defaults(project.training), project.dataset,
                    status=result.status, reason=result.reason, history=result.history,
                    test_metrics=result.test_metrics, epochs_run=result.epochs_run, seconds=result.seconds,
                    started=self._started_at, tensorboard_log=getattr(result, "tensorboard_log", None)))
        if worker is not None:
            worker.deleteLater()
        self._result = result
        self._show_outcome(result)
        self._update_controls()
        self._schedule_check()
        self.running_changed.emit(False)
        # The results views (confusion matrix, sample grid, predictions) take tens of
        # milliseconds to fill and paint: a moment later, so the window repaints its idle
        # state first and never freezes for the sum of both. (A 0 ms timer would not do:
        # Qt runs it with the paint events, before any other timer or input gets a turn.)
        QTimer.singleShot(RESULTS_DELAY_MS, self, lambda: self._show_results_of(result))

    def _show_results_of(self, result: Any) -> None:
        if self._result is result:  # no newer run has started meanwhile
            shown = self._show_result(result)
            if shown and result.ok and result.epochs_run > 0:
                self.tabs.setCurrentWidget(self.results_tab)
        self.training_finished.emit(result)

    def _show_outcome(self, result: Any) -> None:
        status, reason = result.status, str(result.reason)
        device = f" on {result.device}" if getattr(result, "device", "") else ""
        phase = status if status in RUN_PHASES else "finished"
        if status == "failed":
            self._set_phase(phase, "Failed")
            self._set_status(f"Training failed: {reason}", ERROR)
        else:
            seconds = format_duration(result.seconds)
            self._set_phase(phase, f"{status.capitalize()} · {result.epochs_run} epoch"
                                   f"{'s' if result.epochs_run != 1 else ''} in {seconds}")
            if status == "finished":
                self.progress_bar.setValue(PROGRESS_STEPS)
            color = VALID_TARGET if status == "finished" else TEXT_MUTED
            self._set_status(f"{reason[:1].upper()}{reason[1:]}{device} ({seconds}).", color)
        model_ready = result.ok and result.model is not None
        self.save_button.setEnabled(model_ready)
        self.save_label.setText("" if model_ready else "No trained model to save.")

    def _show_result(self, result: Any) -> bool:
        """Show a result in the Results tab; a view error is reported, never raised."""
        try:
            self.results.show_result(result)
        except Exception as err:  # a bug in a view must not hide the outcome or break the app
            self._set_status(f"The results could not be shown ({type(err).__name__}: {err}).", ERROR)
            return False
        return True

    def _set_status(self, text: str, color: str = TEXT_MUTED) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {color};" if text else "")
        self.status_label.setVisible(bool(text))

    # --- the trained model ---------------------------------------------------------------------------

    def ask_model_path(self) -> Path | None:
        """Where to save the trained model, from a dialog (tests replace this method)."""
        document = self._document
        project_folder = document.path.parent if document is not None and document.path is not None else None
        folder = last_folder(TRAINED_MODEL_KIND, project_folder)  # where the last trained model went
        stem = document.path.stem if document is not None and document.path is not None else "model"
        chosen, _ = QFileDialog.getSaveFileName(self, "Save Trained Model", str(folder / f"{stem}.trained.keras"),
                                                "Keras models (*.keras)")
        if not chosen:
            return None
        path = Path(chosen)
        remember_folder(TRAINED_MODEL_KIND, path)
        return path if path.suffix.lower() == ".keras" else path.with_name(path.name + ".keras")

    def save_trained_model(self) -> bool:
        """Save the last run's model (weights included) as .keras, on a background thread.
        Returns False when there is nothing to save or the user cancelled."""
        result = self._result
        if result is None or not result.ok or result.model is None or self._saving or self.running:
            return False
        path = self.ask_model_path()
        if path is None:
            return False
        model = result.model

        def save() -> Path:
            from app.keras_bridge.recipes import save_model_or_parts

            return save_model_or_parts(model, str(path))[0]  # a VAE / GAN writes PATH_encoder.keras, ...

        self._saving = True
        self.save_button.setEnabled(False)
        self.save_label.setText(f"Saving {path.name}…")
        self.save_label.setStyleSheet(f"color: {TEXT_MUTED};")
        self._update_controls()
        self._start_job(save, self._saved)
        return True

    def _saved(self, path: Any, error: BaseException | None) -> None:
        self._saving = False
        self.save_button.setEnabled(self._result is not None and self._result.ok and self._result.model is not None)
        if error is not None:
            reason = str(error) if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: {error}"
            self.save_label.setText(f"The model was not saved: {reason}")
            self.save_label.setStyleSheet(f"color: {ERROR};")
        else:
            self.save_label.setText(f"Saved {path}")
            self.save_label.setStyleSheet(f"color: {VALID_TARGET};")
            self.model_saved.emit(path)
        self._update_controls()

    def trained_model(self) -> tuple[Any, str | None] | None:
        """The last finished run's trained ``keras.Model`` and when that run started (the
        ``started`` of its record in ``project.runs``, which holds the fingerprint of the graph
        it was trained from); None while a run goes on or when no run left a model. Read-only:
        File › Export › Keras Model writes these weights when the graph still matches."""
        result = self._result
        if self.running or result is None or not result.ok or result.model is None:
            return None
        started = self._started_at.astimezone(UTC).isoformat(timespec="seconds") if self._started_at else None
        return self._as_graph_model(result), started

    def _as_graph_model(self, result: Any) -> Any:
        """A recipe's parts as one model of the whole graph (what keeping weights node by node reads);
        a plain model as it is. Made once per result."""
        from app.keras_bridge.recipes import graph_model, recipe_of

        if recipe_of(result.model) is None or self._document is None:
            return result.model
        cached = getattr(self, "_graph_model", None)
        if cached is None or cached[0] is not result:
            project = self._document.project
            self._graph_model = (result, graph_model(result.model, project.graph, project.name))
        return self._graph_model[1]
