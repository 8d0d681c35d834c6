"""Typed editors for catalog parameters, one per :class:`~app.core.catalog.spec.ParamKind`.

An editor shows one value, parses what the user entered, checks it with
:meth:`Param.validate` and only then emits ``committed(value)``; the inspector turns that
into one ``Document.set_param`` undo step. A refused value is put back and the reason is
shown under the editor, so the graph never holds a value the editor knows to be wrong.
Editors never touch the graph themselves (DESIGN.md, rule 2).

When to commit: text fields on ``editingFinished`` (Enter or leaving the field), combo
boxes and check boxes as soon as the user picks, spin boxes on Enter/leaving or after a
short pause following arrow/wheel steps, so holding an arrow key is one undo step rather
than fifty.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog.recurrent_cells import held_spec, switched_layer
from app.core.catalog.spec import ACTIVATIONS, INITIALIZERS, Param, ParamKind, to_json_value
from app.gui.theme import ERROR

COMMIT_DELAY_MS = 400
"""Pause after the last arrow/wheel step before a spin box commits (one undo step per burst)."""

INT_LIMIT = 2**31 - 1
"""QSpinBox holds a C int; parameters without a maximum stop here."""

SPIN_DECIMALS = 4
"""Decimals of bounded float spin boxes (rates, momenta); finer values use a text field."""

ERROR_STYLE = f"color: {ERROR};"

_UNSET = object()


def _fmt_number(value: Any) -> str:
    """Numbers as people type them: ``0.001``, ``1e-07``, ``32``."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_number(text: str, integer: bool) -> int | float:
    """``int`` for whole-number kinds, otherwise ``float``; raises ValueError with a sentence."""
    text = text.strip()
    if integer:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def same_value(a: Any, b: Any) -> bool:
    """Config equality where ``True`` is not ``1`` (JSON tells them apart) but ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg}, column {err.colno}); text goes in double quotes, "
                         "e.g. \"float32\"") from None


class ParamEditor(QWidget):
    """Base class: display a value, parse user input, validate, emit ``committed``.

    Subclasses implement ``_display(value)`` (show the value without emitting) and
    ``_read()`` (the value the widgets now hold; raise ValueError with a sentence when the
    input cannot be parsed), and call ``_commit()`` when the user finishes an edit.
    """

    committed = Signal(object)

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self._shown: Any = _UNSET
        self._updating = False
        self._error = ""
        self._problem = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        outer.addLayout(self.row)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("paramError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        outer.addWidget(self.error_label)
        self.none_box: QCheckBox | None = None
        if param.help:
            self.setToolTip(param.help)

    # --- public ----------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        """The value last shown from the model or committed by the user."""
        return None if self._shown is _UNSET else copy.deepcopy(self._shown)

    def set_value(self, value: Any, force: bool = False) -> None:
        """Show ``value``. Skipped when it is what is already shown, so a refresh caused by
        some other edit does not wipe what the user is typing here."""
        value = to_json_value(value)
        if not force and self._shown is not _UNSET:
            if same_value(value, self._shown):
                return
            self.show_error(None)  # the model moved on (undo, another view): an old refusal is stale
        self._shown = copy.deepcopy(value)
        self._updating = True
        try:
            if self.none_box is not None:
                self.none_box.setChecked(value is None)
            self._display(value)
            self._sync_none()
        finally:
            self._updating = False

    @property
    def error(self) -> str:
        """The message under the editor: a refused input, else the analysis' problem."""
        return self._error or self._problem

    def show_error(self, message: str | None) -> None:
        """Why the last input was refused (None clears it)."""
        self._error = message or ""
        self._update_error()

    def set_problem(self, message: str | None) -> None:
        """What validation of the whole model says about this parameter."""
        self._problem = message or ""
        self._update_error()

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)

    def flush(self) -> None:
        """Commit an edit still in progress (text typed but not yet confirmed)."""
        if self._shown is not _UNSET:
            self._commit()

    def edit_and_commit(self, value: Any) -> bool:
        """Validate and commit ``value`` as if the user had entered it; returns whether it was
        accepted. Keyboard-free entry point for scripts and tests."""
        return self._submit(value)

    # --- for subclasses -------------------------------------------------------------------

    def _display(self, value: Any) -> None:
        raise NotImplementedError

    def _read(self) -> Any:
        raise NotImplementedError

    def _add_none_box(self) -> None:
        """A "None" check box for nullable values whose widget cannot show None itself."""
        self.none_box = QCheckBox("None", self)
        self.none_box.setToolTip(f"Leave '{self.param.name}' unset (None): Keras then picks it.")
        self.none_box.clicked.connect(self._none_clicked)
        self.row.addWidget(self.none_box)

    def _none_clicked(self) -> None:
        self._sync_none()
        self._commit()

    def _sync_none(self) -> None:
        if self.none_box is not None:
            self._set_inner_enabled(not self.none_box.isChecked())

    def _set_inner_enabled(self, enabled: bool) -> None:
        """Enable the widgets that hold a non-None value (subclasses with a none box)."""

    def _is_none(self) -> bool:
        return self.none_box is not None and self.none_box.isChecked()

    def _placeholder(self) -> Any:
        """What a nullable editor shows while its value is None."""
        if self.param.default is not None:
            return self.param.default
        if self.param.minimum is not None:
            return self.param.minimum
        return 0

    def _commit(self) -> None:
        if self._updating:
            return
        try:
            value = None if self._is_none() else self._read()
        except ValueError as err:
            self._refuse(str(err))
            return
        self._submit(value)

    def _submit(self, value: Any) -> bool:
        value = to_json_value(value)
        if self._shown is not _UNSET and same_value(value, self._shown):
            return True  # nothing changed; a refusal shown just now stays until the next real edit
        problem = self.param.validate(value)
        if problem:
            self._refuse(problem)
            return False
        self.show_error(None)
        self._shown = copy.deepcopy(value)
        self.committed.emit(value)
        return True

    def _refuse(self, message: str) -> None:
        """Say why, and put back the value the model holds."""
        self.show_error(message)
        if self._shown is not _UNSET:
            self.set_value(self._shown, force=True)

    def _update_error(self) -> None:
        text = self.error
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))


# --- spin boxes ----------------------------------------------------------------------------

def _let_numbers_through(result: tuple[QValidator.State, str, int], pattern: str) -> tuple[QValidator.State, str, int]:
    """Qt swallows keystrokes that lead out of range ("1" where the maximum is 0.99, "-" where
    the minimum is 0). Let any number be typed instead: Qt still refuses it on Enter, and the
    editor then says why, rather than the key seeming dead."""
    state, text, pos = result
    if state == QValidator.State.Invalid and re.fullmatch(pattern, text.strip()):
        return QValidator.State.Intermediate, text, pos
    return result


class _RemembersRefusedText:
    """For spin boxes: remember text the box refused (out of range), so the editor can say why
    instead of silently snapping back."""

    typed: str | None

    def _track_refused_text(self) -> None:
        self.setKeyboardTracking(False)  # type: ignore[attr-defined]
        self.typed = None
        self.lineEdit().textEdited.connect(self._edited)  # type: ignore[attr-defined]
        self.valueChanged.connect(self._accepted)  # type: ignore[attr-defined]

    def _edited(self, text: str) -> None:
        self.typed = text

    def _accepted(self) -> None:
        self.typed = None  # the text became the value (or a step replaced it): nothing refused


class _IntSpin(_RemembersRefusedText, QSpinBox):
    """An integer spin box that remembers refused text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._track_refused_text()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return _let_numbers_through(super().validate(text, pos), r"[+-]?\d*")

    def take_refused(self) -> int | float | None:
        text, self.typed = self.typed, None
        if text is None:
            return None
        number, ok = self.locale().toInt(text.strip())
        if not ok:
            number, ok = self.locale().toDouble(text.strip())
        return number if ok and number != self.value() else None


class _FloatSpin(_RemembersRefusedText, QDoubleSpinBox):
    """Double spin box showing ``0.5`` rather than ``0.5000``, remembering refused text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(SPIN_DECIMALS)
        self._track_refused_text()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        point = re.escape(self.locale().decimalPoint())
        return _let_numbers_through(super().validate(text, pos), rf"[+-]?\d*({point}\d{{0,{self.decimals()}}})?")

    def textFromValue(self, value: float) -> str:
        text = self.locale().toString(value, "f", self.decimals())
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text

    def take_refused(self) -> float | None:
        text, self.typed = self.typed, None
        if text is None:
            return None
        number, ok = self.locale().toDouble(text.strip())
        return number if ok and abs(number - self.value()) > 10 ** -self.decimals() / 2 else None


def _int_range(param: Param) -> tuple[int, int]:
    low = -INT_LIMIT if param.minimum is None else math.ceil(param.minimum) + (1 if param.exclusive_minimum else 0)
    high = INT_LIMIT if param.maximum is None else math.floor(param.maximum) - (1 if param.exclusive_maximum else 0)
    return max(low, -INT_LIMIT), min(high, INT_LIMIT)


def _float_range(param: Param) -> tuple[float, float]:
    step = 10.0**-SPIN_DECIMALS
    low = float(param.minimum) + (step if param.exclusive_minimum else 0.0)
    high = float(param.maximum) - (step if param.exclusive_maximum else 0.0)
    return low, high


def _range_text(param: Param) -> str:
    low, high = param.minimum, param.maximum
    parts = []
    if low is not None:
        parts.append(f"{'>' if param.exclusive_minimum else '≥'} {low:g}")
    if high is not None:
        parts.append(f"{'<' if param.exclusive_maximum else '≤'} {high:g}")
    return f"'{param.name}' must be {' and '.join(parts)}" if parts else f"'{param.name}' is out of range"


class _SpinEditor(ParamEditor):
    """Shared behaviour of editors made of spin boxes (INT, bounded FLOAT, fixed tuples)."""

    def __init__(self, param: Param, spins: Sequence[_IntSpin | _FloatSpin], parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spins = list(spins)
        self._touched = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COMMIT_DELAY_MS)
        self._timer.timeout.connect(self._flush)
        for index, spin in enumerate(self.spins):
            spin.valueChanged.connect(self._stepped)
            spin.lineEdit().textEdited.connect(self._typed)
            spin.editingFinished.connect(lambda i=index: self._finished(i))
            self.row.addWidget(spin, 1)
        if param.nullable:
            self._add_none_box()

    def _stepped(self) -> None:
        if not self._updating:
            self._touched = True
            self._timer.start()

    def _typed(self) -> None:
        if not self._updating:
            self._touched = True

    def _finished(self, index: int) -> None:
        self._timer.stop()
        refused = self.spins[index].take_refused()
        if refused is not None:
            self._touched = False
            candidate = self._candidate(index, refused)
            self._refuse(self.param.validate(candidate) or _range_text(self.param))
            return
        self._flush()

    def flush(self) -> None:
        """Commit typed text or a burst of steps now; untouched spin boxes commit nothing
        (their display may be rounded)."""
        for index, spin in enumerate(self.spins):
            if spin.typed is not None:
                spin.interpretText()
                self._finished(index)
                return
        self._flush()

    def _flush(self) -> None:
        self._timer.stop()
        if self._touched:
            self._touched = False
            self._commit()

    def _candidate(self, index: int, number: int | float) -> Any:
        """The value the editor would hold had the spin box accepted ``number``."""
        values = [s.value() for s in self.spins]
        values[index] = number
        return values if self.param.kind in (ParamKind.INT_TUPLE, ParamKind.FLOAT_TUPLE) else values[0]

    def _set_inner_enabled(self, enabled: bool) -> None:
        for spin in self.spins:
            spin.setEnabled(enabled)

    def _show_numbers(self, values: Sequence[Any]) -> None:
        for spin, number in zip(self.spins, values, strict=False):
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                spin.setValue(number)


class IntEditor(_SpinEditor):
    """INT: a spin box with the parameter's range; nullable ones get a "None" box."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        spin = _IntSpin()
        spin.setRange(*_int_range(param))
        spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        super().__init__(param, [spin], parent)
        self.spin = spin

    def _display(self, value: Any) -> None:
        self._show_numbers([self._placeholder() if value is None else value])

    def _read(self) -> int:
        return int(self.spin.value())


class FloatSpinEditor(_SpinEditor):
    """FLOAT with a small closed range (rates, momenta): a double spin box."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        spin = _FloatSpin()
        spin.setRange(*_float_range(param))
        spin.setSingleStep(0.05 if (param.maximum or 0) - (param.minimum or 0) <= 1 else 0.5)
        super().__init__(param, [spin], parent)
        self.spin = spin

    def _display(self, value: Any) -> None:
        self._show_numbers([self._placeholder() if value is None else value])

    def _read(self) -> float:
        return round(float(self.spin.value()), SPIN_DECIMALS)


class IntTupleEditor(_SpinEditor):
    """INT_TUPLE of fixed length (kernel sizes, strides): one spin box per axis."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        spins = []
        for axis in range(param.length or 1):
            spin = _IntSpin()
            spin.setRange(*_int_range(param))
            spin.setToolTip(f"{param.name}[{axis}]")
            spins.append(spin)
        super().__init__(param, spins, parent)

    def _display(self, value: Any) -> None:
        shown = self._placeholder() if value is None else value
        if not isinstance(shown, list):
            shown = [shown] * len(self.spins)
        self._show_numbers(shown)

    def _placeholder(self) -> Any:
        if self.param.default is not None:
            return self.param.default
        return [max(1, int(self.param.minimum or 1))] * len(self.spins)

    def _read(self) -> list[int]:
        return [int(s.value()) for s in self.spins]


# --- text fields -------------------------------------------------------------------------------

class _LineEditor(ParamEditor):
    """Editors backed by one text field, committing on Enter or when the field loses focus."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText("None" if param.nullable else self._hint())
        self.line.editingFinished.connect(self._commit)
        self.row.addWidget(self.line, 1)

    def _display(self, value: Any) -> None:
        self.line.setText("" if value is None else self._format(value))
        self.line.setCursorPosition(0)

    def _read(self) -> Any:
        text = self.line.text().strip()
        if not text or (self.param.nullable and text.lower() in ("none", "null")):
            if self.param.nullable:
                return None
            raise ValueError(f"'{self.param.name}' needs a value")
        return self._parse(text)

    def _hint(self) -> str:
        return ""

    def _format(self, value: Any) -> str:
        return str(value)

    def _parse(self, text: str) -> Any:
        return text


class FloatLineEditor(_LineEditor):
    """FLOAT with an open or huge range (epsilon, l2, slopes): a text field, so ``1e-07``
    keeps its precision."""

    def _format(self, value: Any) -> str:
        return _fmt_number(value)

    def _parse(self, text: str) -> float:
        return float(_parse_number(text, integer=False))


class StrEditor(_LineEditor):
    """STR: plain text."""


_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _bare_word(text: str) -> bool:
    """A string shown without JSON's quotes (``float32``): one that could not read back as anything else."""
    return bool(_BARE_WORD.fullmatch(text)) and text not in ("true", "false", "null", "NaN", "Infinity")


class JsonEditor(_LineEditor):
    """JSON: any plain JSON value, checked on commit (``[-1, 1]``, ``float32``, ``-1``). A plain
    word is shown and typed without quotes (``float32``, not ``"float32"``)."""

    def _format(self, value: Any) -> str:
        return value if isinstance(value, str) and _bare_word(value) else _json_text(value)

    def _parse(self, text: str) -> Any:
        try:
            return _parse_json(text)
        except ValueError:
            if _bare_word(text):
                return text
            raise

    def _read(self) -> Any:
        text = self.line.text().strip()
        if self.param.nullable and not text:
            return None
        return self._parse(text)


class TupleTextEditor(_LineEditor):
    """Variable-length INT_TUPLE, FLOAT_TUPLE or SHAPE as ``28, 28, 1`` (``None`` allowed in
    a SHAPE for an unknown size, such as the batch axis)."""

    def _hint(self) -> str:
        return "e.g. None, 28, 28, 1" if self.param.kind is ParamKind.SHAPE else "e.g. 1, 2"

    def _format(self, value: Any) -> str:
        if not isinstance(value, list):
            return _json_text(value)
        return ", ".join("None" if item is None else _fmt_number(item) for item in value)

    def _parse(self, text: str) -> list[Any]:
        parts = text.strip().strip("[]()").split(",")
        if len(parts) > 1 and not parts[-1].strip():
            parts.pop()  # "784," as Python writes a 1-tuple
        if parts == [""]:
            return []
        items: list[Any] = []
        integer = self.param.kind is not ParamKind.FLOAT_TUPLE
        for part in (p.strip() for p in parts):
            if part.lower() == "none" and self.param.kind is ParamKind.SHAPE:
                items.append(None)
            elif not part:
                raise ValueError(f"'{self.label}' has an empty entry; write values separated by commas")
            else:
                try:
                    items.append(_parse_number(part, integer=integer))
                except ValueError as err:
                    raise ValueError(f"'{self.label}': {err}") from None
        return items

    @property
    def label(self) -> str:
        """The name messages use (the parameter's, unless a subclass shows it as something else)."""
        return self.param.name


SAMPLE_SHAPE_HELP = ("Shape of one sample, without the batch size: 784 for a flat vector, 28, 28, 1 for a "
                     "grey 28×28 image, None, 8 for sequences of any length with 8 features. Keras adds the "
                     "batch axis itself (None); the file keeps Keras' batch_shape, (batch size, *shape).")
DEFAULT_BATCH_SIZE = 32
"""What the batch size field offers when "Any" is unticked (Keras' default batch size for ``fit``)."""
BATCH_SIZE_HELP = ("A fixed batch size, only for models that need one (stateful RNNs, some exports). Leave it "
                   "on Any: Keras then takes batches of any size.")


def _split_batch(value: Any) -> tuple[Any, list[Any]]:
    """``batch_shape`` as (batch size, shape of one sample); a value of another form is kept whole."""
    if isinstance(value, list) and value:
        return value[0], list(value[1:])
    return None, value if isinstance(value, list) else []


class SampleShapeEditor(TupleTextEditor):
    """An Input's ``batch_shape`` shown as what ``keras.Input(shape=...)`` takes: one sample's
    shape. Typing ``28, 28, 1`` means one 28×28 grey image, never a batch of 28: the batch
    size the Input already has (normally None) is kept in front when it commits."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self._sample = dataclasses.replace(param, name="shape", check=None, help=SAMPLE_SHAPE_HELP)
        self.line.setPlaceholderText(self._hint())
        self.setToolTip(SAMPLE_SHAPE_HELP)

    @property
    def label(self) -> str:
        return "shape"

    def _hint(self) -> str:
        return "e.g. 28, 28, 1"

    def _display(self, value: Any) -> None:
        super()._display(_split_batch(value)[1] if isinstance(value, list) else value)

    def _read(self) -> list[Any]:
        text = self.line.text().strip()
        if not text:
            raise ValueError("'shape' needs at least one size: 784 for a vector, 28, 28, 1 for a grey image")
        sample = self._parse(text)
        problem = self._sample.validate(sample)
        if problem:
            raise ValueError(problem)
        batch, _ = _split_batch(self._shown if self._shown is not _UNSET else None)
        return [batch, *sample]


class BatchSizeEditor(ParamEditor):
    """The batch size part of an Input's ``batch_shape``: "Any" (None, the usual) or a number."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spin = QSpinBox(self)
        self.spin.setRange(0, INT_LIMIT)
        self.spin.setSpecialValueText(" ")  # 0 stands for "no number": shown blank while Any is ticked
        self.spin.setValue(0)
        self.spin.editingFinished.connect(self._commit)
        self.row.addWidget(self.spin, 1)
        self._add_none_box()
        assert self.none_box is not None
        self.none_box.setText("Any")
        self.none_box.setToolTip("Any batch size (None): what almost every model wants.")
        self.setToolTip(BATCH_SIZE_HELP)

    def _is_none(self) -> bool:
        return False  # "Any" is a None inside the list, never a None batch_shape

    def _display(self, value: Any) -> None:
        batch, _ = _split_batch(value)
        if self.none_box is not None:
            self.none_box.setChecked(batch is None)
        fixed = isinstance(batch, int) and not isinstance(batch, bool)
        self.spin.setValue(batch if fixed else 0)

    def _set_inner_enabled(self, enabled: bool) -> None:
        self.spin.setEnabled(enabled)

    def _read(self) -> list[Any]:
        _, sample = _split_batch(self._shown if self._shown is not _UNSET else None)
        if self.none_box is not None and self.none_box.isChecked():
            return [None, *sample]
        if self.spin.value() == 0:  # "Any" just unticked: start from a common batch size
            self.spin.setValue(DEFAULT_BATCH_SIZE)
        return [self.spin.value(), *sample]


def input_editors(param: Param) -> list[tuple[str, str, ParamEditor, bool]] | None:
    """The editors an Input's ``batch_shape`` is shown with, as (key, label, editor, advanced):
    its shape first, the batch size among the advanced settings. None for any other parameter."""
    if param.kind is not ParamKind.SHAPE or param.name != "batch_shape":
        return None
    return [("shape", "shape", SampleShapeEditor(param), False),
            ("batch_size", "batch size", BatchSizeEditor(param), True)]


class FloatTupleEditor(ParamEditor):
    """FLOAT_TUPLE of fixed length (value ranges): one text field per entry."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.lines = []
        for axis in range(param.length or 1):
            line = QLineEdit(self)
            line.setToolTip(f"{param.name}[{axis}]")
            line.editingFinished.connect(self._commit)
            self.lines.append(line)
            self.row.addWidget(line, 1)
        if param.nullable:
            self._add_none_box()

    def _display(self, value: Any) -> None:
        shown = self._placeholder() if value is None else value
        for line, number in zip(self.lines, shown if isinstance(shown, list) else [], strict=False):
            line.setText(_fmt_number(number))

    def _read(self) -> list[int | float]:
        values: list[int | float] = []
        for line in self.lines:
            text = line.text().strip()
            try:
                values.append(_parse_number(text, integer=True))
            except ValueError:
                try:
                    values.append(_parse_number(text, integer=False))
                except ValueError as err:
                    raise ValueError(f"'{self.param.name}': {err}") from None
        return values

    def _set_inner_enabled(self, enabled: bool) -> None:
        for line in self.lines:
            line.setEnabled(enabled)


# --- check boxes and choices -----------------------------------------------------------------

class BoolEditor(ParamEditor):
    """BOOL: a check box, committed on click."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.check = QCheckBox(self)
        self.check.clicked.connect(self._commit)
        self.row.addWidget(self.check)
        self.row.addStretch(1)

    def _display(self, value: Any) -> None:
        self.check.setChecked(bool(value))

    def _read(self) -> bool:
        return self.check.isChecked()


class ChoiceEditor(ParamEditor):
    """CHOICE and ACTIVATION: a combo box, committed when the user picks an entry. A value
    outside the choices (from an old file) is listed, marked, so it stays visible."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        choices = list(param.choices or (ACTIVATIONS if param.kind is ParamKind.ACTIVATION else ()))
        if param.nullable and None not in choices:
            choices.insert(0, None)
        self.choices: list[Any] = choices
        self.combo = QComboBox(self)
        self.combo.addItems([self._label(c) for c in choices])
        self.combo.activated.connect(self._commit)
        self.row.addWidget(self.combo, 1)
        self._extra: Any = _UNSET

    @staticmethod
    def _label(choice: Any) -> str:
        return "None" if choice is None else str(choice)

    def _display(self, value: Any) -> None:
        if self._extra is not _UNSET:
            self.combo.removeItem(len(self.choices))
            self._extra = _UNSET
        if value in self.choices:
            self.combo.setCurrentIndex(self.choices.index(value))
        else:
            self._extra = value
            self.combo.addItem(f"{self._label(value)} (not allowed)")
            self.combo.setCurrentIndex(len(self.choices))

    def _read(self) -> Any:
        index = self.combo.currentIndex()
        if index < len(self.choices):
            return self.choices[index]
        return self._extra

    def select(self, choice: Any) -> bool:
        """Pick ``choice`` as the user would; returns whether it was accepted."""
        self.combo.setCurrentIndex(self.choices.index(choice))
        self._commit()
        return not self._error


# --- Keras objects: initializers, constraints, regularizers ------------------------------------

def _keras_object(module: str, class_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The form ``keras.<module>.serialize`` writes, which the importer also produces."""
    return {"module": module, "class_name": class_name, "config": dict(config), "registered_name": None}


CONSTRAINT_PRESETS: dict[str, dict[str, Any]] = {
    "MaxNorm": _keras_object("keras.constraints", "MaxNorm", {"max_value": 2.0, "axis": 0}),
    "NonNeg": _keras_object("keras.constraints", "NonNeg", {}),
    "UnitNorm": _keras_object("keras.constraints", "UnitNorm", {"axis": 0}),
    "MinMaxNorm": _keras_object("keras.constraints", "MinMaxNorm",
                                {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
}


class ObjectComboEditor(ParamEditor):
    """INITIALIZER and CONSTRAINT: an editable combo of the standard choices; anything else
    (an initializer with a seed, say) is shown and typed as JSON."""

    def __init__(self, param: Param, presets: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.presets: dict[str, Any] = dict(presets)
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if param.nullable:
            self.combo.addItem("None")
        self.combo.addItems(list(self.presets))
        self.combo.activated.connect(self._commit)
        self.combo.lineEdit().editingFinished.connect(self._commit)
        self.row.addWidget(self.combo, 1)

    def _display(self, value: Any) -> None:
        if value is None:
            self.combo.setCurrentText("None")
            return
        name = next((k for k, v in self.presets.items() if v == value), None)
        if name is not None:
            self.combo.setCurrentIndex(self.combo.findText(name))
        else:
            self.combo.setEditText(_json_text(value))
        self.combo.lineEdit().setCursorPosition(0)

    def _read(self) -> Any:
        text = self.combo.currentText().strip()
        if self.param.nullable and text.lower() in ("", "none", "null"):
            return None
        if text in self.presets:
            return copy.deepcopy(self.presets[text])
        if text.startswith("{"):
            return _parse_json(text)
        names = ", ".join(self.presets)
        raise ValueError(f"'{self.param.name}' must be one of {names}, or a JSON object such as "
                         "{\"class_name\": ..., \"config\": {...}} (got " + repr(text) + ")")


REGULARIZER_KINDS = ("None", "L1", "L2", "L1L2")
_CUSTOM = "Custom (JSON)"
_REGULARIZER_STRINGS = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2"}
DEFAULT_FACTOR = 0.01


class RegularizerEditor(ParamEditor):
    """REGULARIZER: None / L1 / L2 / L1L2 with their factors, committed as the object Keras
    serialises (``{"module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": .., "l2": ..}}``).
    Any other regularizer is kept and edited as JSON."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.kind = QComboBox(self)
        self.kind.addItems([*REGULARIZER_KINDS, _CUSTOM])
        self.kind.activated.connect(self._kind_picked)
        self.row.addWidget(self.kind)
        self.l1_label = QLabel("l1", self)
        self.l1 = QLineEdit(self)
        self.l2_label = QLabel("l2", self)
        self.l2 = QLineEdit(self)
        self.json = QLineEdit(self)
        for widget in (self.l1, self.l2, self.json):
            widget.editingFinished.connect(self._commit)
        for widget in (self.l1_label, self.l1, self.l2_label, self.l2, self.json):
            self.row.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
        self._sync_fields()

    def _kind_picked(self) -> None:
        kind = self.kind.currentText()
        if kind in ("L1", "L1L2") and not self.l1.text().strip():
            self.l1.setText(_fmt_number(DEFAULT_FACTOR))
        if kind in ("L2", "L1L2") and not self.l2.text().strip():
            self.l2.setText(_fmt_number(DEFAULT_FACTOR))
        if kind == _CUSTOM and not self.json.text().strip():
            self.json.setText(_json_text(_keras_object("keras.regularizers", "L2", {"l2": DEFAULT_FACTOR})))
        self._sync_fields()
        self._commit()

    def _sync_fields(self) -> None:
        kind = self.kind.currentText()
        for widget in (self.l1_label, self.l1):
            widget.setVisible(kind in ("L1", "L1L2"))
        for widget in (self.l2_label, self.l2):
            widget.setVisible(kind in ("L2", "L1L2"))
        self.json.setVisible(kind == _CUSTOM)

    def _display(self, value: Any) -> None:
        kind, l1, l2 = self._parse_value(value)
        self.kind.setCurrentText(kind)
        self.l1.setText(_fmt_number(l1) if l1 is not None else "")
        self.l2.setText(_fmt_number(l2) if l2 is not None else "")
        self.json.setText(_json_text(value) if kind == _CUSTOM else "")
        self._sync_fields()

    @staticmethod
    def _parse_value(value: Any) -> tuple[str, float | None, float | None]:
        if value is None:
            return "None", None, None
        if isinstance(value, str) and value.lower() in _REGULARIZER_STRINGS:
            kind = _REGULARIZER_STRINGS[value.lower()]
            return kind, DEFAULT_FACTOR if "1" in kind else None, DEFAULT_FACTOR if "2" in kind else None
        if isinstance(value, Mapping) and value.get("class_name") in REGULARIZER_KINDS[1:] \
                and value.get("module", "keras.regularizers") == "keras.regularizers":
            config = value.get("config")
            if isinstance(config, Mapping) and set(config) <= {"l1", "l2"}:
                kind = value["class_name"]
                return (kind, config.get("l1", 0.0) if "1" in kind else None,
                        config.get("l2", 0.0) if "2" in kind else None)
        return _CUSTOM, None, None

    def _factor(self, line: QLineEdit, key: str) -> float:
        text = line.text().strip()
        try:
            factor = float(_parse_number(text, integer=False))
        except ValueError:
            raise ValueError(f"the {key} factor of '{self.param.name}' must be a number (got {text!r})") from None
        if factor < 0:
            raise ValueError(f"the {key} factor of '{self.param.name}' must be ≥ 0 (got {text})")
        return factor

    def _read(self) -> Any:
        kind = self.kind.currentText()
        if kind == "None":
            return None
        if kind == _CUSTOM:
            return _parse_json(self.json.text().strip())
        config = {}
        if "1" in kind:
            config["l1"] = self._factor(self.l1, "l1")
        if "2" in kind:
            config["l2"] = self._factor(self.l2, "l2")
        return _keras_object("keras.regularizers", kind, config)

    def select(self, kind: str, l1: float | None = None, l2: float | None = None) -> bool:
        """Pick a regularizer as the user would; returns whether it was accepted."""
        if l1 is not None:
            self.l1.setText(_fmt_number(l1))
        if l2 is not None:
            self.l2.setText(_fmt_number(l2))
        self.kind.setCurrentText(kind)
        self._kind_picked()
        return not self._error


# --- wrapped layers (Bidirectional, TimeDistributed) ----------------------------------------------

_INNER_SKIP = frozenset({"trainable", "dtype"})


class LayerEditor(ParamEditor):
    """LAYER: the wrapped layer's (or RNN cell's) class, from the allowed choices, and its main
    settings, each with its own typed editor. Switching class keeps the settings both classes
    share and gives the rest the new class' defaults."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.choices: list[str | None] = [*([None] if param.nullable else []), *param.choices]
        self.combo = QComboBox(self)
        self.combo.addItems(["None" if c is None else c for c in self.choices])
        self.combo.activated.connect(self._class_picked)
        self.row.addWidget(self.combo, 1)
        self.inner = QWidget(self)
        self.form = QFormLayout(self.inner)
        self.form.setContentsMargins(12, 2, 0, 2)
        self.layout().insertWidget(1, self.inner)
        self.sub_editors: dict[str, ParamEditor] = {}
        self._built: str | None = None

    def _class_picked(self) -> None:
        if self._updating:
            return
        chosen = self.choices[self.combo.currentIndex()]
        if chosen is None:
            self._submit(None)
            return
        current = self._shown if isinstance(self._shown, Mapping) else {}
        if current.get("class_name") == chosen:
            return
        if not self._submit(switched_layer(current, chosen)):
            return
        self._updating = True
        try:
            self._display(self._shown)
        finally:
            self._updating = False

    def _display(self, value: Any) -> None:
        class_name = value.get("class_name") if isinstance(value, Mapping) else None
        if class_name in self.choices:
            self.combo.setCurrentIndex(self.choices.index(class_name))
        elif class_name is None and None in self.choices:
            self.combo.setCurrentIndex(0)
        if class_name != self._built:
            self._build(class_name)
        config = value.get("config") if isinstance(value, Mapping) else None
        spec = held_spec(class_name)
        for key, editor in self.sub_editors.items():
            param = spec.param(key) if spec else None
            if param is not None:
                editor.set_value(config.get(key, param.default) if isinstance(config, Mapping) else param.default)

    def _build(self, class_name: str | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.sub_editors = {}
        self._built = class_name
        spec = held_spec(class_name)
        if spec is not None:
            for param in spec.params:
                if param.advanced or param.name in _INNER_SKIP:
                    continue
                editor = make_editor(param, self.inner)
                editor.committed.connect(lambda v, key=param.name: self._inner_committed(key, v))
                label = QLabel(param.name, self.inner)
                label.setToolTip(param.help)
                self.form.addRow(label, editor)
                self.sub_editors[param.name] = editor
        self.inner.setVisible(bool(self.sub_editors))

    def _inner_committed(self, key: str, value: Any) -> None:
        current = copy.deepcopy(self._shown) if isinstance(self._shown, Mapping) else None
        if current is None:
            return
        config = current.get("config") if isinstance(current.get("config"), dict) else {}
        config[key] = value
        current["config"] = config
        if not self._submit(current):
            self.sub_editors[key].show_error(self._error)

    def _read(self) -> Any:
        return copy.deepcopy(self._shown) if self._shown is not _UNSET else None

    def select(self, class_name: str | None) -> bool:
        """Pick the wrapped class as the user would; returns whether it was accepted."""
        self.combo.setCurrentIndex(self.choices.index(class_name))
        self._class_picked()
        return not self._error


# --- factory -----------------------------------------------------------------------------------------

def make_editor(param: Param, parent: QWidget | None = None) -> ParamEditor:
    """The editor for a parameter's kind (and range: bounded floats get a spin box)."""
    kind = param.kind
    factory: Callable[[Param, QWidget | None], ParamEditor]
    if kind is ParamKind.INT:
        factory = IntEditor
    elif kind is ParamKind.FLOAT:
        bounded = param.minimum is not None and param.maximum is not None
        factory = FloatSpinEditor if bounded and param.maximum - param.minimum <= 1000 else FloatLineEditor
    elif kind is ParamKind.BOOL:
        factory = BoolEditor
    elif kind in (ParamKind.CHOICE, ParamKind.ACTIVATION):
        factory = ChoiceEditor
    elif kind is ParamKind.INT_TUPLE:
        factory = IntTupleEditor if param.length else TupleTextEditor
    elif kind is ParamKind.FLOAT_TUPLE:
        factory = FloatTupleEditor if param.length else TupleTextEditor
    elif kind is ParamKind.SHAPE:
        factory = TupleTextEditor
    elif kind is ParamKind.INITIALIZER:
        return ObjectComboEditor(param, {name: name for name in (param.choices or INITIALIZERS)}, parent)
    elif kind is ParamKind.CONSTRAINT:
        return ObjectComboEditor(param, CONSTRAINT_PRESETS, parent)
    elif kind is ParamKind.REGULARIZER:
        factory = RegularizerEditor
    elif kind is ParamKind.LAYER:
        factory = LayerEditor
    elif kind is ParamKind.STR:
        factory = StrEditor
    else:
        factory = JsonEditor
    return factory(param, parent)
