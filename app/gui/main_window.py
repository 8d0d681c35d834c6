"""The main window: the canvas in the middle, docks around it, menus, files and autosave.

The window owns one :class:`Document` at a time. Opening, New and New from Example
replace it (after asking about unsaved changes); every view and panel follows through
``set_document``. All edits go through the document (one undo step each); the window
only wires actions to the view's and the document's API.

Prompts and messages go through :meth:`MainWindow.ask_unsaved`, :meth:`MainWindow.notify`,
:meth:`MainWindow.choose_example` and :meth:`MainWindow.ask_stop_training`, so tests
replace them instead of driving modal dialogs.

Training lives in the Training dock. Its panel (pyqtgraph and the data views) is built the
first time the dock is shown or a training action is used, so start-up does not pay for
it. While a run goes on the document is locked and a banner over the canvas says so,
with a Stop button; the status bar shows the epoch and the time left.

Docks: the right side is wide enough from the start for every panel tabbed there (the
Training panel, a Conv2D's Inspector, whole tab titles), so nothing jumps when a tab opens;
selecting a layer brings the Inspector forward. A window given ``settings`` (the app's
windows: :func:`window_settings`) remembers its geometry and dock layout between runs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QChildEvent, QEvent, QMetaObject, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStatusBar,
    QStyle,
    QTabBar,
    QToolBar,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.clipboard import MIME_TYPE
from app.core.graph import GraphError
from app.core.project import ProjectError
from app.core.shapes import Analysis
from app.gui.autosave import AUTOSAVE_INTERVAL_MS, Autosaver
from app.gui.background import FAILED, LOADING, READY, BackgroundImporter
from app.gui.document import Document
from app.gui.editor.view import GraphView
from app.gui.gallery import is_example
from app.gui.last_folder import last_folder, remember_folder
from app.gui.panels.inspector import InspectorPanel
from app.gui.panels.palette import PalettePanel
from app.gui.panels.problems import ProblemsPanel
from app.gui.panels.summary import SummaryPanel
from app.gui.recent import RecentFiles, config_dir
from app.gui.teaching import Teaching

if TYPE_CHECKING:
    from app.gui.training.panel import TrainingPanel
    from app.gui.weights_dialog import WeightsLoad

PROJECT_FILTER = "Layerforge projects (*.json)"
OPEN_FILTERS = ";;".join([
    "Models (*.json *.keras)",
    PROJECT_FILTER,
    "Keras models (*.keras)",
    "All files (*)",
])
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
ERROR_STYLE = "color: #c62828; font-weight: 600;"

Button = QMessageBox.StandardButton
PALETTE_WIDTH = 250
RIGHT_DOCK_WIDTH = 400
"""The right docks' width from the start: the Training panel needs 380 px and a Conv2D's
Inspector about 330, so opening either never widens the side (and never scrolls sideways)."""
BOTTOM_DOCK_HEIGHT = 190
LAYOUT_VERSION = 2
"""Stored with the dock layout; a layout saved by a version with other docks is not restored."""
SETTINGS_FILE = "window.ini"
LOCK_TEXT = "Training — the model is locked until it ends"
BANNER_STYLE = ("#lock_banner { background: #FFF3D1; border: 1px solid #E69500; border-radius: 6px; }"
                " #lock_banner QLabel { color: #1B1F24; }")


class LockBanner(QFrame):
    """The strip over the top of the canvas while training runs: what is going on, and Stop."""

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.setObjectName("lock_banner")
        self.setStyleSheet(BANNER_STYLE)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(10)
        texts = QVBoxLayout()
        texts.setSpacing(0)
        self.label = QLabel(LOCK_TEXT, self)
        font = self.label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.label.setFont(font)
        texts.addWidget(self.label)
        self.detail = QLabel(self)
        self.detail.setStyleSheet("color: #3D4652;")
        texts.addWidget(self.detail)
        layout.addLayout(texts, 1)
        self.stop_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop", self)
        self.stop_button.setToolTip("End training after the current batch (Shift+F5)")
        layout.addWidget(self.stop_button)
        self.hide()
        view.installEventFilter(self)

    def set_detail(self, text: str) -> None:
        if text == self.detail.text():
            return
        shown = self.detail.isVisibleTo(self)
        self.detail.setText(text)
        self.detail.setVisible(bool(text))
        if self.isVisible() and shown != bool(text):  # the height changes only when the line comes or goes
            self.place()

    def place(self) -> None:
        view = self.parentWidget()
        if view is None:
            return
        width = max(200, view.width() - 24)
        self.setGeometry(12, 10, width, self.sizeHint().height())
        self.raise_()

    def showEvent(self, event: QShowEvent) -> None:
        self.place()
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False


def window_settings() -> QSettings:
    """Where the app's windows keep geometry and dock layout: an INI file in the config folder
    (``LAYERFORGE_HOME`` moves it, as tests do, so they never touch a user's settings)."""
    return QSettings(str(config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def _file_stem(name: str) -> str:
    """A file name suggested from a project name ("MLP tabular" -> "mlp_tabular")."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return stem or "model"


class MainWindow(QMainWindow):
    """One editor window on one document (see the module docstring)."""

    def __init__(self, document: Document | None = None, *, autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS,
                 autosave_directory: Path | None = None, recent: RecentFiles | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        """Where geometry and dock layout are remembered (None: not remembered, as in most tests)."""
        if document is None:
            document = Document()
        document.setParent(self)
        self._document = document
        self._connections: list[QMetaObject.Connection] = []
        self._docks_arranged = False
        self.recent = recent or RecentFiles()

        self.undo_group = QUndoGroup(self)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)

        self.view = GraphView(document)
        self.setCentralWidget(self.view)
        self.palette_panel = PalettePanel()
        self.inspector = InspectorPanel(document)
        self.problems = ProblemsPanel(document)
        self.summary = SummaryPanel(document)
        self.undo_view = QUndoView(self.undo_group)
        self.undo_view.setEmptyLabel("(as opened)")
        self._build_docks()

        self.autosaver = Autosaver(document, autosave_interval_ms, autosave_directory, self)
        self.autosaver.failed.connect(lambda message: self.statusBar().showMessage(message, 15000))

        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self.teaching = Teaching(self)

        self.palette_panel.add_requested.connect(self.add_layer)
        self.view.selection_changed.connect(self._selection_changed)
        self.problems.node_activated.connect(self.reveal_node)
        self.summary.node_activated.connect(self.reveal_node)
        self.palette_panel.set_document(document)
        QApplication.clipboard().dataChanged.connect(self._update_actions)

        self._connect_document(document)
        self._document_changed()
        self.teaching.document_changed()
        self._resize_to_screen()
        self._restore_geometry()

    # --- building ---------------------------------------------------------------------------

    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{_file_stem(title)}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        # Side docks run full height; the bottom docks sit under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.palette_dock = self.add_dock("Layers", self.palette_panel, left)
        self.inspector_dock = self.add_dock("Inspector", self.inspector, right)
        self.undo_dock = self.add_dock("Undo History", self.undo_view, bottom)
        self.problems_dock = self.add_dock("Problems", self.problems, bottom)
        self.summary_dock = self.add_dock("Summary", self.summary, bottom)
        self._training_panel: TrainingPanel | None = None
        self._close_after_training = False
        placeholder = QLabel("Loading the training panel…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.training_dock = self.add_dock("Training", placeholder, right)
        self.training_dock.visibilityChanged.connect(self._training_dock_visible)
        from app.gui.experiments import install_experiments

        self.experiments_dock = install_experiments(self, bottom)  # sets self.experiments (its panel)
        self.lock_banner = LockBanner(self.view)
        self.lock_banner.stop_button.clicked.connect(self.stop_training)


    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None,
                tip: str = "", on_view: bool = False) -> QAction:
        """A menu action; ``on_view`` ones only take their shortcut while the canvas has focus,
        so Delete, Ctrl+C or F still work normally in the docks' text fields."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        if on_view:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_document, key.New, "Start an empty model")
        self.example_action = self._action("New from &Example…", self.new_from_example, "Ctrl+Shift+N",
                                           "Start from a copy of one of the example models")
        self.open_action = self._action("&Open…", self.open_file, key.Open,
                                        "Open a Layerforge project or import a .keras model")
        self.save_action = self._action("&Save", self.save, key.Save, "Save the project")
        self.save_as_action = self._action("Save &As…", self.save_as, key.SaveAs, "Save the project to a new file")
        self.export_keras_action = self._action("&Keras Model (.keras)…", self.export_keras,
                                                tip="Build the model with Keras and save it as a .keras file")
        self.export_python_action = self._action("&Python Script (.py)…", self.export_python,
                                                 tip="Write a standalone Python script that builds this model")
        self.export_deploy_actions = {
            fmt: self._action(label, lambda f=fmt: self.export_deployable(f), tip=tip) for fmt, (label, tip) in {
                "saved_model": ("&SavedModel (folder)…", "A TensorFlow SavedModel for serving, checked against Keras"),
                "tflite": ("&TFLite (.tflite)…", "A LiteRT model for phones and browsers, checked against Keras"),
                "onnx": ("&ONNX (.onnx)…", "An ONNX model (needs layerforge[onnx]), checked against Keras")}.items()}
        self.quit_action = self._action("&Quit", self._quit, key.Quit, "Close Layerforge")

        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(key.Undo))
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        redo_keys = QKeySequence.keyBindings(key.Redo)
        if QKeySequence("Ctrl+Y") not in redo_keys:  # both common conventions, whatever the platform
            redo_keys.append(QKeySequence("Ctrl+Y"))
        self.redo_action.setShortcuts(redo_keys)
        self.cut_action = self._action("Cu&t", self.cut, key.Cut, on_view=True)
        self.copy_action = self._action("&Copy", self.view.copy_selection, key.Copy, on_view=True)
        self.paste_action = self._action("&Paste", self.view.paste, key.Paste, on_view=True)
        self.duplicate_action = self._action("&Duplicate", self.view.duplicate_selection, "Ctrl+D", on_view=True)
        self.call_again_action = self._action("Call Again (Shared &Layer)", self.call_again,
                                              tip="A new node calling the selected layer once more (same weights)")
        self.view.extra_node_actions.append(self.call_again_action)  # the node's context menu
        self.delete_action = self._action("&Delete", self.view.delete_selection, key.Delete, on_view=True)
        self.delete_action.setShortcuts([QKeySequence(key.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.select_all_action = self._action("Select &All", self.select_all, key.SelectAll, on_view=True)
        self.find_action = self._action("&Find…", self.view.find_bar.open_bar, "Ctrl+F", "Find a layer by name or type")
        self.find_next_action = self._action("Find &Next", self.view.find_bar.next, "F3")
        self.find_previous_action = self._action("Find Pre&vious", self.view.find_bar.previous, "Shift+F3")

        self.fit_action = self._action("&Fit to View", self.view.fit_all, "F", "Show the whole model", on_view=True)
        self.layout_action = self._action("Auto &Layout", self.auto_layout, "Ctrl+L",
                                          "Arrange the layers in tidy rows, inputs at the top")
        self.zoom_in_action = self._action("Zoom &In", lambda: self._zoom(1.25), key.ZoomIn)
        self.zoom_out_action = self._action("Zoom &Out", lambda: self._zoom(0.8), key.ZoomOut)
        self.zoom_in_action.setShortcuts([QKeySequence(key.ZoomIn), QKeySequence("Ctrl+=")])  # no Shift needed
        self.about_action = self._action("&About Layerforge", self.about)
        style = self.style()
        self.train_action = self._action("&Train", self.start_training, "F5",
                                         "Train the model on the chosen dataset")
        self.train_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.stop_action = self._action("&Stop Training", self.stop_training, "Shift+F5",
                                        "End training after the current batch")
        self.stop_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_action.setEnabled(False)
        self.save_trained_action = self._action("Save Trained &Model…", self.save_trained_model,
                                                tip="Save the last trained model, weights included, as .keras")
        self.save_trained_action.setEnabled(False)
        self.edit_actions = [self.cut_action, self.paste_action, self.duplicate_action, self.delete_action,
                             self.layout_action]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.example_action, self.open_action])
        self.open_run_log_action = file_menu.addAction("Open R&un Log…", self.open_run_log)
        self.open_run_log_action.setStatusTip("Follow a run that trains elsewhere (a job's metrics.jsonl) in the "
                                              "live plots; it joins the run history when it ends")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self._rebuild_recent_menu()
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        self.load_weights_action = file_menu.addAction("Load &Weights…", self.start_loading_weights)
        self.load_weights_action.setStatusTip("Load a .weights.h5, .keras or weights-only .h5 file into the model, "
                                              "matched by layer name (one undo step; it loads in the background)")
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.addActions([self.export_keras_action, self.export_python_action])
        self.export_menu.addSeparator()
        self.export_menu.addActions(list(self.export_deploy_actions.values()))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.cut_action, self.copy_action, self.paste_action, self.duplicate_action,
                              self.call_again_action, self.delete_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.select_all_action)
        edit_menu.addSeparator()
        edit_menu.addActions([self.find_action, self.find_next_action, self.find_previous_action])
        edit_menu.addSeparator()
        self.block_menu = self._build_block_menu(edit_menu)
        self.edit_menu = edit_menu

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.fit_action, self.zoom_in_action, self.zoom_out_action])
        self.overview_action = view_menu.addAction("&Overview")
        self.overview_action.setCheckable(True)
        self.overview_action.setStatusTip("A map of the whole model in the canvas' corner; drag in it to move")
        self.overview_action.toggled.connect(self.view.overview.setVisible)
        view_menu.addSeparator()
        view_menu.addAction(self.layout_action)
        view_menu.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock, self.summary_dock, self.undo_dock,
                     self.training_dock, self.experiments_dock):
            view_menu.addAction(dock.toggleViewAction())
        self.view_menu = view_menu

        training_menu = bar.addMenu("&Training")
        training_menu.addActions([self.train_action, self.stop_action])
        training_menu.addSeparator()
        training_menu.addAction(self.save_trained_action)
        self.training_menu = training_menu
        self.training_toolbar = QToolBar("Training", self)
        self.training_toolbar.setObjectName("toolbar_training")
        self.training_toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.training_toolbar.addActions([self.train_action, self.stop_action])
        self.addToolBar(self.training_toolbar)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        self.help_menu = help_menu

    def _build_block_menu(self, edit_menu: QMenu) -> QMenu:
        """Edit › Block: the canvas' block actions (they act on the selected block and are off
        without one, or while training runs); the palette's My Blocks follows the library."""
        view = self.view
        menu = edit_menu.addMenu("&Block")
        menu.addAction(view.group_action)
        menu.addSeparator()
        menu.addActions(view.block_actions[:3])
        menu.addSeparator()
        menu.addActions(view.block_actions[3:5])
        menu.addSeparator()
        menu.addActions(view.block_actions[5:])
        view.block_saved.connect(self._block_saved)
        self.palette_panel.block_requested.connect(self.insert_library_block)
        return menu

    def _block_saved(self, _path: object) -> None:
        self.palette_panel.refresh_blocks()

    def insert_library_block(self, path: str) -> str | None:
        """A double-click on a block in the palette's My Blocks: it goes in the middle of the view."""
        return self.view.insert_library_block(path)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.validation_label = QLabel()
        self.validation_label.setToolTip("Problems are listed in the Problems panel")
        bar.addWidget(self.validation_label)
        self.training_label = QLabel()
        self.training_label.setVisible(False)
        bar.addPermanentWidget(self.training_label)
        self.backend_label = QLabel()
        self.backend_label.setVisible(False)
        bar.addPermanentWidget(self.backend_label)
        self._build_weights_status(bar)

    def _build_weights_status(self, bar: QStatusBar) -> None:
        """Which weights the model has, always in view; its menu resets them (one undo step)."""
        self.weights_button = QToolButton()
        self.weights_button.setAutoRaise(True)
        self.weights_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.weights_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self.weights_button)
        self.reset_weights_action = menu.addAction("Reset to Initial Weights", self.reset_weights)
        self.reset_weights_action.setStatusTip("The next run starts from the layers' initializers (Undo brings "
                                               "the weights back)")
        self.weights_button.setMenu(menu)
        bar.addPermanentWidget(self.weights_button)

    def _show_weights(self, message: str = "") -> None:
        document = self._document
        text = document.weights_text()
        self.weights_button.setText(text)
        self.weights_button.setToolTip(f"{text}\nTraining continues from these weights; Save keeps them beside "
                                       "the project (NAME.weights.h5); Export writes them.")
        self.reset_weights_action.setEnabled(bool(document.weights) and not document.locked)
        if message:
            self.statusBar().showMessage(message, 10000)

    def start_loading_weights(self, path: Path | None = None) -> WeightsLoad | None:
        """File › Load Weights…: load ``path`` (or the file chosen) in the background, the action off
        meanwhile; the load's ``finished`` says when it was applied. See :mod:`app.gui.weights_dialog`."""
        from app.gui.weights_dialog import choose_weights_file, start_loading

        if not self.load_weights_action.isEnabled():  # one load at a time
            return None
        document = self._document
        path = path or choose_weights_file(self, document.path.parent if document.path else None)
        return start_loading(self, document, path) if path else None

    def load_weights(self, path: Path | None = None) -> bool:
        """Load Weights and wait for the answer, the window processing events meanwhile; True when applied."""
        load = self.start_loading_weights(path)
        return load is not None and load.wait()

    def reset_weights(self) -> bool:
        try:
            return self._document.reset_weights()
        except PermissionError:
            return False

    def _resize_to_screen(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1280, 800)
            return
        area = screen.availableGeometry()
        self.resize(min(1440, int(area.width() * 0.85)), min(900, int(area.height() * 0.85)))

    # --- the document -----------------------------------------------------------------------

    @property
    def document(self) -> Document:
        return self._document

    def set_document(self, document: Document) -> None:
        """Show ``document`` in this window (the previous one is dropped; ask first with maybe_save)."""
        old = self._document
        if document is old:
            return
        document.setParent(self)
        self._disconnect_document()
        self._document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(None if document.locked else document.undo_stack)
        self.view.set_document(document)
        self.inspector.set_document(document)
        self.problems.set_document(document)
        self.summary.set_document(document)
        self.palette_panel.set_document(document)
        if self._training_panel is not None:
            self._training_panel.set_document(document)
        self.inspector.show_node(None)
        self.autosaver.set_document(document)
        self._connect_document(document)
        self._document_changed()
        self.teaching.document_changed()
        self.undo_group.removeStack(old.undo_stack)
        old.setParent(None)
        old.deleteLater()

    def _connect_document(self, document: Document) -> None:
        self._connections = [
            document.dirty_changed.connect(self._update_title),
            document.path_changed.connect(self._update_title),
            document.analysis_changed.connect(self._show_analysis),
            document.locked_changed.connect(self._locked_changed),
            document.weights_changed.connect(self._show_weights),
            document.analysis_changed.connect(lambda _analysis: self._show_weights()),
            document.locked_changed.connect(lambda _locked: self._show_weights()),
        ]

    def _disconnect_document(self) -> None:
        for connection in self._connections:
            with contextlib.suppress(RuntimeError, TypeError):
                QObject.disconnect(connection)
        self._connections = []

    def _document_changed(self) -> None:
        self._show_weights()
        self._update_title()
        self._show_analysis(self._document.analysis)
        self._locked_changed(self._document.locked)

    def _update_title(self, *_args: object) -> None:
        self.setWindowTitle(self._document.title())
        path = self._document.path
        self.setWindowFilePath(str(path) if path else "")

    def _show_analysis(self, analysis: Analysis) -> None:
        self.validation_label.setText(self.validation_text(analysis))
        self.validation_label.setStyleSheet(ERROR_STYLE if analysis.errors else "")

    @staticmethod
    def validation_text(analysis: Analysis) -> str:
        """The status bar's one-line verdict: "valid · 67 params" or "2 errors"."""
        errors = len(analysis.errors)
        warnings = len(analysis.problems) - errors
        text = (f"{errors} error{'s' if errors != 1 else ''}" if errors
                else f"valid · {analysis.total_params:,} params")
        if warnings:
            text += f" · {warnings} warning{'s' if warnings != 1 else ''}"
        return text

    def _locked_changed(self, locked: bool) -> None:
        # Undo would change the graph behind a running training, so the stack is detached too.
        self.undo_group.setActiveStack(None if locked else self._document.undo_stack)
        self.lock_banner.setVisible(locked)
        if locked:
            self.lock_banner.set_detail("")
        self._update_actions()

    def _selection_changed(self, node_ids: list) -> None:
        self.inspector.show_node(node_ids[0] if len(node_ids) == 1 else None)
        if len(node_ids) == 1:
            self.bring_inspector_forward()
        self._update_actions()

    def bring_inspector_forward(self) -> None:
        """A selected layer's settings are what the user looks for next: show the Inspector tab.
        Not while a run goes on (the live plots stay in front), nor if the user closed it."""
        dock = self.inspector_dock
        if self.training_running or not dock.toggleViewAction().isChecked():
            return
        if dock.isHidden() or dock.visibleRegion().isEmpty():
            dock.show()
            dock.raise_()

    def _update_actions(self) -> None:
        locked = self._document.locked
        selected = bool(self.view.selected_node_ids())
        mime = QApplication.clipboard().mimeData()
        can_paste = mime is not None and (mime.hasFormat(MIME_TYPE) or mime.hasText())
        self.copy_action.setEnabled(selected)
        self.cut_action.setEnabled(selected and not locked)
        self.delete_action.setEnabled(not locked)  # also removes selected connections, which are not "selection"
        self.duplicate_action.setEnabled(selected and not locked)
        self.call_again_action.setEnabled(len(self.view.selected_node_ids()) == 1 and not locked)
        self.paste_action.setEnabled(can_paste and not locked)
        self.layout_action.setEnabled(not locked)
        self._update_training_actions()

    # --- editing ----------------------------------------------------------------------------

    def add_layer(self, class_name: str) -> str:
        """Add a layer from the palette (one undo step): below the selected layer and fed by it
        when its output fits, else at the free spot nearest the view's centre; never on top of
        another card. Selects the new layer and keeps it in view; returns its id ("" if refused)."""
        from app.core.catalog import get_spec
        from app.gui.editor.scene import LOCKED_MESSAGE

        view = self.view
        if self._document.locked:
            view.show_message(LOCKED_MESSAGE)
            return ""
        if get_spec(class_name) is None:
            view.show_message(f"'{class_name}' is not a layer Layerforge supports.")
            return ""
        selected = view.selected_node_ids()
        after = selected[-1] if len(selected) == 1 else None
        centre = view.graph_scene().to_document(view.mapToScene(view.viewport().rect().center()))
        try:
            node_id, connected = self._document.add_from_palette(class_name, after, centre)
        except (KeyError, PermissionError, ValueError) as error:  # GraphError is a ValueError
            view.show_message(str(error))
            return ""
        view.select_nodes([node_id])
        item = view.scene_node_item(node_id)
        if item is not None:
            view.ensureVisible(item.sceneBoundingRect(), 40, 40)
        if connected and after is not None:
            graph = self._document.graph
            self.statusBar().showMessage(f"Added {graph.node(node_id).name}, fed by {graph.node(after).name}", 5000)
        view.setFocus()
        return node_id

    def reveal_node(self, node_id: str) -> None:
        """Select and centre a node (a click in the Problems or Summary list), opening the
        collapsed blocks around it."""
        self.view.reveal_node(node_id)

    def cut(self) -> None:
        self.view.copy_selection()
        self.view.delete_selection()

    def call_again(self) -> None:
        """Edit › Call Again: the selected layer called once more, the new call selected; why not, if not."""
        ids = self.view.selected_node_ids()
        if len(ids) != 1:
            return
        try:
            new_id = self._document.call_again(ids[0])
        except (GraphError, PermissionError) as error:
            self.statusBar().showMessage(str(error), 8000)
            return
        self.view.select_nodes([new_id])

    def select_all(self) -> None:
        self.view.select_nodes([node.id for node in self._document.graph.nodes()])

    def auto_layout(self) -> None:
        self._document.auto_layout()
        self.view.fit_all()

    def _zoom(self, factor: float) -> None:
        self.view.set_zoom(self.view.zoom() * factor)

    # --- files ------------------------------------------------------------------------------

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for unsaved changes (tests replace this method)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to “{self._document_label()}”?",
                          Button.Save | Button.Discard | Button.Cancel, self)
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setDefaultButton(Button.Save)
        box.setEscapeButton(Button.Cancel)
        box.exec()
        choice = box.standardButton(box.clickedButton())
        box.deleteLater()
        return choice if choice != Button.NoButton else Button.Cancel

    def notify(self, icon: QMessageBox.Icon, title: str, text: str, details: str = "") -> None:
        """Show a message (tests replace this method to collect messages)."""
        box = QMessageBox(icon, title, text, Button.Ok, self)
        if details:
            box.setInformativeText(details)
        box.exec()
        box.deleteLater()

    def choose_example(self) -> Path | None:
        """The example chosen in the gallery dialog, or None (tests replace this method)."""
        from app.gui.gallery import ExampleGallery

        dialog = ExampleGallery(self)
        try:
            if dialog.exec() != ExampleGallery.DialogCode.Accepted:
                return None
            example = dialog.selected()
            return example.path if example else None
        finally:
            dialog.deleteLater()

    def _document_label(self) -> str:
        path = self._document.path
        return path.name if path else (self._document.project.name or "Untitled")

    def maybe_save(self) -> bool:
        """Before the document goes away: True to go on (saved or discarded), False to stop."""
        if not self._document.dirty:
            return True
        choice = self.ask_unsaved()
        if choice == Button.Save:
            return self.save()
        return choice == Button.Discard

    def new_document(self) -> bool:
        if self._training_blocks("start a new model") or not self.maybe_save():
            return False
        self.set_document(Document())
        return True

    def new_from_example(self) -> bool:
        if self._training_blocks("open an example"):
            return False
        path = self.choose_example()
        return path is not None and self.open_example(path)

    def open_example(self, path: str | Path) -> bool:
        """Open an untitled copy of an example (the example file itself is never overwritten)."""
        from app.gui.gallery import open_copy

        if self._training_blocks("open an example") or not self.maybe_save():
            return False
        try:
            document = open_copy(path)
        except ProjectError as err:
            self.notify(QMessageBox.Icon.Critical, "Cannot open the example", "The example could not be read.",
                        str(err))
            return False
        self.set_document(document)
        self.teaching.show_lesson()
        return True

    def open_file(self) -> bool:
        if self._training_blocks("open another model"):
            return False
        start = self._document.path.parent if self._document.path else self._default_folder()
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", str(start), OPEN_FILTERS)
        return bool(path) and self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a project (.json) or import a Keras model (.keras) in this window."""
        path = Path(path)
        if self._training_blocks("open another model") or not self.maybe_save():
            return False
        document = self._import_keras(path) if path.suffix.lower() in KERAS_SUFFIXES else self._load_project(path)
        if document is None:
            return False
        self.set_document(document)
        if is_example(path):
            self.teaching.show_lesson()
        self.recent.add(path)
        self.statusBar().showMessage(f"Opened {path} — {document.weights_text()}", 8000)
        if document.open_notes:
            self.notify(QMessageBox.Icon.Information, "Weights",
                        f"“{path.name}” opened; not all of its saved weights could be used.",
                        "\n".join(document.open_notes))
        return True

    def _load_project(self, path: Path) -> Document | None:
        try:
            return Document.open(path)
        except ProjectError as err:
            self.notify(QMessageBox.Icon.Critical, "Cannot open the project",
                        f"“{path.name}” could not be opened.", str(err))
            return None

    def _import_keras(self, path: Path) -> Document | None:
        from app.keras_bridge.importer import ImportRefused, import_keras

        try:
            project, notes = import_keras(path)
        except (ImportRefused, OSError) as err:
            self.notify(QMessageBox.Icon.Critical, "Cannot import the model",
                        f"“{path.name}” could not be imported.", str(err))
            return None
        project.path = None
        document = Document(project)
        document.undo_stack.resetClean()  # it exists only in memory until saved as a project
        if notes:
            self.notify(QMessageBox.Icon.Information, "Model imported",
                        f"“{path.name}” was imported as a new, unsaved project.", "\n".join(notes))
        return document

    def _default_folder(self) -> Path:
        recent = self.recent.files()
        return recent[0].parent if recent else Path.home()

    def ask_save_path(self, title: str, suffix: str, file_filter: str, kind: str | None = None) -> Path | None:
        """Ask where to write a file; None when cancelled. The suffix is added if the name lacks it.

        With a ``kind`` ("keras", "python", "diagram"), the dialog starts in the folder that kind
        of file last went to (remembered across runs, :mod:`app.gui.last_folder`), else in the
        project's folder; without one (Save As) it starts in the project's folder.
        """
        document = self._document
        folder = document.path.parent if document.path else self._default_folder()
        if kind is not None:
            folder = last_folder(kind, folder)
        stem = document.path.stem if document.path else _file_stem(document.project.name)
        chosen, _ = QFileDialog.getSaveFileName(self, title, str(folder / f"{stem}{suffix}"), file_filter)
        if not chosen:
            return None
        path = Path(chosen)
        if kind is not None:
            remember_folder(kind, path)
        return path if path.suffix.lower() == suffix.lower() else path.with_name(path.name + suffix)

    def save(self) -> bool:
        path = self._document.path
        if path is None or path.suffix.lower() != ".json":
            return self.save_as()
        return self._save_to(path)

    def save_as(self) -> bool:
        path = self.ask_save_path("Save Project As", ".json", PROJECT_FILTER)
        return path is not None and self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        try:
            self._document.save(path)
        except ProjectError as err:
            self.notify(QMessageBox.Icon.Critical, "Cannot save the project", f"“{path.name}” was not saved.",
                        str(err))
            return False
        self.recent.add(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _rebuild_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        files = self.recent.files()
        for number, path in enumerate(files, start=1):
            label = f"&{number} {path.name}" if number < 10 else f"1&0 {path.name}"
            action = menu.addAction(label)
            action.setStatusTip(str(path))
            action.setToolTip(str(path))
            action.setData(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Recent Files")
        clear.setEnabled(bool(files))
        clear.triggered.connect(self.recent.clear)

    # --- export -----------------------------------------------------------------------------

    def export_keras(self) -> bool:
        """Write a .keras file with the weights the user has: the last run's trained model when
        the graph is still the one trained, else freshly initialised weights; the status bar
        (and, when trained weights no longer fit, a dialog) says which."""
        path = self.ask_save_path("Export Keras Model", ".keras", "Keras models (*.keras)", kind="keras")
        return path is not None and self._export(path, "export_keras")

    def export_python(self) -> bool:
        path = self.ask_save_path("Export Python Script", ".py", "Python scripts (*.py)", kind="python")
        return path is not None and self._export(path, "export_python")

    def _export(self, path: Path, function: str) -> bool:
        self.statusBar().showMessage(f"Exporting {path.name}… (the first export waits for TensorFlow)")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        weights = None
        try:
            from app.keras_bridge import export as bridge

            project = self._document.project
            weights = bridge.weights_text(project)
            if function == "export_keras":
                model, notes = bridge.model_with_weights(project)
                bridge.export_keras(project, path, model=model)
            else:
                notes = []
                bridge.export_python(project, path)
                if project.weights:
                    weights = f"{weights}, in {bridge.python_weights_path(path).name} (the script loads it)"
        except Exception as err:  # compile, codegen, Keras and file errors all become a readable message
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()
            reason = str(err) if isinstance(err, (ValueError, OSError)) else f"{type(err).__name__}: {err}"
            self.notify(QMessageBox.Icon.Critical, "Export failed", f"“{path.name}” was not written.", reason)
            return False
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Exported {path.name} with {weights}", 15000)
        if notes:
            self.notify(QMessageBox.Icon.Information, "Exported with some initial weights",
                        f"“{path.name}” holds {weights}.", "\n".join(notes))
        return True

    def export_deployable(self, fmt: str) -> bool:
        """SavedModel / TFLite / ONNX with the model's weights (:mod:`app.keras_bridge.deploy`): written only
        after the artifact has been run and matched Keras; the status bar gives the difference."""
        title, suffix, file_filter = {"saved_model": ("Export SavedModel Folder", "", "SavedModel folders (*)"),
                                      "tflite": ("Export TFLite Model", ".tflite", "TFLite models (*.tflite)"),
                                      "onnx": ("Export ONNX Model", ".onnx", "ONNX models (*.onnx)")}[fmt]
        path = self.ask_save_path(title, suffix, file_filter, kind=fmt)
        if path is None:
            return False
        self.statusBar().showMessage(f"Exporting and checking {path.name}… (the first export waits for TensorFlow)")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from app.keras_bridge import deploy, export

            project = self._document.project
            weights = export.weights_text(project)
            model, notes = export.model_with_weights(project)
            verified = deploy.EXPORTERS[fmt](model, path)
        except Exception as err:  # a converter's refusal (naming the layer), Keras and file errors alike
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()
            self.notify(QMessageBox.Icon.Critical, "Export failed", f"“{path.name}” was not written.", str(err))
            return False
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Exported {path.name} with {weights} ({verified.describe()})", 15000)
        if notes:
            self.notify(QMessageBox.Icon.Information, "Exported with some initial weights",
                        f"“{path.name}” holds {weights}.", "\n".join(notes))
        return True

    def open_run_log(self, path: Path | None = None) -> bool:
        """Follow a run log (:mod:`app.gui.training.run_log_follower`) in the Training dock's live plots."""
        if path is None:
            folder = last_folder("run_log", self._default_folder())
            chosen, _ = QFileDialog.getOpenFileName(self, "Open Run Log", str(folder),
                                                    "Run logs (*.jsonl);;All files (*)")
            if not chosen:
                return False
            path = Path(chosen)
            remember_folder("run_log", path)
        from app.gui.training.run_log_follower import RunLogFollower

        previous = getattr(self, "run_log_follower", None)
        if previous is not None:
            previous.stop()
            previous.deleteLater()
        self.show_training()
        follower = RunLogFollower(path, self.training.plots, self._document, parent=self)
        follower.progressed.connect(lambda text: self.statusBar().showMessage(text, 10000))
        follower.failed.connect(lambda text: self.notify(QMessageBox.Icon.Warning, "Run log", text))
        follower.finished.connect(lambda record: self.statusBar().showMessage(
            f"{path.name}: {record['reason'] if record else 'the run ended'}; added to the run history", 15000))
        self.run_log_follower = follower
        follower.start()
        return True

    # --- training ------------------------------------------------------------------------------

    @property
    def training(self) -> TrainingPanel:
        """The Training dock's panel (built on first use)."""
        if self._training_panel is None:
            from app.gui.training.panel import TrainingPanel

            panel = TrainingPanel(self._document)
            placeholder = self.training_dock.widget()
            self.training_dock.setWidget(panel)
            if placeholder is not None:
                placeholder.deleteLater()
            panel.running_changed.connect(self._training_running_changed)
            panel.status_text_changed.connect(self._training_status)
            panel.training_finished.connect(self._training_finished)
            panel.save_button.installEventFilter(self)  # its enabled state drives the Save Trained Model action
            self._training_panel = panel
            self.teaching.training_panel_built(panel)
            self._update_training_actions()
        return self._training_panel

    @property
    def training_running(self) -> bool:
        return self._training_panel is not None and self._training_panel.running

    def _training_dock_visible(self, visible: bool) -> None:
        if visible and self._training_panel is None:
            QTimer.singleShot(0, self, self._build_training_if_shown)  # after the dock has painted its frame

    def _build_training_if_shown(self) -> None:
        # On the first show every dock is briefly visible, before the Training tab goes behind the Inspector.
        if self._training_panel is None and not self.training_dock.visibleRegion().isEmpty():
            _ = self.training

    def show_training(self) -> None:
        """Bring the Training dock to the front (the side is already wide enough: RIGHT_DOCK_WIDTH)."""
        dock = self.training_dock
        dock.show()
        dock.raise_()

    def start_training(self) -> bool:
        """F5: show the Training dock and start a run (the panel says what stops it, if anything)."""
        self.show_training()
        return self.training.start_training()

    def stop_training(self) -> None:
        if self._training_panel is not None:
            self._training_panel.stop_training()
        self._update_training_actions()

    def save_trained_model(self) -> bool:
        self.show_training()
        return self.training.save_trained_model()

    def _training_running_changed(self, running: bool) -> None:
        if running:
            self.show_training()
        self.training_label.setVisible(running)
        if not running:
            self.training_label.clear()
            self.lock_banner.set_detail("")
        self._update_training_actions()

    def _training_status(self, text: str) -> None:
        self.training_label.setText(text)
        self.training_label.setVisible(bool(text))
        self.lock_banner.set_detail(text.removeprefix("Training: "))
        self._update_training_actions()

    def _training_finished(self, result: object) -> None:
        status = getattr(result, "status", "")
        reason = getattr(result, "reason", "")
        first_line = str(reason).splitlines()[0] if reason else ""
        self._adopt_trained_weights()
        self.statusBar().showMessage(f"Training {status}: {first_line}" if status else "", 15000)
        self._update_training_actions()
        if self._close_after_training:
            self._close_after_training = False
            QTimer.singleShot(0, self.close)

    def _adopt_trained_weights(self) -> None:
        """A finished run's weights become the document's, "trained in run N" (its place in the history)."""
        panel = self._training_panel
        trained = panel.trained_model() if panel is not None else None
        if trained is None:
            return
        model, started = trained
        runs = self._document.project.runs
        number = next((i for i, run in enumerate(runs, start=1) if run.get("started") == started), None)
        if number is None:
            return  # the run was not kept (or belongs to another document)
        try:
            self._document.adopt_trained_model(model, runs[number - 1], number)
        except Exception as err:  # never lose the window over it; say what happened
            self.statusBar().showMessage(f"The trained weights could not be kept: {err}", 15000)

    def _update_training_actions(self) -> None:
        panel = self._training_panel
        running = panel is not None and panel.running
        stopping = running and panel is not None and panel.stopping
        self.train_action.setEnabled(not running)
        self.stop_action.setEnabled(running and not stopping)
        self.lock_banner.stop_button.setEnabled(running and not stopping)
        self.save_trained_action.setEnabled(panel is not None and panel.save_button.isEnabled())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.EnabledChange and self._training_panel is not None \
                and watched is self._training_panel.save_button:
            self._update_training_actions()
        return super().eventFilter(watched, event)

    def _training_blocks(self, what: str) -> bool:
        """True (and a message) when a run is going on: the run belongs to this document."""
        if not self.training_running:
            return False
        self.notify(QMessageBox.Icon.Information, "Training is running",
                    f"Stop the training before you {what}.",
                    "The model is locked while it trains; use Stop (Shift+F5) in the Training panel.")
        return True

    def ask_stop_training(self) -> bool:
        """Whether to stop the running training and close (tests replace this method)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          "Stop the training and close the window?", Button.Yes | Button.No, self)
        box.setInformativeText("The run ends after the current batch; its results are kept in the run history.")
        box.setDefaultButton(Button.No)
        choice = box.exec()
        box.deleteLater()
        return choice == Button.Yes

    # --- background TensorFlow import ---------------------------------------------------------

    def watch_importer(self, importer: BackgroundImporter) -> None:
        """Show the background import's progress in the status bar."""
        importer.state_changed.connect(self._backend_state)
        self._backend_state(importer.state, importer.detail)

    def _backend_state(self, state: str, detail: str) -> None:
        label = self.backend_label
        if state == LOADING:
            label.setText("Loading TensorFlow…")
            label.setToolTip("Editing works now; export and training wait until TensorFlow is loaded.")
        elif state == READY:
            label.setText("TensorFlow ready")
            label.setToolTip(detail)
        elif state == FAILED:
            label.setText("TensorFlow unavailable")
            label.setToolTip(f"{detail}\nEditing works; export and training need TensorFlow.")
        label.setStyleSheet(ERROR_STYLE if state == FAILED else "")
        label.setVisible(state in (LOADING, READY, FAILED) and not self.teaching.presenter)  # hidden on a projector

    # --- misc ----------------------------------------------------------------------------------

    def about(self) -> None:
        QMessageBox.about(self, "About Layerforge",
                          f"<h3>Layerforge {__version__}</h3>"
                          "<p>Draw Keras models as graphs: live shapes and parameter counts, "
                          "training with live plots, export to .keras or Python.</p>")

    def _quit(self) -> None:
        QApplication.closeAllWindows()

    def clutter_docks(self) -> list[QDockWidget]:
        """Docks presenter mode hides (the audience needs the canvas, not the bookkeeping)."""
        return [self.undo_dock, self.summary_dock, self.problems_dock]

    def _arrange_docks(self) -> None:
        """Tab the docks that share a side and give the canvas the room.

        Done on the first show, once the window exists: tabifying earlier leaves a stray,
        unused tab bar painted over the palette (a Qt 6 dock-layout bug). The undo history
        sits at the bottom, so the right side's tabs (Inspector, Training, Help, Lesson) keep
        their whole titles.
        """
        self.tabifyDockWidget(self.inspector_dock, self.training_dock)
        self.tabifyDockWidget(self.inspector_dock, self.teaching.help_dock)
        self.tabifyDockWidget(self.inspector_dock, self.teaching.lesson_dock)
        self.tabifyDockWidget(self.problems_dock, self.summary_dock)
        self.tabifyDockWidget(self.problems_dock, self.teaching.insight_dock)
        self.tabifyDockWidget(self.problems_dock, self.undo_dock)
        self.tabifyDockWidget(self.problems_dock, self.experiments_dock)
        self.inspector_dock.raise_()
        self.problems_dock.raise_()
        if self.teaching.lesson.has_lesson():
            self.teaching.lesson_dock.raise_()
        self.tidy_tab_bars()
        tabs = self.dock_tab_bar(self.inspector_dock)
        right = max(RIGHT_DOCK_WIDTH, tabs.sizeHint().width() + 8 if tabs is not None else 0)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [PALETTE_WIDTH, right], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)

    def dock_tab_bar(self, dock: QDockWidget) -> QTabBar | None:
        """The tab bar ``dock`` is a tab of (None when it is not tabbed)."""
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if any(bar.tabText(i) == dock.windowTitle() for i in range(bar.count())) and bar.isVisibleTo(self):
                return bar
        return None

    def tidy_tab_bars(self) -> None:
        """Whole dock titles on the tabs ("Inspector", never "Insp…"); scroll arrows if ever short."""
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            self._tidy_tab_bar(bar)

    @staticmethod
    def _tidy_tab_bar(bar: QTabBar) -> None:
        bar.setElideMode(Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)

    def childEvent(self, event: QChildEvent) -> None:
        # Qt makes a tab bar whenever docks get tabbed (also when the user drags one); it sets
        # the bar's elide mode after creating it, so the bar is tidied once it is polished.
        if event.type() == QEvent.Type.ChildPolished and isinstance(event.child(), QTabBar):
            self._tidy_tab_bar(event.child())
        super().childEvent(event)

    # --- remembered geometry and layout -------------------------------------------------------

    def _restore_geometry(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("window/geometry")
        if geometry:
            self.restoreGeometry(geometry)

    def _restore_layout(self) -> bool:
        """The dock layout of the last run (after the default one is in place); True if restored."""
        if self.settings is None:
            return False
        state = self.settings.value("window/state")
        if not state or not self.restoreState(state, LAYOUT_VERSION):
            return False
        self.tidy_tab_bars()
        return True

    def save_layout(self) -> None:
        """Remember geometry and docks for the next run (presenter mode is left first)."""
        if self.settings is None:
            return
        if self.teaching.presenter:
            self.teaching.set_presenter(False)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        if not self._docks_arranged:
            self._docks_arranged = True
            self._arrange_docks()
            self._restore_layout()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.training_running:
            # Stop first; the window closes itself when the run has ended (and then asks about saving).
            event.ignore()
            if not self._close_after_training and self.ask_stop_training():
                self._close_after_training = True
                self.stop_training()
            return
        if not self.maybe_save():
            event.ignore()
            return
        self.save_layout()
        self.teaching.shutdown()
        if self._training_panel is not None:
            self._training_panel.shutdown()
        self.experiments.shutdown()
        self.autosaver.shutdown()
        event.accept()
