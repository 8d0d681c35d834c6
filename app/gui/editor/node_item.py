"""A layer on the canvas: name, layer type, output-shape badge, parameter count and a "?" button.

The item only draws what the scene tells it (graph events, validation results, cost badges,
the step-through highlight and the current :class:`~app.gui.theme.Look`); moving it by mouse
is a gesture the scene turns into one ``Document.move_nodes`` step on release.
Painting is cheap on purpose: text is laid out once per change, the card paths are shared
by all nodes of the same size and look, the item is cached as a device pixmap, and when
zoomed far out (a 250-layer model fitted to the window) only a coloured block is drawn.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.core.graph import Graph, Node
from app.core.insight import NodeCost, format_bytes, format_flops
from app.core.shapes import NodeInfo, Problem, describe_shapes
from app.gui import theme
from app.gui.editor.port_item import PortItem

if TYPE_CHECKING:
    from app.gui.editor.edge_item import EdgeItem

WIDTH = theme.NORMAL.node_width
HEIGHT = theme.NORMAL.node_min_height
RADIUS = theme.NORMAL.node_radius
STRIPE = theme.NORMAL.stripe
PAD = theme.NORMAL.pad
SIMPLE_LOD = 0.4
"""Below this zoom a node is a plain block: text would be unreadable anyway."""

BADGE_KINDS = ("params", "flops", "memory")
"""The cost badges a node can show, in the order they are drawn."""

# Enum members bound once: PySide's enum attribute lookups add up over 250 nodes.
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight
_ELIDE_MIDDLE = Qt.TextElideMode.ElideMiddle
_NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
_LEFT_BUTTON = Qt.MouseButton.LeftButton
_HAND = Qt.CursorShape.PointingHandCursor
_NODE_FLAGS = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
               | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
_DEVICE_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache

HELP_TOOLTIP = "Explain this layer (F1)"
CHIP_GAP = 4.0
"""Between cost chips, and between their rows."""
GAP = 8.0
"""Between the texts of a row (layer type and count, shape badge and chips)."""
PILL_PAD = 5.0
"""Left and right of the text in the shape badge."""
TITLE_MIN_PX = 7
"""The layer type is never cut short: when its row is too narrow it is drawn smaller, down to
this size; where even that does not fit beside the parameter count, the count gets a row below."""
CHIP_TITLE_MIN_PX = 6
"""With cost badges on presenter cards the layer type may shrink further, so a badge never makes
a card taller (the rows, and so the canvas, would jump when a badge kind is switched on)."""
GLOW = ((18.0, 40), (11.0, 70), (6.0, 120))

SHARED_COLORS = ("#8E44AD", "#D35400", "#16A085", "#C0392B", "#2C3E50", "#B7950B")
"""Tag colours of shared layers: every node that calls one layer has the same one."""


def shared_links(graph: Graph) -> dict[str, tuple[str, int]]:
    """Node id -> (id of the node owning its layer, number of nodes calling it), for shared layers only."""
    owners = {node.id: graph.layer_owner(node.id) for node in graph.nodes() if node.shared_with is not None}
    counts: dict[str, int] = {}
    for owner in owners.values():
        counts[owner] = counts.get(owner, 1) + 1
    return {node_id: (owner, counts[owner]) for node_id, owner in [*owners.items(), *((o, o) for o in counts)]}


def shared_color(owner: str) -> QColor:
    return QColor(SHARED_COLORS[sum(map(ord, owner)) % len(SHARED_COLORS)])
"""The step-through highlight's glow: (pen width beyond the outline, alpha), outermost first."""


@dataclass(frozen=True)
class _Fonts:
    name: QFont
    title: QFont
    badge: QFont
    marker: QFont
    chip: QFont
    help: QFont
    name_metrics: QFontMetricsF
    title_metrics: QFontMetricsF
    badge_metrics: QFontMetricsF
    chip_metrics: QFontMetricsF


@cache
def _fonts(look: theme.Look = theme.NORMAL) -> _Fonts:
    """Created on first use: fonts need a running QGuiApplication."""
    name, title, badge = theme.font(look.name_px, bold=True), theme.font(look.title_px), theme.font(look.badge_px)
    chip = theme.font(look.chip_px)
    help_font = theme.font(round(look.help_radius * 1.55), bold=True)
    return _Fonts(name, title, badge, theme.font(look.marker_px, bold=True), chip, help_font,
                  QFontMetricsF(name), QFontMetricsF(title), QFontMetricsF(badge), QFontMetricsF(chip))


@dataclass(frozen=True)
class _Card:
    """The geometry of a card of one size in one look, shared by all such nodes."""

    rect: QRectF
    body: QPainterPath
    stripe: QPainterPath
    bounds: QRectF
    glow_bounds: QRectF
    marker_center: QPointF
    help_center: QPointF


@dataclass(frozen=True)
class _Rows:
    """Where the text rows of a card start (from its top) and how tall they are, in one look."""

    title_y: float
    title_height: float
    pill_y: float
    pill_height: float
    chip_height: float


@dataclass(frozen=True)
class _Plan:
    """What goes where on a card: relative to the text column's left edge and the card's top."""

    count: str
    count_rect: QRectF
    title_room: float
    chips: list[tuple[str, QRectF]]
    chip_texts: list[str]
    content: float
    """The bottom of the lowest text row (the card adds its bottom margin)."""


def _title_px(pixel_size: int, width: float, room: float) -> int:
    """The largest pixel size (at most ``pixel_size``) at which a text ``width`` wide at
    ``pixel_size`` fits in ``room``."""
    return pixel_size if width <= room else int(pixel_size * max(0.0, room) / width)


def _span(widths: list[float]) -> float:
    """The width of chips side by side."""
    return sum(widths) + CHIP_GAP * (len(widths) - 1) if widths else 0.0


def _pack(widths: list[float], room: float) -> list[list[int]]:
    """Chips in reading order, as many per row as fit: the indices in each row."""
    rows: list[list[int]] = []
    used = 0.0
    for index, width in enumerate(widths):
        if rows and used + CHIP_GAP + width <= room:
            rows[-1].append(index)
            used += CHIP_GAP + width
        else:
            rows.append([index])
            used = width
    return rows


@cache
def _card(look: theme.Look, height: float) -> _Card:
    width = look.node_width
    rect = QRectF(-width / 2, -height / 2, width, height)
    body = QPainterPath()
    body.addRoundedRect(rect, look.node_radius, look.node_radius)
    strip = QPainterPath()
    strip.addRect(QRectF(rect.left(), rect.top(), look.stripe, height))
    # Selection ring, port labels above the top edge, the problem marker at the corner.
    reach_up = 20.0 if look.port_label_px <= 10 else look.port_radius + 3 + look.port_label_px * 1.4
    reach_down = 8.0 if look.port_radius <= 5.5 else look.port_radius + look.port_width + 1
    marker = look.marker_radius
    bounds = rect.adjusted(-6, -reach_up, marker + 3, reach_down)
    glow = GLOW[0][0] / 2 + look.highlight_width
    glow_bounds = bounds.united(rect.adjusted(-glow, -glow, glow, glow))
    marker_center = QPointF(rect.right() - 3, rect.top() + 3)
    name_middle = rect.top() + look.name_top + _fonts(look).name_metrics.height() / 2
    help_center = QPointF(rect.right() - marker - 5 - look.help_radius, name_middle)
    return _Card(rect, body, body.intersected(strip), bounds, glow_bounds, marker_center, help_center)


def _paths() -> tuple[QPainterPath, QPainterPath]:
    body = QPainterPath()
    body.addRoundedRect(QRectF(-WIDTH / 2, -HEIGHT / 2, WIDTH, HEIGHT), RADIUS, RADIUS)
    strip = QPainterPath()
    strip.addRect(QRectF(-WIDTH / 2, -HEIGHT / 2, STRIPE, HEIGHT))
    return body, body.intersected(strip)


BODY_PATH, STRIPE_PATH = _paths()
"""The normal card without cost badges (kept for code that draws node-like shapes)."""


def output_labels(node: Node) -> list[str]:
    """One label per output the node's config gives: "output", then a recurrent layer's states
    ("h", "c") when return_state is on. The spec's ``outputs`` rule is asked with a probe sequence,
    so the card knows its ports before (or without) a valid analysis."""
    spec = node.spec
    count = 1
    if spec is not None and spec.outputs is not None:
        try:
            count = len(spec.outputs({**spec.default_config(), **node.config}, {"input": (None, 2, 1)}))
        except Exception:  # a config the rule refuses: the analysis says why; one port meanwhile
            count = 1
    states = ["h", "c"] if count == 3 else ["h"] if count == 2 else [f"output {i}" for i in range(1, count)]
    return ["output", *states]


def _shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def compact_count(n: int) -> str:
    """``1280`` -> ``1.3k``: used only when the exact figure does not fit on the node."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def params_text(n: int, exact: bool = True) -> str:
    figure = f"{n:,}" if exact else compact_count(n)
    return f"{figure} param{'' if n == 1 else 's'}"


def badge_texts(cost: NodeCost | None, kinds: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``(kind, text)`` per cost badge, in :data:`BADGE_KINDS` order; unknown values say "?"."""
    wanted = set(kinds)
    chips = []
    for kind in BADGE_KINDS:
        if kind not in wanted:
            continue
        if kind == "params":
            text = params_text(cost.params) if cost is not None else "? params"
        elif kind == "flops":
            flops = cost.flops if cost is not None else None
            text = format_flops(flops) if flops is not None else "? FLOPs"
        else:
            memory = cost.activation_bytes if cost is not None else None
            text = format_bytes(memory) if memory is not None else "? memory"
        chips.append((kind, text))
    return tuple(chips)


def card_activation(node: Node) -> str | None:
    """The activation a card shows: Keras' default (linear) included, since a Dense or Conv2D
    without one is the surprise; None for layers without an activation setting."""
    spec = node.spec
    if spec is None or "activation" not in spec.param_names:
        return None
    value = node.config.get("activation")
    return value if isinstance(value, str) else None


def _esc(text: str) -> str:
    """Tooltips are rich text; apostrophes in messages stay readable."""
    return html.escape(text, quote=False)


@cache
def _help_geometry(radius: float) -> tuple[QPainterPath, QRectF]:
    """Hit shape and bounds of a "?" button: a little larger than the circle, easy to hit."""
    hit = radius + 3.0
    bounds = QRectF(-hit, -hit, 2 * hit, 2 * hit)
    shape = QPainterPath()
    shape.addEllipse(bounds)
    return shape, bounds


class HelpButton(QGraphicsItem):
    """The "?" in a card's top-right corner: a click asks for the layer to be explained.

    Like the ports it draws nothing itself (the node paints it, one paint call per node):
    it only takes the mouse, so pressing it never selects, drags or rubber-bands. A click is
    kept until the scene takes it (:meth:`take_click`) and emits ``help_requested``: an item
    never reaches for its scene.
    """

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.node = node
        self._clicked = False
        self.hovered = False
        self._pressed = False
        self._radius = 0.0
        self._shape, self._bounds = _help_geometry(0.0)
        self.setFlag(_NO_CONTENTS)
        self.setAcceptedMouseButtons(_LEFT_BUTTON)
        self.setAcceptHoverEvents(True)
        self.setCursor(_HAND)
        self.setToolTip(HELP_TOOLTIP)
        self.setZValue(2)

    def set_geometry(self, center: QPointF, radius: float) -> None:
        if radius != self._radius:
            self.prepareGeometryChange()
            self._radius = radius
            self._shape, self._bounds = _help_geometry(radius)
        self.setPos(center)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Never called (ItemHasNoContents): the node draws the button."""

    def _set_hovered(self, hovered: bool) -> None:
        if hovered != self.hovered:
            self.hovered = hovered
            self.node.update()

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._set_hovered(True)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._set_hovered(False)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._pressed = True
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._set_hovered(self._shape.contains(event.pos()))

    def take_click(self) -> bool:
        """Whether the last release was a click on the button (asked once by the scene)."""
        clicked, self._clicked = self._clicked, False
        return clicked

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """A click counts when it is released on the button, as with any push button."""
        pressed, self._pressed = self._pressed, False
        self._clicked = pressed and event.button() == Qt.MouseButton.LeftButton and self._shape.contains(event.pos())
        event.accept()


class NodeItem(QGraphicsItem):
    """One node; its position is the centre of the card (the graph's ``position``).

    No ``itemChange`` override on purpose: PySide calls it for every change of every item,
    which made opening a big model slow. The scene updates edges where nodes move.
    """

    def __init__(self, node: Node, info: NodeInfo | None = None, problems: list[Problem] | None = None,
                 look: theme.Look = theme.NORMAL) -> None:
        """``info``/``problems``: the current analysis of this node, when there is one, so the
        text is laid out once (a 250-node model opens noticeably faster)."""
        super().__init__()
        self.node_id = node.id
        self.class_name = node.class_name
        spec = node.spec
        self.category = spec.category if spec else ""
        self.title = spec.title if spec else node.class_name
        self.name = node.name
        self.activation = card_activation(node)
        """The activation shown after the layer type ("Conv2D · relu"), or None."""
        self.edges: set[EdgeItem] = set()
        self.shape_text = "?"
        self.params = 0
        self.known = False
        self.severity: str | None = None
        self.problems: list[Problem] = []
        self.look = look
        self.chips: tuple[tuple[str, str], ...] = ()
        self.shared: tuple[str | None, int] = (None, 1)
        """(owner id, calls) when this node is one call of a shared layer: a colour tag and "shared ×N"."""
        """The cost badges shown under the shape: ``(kind, text)`` pairs (see :func:`badge_texts`)."""
        self.highlighted = False
        self.plain = False
        """Drawing for an exported diagram: no selection ring, no "?" button, no hover."""
        self._info_key: Any = object()
        self._info: NodeInfo | None = None
        self._accent = theme.category_color(self.category)
        ports = spec.ports if spec else ()
        labelled = len(ports) > 1
        self.inputs: dict[str, PortItem] = {}
        for port in ports:
            self.inputs[port.name] = PortItem(self, port, show_label=labelled, look=look)
        self.outputs: list[PortItem] = []
        self._set_outputs(output_labels(node))
        self.help = HelpButton(self)
        self.setFlags(_NODE_FLAGS)
        self.setCacheMode(_DEVICE_CACHE)
        self.setPos(*node.position)
        self._tooltip = ""
        self._card = _card(look, look.node_min_height)
        self._apply_colors()
        if info is not None or problems:
            self.set_info(info, problems or [])
        else:
            self._layout()
            self._update_tooltip()

    # --- what the scene tells the item ----------------------------------------------------

    @property
    def output(self) -> PortItem:
        """The main output (port 0)."""
        return self.outputs[0]

    def output_port(self, index: int) -> PortItem:
        """Output ``index``; the last one when the config gives fewer (the analysis reports such an edge)."""
        return self.outputs[min(index, len(self.outputs) - 1)]

    def _set_outputs(self, labels: list[str]) -> bool:
        """One output port per label (adding or removing ports, keeping the ones still there)."""
        if [p.name for p in self.outputs] == labels:
            return False
        labelled = len(labels) > 1
        for port in self.outputs[len(labels):]:
            port.setParentItem(None)  # type: ignore[arg-type]  # PySide takes None: no parent
            if port.scene() is not None:
                port.scene().removeItem(port)
        kept = self.outputs[:len(labels)]
        for port, label in zip(kept, labels, strict=False):
            port.name, port.show_label = label, labelled
        self.outputs = [*kept, *(PortItem(self, None, show_label=labelled, look=self.look, index=i, label=label)
                                 for i, label in enumerate(labels) if i >= len(kept))]
        return True

    def refresh(self, node: Node) -> None:
        """After a rename or a config change (the class never changes: that is a new node)."""
        activation = card_activation(node)
        if self._set_outputs(output_labels(node)):
            self._layout()
            self._set_output_tooltips(self._info)
            self.update()
        if node.name != self.name or activation != self.activation:
            self.name = node.name
            self.activation = activation
            self._layout()
            self._update_tooltip()
            self.update()

    def set_info(self, info: NodeInfo | None, problems: list[Problem]) -> bool:
        """Show one validation result; returns whether anything visible changed."""
        shape_text = describe_shapes(info) if info is not None else "?"
        known = info is not None and info.ok
        params = info.params if info is not None else 0
        key = (shape_text, known, params, tuple((p.severity, p.message) for p in problems))
        if key == self._info_key:
            return False
        self._info_key = key
        self.shape_text, self.known, self.params, self.problems = shape_text, known, params, list(problems)
        severities = {p.severity for p in problems}
        self.severity = "error" if "error" in severities else ("warning" if severities else None)
        self._info = info
        self._set_output_tooltips(info)
        self._layout()
        self._update_tooltip()
        self.update()
        return True

    def _set_output_tooltips(self, info: NodeInfo | None) -> None:
        shapes = info.output_shapes if info is not None and info.ok and info.output_shapes else []
        for port in self.outputs:
            port.set_tooltip(_shape(shapes[port.index]) if port.index < len(shapes) else "")

    def set_shared(self, shared: tuple[str | None, int]) -> None:
        """Show that this node's layer is shared (see :func:`shared_link`), or no longer."""
        if shared != self.shared:
            self.shared = shared
            self._update_tooltip()
            self.update()

    def set_chips(self, chips: tuple[tuple[str, str], ...]) -> bool:
        """Show these cost badges; returns whether the card changed size (edges must follow)."""
        if chips == self.chips:
            return False
        self.chips = chips
        height = self._card.rect.height()
        self._layout()
        self.update()
        return self._card.rect.height() != height

    def set_look(self, look: theme.Look) -> None:
        """Presenter mode on or off: new sizes, fonts and colours (the scene re-routes edges)."""
        if look == self.look:
            return
        self.look = look
        self._apply_colors()
        for port in self.ports():
            port.set_look(look)
        self._layout()
        self.update()

    def set_highlighted(self, highlighted: bool) -> None:
        """The step-through node: thick bright outline and a glow (the scene dims the others)."""
        if highlighted != self.highlighted:
            self.prepareGeometryChange()  # the glow reaches beyond the normal bounds
            self.highlighted = highlighted
            self.update()

    def set_plain(self, plain: bool) -> None:
        """Draw for export: no selection, hover or "?"; no pixmap cache, so SVG gets vectors."""
        if plain != self.plain:
            self.plain = plain
            self.setCacheMode(QGraphicsItem.CacheMode.NoCache if plain
                              else _DEVICE_CACHE)
            self.update()

    def input_port(self, name: str) -> PortItem | None:
        return self.inputs.get(name)

    def ports(self) -> list[PortItem]:
        return [*self.inputs.values(), *self.outputs]

    def card_rect(self) -> QRectF:
        """The card itself, in item coordinates (bounds also hold labels, marker and glow)."""
        return QRectF(self._card.rect)

    # --- layout and tooltip --------------------------------------------------------------------

    def _apply_colors(self) -> None:
        look = self.look
        self._tint = theme.category_tint(self.category, look.tint)
        self._border = QColor(look.outline) if look.outline else theme.category_border(self.category)

    def _layout(self) -> None:
        """Size the card for the look and the chips, place ports, button and every text."""
        look = self.look
        f = _fonts(look)
        width = look.node_width
        left = -width / 2 + look.stripe + look.pad
        inner = width / 2 - look.pad - left
        # Rows from the card's top (y = 0 here; moved once the card's height is known):
        # name and "?"; layer type; shape badge; then cost chips, if any.
        rows = _Rows(
            title_y=look.name_top + f.name_metrics.height(),
            title_height=f.title_metrics.height(),
            pill_y=look.name_top + f.name_metrics.height() + f.title_metrics.height() + look.pill_gap,
            pill_height=f.badge_metrics.height() + look.pill_pad,
            chip_height=f.chip_metrics.height() + look.chip_pad,
        )
        shape = f.badge_metrics.elidedText(self.shape_text, _ELIDE_MIDDLE, inner - 2 * PILL_PAD)
        pill_width = f.badge_metrics.horizontalAdvance(shape) + 2 * PILL_PAD
        title_width = f.title_metrics.horizontalAdvance(self.type_text)
        # The parameter count goes beside the shape badge when it fits, else at the end of the
        # title row; the exact count is preferred to a rounded one. With a "params" chip shown
        # the count is not repeated; compact cards with chips show just the chips chosen.
        if any(kind == "params" for kind, _ in self.chips) or (look.compact and self.chips):
            counts: list[str] = []
        elif self.known:
            counts = [params_text(self.params), params_text(self.params, exact=False)]
        else:
            counts = ["? params"]
        plan_cards = self._plan_compact if look.compact else self._plan_normal
        plan = plan_cards(f, rows, inner, pill_width, title_width, counts)
        height = max(look.node_min_height, plan.content + look.bottom_margin)
        card = _card(look, height)
        if card is not self._card:
            self.prepareGeometryChange()
            self._card = card
        rect = card.rect
        top = rect.top()
        # Ports on the edges, the "?" button in the top-right corner.
        ports = list(self.inputs.values())
        for i, port in enumerate(ports):
            port.setPos(rect.left() + width * (i + 1) / (len(ports) + 1), top)
        if len(self.outputs) == 1:
            self.output.setPos(0.0, rect.bottom())
        else:  # the main output in the middle, the states to its right
            step = width / (2 * len(self.outputs))
            for port in self.outputs:
                port.setPos(step * port.index, rect.bottom())
        self.help.set_geometry(card.help_center, look.help_radius)
        name_width = card.help_center.x() - look.help_radius - 4 - left
        self._name_rect = QRectF(left, top + look.name_top, name_width, f.name_metrics.height())
        self._name_text = f.name_metrics.elidedText(self.name, _ELIDE_RIGHT, name_width)
        self._title_rect = QRectF(left, top + rows.title_y, inner, rows.title_height)
        self._count_text = plan.count
        self._count_rect = plan.count_rect.translated(left, top)
        # The layer type is never cut ("AveragePo…" tells a class nothing): when its row is too
        # narrow it is drawn in a smaller font that fits.
        self._title_font = f.title
        metrics = f.title_metrics
        wanted = metrics.horizontalAdvance(self.type_text)
        if wanted > plan.title_room > 0:
            self._title_font = QFont(f.title)
            px = _title_px(f.title.pixelSize(), wanted, plan.title_room)
            self._title_font.setPixelSize(max(CHIP_TITLE_MIN_PX, px))
            metrics = QFontMetricsF(self._title_font)
        self._title_text = self._fit_type_text(metrics, plan.title_room)
        self._shape_display = shape
        self._pill_rect = QRectF(left, top + rows.pill_y, pill_width, rows.pill_height)
        self._chip_rects = [(text, r.translated(left, top)) for text, r in plan.chips]
        self.chip_texts = plan.chip_texts

    def _plan_normal(self, f: _Fonts, rows: _Rows, inner: float, pill_width: float, title_width: float,
                     counts: list[str]) -> _Plan:
        """The everyday card: chips fill the room beside the shape badge, then rows below it."""
        # Beside the badge if it fits; else on the title row, with the count (exact or rounded)
        # that leaves the layer type the largest type size.
        options = []
        for rank, count in enumerate(counts):
            count_width = f.title_metrics.horizontalAdvance(count)
            if pill_width + GAP + count_width <= inner:
                options.append((0, 0, rank, (count, count_width, "badge")))
                continue
            px = _title_px(f.title.pixelSize(), title_width, inner - GAP - count_width)
            if px >= TITLE_MIN_PX:
                options.append((1, -px, rank, (count, count_width, "title")))
        placed = min(options)[3] if options else None
        if placed is None:  # the layer type keeps its whole row: the count gets a row of its own
            count = counts[-1] if counts else ""
            placed = (count, f.title_metrics.horizontalAdvance(count), "below" if count else "")
        count, count_width, row = placed
        beside = inner - pill_width - GAP if row != "badge" else 0.0
        chip_rects, chip_texts = self._flow_chips(inner, beside)
        chip_height = rows.chip_height
        rows_below = max((round(r.top() / (chip_height + CHIP_GAP)) for _, r in chip_rects), default=0)
        content = rows.pill_y + rows.pill_height + (rows_below * (chip_height + CHIP_GAP) + 1 if rows_below else 0.0)
        if row == "badge":
            count_rect = QRectF(inner - count_width, rows.pill_y, count_width, rows.pill_height)
            title_room = inner
        elif row == "below":
            count_rect = QRectF(inner - count_width, content + CHIP_GAP, count_width, rows.title_height)
            content += CHIP_GAP + rows.title_height
            title_room = inner
        else:
            count_rect = QRectF(inner - count_width, rows.title_y, count_width, rows.title_height)
            title_room = inner - count_width - (GAP if count else 0)
        # Chip row 0 is beside the badge (vertically centred on it), the others below.
        beside_y = rows.pill_y + (rows.pill_height - chip_height) / 2
        below_y = rows.pill_y + rows.pill_height + CHIP_GAP + 1 - (chip_height + CHIP_GAP)
        chips = [(text, r.translated(pill_width + GAP if r.top() == 0 else 0.0, beside_y if r.top() == 0 else below_y))
                 for text, r in chip_rects]
        return _Plan(count, count_rect, title_room, chips, chip_texts, content)

    def _plan_compact(self, f: _Fonts, rows: _Rows, inner: float, pill_width: float, title_width: float,
                      counts: list[str]) -> _Plan:
        """Presenter cards: chips sit at the right of the layer-type row and of the shape badge's row
        (the layer type is drawn smaller for them, down to :data:`CHIP_TITLE_MIN_PX`, never cut) and open
        rows of their own only when those are full, so one kind of badge never makes a card taller.
        Without chips the parameter count is placed as on the normal card; with chips the card
        shows just the chips chosen.

        Every split of the chips over the two rows and the rows below is tried (three chips at
        most: ten splits); the plan with the fewest rows below wins, then the one that does not
        shorten the layer type, then the exact figures."""
        if not self.chips:
            return self._plan_normal(f, rows, inner, pill_width, title_width, counts)
        metrics = f.chip_metrics
        candidates = [[text for _, text in self.chips]]
        if any(kind == "params" for kind, _ in self.chips) and self.known:
            candidates.append([params_text(self.params, exact=False) if kind == "params" else text
                               for kind, text in self.chips])
        # Title row (the layer type may shrink to CHIP_TITLE_MIN_PX for chips beside it, never be cut), badge row.
        least_title = title_width * CHIP_TITLE_MIN_PX / f.title.pixelSize()
        rooms = (max(0.0, inner - least_title - GAP), max(0.0, inner - pill_width - GAP))  # a wide badge: none
        best: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None
        for ci, texts in enumerate(candidates):
            widths = [min(inner, metrics.horizontalAdvance(text) + 10) for text in texts]
            n = len(texts)
            for i in range(n + 1):
                for j in range(i, n + 1):
                    used = (_span(widths[:i]), _span(widths[i:j]))
                    if used[0] > rooms[0] or used[1] > rooms[1]:
                        continue
                    below = _pack(widths[j:], inner)
                    title_room = inner - used[0] - (GAP if used[0] else 0.0)
                    score = (len(below), title_width > title_room, ci)
                    if best is None or score < best[0]:
                        best = (score, (texts, widths, i, j, below, used, title_room))
        assert best is not None  # all chips in rows below always fits
        texts, widths, i, j, below, used, title_room = best[1]
        chip_height = rows.chip_height
        middles = (rows.title_y + rows.title_height / 2, rows.pill_y + rows.pill_height / 2)
        chips: list[tuple[str, QRectF]] = []
        for row, indices in ((0, range(i)), (1, range(i, j))):  # right-aligned, in reading order
            x = inner - used[row]
            for index in indices:
                chips.append((texts[index], QRectF(x, middles[row] - chip_height / 2, widths[index], chip_height)))
                x += widths[index] + CHIP_GAP
        below_y = rows.pill_y + rows.pill_height + self.look.pill_gap
        for r, indices in enumerate(below):
            x = 0.0
            for index in indices:
                chips.append((texts[j + index], QRectF(x, below_y + r * (chip_height + CHIP_GAP), widths[j + index],
                                                       chip_height)))
                x += widths[j + index] + CHIP_GAP
        chips = [(metrics.elidedText(text, _ELIDE_RIGHT, r.width() - 10), r) for text, r in chips]
        content = below_y + len(below) * (chip_height + CHIP_GAP) - CHIP_GAP if below \
            else rows.pill_y + rows.pill_height
        return _Plan("", QRectF(), title_room, chips, list(texts), content)

    def _flow_chips(self, width: float, beside: float) -> tuple[list[tuple[str, QRectF]], list[str]]:
        """Chip rects at the origin (row 0 = beside the shape badge, ``beside`` wide; row n at
        ``y = n * (chip height + gap)``) and the texts as shown. The exact parameter count is
        preferred to a rounded one unless the rounded one saves a row."""
        if not self.chips:
            return [], []
        exact = [text for _, text in self.chips]
        candidates = [exact]
        if any(kind == "params" for kind, _ in self.chips) and self.known:
            candidates.append([params_text(self.params, exact=False) if kind == "params" else text
                               for kind, text in self.chips])
        layouts = [self._flow(texts, width, beside) for texts in candidates]
        rows = [max((r.top() for _, r in layout), default=0.0) for layout in layouts]
        best = min(range(len(layouts)), key=lambda i: (rows[i], i))
        return layouts[best], candidates[best]

    def _flow(self, texts: list[str], width: float, beside: float) -> list[tuple[str, QRectF]]:
        """First fit: each chip goes in the first row with room (rows keep the chips' order)."""
        metrics = _fonts(self.look).chip_metrics
        height = metrics.height() + self.look.chip_pad
        used = [0.0]  # row 0: beside the badge
        room = [beside]
        placed = []
        for text in texts:
            w = min(width, metrics.horizontalAdvance(text) + 10)
            row = next((i for i in range(len(used)) if used[i] + (CHIP_GAP if used[i] else 0) + w <= room[i]), None)
            if row is None:
                used.append(0.0)
                room.append(width)
                row = len(used) - 1
            x = used[row] + (CHIP_GAP if used[row] else 0.0)
            used[row] = x + w
            shown = metrics.elidedText(text, _ELIDE_RIGHT, w - 10)
            placed.append((shown, QRectF(x, row * (height + CHIP_GAP), w, height)))
        return placed

    @property
    def type_text(self) -> str:
        """The card's second row: the layer type, and its activation where it has one."""
        return f"{self.title} · {self.activation}" if self.activation else self.title

    def _fit_type_text(self, metrics: QFontMetricsF, room: float) -> str:
        """The type row in ``room``: the activation is what a student checks, so a long
        type name is shortened before it is."""
        text = self.type_text
        if metrics.horizontalAdvance(text) <= room or not self.activation:
            return metrics.elidedText(text, _ELIDE_RIGHT, room)
        suffix = f" · {self.activation}"
        title = metrics.elidedText(self.title, _ELIDE_RIGHT, room - metrics.horizontalAdvance(suffix))
        return title + suffix if title else metrics.elidedText(text, _ELIDE_RIGHT, room)

    def _update_tooltip(self) -> None:
        lines = [f"<b>{_esc(self.name)}</b> — {_esc(self.type_text)}"]
        lines.append(f"Output: <tt>{_esc(self.shape_text)}</tt>")
        if self.known:
            lines.append(params_text(self.params))
        if self.shared[0] is not None:
            lines.append(f"Shared layer: {self.shared[1]} nodes call it with the same weights (counted once)")
        for problem in self.problems:
            colour = theme.ERROR if problem.severity == "error" else theme.WARNING
            text = f"<span style='color:{colour}'>● {_esc(problem.message)}</span>"
            if problem.fix is not None:
                text += f"<br>&nbsp;&nbsp;Fix: {_esc(problem.fix.description)}"
            lines.append(text)
        tooltip = "<br>".join(lines)
        if tooltip != self._tooltip:
            self._tooltip = tooltip
            self.setToolTip(tooltip)

    # --- painting -----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self._card.glow_bounds if self.highlighted and not self.plain else self._card.bounds

    def shape(self) -> QPainterPath:
        return self._card.body

    def outline_color(self) -> QColor:
        if self.severity == "error":
            return QColor(theme.ERROR)
        if self.severity == "warning":
            return QColor(theme.WARNING)
        return self._border

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected() and not self.plain
        highlighted = self.highlighted and not self.plain
        if lod < SIMPLE_LOD:
            self._paint_simple(painter, selected, highlighted)
            return
        look, card = self.look, self._card
        if highlighted:
            glow = QColor(look.highlight)
            for extra, alpha in GLOW:
                glow.setAlpha(alpha)
                painter.setPen(QPen(glow, look.highlight_width + extra))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(card.body)
            painter.setPen(QPen(QColor(look.highlight), look.highlight_width))
        else:
            painter.setPen(QPen(self.outline_color(), look.problem_width if self.severity else look.outline_width))
        painter.setBrush(QBrush(self._tint))
        painter.drawPath(card.body)
        painter.fillPath(card.stripe, self._accent)
        f = _fonts(look)
        painter.setPen(QColor(look.text))
        painter.setFont(f.name)
        painter.drawText(self._name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._name_text)
        painter.setFont(self._title_font)
        painter.setPen(QColor(look.text_secondary))
        painter.drawText(self._title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self._title_text)
        if self._count_text:
            painter.drawText(self._count_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self._count_text)
        painter.setPen(QPen(QColor(look.badge_border), 1.0))
        painter.setBrush(QColor(look.badge_fill))
        painter.drawRoundedRect(self._pill_rect, 5, 5)
        painter.setFont(f.badge)
        painter.setPen(QColor(look.text if self.known else look.text_muted))
        painter.drawText(self._pill_rect, Qt.AlignmentFlag.AlignCenter, self._shape_display)
        if self._chip_rects:
            self._paint_chips(painter, f)
        if not self.plain:
            self._paint_help(painter, f)
        if self.severity:
            self._paint_marker(painter, f)
        if self.shared[0] is not None:
            self._paint_shared(painter, f)
        for port in self.inputs.values():
            port.draw(painter)
        for port in self.outputs:
            port.draw(painter)
        if selected:
            painter.setPen(QPen(QColor(look.selection), look.selection_width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(card.rect.adjusted(-4, -4, 4, 4), look.node_radius + 3, look.node_radius + 3)

    def _paint_chips(self, painter: QPainter, f: _Fonts) -> None:
        look = self.look
        painter.setFont(f.chip)
        for text, rect in self._chip_rects:
            painter.setPen(QPen(QColor(look.chip_border), 1.0))
            painter.setBrush(QColor(look.chip_fill))
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setPen(QColor(look.text if not text.startswith("?") else look.text_muted))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_shared(self, painter: QPainter, f: _Fonts) -> None:
        """A dashed ring in the layer's colour and a "shared ×N" tag on the bottom edge, left of the output."""
        owner, count = self.shared
        assert owner is not None
        colour, rect = shared_color(owner), self._card.rect
        pen = QPen(colour, 2.0, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        radius = self.look.node_radius + 2
        painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), radius, radius)
        text = f"shared ×{count}"
        metrics = f.chip_metrics
        height = min(metrics.height() + 2, 14.0)
        tag = QRectF(rect.left() + self.look.stripe + self.look.pad, rect.bottom() - height / 2,
                     metrics.horizontalAdvance(text) + 10, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(tag, height / 2, height / 2)
        painter.setFont(f.chip)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_help(self, painter: QPainter, f: _Fonts) -> None:
        look = self.look
        hovered = self.help.hovered
        radius = look.help_radius
        centre = self._card.help_center
        painter.setPen(QPen(QColor(look.help_hover if hovered else look.text_muted), 1.2))
        painter.setBrush(QColor(look.help_hover if hovered else look.help_fill))
        painter.drawEllipse(centre, radius, radius)
        painter.setFont(f.help)
        painter.setPen(QColor("#FFFFFF" if hovered else look.text_secondary))
        painter.drawText(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
                         Qt.AlignmentFlag.AlignCenter, "?")

    def _paint_marker(self, painter: QPainter, f: _Fonts) -> None:
        radius = self.look.marker_radius
        centre = self._card.marker_center
        painter.setPen(QPen(QColor("#FFFFFF"), 1.5))
        painter.setBrush(self.outline_color())
        painter.drawEllipse(centre, radius, radius)
        painter.setFont(f.marker)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
                         Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_simple(self, painter: QPainter, selected: bool, highlighted: bool) -> None:
        fill = QColor(self.look.selection) if selected else self._accent
        if highlighted or self.severity:
            colour = QColor(self.look.highlight) if highlighted else self.outline_color()
            pen = QPen(colour, 4.0 if highlighted else 3.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRect(self._card.rect)
