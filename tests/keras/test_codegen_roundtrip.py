"""Exported Python rebuilds exactly the model compile_graph builds (DESIGN.md, "Safety").

Every example, two feature-heavy models and random valid cases of every catalog layer
are exported, then all scripts run in ONE fresh Python process (one TensorFlow import):
the rebuilt ``model.to_json()`` (layers, class names, configs, inbound connections) and
its weight counts must equal those of ``compile_graph`` on the same project. A script
built from hostile names runs in the same process, in an empty folder that must stay empty.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import pytest
from hypothesis import HealthCheck, given, settings

from app.core.catalog import CATALOG, get_spec
from app.core.codegen import OPTIMIZERS, generate_python, keras_model_name
from app.core.graph import Graph
from app.core.project import Project, load_project
from app.core.shapes import analyze
from tests.keras.cases import ALL_CASES, Case

MODELS = sorted((Path(__file__).resolve().parents[2] / "models").glob("*.json"))
HOSTILE_NAME = 'x"); __import__("os").system("touch pwned") #'
MAIN_RUN = "mlp_tabular"
SWEEP_CASES_PER_LAYER = 2

RUNNER = r'''
"""Run each exported script and report what it built, as JSON (one process, one TF import)."""
import contextlib, io, json, runpy, sys, traceback

import keras
import numpy as np

out_path, main_job, *paths = sys.argv[1:]
results = {}
for path in paths:
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            namespace = runpy.run_path(path, run_name="__main__" if path == main_job else "exported")
        model = namespace["model"]
        rebuilt = json.loads(model.to_json())
        compiled = rebuilt.pop("compile_config", None)
        results[path] = {
            "model": rebuilt,
            "compile": compiled,
            "params": int(model.count_params()),
            "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "stdout": stdout.getvalue(),
            "layer_names": [layer.name for layer in model.layers],
        }
    except BaseException:
        results[path] = {"error": traceback.format_exc(), "stdout": stdout.getvalue()}
    keras.backend.clear_session(free_memory=False)
with open(out_path, "w", encoding="utf-8") as fh:
    json.dump(results, fh)
'''


# --- projects --------------------------------------------------------------------------------

def _layer(class_name: str, **config: Any) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


def _keras_object(module: str, class_name: str, **config: Any) -> dict[str, Any]:
    return {"module": f"keras.{module}", "class_name": class_name, "config": config, "registered_name": None}


def zoo_multi() -> Project:
    """Two inputs, two outputs (reordered), keyword and list calls, wrappers, dict configs, awkward names."""
    g = Graph()
    query = g.add_node("InputLayer", name="input", config={"batch_shape": [None, 12, 8]})
    memory = g.add_node("InputLayer", name="memory.v-1", config={"batch_shape": [None, 6, 8]})
    mha = g.add_node("MultiHeadAttention", name="model", config={
        "num_heads": 2, "key_dim": 4, "value_dim": 3, "dropout": 0.1, "use_bias": False,
        "kernel_initializer": _keras_object("initializers", "HeNormal", seed=7),
        "kernel_regularizer": _keras_object("regularizers", "L2", l2=0.01)})
    for port, source in (("query", query), ("value", memory), ("key", memory)):
        g.connect(source.id, mha.id, port)
    attention = g.add_node("Attention", name="layers", config={"use_scale": True})
    g.connect(query.id, attention.id, "query")
    g.connect(memory.id, attention.id, "value")
    joined = g.add_node("Concatenate", name="keras", config={"axis": -1})
    g.connect(mha.id, joined.id, "inputs")
    g.connect(attention.id, joined.id, "inputs")
    bi = g.add_node("Bidirectional", name="class", config={
        "layer": _layer("GRU", units=5, return_sequences=True, name="gru_inner"),
        "backward_layer": _layer("GRU", units=5, return_sequences=True, go_backwards=True, name="back_gru"),
        "merge_mode": "sum"})
    g.connect(joined.id, bi.id)
    td = g.add_node("TimeDistributed", name="2td", config={
        "layer": _layer("Dense", units=3, activation="relu", name="td_dense")})
    g.connect(bi.id, td.id)
    pooled = g.add_node("GlobalAveragePooling1D", name="pool")
    g.connect(td.id, pooled.id)
    scores = g.add_node("Dense", name="head.scores-1", config={
        "units": 3, "activation": "softmax", "trainable": False,
        "kernel_constraint": _keras_object("constraints", "MaxNorm", max_value=2.0, axis=0),
        "bias_initializer": _keras_object("initializers", "Constant", value=0.5)})
    g.connect(pooled.id, scores.id)
    aux = g.add_node("Dense", name="aux", config={"units": 1, "dtype": "float64"})
    g.connect(pooled.id, aux.id)
    g.output_order = [aux.id, scores.id]
    return Project(graph=g, name="Zoo: many inputs & outputs", description="feature zoo",
                   training={"optimizer": "RMSprop", "learning_rate": 0.0005, "loss": "mse",
                             "metrics": ["mae", "mse"]})


def zoo_fixed_batch() -> Project:
    """A fixed batch size (stateful LSTM), integer input, more initializer/regularizer dicts."""
    g = Graph()
    tokens = g.add_node("InputLayer", name="2tokens", config={"batch_shape": [3, 7], "dtype": "int32"})
    emb = g.add_node("Embedding", name="emb", config={
        "input_dim": 50, "output_dim": 4,
        "embeddings_regularizer": _keras_object("regularizers", "L1L2", l1=0.001, l2=0.002)})
    lstm = g.add_node("LSTM", name="lstm", config={"units": 6, "stateful": True, "return_sequences": True,
                                                   "unroll": True})
    conv = g.add_node("Conv1D", name="conv", config={"filters": 4, "kernel_size": [3], "padding": "causal",
                                                     "dilation_rate": [2]})
    norm = g.add_node("BatchNormalization", name="bn", config={
        "momentum": 0.9, "epsilon": 1e-5,
        "beta_initializer": _keras_object("initializers", "RandomNormal", mean=0.0, stddev=0.02, seed=1)})
    flat = g.add_node("Flatten", name="flat")
    out = g.add_node("Dense", name="out", config={"units": 2})
    for a, b in ((tokens, emb), (emb, lstm), (lstm, conv), (conv, norm), (norm, flat), (flat, out)):
        g.connect(a.id, b.id)
    return Project(graph=g, name="fixed batch", training={
        "optimizer": "sgd", "learning_rate": 0.1, "validation_split": 0.0, "shuffle": False})


def hostile() -> Project:
    g = Graph()
    first = g.add_node("InputLayer", name=HOSTILE_NAME, config={"batch_shape": [None, 4]})
    second = g.add_node("Dense", name=HOSTILE_NAME + " '''\"\"\"\\", config={"units": 2})
    g.connect(first.id, second.id)
    return Project(graph=g, name=HOSTILE_NAME + '"""', description='"""\n' + HOSTILE_NAME + "\\",
                   training={"loss": HOSTILE_NAME, "metrics": [HOSTILE_NAME]})


def case_graph(class_name: str, case: Case) -> Graph:
    spec = get_spec(class_name)
    assert spec is not None
    graph = Graph()
    sources = [graph.add_node("InputLayer", name=f"in_{i}", config={
        "batch_shape": list(shape), "dtype": case.dtypes[i] if case.dtypes else "float32"}).id
        for i, shape in enumerate(case.inputs)]
    node = graph.add_node(class_name, name="probe", config=case.config)
    for i, source in enumerate(sources):
        port = case.ports[i] if case.ports else (spec.ports[0].name if spec.variadic else spec.ports[i].name)
        graph.connect(source, node.id, port)
    return graph


def draw_valid_graphs(class_name: str, count: int) -> list[Graph]:
    """The first ``count`` valid graphs from deterministic draws of the layer's oracle strategy."""
    found: list[Graph] = []

    @settings(max_examples=15, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(ALL_CASES[class_name])
    def collect(case: Case) -> None:
        if len(found) < count:
            graph = case_graph(class_name, case)
            if analyze(graph).valid:
                found.append(graph)

    collect()
    return found


def sweep_projects() -> dict[str, Project]:
    """Random valid cases of every catalog layer, each as its own small model."""
    projects: dict[str, Project] = {}
    for class_name in sorted(ALL_CASES):
        for i, graph in enumerate(draw_valid_graphs(class_name, SWEEP_CASES_PER_LAYER)):
            projects[f"sweep_{class_name}_{i}"] = Project(graph=graph, name=f"sweep {class_name} {i}")
    return projects


def application_projects() -> dict[str, Project]:
    """Whole keras.applications models, imported as full graphs of their real layers."""

    from app.keras_bridge.importer import import_config
    from tests.keras.test_roundtrip_keras import APPLICATIONS

    projects = {}
    for name, kwargs in sorted(APPLICATIONS.items()):
        keras.backend.clear_session()
        model = getattr(keras.applications, name)(weights=None, **kwargs)
        projects[f"app_{name}"], _notes = import_config(json.loads(model.to_json()))
        del model
    keras.backend.clear_session()
    return projects


APPLICATION_KEYS = ["app_DenseNet121", "app_EfficientNetB0", "app_MobileNetV2", "app_ResNet50", "app_VGG16"]


def all_projects() -> dict[str, Project]:
    projects = {path.stem: load_project(path) for path in MODELS}
    projects.update({"zoo_multi": zoo_multi(), "zoo_fixed_batch": zoo_fixed_batch()})
    projects.update(sweep_projects())
    projects.update(application_projects())
    return projects


# --- one run for the whole module ----------------------------------------------------------

@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("codegen_roundtrip")
    generated, workdir = root / "generated", root / "cwd"
    generated.mkdir()
    workdir.mkdir()
    projects = all_projects()
    projects["hostile"] = hostile()
    paths = {}
    for key, project in projects.items():
        paths[key] = generated / f"{key}.py"
        paths[key].write_text(generate_python(project), encoding="utf-8")
    runner = root / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    out, log = root / "results.json", root / "runner.log"
    with open(log, "w", encoding="utf-8") as log_file:
        proc = subprocess.Popen(
            [sys.executable, str(runner), str(out), str(paths[MAIN_RUN]), *map(str, paths.values())],
            cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT,
        )
        # Build the reference models here while the scripts run there (two cores).
        want = {key: expected(project) for key, project in projects.items() if key != "hostile"}
        returncode = proc.wait(timeout=600)
    assert returncode == 0, log.read_text(encoding="utf-8")[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    return {"projects": projects, "results": {key: results[str(p)] for key, p in paths.items()},
            "expected": want, "root": root, "workdir": workdir}


def expected(project: Project) -> dict[str, Any]:
    import numpy as np

    from app.keras_bridge.compile import compile_graph

    model = compile_graph(project.graph, project.name)
    built = json.loads(model.to_json())
    built.pop("compile_config", None)
    result = {
        "model": built,
        "params": int(model.count_params()),
        "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
    }
    keras.backend.clear_session(free_memory=False)
    return result


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, for a readable failure."""
    if type(a) is not type(b):
        return f"{path or '.'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'compile_graph' if key in a else 'the script'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def assert_rebuilt(run: dict[str, Any], key: str) -> dict[str, Any]:
    got = run["results"][key]
    assert "error" not in got, got["error"]
    want = run["expected"][key]
    difference = first_difference(want["model"], got["model"])
    assert difference is None, f"{key}: {difference}"
    assert (got["params"], got["trainable"]) == (want["params"], want["trainable"])
    return got


# --- tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [p.stem for p in MODELS if '"recipe": "supervised"' in p.read_text()])  # recipes:
def test_every_example_rebuilds_the_same_model(run: dict[str, Any], key: str) -> None:  # test_recipes_examples.py
    got = assert_rebuilt(run, key)
    project = run["projects"][key]
    compiled = got["compile"]
    assert compiled["optimizer"]["class_name"] == OPTIMIZERS[project.training["optimizer"].lower()]
    assert compiled["optimizer"]["config"]["learning_rate"] == pytest.approx(project.training["learning_rate"])
    assert compiled["loss"] == project.training["loss"]
    assert compiled["metrics"] == project.training["metrics"]
    if key == MAIN_RUN:
        assert "Total params" in got["stdout"], "run as a program, the script prints the summary"
    else:
        assert got["stdout"] == "", "imported, the script prints nothing"


@pytest.mark.parametrize("key", APPLICATION_KEYS)
def test_whole_applications_rebuild_the_same_model(run: dict[str, Any], key: str) -> None:
    """keras.applications models -> editable graph -> Python -> subprocess: same config and counts."""
    got = assert_rebuilt(run, key)
    assert len(got["layer_names"]) == len(run["projects"][key].graph)


@pytest.mark.parametrize("key", ["zoo_multi", "zoo_fixed_batch"])
def test_feature_zoo_rebuilds_the_same_model(run: dict[str, Any], key: str) -> None:
    got = assert_rebuilt(run, key)
    training = run["projects"][key].training
    assert got["compile"]["optimizer"]["class_name"] == OPTIMIZERS[training["optimizer"].lower()]
    assert got["compile"]["optimizer"]["config"]["learning_rate"] == pytest.approx(training["learning_rate"])


def test_every_catalog_layer_rebuilds_the_same_config(run: dict[str, Any]) -> None:
    keys = [k for k in run["projects"] if k.startswith("sweep_")]
    covered = {k.removeprefix("sweep_").rsplit("_", 1)[0] for k in keys}
    assert covered == set(ALL_CASES), f"no valid case drawn for {sorted(set(ALL_CASES) - covered)}"
    failures = []
    for key in keys:
        try:
            assert_rebuilt(run, key)
        except AssertionError as err:
            failures.append(str(err).splitlines()[0])
    assert not failures, "\n".join(failures)


def test_hostile_names_stay_data_and_touch_nothing(run: dict[str, Any]) -> None:
    got = run["results"]["hostile"]
    assert not list(run["workdir"].rglob("*")), "the script wrote into its working folder"
    for folder in (run["root"], Path.cwd(), Path.home()):
        assert not list(folder.glob("pwned*"))
    assert "error" not in got, got["error"]
    assert got["layer_names"] == [HOSTILE_NAME, HOSTILE_NAME + " '''\"\"\"\\"], "the names arrive as plain text"
    assert got["compile"]["loss"] == HOSTILE_NAME


# --- assumptions the generated code relies on -------------------------------------------------

@pytest.mark.parametrize("class_name", sorted(n for n, s in CATALOG.items()
                                              if s.module == "keras.layers" and n != "InputLayer"))
def test_a_lone_required_parameter_is_keras_first_positional_argument(class_name: str) -> None:
    """Codegen writes ``Dense(10)``: the catalog's only required parameter must come first in Keras."""

    spec = CATALOG[class_name]
    required = [p.name for p in spec.params if p.required]
    if len(required) != 1:
        return
    parameters = list(inspect.signature(getattr(keras.layers, class_name).__init__).parameters.values())[1:]
    assert parameters[0].name == required[0]
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize("class_name", sorted(n for n, s in CATALOG.items() if s.is_application))
def test_application_defaults_are_keras_defaults_except_weights(class_name: str) -> None:
    """Codegen leaves out default-valued backbone arguments, but always writes weights."""

    signature = inspect.signature(getattr(keras.applications, class_name)).parameters
    for param in CATALOG[class_name].params:
        if param.name not in ("weights", "trainable", "weights_file", "train_top_layers"):  # the last two are ours
            assert signature[param.name].default == param.default, param.name


def test_every_exported_optimizer_exists_in_keras() -> None:

    for class_name in OPTIMIZERS.values():
        assert isinstance(getattr(keras.optimizers, class_name), type)


@pytest.mark.parametrize("text", ["My Model!", "", "***", "a" * 100, "Ünïcode naïve", "x-y.z/w"])
def test_model_name_matches_compile(text: str) -> None:
    from app.keras_bridge.compile import model_name

    assert keras_model_name(text) == model_name(text)
