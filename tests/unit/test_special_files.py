"""Named pipes, devices and folders where a file is expected (issue 11, point 12): refused at once with a
message saying what the path is, never waited on or read without end. Real FIFOs, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.userfiles import FileRefused, FileTooLarge, open_regular, read_limited
from app.data import DataError, clear_cache, csvread, dataset_ref_from_text, load_dataset

ROOT = Path(__file__).parents[2]
PROMPTLY = 60
"""Seconds a refused command may take (it starts Python; the old code never returned)."""

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")


def layerforge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=PROMPTLY, stdin=subprocess.DEVNULL)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_check_on_a_fifo_exits_at_once_saying_it_is_a_pipe(tmp_path: Path) -> None:
    fifo(tmp_path / "model.json")
    done = layerforge("check", "model.json", cwd=tmp_path)  # before: blocked until killed
    assert done.returncode == 2
    assert "model.json: cannot read the file: it is a named pipe (FIFO), not an ordinary file" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_on_a_fifo_exits_at_once_and_writes_nothing(tmp_path: Path) -> None:
    fifo(tmp_path / "model.keras")
    done = layerforge("import", "model.keras", "-o", "out.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "model.keras: cannot read the file: it is a named pipe (FIFO)" in done.stderr
    assert not (tmp_path / "out.json").exists() and "Traceback" not in done.stderr


def test_train_with_a_fifo_dataset_exits_at_once(tmp_path: Path) -> None:
    fifo(tmp_path / "data.csv")
    project = tmp_path / "p.json"
    project.write_text((ROOT / "models" / "mlp_tabular.json").read_text(encoding="utf-8"), encoding="utf-8")
    done = layerforge("train", "p.json", "--dataset", "data.csv", "--epochs", "1", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "data.csv: cannot read the file (it is a named pipe (FIFO), not an ordinary file" in done.stderr


def test_a_csv_path_to_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (tmp_path / "zeros.csv").symlink_to("/dev/zero")
    # In a child with a memory cap, so the old code's endless read cannot hurt the test run.
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "from app.data import DataError, load_dataset\n"
            "try:\n"
            "    load_dataset({'name': 'csv', 'path': 'zeros.csv'})\n"
            "except DataError as err:\n"
            "    print(err)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=PROMPTLY)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("zeros.csv: cannot read the file (it is a device (such as /dev/zero), not an "
                                  "ordinary file")


def test_the_data_loaders_refuse_special_files_in_process(tmp_path: Path) -> None:
    clear_cache()
    fifo(tmp_path / "pipe.csv")
    fifo(tmp_path / "pipe.npz")
    ref = dataset_ref_from_text("pipe.csv", tmp_path)  # sniffing the header must not block either
    assert ref["name"] == "csv"
    for name, path in (("csv", "pipe.csv"), ("text_csv", "pipe.csv"), ("npz", "pipe.npz")):
        with pytest.raises(DataError, match="named pipe"):
            load_dataset({"name": name, "path": path}, tmp_path)


def test_reading_stops_at_the_hard_limit_whatever_the_size_said(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "1,2\n" * 1000, encoding="utf-8")
    with open_regular(path) as fh:  # the stream a file that grows while read would give
        limited = csvread._Limited(fh, 100)  # type: ignore[arg-type]
        buffer = bytearray(64)
        assert limited.readinto(memoryview(buffer)) == 64
        with pytest.raises(FileTooLarge, match="CSV files are limited to 100 bytes"):
            limited.readinto(memoryview(buffer))
    monkeypatch.setattr(csvread, "MAX_BYTES", 1000)
    with pytest.raises(DataError, match=r"t\.csv: the file is 4,004 bytes; CSV files are limited to 1,000 bytes"):
        csvread.read_csv(path, "t.csv")


def test_open_regular_and_read_limited(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="it is a folder, not a file"):
        open_regular(tmp_path)
    with pytest.raises(FileRefused, match="named pipe"):
        read_limited(fifo(tmp_path / "p"), 10, "test files")
    (tmp_path / "f").write_bytes(b"12345")
    assert read_limited(tmp_path / "f", 5, "test files") == b"12345"
    with pytest.raises(FileTooLarge, match="the file is 5 bytes; test files are limited to 4 bytes"):
        read_limited(tmp_path / "f", 4, "test files")
