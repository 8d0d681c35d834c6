"""Grad-CAM (Selvaraju et al., 2017): where in an image a classifier looked for a class.

The gradient of the class score with respect to a convolution layer's feature maps, averaged
over the image, weighs each map; the weighted sum, with negatives cut off, is the heat map.
The score is the model's output as it is (softmax probability or logit): both are common and
give the same picture up to contrast. Qt-free; reads the model, never changes it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.keras_bridge.insight_probe import model_inputs, node_tensors

if TYPE_CHECKING:
    import keras

CONV_CLASSES = frozenset({"Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "ConvLSTM2D"})
"""Layers whose output is a stack of 2-D feature maps made by learned filters."""

KEEPS_MAPS = frozenset({"BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
                        "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "LayerNormalization",
                        "GroupNormalization", "UnitNormalization", "Identity"})
"""Layers that change values but not the map they sit on: Grad-CAM reads after them (conv -> BN ->
ReLU is read at the ReLU), as the paper reads 'the last convolutional layer' with its activation."""


class GradCamError(ValueError):
    """Grad-CAM cannot run on this model or with these arguments; the message says why."""


@dataclass
class GradCam:
    """A heat map at the input image's height and width (0..1), for ``class_index``.

    ``probabilities`` is the prediction for the image: the softmax output as it is, a softmax
    of it when the outputs are not probabilities (logits), and ``[1 - p, p]`` for one sigmoid unit.
    A model with several outputs is explained through its first one: ``output_name`` names it
    and ``output_count`` says how many there are, so a view can say which output it explains.
    """

    heatmap: np.ndarray
    class_index: int
    probabilities: np.ndarray
    layer_name: str
    output_name: str = ""
    output_count: int = 1

    @property
    def output_note(self) -> str:
        """"" for one output, else a sentence naming the output the map explains."""
        if self.output_count <= 1:
            return ""
        return (f"The model has {self.output_count} outputs; Grad-CAM explains the first one, "
                f"{self.output_name or 'output 0'}.")


def _rank(tensor: Any) -> int:
    return len(tensor.shape)


def _is_backbone(layer: Any) -> bool:
    """A nested model (an application backbone): its output is its last feature maps."""
    return hasattr(layer, "layers") and hasattr(layer, "inputs")


def last_conv_layer(model: keras.Model) -> str | None:
    """The layer Grad-CAM reads by default: the last 2-D convolution (or backbone) of ``model``,
    moved on past layers that keep its maps (batch norm, activations, dropout); None without one."""
    tensors = node_tensors(model)
    chosen: str | None = None
    for layer in model.layers:
        outputs = tensors.get(layer.name)
        if not outputs or _rank(outputs[0]) != 4 or type(layer).__name__ == "InputLayer":
            continue
        name = type(layer).__name__
        if name in CONV_CLASSES or _is_backbone(layer):
            chosen = layer.name
        elif chosen is not None and name in KEEPS_MAPS:
            before = tensors[chosen][0].shape
            if tuple(outputs[0].shape) == tuple(before):
                chosen = layer.name
    return chosen


_CACHE: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _grad_model(model: keras.Model, layer_name: str) -> Any:
    """``inputs -> (feature maps, predictions)``, built once per model and layer."""
    import keras

    with _CACHE_LOCK:
        try:
            per_model = _CACHE.setdefault(model, {})
        except TypeError:  # not weak-referenceable: no cache
            per_model = {}
        if layer_name not in per_model:
            maps = node_tensors(model)[layer_name][0]
            per_model[layer_name] = keras.Model(model_inputs(model), [maps, model.outputs[0]])
        return per_model[layer_name]


def _image_batch(model: keras.Model, image: np.ndarray) -> np.ndarray:
    expected = tuple(model.inputs[0].shape[1:])
    value = np.asarray(image, dtype="float32")
    if value.ndim == 2 and len(expected) == 3 and expected[-1] == 1:
        value = value[..., np.newaxis]
    if value.ndim == 3:
        value = value[np.newaxis]
    if value.ndim != 4 or value.shape[0] != 1:
        raise GradCamError(f"Grad-CAM takes one image (height, width, channels), not an array of shape {value.shape}")
    for given, wanted in zip(value.shape[1:], expected, strict=True):
        if wanted is not None and given != wanted:
            raise GradCamError(f"the image is {value.shape[1:]} but the model takes {expected}")
    return value


def output_names(model: keras.Model) -> list[str]:
    """The names of ``model``'s outputs, in order (the layers that make them)."""
    names = getattr(model, "output_names", None)
    if isinstance(names, (list, tuple)) and len(names) == len(model.outputs):
        return [str(n) for n in names]
    found = []
    for i, tensor in enumerate(model.outputs):
        history = getattr(tensor, "_keras_history", None)
        operation = getattr(history, "operation", None)
        found.append(str(getattr(operation, "name", "") or f"output {i}"))
    return found


def _probabilities(out: np.ndarray) -> np.ndarray:
    if out.size == 1:
        p = float(out[0])
        if not 0.0 <= p <= 1.0:
            p = float(1.0 / (1.0 + np.exp(-p)))
        return np.array([1.0 - p, p], dtype="float32")
    if np.all(out >= 0) and abs(float(out.sum()) - 1.0) < 1e-3:
        return out.astype("float32")
    shifted = np.exp(out - out.max())
    return (shifted / shifted.sum()).astype("float32")


def _check_model(model: keras.Model) -> None:
    inputs = list(model.inputs)
    if len(inputs) != 1:
        names = ", ".join(str(t.name) for t in inputs)
        raise GradCamError(f"Grad-CAM needs a model with one image input; this one has {len(inputs)} ({names})")
    if _rank(inputs[0]) != 4:
        raise GradCamError(f"Grad-CAM works on image models: the input must be (height, width, channels), "
                           f"but it is {tuple(inputs[0].shape)[1:]}")
    if _rank(model.outputs[0]) != 2:
        which = f"the first output, {output_names(model)[0]}," if len(model.outputs) > 1 else "the output"
        raise GradCamError(f"Grad-CAM needs a classifier, one score per class, but {which} is "
                           f"{tuple(model.outputs[0].shape)[1:]}")


def grad_cam(model: keras.Model, image: np.ndarray, class_index: int | None = None,
             layer_name: str | None = None) -> GradCam:
    """The Grad-CAM heat map of ``image`` ((H, W, C) or (1, H, W, C)) for ``class_index`` (the
    predicted class when None), read at ``layer_name`` (:func:`last_conv_layer` when None).

    A model with one sigmoid unit has two classes: 1 (the unit's score) and 0 (its negative).
    A model with several outputs is explained through the first (see :attr:`GradCam.output_note`).
    Raises :class:`GradCamError` with the reason when it cannot run.
    """
    import tensorflow as tf

    _check_model(model)
    name = layer_name or last_conv_layer(model)
    if name is None:
        raise GradCamError("Grad-CAM needs a 2-D convolution layer, and this model has none: it reads the "
                           "feature maps of the last Conv2D")
    tensors = node_tensors(model)
    if name not in tensors:
        raise GradCamError(f"the model has no layer named {name!r}")
    if _rank(tensors[name][0]) != 4:
        raise GradCamError(f"layer {name!r} gives {tuple(tensors[name][0].shape)[1:]}, not 2-D feature maps "
                           "(height, width, channels); pick a convolution or pooling layer")
    batch = _image_batch(model, image)
    grad_model = _grad_model(model, name)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        maps, out = grad_model(x, training=False)
        scores = np.asarray(out)[0]
        classes = 2 if scores.size == 1 else scores.size
        if class_index is None:
            chosen = int(np.argmax(_probabilities(scores)))
        else:
            chosen = int(class_index)
            if not 0 <= chosen < classes:
                raise GradCamError(f"class {class_index} does not exist: the model has {classes} classes "
                                   f"(0 to {classes - 1})")
        score = out[:, chosen] if scores.size > 1 else (out[:, 0] if chosen == 1 else -out[:, 0])
    grads = tape.gradient(score, maps)
    if grads is None:
        raise GradCamError(f"the prediction does not depend on layer {name!r}, so Grad-CAM has nothing to show")
    feature = np.asarray(maps)[0]
    weights = np.asarray(grads)[0].mean(axis=(0, 1))
    cam = np.maximum(feature @ weights, 0.0).astype("float32")
    height, width = batch.shape[1:3]
    resized = np.maximum(np.asarray(tf.image.resize(cam[..., np.newaxis], (height, width), method="bilinear"))[..., 0],
                         0.0)
    top = float(resized.max())
    # scaled after resizing, so the hottest spot of every map reads 1 whatever the map's size
    heatmap = resized / top if top > 0 and np.isfinite(top) else np.zeros_like(resized)
    outputs = output_names(model)
    return GradCam(heatmap=heatmap, class_index=chosen, probabilities=_probabilities(scores), layer_name=name,
                   output_name=outputs[0] if outputs else "", output_count=len(model.outputs))


__all__ = ["GradCam", "GradCamError", "grad_cam", "last_conv_layer", "output_names"]
