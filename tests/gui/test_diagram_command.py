"""``layerforge diagram``: the canvas' picture of a project or a real ``.keras`` model, headless."""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.core.project import Project, save_project
from app.gui.diagram_command import parse_size
from tests.unit.test_layout import residual_chain


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_size_parsing_refuses_nonsense_with_a_message() -> None:
    assert parse_size("1280x800") == (1280, 800)
    assert parse_size("640X480") == (640, 480)
    for bad in ("1280", "0x10", "axb", "99999x10"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)


def test_the_command_is_registered_with_its_options() -> None:
    args = build_parser().parse_args(["diagram", "model.keras", "-o", "out.png", "--size", "800x600", "--expand"])
    assert (args.file, args.output, args.size, args.expand) == ("model.keras", "out.png", (800, 600), True)


def test_a_keras_applications_model_is_drawn_at_the_requested_size(tmp_path: Path, capsys) -> None:
    import keras

    model = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10)
    source = tmp_path / "mobilenet.keras"
    model.save(source)
    out = tmp_path / "mobilenet.png"
    assert main(["diagram", str(source), "-o", str(out), "--size", "1280x800"]) == 0
    assert png_size(out) == (1280, 800)
    assert "wrote" in capsys.readouterr().out
    svg = tmp_path / "mobilenet.svg"
    assert main(["diagram", str(source), "-o", str(svg), "--size", "640x400", "--expand"]) == 0
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text and 'width="640' in text


def test_a_project_with_a_collapsed_block_draws_its_card(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    graph, triples = residual_chain(3)
    project = Project(graph=graph)
    nodes = [n.id for n in graph.nodes()]
    block = project.blocks.group(nodes[1:4], "first_block")
    project.blocks.set_collapsed(block.id, True)
    path = tmp_path / "res.json"
    save_project(project, path)
    folded, expanded = tmp_path / "folded.png", tmp_path / "expanded.png"
    assert main(["diagram", str(path), "-o", str(folded), "--size", "400x600"]) == 0
    assert main(["diagram", str(path), "-o", str(expanded), "--size", "400x600", "--expand"]) == 0
    assert png_size(folded) == png_size(expanded) == (400, 600)
    assert QImage(str(folded)) != QImage(str(expanded))


def test_bad_input_and_output_are_explained_not_raised(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.json"
    assert main(["diagram", str(missing), "-o", str(tmp_path / "a.png")]) == 2
    assert "error:" in capsys.readouterr().err
    graph, _ = residual_chain(1)
    path = tmp_path / "ok.json"
    save_project(Project(graph=graph), path)
    assert main(["diagram", str(path), "-o", str(tmp_path / "a.jpg")]) == 1
    assert "use .png or .svg" in capsys.readouterr().err
    assert main(["diagram", str(path), "-o", str(tmp_path / "no_folder" / "a.png")]) == 1
    assert "does not exist" in capsys.readouterr().err
