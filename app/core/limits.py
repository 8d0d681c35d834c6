"""The hard limits Keras and TensorFlow put on a model, and this machine's memory.

``layerforge check`` must refuse what Keras refuses to build and warn about what will not
fit, so the numbers live here, each with the reason it exists (measured with Keras 3.15 on
TensorFlow 2.21; ``tests/keras/test_names_keras.py`` checks them against Keras itself):

* sizes are 64-bit integers in TensorFlow: a dimension, a tensor's element count or a
  layer's weight count above ``2**63 - 1`` cannot even be represented;
* Keras finds the layers of a functional model with a recursive walk
  (``keras.src.ops.function._build_map_helper``, one Python frame per layer on the path), so
  Python's default recursion limit of 1,000 stops it at about 990 layers in a row, when the
  model is built and again when a saved one is loaded;
* the weights must fit in memory to be built at all, and training keeps about four copies
  (weights, gradients and Adam's two moments).

Pure Python, no Keras: the figures appear as instantly as the shapes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

INT64_MAX = 2**63 - 1
"""Largest size TensorFlow can hold (shapes and element counts are int64)."""

KERAS_MAX_DEPTH = 900
"""Longest chain of layers accepted: Keras' recursive graph walk fails at about 990 from a
plain script (measured), and the app calls it from a few dozen frames deeper."""

MAX_NAME_LENGTH = 1024
"""Layerforge's own limit on a layer name (Keras has none); longer names are unreadable."""

TRAINING_COPIES = 4
"""Training with Adam keeps weights, gradients and two moment estimates: about 4x the weights."""

MEMORY_ENV = "LAYERFORGE_MEMORY_BYTES"
"""Overrides the detected memory (tests, or a user planning for a bigger machine)."""


@functools.lru_cache(maxsize=1)
def _detected_memory() -> int | None:
    total: int | None = None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = None
    # A container's own limit (cgroup v2, then v1) is what the process really gets.
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as handle:
                text = handle.read(64).strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < (total or INT64_MAX):
            total = int(text)
        break
    return total if total and total > 0 else None


def machine_memory() -> int | None:
    """Bytes of memory this process can use (physical memory or the container's limit);
    None when it cannot be found, and then no memory warning is given."""
    override = os.environ.get(MEMORY_ENV, "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    return _detected_memory()


def weight_bytes(config: Mapping[str, Any]) -> int:
    """Bytes per weight for a node's dtype: mixed-precision policies keep float32 weights."""
    dtype = _dtype_name(config)
    if dtype in ("float64", "int64", "uint64"):
        return 8
    if dtype in ("float16", "bfloat16"):
        return 2
    return 4


def activation_bytes(config: Mapping[str, Any]) -> int:
    """Bytes per activation value: mixed-precision policies compute in 16 bits."""
    dtype = _dtype_name(config)
    if dtype in ("float64", "int64", "uint64"):
        return 8
    if dtype in ("float16", "bfloat16", "mixed_float16", "mixed_bfloat16"):
        return 2
    return 4


def _dtype_name(config: Mapping[str, Any]) -> str:
    dtype = config.get("dtype")
    if isinstance(dtype, Mapping):
        inner = dtype.get("config")
        dtype = inner.get("name") if isinstance(inner, Mapping) else None
    return dtype if isinstance(dtype, str) else "float32"


def format_size(n: int) -> str:
    """Bytes in binary units, said as such (1 GiB = 1024**3 bytes): ``'1.7 TiB'``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_count(n: int) -> str:
    """A whole number for a message: digits grouped, or ``about 1.0e+30`` when it is huge."""
    if abs(n) < 10**21:
        return f"{n:,}"
    if abs(n).bit_length() < 1000:
        return f"about {float(n):.1e}"
    digits = len(str(abs(n))) if abs(n).bit_length() < 14_000 else None  # Python refuses str() past 4,300 digits
    return f"a {digits}-digit number" if digits else "a number of thousands of digits"


__all__ = [
    "INT64_MAX",
    "KERAS_MAX_DEPTH",
    "MAX_NAME_LENGTH",
    "MEMORY_ENV",
    "TRAINING_COPIES",
    "activation_bytes",
    "format_count",
    "format_size",
    "machine_memory",
    "weight_bytes",
]
