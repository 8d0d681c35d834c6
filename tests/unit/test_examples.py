"""Every example in models/ loads, is valid, has a description, and is up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.core.project import load_project
from app.core.shapes import analyze
from tools.build_examples import EXAMPLES, render

MODELS = Path(__file__).resolve().parents[2] / "models"
FILES = sorted(MODELS.glob("*.json"))


def test_every_family_the_course_teaches_has_an_example() -> None:
    assert {p.stem for p in FILES} == set(EXAMPLES)
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_layerforge_check_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(path)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_example_is_documented_and_warning_free(path: Path) -> None:
    project = load_project(path)
    assert len(project.description.split()) >= 40, "a teacher needs a description to read aloud"
    assert project.dataset, "every example names the dataset it trains on"
    assert analyze(project.graph).problems == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_committed_file_matches_its_definition(name: str) -> None:
    """Run `python tools/build_examples.py` when this fails."""
    assert (MODELS / f"{name}.json").read_text(encoding="utf-8") == render(name)
