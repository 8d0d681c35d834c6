"""A tiny observer signal, so views can follow the model without the model knowing Qt.

The GUI connects Qt slots to these; the core never imports Qt (see DESIGN.md, rule 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    """Callbacks run synchronously, in connection order, on ``emit``."""

    __slots__ = ("_slots", "blocked")

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []
        self.blocked = False

    def connect(self, slot: Callable[..., Any]) -> None:
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[..., Any]) -> None:
        self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        if self.blocked:
            return
        for slot in list(self._slots):
            slot(*args)

    def __len__(self) -> int:
        return len(self._slots)
