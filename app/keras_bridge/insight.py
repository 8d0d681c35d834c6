"""What a Keras model does inside: activations, attention, Grad-CAM, histograms, decision grids.

Qt-free, for the insight views (step-through, Grad-CAM, weights & activations, decision
boundary). Everything here reads a model and never changes it, so it may run on a worker
thread next to the GUI (and :func:`decision_grid` from a training callback while ``fit`` runs).
The work is split over ``insight_probe`` (activations), ``insight_gradcam`` and
``insight_stats`` (histograms, decision grid); views import every name from this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.keras_bridge.insight_gradcam import GradCam, GradCamError, grad_cam, last_conv_layer
from app.keras_bridge.insight_probe import (
    BATCH_CHUNK,
    KINDS,
    ActivationProbe,
    NodeActivation,
    activation_kind,
    model_feed,
    node_tensors,
    untrained_model,
)
from app.keras_bridge.insight_stats import (
    DecisionGrid,
    Histogram,
    activation_histograms,
    decision_grid,
    grid_points,
    is_two_input_classifier,
    weight_histograms,
)

if TYPE_CHECKING:
    from app.data import Prepared

PARTS = ("test", "validation", "train")
"""Where :func:`sample_inputs` looks, in this order after the part asked for."""


# --- samples from a prepared dataset --------------------------------------------------------------

def resolve_part(prepared: Prepared, part: str = "test") -> str:
    """``part`` if the prepared data has it, else the first of test / validation / train that it has."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    for name in (part, *PARTS):
        if getattr(prepared, name) is not None:
            return name
    raise ValueError("the prepared data has no samples")


def sample_count(prepared: Prepared, part: str = "test") -> int:
    """How many samples :func:`sample_inputs` can pick from (in the part it falls back to)."""
    x, _ = getattr(prepared, resolve_part(prepared, part))
    return len(next(iter(x.values()))) if x else 0


def sample_inputs(prepared: Prepared, index: int, part: str = "test") -> tuple[dict[str, np.ndarray], Any]:
    """Sample ``index`` of a split (test, else validation, else train): inputs by Input name with a
    batch axis of 1, and its label (a scalar or an array; a dict by output name for several outputs)."""
    name = resolve_part(prepared, part)
    x, y = getattr(prepared, name)
    count = len(next(iter(x.values()))) if x else 0
    if not isinstance(index, (int, np.integer)) or not 0 <= index < count:
        raise IndexError(f"sample {index} does not exist: the {name} split has {count} samples "
                         f"(numbers 0 to {count - 1})" if count else f"the {name} split has no samples")
    inputs = {key: np.asarray(values[index:index + 1]) for key, values in x.items()}
    labels = {key: np.asarray(values[index]) for key, values in y.items()}
    label: Any = next(iter(labels.values())) if len(labels) == 1 else labels
    if isinstance(label, np.ndarray) and label.ndim == 0:
        label = label[()]
    return inputs, label


def class_of(label: Any) -> int | None:
    """The class a label stands for: an integer, a one-hot row, or a 1-element array; else None."""
    value = np.asarray(label)
    if value.dtype.kind not in "biuf":
        return None
    if value.size == 1:
        number = float(value.reshape(()))
        return int(number) if np.isfinite(number) and number == int(number) else None
    if value.ndim == 1 and np.all((value == 0) | (value == 1)) and value.sum() == 1:
        return int(np.argmax(value))
    return None


__all__ = [
    "BATCH_CHUNK",
    "KINDS",
    "PARTS",
    "ActivationProbe",
    "DecisionGrid",
    "GradCam",
    "GradCamError",
    "Histogram",
    "NodeActivation",
    "activation_histograms",
    "activation_kind",
    "class_of",
    "decision_grid",
    "grad_cam",
    "grid_points",
    "is_two_input_classifier",
    "last_conv_layer",
    "model_feed",
    "node_tensors",
    "resolve_part",
    "sample_count",
    "sample_inputs",
    "untrained_model",
    "weight_histograms",
]
