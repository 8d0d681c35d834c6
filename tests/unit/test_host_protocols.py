"""The guests' host Protocols are accurate: mypy finds each host conforming, and each guest using nothing else.

``Teaching`` reaches its window only through ``TeachingHost``, the insight tabs their panel only
through ``MaterialSource`` / ``BoundaryHost`` / ``StepHost``. A member renamed on a host, or a new
use of a host member by a guest that its Protocol does not list, is a mypy error here.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUESTS = ["app/gui/teaching.py", "app/gui/insight/tabs.py", "app/gui/insight/step_through.py"]
CONFORMANCE = '''
from app.gui.insight.panel import InsightPanel
from app.gui.insight.host import MaterialSource
from app.gui.insight.step_through import StepHost
from app.gui.insight.tabs import BoundaryHost
from app.gui.main_window import MainWindow
from app.gui.teaching import TeachingHost


def teaching_host(window: MainWindow) -> TeachingHost:
    return window


def material_source(panel: InsightPanel) -> MaterialSource:
    return panel


def boundary_host(panel: InsightPanel) -> BoundaryHost:
    return panel


def step_host(panel: InsightPanel) -> StepHost:
    return panel
'''


def run_mypy(*paths: str) -> list[str]:
    """mypy in this process; its build raises the collection threshold to 200,000 and leaves it so,
    which stopped automatic garbage collection for every later test (gc_guard's tests saw no
    collection at all), so the thresholds are put back."""
    from mypy import api

    thresholds = gc.get_threshold()
    try:
        stdout, stderr, _status = api.run(["--follow-imports=silent", "--ignore-missing-imports",
                                           "--no-error-summary", "--show-error-codes", *paths])
    finally:
        gc.set_threshold(*thresholds)
    assert not stderr, stderr
    return [line for line in stdout.splitlines() if ": error:" in line]


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> list[str]:
    snippet = tmp_path_factory.mktemp("protocols") / "conformance.py"
    snippet.write_text(CONFORMANCE, encoding="utf-8")
    request.getfixturevalue("monkeypatch_module").chdir(ROOT)
    return run_mypy(str(snippet), *GUESTS)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_host_conforms_to_its_guests_protocol(errors: list[str]) -> None:
    assert [e for e in errors if "conformance.py" in e] == []


def test_teaching_uses_nothing_of_its_window_beyond_the_protocol(errors: list[str]) -> None:
    assert [e for e in errors if e.startswith("app/gui/teaching.py")] == []


def test_the_tabs_use_nothing_of_their_panel_beyond_the_protocols(errors: list[str]) -> None:
    host_errors = [e for e in errors if e.startswith(("app/gui/insight/tabs.py", "app/gui/insight/step_through.py"))
                   and ("Host" in e or "MaterialSource" in e or "[attr-defined]" in e)]
    assert host_errors == []


def test_a_missing_member_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a host lacking a member the Protocol lists is an error naming the member."""
    snippet = tmp_path / "lacking.py"
    snippet.write_text("from app.gui.insight.step_through import StepHost\n\n\n"
                       "class Lacking:\n"
                       "    def request_material(self, callback: object) -> None: ...\n\n\n"
                       "def host(value: Lacking) -> StepHost:\n    return value\n", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    found = run_mypy(str(snippet))
    assert any("lacking.py" in e and "StepHost" in e for e in found), found
