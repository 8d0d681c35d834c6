"""Image array helpers shared by loading (``image_size``) and fitting (an Input of another size).

Resizing is a pair of small matrix products (antialiased bilinear weights, the same filter
Pillow uses), so a whole batch of images is resized at once in numpy.
"""

from __future__ import annotations

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
"""ITU-R 601 weights: how bright red, green and blue look to people."""


def _weights(n_in: int, n_out: int) -> np.ndarray:
    """Rows: output pixels; columns: input pixels; a triangle filter widened when shrinking."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale
    taps = np.arange(n_in) + 0.5
    w = np.maximum(0.0, 1.0 - np.abs(taps[None, :] - centres[:, None]) / support)
    w /= w.sum(axis=1, keepdims=True)
    return w.astype(np.float32)


def resize(images: np.ndarray, height: int, width: int, chunk: int = 1024) -> np.ndarray:
    """(N, H, W, C) float images to (N, height, width, C), in chunks to bound temporary memory."""
    n, h, w, c = images.shape
    if (h, w) == (height, width):
        return images
    wh, ww = _weights(h, height), _weights(w, width)
    out = np.empty((n, height, width, c), dtype=np.float32)
    for start in range(0, n, chunk):
        part = images[start:start + chunk].astype(np.float32, copy=False)
        # Two large matrix products (BLAS) rather than many small ones: rows first, then columns.
        rows = np.tensordot(part, wh, axes=([1], [1]))  # (m, w, c, height)
        both = np.tensordot(rows, ww, axes=([1], [1]))  # (m, c, height, width)
        out[start:start + len(part)] = both.transpose(0, 2, 3, 1)
    return out


def to_rgb(images: np.ndarray) -> np.ndarray:
    return np.repeat(images, 3, axis=-1)


def to_gray(images: np.ndarray) -> np.ndarray:
    return (images[..., :3] @ LUMA)[..., None].astype(np.float32)


__all__ = ["resize", "to_gray", "to_rgb"]
