"""User strings never reach a terminal raw (issue 11, point 10), and the CLI's own text (16).

Before: ``check`` printed a layer named ``'\\u202edense\\x1b]0;pwn\\x07\\x1b[31m'`` as is in its
table, its problem list and its fix line (an OSC that retitles the window, a colour change,
a bidi override), and ``import`` did the same with the model's name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.core.project import Project, save_project
from app.core.terminal_text import terminal_safe
from tests.unit.helpers import mlp

HOSTILE = "\u202edense\x1b]0;pwn\x07\x1b[31m"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
"""Characters that must never be printed raw (newline aside: the program's own line breaks)."""


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("\x9b2J", "\\x9b2J"),
    ("\u202eabc", "\\u202eabc"),
    ("\u2066x\u2069", "\\u2066x\\u2069"),
    ("a\u200bb", "a\\u200bb"),
    ("a\rb", "a\\rb"),
    ("a\nb", "a\\nb"),
    ("a\u2028b", "a\\u2028b"),
    ("tab\there", "tab\\there"),
    ("\U000e0041", "\\U000e0041"),
])
def test_controls_are_escaped_like_repr(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


@pytest.mark.parametrize("text", ["dense 1", "é", "中文", "naïve_Ünïcode", "a[b]", "emoji 🙂", ""])
def test_printable_text_is_unchanged(text: str) -> None:
    assert terminal_safe(text) == text


def test_program_line_breaks_can_be_kept() -> None:
    assert terminal_safe("line 1\nline \x1b2", keep_newlines=True) == "line 1\nline \\x1b2"


def _hostile_project(tmp_path: Path) -> Path:
    graph, (_i, hidden, _o) = mlp()
    graph.rename(hidden.id, HOSTILE)
    path = tmp_path / "hostile.json"
    save_project(Project(graph=graph, name="model\x1b[2J"), path)
    return path


def test_check_table_problems_and_fixes_print_no_control_characters(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_hostile_project(tmp_path))]) == 0  # a valid name, with a warning
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert not RAW.search(out), RAW.findall(out)
    assert "\\u202edense\\x1b]0;pwn\\x07\\x1b[31m" in out  # in the table, the warning and the fix
    assert 'Model "model\\x1b[2J"' in out


def test_check_json_stays_json_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(_hostile_project(tmp_path)), "--json"])
    out = capsys.readouterr().out
    assert not RAW.search(out.replace("\n", ""))
    assert HOSTILE in [n["name"] for n in json.loads(out)["nodes"]]


def test_check_error_for_an_unreadable_file_escapes_the_path(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "no\x1b[31msuch.json")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31m" in err


def test_rich_emoji_codes_in_names_are_printed_as_written(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.rename(hidden.id, "a:fire:b")
    path = tmp_path / "emoji.json"
    save_project(Project(graph=graph, name="m"), path)
    main(["check", str(path)])
    assert "a:fire:b" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["check", "import", "export", "train", "datasets"])
def test_each_sub_command_usage_starts_with_its_own_name(command: str) -> None:
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    usage = sub.format_usage()
    assert usage.startswith(f"usage: layerforge {command} "), usage
    assert "[FILE]" not in usage and "COMMAND" not in usage


def test_an_unknown_file_argument_is_echoed_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no\x1b[31mfile"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "'no\\x1b[31mfile' is neither a file nor a command" in err


def test_tensorflow_start_up_lines_are_dropped_and_other_native_output_kept() -> None:
    """What TensorFlow 2.21's native modules write to file descriptor 2 while they load (where
    TF_CPP_MIN_LOG_LEVEL does not reach), imitated with os.write in a fresh process."""
    import os
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from app.cli import run_quietly\n"
        "def load():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() '\n"
        "             b'is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1 port.cc:153] oneDNN custom operations are on. You may see ...\\n')\n"
        "    os.write(2, b'real problem: libcuda not found\\n')\n"
        "    return 7\n"
        "assert run_quietly(load) == 7\n"
        "print('after', file=sys.stderr)\n")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=repo,
                          env={**os.environ, "PYTHONPATH": str(repo)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["real problem: libcuda not found", "after"]


def test_the_cli_wraps_only_tensorflow_native_modules() -> None:
    import importlib.util
    import sys

    from app.cli import _QuietTensorFlowFinder, quiet_tensorflow_start_up

    quiet_tensorflow_start_up()
    quiet_tensorflow_start_up()
    assert sum(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path) == 1
    finder = _QuietTensorFlowFinder()
    assert finder.find_spec("json", None) is None and finder.find_spec("numpy.core", None) is None
    found = importlib.util.find_spec("tensorflow")  # locates the package without importing it
    assert found is not None and found.submodule_search_locations is not None
    was_loaded = "tensorflow" in sys.modules
    python_dir = [str(Path(next(iter(found.submodule_search_locations))) / "python")]
    spec = finder.find_spec("tensorflow.python._pywrap_tensorflow_internal", python_dir)
    assert spec is not None and type(spec.loader).__name__ == "_QuietExtensionLoader"
    assert finder.find_spec("tensorflow.python.platform", python_dir) is None  # plain Python: left alone
    if not was_loaded:  # other test files in the same run may have loaded it
        assert "tensorflow.python._pywrap_tensorflow_internal" not in sys.modules


def test_overlapping_quiet_loads_on_two_threads_restore_stderr() -> None:
    """The editor loads TensorFlow on a background thread: two overlapping captures must leave
    file descriptor 2 pointing at the terminal again, with the real lines passed on."""
    import os
    import subprocess
    import sys

    script = (
        "import os, sys, threading, time\n"
        "from app.cli import run_quietly\n"
        "started = threading.Event()\n"
        "def slow():\n"
        "    started.set(); time.sleep(0.3); os.write(2, b'from slow\\n')\n"
        "t = threading.Thread(target=run_quietly, args=(slow,)); t.start(); started.wait()\n"
        "run_quietly(lambda: os.write(2, b'from quick\\n'))\n"
        "t.join()\n"
        "os.write(2, b'after\\n')\n")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=repo,
                          env={**os.environ, "PYTHONPATH": str(repo)})
    assert done.returncode == 0, done.stderr
    assert sorted(done.stderr.splitlines()[:2]) == ["from quick", "from slow"]
    assert done.stderr.splitlines()[2:] == ["after"]
