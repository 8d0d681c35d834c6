"""The window's teaching tools: layer help, lessons, insight views, cost badges, presenter mode.

Kept out of ``main_window.py`` so the window stays about files, editing and training. A
:class:`Teaching` is made by the window once its docks and menus exist; it adds its docks
(Help and Lesson on the right, Insight at the bottom), its View-menu entries and the
diagram exports, and follows the window's document through :meth:`document_changed`
(each document gets a new canvas scene, so the scene's state is applied again).

Presenter mode is one switch for showing a lesson on a projector: the canvas draws with
large fonts and ports and high contrast, every dock's text grows, the teaching docks (Insight
and Help) stay in view while the palette and the bookkeeping (undo history, summary, problems,
the status bar's background-import note) are hidden, and the canvas shows the model at a
readable scale (at least 1:1, kept through Fit and zoom). Switching back restores exactly the
layout from before (``saveState``/``restoreState``: docks, tabs in front, sizes), zoom and
scroll included.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMenu, QMessageBox, QScrollArea, QStatusBar, QTabBar, QWidget

from app.gui.panels.help_panel import HelpPanel
from app.gui.panels.lesson_panel import LessonPanel

if TYPE_CHECKING:
    from app.gui.document import Document
    from app.gui.editor.view import GraphView, ViewState
    from app.gui.insight.panel import InsightPanel
    from app.gui.panels.palette import PalettePanel
    from app.gui.training.panel import TrainingPanel

PRESENTER_SHORTCUT = "Ctrl+Shift+P"
PRESENTER_FONT_SCALE = 1.45
"""Dock text grows by this much in presenter mode (the canvas has its own, larger look)."""
PRESENTER_INSIGHT_SHARE = 0.35
"""In presenter mode the Insight dock gets at least this share of the window's height."""
INSIGHT_HEIGHT = 330
"""What the Insight dock grows to when it first opens (at most PRESENTER_INSIGHT_SHARE of the window)."""
BADGES = (("params", "&Parameters"), ("flops", "&FLOPs"), ("memory", "Activation &Memory"))
CLOSE_WAIT_S = 3.0
"""At most this long is spent, on closing, letting insight jobs end (they are daemon threads)."""
DIAGRAM_FILTERS = {".png": "PNG images (*.png)", ".svg": "SVG drawings (*.svg)"}


class TeachingHost(Protocol):
    """What :class:`Teaching` uses of its window (``MainWindow``): exactly these members, no others
    (read-only: Teaching never replaces them)."""

    @property
    def view(self) -> GraphView: ...
    @property
    def palette_panel(self) -> PalettePanel: ...
    @property
    def palette_dock(self) -> QDockWidget: ...
    @property
    def inspector(self) -> QWidget: ...
    @property
    def view_menu(self) -> QMenu: ...
    @property
    def export_menu(self) -> QMenu: ...
    @property
    def help_menu(self) -> QMenu: ...
    @property
    def backend_label(self) -> QLabel: ...
    @property
    def document(self) -> Document: ...
    @property
    def training(self) -> TrainingPanel: ...
    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget: ...
    def clutter_docks(self) -> list[QDockWidget]: ...
    def dock_tab_bar(self, dock: QDockWidget) -> QTabBar | None: ...
    def tidy_tab_bars(self) -> None: ...
    def ask_save_path(self, title: str, suffix: str, file_filter: str, kind: str | None = None) -> Path | None: ...
    def notify(self, icon: QMessageBox.Icon, title: str, text: str, details: str = "") -> None: ...
    # QMainWindow's own:
    def addAction(self, action: QAction, /) -> None: ...
    def statusBar(self) -> QStatusBar: ...
    def saveState(self, version: int = 0, /) -> QByteArray: ...
    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview, version: int = 0, /) -> bool: ...
    def font(self) -> QFont: ...
    def setFont(self, font: QFont | str | Sequence[str], /) -> None: ...
    def height(self) -> int: ...
    def resizeDocks(self, docks: Sequence[QDockWidget], sizes: Sequence[int], orientation: Qt.Orientation,
                    /) -> None: ...


class Teaching(QObject):
    """Help, lesson and insight docks plus presenter mode and badges for one window."""

    def __init__(self, window: TeachingHost) -> None:
        assert isinstance(window, QObject), "the host window is Teaching's Qt parent"
        super().__init__(window)
        self.window: TeachingHost = window
        self._presenter = False
        self._layout_before_presenter: QByteArray | None = None
        self._view_before_presenter: ViewState | None = None
        self._normal_font: QFont | None = None
        self._badges: frozenset[str] = frozenset()
        self._insight: InsightPanel | None = None
        self._insight_room_given = False

        self.help = HelpPanel()
        self.help_dock = window.add_dock("Help", self.help, Qt.DockWidgetArea.RightDockWidgetArea)
        self.lesson = LessonPanel()
        self.lesson_dock = window.add_dock("Lesson", self.lesson, Qt.DockWidgetArea.RightDockWidgetArea)
        placeholder = QLabel("Loading the insight views…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.insight_dock = window.add_dock("Insight", placeholder, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.insight_dock.visibilityChanged.connect(self._insight_visible)
        window.palette_panel.help_requested.connect(self.explain_layer)
        self._build_actions()

    # --- actions and menus ----------------------------------------------------------------------

    def _build_actions(self) -> None:
        window = self.window
        self.presenter_action = QAction("&Presenter Mode", self)
        self.presenter_action.setCheckable(True)
        self.presenter_action.setShortcut(QKeySequence(PRESENTER_SHORTCUT))
        self.presenter_action.setStatusTip("Large fonts and ports, high contrast, the teaching docks kept and the "
                                           "rest hidden: for a projector")
        self.presenter_action.toggled.connect(self.set_presenter)
        window.addAction(self.presenter_action)

        self.badge_actions: dict[str, QAction] = {}
        badge_menu = window.view_menu.addMenu("Cost &Badges")
        for kind, text in BADGES:
            action = QAction(text, self)
            action.setCheckable(True)
            action.setStatusTip(f"Show each layer's {text.replace('&', '').lower()} on its card")
            action.toggled.connect(lambda _on=False: self._badges_toggled())
            badge_menu.addAction(action)
            self.badge_actions[kind] = action
        window.view_menu.addSeparator()
        window.view_menu.addAction(self.presenter_action)
        window.view_menu.addSeparator()
        for dock in (self.help_dock, self.lesson_dock, self.insight_dock):
            window.view_menu.addAction(dock.toggleViewAction())

        self.export_png_action = QAction("Diagram as &PNG…", self)
        self.export_png_action.triggered.connect(lambda _checked=False: self.export_diagram(".png"))
        self.export_svg_action = QAction("Diagram as &SVG…", self)
        self.export_svg_action.triggered.connect(lambda _checked=False: self.export_diagram(".svg"))
        window.export_menu.addSeparator()
        window.export_menu.addActions([self.export_png_action, self.export_svg_action])

        self.explain_action = QAction("&Explain Selected Layer", self)
        self.explain_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.explain_action.setStatusTip("Open the help for the selected layer (or click ? on a layer)")
        self.explain_action.triggered.connect(lambda _checked=False: self.explain_selection())
        first = window.help_menu.actions()
        if first:
            window.help_menu.insertAction(first[0], self.explain_action)
        else:
            window.help_menu.addAction(self.explain_action)

    # --- following the document ---------------------------------------------------------------

    def document_changed(self) -> None:
        """A new document (and so a new scene): hook the scene and bring its lesson."""
        scene = self.window.view.graph_scene()
        scene.help_requested.connect(self.explain_node)
        scene.set_badges(self._badges)
        scene.set_presenter(self._presenter)
        document = self.window.document
        self.help.set_document(document)
        self.lesson.set_document(document)
        if self._insight is not None:
            self._insight.set_document(document)

    def show_lesson(self) -> None:
        """Bring the Lesson dock forward (an example was opened)."""
        if self.lesson.has_lesson():
            self.lesson_dock.show()
            self.lesson_dock.raise_()

    # --- help ------------------------------------------------------------------------------------

    def explain_node(self, node_id: str) -> None:
        self.help.show_node(self.window.document, node_id)
        self._raise(self.help_dock)

    def explain_layer(self, class_name: str) -> None:
        self.help.show_layer(class_name)
        self._raise(self.help_dock)

    def explain_selection(self) -> None:
        """F1 (the palette answers F1 itself while it has focus): the selected layer's help."""
        if not self.window.view.explain_selection():  # emits the scene's help_requested when one is selected
            self.window.statusBar().showMessage("Select one layer to explain it, or click the ? on a layer", 5000)

    @staticmethod
    def _raise(dock: QDockWidget) -> None:
        dock.show()
        dock.raise_()

    # --- insight -----------------------------------------------------------------------------------

    @property
    def insight(self) -> InsightPanel:
        """The Insight dock's panel (built on first use: it brings pyqtgraph views)."""
        if self._insight is None:
            from app.gui.insight.panel import InsightPanel

            window = self.window
            panel = InsightPanel(window.document, lambda: window.training, lambda: window.view.graph_scene())
            placeholder = self.insight_dock.widget()
            # In a scroll area: the views need ~400 px of height, and as the dock's minimum that
            # would push the whole bottom area (Problems, Summary too) up over the canvas for good.
            scroll = QScrollArea()
            scroll.setObjectName("insight_scroll")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(panel)
            self.insight_dock.setWidget(scroll)
            if placeholder is not None:
                placeholder.deleteLater()
            panel.node_shown.connect(self._stepped_to)
            self._insight = panel
        return self._insight

    def training_panel_built(self, panel: TrainingPanel) -> None:
        panel.about_to_train.connect(self._about_to_train)

    def _about_to_train(self) -> None:
        """A run starts: a two-input classifier gets its live decision boundary even when the
        Insight dock was never opened (the insight panel registers the probe when it is built)."""
        if self._insight is None:
            from app.keras_bridge.insight import is_two_input_classifier

            document = self.window.document
            if is_two_input_classifier(document.graph, document.analysis):
                _ = self.insight

    def _stepped_to(self, node_id: str) -> None:
        """While stepping through, an open Help dock explains the node being shown."""
        if self.help_dock.isVisible() and not self.help_dock.visibleRegion().isEmpty():
            self.help.show_node(self.window.document, node_id)

    def _insight_visible(self, visible: bool) -> None:
        if visible and (self._insight is None or not self._insight_room_given):  # after the dock has painted
            QTimer.singleShot(0, self, self._build_insight_if_shown)

    def _build_insight_if_shown(self) -> None:
        # On the window's first show every dock is briefly visible, before Insight goes behind Problems.
        if not self.insight_dock.visibleRegion().isEmpty():
            _ = self.insight
            self._give_insight_room()

    def _give_insight_room(self) -> None:
        """The first time Insight opens, the bottom docks grow once to show its views (they scroll
        rather than push the canvas away, so the user's own size is kept from then on)."""
        dock, window = self.insight_dock, self.window
        if self._presenter or dock.isFloating() or self._insight_room_given:
            return
        self._insight_room_given = True
        height = min(INSIGHT_HEIGHT, round(window.height() * PRESENTER_INSIGHT_SHARE))
        if dock.height() < height:
            window.resizeDocks([dock], [height], Qt.Orientation.Vertical)

    def shutdown(self) -> None:
        """The window closes: stop the insight views' playback, probe and jobs."""
        if self._insight is not None:
            self._insight.shutdown(CLOSE_WAIT_S)

    def show_insight(self) -> InsightPanel:
        self._raise(self.insight_dock)
        panel = self.insight
        self._give_insight_room()
        return panel

    # --- badges and presenter mode ----------------------------------------------------------------

    def _badges_toggled(self) -> None:
        self._badges = frozenset(kind for kind, action in self.badge_actions.items() if action.isChecked())
        self.window.view.graph_scene().set_badges(self._badges)

    @property
    def presenter(self) -> bool:
        return self._presenter

    def presenter_hidden_docks(self) -> list[QDockWidget]:
        """What presenter mode hides: the palette and the bookkeeping (the class watches, it does not draw)."""
        return [self.window.palette_dock, *self.window.clutter_docks()]

    def set_presenter(self, on: bool) -> None:
        """Presenter mode on or off (see the module docstring)."""
        if on == self._presenter:
            return
        from app.gui.main_window import LAYOUT_VERSION

        self._presenter = on
        window = self.window
        if self.presenter_action.isChecked() != on:
            self.presenter_action.setChecked(on)
        view = window.view
        if on:
            self._view_before_presenter = view.view_state()
            self._layout_before_presenter = window.saveState(LAYOUT_VERSION)
        view.graph_scene().set_presenter(on)
        if on:
            self._normal_font = QFont(window.font())
            bigger = QFont(self._normal_font)
            size = bigger.pointSizeF()
            if size > 0:
                bigger.setPointSizeF(size * PRESENTER_FONT_SCALE)
            else:
                bigger.setPixelSize(round(bigger.pixelSize() * PRESENTER_FONT_SCALE))
            window.setFont(bigger)
            for dock in self.presenter_hidden_docks():
                dock.hide()
            for dock in (self.insight_dock, self.help_dock):  # the teaching tools stay in view
                if dock.isHidden():
                    dock.show()
            self.insight_dock.raise_()
            window.backend_label.setVisible(False)
        else:
            window.backend_label.setVisible(bool(window.backend_label.text()))  # it may have changed meanwhile
            if self._normal_font is not None:
                window.setFont(self._normal_font)
            self._restore_layout()
        if on:  # readable cards (scale >= 1) around what the class looks at, once the docks have moved
            QTimer.singleShot(0, self, self._present)
        elif self._view_before_presenter is not None:
            view.restore_view_state(self._view_before_presenter)
            state = self._view_before_presenter
            self._view_before_presenter = None
            # Once the docks have their old sizes again, the same scroll as before (not just the centre).
            QTimer.singleShot(0, self, lambda: None if self._presenter else view.restore_view_state(state))

    def _restore_layout(self) -> None:
        """Docks, tabs in front and their sizes exactly as before presenter mode. Applied again
        once the normal font has reached every dock (their minimum sizes shrink only then)."""
        from app.gui.main_window import LAYOUT_VERSION

        state = self._layout_before_presenter
        self._layout_before_presenter = None
        if state is None:
            return
        window = self.window
        window.restoreState(state, LAYOUT_VERSION)
        window.tidy_tab_bars()

        def again() -> None:
            if not self._presenter:
                window.restoreState(state, LAYOUT_VERSION)

        QTimer.singleShot(0, self, again)

    def _present(self) -> None:
        if not self._presenter:
            return
        window = self.window
        tabs = window.dock_tab_bar(self.help_dock)
        if tabs is not None and not self.help_dock.isFloating():
            # The larger text still fits: the tabs' titles, and the Inspector without scrolling sideways.
            need = tabs.sizeHint().width() + 8
            for scroll in window.inspector.findChildren(QScrollArea):
                inner = scroll.widget()
                if inner is not None:
                    need = max(need, inner.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                               + 2 * scroll.frameWidth() + 12)
            if tabs.width() < need:
                window.resizeDocks([self.help_dock], [need], Qt.Orientation.Horizontal)
        insight = self.insight_dock
        if insight.isVisible() and not insight.isFloating():  # room for the views the class watches
            height = max(insight.height(), round(window.height() * PRESENTER_INSIGHT_SHARE))
            window.resizeDocks([insight], [height], Qt.Orientation.Vertical)
        view = window.view
        selected = view.selected_node_ids()
        view.present(view.graph_scene().highlighted() or (selected[0] if len(selected) == 1 else None))

    # --- diagram export ----------------------------------------------------------------------------

    def export_diagram(self, suffix: str, path: Path | None = None) -> bool:
        """Write the canvas as a PNG or SVG picture (asks where unless ``path`` is given)."""
        from app.gui.editor.diagram_export import DIAGRAM_KIND, DiagramExportError, export_diagram

        window = self.window
        if path is None:
            path = window.ask_save_path("Export Diagram", suffix, DIAGRAM_FILTERS[suffix], kind=DIAGRAM_KIND)
            if path is None:
                return False
        try:
            written = export_diagram(window.view.graph_scene(), path)
        except (DiagramExportError, OSError) as err:
            window.notify(QMessageBox.Icon.Critical, "Export failed", f"“{path.name}” was not written.", str(err))
            return False
        window.statusBar().showMessage(f"Exported the diagram to {written}", 8000)
        return True


__all__ = ["PRESENTER_SHORTCUT", "Teaching"]
