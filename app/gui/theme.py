"""Colours and fonts shared by the canvas and the panels.

The canvas is projected in classrooms, so colours are chosen for legibility first: each
catalog category has one mid-tone accent (stripe, border, palette swatch) and nodes are
filled with a light tint of it, so text is always dark on light (contrast above 10:1).
Red and amber are kept out of the category colours: they mean "error" and "warning".
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont

CATEGORY_COLORS: dict[str, str] = {
    "Core": "#3F7CC4",
    "Activations": "#E8891C",
    "Convolution": "#3FA357",
    "Reshaping": "#7A8CA3",
    "Pooling": "#1FA39A",
    "Normalization": "#CFA814",
    "Regularization": "#A0785A",
    "Recurrent": "#C8489A",
    "Attention": "#5A5FD0",
    "Merge": "#2B9BC9",
    "Preprocessing": "#86A22A",
    "Augmentation": "#9B64D1",
    "Applications": "#4F6673",
}
"""One accent colour per catalog category (``app.core.catalog.CATEGORIES``)."""

FALLBACK_COLOR = "#8A8F98"
"""For layers the catalog does not know (kept so validation can name them)."""

# Canvas
BACKGROUND = "#F5F6F8"
GRID_MINOR = "#E7EAEE"
GRID_MAJOR = "#D6DBE2"
TEXT = "#1B1F24"
TEXT_SECONDARY = "#3D4652"
TEXT_MUTED = "#6B7480"
BADGE_FILL = "#FFFFFF"
BADGE_BORDER = "#C3C9D2"
EDGE = "#6B7685"
SELECTION = "#1E6FD9"
ERROR = "#D32F2F"
WARNING = "#E69500"
VALID_TARGET = "#2E9E5B"
INVALID_TARGET = "#C62828"
PORT_FILL = "#FFFFFF"
PORT_CONNECTED = "#4A5563"
MESSAGE_BACKGROUND = "#323A45"
MESSAGE_TEXT = "#FFFFFF"

TINT_STRENGTH = 0.2
"""How much of the accent goes into a node's fill (the rest is white)."""


@cache
def category_color(category: str) -> QColor:
    """The accent colour of a catalog category (grey for unknown categories)."""
    return QColor(CATEGORY_COLORS.get(category, FALLBACK_COLOR))


@cache
def category_tint(category: str) -> QColor:
    """A light fill for nodes of this category: dark text stays legible on it."""
    return mix(category_color(category), QColor("#FFFFFF"), TINT_STRENGTH)


@cache
def category_border(category: str) -> QColor:
    """A darker shade of the accent for outlines, visible on the light canvas."""
    return category_color(category).darker(125)


def mix(a: QColor, b: QColor, amount_a: float) -> QColor:
    """``amount_a`` of ``a`` blended with the rest of ``b``."""
    t = max(0.0, min(1.0, amount_a))
    return QColor.fromRgbF(
        a.redF() * t + b.redF() * (1 - t),
        a.greenF() * t + b.greenF() * (1 - t),
        a.blueF() * t + b.blueF() * (1 - t),
    )


def font(pixel_size: int, bold: bool = False, monospace: bool = False) -> QFont:
    """Fonts sized in pixels, so scene geometry does not depend on the screen's DPI."""
    f = QFont()
    if monospace:
        f.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "monospace"])
        f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPixelSize(pixel_size)
    f.setBold(bold)
    return f
