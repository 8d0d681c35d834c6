"""``check`` refuses what Keras refuses and warns about what will not fit (issue 11, point 7).

Each case was "✓ valid" before: units of 10^30, dimensions of 10^18 and 10^200, a
480-billion-parameter Dense, initializer dicts naming ``os.system`` or ``__lambda__`` in a
project file, a 20,000-layer chain whose export ran 134 s and 2.7 GB into a RecursionError.
``tests/keras/test_names_keras.py`` checks the same limits against Keras itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.limits import INT64_MAX, KERAS_MAX_DEPTH, MEMORY_ENV, format_count, format_size, machine_memory
from app.core.project import Project, save_project
from app.core.shapes import Analysis, analyze, keras_walk_depth
from tests.unit.helpers import chain, mlp

GIB = 1024**3


def _codes(analysis: Analysis) -> dict[tuple[str | None, str], Any]:
    return {(p.node_name, p.code): p for p in analysis.problems}


def _project_file(tmp_path: Path, edit: Any) -> Path:
    """A real project file, saved by the app, then edited as a hostile author would."""
    graph, _ = mlp(features=4, hidden=8, classes=3)
    path = tmp_path / "model.json"
    save_project(Project(graph=graph, name="edited"), path)
    data = json.loads(path.read_text())
    edit({n["name"]: n for n in data["graph"]["nodes"]})
    path.write_text(json.dumps(data))
    return path


# --- values Keras cannot hold -------------------------------------------------------------

def test_units_beyond_int64_are_refused_naming_the_node_and_parameter() -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, "units", 10**30)
    problem = _codes(analyze(graph))[("dense", "invalid_param")]
    assert problem.param == "units" and problem.severity == "error"
    assert "'units' is about 1.0e+30, beyond what TensorFlow can hold" in problem.message
    assert f"{INT64_MAX:,}" in problem.message


@pytest.mark.parametrize("dim", [10**200, 2**63])
def test_input_dimensions_beyond_int64_are_refused(dim: int) -> None:
    graph, (inp, _h, _o) = mlp()
    graph.set_param(inp.id, "batch_shape", [None, dim])
    problem = _codes(analyze(graph))[("input", "invalid_param")]
    assert problem.param == "batch_shape" and "beyond what TensorFlow can hold" in problem.message
    assert len(problem.message) < 200  # a 201-digit number is not printed in full


def test_a_weight_count_beyond_int64_is_refused_at_the_layer() -> None:
    graph, (inp, _h, _o) = mlp(hidden=16)
    graph.set_param(inp.id, "batch_shape", [None, 10**18])
    analysis = analyze(graph)
    problem = _codes(analysis)[("dense", "too_large")]
    assert not analysis.valid and problem.param == "units"
    assert "16,000,000,000,000,000,016 numbers" in problem.message


def test_an_output_beyond_int64_values_per_sample_is_refused() -> None:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 10**10, 10**10]}), ("Flatten", {}))
    problems = _codes(analyze(graph))
    assert problems[("input", "too_large")].param == "batch_shape"


def test_huge_whole_numbers_in_json_values_do_not_crash_validation() -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, "kernel_initializer",
                    {"module": "keras.initializers", "class_name": "GlorotUniform",
                     "config": {"seed": 10**400}, "registered_name": None})
    problem = _codes(analyze(graph))[("dense", "invalid_param")]
    assert problem.param == "kernel_initializer" and "beyond what TensorFlow can hold" in problem.message


# --- initializers, regularizers, constraints: data, never code -----------------------------

OS_SYSTEM = {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}, "registered_name": None}
LAMBDA = {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}


@pytest.mark.parametrize(("param", "value", "words"), [
    ("kernel_initializer", OS_SYSTEM, "names 'os.system', which is not a Keras initializer"),
    ("kernel_initializer", LAMBDA, "names '__lambda__', which is not a Keras initializer"),
    ("bias_regularizer", LAMBDA, "not a Keras regularizer"),
    ("kernel_constraint", "os.system", "not a Keras constraint"),
    ("kernel_regularizer", "eval", "not a Keras regularizer"),
    ("kernel_initializer", {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {},
                            "registered_name": "my_pkg>Evil"}, "custom class"),
    ("kernel_initializer", {"module": "keras.layers", "class_name": "GlorotUniform", "config": {}},
     "comes from module"),
    ("kernel_initializer", {"class_name": "RandomNormal", "config": {"stddev": 0.1, "fn": "os.system"}},
     "RandomNormal has no argument 'fn'"),
    ("kernel_initializer", {"class_name": "Constant", "config": {}}, "Constant needs 'value'"),
    ("kernel_constraint", {"class_name": "MaxNorm", "config": {"max_value": 2}, "exec": "x"}, "unexpected keys"),
])
def test_keras_objects_outside_the_allow_list_are_refused(param: str, value: Any, words: str) -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, param, value)
    problem = _codes(analyze(graph))[("dense", "invalid_param")]
    assert problem.param == param and words in problem.message, problem.message


@pytest.mark.parametrize(("param", "value"), [
    ("kernel_initializer", "he_normal"),
    ("kernel_initializer", "GlorotUniform"),
    ("kernel_initializer", {"module": "keras.initializers", "class_name": "VarianceScaling",
                            "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 3},
                            "registered_name": None}),
    ("kernel_initializer", {"class_name": "Constant", "config": {"value": 0.5}}),
    ("kernel_regularizer", "l2"),
    ("kernel_regularizer", {"module": "keras.regularizers", "class_name": "L1L2",
                            "config": {"l1": 0.0, "l2": 0.01}, "registered_name": None}),
    ("kernel_constraint", {"module": "keras.constraints", "class_name": "MaxNorm",
                           "config": {"max_value": 2, "axis": 0}, "registered_name": None}),
    ("kernel_constraint", "non_neg"),
])
def test_keras_objects_in_the_allow_list_are_accepted(param: str, value: Any) -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, param, value)
    assert analyze(graph).valid


def test_check_refuses_a_project_file_naming_os_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _project_file(tmp_path, lambda nodes: nodes["dense"]["config"].update(kernel_initializer=OS_SYSTEM))
    assert main(["check", str(path)]) == 1
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "'os.system', which is not a Keras initializer" in out and "parameter 'kernel_initializer'" in out
    assert "✓ valid" not in out


# --- memory ------------------------------------------------------------------------------------

def _dense(features: int, units: int) -> Graph:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, features]}), ("Dense", {"units": units}))
    return graph


def test_a_480_billion_parameter_dense_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, str(64 * GIB))
    analysis = analyze(_dense(800_000, 600_000))
    problem = _codes(analysis)[("dense", "memory_weights")]
    assert problem.param == "units" and problem.severity == "warning"
    assert "480,000,600,000 parameters" in problem.message and "1.7 TiB" in problem.message
    assert "this machine's memory (64.0 GiB)" in problem.message and "Keras cannot build it here" in problem.message


def test_weights_that_fit_but_cannot_be_trained_are_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, str(16 * GIB))
    problem = _codes(analyze(_dense(50_000, 30_000)))[("dense", "memory_training")]  # 5.6 GiB of weights
    assert "about 4 copies" in problem.message and "22.4 GiB" in problem.message


def test_activations_per_sample_that_do_not_fit_are_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, str(1 * GIB))
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 20_000, 20_000]}), ("Flatten", {}))
    analysis = analyze(graph)
    problem = _codes(analysis)[("input", "memory_activations")]
    assert analysis.valid and "one sample's activations need 3.0 GiB" in problem.message


def test_an_ordinary_model_gets_no_memory_warning() -> None:
    graph, _ = mlp()
    assert not [p for p in analyze(graph).problems if p.code.startswith("memory")]


def test_machine_memory_is_this_machines_and_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    detected = machine_memory()
    assert detected is not None and 256 * 1024**2 < detected < 2**50
    monkeypatch.setenv(MEMORY_ENV, "12345")
    assert machine_memory() == 12345


def test_sizes_are_said_in_binary_units_and_huge_counts_in_short() -> None:
    assert format_size(1536) == "1.5 KiB" and format_size(480_000_600_000 * 4) == "1.7 TiB"
    assert format_count(480_000_600_000) == "480,000,600,000"
    assert format_count(10**30) == "about 1.0e+30" and format_count(10**400) == "a 401-digit number"


# --- depth: Keras walks a model recursively ----------------------------------------------------

def _chain_graph(layers: int) -> Graph:
    """Input then ``layers - 1`` Activations named ``a1`` ... (names given: faster to build)."""
    graph = Graph()
    previous = graph.add_node("InputLayer", "x", {"batch_shape": [None, 4]})
    for k in range(1, layers):
        node = graph.add_node("Activation", f"a{k}", {"activation": "relu"})
        graph.connect(previous.id, node.id, check=False)
        previous = node
    return graph


def test_a_20000_layer_chain_is_refused_quickly_without_recursion() -> None:
    graph = _chain_graph(20_000)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(200, len(_stack()) + 100))  # a per-node recursion would fail at once
    try:
        start = time.perf_counter()
        analysis = analyze(graph)
        seconds = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(old)
    problem = _codes(analysis)[("a19999", "too_deep")]
    assert not analysis.valid and "20,000 layers deep (back to 'x')" in problem.message
    assert f"Layerforge allows {KERAS_MAX_DEPTH}" in problem.message
    assert seconds < 20  # 1 s here; was 134 s and 2.7 GB of export before the RecursionError


def _stack() -> list[object]:
    frames, frame = [], sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return frames


def test_a_chain_at_the_limit_is_accepted_and_one_more_is_refused() -> None:
    assert analyze(_chain_graph(KERAS_MAX_DEPTH)).valid
    assert not analyze(_chain_graph(KERAS_MAX_DEPTH + 1)).valid


def test_walk_depth_follows_keras_visiting_order_on_branches() -> None:
    """A diamond: Keras walks output -> add -> a -> input, then b (input already finished)."""
    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 4]})
    a = graph.add_node("Dense", config={"units": 4})
    b = graph.add_node("Dense", config={"units": 4})
    add = graph.add_node("Add")
    graph.connect(inp.id, a.id)
    graph.connect(inp.id, b.id)
    graph.connect(a.id, add.id, "inputs", 0)
    graph.connect(b.id, add.id, "inputs", 1)
    assert keras_walk_depth(graph) == (3, add.id, inp.id)
    assert keras_walk_depth(Graph()) == (0, None, None)


def test_export_refuses_a_20000_layer_project_before_writing(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    save_project(Project(graph=_chain_graph(20_000), name="deep"), path)
    start = time.perf_counter()
    assert main(["export", str(path), "--python", str(tmp_path / "deep.py")]) == 1
    assert time.perf_counter() - start < 60  # was 50 s to write a script Keras cannot run
    assert "20,000 layers deep" in capsys.readouterr().err
    assert not (tmp_path / "deep.py").exists()


@pytest.mark.parametrize(("value", "ok"), [
    ("float32", True), ("mixed_float16", True), ("bfloat16", True),
    ({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"}, "registered_name": None}, True),
    ("float33", False),
    ({"module": "os", "class_name": "system", "config": {"name": "float32"}}, False),
    ({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32", "x": 1}}, False),
    ({"class_name": "__lambda__", "config": {"code": ""}}, False),
])
def test_a_layer_dtype_is_a_keras_dtype_or_policy(value: Any, ok: bool) -> None:
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, "dtype", value)
    problems = [p for p in analyze(graph).errors if p.param == "dtype"]
    assert (not problems) == ok, problems


def test_a_quantization_config_naming_any_keras_object_is_refused() -> None:
    """Keras deserialises it as an arbitrary object; Layerforge builds unquantized layers."""
    graph, (_i, hidden, _o) = mlp()
    graph.set_param(hidden.id, "quantization_config",
                    {"module": "keras.callbacks", "class_name": "BackupAndRestore", "config": {"backup_dir": "/"}})
    (problem,) = analyze(graph).errors
    assert problem.param == "quantization_config" and "Layerforge builds unquantized layers" in problem.message
