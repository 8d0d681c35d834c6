"""The dataset picker builds its option widgets from the option table: same ranges, choices and help.

The picker shows the real catalog (``app.data.list_datasets``); its loader is replaced by one that
returns nothing at once, since what is checked here is the widgets, not the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from app.data import BUNDLED
from app.data.option_table import TABLE
from app.gui.training.dataset_picker import AUTOMATIC_SIZE, FILE_OPTIONS, DatasetPicker


def _no_data(ref: Any, base_dir: Path | None) -> None:
    return None


@pytest.fixture
def picker(qtbot):
    widget = DatasetPicker(loader=_no_data)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.loading, timeout=10_000)


def _show(qtbot, picker: DatasetPicker, name: str, tmp_path: Path) -> None:
    ref: dict[str, Any] = {"name": name} if name in BUNDLED else {"name": name, "path": "data.file"}
    picker.set_ref(ref, tmp_path)
    qtbot.waitUntil(lambda: not picker.loading, timeout=10_000)


@pytest.mark.parametrize("name", [*BUNDLED, *FILE_OPTIONS])
def test_every_option_widget_follows_the_table(qtbot, picker: DatasetPicker, name: str, tmp_path: Path) -> None:
    _show(qtbot, picker, name, tmp_path)
    expected = list(BUNDLED[name].options) if name in BUNDLED else list(FILE_OPTIONS[name])
    assert list(picker.option_widgets) == expected
    for key, widget in picker.option_widgets.items():
        if key == "autoencoder":  # the npz check box that sets target to "input"
            assert isinstance(widget, QCheckBox)
            continue
        option = TABLE[key]
        assert widget.toolTip() == option.help
        if option.kind in ("int", "size"):
            assert isinstance(widget, QSpinBox), key
            low, high = option.range_for(name)
            automatic = option.kind == "size" and option.default_for(name) is None
            assert (widget.minimum(), widget.maximum()) == (AUTOMATIC_SIZE if automatic else low, high), key
        elif option.kind == "float":
            assert isinstance(widget, QDoubleSpinBox), key
            assert (widget.minimum(), widget.maximum()) == option.range_for(name), key
        elif option.kind == "choice":
            assert isinstance(widget, QComboBox), key
            data = [widget.itemData(i) for i in range(widget.count())]
            assert [d for d in data if d is not None] == list(option.choices), key
        elif option.kind == "bool":
            assert isinstance(widget, QCheckBox), key
        else:
            assert isinstance(widget, QComboBox), key  # a column of the file


def test_the_drifted_ranges_are_the_loaders_now(qtbot, picker: DatasetPicker, tmp_path: Path) -> None:
    _show(qtbot, picker, "co2", tmp_path)
    assert picker.option_widgets["window"].maximum() == 10_000  # was 100,000 in the picker
    _show(qtbot, picker, "moons", tmp_path)
    assert picker.option_widgets["noise"].maximum() == 10.0  # was 1.0 in the picker
    _show(qtbot, picker, "shapes", tmp_path)
    assert (picker.option_widgets["samples"].minimum(), picker.option_widgets["samples"].maximum()) == (5, 100_000)


def test_a_choice_edit_writes_the_tables_value(qtbot, picker: DatasetPicker, tmp_path: Path) -> None:
    _show(qtbot, picker, "stocks", tmp_path)
    symbol: QComboBox = picker.option_widgets["symbol"]  # type: ignore[assignment]
    assert symbol.currentData() == "AAPL"
    with qtbot.waitSignal(picker.ref_changed, timeout=5000) as changed:
        symbol.setCurrentIndex(symbol.findData("IBM"))
    assert changed.args[0] == {"name": "stocks", "symbol": "IBM"}
