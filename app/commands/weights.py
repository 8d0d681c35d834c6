"""``layerforge weights PROJECT [--load FILE] [--save-project]``.

Without options: which weights the project has, as the editor's status bar says it (initial /
imported / trained in run N / loaded from FILE, and backbones whose weights come from a file).
``--load FILE`` loads a Keras ``.weights.h5``, a ``.keras`` model or a legacy weights-only ``.h5``
into the project's current weights, matched by layer name, and prints the report (what matched,
what did not and why); ``--save-project`` then keeps them: PROJECT.json is saved with
PROJECT.weights.h5 beside it. Without it the project file is never changed, as for ``train``.

Exit codes: 0 done; 1 the model is invalid (problems listed); 2 PROJECT or FILE could not be read
or was refused (no layer matched); 3 the project could not be saved.
"""

from __future__ import annotations

import argparse
import sys

from app.commands.common import EXIT_UNREADABLE, error, load_model_file, printable

EXIT_OK, EXIT_INVALID, EXIT_UNWRITABLE = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Layerforge project (.json) or a Keras model (.keras)")
    parser.add_argument("--load", metavar="FILE",
                        help="load weights from a Keras .weights.h5, a .keras model or a weights-only .h5, "
                             "matched by layer name, into the project's weights, and report what matched")
    parser.add_argument("--save-project", action="store_true",
                        help="after --load, keep the weights in the project: save PROJECT.json with "
                             "PROJECT.weights.h5 beside it (a .json project only)")


def run(args: argparse.Namespace) -> int:
    if args.save_project and not args.load:
        error("--save-project keeps loaded weights: give --load FILE too")
        return EXIT_UNREADABLE
    loaded = load_model_file(args.project)
    if isinstance(loaded, int):
        return loaded
    project, imported = loaded
    if args.save_project and imported:
        error(f"{args.project}: --save-project keeps the weights in a Layerforge project (.json); import the "
              "model first (layerforge import)")
        return EXIT_UNREADABLE

    from app.core.shapes import analyze
    from app.keras_bridge.export import weights_text

    if not args.load:
        print(f"{printable(args.project)}: {printable(weights_text(project))}")
        return EXIT_OK
    analysis = analyze(project.graph)
    if not analysis.valid:
        error(f"the model has {len(analysis.errors)} problem(s); no weights can be loaded into it yet:")
        for problem in analysis.errors:
            print(f"  - {printable(problem.message)}", file=sys.stderr)
        return EXIT_INVALID

    from app.core.project import ProjectError
    from app.keras_bridge.weights_io import WeightsError, load_model_weights, save_project_with_weights, sidecar_path

    try:
        project.weights, report = load_model_weights(project, args.load)
    except WeightsError as err:
        error(str(err))
        return EXIT_UNREADABLE
    print(printable(report.text(limit=50)))
    print(f"weights now: {printable(weights_text(project))}")
    if not args.save_project:
        print("the project file was not changed (add --save-project to keep these weights)")
        return EXIT_OK
    try:
        save_project_with_weights(project, args.project)
    except (ProjectError, OSError) as err:
        error(str(err))
        return EXIT_UNWRITABLE
    print(f"saved {printable(args.project)} with {printable(sidecar_path(args.project).name)}")
    return EXIT_OK
