"""Check that every example's job folder trains in a fresh virtualenv made from its own requirements.txt.

For each ``models/*.json``: ``layerforge job EXAMPLE -o WORK/EXAMPLE/job`` (the project's own
dataset), ``python -m venv`` + ``pip install -r job/requirements.txt`` (pip's cache may serve the
wheels; the install is timed), then ``python job/train.py --epochs 1 --out model.keras --metrics
metrics.jsonl`` with that venv's Python, and finally, in the same venv, ``keras.saving.load_model``
of every model file train.py wrote. One example after another (the machine is shared), under
``nice``. The results go to ``docs/job_verification.md`` as a markdown table, and to the terminal.

    .venv/bin/python tools/verify_job_folders.py [--steps 30] [--only vae_mnist dcgan_mnist] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.atomic import atomic_write_bytes  # noqa: E402 (the repository root goes on the path first)
from app.core.terminal_text import terminal_safe  # noqa: E402

MODELS = ROOT / "models"
REPORT = ROOT / "docs" / "job_verification.md"
TRAIN_TIMEOUT_S = 1800
INSTALL_TIMEOUT_S = 1800
LOAD_CHECK = """
import sys
import keras
import numpy as np

for trained, start in zip(sys.argv[1::2], sys.argv[2::2]):
    model = keras.saving.load_model(trained)
    before = keras.saving.load_model(start).get_weights() if start != "-" else None
    changed = before is None or any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    print(f"{trained}: loads, {model.count_params()} parameters, weights {'changed' if changed else 'UNCHANGED'}")
    if not changed:
        sys.exit(3)
"""


@dataclass
class Result:
    example: str
    job: str = "-"
    install_s: float | None = None
    train_s: float | None = None
    exit_status: int | None = None
    loss: str = "-"
    loads: str = "-"
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.job == "written" and self.exit_status == 0 and self.loads == "yes"


def run(command: list[str], cwd: Path, log: Path, timeout: float) -> tuple[int, float]:
    """(exit status, seconds); stdout and stderr go to ``log``. A timeout is status 124."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    env.pop("KERAS_BACKEND", None)  # the job's default backend, as a user would run it
    env.pop("VIRTUAL_ENV", None)
    started = time.perf_counter()
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        try:
            code = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            code = 124
    return code, time.perf_counter() - started


def tail(log: Path, lines: int = 1) -> str:
    text = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return " / ".join(text[-lines:])[-300:]


def last_loss(metrics: Path) -> str:
    """The last epoch's training loss (a GAN's d_loss and g_loss) from train.py's metrics.jsonl."""
    if not metrics.is_file():
        return "-"
    epochs = []
    for line in metrics.read_text().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("event") == "epoch":
                epochs.append(record["logs"])
    if not epochs:
        return "-"
    logs = epochs[-1]
    keys = ["loss"] if "loss" in logs else sorted(k for k in logs if k.endswith("loss") and not k.startswith("val_"))
    return ", ".join(f"{k} {logs[k]:.4f}" if len(keys) > 1 else f"{logs[k]:.4f}" for k in keys) or "-"


def verify(example: Path, work: Path, steps: int) -> Result:
    result = Result(example.stem)
    folder = work / example.stem
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "log.txt"
    job = folder / "job"
    code, _ = run([sys.executable, "-m", "app.cli", "job", str(example), "-o", str(job)], ROOT, log, 600)
    if code != 0:
        result.job, result.note = f"refused ({code})", tail(log, 2)
        return result
    result.job = "written"
    venv = folder / "venv"
    code, seconds = run([sys.executable, "-m", "venv", str(venv)], folder, log, 300)
    if code == 0:
        code, install = run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(job / "requirements.txt")],
                            folder, log, INSTALL_TIMEOUT_S)
        seconds += install
    result.install_s = seconds
    if code != 0:
        result.note = f"install failed ({code}): {tail(log, 2)}"
        return result
    python = str(venv / "bin" / "python")
    command = [python, "job/train.py", "--epochs", "1", "--out", "model.keras", "--metrics", "metrics.jsonl"]
    if steps:
        command += ["--steps-per-epoch", str(steps)]
    code, result.train_s = run(command, folder, log, TRAIN_TIMEOUT_S)
    result.exit_status = code
    result.loss = last_loss(folder / "metrics.jsonl")
    if code != 0:
        result.note = tail(log, 2)
        return result
    trained = sorted(folder.glob("model*.keras"))
    pairs: list[str] = []
    for path in trained:
        start = job / path.name
        pairs += [str(path), str(start) if start.is_file() else "-"]
    if not trained:
        result.loads, result.note = "no", "train.py wrote no model file"
        return result
    code, _ = run([python, "-c", LOAD_CHECK, *pairs], folder, log, 600)
    result.loads = "yes" if code == 0 else "no"
    names = ", ".join(p.name for p in trained)
    result.note = names if code == 0 else f"{names}: {tail(log, 2)}"
    return result


def seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[Result], steps: int) -> str:
    from importlib.metadata import version

    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    installs = [r.install_s for r in results if r.install_s is not None]
    lines = [
        "# Job folders, each trained in a fresh virtualenv",
        "",
        f"Written by `tools/verify_job_folders.py` on {when}: for every `models/*.json`, `layerforge job`",
        "with the project's own dataset, a new `python -m venv` with `pip install -r requirements.txt`",
        "(wheels from pip's local cache; timed), then `python train.py --epochs 1 --out model.keras",
        f"--metrics metrics.jsonl{f' --steps-per-epoch {steps}' if steps else ''}` with that venv's Python,",
        "and `keras.saving.load_model` of what it wrote (in the same venv; its weights must differ from the",
        "job's starting model). A recipe (VAE, GAN, autoencoder) writes one file per part. The two transfer",
        "examples then fine-tune for their project's fine_tune_epochs (mobilenet_transfer 5, transfer_digits 2).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared), Python {platform.python_version()},",
        f"Keras {version('keras')}, TensorFlow backend (the job's default), run under `nice`.",
        "",
        "| example | job | install s | train s | exit | last loss | loads | files / note |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for r in results:
        note = r.note.replace("|", "\\|")
        lines.append(f"| {r.example} | {r.job} | {seconds_text(r.install_s)} | {seconds_text(r.train_s)} | "
                     f"{'-' if r.exit_status is None else r.exit_status} | {r.loss} | {r.loads} | {note} |")
    passed = sum(r.ok for r in results)
    lines += ["", f"{passed} of {len(results)} examples trained and loaded back."]
    if installs:
        lines.append(f"Install time (venv + pip): {min(installs):.0f}-{max(installs):.0f} s, median "
                     f"{sorted(installs)[len(installs) // 2]:.0f} s.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", metavar="NAME", help="these examples only (file stems)")
    parser.add_argument("--steps", type=int, default=30,
                        help="--steps-per-epoch for train.py (0: whole epochs; default 30)")
    parser.add_argument("--keep", metavar="DIR", help="work here and keep the folders (default: a temp folder)")
    parser.add_argument("--keep-venvs", action="store_true", help="keep each example's virtualenv (about 2 GB each)")
    parser.add_argument("--report", default=str(REPORT), help="the markdown file to write ('' for none)")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(10)  # everything below (pip, train.py) inherits it
    examples = sorted(MODELS.glob("*.json"))
    if args.only:
        examples = [e for e in examples if e.stem in set(args.only)]
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        work = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        for example in examples:
            result = verify(example, work, args.steps)
            if not args.keep_venvs:
                shutil.rmtree(work / example.stem / "venv", ignore_errors=True)  # about 2 GB each
            results.append(result)
            print(terminal_safe(f"{result.example}: job {result.job}, install {seconds_text(result.install_s)} s, "
                                f"train {seconds_text(result.train_s)} s, exit {result.exit_status}, "
                                f"loss {result.loss}, loads {result.loads} {result.note}"), flush=True)
    text = table(results, args.steps)
    print(terminal_safe(text, keep_newlines=True))
    if args.report:
        atomic_write_bytes(args.report, text.encode("utf-8"))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
