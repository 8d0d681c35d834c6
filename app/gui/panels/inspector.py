"""The Inspector dock: the selected layer's name and typed parameter editors.

Each committed edit is one ``Document.set_param`` / ``Document.rename`` undo step; the
panel itself never changes what it shows until the document has changed and re-validated
(DESIGN.md, rule 2). Editors are built once per layer class and then only updated, so an
undo, a redo or an edit elsewhere does not take the keyboard focus away from the field
being typed in.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import LayerSpec, Param
from app.core.graph import GraphError, Node, name_problem
from app.core.shapes import Analysis, describe_shapes
from app.core.sweep_space import is_sweepable
from app.gui.document import Document, follow_document
from app.gui.panels.palette import first_sentence, teaching_html
from app.gui.panels.param_editors import ERROR_STYLE, ParamEditor, input_editors, make_editor
from app.gui.panels.problems import short_message
from app.gui.theme import CATEGORY_COLORS, FALLBACK_COLOR

EMPTY_HINT = "Select a layer on the canvas to see and edit its settings."
LOCKED_HINT = "Read-only while training runs."


class InspectorPanel(QWidget):
    """Shows one node (``show_node``) of the current document (``set_document``)."""

    sweep_requested = Signal(str)
    """"Sweep this…" on a parameter's label: ``layer_name.param`` (the Experiments dock takes it)."""

    def __init__(self, document: Document | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._node_id: str | None = None
        self._built_class: str | None = None
        self._shown_name: str | None = None
        self._name_error = ""
        self._name_problem = ""
        self.editors: dict[str, ParamEditor] = {}
        self._config_keys: dict[str, str] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)

        self.empty_label = QLabel(EMPTY_HINT, self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(16)
        self.stack.addWidget(self.empty_label)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget(scroll)
        scroll.setWidget(content)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)

        self.title_label = QLabel(content)
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        self.info_label = QLabel(content)
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.weights_label = QLabel(content)
        self.weights_label.setWordWrap(True)
        self.doc_label = QLabel(content)
        self.doc_label.setWordWrap(True)
        self.problems_label = QLabel(content)
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(ERROR_STYLE)
        self.lock_label = QLabel(LOCKED_HINT, content)
        self.lock_label.setStyleSheet("font-style: italic;")
        for widget in (self.title_label, self.info_label, self.weights_label, self.doc_label, self.problems_label,
                       self.lock_label):
            layout.addWidget(widget)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        name_box = QWidget(content)
        name_layout = QVBoxLayout(name_box)
        name_layout.setContentsMargins(0, 0, 0, 0)
        name_layout.setSpacing(2)
        self.name_edit = QLineEdit(name_box)
        self.name_edit.setToolTip("The layer's name in Keras: unique, letters, digits, '_', '.', '-' and '/'.")
        self.name_edit.editingFinished.connect(self._name_finished)
        self.name_error = QLabel(name_box)
        self.name_error.setWordWrap(True)
        self.name_error.setStyleSheet(ERROR_STYLE)
        self.name_error.hide()
        name_layout.addWidget(self.name_edit)
        name_layout.addWidget(self.name_error)
        self.name_row = name_box
        self.form.addRow("name", name_box)

        self.advanced_button = QToolButton(content)
        self.advanced_button.setCheckable(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.toggled.connect(self._advanced_toggled)
        layout.addWidget(self.advanced_button)
        self.advanced = QWidget(content)
        self.advanced_form = QFormLayout(self.advanced)
        self.advanced_form.setContentsMargins(0, 0, 0, 0)
        self.advanced_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.advanced.hide()
        layout.addWidget(self.advanced)
        layout.addStretch(1)

        self.set_document(document)

    # --- public ----------------------------------------------------------------------------------

    @property
    def node_id(self) -> str | None:
        return self._node_id

    def set_document(self, document: Document | None) -> None:
        """Follow another document (the old one's signals are dropped); shows nothing selected."""
        follow_document(self._document, document, {"analysis_changed": self._analysis_changed,
                                                   "locked_changed": self._locked_changed,
                                                   "weights_changed": self._weights_changed})
        self._document = document
        self._node_id = None
        self._built_class = None
        self._refresh()

    def show_node(self, node_id: str | None) -> None:
        """Edit ``node_id`` (None: show the empty-state hint). An edit still being typed is
        committed to the node it was typed for first."""
        if node_id != self._node_id:
            self._flush_pending()
            self._node_id = node_id
            self._name_error = ""
            for editor in self.editors.values():
                editor.show_error(None)
            self._refresh(force=True)
        else:
            self._refresh()

    def editor(self, key: str) -> ParamEditor | None:
        """The editor of parameter ``key`` of the shown node (an Input's ``batch_shape`` has
        two: ``"shape"`` and ``"batch_size"``)."""
        return self.editors.get(key)

    def config_key(self, key: str) -> str:
        """The config key an editor writes to (``"shape"`` and ``"batch_size"`` write ``batch_shape``)."""
        return self._config_keys.get(key, key)

    # --- building and refreshing ----------------------------------------------------------------------

    def _node(self) -> Node | None:
        doc = self._document
        if doc is None or self._node_id is None or self._node_id not in doc.graph:
            return None
        return doc.graph.node(self._node_id)

    def _build(self, node: Node) -> None:
        """Editors for the node's class; reused while the same class is shown."""
        self._built_class = node.class_name
        while self.form.rowCount() > 1:  # row 0 is the name, kept across layers
            self.form.removeRow(1)
        while self.advanced_form.rowCount():
            self.advanced_form.removeRow(0)
        self.editors = {}
        self._config_keys = {}
        spec = node.spec
        advanced = 0
        for param in spec.params if spec else ():
            # An Input's batch_shape is edited as its shape plus an advanced batch size.
            parts = input_editors(param) or [(param.name, param.name, make_editor(param), param.advanced)]
            for key, text, editor, is_advanced in parts:
                editor.committed.connect(lambda value, key=key: self._param_committed(key, value))
                label = QLabel(text)
                label.setToolTip(self._param_tip(param) if text == param.name else editor.toolTip())
                if is_sweepable(param) and key == param.name:  # right-click the label: "Sweep this…"
                    sweep = QAction("Sweep this…", label)
                    sweep.triggered.connect(lambda _checked=False, name=param.name: self._sweep_this(name))
                    label.addAction(sweep)
                    label.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
                if is_advanced:
                    self.advanced_form.addRow(label, editor)
                    advanced += 1
                else:
                    self.form.addRow(label, editor)
                self.editors[key] = editor
                self._config_keys[key] = param.name
                if spec is not None and spec.is_application and param.name == "weights_file":
                    self.form.addRow("", self._weights_file_button())
        self.advanced_button.setText(f"Advanced ({advanced})")
        self.advanced_button.setVisible(advanced > 0)
        self.advanced.setVisible(advanced > 0 and self.advanced_button.isChecked())
        self._apply_lock()

    def _weights_file_button(self) -> QToolButton:
        """A backbone's weights file, picked in a dialog and stored relative to the project's folder."""
        button = QToolButton(self)
        button.setText("Choose weights file…")
        button.setToolTip("A .weights.h5, .keras or legacy .h5 file in the project's folder (or below it); its "
                          "layers are matched by name when the model is built, and training reports what matched.")
        button.clicked.connect(self._choose_weights_file)
        return button

    def _choose_weights_file(self) -> None:
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        doc, editor = self._document, self.editors.get("weights_file")
        if doc is None or editor is None:
            return
        if doc.path is None:
            editor.show_error("save the project first: the weights file is named relative to its folder")
            return
        folder = Path(doc.path).parent.resolve()
        chosen, _ = QFileDialog.getOpenFileName(self, "Backbone weights file", str(folder),
                                                "Keras weights (*.weights.h5 *.keras *.h5)")
        if not chosen:
            return
        try:
            relative = Path(chosen).resolve().relative_to(folder).as_posix()
        except ValueError:
            editor.show_error(f"{Path(chosen).name} is outside the project's folder: copy it next to the project")
            return
        self._param_committed("weights_file", relative)

    def _sweep_this(self, key: str) -> None:
        node = self._node()
        if node is not None:
            self.sweep_requested.emit(f"{node.name}.{key}")

    @staticmethod
    def _param_tip(param: Param) -> str:
        """Help text plus the default, so a student can see what Keras would pick."""
        if param.required:
            default = f"Required by Keras; new layers start at {param.default!r}."
        else:
            default = f"Keras default: {param.default!r}."
        return f"{param.help}\n{default}" if param.help else default

    def _refresh(self, force: bool = False) -> None:
        node = self._node()
        if node is None:
            self.stack.setCurrentIndex(0)
            return
        if self._built_class != node.class_name:
            self._build(node)
            force = True
        self.stack.setCurrentIndex(1)
        analysis = self._document.analysis if self._document else None
        self._show_header(node, node.spec, analysis)
        if force or node.name != self._shown_name:
            self._shown_name = node.name
            self.name_edit.setText(node.name)
        spec = node.spec
        for key, editor in self.editors.items():
            config_key = self.config_key(key)
            param = spec.param(config_key) if spec else None
            default = param.default if param else None
            editor.set_value(node.config.get(config_key, default), force=force)
        self._show_problems(node, analysis)

    def _show_header(self, node: Node, spec: LayerSpec | None, analysis: Analysis | None) -> None:
        category = spec.category if spec else "Unknown"
        color = CATEGORY_COLORS.get(category, FALLBACK_COLOR)
        title = html.escape(spec.title if spec else node.class_name)
        if spec and spec.title != spec.class_name:
            title += f" <span style='font-weight: normal'>({html.escape(spec.class_name)})</span>"
        self.title_label.setText(f"<span style='color: {color}'>■</span> <b style='font-size: 14pt'>{title}</b>"
                                 f" &nbsp;<i>{html.escape(category)}</i>")
        info = analysis.nodes.get(node.id) if analysis else None
        if info is None:
            self.info_label.setText("Output: … (checking)")
        else:
            shape = describe_shapes(info)
            if info.output_shapes is None:
                shape += " (an input has a problem)" if info.blocked else " (see the problem below)"
            params = f"{info.params:,}" if info.ok else "?"
            self.info_label.setText(f"Output: {shape}    Params: {params}")
            self.info_label.setToolTip(f"Trainable: {info.trainable:,}\nNon-trainable: {info.non_trainable:,}"
                                       if info.ok else "")
        self._show_weights(node, info)
        self.doc_label.setText(first_sentence(spec.doc.summary) if spec else
                               f"'{node.class_name}' is not a layer Layerforge supports.")
        self.doc_label.setToolTip(teaching_html(spec) if spec else "")

    def _show_weights(self, node: Node, info: Any) -> None:
        """Which weights this layer has (kept, dropped by the last edit, initial); hidden for layers
        without any (a Dropout, an Input)."""
        document = self._document
        has = document is not None and (node.id in document.weights.layers or node.id in document.dropped
                                        or (info is not None and info.params > 0))
        text = document.layer_weights_text(node.id) if has and document is not None else ""
        self.weights_label.setText(text)
        self.weights_label.setVisible(bool(text))
        self.weights_label.setStyleSheet(ERROR_STYLE if document is not None and node.id in document.dropped
                                         else "")

    def _weights_changed(self, _message: str = "") -> None:
        node = self._node()
        if node is not None and self._document is not None:
            self._show_weights(node, self._document.analysis.nodes.get(node.id))

    def _show_problems(self, node: Node, analysis: Analysis | None) -> None:
        by_param: dict[str, str] = {}
        general: list[str] = []
        shown_keys = set(self._config_keys.values())
        for problem in analysis.problems_for(node.id) if analysis else ():
            text = short_message(problem)
            if problem.param and (problem.param in shown_keys or problem.param == "name"):
                by_param.setdefault(problem.param, text)
            else:
                general.append(("⚠ " if problem.severity == "warning" else "") + text)
        told: set[str] = set()
        for key, editor in self.editors.items():
            config_key = self.config_key(key)
            editor.set_problem(by_param.get(config_key) if config_key not in told else None)  # under the first only
            told.add(config_key)
        self._name_problem = by_param.get("name", "")
        self._update_name_error()
        self.problems_label.setText("\n".join(general))
        self.problems_label.setVisible(bool(general))

    # --- edits ---------------------------------------------------------------------------------------

    def _param_committed(self, key: str, value: Any) -> None:
        node = self._node()
        if node is None or self._document is None:
            return
        config_key = self.config_key(key)
        try:
            self._document.set_param(node.id, config_key, value)
        except (PermissionError, GraphError, ValueError) as err:
            editor = self.editors[key]
            editor.show_error(str(err))
            editor.set_value(node.config.get(config_key), force=True)

    def _name_finished(self) -> None:
        node = self._node()
        if node is None or self._document is None:
            return
        text = self.name_edit.text().strip()
        if text == node.name:
            self._set_name_error("")
            return
        problem = name_problem(text)
        other = self._document.graph.node_by_name(text)
        if problem is None and other is not None and other.id != node.id:
            problem = f"another layer ({other.class_name}) is already called {text!r}; names must be unique"
        if problem is None:
            try:
                self._document.rename(node.id, text)
            except (PermissionError, GraphError, ValueError) as err:
                problem = str(err)
        if problem:
            self._set_name_error(problem)
            self.name_edit.setText(node.name)
        else:
            self._set_name_error("")

    def _set_name_error(self, text: str) -> None:
        self._name_error = text
        self._update_name_error()

    def _update_name_error(self) -> None:
        text = self._name_error or self._name_problem
        self.name_error.setText(text)
        self.name_error.setVisible(bool(text))

    def _flush_pending(self) -> None:
        """Commit what is being typed in this panel before it shows another node."""
        if self._node() is None:
            return
        if QApplication.focusWidget() is self.name_edit:
            self._name_finished()
        for editor in list(self.editors.values()):
            editor.flush()

    # --- signals -----------------------------------------------------------------------------------------

    def _analysis_changed(self, _analysis: Analysis) -> None:
        self._refresh()

    def _locked_changed(self, _locked: bool) -> None:
        self._apply_lock()

    def _apply_lock(self) -> None:
        locked = self._document is not None and self._document.locked
        self.lock_label.setVisible(locked)
        self.name_edit.setReadOnly(locked)
        for editor in self.editors.values():
            editor.set_read_only(locked)

    def _advanced_toggled(self, open_: bool) -> None:
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.advanced.setVisible(open_ and bool(self.advanced_form.rowCount()))
