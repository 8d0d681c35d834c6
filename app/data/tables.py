"""Shared table helpers: standardizing feature columns."""

from __future__ import annotations

import numpy as np


def standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns to mean 0, standard deviation 1 (constant columns only centred), so features measured
    in millimetres and in thousands train equally well. Returns the data, the means and the stds."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return ((x - mean) / std).astype(np.float32), mean, std


__all__ = ["standardize"]
