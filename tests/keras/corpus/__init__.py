"""Architectures reproduced from the keras.io examples and Keras guides, as builder functions.

Each builder returns a fresh ``keras.Model`` and names its source in its docstring. The code is
written anew from the published architecture (layer types, sizes and wiring), with small
inputs so every model builds in a second or two. Where a source uses a custom layer, the
builder either writes it with plain layers (said so in its docstring) or keeps the source's
Lambda or Layer subclass on purpose, to show that such models are refused (see
``EXPECTED_REFUSALS`` in ``tests/keras/test_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.keras.corpus import audio, generative, guides, structured, text, timeseries, vision

Builder = Callable[[], Any]

CORPUS: dict[str, Builder] = {
    **guides.MODELS,
    **vision.MODELS,
    **text.MODELS,
    **timeseries.MODELS,
    **generative.MODELS,
    **structured.MODELS,
    **audio.MODELS,
}
"""Every corpus model by a short key (unique across modules)."""
