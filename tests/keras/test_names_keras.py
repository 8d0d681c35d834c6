"""Real Keras agrees with ``check`` (issue 11, points 7, 8, 10, 16).

What ``check`` accepts, Keras builds (and saves, and loads); what it refuses, Keras refuses;
what it warns TensorFlow cannot train, ``fit`` really fails on. The allow-lists and limits
in :mod:`app.core.catalog.spec` and :mod:`app.core.limits` are read from Keras 3.15 here,
so a Keras upgrade that changes them fails this file instead of silently drifting.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.cli import main
from app.core.catalog.spec import KERAS_OBJECT_NAMES, KERAS_OBJECTS
from app.core.graph import Graph
from app.core.limits import KERAS_MAX_DEPTH, MEMORY_ENV
from app.core.project import Project
from app.core.shapes import analyze
from app.keras_bridge.compile import CompileError, compile_graph
from app.keras_bridge.export import export_keras
from app.keras_bridge.importer import import_keras
from tests.unit.helpers import chain, mlp

REPO = Path(__file__).resolve().parents[2]


def _model_with_name(name: str) -> Graph:
    graph, (_i, hidden, _o) = mlp(features=3, hidden=4, classes=2)
    graph.rename(hidden.id, name)
    return graph


def _keras_builds(name: str) -> bool:
    import keras

    try:
        x = keras.Input((3,))
        keras.Model(x, keras.layers.Dense(2, name=name)(x))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", ["dense 1", "\u202edense", "block/dense", "-x", ".x", "é", "x" * 300,
                                  "a\x1b[31m", "a:b", "/"])
def test_check_accepts_exactly_the_layer_names_keras_builds(name: str) -> None:
    accepted = not [p for p in analyze(_model_with_name(name)).errors if p.code == "invalid_name"]
    assert accepted == _keras_builds(name)


@pytest.mark.parametrize("name", ["dense 1", "\u202edense", "a:b", "dense-1.b>c", "_x"])
def test_the_tensorflow_warning_matches_what_fit_refuses(name: str) -> None:
    import keras

    keras.backend.clear_session()
    graph = _model_with_name(name)
    warned = any(p.code == "name_tensorflow" for p in analyze(graph).problems)
    model = compile_graph(graph, "m")
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(np.zeros((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
        trained = True
    except ValueError as err:
        assert "scope name" in str(err)
        trained = False
    assert warned == (not trained)


def test_an_input_with_a_space_in_its_name_trains() -> None:
    import keras

    keras.backend.clear_session()
    graph, (inp, _h, _o) = mlp(features=3, hidden=4, classes=2)
    graph.rename(inp.id, "in put")
    assert not analyze(graph).problems
    model = compile_graph(graph, "m")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)


def test_odd_names_export_save_and_import_unchanged(tmp_path: Path) -> None:
    names = ["dense 1", "\u202edense\x1b]0;x\x07"]
    graph, (_i, hidden, out) = mlp(features=3, hidden=4, classes=2)
    graph.rename(hidden.id, names[0])
    graph.rename(out.id, names[1])
    project = Project(graph=graph, name="odd")
    path = export_keras(project, tmp_path / "odd.keras")
    imported, _notes = import_keras(path)
    assert [n.name for n in imported.graph.nodes()][1:] == names
    from app.core.codegen import generate_python

    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(generate_python(project), "exported.py", "exec"), namespace)  # the file we wrote
    assert [layer.name for layer in namespace["model"].layers][1:] == names


def test_import_success_line_escapes_the_model_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    x = keras.Input((3,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="\u202ed\x1b]0;t\x07")(x), name="m\x1b[2J")
    model.save(tmp_path / "odd.keras")
    assert main(["import", str(tmp_path / "odd.keras"), "-o", str(tmp_path / "odd.json")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "imported 'm\\x1b[2J'" in out


# --- initializers, regularizers, constraints ---------------------------------------------------

def _keras_module(module: str) -> Any:
    from keras.src import constraints, initializers, regularizers

    return {"keras.initializers": initializers, "keras.regularizers": regularizers,
            "keras.constraints": constraints}[module]


@pytest.mark.parametrize("module", sorted(KERAS_OBJECTS))
def test_the_allowed_classes_and_arguments_are_keras_own(module: str) -> None:
    keras_module = _keras_module(module)
    for class_name, arguments in KERAS_OBJECTS[module].items():
        cls = keras_module.ALL_OBJECTS_DICT[class_name]
        takes = {p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "args", "kwargs")}
        assert takes == set(arguments), class_name


@pytest.mark.parametrize("module", sorted(KERAS_OBJECT_NAMES))
def test_every_allowed_name_resolves_in_keras(module: str) -> None:
    keras_module = _keras_module(module)
    for name in KERAS_OBJECT_NAMES[module]:
        assert keras_module.get(name) is not None, name


@pytest.mark.parametrize("value", [
    {"module": "os", "class_name": "system", "config": {"command": "true"}, "registered_name": None},
    {"class_name": "__lambda__", "config": {"code": "", "defaults": None, "closure": None}},
    "constant",
    "os.system",
])
def test_what_check_refuses_keras_refuses_too(value: Any) -> None:
    import keras

    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, "kernel_initializer", value)
    assert not analyze(graph).valid
    with pytest.raises((ValueError, TypeError, KeyError)):
        keras.initializers.get(value)


# --- sizes, depth, memory ---------------------------------------------------------------------

@pytest.mark.parametrize(("features", "units"), [(4, 10**30), (10**18, 16), (2**62, 4)])
def test_sizes_check_refuses_keras_refuses_before_allocating(features: int, units: int) -> None:
    import keras

    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, features]}), ("Dense", {"units": units}))
    assert not analyze(graph).valid
    keras.backend.clear_session()
    with pytest.raises(Exception, match=r"out-of-range|would have more than|too large|overflow"):
        x = keras.Input((features,))
        keras.Model(x, keras.layers.Dense(units)(x))


def test_compile_refuses_weights_bigger_than_memory_without_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, str(8 * 1024**3))
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 800_000]}), ("Dense", {"units": 600_000}))
    with pytest.raises(CompileError, match="Keras cannot build it here"):
        compile_graph(graph, "huge")


def _deep(layers: int) -> Graph:
    graph = Graph()
    previous = graph.add_node("InputLayer", "x", {"batch_shape": [None, 4]})
    for k in range(1, layers):
        node = graph.add_node("Activation", f"a{k}", {"activation": "relu"})
        graph.connect(previous.id, node.id, check=False)
        previous = node
    return graph


def test_the_deepest_chain_check_accepts_builds_saves_and_loads_in_keras(tmp_path: Path) -> None:
    import keras

    keras.backend.clear_session()
    graph = _deep(KERAS_MAX_DEPTH)
    assert analyze(graph).valid
    model = compile_graph(graph, "deep")  # from pytest's deep stack: compile makes room
    model.save(tmp_path / "deep.keras")
    script = ("import keras, sys; m = keras.saving.load_model(sys.argv[1]); print(len(m.layers))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "deep.keras")], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0 and done.stdout.strip() == str(KERAS_MAX_DEPTH), done.stderr[-2000:]


def test_a_chain_of_1000_layers_is_refused_by_check_and_by_a_plain_keras_script() -> None:
    assert any(p.code == "too_deep" for p in analyze(_deep(1000)).errors)
    script = ("import keras\nx = i = keras.Input((4,))\nfor _ in range(999): x = keras.layers.Activation('relu')(x)\n"
              "try:\n    keras.Model(i, x)\nexcept RecursionError:\n    print('RecursionError')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.stdout.strip() == "RecursionError", done.stderr[-2000:]


# --- TensorFlow's start-up lines (point 16) ---------------------------------------------------

def test_export_to_keras_prints_no_tensorflow_start_up_lines(tmp_path: Path) -> None:
    from app.core.project import save_project

    graph, _ = mlp()
    save_project(Project(graph=graph, name="m"), tmp_path / "m.json")
    done = subprocess.run([sys.executable, "-m", "app", "export", str(tmp_path / "m.json"), "--keras",
                           str(tmp_path / "m.keras")], capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr, done.stderr
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ  # silenced without turning oneDNN off


def test_build_layer_itself_refuses_code_in_a_config() -> None:
    """Defence in depth: even a caller that skips ``check`` cannot hand Keras a lambda."""
    from app.keras_bridge.layers import UnsupportedLayerError, build_layer

    config = {"units": 2, "kernel_initializer": {"class_name": "__lambda__", "config": {"code": ""}}}
    with pytest.raises(UnsupportedLayerError, match="__lambda__"):
        build_layer("Dense", "d", config, [(None, 3)])
    with pytest.raises(UnsupportedLayerError, match="Keras refuses '/'"):
        build_layer("Dense", "a/b", {"units": 2}, [(None, 3)])


def test_layer_dtypes_check_accepts_are_keras_policies_and_the_rest_is_refused() -> None:
    import keras

    from app.core.catalog.spec import DTYPES, dtype_problem

    for name in DTYPES:
        assert keras.dtype_policies.get(name) is not None, name
    for bad in ["float33", {"module": "os", "class_name": "system", "config": {"name": "float32"}}]:
        assert dtype_problem(bad) is not None
        with pytest.raises((ValueError, TypeError, AttributeError)):  # os.system: AttributeError in build
            keras.layers.Dense(2, dtype=bad).build((None, 3))


def test_int8_and_float8_layer_dtypes_are_refused_like_keras_does() -> None:
    import keras

    from app.core.catalog.spec import dtype_problem

    for name in ["int8", "float8_e4m3fn", "float8_e5m2"]:
        assert dtype_problem(name) is not None
        with pytest.raises(ValueError, match="QuantizedDTypePolicy"):
            keras.dtype_policies.get(name)
