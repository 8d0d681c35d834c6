"""Importing real Keras models: Sequential and Functional, ports, slots, nesting, the CLI.

Models are small and built by Keras itself, saved with ``model.save`` and imported from
the file, so the tests see exactly what a user's .keras file holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest
from hypothesis import HealthCheck, given, settings

from app.cli import main
from app.core.catalog import CATALOG, get_spec
from app.core.catalog.spec import INITIALIZERS, ShapeError
from app.core.graph import Graph
from app.core.project import load_project
from app.core.shapes import analyze
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.importer import ImportRefused, import_config, import_keras
from app.keras_bridge.layers import build_layer, call_layer
from app.keras_bridge.normalize import INITIALIZER_FORMS, normalize_config
from tests.keras.cases import ALL_CASES, Case
from tests.keras.graph_compare import canonical_config
from tests.keras.oracle import full_config

ROOT = Path(__file__).resolve().parents[2]


def saved(model: Any, folder: Path, name: str = "model.keras") -> Path:
    path = folder / name
    model.save(path)
    return path


def edges_by_name(graph: Graph) -> list[tuple[str, str, str, int]]:
    return sorted((graph.node(e.source).name, graph.node(e.target).name, e.target_port, e.slot)
                  for e in graph.edges())


def names(graph: Graph) -> list[str]:
    return [n.name for n in graph.nodes()]


# --- Sequential -------------------------------------------------------------------------------

def test_sequential_with_input(tmp_path: Path) -> None:
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="pixels"),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(10, activation="softmax", name="out"),
    ], name="seq")
    project, notes = import_keras(saved(model, tmp_path))
    graph = project.graph
    assert project.name == "seq"
    assert names(graph) == ["pixels", "conv", "pool", "flat", "out"]
    assert edges_by_name(graph) == sorted([("pixels", "conv", "input", 0), ("conv", "pool", "input", 0),
                                           ("pool", "flat", "input", 0), ("flat", "out", "input", 0)])
    assert graph.node_by_name("pixels").config["batch_shape"] == [None, 28, 28, 1]
    conv = graph.node_by_name("conv").config
    assert conv["kernel_initializer"] == "glorot_uniform" and conv["dtype"] == "float32"
    assert conv["kernel_size"] == [3, 3]
    assert graph.node_by_name("pool").config["strides"] is None, "strides equal to the pool size are the default"
    analysis = analyze(graph)
    assert analysis.valid, analysis.errors
    assert analysis.total_params == model.count_params()
    assert any("kept the trained weights of 2 layer(s)" in n for n in notes), notes
    assert sorted(project.graph.node(nid).name for nid in project.weights.layers) == ["conv", "out"]


def test_sequential_built_without_input_gets_one(tmp_path: Path) -> None:
    model = keras.Sequential([keras.layers.Dense(5, name="hidden"), keras.layers.Dense(2, name="out")], name="s")
    model.build((None, 7))
    graph = import_keras(saved(model, tmp_path))[0].graph
    (inp,) = graph.input_nodes()
    assert inp.config["batch_shape"] == [None, 7]
    assert names(graph)[1:] == ["hidden", "out"]
    assert analyze(graph).total_params == model.count_params()


def test_unnamed_sequential_layers_are_named_like_keras_names_them() -> None:
    dense = {"class_name": "Dense", "config": {"units": 2}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "dense"}}, dense, dense]}}
    assert names(import_config(config)[0].graph) == ["dense", "dense_1", "dense_2"]


def test_unbuilt_sequential_is_refused_with_a_hint() -> None:
    config = json.loads(keras.Sequential([keras.layers.Dense(3)], name="lazy").to_json())
    with pytest.raises(ImportRefused, match="saved before it was built"):
        import_config(config)


# --- Functional: inputs, outputs, ports and slots -----------------------------------------------

def test_multi_input_multi_output_keeps_orders(tmp_path: Path) -> None:
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    ha = keras.layers.Dense(8, name="ha")(a)
    hb = keras.layers.Dense(8, name="hb")(b)
    joined = keras.layers.Concatenate(name="joined")([hb, ha])
    first = keras.layers.Dense(2, name="first")(joined)
    second = keras.layers.Dense(1, name="second")(joined)
    model = keras.Model([b, a], [second, first], name="two_by_two")
    project, _ = import_keras(saved(model, tmp_path))
    graph = project.graph
    assert [n.name for n in graph.input_nodes()] == ["b", "a"]
    assert [n.name for n in graph.output_nodes()] == ["second", "first"]
    assert ("hb", "joined", "inputs", 0) in edges_by_name(graph)
    assert ("ha", "joined", "inputs", 1) in edges_by_name(graph)
    rebuilt = compile_graph(graph, project.name)
    assert [t.name for t in rebuilt.inputs] == [t.name for t in model.inputs]
    assert [o.shape for o in rebuilt.outputs] == [o.shape for o in model.outputs]
    assert rebuilt.count_params() == model.count_params()


def test_merge_slots_follow_the_call_order_even_for_the_same_tensor(tmp_path: Path) -> None:
    x = keras.Input((6,), name="x")
    d = keras.layers.Dense(6, name="d")(x)
    out = keras.layers.Subtract(name="diff")([d, x])
    twice = keras.layers.Add(name="twice")([out, out])
    model = keras.Model(x, twice)
    graph = import_keras(saved(model, tmp_path))[0].graph
    edges = edges_by_name(graph)
    assert ("d", "diff", "inputs", 0) in edges and ("x", "diff", "inputs", 1) in edges
    assert ("diff", "twice", "inputs", 0) in edges and ("diff", "twice", "inputs", 1) in edges
    assert analyze(graph).valid


def test_multi_head_attention_tensors_go_to_ports_by_name(tmp_path: Path) -> None:
    q = keras.Input((5, 8), name="q")
    v = keras.Input((7, 8), name="v")
    k = keras.Input((7, 4), name="k")
    positional = keras.layers.MultiHeadAttention(2, 4, name="positional")(q, v, key=k)
    keywords = keras.layers.MultiHeadAttention(2, 4, name="keywords")(query=q, value=v)
    model = keras.Model([q, v, k], [positional, keywords])
    project, _ = import_keras(saved(model, tmp_path))
    graph = project.graph
    edges = edges_by_name(graph)
    for expected in [("q", "positional", "query", 0), ("v", "positional", "value", 0), ("k", "positional", "key", 0),
                     ("q", "keywords", "query", 0), ("v", "keywords", "value", 0)]:
        assert expected in edges
    cfg = graph.node_by_name("keywords").config
    assert cfg["value_dim"] is None and cfg["attention_axes"] is None, "Keras' resolved defaults map back"
    analysis = analyze(graph)
    assert analysis.valid, analysis.errors
    rebuilt = compile_graph(graph, project.name)
    assert rebuilt.count_params() == model.count_params()


def test_attention_list_goes_to_query_value_key(tmp_path: Path) -> None:
    q = keras.Input((5, 8), name="q")
    v = keras.Input((7, 8), name="v")
    k = keras.Input((7, 8), name="k")
    out = keras.layers.Attention(name="att")([q, v, k])
    graph = import_keras(saved(keras.Model([q, v, k], out), tmp_path))[0].graph
    assert {("q", "att", "query", 0), ("v", "att", "value", 0), ("k", "att", "key", 0)} <= set(edges_by_name(graph))
    assert analyze(graph).valid


def test_embedding_mask_ops_are_left_to_keras(tmp_path: Path) -> None:
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 8, mask_zero=True, name="emb")(tokens)
    x = keras.layers.Dropout(0.1, name="drop")(x)
    x = keras.layers.LSTM(4, name="lstm")(x)
    model = keras.Model(tokens, keras.layers.Dense(1, name="out")(x))
    raw = json.loads(model.to_json())
    assert any(layer["class_name"] == "NotEqual" for layer in raw["config"]["layers"]), "Keras saves the mask op"
    project, _ = import_keras(saved(model, tmp_path))
    assert names(project.graph) == ["tokens", "emb", "drop", "lstm", "out"]
    assert analyze(project.graph).valid


def test_shared_layer_is_kept_as_two_linked_nodes(tmp_path: Path) -> None:
    x = keras.Input((4,), name="x")
    shared = keras.layers.Dense(4, name="twin")
    model = keras.Model(x, shared(shared(x)))
    project, _ = import_keras(saved(model, tmp_path))
    twin = project.graph.node_by_name("twin")
    assert twin is not None and project.graph.shared_group(twin.id)[1:]
    assert analyze(project.graph).total_params == model.count_params()


def test_nested_models_flatten_and_clashing_names_are_renamed(tmp_path: Path) -> None:
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="dense")], name="inner")
    x = keras.Input((5,), name="inp")
    body_in = keras.Input((5,), name="body_in")
    body = keras.Model(body_in, keras.layers.Dense(5, name="dense")(body_in), name="body")
    body.trainable = False
    model = keras.Model(x, inner(body(keras.layers.Dense(5, name="dense")(x))), name="outer")
    project, notes = import_keras(saved(model, tmp_path))
    graph = project.graph
    assert names(graph) == ["inp", "dense", "body_dense", "inner_dense"]
    assert edges_by_name(graph) == sorted([("inp", "dense", "input", 0), ("dense", "body_dense", "input", 0),
                                           ("body_dense", "inner_dense", "input", 0)])
    assert graph.node_by_name("body_dense").config["trainable"] is False
    assert any("'dense' of nested model 'body' -> 'body_dense'" in n for n in notes)
    assert any("flattened" in n for n in notes)
    analysis = analyze(graph)
    assert analysis.valid
    assert (analysis.trainable, analysis.non_trainable) == (30 + 18, 30)


def test_bare_get_config_and_to_json_both_import() -> None:
    x = keras.Input((3,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="y")(x), name="m")
    from_bare = import_config(model.get_config())[0].graph
    from_json = import_config(json.loads(model.to_json()))[0].graph
    assert names(from_bare) == names(from_json) == ["x", "y"]


def test_tf_keras_2_inbound_layout_imports() -> None:
    """tf.keras 2 wrote calls as [[layer, node, tensor, kwargs]]; Keras 3 still reads them."""
    config = {
        "class_name": "Functional",
        "config": {
            "name": "old", "trainable": True,
            "layers": [
                {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
                 "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False,
                            "name": "a"}},
                {"class_name": "InputLayer", "name": "b", "inbound_nodes": [],
                 "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False,
                            "name": "b"}},
                {"class_name": "Add", "name": "sum", "config": {"name": "sum", "trainable": True, "dtype": "float32"},
                 "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                {"class_name": "Dense", "name": "out", "config": {
                    "name": "out", "trainable": True, "dtype": "float32", "units": 2, "activation": "linear",
                    "use_bias": True,
                    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
                    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
                    "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                    "bias_constraint": None}, "inbound_nodes": [[["sum", 0, 0, {}]]]},
            ],
            "input_layers": [["a", 0, 0], ["b", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
    }
    graph = import_config(config)[0].graph
    assert graph.node_by_name("a").config["batch_shape"] == [None, 4]
    out = graph.node_by_name("out").config
    assert out["kernel_initializer"] == "glorot_uniform" and out["bias_initializer"] == "zeros"
    assert ("a", "sum", "inputs", 0) in edges_by_name(graph) and ("b", "sum", "inputs", 1) in edges_by_name(graph)
    analysis = analyze(graph)
    assert [p.param for p in analysis.errors] == ["activity_regularizer"], "unknown keys stay for validation"


def test_importing_never_loads_keras() -> None:
    code = ("import sys, json; from app.keras_bridge.importer import import_config; "
            "cfg = {'class_name': 'Sequential', 'config': {'name': 's', 'layers': ["
            "{'class_name': 'InputLayer', 'config': {'batch_shape': [None, 3]}},"
            "{'class_name': 'Dense', 'config': {'name': 'd', 'units': 2}}]}}; "
            "import_config(cfg); "
            "print(json.dumps(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# --- Normalization agrees with Keras ------------------------------------------------------------

def test_initializer_table_is_what_keras_writes() -> None:
    assert set(INITIALIZER_FORMS) == set(INITIALIZERS)
    for name, (class_name, config) in INITIALIZER_FORMS.items():
        written = keras.initializers.serialize(keras.initializers.get(name))
        assert written == {"module": "keras.initializers", "class_name": class_name, "config": config,
                           "registered_name": None}, name


def test_initializers_become_names_only_when_exactly_equivalent() -> None:
    he = keras.initializers.serialize(keras.initializers.HeNormal())
    seeded = keras.initializers.serialize(keras.initializers.HeNormal(seed=3))
    custom = keras.initializers.serialize(keras.initializers.VarianceScaling(scale=2.0, mode="fan_out"))
    uniform = keras.initializers.serialize(keras.initializers.RandomUniform())
    out = normalize_config("Dense", {"units": 2, "kernel_initializer": he, "bias_initializer": seeded})
    assert out["kernel_initializer"] == "he_normal"
    assert out["bias_initializer"]["config"]["seed"] == 3
    assert normalize_config("Conv2D", {"kernel_initializer": custom})["kernel_initializer"]["class_name"] == \
        "VarianceScaling"
    assert normalize_config("Embedding", {"embeddings_initializer": uniform})["embeddings_initializer"] == "uniform"
    assert normalize_config("Dense", {"kernel_initializer": uniform})["kernel_initializer"] == "random_uniform"


LAYER_CASES = sorted(name for name in ALL_CASES if not CATALOG[name].is_application)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("class_name", LAYER_CASES)
def test_normalized_keras_config_rebuilds_the_same_layer(class_name: str) -> None:
    """For random valid layers: Keras' own config, normalized, builds a layer with exactly that
    config again, and equals the normalized config we built it from (what round trips compare)."""
    spec = get_spec(class_name)
    assert spec is not None
    checked: list[bool] = []

    @settings(max_examples=8, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ALL_CASES[class_name])
    def run(case: Case) -> None:
        cfg = full_config(spec, case.config)
        try:
            spec.output(cfg, case.inputs)
        except ShapeError:
            return
        try:
            written = _built_config(class_name, cfg, case, "first")
        except Exception:  # cases Keras refuses at build time are the oracle tests' business
            return
        compact = normalize_config(class_name, written, case.inputs)
        again = _built_config(class_name, {k: v for k, v in compact.items()}, case, "first")
        assert _without_ids(again) == _without_ids(written), f"{class_name}: {compact}"
        assert canonical_config(class_name, written, case.inputs) == canonical_config(class_name, cfg, case.inputs)
        checked.append(True)

    run()
    assert checked, f"no valid case was drawn for {class_name}"


def _built_config(class_name: str, cfg: dict[str, Any], case: Case, name: str) -> dict[str, Any]:
    spec = get_spec(class_name)
    assert spec is not None
    tensors = [keras.Input(batch_shape=tuple(s), dtype=(case.dtypes[i] if case.dtypes else "float32"))
               for i, s in enumerate(case.inputs)]
    layer = build_layer(class_name, name, cfg, case.inputs)
    call_layer(layer, spec, tensors, (case.ports or [p.name for p in spec.ports])[: len(tensors)])
    return json.loads(json.dumps(keras.saving.serialize_keras_object(layer)["config"]))


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("shared_object_id", "build_config")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


# --- The command ---------------------------------------------------------------------------------

@pytest.fixture
def small_model_file(tmp_path: Path) -> Path:
    x = keras.Input((4,), name="features")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(x)
    model = keras.Model(x, keras.layers.Dense(3, activation="softmax", name="species")(h), name="iris_net")
    return saved(model, tmp_path, "iris.keras")


def test_cli_import_end_to_end(small_model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "iris.json"
    assert main(["import", str(small_model_file), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    first = printed.splitlines()[0]
    assert "imported 'iris_net'" in first and "2 layers" in first and "67 parameters" in first
    assert "note(s)" in first
    assert main(["check", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["total_params"] == 67
    assert [n["name"] for n in report["nodes"]] == ["features", "hidden", "species"]
    assert load_project(out).name == "iris_net"


def test_cli_default_output_and_force(small_model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = small_model_file.with_suffix(".json")
    assert main(["import", str(small_model_file)]) == 0
    assert out.exists()
    out.write_text("keep me", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(small_model_file)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me"
    assert main(["import", str(small_model_file), "--force", "--name", "Iris"]) == 0
    assert load_project(out).name == "Iris"
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")], "atomic save leaves no temp file"


def test_cli_refuses_to_overwrite_the_model_and_unreadable_targets(small_model_file: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(small_model_file), "-o", str(small_model_file), "--force"]) == 2
    assert "overwrite the model file" in capsys.readouterr().err
    missing_dir = tmp_path / "no" / "such" / "dir" / "p.json"
    assert main(["import", str(small_model_file), "-o", str(missing_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
    assert main(["import", str(tmp_path / "absent.keras"), "-o", str(tmp_path / "x.json")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_an_output_that_also_feeds_another_layer_stays_an_output(tmp_path) -> None:
    """Keras names outputs explicitly; an intermediate output (deep supervision) must survive."""
    import keras

    from app.keras_bridge.compile import compile_graph
    from app.keras_bridge.importer import import_keras

    keras.backend.clear_session()
    x = keras.Input((8,), name="x")
    aux = keras.layers.Dense(4, name="aux")(x)
    head = keras.layers.Dense(2, name="head")(aux)
    path = tmp_path / "two_heads.keras"
    keras.Model(x, [head, aux], name="two_heads").save(path)
    project, notes = import_keras(path)
    assert [n.name for n in project.graph.output_nodes()] == ["head", "aux"]
    assert not any("aux" in note for note in notes)
    rebuilt = compile_graph(project.graph, project.name)
    original = keras.saving.load_model(path)
    assert rebuilt.get_config()["output_layers"] == original.get_config()["output_layers"]
    assert rebuilt.count_params() == original.count_params()
