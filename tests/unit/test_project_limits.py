"""One size limit for project files, in both directions (issue 11, point 11), and sizes written in one unit
(point 16: "52 MB ... limited to 52 MB")."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.graph import Graph
from app.core.project import MAX_FILE_BYTES, Project, ProjectError, dumps, load_project, save_project
from app.core.userfiles import MIB, mib, sizes
from tests.unit.helpers import chain


def small_project() -> Project:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 3, "activation": "softmax"}))
    return Project(graph=graph, name="limits")


def test_a_project_too_large_to_open_again_is_not_saved(tmp_path: Path) -> None:
    # Before: the 60 MB description was written, and load_project then refused the user's own file.
    target = tmp_path / "p.json"
    save_project(small_project(), target)
    before = target.read_bytes()
    project = small_project()
    project.description = "x" * 60_000_000
    with pytest.raises(ProjectError) as info:
        save_project(project, target)
    message = str(info.value)
    assert "not saved: the project would be a 57 MiB file, but project files are limited to 50 MiB" in message
    assert "the description alone takes 57 MiB" in message and " MB" not in message
    assert target.read_bytes() == before  # the previous file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_whatever_save_writes_load_reads_back_at_the_limit_exactly(tmp_path: Path) -> None:
    project = small_project()
    overhead = len(dumps(project).encode("utf-8"))
    project.description = "d" * (MAX_FILE_BYTES - overhead)
    save_project(project, tmp_path / "edge.json")
    assert (tmp_path / "edge.json").stat().st_size == MAX_FILE_BYTES
    assert load_project(tmp_path / "edge.json").description == project.description
    project.description += "d"
    with pytest.raises(ProjectError, match=r"would be a 50 MiB \(52,428,801 bytes\) file, but project files are "
                                           r"limited to 50 MiB \(52,428,800 bytes\)"):
        save_project(project, tmp_path / "over.json")


def test_loading_states_both_sizes_in_mib(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (MAX_FILE_BYTES + 2 * MIB))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert str(info.value).endswith("the file is 52 MiB; project files are limited to 50 MiB")


def test_sizes_never_read_the_same_when_they_differ() -> None:
    assert mib(50 * MIB) == "50 MiB" and mib(0.25 * MIB) == "0.2 MiB" and mib(800) == "800 bytes"
    assert sizes(61 * MIB, 50 * MIB) == ("61 MiB", "50 MiB")
    assert sizes(50.4 * MIB, 50 * MIB) == ("50.4 MiB", "50.0 MiB")
    assert sizes(50 * MIB + 1, 50 * MIB) == ("50 MiB (52,428,801 bytes)", "50 MiB (52,428,800 bytes)")
