"""Where Layerforge may write, and how: project paths stay inside the project, temp files are
recognisable and cleaned, outputs are checked before work starts, the metrics log never
empties an older file (issue 11, points 1, 4, 5, 15). No Keras here: these are core rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.atomic import (
    TEMP_MARK,
    atomic_write,
    atomic_write_bytes,
    clean_stale_temps,
    register_temp,
    release_temp,
    writable_problem,
)
from app.core.training_settings import check_settings, checkpoint_path_problem, resolve_in_folder


def _dead_pid() -> int:
    """The id of a process that has ended (and was reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


# --- point 1: a project file chooses names inside its own folder only ----------------------------------

@pytest.mark.parametrize("value", ["/etc/victim.keras", "../victim.keras", "sub/../../victim.keras",
                                   "..\\victim.keras", "C:\\Users\\x\\victim.keras", "C:victim.keras",
                                   "\\\\server\\share\\victim.keras", "~/victim.keras"])
def test_absolute_or_escaping_checkpoint_paths_are_refused_by_the_settings_check(value: str) -> None:
    problems = check_settings({"checkpoint": True, "checkpoint_path": value})
    assert [p.key for p in problems] == ["checkpoint_path"], problems
    message = problems[0].message
    assert "project's folder" in message and "--checkpoint" in message, message


@pytest.mark.parametrize("value", ["", "best.keras", "checkpoints/best.keras", "./a b/best model.keras"])
def test_names_inside_the_project_folder_are_fine(value: str) -> None:
    assert checkpoint_path_problem(value) is None
    assert not check_settings({"checkpoint": True, "checkpoint_path": value})


@pytest.mark.parametrize(("value", "words"), [("best.h5", "ending in .keras"), ("dir/", "ending in .keras"),
                                              ("be\x1bst.keras", "control characters"), (3, "file name")])
def test_other_bad_checkpoint_names_say_what_is_wrong(value: object, words: str) -> None:
    problem = checkpoint_path_problem(value)
    assert problem is not None and words in problem


def test_resolving_refuses_a_link_that_leads_out_of_the_folder(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "out").symlink_to(elsewhere, target_is_directory=True)
    (project / "sub").mkdir()
    assert resolve_in_folder(project, "sub/best.keras") == (project / "sub" / "best.keras").resolve()
    with pytest.raises(ValueError, match="leads out of the project's folder"):
        resolve_in_folder(project, "out/best.keras")
    with pytest.raises(ValueError, match="not inside the project's folder"):
        resolve_in_folder(project, str(elsewhere / "best.keras"))


# --- point 15: recognisable temp names, stale ones cleaned on the next write -----------------------------

def test_atomic_writes_use_a_recognisable_temp_name_with_the_writer_pid(tmp_path: Path) -> None:
    names: list[str] = []

    def write(tmp: Path) -> None:
        names.append(tmp.name)
        tmp.write_bytes(b"new")

    atomic_write(tmp_path / "model.keras", write, ".keras")
    assert re.fullmatch(rf"\.model\.keras\.layerforge-tmp-{os.getpid()}-[0-9a-f]{{12}}\.keras", names[0]), names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_the_next_write_removes_temp_files_of_dead_writers_only(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()
    stale = tmp_path / f".model.keras{TEMP_MARK}{dead}-0123456789ab.keras"
    other_stale = tmp_path / f".project.json{TEMP_MARK}{dead}-0123456789ab"
    live = tmp_path / f".model.keras{TEMP_MARK}{alive}-0123456789ab.keras"
    mine_idle = tmp_path / f".model.keras{TEMP_MARK}{os.getpid()}-0123456789ab.keras"
    mine_busy = tmp_path / f".model.keras{TEMP_MARK}{os.getpid()}-ba9876543210.keras"
    legacy_old = tmp_path / ".model.keras.0123456789ab.tmp.keras"
    legacy_new = tmp_path / ".model.keras.ba9876543210.tmp.keras"
    unrelated = [tmp_path / ".hidden", tmp_path / "notes.tmp", tmp_path / f".x{TEMP_MARK}12-zz"]
    for path in (stale, other_stale, live, mine_idle, mine_busy, legacy_old, legacy_new, *unrelated):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 2 * 3600
    os.utime(legacy_old, (hour_ago, hour_ago))
    register_temp(mine_busy)
    try:
        atomic_write_bytes(tmp_path / "model.keras", b"whole")
    finally:
        release_temp(mine_busy)
    left = {p.name for p in tmp_path.iterdir()}
    assert {stale.name, other_stale.name, mine_idle.name, legacy_old.name}.isdisjoint(left), left
    assert {live.name, mine_busy.name, legacy_new.name, "model.keras", *(p.name for p in unrelated)} <= left
    assert (tmp_path / "model.keras").read_bytes() == b"whole"


def test_cleaning_never_follows_or_removes_links(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / f".model.keras{TEMP_MARK}{_dead_pid()}-0123456789ab.keras"
    link.symlink_to(victim)
    assert clean_stale_temps(tmp_path, "model.keras") == []
    assert link.is_symlink() and victim.read_text() == "keep"


# --- point 5: outputs are checked before any work ---------------------------------------------------------

def test_writable_problem_names_each_way_an_output_cannot_be_written(tmp_path: Path) -> None:
    assert writable_problem(tmp_path / "model.keras") is None
    assert "does not exist" in (writable_problem(tmp_path / "missing" / "model.keras") or "")
    (tmp_path / "file").write_text("x")
    assert "not a folder" in (writable_problem(tmp_path / "file" / "model.keras") or "")
    (tmp_path / "folder.keras").mkdir()
    assert "a folder, not a file" in (writable_problem(tmp_path / "folder.keras") or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.keras"], "the probe file is removed"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_writable_problem_sees_a_read_only_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "cannot write in the folder" in (writable_problem(locked / "model.keras") or "")
    finally:
        locked.chmod(0o700)


# --- point 4: --log replaces an older file only with a complete row -----------------------------------------

def test_the_metrics_log_keeps_the_old_file_until_a_whole_row_exists(tmp_path: Path) -> None:
    from app.commands.train import _MetricsLog

    path = tmp_path / "metrics.csv"
    path.write_text("the user's older log\n")
    log = _MetricsLog(path)
    assert path.read_text() == "the user's older log\n", "opening the log must not empty the old file"
    log.write(1, {"loss": 0.5, "accuracy": 0.75})
    assert path.read_text().splitlines() == ["epoch,loss,accuracy", "1,0.5,0.75"]
    log.write(2, {"loss": 0.25, "accuracy": 0.875})
    assert path.read_text().splitlines()[-1] == "2,0.25,0.875"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_a_metrics_log_that_cannot_be_written_is_reported_not_raised(tmp_path: Path) -> None:
    from app.commands.train import _MetricsLog

    log = _MetricsLog(tmp_path / "gone" / "metrics.csv")
    log.write(1, {"loss": 0.5})
    assert log.failure is not None and "could not be written" in log.failure
