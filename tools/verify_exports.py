"""Export every example in ``models/`` to every format and measure how far each artifact is from Keras.

For each ``models/*.json`` the project is opened with the weights it has (backbone weight files
included); when it keeps none, the weights of the model as built now are given to it, so every
format carries the same numbers. Then it is written as a ``.keras`` file, as a Python script
(with its ``.weights.h5``), as a SavedModel, a TFLite model and an ONNX model, each artifact is
run on the same random batch (:func:`app.keras_bridge.deploy.sample`), and the largest absolute
difference from Keras' own outputs is recorded, or the message a user would get when an export
is refused. A recipe project (autoencoder, VAE, GAN) exports the graph of all its parts as one
model; the Python script also rebuilds the parts and the recipe's training step.

Each example runs in a child process of its own, one after the other (a converter that crashes
or leaks takes only its own example with it). Run it niced on a shared machine::

    nice -n 10 .venv/bin/python tools/verify_exports.py            # all examples
    nice -n 10 .venv/bin/python tools/verify_exports.py lenet_mnist  # some of them

The markdown table goes to ``docs/export_verification.md`` (only when every example ran) and to
the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import runpy
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODELS = ROOT / "models"
REPORT = ROOT / "docs" / "export_verification.md"
FORMATS = ("keras", "python", "saved_model", "tflite", "onnx")
TITLES = {"keras": ".keras", "python": "Python", "saved_model": "SavedModel", "tflite": "TFLite", "onnx": "ONNX"}
CHILD_TIMEOUT_S = 900


@dataclass
class Cell:
    """One example in one format: the measured difference, or why there is none."""

    format: str
    diff: float | None = None
    tolerance: float | None = None
    note: str = ""
    """What the artifact gave up to convert (TFLite's fixed batch of 1), in words."""
    reason: str = ""
    """Why there is no artifact: the message the user would see."""
    ours: bool = False
    """True when the reason is an unexpected exception (a bug of ours), not a refusal."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.diff is not None and self.tolerance is not None and self.diff <= self.tolerance


@dataclass
class Example:
    name: str
    recipe: str = ""
    exported: str = ""
    weights: str = ""
    cells: list[Cell] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


# --- one example (the child process) -------------------------------------------------------------


def verify_example(path: Path, formats: tuple[str, ...] = FORMATS) -> Example:
    """Every format of one example, measured; never raises for a refused export."""
    from app.core.weights import WeightsSource
    from app.keras_bridge.deploy import sample
    from app.keras_bridge.export import model_with_weights, weights_text
    from app.keras_bridge.weights_io import extract_weights, open_project

    started = time.perf_counter()
    example = Example(path.stem)
    project, _notes = open_project(path)
    model, _build_notes = model_with_weights(project)
    example.weights = weights_text(project)
    pretrained = (project.training or {}).get("pretrained_weights")
    if pretrained:
        example.weights += (f" (its training setting pretrained_weights, {pretrained}, is loaded when training "
                            f"starts; an export writes the weights the project has)")
    if not project.weights:  # the weights of this build, so the script's .weights.h5 carries them too
        project.weights = extract_weights(model, project.graph, WeightsSource())
    example.recipe, example.exported = what_is_exported(project, model)
    xs, expected = sample(model)
    with tempfile.TemporaryDirectory(prefix="layerforge-verify-") as scratch:
        for fmt in formats:
            tick = time.perf_counter()
            cell = _measure(fmt, project, model, xs, expected, Path(scratch))
            cell.seconds = time.perf_counter() - tick
            example.cells.append(cell)
    example.seconds = time.perf_counter() - started
    return example


def what_is_exported(project: Any, model: Any) -> tuple[str, str]:
    """(the recipe or "", the model the artifacts hold in words: its inputs and outputs, a recipe's parts)."""
    from app.core.recipes import plan_recipe

    def shapes(tensors: Any) -> str:
        return ", ".join(f"{_layer_name(t)} {tuple(t.shape)}" for t in tensors)

    text = f"inputs {shapes(model.inputs)} → outputs {shapes(model.outputs)}"
    plan = plan_recipe(project.graph, project.training or {})
    if plan is None:
        return "", text
    return plan.recipe, (f"{plan.describe()}. The deployable formats hold all parts as one model ({text}); the Python "
            f"script rebuilds each part and the recipe's train_step, and is compared through the model of all "
            f"parts it loads the weights into")


def _layer_name(tensor: Any) -> str:
    """The name of the layer that made ``tensor`` (Keras names the tensors themselves keras_tensor_N)."""
    history = getattr(tensor, "_keras_history", None)
    return str(getattr(getattr(history, "operation", None), "name", None) or getattr(tensor, "name", "?"))


def _measure(fmt: str, project: Any, model: Any, xs: list[Any], expected: list[Any], scratch: Path) -> Cell:
    from app.core.codegen import CodegenError
    from app.keras_bridge.compile import CompileError
    from app.keras_bridge.deploy import EXPORTERS, DeployError, tolerance_for
    from app.keras_bridge.export import ExportError

    cell = Cell(fmt, tolerance=tolerance_for(expected))
    try:
        if fmt in EXPORTERS:
            target = scratch / {"saved_model": "saved_model", "tflite": "model.tflite", "onnx": "model.onnx"}[fmt]
            verified = EXPORTERS[fmt](model, target)
            cell.diff, cell.tolerance, cell.note = verified.max_abs_diff, verified.tolerance, verified.note
        elif fmt == "keras":
            cell.diff = _keras_file_diff(project, model, xs, expected, scratch / "model.keras")
        else:
            cell.diff = _python_diff(project, xs, expected, scratch / "model_script.py")
    except DeployError as err:
        cell.reason = str(err)
    except (CodegenError, CompileError, ExportError) as err:
        cell.reason = str(err)
    except Exception as err:  # recorded as ours, with its type, so the table shows it
        cell.reason, cell.ours = f"{type(err).__name__}: {err}", True
    return cell


def _keras_file_diff(project: Any, model: Any, xs: list[Any], expected: list[Any], target: Path) -> float:
    """Written as ``layerforge export --keras`` writes it, loaded back in safe mode, and run."""
    import keras

    from app.keras_bridge.deploy import flat_outputs, max_abs_difference
    from app.keras_bridge.export import export_keras

    export_keras(project, target, model=model)
    loaded = keras.saving.load_model(os.fspath(target), safe_mode=True, compile=False)
    return max_abs_difference(expected, flat_outputs(loaded(xs if len(xs) > 1 else xs[0], training=False)),
                              ".keras")


def _python_diff(project: Any, xs: list[Any], expected: list[Any], script: Path) -> float:
    """Written as ``layerforge export --python`` writes it (script and weights), run as a module (its
    ``__main__`` block stays off), and the model it loaded the weights into is called."""
    from app.keras_bridge.deploy import flat_outputs, max_abs_difference
    from app.keras_bridge.export import export_python

    export_python(project, script)
    source = script.read_text(encoding="utf-8")
    loaded_into = re.findall(r"^\s*(\w+)\.load_weights\(str\(WEIGHTS_FILE\)\)", source, re.M)
    if not loaded_into:
        raise RuntimeError("the script loads no weights file")
    namespace = runpy.run_path(os.fspath(script))
    built = namespace[loaded_into[-1]]
    return max_abs_difference(expected, flat_outputs(built(xs if len(xs) > 1 else xs[0], training=False)), "Python")


# --- every example (the parent process) ---------------------------------------------------------


def run_child(path: Path, formats: tuple[str, ...]) -> Example:
    """:func:`verify_example` in a fresh Python process; a crash or a timeout is recorded, not raised."""
    with tempfile.TemporaryDirectory(prefix="layerforge-verify-out-") as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, os.fspath(Path(__file__).resolve()), "--child", os.fspath(path), "--json",
                   os.fspath(out), "--formats", ",".join(formats)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env,
                                  check=False)
        except subprocess.TimeoutExpired:
            return Example(path.stem, error=f"did not finish in {CHILD_TIMEOUT_S} s",
                           seconds=time.perf_counter() - started)
        if done.returncode != 0 or not out.is_file():
            tail = [line for line in done.stderr.splitlines() if line.strip()][-3:]
            return Example(path.stem, error=f"exit code {done.returncode}: " + " | ".join(tail),
                           seconds=time.perf_counter() - started)
        data = json.loads(out.read_text(encoding="utf-8"))
    cells = [Cell(**cell) for cell in data.pop("cells")]
    return Example(**data, cells=cells)


def diff_text(cell: Cell) -> str:
    if cell.diff is None:
        return "—"
    return "0" if cell.diff == 0 else f"{cell.diff:.1e}"


def markdown(examples: list[Example], versions: str, formats: tuple[str, ...] = FORMATS) -> str:
    """The table (example × format), then every refusal, note and recipe in words."""
    lines = [
        "# Export verification: every example in every format",
        "",
        f"Written by `tools/verify_exports.py` on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} ({versions}).",
        "Each cell is the largest absolute difference between the artifact's outputs and Keras' outputs on the",
        "same random batch of 4 (floats in [0, 1), token ids 0 or 1), with the project's current weights (the",
        "examples keep none, so the weights of the model as built, and a backbone's weights file where it has",
        "one). The exported file is the one `layerforge export` writes, run by its own runtime: the `.keras` file",
        "loaded back in safe mode, the Python script run (with its `.weights.h5`), the SavedModel's `serve`",
        "endpoint, the TFLite interpreter, onnxruntime. An artifact passes at ≤ 1e-4 + 1e-4 × the largest Keras",
        "output (the deployable formats refuse to write one that does not). ✗ marks a refusal (numbered, below).",
        "",
        "| Example | " + " | ".join(TITLES[f] for f in formats) + " | s |",
        "|---|" + "---:|" * len(formats) + "---:|",
    ]
    reasons: list[str] = []
    notes: list[str] = []
    for example in examples:
        if example.error:
            lines.append(f"| {example.name} | " + " | ".join("error" for _ in formats) + f" | {example.seconds:.0f} |")
            reasons.append(f"{example.name}: the verification itself failed ({example.error})")
            continue
        cells = []
        for cell in example.cells:
            if cell.reason:
                reasons.append(f"{example.name}, {TITLES[cell.format]}: {cell.reason}"
                               + (" **(an unexpected error: a bug of ours)**" if cell.ours else ""))
                cells.append(f"✗ ({len(reasons)})")
            else:
                mark = "" if cell.passed else " **over tolerance**"
                if cell.note:
                    notes.append(f"{example.name}, {TITLES[cell.format]}: {cell.note}")
                    mark += f" [n{len(notes)}]"
                cells.append(diff_text(cell) + mark)
        lines.append(f"| {example.name} | " + " | ".join(cells) + f" | {example.seconds:.0f} |")
    lines += ["", "The last column is the seconds one example took for all its formats (converters included)."]
    if reasons:
        lines += ["", "## Why an export was refused", "", "The message `layerforge export` prints:", ""]
        lines += [f"{number}. {text}" for number, text in enumerate(reasons, 1)]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- n{number}. {text}" for number, text in enumerate(notes, 1)]
    lines += ["", "## What each example exports", ""]
    for example in examples:
        if not example.error:
            recipe = f" ({example.recipe} recipe)" if example.recipe else ""
            lines.append(f"- **{example.name}**{recipe}: {example.exported}; weights: {example.weights}.")
    return "\n".join(lines) + "\n"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for names in (("keras",), ("tensorflow", "tensorflow-cpu"), ("tf2onnx",), ("onnxruntime",)):
        for package in names:
            try:
                found.append(f"{names[0]} {version(package)}")
                break
            except PackageNotFoundError:
                continue
        else:
            found.append(f"{names[0]} missing")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("examples", nargs="*", help="example names (default: every models/*.json)")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}")
    parser.add_argument("--child", metavar="PROJECT", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help=f"print the table only (not {REPORT.name})")
    args = parser.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        parser.error(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    if args.child:
        example = verify_example(Path(args.child), formats)
        Path(args.json).write_text(json.dumps(asdict(example)), encoding="utf-8")
        return 0
    paths = sorted(MODELS.glob("*.json"))
    if args.examples:
        missing = [name for name in args.examples if not (MODELS / f"{name}.json").is_file()]
        if missing:
            parser.error(f"no example {missing[0]!r} in {MODELS}")
        paths = [MODELS / f"{name}.json" for name in args.examples]
    examples = []
    for path in paths:
        print(f"{path.stem} ...", file=sys.stderr, flush=True)
        examples.append(run_child(path, formats))
    table = markdown(examples, versions(), formats)
    print(table)
    if not args.examples and not args.no_write and formats == FORMATS:
        from app.core.atomic import atomic_write

        atomic_write(REPORT, lambda tmp: tmp.write_text(table, encoding="utf-8"), ".md")
        print(f"wrote {REPORT.relative_to(ROOT)}", file=sys.stderr)
    return 0 if all(not e.error and all(c.passed or (c.reason and not c.ours) for c in e.cells)
                    for e in examples) else 1


if __name__ == "__main__":
    sys.exit(main())
