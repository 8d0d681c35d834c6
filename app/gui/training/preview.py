"""A look at a dataset before training: rows, images, a series or a scatter, and the class balance.

:class:`DatasetPreview` only reads a loaded :class:`app.data.Dataset` (the picker loads it off
the GUI thread); building the preview touches at most a few hundred samples, so showing even
MNIST is instant. The display helpers it shares with the results, run-history and insight
views (image conversion, plot styling, class colours) live in :mod:`app.gui.widgets`, so every
plot in the app looks alike.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import TEXT, TEXT_MUTED
from app.gui.widgets import (
    add_legend,
    class_ids,
    class_label,
    color_for,
    decode_tokens,
    format_number,
    image_pixmap,
    make_plot_widget,
    step_ids,
    target_steps,
)

TABLE_ROWS = 100
IMAGE_SAMPLES = 32
IMAGE_COLUMNS = 8
MAX_COLUMNS = 60
MAX_SERIES_LINES = 6
MAX_POINTS = 5000
MAX_STEPS_SHOWN = 12
EMPTY_TEXT = "Pick a dataset to see a preview"


def as_images(x: np.ndarray, like: tuple[int, ...] | None = None) -> np.ndarray | None:
    """``x`` as (N, H, W, C) images, undoing a flatten when the shape can be told; None otherwise."""
    x = np.asarray(x)
    if x.ndim == 4:
        return x
    if x.ndim == 3:
        return x[..., None]
    if x.ndim != 2:
        return None
    features = x.shape[1]
    if like is not None and len(like) in (2, 3) and math.prod(like) == features:
        return x.reshape((len(x), *like[:2], like[2] if len(like) == 3 else 1))
    for channels in (1, 3):
        side = math.isqrt(features // channels)
        if side * side * channels == features and side > 1:
            return x.reshape(len(x), side, side, channels)
    return None


class RowsModel(QAbstractTableModel):
    """A read-only table of preformatted text (only ~100 rows, so formatting up front is cheap)."""

    def __init__(self, headers: Sequence[str] = (), rows: Sequence[Sequence[str]] = (),
                 colors: Sequence[QColor | None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._colors = list(colors) if colors is not None else None

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[str]],
                 colors: Sequence[QColor | None] | None = None) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._colors = list(colors) if colors is not None else None
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and self._colors is not None and index.column() == len(
                self._headers) - 1:
            return self._colors[index.row()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if section < len(self._headers) else None
        return str(section + 1)

    def row_texts(self) -> list[list[str]]:
        return [list(r) for r in self._rows]

    def headers(self) -> list[str]:
        return list(self._headers)


def fit_columns(view: QTableView, model: RowsModel, limit: int = 260) -> None:
    """Size each column to its widest text, measured here: Qt's resizeColumnsToContents asks the
    model for every role of every cell, which costs ~0.2 s for a 30-column table in Python."""
    metrics = view.fontMetrics()
    header_metrics = view.horizontalHeader().fontMetrics()
    rows = model.row_texts()
    for column, title in enumerate(model.headers()):
        widest = header_metrics.horizontalAdvance(title) + 24
        seen: set[str] = set()
        for row in rows:
            text = row[column]
            if text not in seen:
                seen.add(text)
                widest = max(widest, metrics.horizontalAdvance(text) + 16)
        view.setColumnWidth(column, min(widest, limit))


def make_table_view(model: QAbstractTableModel, parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class ImageGrid(QScrollArea):
    """Thumbnails with a caption each; a caption may be coloured (e.g. red for a wrong prediction)."""

    def __init__(self, parent: QWidget | None = None, *, columns: int = IMAGE_COLUMNS, size: int = 64) -> None:
        super().__init__(parent)
        self.columns = columns
        self.tile_size = size
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._grid = QGridLayout(self._inner)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(8)
        self.setWidget(self._inner)
        self.cells: list[tuple[QLabel, QLabel]] = []

    def set_images(self, images: Sequence[np.ndarray], captions: Sequence[str],
                   colors: Sequence[str | None] | None = None, tooltips: Sequence[str] | None = None) -> None:
        for image_label, caption_label in self.cells:
            for label in (image_label, caption_label):
                self._grid.removeWidget(label)
                label.deleteLater()
        self.cells = []
        for i, (image, caption) in enumerate(zip(images, captions, strict=True)):
            color = colors[i] if colors is not None else None
            picture = QLabel(self._inner)
            picture.setPixmap(image_pixmap(image, self.tile_size))
            picture.setFixedSize(self.tile_size + 4, self.tile_size + 4)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            border = color or "#C3C9D2"
            picture.setStyleSheet(f"border: {2 if color else 1}px solid {border}; background: #FFFFFF;")
            text = QLabel(caption, self._inner)
            text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            text.setMaximumWidth(self.tile_size + 48)
            text.setStyleSheet(f"color: {color or TEXT}; font-size: 11px;")
            if tooltips is not None:
                picture.setToolTip(tooltips[i])
                text.setToolTip(tooltips[i])
            row, column = divmod(i, self.columns)
            self._grid.addWidget(picture, 2 * row, column, Qt.AlignmentFlag.AlignHCenter)
            self._grid.addWidget(text, 2 * row + 1, column, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.cells.append((picture, text))
        self._grid.setRowStretch(2 * ((len(self.cells) + self.columns - 1) // self.columns), 1)
        self._grid.setColumnStretch(self.columns, 1)

    def captions(self) -> list[str]:
        return [text.text() for _picture, text in self.cells]


def empty_label(text: str, parent: QWidget | None = None) -> QLabel:
    """The grey centred text a view shows when it has nothing yet."""
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {TEXT_MUTED}; padding: 24px;")
    return label


def pick_per_class(labels: np.ndarray | None, count: int) -> np.ndarray:
    """Up to ``count`` sample indices taking classes in turn, so every class shows up (deterministic)."""
    if labels is None or labels.size == 0:
        return np.arange(min(count, 0 if labels is None else labels.size))
    classes = np.unique(labels)
    buckets = [np.flatnonzero(labels == c) for c in classes]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < count and any(depth < len(b) for b in buckets):
        for bucket in buckets:
            if depth < len(bucket) and len(chosen) < count:
                chosen.append(int(bucket[depth]))
        depth += 1
    return np.array(chosen, dtype=np.int64)


class DatasetPreview(QWidget):
    """What a dataset looks like: the first rows, a grid of images, the series or a class scatter.

    ``show_dataset(None)`` shows the empty state. ``mode`` says which view is up ("empty",
    "table", "images", "series", "points" or "text") so the panel and tests can tell.
    ``heading=False`` leaves the dataset's name out of the summary line, for when the widget
    above already shows it (the Training panel's picker does)."""

    def __init__(self, parent: QWidget | None = None, *, heading: bool = True) -> None:
        super().__init__(parent)
        self._dataset: Any = None
        self._steps: int | None = None
        """The steps of the shown dataset's targets when it has a class at every step (seq2seq)."""
        self._heading = heading
        self.mode = "empty"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary_label)
        self.counts_label = QLabel(self)
        self.counts_label.setWordWrap(True)
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        self.counts_label.setToolTip("How many samples each class has; a very uneven balance may call for "
                                     "class weights (Settings → Class weights → Balanced).")
        layout.addWidget(self.counts_label)

        self.stack = QStackedWidget(self)
        self.empty_page = empty_label(EMPTY_TEXT, self.stack)
        self.table_model = RowsModel(parent=self)
        self.table = make_table_view(self.table_model, self.stack)
        self.images = ImageGrid(self.stack)
        self.plot = make_plot_widget(self.stack)
        self.legend = add_legend(self.plot)
        for page in (self.empty_page, self.table, self.images, self.plot):
            self.stack.addWidget(page)
        layout.addWidget(self.stack, 1)
        self.caption_label = QLabel(self)
        self.caption_label.setWordWrap(True)
        self.caption_label.setStyleSheet(f"color: {TEXT_MUTED};")
        layout.addWidget(self.caption_label)
        self.plot_items: list[pg.GraphicsObject] = []
        self.show_dataset(None)

    # --- public -------------------------------------------------------------------------------

    @property
    def dataset(self) -> Any:
        return self._dataset

    def show_dataset(self, ds: Any) -> None:
        """Preview ``ds`` (an :class:`app.data.Dataset`), or the empty state for None."""
        self._dataset = ds
        self._steps = target_steps(ds.y) if ds is not None and getattr(ds, "task", "") == "classification" else None
        self._clear_plot()
        self.empty_page.setText(EMPTY_TEXT)
        if ds is None:
            self.summary_label.clear()
            self.summary_label.hide()
            self.counts_label.hide()
            self.caption_label.clear()
            self.stack.setCurrentWidget(self.empty_page)
            self.mode = "empty"
            return
        self.summary_label.show()
        self.summary_label.setText(self._summary_html(ds))
        counts = self._counts_html(ds)
        self.counts_label.setText(counts)
        self.counts_label.setVisible(bool(counts))
        kind = getattr(ds, "kind", "table")
        try:
            if kind == "image" and self._show_images(ds):
                return
            if kind == "series" and self._show_series(ds):
                return
            if kind == "points" and self._show_points(ds):
                return
            if kind == "text" and self._show_text(ds):
                return
            self._show_table(ds)
        except Exception as err:  # a preview must never take the panel down; say what went wrong instead
            self._clear_plot()
            self.empty_page.setText(f"No preview for this dataset ({type(err).__name__}: {err}).")
            self.stack.setCurrentWidget(self.empty_page)
            self.caption_label.clear()
            self.mode = "empty"

    def class_counts(self) -> dict[str, int]:
        """Samples per class of the shown dataset ({} for regression, a class at every step, or none)."""
        ds = self._dataset
        if ds is None or getattr(ds, "task", "") != "classification" or self._steps is not None:
            return {}
        labels = class_ids(ds.y)
        if labels is None or labels.size == 0:
            return {}
        names = getattr(ds, "class_names", None)
        n = max(len(names) if names else 0, int(labels.max()) + 1)
        counts = np.bincount(labels, minlength=n)
        return {class_label(names, i): int(c) for i, c in enumerate(counts)}

    # --- pages --------------------------------------------------------------------------------

    def _class_ids(self, y: np.ndarray) -> np.ndarray | None:
        """One class id a sample, for colouring and captions; None for regression or a class at every step."""
        if getattr(self._dataset, "task", "") != "classification" or self._steps is not None:
            return None
        return class_ids(y)

    def _summary_html(self, ds: Any) -> str:
        title = html.escape(str(getattr(ds, "title", "") or getattr(ds, "name", "")))
        x = np.asarray(ds.x)
        shape = "(" + ", ".join(str(d) for d in x.shape[1:]) + (",)" if x.ndim == 2 else ")")
        task = getattr(ds, "task", "")
        parts = [f"{len(x):,} samples", f"each {shape}", task]
        if task == "classification":
            names = getattr(ds, "class_names", None)
            labels = class_ids(ds.y) if self._steps is None else step_ids(ds.y)
            n = len(names) if names else (int(labels.max()) + 1 if labels is not None and labels.size else 0)
            parts.append(f"{n} classes")
            if self._steps is not None:
                parts.append(f"targets: {self._steps} steps each")
        else:
            y = np.asarray(ds.y, dtype=np.float64)
            if y.size:
                width = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
                what = "target" if width == 1 else f"{width} targets"
                parts.append(f"{what} {format_number(np.nanmin(y))} … {format_number(np.nanmax(y))}")
        detail = html.escape(" · ".join(p for p in parts if p))
        if not self._heading:
            return f"<span style='color:{TEXT_MUTED}'>{detail}</span>"
        return f"<b>{title}</b><br><span style='color:{TEXT_MUTED}'>{detail}</span>"

    def _counts_html(self, ds: Any) -> str:
        counts = self.class_counts()
        if not counts:
            return ""
        total = sum(counts.values()) or 1
        items = []
        for i, (name, count) in enumerate(counts.items()):
            if i == 12:
                items.append(f"… {len(counts) - 12} more")
                break
            color = color_for(i).name()
            items.append(f"<span style='color:{color}'>■</span> {html.escape(name)}: {count:,} "
                         f"({100 * count / total:.0f} %)")
        return "Classes: " + " &nbsp; ".join(items)

    def _target_texts(self, ds: Any, rows: slice | np.ndarray) -> tuple[str, list[str]]:
        y = np.asarray(ds.y)[rows]
        if self._steps is not None:
            names = getattr(ds, "class_names", None)
            more = " …" if self._steps > MAX_STEPS_SHOWN else ""
            return f"targets ({self._steps} steps)", [
                ", ".join(class_label(names, int(v)) for v in row[:MAX_STEPS_SHOWN]) + more for row in step_ids(y)]
        if getattr(ds, "task", "") == "classification":
            labels = class_ids(y)
            if labels is not None:
                names = getattr(ds, "class_names", None)
                return "class", [class_label(names, int(v)) for v in labels]
        if y.ndim == 1:
            return "target", [format_number(v) for v in y]
        flat = y.reshape(len(y), -1)
        return "target", [", ".join(format_number(v) for v in r[:4]) + (" …" if r.size > 4 else "") for r in flat]

    def _show_table(self, ds: Any) -> None:
        x = np.asarray(ds.x)
        n = min(TABLE_ROWS, len(x))
        flat = x[:n].reshape(n, -1) if x.ndim != 2 else x[:n]
        features = flat.shape[1] if flat.ndim == 2 else 0
        names = list(getattr(ds, "feature_names", None) or [])
        if len(names) != features:
            names = [f"x{i}" for i in range(features)]
        shown = min(features, MAX_COLUMNS)
        target_name, targets = self._target_texts(ds, slice(0, n))
        rows = [[format_number(v) for v in flat[i, :shown]] + [targets[i]] for i in range(n)]
        self.table_model.set_rows([*names[:shown], target_name], rows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fit_columns(self.table, self.table_model)
        self.stack.setCurrentWidget(self.table)
        caption = f"First {n:,} of {len(x):,} rows, as the model will see them"
        if shown < features:
            caption += f" (first {shown} of {features} columns)"
        self.caption_label.setText(caption + ".")
        self.mode = "table"

    def _show_text(self, ds: Any) -> bool:
        x = np.asarray(ds.x)
        if x.ndim != 2:
            return False
        n = min(TABLE_ROWS, len(x))
        vocabulary = getattr(ds, "vocabulary", None)
        target_name, targets = self._target_texts(ds, slice(0, n))
        rows = [[decode_tokens(x[i], vocabulary), targets[i]] for i in range(n)]
        self.table_model.set_rows(["text (decoded from token ids)", target_name], rows)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.stack.setCurrentWidget(self.table)
        words = f"{len(vocabulary):,}" if vocabulary is not None else "?"
        unknown = vocabulary[1] if vocabulary is not None and len(vocabulary) > 1 and vocabulary[1].strip() else "?"
        self.caption_label.setText(f"First {n:,} of {len(x):,} texts · sequences of {x.shape[1]} tokens · "
                                   f"vocabulary of {words} words (padding hidden; {unknown} = a word not in the "
                                   "vocabulary).")
        self.mode = "text"
        return True

    def _show_images(self, ds: Any) -> bool:
        images = as_images(ds.x)
        if images is None:
            return False
        labels = self._class_ids(ds.y)
        picked = pick_per_class(labels, IMAGE_SAMPLES) if labels is not None else np.arange(
            min(IMAGE_SAMPLES, len(images)))
        names = getattr(ds, "class_names", None)
        if labels is not None:
            captions = [class_label(names, int(labels[i])) for i in picked]
        else:
            _name, captions = self._target_texts(ds, picked)
        size = 64 if max(images.shape[1:3]) <= 64 else 96
        self.images.tile_size = size
        self.images.set_images([images[i] for i in picked], captions,
                               tooltips=[f"sample {int(i)}: {c}" for i, c in zip(picked, captions, strict=True)])
        self.stack.setCurrentWidget(self.images)
        h, w, c = images.shape[1:]
        colour = "grey" if c == 1 else "colour"
        self.caption_label.setText(f"{len(picked)} of {len(images):,} images ({h}×{w}, {colour}), "
                                   "one class after the other.")
        self.mode = "images"
        return True

    def _show_series(self, ds: Any) -> bool:
        series = getattr(ds, "series", None)
        item = self.plot.getPlotItem()
        if series is not None:
            values = np.asarray(series, dtype=np.float64)
            values = values.reshape(len(values), -1)
            names = list(getattr(ds, "feature_names", None) or [])
            if len(names) != values.shape[1]:
                names = ["value"] if values.shape[1] == 1 else [f"feature {i}" for i in range(values.shape[1])]
            shown = min(values.shape[1], MAX_SERIES_LINES)
            steps = np.arange(len(values), dtype=np.float64)
            for column in range(shown):
                curve = pg.PlotDataItem(steps, values[:, column], pen=pg.mkPen(color_for(column), width=1.5),
                                        name=names[column])
                self._add_item(curve)
            item.setLabel("bottom", "time step", color=TEXT)
            item.setLabel("left", names[0] if shown == 1 else "value", color=TEXT)
            length = len(values)
        else:
            y = np.asarray(ds.y, dtype=np.float64).reshape(len(ds.y), -1)[:, 0]
            self._add_item(pg.PlotDataItem(np.arange(len(y), dtype=np.float64), y,
                                           pen=pg.mkPen(color_for(0), width=1.5), name="target"))
            item.setLabel("bottom", "window", color=TEXT)
            item.setLabel("left", "target", color=TEXT)
            length = len(y)
        self._finish_plot()
        x = np.asarray(ds.x)
        window = x.shape[1] if x.ndim >= 2 else 1
        features = x.shape[2] if x.ndim >= 3 else 1
        self.caption_label.setText(f"The series ({length:,} steps) is cut into {len(x):,} windows of {window} steps × "
                                   f"{features} feature{'s' if features != 1 else ''}; each window's target "
                                   "follows it in time.")
        self.mode = "series"
        return True

    def _show_points(self, ds: Any) -> bool:
        x = np.asarray(ds.x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] < 2:
            return False
        n = min(MAX_POINTS, len(x))
        pts = x[:n]
        item = self.plot.getPlotItem()
        names = list(getattr(ds, "feature_names", None) or [])
        item.setLabel("bottom", names[0] if len(names) >= 2 else "x₁", color=TEXT)
        item.setLabel("left", names[1] if len(names) >= 2 else "x₂", color=TEXT)
        labels = self._class_ids(np.asarray(ds.y)[:n])
        if labels is not None:
            class_names = getattr(ds, "class_names", None)
            for c in np.unique(labels):
                mask = labels == c
                color = color_for(int(c))
                scatter = pg.ScatterPlotItem(pts[mask, 0], pts[mask, 1], size=6, pen=pg.mkPen(color.darker(130)),
                                             brush=pg.mkBrush(color), name=class_label(class_names, int(c)))
                self._add_item(scatter)
        else:
            self._add_item(pg.ScatterPlotItem(pts[:, 0], pts[:, 1], size=6, pen=None, brush=pg.mkBrush(color_for(0)),
                                              name="samples"))
        self._finish_plot()
        extra = f" (the first 2 of {x.shape[1]} features)" if x.shape[1] > 2 else ""
        shown = f"{n:,} of {len(x):,}" if n < len(x) else f"All {n:,}"
        self.caption_label.setText(f"{shown} points{extra}, coloured by class.")
        self.mode = "points"
        return True

    # --- plot helpers -------------------------------------------------------------------------

    def _add_item(self, graphics: pg.GraphicsObject) -> None:
        self.plot.getPlotItem().addItem(graphics)
        self.plot_items.append(graphics)

    def _finish_plot(self) -> None:
        self.plot.getPlotItem().enableAutoRange()
        self.stack.setCurrentWidget(self.plot)

    def _clear_plot(self) -> None:
        item = self.plot.getPlotItem()
        for graphics in self.plot_items:
            item.removeItem(graphics)
        self.plot_items = []
        self.legend.clear()
