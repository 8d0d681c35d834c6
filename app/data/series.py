"""Time series as supervised samples: sliding windows of ``window`` steps, each paired with the value
``horizon`` steps after the window ends."""

from __future__ import annotations

import numpy as np

from app.data.dataset import Dataset, count, freeze, make_title
from app.data.errors import DataError


def make_windows(values: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``x[i] = values[i : i + window]`` (N, window, F) and ``y[i] = values[i + window + horizon - 1]``
    (first feature), for every i where the target still lies inside the series."""
    data = values.reshape(len(values), -1).astype(np.float32)
    n = len(data) - window - horizon + 1
    if n < 1:
        raise DataError(f"the series has {len(data)} steps, too short for a window of {window} and a horizon of "
                        f"{horizon}: lower the window (at most {max(1, len(data) - horizon)})")
    starts = np.arange(n)
    x = data[starts[:, None] + np.arange(window)[None, :]]
    y = data[starts + window + horizon - 1, 0].copy()
    return x, y


def series_dataset(name: str, label: str, raw: np.ndarray, window: int, horizon: int, unit: str,
                   description: str, notes: list[str] | None = None) -> Dataset:
    """A windowed, standardized series. The raw values stay in ``series`` for the preview plot;
    the model sees (value - mean) / std, because recurrent layers learn badly from values like 380."""
    raw = np.asarray(raw, dtype=np.float32)
    mean, std = float(raw.mean()), float(raw.std()) or 1.0
    x, y = make_windows((raw - mean) / std, window, horizon)
    notes = [*(notes or []),
             f"standardized the values: (value - {mean:.4g}) / {std:.4g} {unit}; predictions are in these units",
             f"made {count(len(x))} windows of {window} steps, each predicting the value {horizon} step"
             f"{'s' if horizon != 1 else ''} after it"]
    ds = Dataset(name=name, title=make_title(label, x, "regression", None, "series"), kind="series",
                 task="regression", x=x, y=y, feature_names=[unit], description=description, notes=notes,
                 series=raw, ordered=True)
    return freeze(ds)


__all__ = ["make_windows", "series_dataset"]
