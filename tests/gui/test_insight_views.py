"""The insight views fed with numpy arrays (no Keras): what each kind of activation turns into,
the Grad-CAM overlay, histograms with dead-ReLU lines, and the decision map."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QFont

from app.gui.insight.activation_view import MAX_CHANNELS, ActivationView, grid_columns, mosaic
from app.gui.insight.boundary_view import DecisionBoundaryView, grid_image
from app.gui.insight.common import colorize, lookup_table, normalize, point_size
from app.gui.insight.gradcam_view import ALPHA, GradCamView, blend, top_predictions
from app.gui.insight.histogram_view import HistogramView, dead_line


def activation(kind: str, value: np.ndarray, *, name: str = "node", class_name: str = "Conv2D",
               attention: np.ndarray | None = None) -> SimpleNamespace:
    return SimpleNamespace(node_id=f"id_{name}", name=name, class_name=class_name, kind=kind,
                           value=np.asarray(value), attention=attention)


@pytest.fixture
def view(qtbot) -> ActivationView:
    widget = ActivationView()
    qtbot.addWidget(widget)
    return widget


# --- helpers --------------------------------------------------------------------------------------------

def test_normalize_stretches_each_map_and_a_constant_map_is_zero() -> None:
    assert normalize(np.array([2.0, 4.0, 6.0])).tolist() == [0.0, 0.5, 1.0]
    assert normalize(np.full((3, 3), 7.0)).max() == 0.0
    assert normalize(np.array([np.nan, 1.0])).tolist() == [0.0, 1.0]


def test_colour_tables_run_from_cold_to_hot() -> None:
    jet = lookup_table("jet")
    assert jet.shape == (256, 3) and jet.dtype == np.uint8
    assert tuple(jet[0]) == (0, 0, 128) and tuple(jet[-1]) == (128, 0, 0)
    assert colorize(np.array([[0.0, 1.0]]), "viridis").shape == (1, 2, 3)


def test_mosaic_places_tiles_in_rows_with_gaps() -> None:
    tiles = [np.full((2, 3, 3), i * 10, dtype=np.uint8) for i in range(5)]
    image, corners = mosaic(tiles, columns=3, gap=1)
    assert image.shape == (2 * 2 + 1, 3 * 3 + 2, 3)
    assert corners == [(0, 0), (4, 0), (8, 0), (0, 3), (4, 3)]
    assert image[3, 4, 0] == 40 and image[2, 0, 0] == 255  # the fifth tile, and a gap row
    assert grid_columns(32) == 6 and grid_columns(1) == 1 and grid_columns(200) == 8


# --- ActivationView ------------------------------------------------------------------------------------

def test_feature_maps_become_one_tile_per_channel_each_normalized(view) -> None:
    value = np.zeros((5, 7, 6), dtype=np.float32)
    for c in range(6):
        value[..., c] = np.arange(35).reshape(5, 7) * (c + 1)  # same pattern, different scale
    view.show_activation(activation("image", value, name="c1"))
    assert view.mode() == "image" and view.tile_count() == 6
    image = view.image()
    top = tuple(lookup_table("viridis")[255])
    bottom = tuple(lookup_table("viridis")[0])
    # every tile is stretched to its own range: each has the coldest colour top-left, hottest bottom-right
    h, w, gap = 5, 7, 1
    for tile in range(6):
        row, column = divmod(tile, grid_columns(6))
        y, x = row * (h + gap), column * (w + gap)
        assert tuple(image[y, x]) == bottom and tuple(image[y + h - 1, x + w - 1]) == top
    assert "c1" in view.caption() and "(5, 7, 6)" in view.caption() and "6 feature maps" in view.caption()


def test_at_most_32_feature_maps_are_drawn_and_the_caption_says_so(view) -> None:
    view.show_activation(activation("image", np.random.default_rng(0).random((4, 4, 50))))
    assert view.tile_count() == MAX_CHANNELS == 32
    assert "first 32 of 50" in view.caption()


def test_an_input_image_is_shown_as_the_picture(view) -> None:
    picture = np.zeros((6, 6, 1), dtype=np.float32)
    picture[2, 3, 0] = 1.0
    view.show_activation(activation("image", picture, name="digit", class_name="InputLayer"))
    assert view.mode() == "input" and view.tile_count() == 0
    assert view.image().shape == (6, 6, 3)
    assert tuple(view.image()[2, 3]) == (255, 255, 255) and tuple(view.image()[0, 0]) == (0, 0, 0)


def test_a_short_vector_is_a_bar_per_unit_and_a_long_one_a_heat_strip(view) -> None:
    view.show_activation(activation("vector", np.linspace(-1, 1, 10), class_name="Dense"))
    assert view.mode() == "bars" and view.bar_count() == 10
    assert list(view.bars.opts["height"]) == pytest.approx(list(np.linspace(-1, 1, 10)))
    view.show_activation(activation("vector", np.arange(120.0), class_name="Dense"))
    assert view.mode() == "strip" and view.heat_shape() == (1, 120) and view.bar_count() == 0
    assert view.image().shape == (1, 120, 3)


def test_a_sequence_is_a_time_by_units_heat_map(view) -> None:
    value = np.random.default_rng(1).normal(size=(12, 5))
    view.show_activation(activation("sequence", value, name="lstm", class_name="LSTM"))
    assert view.mode() == "heatmap" and view.heat_shape() == (12, 5)
    assert view.image().shape == (12, 5, 3)


def test_attention_shows_one_query_by_key_matrix_per_head(view) -> None:
    weights = np.random.default_rng(2).random((4, 6, 6))
    weights /= weights.sum(axis=-1, keepdims=True)
    view.show_activation(activation("attention", np.zeros((6, 16)), name="mha", class_name="MultiHeadAttention",
                                    attention=weights))
    assert view.mode() == "attention" and view.head_count() == 4 and view.tile_count() == 4
    assert "rows are queries" in view.caption()
    # without weights, the attention output is drawn as a sequence
    view.show_activation(activation("attention", np.ones((6, 16)), class_name="MultiHeadAttention"))
    assert view.mode() == "heatmap" and view.heat_shape() == (6, 16)


def test_a_scalar_is_one_big_number_and_odd_shapes_get_a_sentence(view) -> None:
    view.show_activation(activation("scalar", np.array([0.8125]), class_name="Dense"))
    assert view.mode() == "scalar" and view.scalar_label.text() == "0.8125"
    view.show_activation(activation("other", np.zeros((2, 3, 4, 5)), class_name="Conv3D"))
    assert view.mode() == "other" and "(2, 3, 4, 5)" in view.message.text()


def test_caption_gives_min_mean_max(view) -> None:
    view.show_activation(activation("vector", np.array([-2.0, 0.0, 5.0]), name="dense_1", class_name="Dense"))
    text = view.caption()
    assert "dense_1" in text and "Dense" in text and "(3,)" in text
    assert "min -2" in text and "mean 1" in text and "max 5" in text
    view.show_message("nothing yet")
    assert view.mode() == "message" and view.message_text() == "nothing yet" and view.caption() == ""


# --- Grad-CAM view --------------------------------------------------------------------------------------

def test_blend_lays_the_jet_heat_map_over_the_picture_at_its_size() -> None:
    image = np.zeros((4, 6, 1), dtype=np.float32)
    heat = np.zeros((4, 6), dtype=np.float32)
    heat[0, 0] = 1.0
    out = blend(image, heat)
    assert out.shape == (4, 6, 3)
    hot = np.rint(ALPHA * lookup_table("jet")[255]).astype(int)
    cold = np.rint(ALPHA * lookup_table("jet")[0]).astype(int)
    assert np.abs(out[0, 0].astype(int) - hot).max() <= 1
    assert np.abs(out[3, 5].astype(int) - cold).max() <= 1
    small = blend(np.ones((8, 8, 3)), np.eye(2))  # a coarser map is resampled to the picture
    assert small.shape == (8, 8, 3)


def test_gradcam_view_shows_the_overlay_and_the_top_three(qtbot) -> None:
    view = GradCamView()
    qtbot.addWidget(view)
    view.show_result(np.random.default_rng(0).random((1, 10, 12, 1)), np.zeros((10, 12)),
                     np.array([0.1, 0.6, 0.05, 0.25]), ["cat", "dog", "fox", "owl"], 1, "conv")
    assert view.overlay().shape == (10, 12, 3)
    assert view.top_lines() == ["dog (1): 60.0 %", "owl (3): 25.0 %", "cat (0): 10.0 %"]
    assert "Heat map for <b>dog</b>" in view.top_label.text()
    assert "outputs" not in view.top_label.text()
    view.show_message("not an image model")
    assert view.overlay() is None and view.message_text() == "not an image model"
    assert top_predictions(np.array([0.3, 0.7]), None) == ["1: 70.0 %", "0: 30.0 %"]
    # a model with several outputs: the text says which one the map explains
    view.show_result(np.zeros((4, 4, 1)), np.zeros((4, 4)), np.array([0.2, 0.8]), None, 1, "conv",
                     note="The model has 2 outputs; Grad-CAM explains the first one, species.")
    assert "Heat map for <b>1</b>" in view.top_label.text()
    assert "explains the first one, species" in view.top_label.text()


# --- histograms -------------------------------------------------------------------------------------------

def histogram(node_id: str, name: str, counts: list[int], dead: float | None = None) -> SimpleNamespace:
    return SimpleNamespace(node_id=node_id, name=name, label="kernel", counts=np.array(counts),
                           edges=np.linspace(-1, 1, len(counts) + 1), dead_share=dead)


def test_histogram_view_lists_layers_and_draws_the_chosen_one(qtbot) -> None:
    view = HistogramView()
    qtbot.addWidget(view)
    weights = [histogram("a", "conv", [1, 2, 3]), histogram("c", "dense_1", [4, 4])]
    activations = [histogram("a", "conv", [5, 0, 5], dead=0.0), histogram("b", "flatten", [9]),
                   histogram("c", "dense_1", [2, 2, 2, 2], dead=12 / 128)]
    view.set_histograms(weights, activations, {"a": 4, "c": 128})
    assert view.layer_names() == ["conv", "flatten", "dense_1"]
    assert view.weight_layer_names() == ["conv", "dense_1"]
    assert view.current_layer() == "a"
    w, a = view.shown_counts()
    assert w.tolist() == [1, 2, 3] and a.tolist() == [5, 0, 5]
    assert view.select_layer("flatten")
    w, a = view.shown_counts()
    assert w is None and a.tolist() == [9]
    assert view.dead_lines() == ["conv: 0 of 4 units dead (0%)", "dense_1: 12 of 128 units dead (9%)"]
    assert "Dead ReLU units" in view.dead_label.text()
    view.set_histograms(weights, activations, {})  # the chosen layer stays chosen
    assert view.current_layer() == "b"
    assert dead_line("d", 0.5, None) == "d: 50% of units dead"


# --- decision boundary --------------------------------------------------------------------------------------

def test_decision_map_colours_by_class_and_deepens_with_confidence(qtbot) -> None:
    r = 20
    xs, ys = np.linspace(-2, 2, r), np.linspace(-1, 3, r)
    gx, gy = np.meshgrid(xs, ys)
    classes = (gx > 0).astype(int)
    confidence = np.clip(0.5 + np.abs(gx) / 4, 0.5, 1.0)
    grid = SimpleNamespace(xs=xs, ys=ys, classes=classes, confidence=confidence)
    view = DecisionBoundaryView()
    qtbot.addWidget(view)
    points = np.array([[-1.0, 0.0], [1.0, 2.0], [1.5, 1.0]])
    view.update_grid(grid, points, np.array([0, 1, 1]))
    assert view.image_shape() == (r, r) and view.point_count() == 3 and view.updates == 1
    image = view.image().astype(int)
    # left half is class 0 (blue-ish), right half class 1 (orange-ish); the edges are deeper than the middle
    assert image[5, 0, 2] > image[5, 0, 0] and image[5, -1, 0] > image[5, -1, 2]
    assert image[5, 0].sum() < image[5, r // 2 - 1].sum()
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    assert rect.left() == pytest.approx(xs[0] - (xs[1] - xs[0]) / 2)
    assert rect.top() == pytest.approx(ys[0] - (ys[1] - ys[0]) / 2)
    pale = grid_image(np.zeros((1, 1), int), np.full((1, 1), 0.5), 2)  # chance level: nearly white
    deep = grid_image(np.zeros((1, 1), int), np.full((1, 1), 1.0), 2)
    assert pale.min() > 200 and deep.sum() < pale.sum() - 150
    view.show_message("needs a 2-input classifier")
    assert view.image_shape() is None and view.message_text() == "needs a 2-input classifier"


def test_importing_the_insight_views_does_not_import_keras() -> None:
    import os
    import subprocess
    import sys

    code = ("import sys, app.gui.insight; "
            "print(any(m in sys.modules for m in ('keras', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "False"


# --- fonts (presenter mode enlarges the window font) ---------------------------------------------------

def bigger(font: QFont, factor: float = 2.0) -> QFont:
    out = QFont(font)
    out.setPointSizeF(point_size(font) * factor)
    return out


def axis_sizes(plot) -> tuple[float, str]:
    """The tick font size of the left axis and the CSS of its label."""
    axis = plot.getPlotItem().getAxis("left")
    return point_size(axis.style["tickFont"]), axis.labelString()


def test_tile_labels_and_axes_follow_the_widget_font(view) -> None:
    view.show_activation(activation("image", np.random.default_rng(3).random((4, 4, 6)), name="c1"))
    labels = view.tile_labels()
    assert len(labels) == 6
    before = labels[0].textItem.font().pointSizeF()
    ticks_before, _ = axis_sizes(view.bar_plot)
    scalar_before = view.scalar_label.font().pointSizeF()
    large = bigger(view.font(), 2.5)
    view.setFont(large)  # what a parent's setFont does to its children
    assert labels[0].textItem.font().pointSizeF() > before * 2
    assert all(label.textItem.font().pointSizeF() == labels[0].textItem.font().pointSizeF() for label in labels)
    ticks_after, label_css = axis_sizes(view.bar_plot)
    assert ticks_after == pytest.approx(point_size(large)) and ticks_after > ticks_before * 2
    assert f"font-size: {point_size(large):.3g}pt" in label_css and "value" in label_css
    assert view.scalar_label.font().pointSizeF() >= scalar_before
    # new tiles are drawn in the new size too
    view.show_activation(activation("image", np.random.default_rng(4).random((4, 4, 3)), name="c2"))
    assert view.tile_labels()[0].textItem.font().pointSizeF() == pytest.approx(point_size(large) * 0.8)


def test_histogram_and_boundary_axes_follow_the_widget_font(qtbot) -> None:
    histograms = HistogramView()
    boundary = DecisionBoundaryView()
    for widget in (histograms, boundary):
        qtbot.addWidget(widget)
        large = bigger(widget.font(), 2.0)
        widget.setFont(large)
    for plot in (histograms.weight_plot, histograms.activation_plot, boundary.plot):
        ticks, css = axis_sizes(plot)
        assert ticks == pytest.approx(point_size(large))
        assert f"font-size: {point_size(large):.3g}pt" in css
    histograms.set_histograms([histogram("a", "conv", [1, 2])], [histogram("a", "conv", [3, 1])], {})
    title = histograms.weight_plot.getPlotItem().titleLabel.item.toHtml().replace(" ", "")
    assert f"font-size:{point_size(large):.3g}pt" in title and "Weightsofconv" in title
