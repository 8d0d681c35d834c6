"""``layerforge diagram FILE -o OUT.png|OUT.svg [--size 1280x800] [--expand]``: the canvas' own
picture of a project or a ``.keras`` model, drawn headlessly (offscreen Qt), for slides, docs
and for checking that a model reads well at "fit all".

By default the top-level view is drawn (collapsed blocks are one card each), fitted into a
picture of exactly ``--size`` pixels, as a window of that size shows it after "fit all";
``--expand`` opens every block first. A ``.keras`` model is imported and laid out as the
editor does on opening it; a project keeps the positions it was saved with (re-laid out only
with ``--expand``, whose open blocks need room).

It lives in ``app.gui`` (not ``app.commands``) because it draws with the editor's scene;
importing this module stays light (no Qt, no Keras) so ``layerforge --help`` stays fast.

Exit codes: 0 written, 1 the picture could not be written, 2 the input could not be read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

EXIT_WRITTEN, EXIT_NOT_WRITTEN, EXIT_UNREADABLE = 0, 1, 2
DEFAULT_SIZE = (1280, 800)
KERAS_INPUTS = frozenset({".keras", ".h5", ".hdf5"})


def parse_size(text: str) -> tuple[int, int]:
    """``1280x800`` -> (1280, 800); argparse shows the message of a bad one."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size; write WIDTHxHEIGHT in pixels, e.g. 1280x800")
    width, height = int(match[1]), int(match[2])
    if not (16 <= width <= 16_384 and 16 <= height <= 16_384):
        raise argparse.ArgumentTypeError(f"{width}x{height}: each side must be 16 to 16384 pixels")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a Layerforge project (.json) or a Keras model (.keras)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the picture to write: .png (raster) or .svg (vector)")
    parser.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, metavar="WxH",
                        help="picture size in pixels, the model fitted into it (default 1280x800)")
    parser.add_argument("--expand", action="store_true",
                        help="open every block: draw each layer instead of the top-level view")


def run(args: argparse.Namespace) -> int:
    from app.core.terminal_text import terminal_safe

    output = Path(args.output)
    if output.suffix.lower() not in (".png", ".svg"):
        shown = f"'{output.suffix}'" if output.suffix else "no file type"
        print(f"error: {terminal_safe(str(output))}: {shown} is not a picture format; use .png or .svg",
              file=sys.stderr)
        return EXIT_NOT_WRITTEN
    loaded = _load(args.file)
    if isinstance(loaded, int):
        return loaded
    project, imported = loaded
    try:
        written = draw(project, output, size=args.size, expand=args.expand, relayout=imported or args.expand)
    except Exception as err:  # DiagramExportError names the path; anything else must not be a traceback
        from app.gui.editor.diagram_export import DiagramExportError

        text = str(err) if isinstance(err, DiagramExportError) else \
            f"Cannot draw {args.file}: {type(err).__name__}: {err}"
        print(f"error: {terminal_safe(text)}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    print(f"wrote {terminal_safe(str(written))} ({args.size[0]} x {args.size[1]})")
    return EXIT_WRITTEN


def _load(path: str) -> tuple[Any, bool] | int:
    """(project, imported) or an exit code after printing why the input cannot be used."""
    from app.core.terminal_text import terminal_safe

    def fail(message: str) -> int:
        print(f"error: {terminal_safe(message)}", file=sys.stderr)
        return EXIT_UNREADABLE

    if Path(path).suffix.lower() in KERAS_INPUTS:
        from app.keras_bridge.importer import ImportRefused, import_keras

        try:
            project, notes = import_keras(path)
        except (ImportRefused, OSError) as err:
            return fail(str(err) if path in str(err) else f"{path}: {err}")
        except Exception as err:  # an importer bug must still not show users a traceback
            return fail(f"{path}: the import failed unexpectedly ({type(err).__name__}: {err})")
        for note in notes:
            print(f"note: {terminal_safe(str(note))}", file=sys.stderr)
        return project, True
    from app.core.project import ProjectError, load_project

    try:
        return load_project(path), False
    except ProjectError as err:
        return fail(str(err))


def draw(project: Any, output: Path, *, size: tuple[int, int] = DEFAULT_SIZE, expand: bool = False,
         relayout: bool = True) -> Path:
    """Draw ``project`` as the canvas does into ``output`` (exactly ``size`` pixels, fitted).
    Needs no display: Qt runs offscreen unless a platform was chosen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.core.layout import apply_view_layout
    from app.gui.document import Document
    from app.gui.editor.block_item import BlockLayer
    from app.gui.editor.diagram_export import export_diagram
    from app.gui.editor.scene import GraphScene

    app = QApplication.instance() or QApplication(["layerforge-diagram"])
    graph, tree = project.graph, project.blocks
    if expand:
        for block in tree.blocks():
            tree.set_collapsed(block.id, False)
    if relayout:
        apply_view_layout(graph, tree)
    document = Document(project)
    scene = GraphScene(document)
    blocks = BlockLayer(scene)
    try:
        blocks.refresh()
        return export_diagram(scene, output, size=size)
    finally:
        blocks.detach()
        scene.detach()
        scene.deleteLater()
        document.deleteLater()
        app.processEvents()
