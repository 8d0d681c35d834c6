"""The case type and small strategies shared by the per-category case modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class Case:
    """Config overrides for the layer plus the shapes (batch axis None) fed to it.

    ``ports`` names the port of each input for layers called by keyword
    (MultiHeadAttention); ``dtypes`` sets Input dtypes (Embedding takes integers).
    """

    config: dict[str, Any]
    inputs: list[Shape]
    ports: list[str] | None = None
    dtypes: list[str] | None = field(default=None)


def dims(min_value: int = 1, max_value: int = 12) -> st.SearchStrategy[int]:
    return st.integers(min_value, max_value)


def shape(rank: int, min_value: int = 1, max_value: int = 12) -> st.SearchStrategy[Shape]:
    """A batch shape of total rank ``rank`` (batch included)."""
    return st.tuples(*[dims(min_value, max_value) for _ in range(rank - 1)]).map(lambda t: (None, *t))


def any_shape(min_rank: int = 2, max_rank: int = 5, max_value: int = 8) -> st.SearchStrategy[Shape]:
    return st.integers(min_rank, max_rank).flatmap(lambda r: shape(r, 1, max_value))


ACTIVATIONS = st.sampled_from(["linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "swish"])
