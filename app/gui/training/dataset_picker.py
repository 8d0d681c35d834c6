"""Choose the data a model trains on: a bundled set or the user's own file, with its options.

The picker edits a project's dataset *reference* (the small dict stored in the project file,
see :func:`app.data.load_dataset`) and loads the :class:`~app.data.Dataset` it names on a
background thread (:class:`app.gui.jobs.Jobs`), so choosing MNIST or a large CSV never freezes the
window. Each load gets a generation number; a result that arrives after the user has moved on is dropped.

The options offered, with their ranges, choices and help, come from the option table
(:mod:`app.data.option_table`) that the loaders check values against.

Options that change the data (noise, window, target column, ...) are written to the reference
after a short pause in typing, so one edit of a spin box is one ``ref_changed`` (and one undo
step in the document), not one per keystroke.
"""

from __future__ import annotations

import contextlib
import csv
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.data.option_table import TABLE, DatasetOption
from app.gui.jobs import Jobs
from app.gui.theme import ERROR, TEXT_MUTED

NAME_ROLE = Qt.ItemDataRole.UserRole
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1
COMMIT_DELAY_MS = 400

KIND_GROUPS: tuple[tuple[str, str], ...] = (
    ("image", "Images"),
    ("table", "Tables"),
    ("series", "Time series"),
    ("text", "Text"),
    ("points", "2-D points (classroom)"),
)


class FileKind:
    """One kind of user file the picker can open."""

    def __init__(self, key: str, label: str, hint: str, folder: bool = False, filters: str = "") -> None:
        self.key, self.label, self.hint, self.folder, self.filters = key, label, hint, folder, filters


FILE_KINDS: tuple[FileKind, ...] = (
    FileKind("csv", "CSV table…", "A .csv file with a header row. One column is the target (the last one unless "
             "you pick another); numbers are standardized, text columns one-hot encoded, gaps filled.",
             filters="CSV files (*.csv *.tsv *.txt);;All files (*)"),
    FileKind("text_csv", "CSV of texts…", "A .csv with a text column and a label column (for example reviews and "
             "their sentiment); words become token ids for an Embedding layer.",
             filters="CSV files (*.csv *.tsv *.txt);;All files (*)"),
    FileKind("npz", "NumPy arrays (NPZ / NPY)…", "An .npz holding arrays 'x' and 'y' (or x_train / y_train …), "
             "or an .npy of inputs for an autoencoder.", filters="NumPy arrays (*.npz *.npy);;All files (*)"),
    FileKind("image_folder", "Image folder…", "A folder with one sub-folder per class, each full of images "
             "(PNG, JPEG, …); the sub-folder names become the class names.", folder=True),
)
FILE_KIND_KEYS = {kind.key: kind for kind in FILE_KINDS}

FILE_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("target", "task"),
    "text_csv": ("text_column", "label_column", "sequence_length", "max_tokens"),
    "npz": ("autoencoder",),
    "image_folder": ("image_size",),
}
"""The options the picker offers for each kind of file (all of them described in the option table)."""
AUTOENCODER_HINT = "The model learns to reproduce its input; the file then needs no 'y' array."
COLUMN_OPTIONS = ("target", "text_column", "label_column")
AUTOMATIC = "(automatic)"
AUTOMATIC_SIZE = 0
"""The image-size spin box's value for "automatic" (the loader picks the most common size)."""


def read_columns(path: Path, limit: int = 65536) -> list[str]:
    """The header row of a CSV file (reads at most ``limit`` bytes; the delimiter is sniffed)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        head = handle.read(limit)
    first = head.splitlines()[0] if head else ""
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    row = next(csv.reader([first], dialect), [])
    return [name.strip() for name in row]


def error_text(err: BaseException) -> str:
    """What went wrong in one line: a DataError already says file/line/column; others get their type."""
    if type(err).__name__ in ("DataError", "DataMismatch"):
        return str(err)
    return f"{type(err).__name__}: {err}"


class _IndentDelegate(QStyledItemDelegate):
    """Indents the choosable entries under their (disabled, bold) group headers in the drop-down."""

    INDENT = 14

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex,
              ) -> None:
        if index.data(NAME_ROLE) is not None:
            option = QStyleOptionViewItem(option)
            option.rect = option.rect.adjusted(self.INDENT, 0, 0, 0)
        super().paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + self.INDENT, max(size.height() + 6, 22))


class DatasetPicker(QWidget):
    """A dataset chooser: bundled sets grouped by kind, "your file…" entries, and the options of
    the chosen set. See the module docstring for how loading and edits are paced."""

    ref_changed = Signal(dict)
    dataset_loaded = Signal(object)
    load_failed = Signal(str)
    loading_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, datasets: Sequence[Any] | None = None,
                 loader: Callable[[Mapping[str, Any], Path | None], Any] | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._catalog_error = ""
        self._bundled: dict[str, Any] = {}
        self._ref: dict[str, Any] | None = None
        self._synced: dict[str, Any] | None = None  # the last reference shown by set_ref or sent by ref_changed
        self._base_dir: Path | None = None
        self._dataset: Any = None
        self._generation = 0
        self._loading = False
        self._columns: list[str] | None = None
        self._updating = False
        self._jobs = Jobs(self)  # loads and header reads on plain threads; answers arrive on the GUI thread
        self.option_widgets: dict[str, QWidget] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)

        top = QHBoxLayout()
        top.setSpacing(6)
        label = QLabel("Dataset:", self)
        top.addWidget(label)
        self.combo = QComboBox(self)
        self.combo.setPlaceholderText("Choose a dataset…")
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setMaxVisibleItems(24)
        # A long dataset title must not widen the dock: the closed combo elides, its list shows all.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(20)
        label.setBuddy(self.combo)
        top.addWidget(self.combo, 1)
        layout.addLayout(top)

        self.path_row = QWidget(self)
        path_layout = QHBoxLayout(self.path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.setSpacing(6)
        self.path_label = QLabel(self.path_row)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setStyleSheet(f"color: {TEXT_MUTED};")
        self.path_label.setWordWrap(True)
        path_layout.addWidget(self.path_label, 1)
        self.change_button = QPushButton("Change…", self.path_row)
        self.change_button.setToolTip("Pick another file or folder of the same kind.")
        self.change_button.clicked.connect(self._change_path)
        path_layout.addWidget(self.change_button)
        self.path_row.hide()
        layout.addWidget(self.path_row)

        self.options_box = QWidget(self)
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        self.options_form.setHorizontalSpacing(8)
        self.options_form.setVerticalSpacing(4)
        self.options_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.options_box.hide()
        layout.addWidget(self.options_box)

        self.busy_row = QWidget(self)
        busy_layout = QHBoxLayout(self.busy_row)
        busy_layout.setContentsMargins(0, 0, 0, 0)
        self.busy_bar = QProgressBar(self.busy_row)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(80)
        self.busy_bar.setMaximumHeight(10)
        self.busy_bar.setTextVisible(False)
        busy_layout.addWidget(self.busy_bar)
        self.busy_label = QLabel(self.busy_row)
        self.busy_label.setStyleSheet(f"color: {TEXT_MUTED};")
        busy_layout.addWidget(self.busy_label, 1)
        self.busy_row.hide()
        layout.addWidget(self.busy_row)

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {ERROR};")
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.info_label = QLabel(self)
        self.info_label.setWordWrap(True)
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.info_label)

        layout.addStretch(1)

        self._commit_timer = QTimer(self)
        self._commit_timer.setSingleShot(True)
        self._commit_timer.setInterval(COMMIT_DELAY_MS)
        self._commit_timer.timeout.connect(self._commit)

        self._fill_combo(datasets)
        self.combo.activated.connect(self._combo_activated)
        self._show_info()

    # --- public -------------------------------------------------------------------------------

    @property
    def dataset(self) -> Any:
        """The loaded dataset of the current reference (None while loading, after a failure or with none)."""
        return self._dataset

    @property
    def ref(self) -> dict[str, Any] | None:
        """A copy of the reference shown (including edits not yet sent with ``ref_changed``)."""
        return dict(self._ref) if self._ref is not None else None

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def error(self) -> str:
        """The error shown inline ("" when none)."""
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def bundled_names(self) -> list[str]:
        return list(self._bundled)

    def set_ref(self, ref: Mapping[str, Any] | None, base_dir: Path | None = None) -> None:
        """Show a project's dataset reference (no ``ref_changed``) and load it. Showing the same
        reference again does nothing, so a panel may echo every change back."""
        new = dict(ref) if ref is not None else None
        base = Path(base_dir) if base_dir is not None else None
        if new == self._synced and base == self._base_dir:
            return  # an echo of what is shown (an option edit still waiting to be sent stays)
        self._synced = dict(new) if new is not None else None
        self._commit_timer.stop()
        rebuild = new is None or self._ref is None or new.get("name") != self._ref.get("name") or (
            new.get("path") != self._ref.get("path")) or base != self._base_dir
        self._ref, self._base_dir = new, base
        if rebuild:
            self._columns = None
        self._sync_widgets(rebuild=rebuild)
        self._start_load()

    def select(self, name: str) -> bool:
        """Choose bundled set ``name`` or file kind ``name`` as if the user had (False if unknown or cancelled)."""
        index = self._index_of(name)
        if index < 0:
            return False
        self.combo.setCurrentIndex(index)
        return self._combo_activated(index)

    def reload(self) -> None:
        """Load the current reference again (after the file changed on disk)."""
        self._start_load()

    def ask_path(self, kind: str) -> Path | None:
        """The file or folder for file kind ``kind`` from a dialog, or None (tests replace this method)."""
        info = FILE_KIND_KEYS[kind]
        start = str(self._base_dir or Path.home())
        if info.folder:
            chosen = QFileDialog.getExistingDirectory(self, "Choose an image folder", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, f"Choose a {info.label.rstrip('…')} file", start,
                                                    info.filters)
        return Path(chosen) if chosen else None

    # --- combo --------------------------------------------------------------------------------

    def _fill_combo(self, datasets: Sequence[Any] | None) -> None:
        if datasets is None:
            try:
                from app.data import list_datasets

                datasets = list_datasets()
            except Exception as err:  # the picker still offers the user's own files
                datasets = []
                self._catalog_error = f"The bundled datasets are unavailable ({error_text(err)})."
        self._bundled = {d.name: d for d in datasets}
        model = QStandardItemModel(self.combo)

        def header(text: str) -> None:
            item = QStandardItem(text)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            font = QFont()
            font.setBold(True)
            item.setFont(font)
            model.appendRow(item)

        groups = [(kind, title) for kind, title in KIND_GROUPS]
        groups += [(kind, kind.title()) for kind in sorted({d.kind for d in datasets} - {k for k, _ in groups})]
        for kind, title in groups:
            members = [d for d in datasets if d.kind == kind]
            if not members:
                continue
            header(title)
            for d in members:
                item = QStandardItem(d.title)
                item.setData(d.name, NAME_ROLE)
                item.setData("bundled", SOURCE_ROLE)
                item.setToolTip(self._tooltip(d.description))
                model.appendRow(item)
        header("Your own data")
        for kind in FILE_KINDS:
            item = QStandardItem(kind.label)
            item.setData(kind.key, NAME_ROLE)
            item.setData("file", SOURCE_ROLE)
            item.setToolTip(self._tooltip(kind.hint))
            model.appendRow(item)
        self.combo.setModel(model)
        self.combo.view().setItemDelegate(_IndentDelegate(self.combo.view()))
        self.combo.setCurrentIndex(-1)

    @staticmethod
    def _tooltip(text: str) -> str:
        # Rich text wraps long descriptions instead of one screen-wide line.
        return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>" if text else ""

    def _index_of(self, name: str | None) -> int:
        if name is None:
            return -1
        model = self.combo.model()
        for row in range(model.rowCount()):
            if model.index(row, 0).data(NAME_ROLE) == name:
                return row
        return -1

    def _combo_activated(self, index: int) -> bool:
        if self._updating:
            return False
        name = self.combo.itemData(index, NAME_ROLE)
        source = self.combo.itemData(index, SOURCE_ROLE)
        if name is None:
            self._restore_combo()
            return False
        if source == "file":
            path = self.ask_path(name)
            if path is None:
                self._restore_combo()
                return False
            self._choose({"name": name, "path": self._stored_path(path)})
            return True
        if self._ref is not None and self._ref.get("name") == name and "path" not in self._ref:
            return True
        options = getattr(self._bundled.get(name), "options", {}) or {}
        self._choose({"name": name, **{k: (list(v) if isinstance(v, (list, tuple)) else v)
                                        for k, v in options.items()}})
        return True

    def _restore_combo(self) -> None:
        self._updating = True
        try:
            self.combo.setCurrentIndex(self._index_of(self._ref.get("name") if self._ref else None))
        finally:
            self._updating = False

    def _change_path(self) -> None:
        if self._ref is None or self._ref.get("name") not in FILE_KIND_KEYS:
            return
        path = self.ask_path(self._ref["name"])
        if path is None:
            return
        self._choose({"name": self._ref["name"], "path": self._stored_path(path)})

    def _stored_path(self, path: Path) -> str:
        """Paths inside the project's folder are stored relative to it, so the project can move."""
        path = Path(path)
        if self._base_dir is not None and path.is_absolute():
            with contextlib.suppress(ValueError):
                return path.resolve().relative_to(self._base_dir.resolve()).as_posix()
        return path.as_posix()

    def _choose(self, ref: dict[str, Any]) -> None:
        """A new dataset (or file): fresh options, then commit at once."""
        self._commit_timer.stop()
        self._ref = ref
        self._columns = None
        self._sync_widgets(rebuild=True)
        self._commit()

    # --- options ------------------------------------------------------------------------------

    def _sync_widgets(self, rebuild: bool) -> None:
        self._updating = True
        try:
            ref = self._ref or {}
            self.combo.setCurrentIndex(self._index_of(ref.get("name")))
            current = self.combo.currentIndex()
            self.combo.setToolTip(self.combo.itemData(current, Qt.ItemDataRole.ToolTipRole) if current >= 0 else
                                  "Choose the data to train on: a bundled set or your own file.")
            kind = FILE_KIND_KEYS.get(ref.get("name", ""))
            self.path_row.setVisible(kind is not None)
            if kind is not None:
                path = str(ref.get("path", ""))
                self.path_label.setText(path or "no file chosen")
                self.path_label.setToolTip(str(self._resolve(path)) if path else "")
            if rebuild:
                self._build_options()
            else:
                self._show_option_values()
        finally:
            self._updating = False

    def _clear_options(self) -> None:
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.option_widgets = {}

    def _option_keys(self) -> list[str]:
        """The options shown for the current reference: a bundled set's own, or a file kind's."""
        name = (self._ref or {}).get("name")
        if name in self._bundled:
            return list(getattr(self._bundled[name], "options", {}) or {})
        return list(FILE_OPTIONS.get(str(name), ()))

    def _build_options(self) -> None:
        self._clear_options()
        for key in self._option_keys():
            option = TABLE.get("target" if key == "autoencoder" else key)
            if option is None:
                continue  # a catalog entry with an option the table does not describe: nothing to edit it with
            widget = self._make_option(key, option)
            hint = AUTOENCODER_HINT if key == "autoencoder" else option.help
            widget.setToolTip(hint)
            self.option_widgets[key] = widget
            if isinstance(widget, QCheckBox):
                self.options_form.addRow("", widget)
            else:
                self.options_form.addRow(f"{option.label}:", widget)
                with contextlib.suppress(AttributeError):
                    self.options_form.labelForField(widget).setToolTip(hint)
        self.options_box.setVisible(bool(self.option_widgets))
        self._show_option_values()

    def _dataset_name(self) -> str | None:
        name = (self._ref or {}).get("name")
        return str(name) if name is not None else None

    def _make_option(self, key: str, option: DatasetOption) -> QWidget:
        """The widget for ``option`` (its range, choices and step from the option table)."""
        edited = lambda *_args: self._option_edited(key)  # noqa: E731 - one slot for every widget's signal
        if key == "autoencoder":
            box = QCheckBox("The target is the input itself (autoencoder)", self.options_box)
            box.toggled.connect(edited)
            return box
        if key in COLUMN_OPTIONS:
            combo = QComboBox(self.options_box)
            combo.currentIndexChanged.connect(edited)
            return combo
        if option.kind == "choice":
            combo = QComboBox(self.options_box)
            if option.default_for(self._dataset_name()) is None:
                combo.addItem(f"Automatic (guess from the {'target' if key == 'task' else 'data'})", None)
            for choice in option.choices:
                combo.addItem(choice.capitalize() if key == "task" else choice, choice)
            combo.currentIndexChanged.connect(edited)
            return combo
        if option.kind == "bool":
            box = QCheckBox(option.label, self.options_box)
            box.toggled.connect(edited)
            return box
        if option.kind == "float":
            low, high = option.range_for(self._dataset_name())
            spin = QDoubleSpinBox(self.options_box)
            spin.setDecimals(max(2, len(f"{option.step:g}".partition(".")[2])))
            spin.setRange(low, high)
            spin.setSingleStep(option.step)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(edited)
            return spin
        if option.kind in ("int", "size"):
            low, high = option.range_for(self._dataset_name())
            spin = QSpinBox(self.options_box)
            spin.setRange(int(low), int(high))
            spin.setSingleStep(int(option.step))
            spin.setKeyboardTracking(False)
            if option.kind == "size":
                spin.setSuffix(" px")
                if option.default_for(self._dataset_name()) is None:
                    spin.setMinimum(AUTOMATIC_SIZE)
                    spin.setSpecialValueText("automatic (the most common size)")
            spin.valueChanged.connect(edited)
            return spin
        line = QLineEdit(self.options_box)
        line.editingFinished.connect(edited)
        return line

    def _default_of(self, key: str) -> Any:
        if key == "autoencoder":
            return None
        return TABLE[key].default_for(self._dataset_name())

    def _show_option_values(self) -> None:
        """Put the reference's values (or the defaults) into the option widgets."""
        ref = self._ref or {}
        was = self._updating
        self._updating = True
        try:
            for key, widget in self.option_widgets.items():
                value = ref.get(key, self._default_of(key))
                if key in ("target", "text_column", "label_column"):
                    self._fill_column_combo(widget, key, ref.get(key))  # type: ignore[arg-type]
                elif key == "autoencoder":
                    widget.setChecked(ref.get("target") == "input")  # type: ignore[attr-defined]
                elif isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(value)))
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QDoubleSpinBox):
                    with contextlib.suppress(TypeError, ValueError):
                        widget.setValue(float(value))
                elif isinstance(widget, QSpinBox):
                    if isinstance(value, (list, tuple)) and value:
                        value = value[0]
                    if value is None:
                        value = widget.minimum()
                    with contextlib.suppress(TypeError, ValueError):
                        widget.setValue(int(value))
                elif isinstance(widget, QLineEdit):
                    widget.setText("" if value is None else str(value))
        finally:
            self._updating = was

    def _fill_column_combo(self, combo: QComboBox, key: str, value: Any) -> None:
        combo.clear()
        columns = self._columns
        if key == "target":
            last = f"{AUTOMATIC} the last column" + (f", '{columns[-1]}'" if columns else "")
            combo.addItem(last, None)
            combo.addItem("The inputs themselves (autoencoder)", "input")
        else:
            combo.addItem(f"{AUTOMATIC} let the loader choose", None)
        for column in columns or []:
            combo.addItem(column, column)
        if value is not None and combo.findData(value) < 0:
            combo.addItem(f"{value} (not in the file)" if columns is not None else str(value), value)
        combo.setCurrentIndex(max(0, combo.findData(value)) if value is not None else 0)
        combo.setEnabled(columns is not None or value is not None)

    def _option_value(self, key: str, widget: QWidget) -> Any:
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox) and widget.specialValueText() and widget.value() == widget.minimum():
            return None  # "automatic": leave the choice to the loader
        if isinstance(widget, QSpinBox) and TABLE[key].kind == "size":
            return max(int(TABLE[key].range_for(self._dataset_name())[0]), widget.value())
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if isinstance(widget, QLineEdit):
            return widget.text()
        return None

    def _option_edited(self, key: str) -> None:
        if self._updating or self._ref is None:
            return
        widget = self.option_widgets.get(key)
        if widget is None:
            return
        value = self._option_value(key, widget)
        if key == "autoencoder":
            key, value = "target", ("input" if value else None)
        if value is None or value == "":
            self._ref.pop(key, None)
        else:
            self._ref[key] = value
        self._commit_timer.start()

    def commit_pending(self) -> None:
        """Send an option edit still waiting for the typing pause (before training starts, say)."""
        if self._commit_timer.isActive():
            self._commit_timer.stop()
            self._commit()

    def _commit(self) -> None:
        if self._ref is None:
            return
        self._synced = dict(self._ref)
        self.ref_changed.emit(dict(self._ref))
        self._start_load()

    # --- loading ------------------------------------------------------------------------------

    def _resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() or self._base_dir is None else self._base_dir / p

    def _label(self) -> str:
        ref = self._ref or {}
        name = ref.get("name", "")
        if name in FILE_KIND_KEYS:
            return f"'{ref.get('path', '')}'"
        bundled = self._bundled.get(name)
        return f"'{bundled.name}'" if bundled is not None else f"'{name}'"

    def _start_load(self) -> None:
        self._generation += 1
        generation = self._generation
        self._dataset = None
        self._set_error("")
        ref = dict(self._ref) if self._ref is not None else None
        if ref is None or not ref.get("name"):
            self._set_loading(False)
            self._show_info()
            if self._catalog_error:
                self._set_error(self._catalog_error)
            return
        if ref["name"] in FILE_KIND_KEYS and not ref.get("path"):
            self._set_loading(False)
            self._show_info()
            self._set_error("Choose a file with “Change…”.")
            return
        loader = self._loader
        if loader is None:
            try:
                from app.data import load_dataset
            except Exception as err:
                self._set_loading(False)
                self._show_info()
                self._set_error(f"Data loading is unavailable ({error_text(err)}).")
                self.load_failed.emit(self.error)
                return
            loader = load_dataset
        want_columns = ref["name"] in ("csv", "text_csv") and self._columns is None
        self._jobs.forget()  # answers to earlier references are stale now
        self.busy_label.setText(f"Loading {self._label()}…")
        self._set_loading(True)
        self._show_info()
        if want_columns:  # the header first, so the column combos fill while a big file still loads
            path = self._resolve(str(ref.get("path", "")))
            self._jobs.start(lambda: read_columns(path),
                             lambda columns, error: self._columns_read(generation, columns if error is None else None))
        base_dir = self._base_dir
        self._jobs.start(lambda: loader(ref, base_dir),
                         lambda dataset, error: self._load_done(generation, dataset, error))

    def _load_done(self, generation: int, dataset: Any, error: BaseException | None) -> None:
        if error is None:
            self._loaded(generation, dataset)
        else:
            self._failed(generation, error_text(error))

    def _columns_read(self, generation: int, columns: object) -> None:
        if generation != self._generation or not isinstance(columns, list):
            return
        self._columns = [str(c) for c in columns]
        self._updating = True
        try:
            for key in ("target", "text_column", "label_column"):
                widget = self.option_widgets.get(key)
                if isinstance(widget, QComboBox):
                    self._fill_column_combo(widget, key, (self._ref or {}).get(key))
        finally:
            self._updating = False

    def _loaded(self, generation: int, dataset: object) -> None:
        if generation != self._generation:
            return
        self._dataset = dataset
        self._set_loading(False)
        self._show_info()
        self.dataset_loaded.emit(dataset)

    def _failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        self._show_info()
        text = f"Could not load {self._label()}: {message}"
        self._set_error(text)
        self.load_failed.emit(text)

    def _set_loading(self, loading: bool) -> None:
        self.busy_row.setVisible(loading)
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    def _set_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _show_info(self) -> None:
        ds = self._dataset
        if ds is None:
            ref = self._ref or {}
            bundled = self._bundled.get(ref.get("name"))
            if bundled is not None and getattr(bundled, "description", ""):
                self.info_label.setText(f"<span style='color:{TEXT_MUTED}'>{html.escape(bundled.description)}</span>")
            elif not ref:
                self.info_label.setText(f"<span style='color:{TEXT_MUTED}'>Choose a bundled dataset, or open your "
                                        "own CSV, NumPy arrays or image folder.</span>")
            else:
                self.info_label.clear()
            return
        title = html.escape(str(getattr(ds, "title", "") or getattr(ds, "name", "")))
        text = f"<p style='margin:0'><b>{title}</b>"
        description = str(getattr(ds, "description", "") or "")
        if description:
            text += f"<br><span style='color:{TEXT_MUTED}'>{html.escape(description)}</span>"
        text += "</p>"
        notes: Iterable[str] = getattr(ds, "notes", None) or []
        items = "".join(f"<li>{html.escape(str(note))}</li>" for note in notes)
        if items:
            text += (f"<p style='margin:6px 0 0 0'>What loading did:</p>"
                     f"<ul style='margin-top:0; margin-left:-24px'>{items}</ul>")
        self.info_label.setText(text)

    def notes(self) -> list[str]:
        """The loaded dataset's notes (what loading did), as shown."""
        return [str(n) for n in (getattr(self._dataset, "notes", None) or [])]
