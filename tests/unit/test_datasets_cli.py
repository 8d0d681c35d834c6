"""``layerforge datasets`` in an 80-column terminal: one line per dataset, details by name, exit 2 for a typo."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import main
from app.commands.datasets import fit, split_title
from app.data import list_datasets


@pytest.fixture
def columns(monkeypatch: pytest.MonkeyPatch) -> int:
    """An 80-column terminal, as a new user's default window is."""
    monkeypatch.setenv("COLUMNS", "80")
    return 80


def test_the_list_is_one_line_per_dataset_within_80_columns(columns: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= columns for line in lines), [line for line in lines if len(line) > columns]
    names = [s.name for s in list_datasets()]
    rows = [line for line in lines if line.split(" ", 1)[0] in names]
    assert [row.split()[0] for row in rows] == names, "each dataset on exactly one line, in order"
    header = next(line for line in lines if line.startswith("name"))
    assert header.split() == ["name", "kind", "size", "summary"]
    mnist = next(row for row in rows if row.startswith("mnist_5k"))
    assert "image" in mnist and "28×28" in mnist and "MNIST digits" in mnist
    assert "layerforge datasets NAME" in out, "the list says how to get the details"


def test_a_wide_terminal_shows_more_of_each_summary(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    main(["datasets"])
    wide = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("iris"))
    monkeypatch.setenv("COLUMNS", "80")
    main(["datasets"])
    narrow = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("iris"))
    assert len(narrow) <= 80 < len(wide) and narrow.endswith("…") and "Fisher's iris measurements" in wide


def test_details_of_one_dataset_are_wrapped_and_complete(columns: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "moons"]) == 0
    out = capsys.readouterr().out
    moons = next(s for s in list_datasets() if s.name == "moons")
    assert all(len(line) <= columns for line in out.splitlines())
    assert out.splitlines()[0] == moons.title
    assert "kind:  points" in out and "task:  classification" in out
    assert " ".join(out.split()).count(" ".join(moons.description.split())) == 1, "the whole description"
    assert "noise = 0.2" in out and "samples = 400" in out
    assert "--dataset moons" in out


def test_details_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "iris", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["name"] == "iris" and record["task"] == "classification" and record["description"]


def test_the_full_list_as_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == [s.name for s in list_datasets()]
    assert set(records[0]) == {"name", "title", "kind", "task", "description", "options"}


def test_an_unknown_name_says_so_suggests_the_closest_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "mnist"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no bundled dataset is called 'mnist'" in captured.err
    assert "Did you mean mnist_5k" in captured.err
    assert "iris" in captured.err, "the known names are listed"


def test_the_exit_status_reaches_the_shell() -> None:
    done = subprocess.run([sys.executable, "-m", "app", "datasets", "no_such_set"], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "80", "PATH": ""})
    assert done.returncode == 2 and "no_such_set" in done.stderr and not done.stdout


def test_titles_split_into_words_and_size() -> None:
    assert split_title("Iris flowers (150 × 4, 3 classes)") == ("Iris flowers", "150 × 4, 3 classes")
    assert split_title("Plain title") == ("Plain title", "")


def test_fit_cuts_at_a_word_and_marks_the_cut() -> None:
    assert fit("short", 10) == "short"
    cut = fit("Fisher's iris measurements (1936): sepal and petal sizes", 30)
    assert len(cut) <= 30 and cut.endswith("…") and not cut.endswith(" …")
    assert cut.startswith("Fisher's iris measurements")
