"""Layer names: accept what Keras accepts, refuse what it refuses (issue 11, point 8).

Measured with Keras 3.15 / TensorFlow 2.21 (``tests/keras/test_names_keras.py`` keeps it so):
Keras refuses only '/' (``keras.src.ops.operation``) and sets no rule for the first
character; ``'dense 1'`` or a name holding a bidi control build, save and load. TensorFlow's
graph mode then refuses, in ``fit``, any character outside letters, digits and ``_ . - >``:
that is a warning with a rename fix, not an error.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.codegen import generate_python
from app.core.graph import name_problem, name_warning, tf_safe_name
from app.core.limits import MAX_NAME_LENGTH
from app.core.project import Project, save_project
from app.core.shapes import analyze
from tests.unit.helpers import mlp

BIDI = "\u202edense"
ACCEPTED = ["dense 1", BIDI, "-x", ".x", "_a", "1a", "a>b", "é", "x" * 300, 'x"); __import__("os")']


@pytest.mark.parametrize("name", ACCEPTED)
def test_names_keras_accepts_are_accepted(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["block/dense", "/", "a/"])
def test_a_slash_is_refused_with_the_reason_and_a_replacement(name: str) -> None:
    message = name_problem(name)
    assert message is not None and "Keras refuses '/' in a layer name" in message
    assert repr(name.replace("/", "_")) in message


def test_empty_and_overlong_names_are_refused() -> None:
    assert name_problem("") == "a layer needs a name"
    assert "limited to 1,024 characters" in (name_problem("x" * (MAX_NAME_LENGTH + 1)) or "")
    assert name_problem("x" * MAX_NAME_LENGTH) is None


@pytest.mark.parametrize(("name", "safe"), [("dense 1", "dense_1"), (BIDI, "dense"), ("a\nb", "a_b"),
                                            ("a:b", "a_b"), ("é", "layer")])
def test_names_tensorflow_cannot_train_get_a_warning_and_a_safe_suggestion(name: str, safe: str) -> None:
    warning = name_warning(name)
    assert warning is not None and f"Keras accepts the name {name!r}" in warning
    assert "TensorFlow cannot train" in warning and tf_safe_name(name) == safe


@pytest.mark.parametrize("name", ["dense_1", "-x", ".x", "a>b", "block1.conv-2"])
def test_tensorflow_safe_names_get_no_warning(name: str) -> None:
    assert name_warning(name) is None


def test_check_accepts_dense_1_with_a_warning_and_a_rename_fix() -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.rename(hidden.id, "dense 1")  # 'dense_1' is taken by the output layer
    analysis = analyze(graph)
    assert analysis.valid
    (problem,) = [p for p in analysis.problems if p.code == "name_tensorflow"]
    assert problem.severity == "warning" and problem.param == "name" and problem.node == hidden.id
    assert problem.fix is not None and problem.fix.action == {"op": "rename", "node": hidden.id, "name": "dense_1_1"}
    assert "e.g. 'dense_1_1'" in problem.message  # the message offers what the fix does


def test_a_duplicate_untrainable_name_is_still_a_duplicate() -> None:
    graph, (_i, hidden, out) = mlp()
    graph.rename(hidden.id, "dense 1")
    graph.rename(out.id, "dense 1")
    codes = {p.code for p in analyze(graph).problems}
    assert {"duplicate_name", "name_tensorflow"} <= codes


def test_an_input_name_with_a_space_is_not_warned_about() -> None:
    """Inputs open no TensorFlow scope in fit (measured: an Input named 'in put' trains)."""
    graph, (inp, _h, _o) = mlp()
    graph.rename(inp.id, "in put")
    assert not analyze(graph).problems


def test_check_refuses_block_slash_dense_with_a_fix() -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.rename(hidden.id, "block/dense")
    analysis = analyze(graph)
    (problem,) = analysis.errors
    assert problem.code == "invalid_name" and problem.param == "name"
    assert problem.fix is not None and problem.fix.action["name"] == "block_dense"


def test_export_writes_odd_names_as_escaped_literals_that_round_trip() -> None:
    graph, (_i, hidden, out) = mlp()
    graph.rename(hidden.id, "dense 1")
    graph.rename(out.id, BIDI + "\x1b[31m")
    source = generate_python(Project(graph=graph, name="odd"))
    assert "\u202e" not in source and "\x1b" not in source  # escaped, never raw
    names = [kw.value.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             for kw in node.keywords if kw.arg == "name" and isinstance(kw.value, ast.Constant)]
    assert "dense 1" in names and BIDI + "\x1b[31m" in names


def test_check_cli_exits_0_for_dense_1_and_1_for_block_slash_dense(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    graph, (_i, hidden, _o) = mlp()
    path = tmp_path / "m.json"
    graph.rename(hidden.id, "dense 1")
    save_project(Project(graph=graph, name="spaces"), path)
    assert main(["check", str(path)]) == 0
    assert "TensorFlow cannot train" in " ".join(capsys.readouterr().out.split())
    data = json.loads(path.read_text())
    for node in data["graph"]["nodes"]:
        if node["name"] == "dense 1":
            node["name"] = "block/dense"
    path.write_text(json.dumps(data))
    assert main(["check", str(path)]) == 1
    assert "Keras refuses '/'" in " ".join(capsys.readouterr().out.split())


def test_a_wrapped_layer_name_with_a_slash_is_refused() -> None:
    """Keras builds the wrapped layer from its config, name included: '/' fails there too."""
    from app.core.graph import Graph
    from tests.unit.helpers import chain

    graph = Graph()
    _inp, wrapper = chain(graph, ("InputLayer", {"batch_shape": [None, 5, 3]}), ("Bidirectional", {}))
    layer = dict(wrapper.config["layer"])
    layer["config"] = {**layer["config"], "name": "fwd/lstm"}
    graph.set_param(wrapper.id, "layer", layer)
    (problem,) = analyze(graph).errors
    assert problem.param == "layer" and "Keras refuses '/'" in problem.message
