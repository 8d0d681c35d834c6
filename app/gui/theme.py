"""Colours and fonts shared by the canvas and the panels.

The canvas is projected in classrooms, so colours are chosen for legibility first: each
catalog category has one mid-tone accent (stripe, border, palette swatch) and nodes are
filled with a light tint of it, so text is always dark on light (contrast above 10:1).
Red and amber are kept out of the category colours: they mean "error" and "warning".
"""

from __future__ import annotations

from dataclasses import dataclass
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
    "Math on tensors": "#B5556B",
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

HIGHLIGHT = "#00A3FF"
"""The step-through node: a bright cyan no category, error or selection colour uses."""


@dataclass(frozen=True, eq=False)
class Look:
    """Everything the canvas items need to draw themselves: colours, pen widths, sizes, fonts.

    The scene holds one look (:data:`NORMAL` or :data:`PRESENTER`) and hands it to every
    item, so switching to presenter mode and back is one assignment and restores the normal
    canvas exactly. Sizes are scene units; fonts are pixel sizes (see :func:`font`).
    Looks compare and hash by identity: items cache fonts and paths per look, and hashing
    sixty fields on every lookup would slow down opening a big model.
    """

    name: str
    # canvas
    background: str = BACKGROUND
    grid: bool = True
    grid_minor: str = GRID_MINOR
    grid_major: str = GRID_MAJOR
    # text
    text: str = TEXT
    text_secondary: str = TEXT_SECONDARY
    text_muted: str = TEXT_MUTED
    # node cards
    node_width: float = 212.0
    node_min_height: float = 72.0
    node_radius: float = 9.0
    stripe: float = 7.0
    pad: float = 7.0
    name_top: float = 6.0
    """Room above the name row."""
    pill_gap: float = 5.0
    """Between the layer-type row and the shape badge (and above chip rows, in compact cards)."""
    pill_pad: float = 5.0
    """How much taller the shape badge is than its text."""
    bottom_margin: float = 11.0
    tint: float = TINT_STRENGTH
    """Share of the category accent in the card's fill (0 = white cards)."""
    outline: str | None = None
    """Card outline colour; None = a darker shade of the category accent."""
    outline_width: float = 1.3
    problem_width: float = 3.0
    name_px: int = 14
    title_px: int = 12
    badge_px: int = 12
    marker_px: int = 12
    chip_px: int = 11
    chip_pad: float = 4.0
    """How much taller a cost chip is than its text."""
    compact: bool = False
    """Compact cards: cost chips go to the right of the layer type and of the shape badge before
    they open rows of their own, and the parameter count gives way to the chips the user chose
    when a card has no room for both (presenter mode: cards must fit the auto-layout's rows)."""
    min_row_gap: float = 0.0
    """The least gap between cards of consecutive auto-layout rows; when the tallest card leaves
    less, the scene spreads the rows it draws (0 = never: the normal canvas draws positions as they are)."""
    marker_radius: float = 9.0
    help_radius: float = 7.5
    badge_fill: str = BADGE_FILL
    badge_border: str = BADGE_BORDER
    chip_fill: str = "#EEF1F5"
    chip_border: str = "#CDD3DB"
    help_fill: str = "#FFFFFF"
    help_hover: str = SELECTION
    selection: str = SELECTION
    selection_width: float = 2.5
    highlight: str = HIGHLIGHT
    highlight_width: float = 4.0
    # ports
    port_radius: float = 5.5
    port_hit_radius: float = 10.0
    wide_port_width: float = 96.0
    port_label_px: int = 10
    port_fill: str = PORT_FILL
    port_connected: str = PORT_CONNECTED
    port_width: float = 1.6
    snap_tolerance: float = 14.0
    # edges
    edge: str = EDGE
    edge_width: float = 2.0
    edge_selected_width: float = 3.5
    arrow: float = 7.0
    edge_hit_width: float = 12.0


NORMAL = Look("normal")
"""The everyday canvas (the values the constants above have always had)."""

PRESENTER = Look(
    "presenter",
    background="#FFFFFF", grid=False, grid_minor="#F4F4F4", grid_major="#ECECEC",
    text="#000000", text_secondary="#111111", text_muted="#3A3A3A",
    node_width=224.0, node_min_height=81.0, node_radius=10.0, stripe=12.0, pad=8.0,
    name_top=4.0, pill_gap=2.0, pill_pad=4.0, bottom_margin=8.0, compact=True, min_row_gap=40.0,
    tint=0.0, outline="#000000", outline_width=2.2, problem_width=4.5,
    name_px=21, title_px=17, badge_px=16, marker_px=16, chip_px=15, chip_pad=2.0, marker_radius=12.0,
    help_radius=10.5,
    badge_fill="#FFFFFF", badge_border="#000000", chip_fill="#F2F2F2", chip_border="#555555",
    help_fill="#FFFFFF", help_hover="#0047CC", selection="#0047CC", selection_width=4.0,
    highlight="#0080FF", highlight_width=6.0,
    port_radius=8.8, port_hit_radius=16.0, wide_port_width=120.0, port_label_px=15, port_fill="#FFFFFF",
    port_connected="#000000", port_width=2.4, snap_tolerance=22.0,
    edge="#22262C", edge_width=3.5, edge_selected_width=5.5, arrow=11.0, edge_hit_width=16.0,
)
"""For a classroom projector: about 1.4x text, 1.6x ports, white cards with black text and outlines,
full-strength category stripes, dark thick edges, a plain white background. Text lines sit closer
than in the normal look and one kind of cost badge fits beside them (cards are 81 units tall, not
more, up to one badge kind); the scene draws the auto-layout's rows a little further apart (110 ->
121 units, more with several badge kinds), so a 40-unit gap leaves each edge and arrow clearly visible
between the large port dots."""


@cache
def category_color(category: str) -> QColor:
    """The accent colour of a catalog category (grey for unknown categories)."""
    return QColor(CATEGORY_COLORS.get(category, FALLBACK_COLOR))


@cache
def category_tint(category: str, strength: float = TINT_STRENGTH) -> QColor:
    """A light fill for nodes of this category: dark text stays legible on it."""
    return mix(category_color(category), QColor("#FFFFFF"), strength)


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
