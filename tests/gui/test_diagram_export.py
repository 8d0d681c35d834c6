"""Diagram export: the canvas to PNG and SVG, model only, and clear errors for bad paths."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from app.gui.document import Document
from app.gui.editor.diagram_export import MARGIN, DiagramExportError, export_diagram
from app.gui.editor.view import GraphView

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def view(qtbot) -> GraphView:
    document = Document()
    ids = [
        document.add_node("InputLayer", (0, 0), {"batch_shape": [None, 28, 28, 1]}),
        document.add_node("Conv2D", (0, 110), {"filters": 8, "kernel_size": [3, 3]}),
        document.add_node("Flatten", (0, 220)),
        document.add_node("Dense", (0, 330), {"units": 10}),
    ]
    for a, b in itertools.pairwise(ids):
        document.connect_nodes(a, b)
    document.revalidate()
    widget = GraphView(document)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def non_white(image: QImage) -> int:
    white = QColor("#FFFFFF")
    return sum(image.pixelColor(x, y) != white for x in range(0, image.width(), 4) for y in range(0, image.height(), 4))


def test_png_export_draws_the_model_on_white(tmp_path: Path, view: GraphView) -> None:
    scene = view.graph_scene()
    path = export_diagram(scene, tmp_path / "model.png", scale=1.0)
    assert path == tmp_path / "model.png"
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 0 and image.height() > 0
    rect = scene.model_rect()
    assert image.width() == pytest.approx(rect.width() + 2 * MARGIN, abs=1)
    assert image.height() == pytest.approx(rect.height() + 2 * MARGIN, abs=1)
    assert image.pixelColor(1, 1) == QColor("#FFFFFF")  # white margin, no canvas grey or grid
    assert non_white(image) > 500  # cards, text and edges are drawn
    assert not list(tmp_path.glob(".model-*"))  # no temporary file left behind


def test_scale_changes_the_pixel_size(tmp_path: Path, view: GraphView) -> None:
    scene = view.graph_scene()
    small = QImage(str(export_diagram(scene, tmp_path / "small.png", scale=1.0)))
    large = QImage(str(export_diagram(scene, tmp_path / "large.png", scale=2.5)))
    assert large.width() == pytest.approx(2.5 * small.width(), abs=3)
    assert large.height() == pytest.approx(2.5 * small.height(), abs=3)


def test_selection_highlight_and_zoom_are_not_exported_and_are_restored(tmp_path: Path, view: GraphView) -> None:
    scene = view.graph_scene()
    document = view.document
    clean = QImage(str(export_diagram(scene, tmp_path / "clean.png", scale=1.0)))
    conv = document.graph.node_by_name("conv2d").id
    dense = document.graph.node_by_name("dense").id
    view.select_nodes([dense])
    scene.set_highlight(conv)
    view.set_zoom(0.1)  # far out: the canvas draws blocks and one edge path
    assert scene.overview
    busy = QImage(str(export_diagram(scene, tmp_path / "busy.png", scale=1.0)))
    assert busy == clean  # the same picture: no selection ring, glow, dimming or overview
    assert view.selected_node_ids() == [dense] and scene.highlighted() == conv and scene.overview
    conv_item = scene.nodes[conv]
    assert scene.nodes[dense].opacity() < 1.0 and conv_item.highlighted
    assert conv_item.cacheMode() == conv_item.CacheMode.DeviceCoordinateCache and not conv_item.plain


def test_svg_export_is_vector_with_a_title_and_node_names(tmp_path: Path, view: GraphView) -> None:
    path = export_diagram(view.graph_scene(), tmp_path / "model.svg")
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Layerforge model"
    texts = ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]
    assert "conv2d" in texts and "flatten" in texts and "(None, 26, 26, 8)" in texts
    assert not list(root.iter(f"{SVG}image"))  # real text and shapes, not a pasted bitmap
    assert "?" not in texts  # the help buttons are not part of the diagram


def test_presenter_mode_exports_its_look(tmp_path: Path, view: GraphView) -> None:
    scene = view.graph_scene()
    normal = QImage(str(export_diagram(scene, tmp_path / "normal.png", scale=1.0)))
    scene.set_presenter(True)
    big = QImage(str(export_diagram(scene, tmp_path / "presenter.png", scale=1.0)))
    assert big.width() > normal.width() and big.height() > normal.height()
    assert scene.presenter()


def test_bad_paths_raise_clear_errors(tmp_path: Path, view: GraphView) -> None:
    scene = view.graph_scene()
    target = tmp_path / "model.bmp"
    with pytest.raises(DiagramExportError) as error:
        export_diagram(scene, target)
    assert str(target) in str(error.value) and ".png or .svg" in str(error.value)
    assert not target.exists()
    missing = tmp_path / "no" / "such" / "folder" / "model.png"
    with pytest.raises(DiagramExportError, match="does not exist") as error:
        export_diagram(scene, missing)
    assert str(missing) in str(error.value)
    with pytest.raises(DiagramExportError, match="no file type"):
        export_diagram(scene, tmp_path / "model")
    with pytest.raises(DiagramExportError, match="scale"):
        export_diagram(scene, tmp_path / "model.png", scale=0)


def test_empty_model_is_refused(qtbot, tmp_path: Path) -> None:
    empty = GraphView(Document())
    qtbot.addWidget(empty)
    with pytest.raises(DiagramExportError, match="empty") as error:
        export_diagram(empty.graph_scene(), tmp_path / "empty.svg")
    assert str(tmp_path / "empty.svg") in str(error.value)
    assert not (tmp_path / "empty.svg").exists() and not list(tmp_path.iterdir())
