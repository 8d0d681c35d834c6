"""``layerforge job PROJECT [--dataset NAME|PATH] -o DIR [--force] [--epochs N] [--batch-size B]``.

Writes a self-contained training job (see :mod:`app.keras_bridge.job_folder`): the model with its
current weights (a VAE, GAN or autoencoder recipe: its parts and ``recipe.py``, its training step),
the prepared data, the settings, a readable ``train.py``, a pinned ``requirements.txt`` and a
README with the commands, including the multi-process ones.

Exit codes: 0 written; 1 the model or the data cannot make a job (the reason is printed);
2 the project or dataset cannot be read; 3 the folder cannot be written (not empty without
``--force``, no such parent folder: checked before any work).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.common import EXIT_UNREADABLE, error, load_model_file, printable

EXIT_OK, EXIT_INVALID, EXIT_UNWRITABLE = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Layerforge project (.json) or a Keras model (.keras)")
    parser.add_argument("--dataset", metavar="NAME|PATH",
                        help="a bundled dataset, a .csv / .npz / .npy file or an image folder (default: the "
                             "project's own)")
    parser.add_argument("-o", "--output", metavar="DIR", required=True, help="the job folder to write")
    parser.add_argument("--force", action="store_true", help="replace a folder that is not empty")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs train.py runs (default: the project's)")
    parser.add_argument("--batch-size", type=int, metavar="B", help="global batch size (default: the project's)")


def run(args: argparse.Namespace) -> int:
    from app.keras_bridge.job_folder import output_problem

    problem = output_problem(args.output, args.force)
    if problem:
        error(f"{args.output}: {problem}")
        return EXIT_UNWRITABLE
    loaded = load_model_file(args.project)
    if isinstance(loaded, int):
        return loaded
    project, _imported = loaded
    if args.dataset is not None:
        from app.commands.train import _dataset_ref
        from app.data import DataError

        try:
            project.dataset = _dataset_ref(project, args.dataset)
        except DataError as err:
            error(str(err))
            return EXIT_UNREADABLE
    overrides = {key: value for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size))
                 if value is not None}

    from app.keras_bridge.job_folder import JobError, write_job

    try:
        summary = write_job(project, args.output, base_dir=Path(args.project).resolve().parent, force=args.force,
                            overrides=overrides)
    except JobError as err:
        error(str(err))
        return EXIT_UNWRITABLE if err.unwritable else EXIT_INVALID
    for note in summary.notes:
        print(f"note: {printable(note)}")
    rows = ", ".join(f"{count:,} {name}" for name, count in summary.rows.items())
    files = ", ".join(f"data.npz with {rows} rows" if name == "data.npz" else name for name in summary.files)
    print(f"wrote {printable(str(summary.folder))} ({files})")
    print(f"train it: python {printable(str(summary.folder / 'train.py'))}")
    return EXIT_OK
