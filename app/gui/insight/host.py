"""What the insight tabs use of their panel, as Protocols: the tabs are typed against these, not ``InsightPanel``.

Each guest declares the few host members it reaches (``tabs.BoundaryHost`` and
``step_through.StepHost`` add theirs to :class:`MaterialSource`), so a tab can be built and
tested against any object that offers them, and mypy says when the panel stops offering one
(``tests/unit/test_host_protocols.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.gui.insight.material import Material

MaterialCallback = Callable[["Material | None", "str | None"], None]
"""Answer to a material request: ``(material, None)``, or ``(None, what is missing or went wrong)``."""


class MaterialSource(Protocol):
    """What every tab uses of the insight panel: the current model and data, asked for and forgotten."""

    def request_material(self, callback: MaterialCallback) -> None: ...
    def cancel_material(self, callback: MaterialCallback) -> None: ...


__all__ = ["MaterialCallback", "MaterialSource"]
