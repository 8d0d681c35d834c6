"""Exported Python (app.core.codegen) without Keras: readable, black-stable and inert for hostile input.

Running the generated scripts against real Keras is tests/keras/test_codegen_roundtrip.py.
"""

from __future__ import annotations

import ast
import io
import json
import math
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import pytest

from app.core.codegen import (
    OPTIMIZERS,
    RESERVED_NAMES,
    CodegenError,
    Namer,
    format_source,
    generate_python,
    identifier,
    keras_model_name,
)
from app.core.graph import Graph
from app.core.project import Project, load_project
from tests.unit.helpers import chain

MODELS = sorted((Path(__file__).resolve().parents[2] / "models").glob("*.json"))
HOSTILE_NAME = 'x"); __import__("os").system("touch pwned") #'
HOSTILE_TEXT = 'P\x00""" \'\'\' \\ \\x00 \n"""; __import__("os").system("touch pwned"); """\r\n\u202e end \\'
FORBIDDEN_NAMES = {"__import__", "os", "system", "eval", "exec", "compile", "open", "subprocess", "popen",
                   "getattr", "globals", "builtins", "__builtins__"}
OUR_COMMENTS = ("# Train it on your own data, for example:", "# model.fit(x_train, y_train, ",
                "# Weights from a file, its path relative to the project folder (run the script there).",
                "# Two-phase training (transfer learning), as in the project training settings.",
                "# Keras reads trainability when compiling: compile again, with the lower learning rate.")


def project_of(graph: Graph, **kwargs: Any) -> Project:
    return Project(graph=graph, **kwargs)


def mlp_project(**kwargs: Any) -> Project:
    graph = Graph()
    chain(
        graph,
        ("InputLayer", {"batch_shape": [None, 4]}),
        ("Dense", {"units": 8, "activation": "relu"}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    )
    return project_of(graph, name="tiny mlp", **kwargs)


TWO_PHASE_NAMES = ("FINE_TUNE_LAYERS", "FINE_TUNE_EPOCHS", "FINE_TUNE_LEARNING_RATE", "first", "second", "done",
                   "frozen")
"""Names of the two-phase training section (locals of ``train_in_two_phases`` and its constants)."""


def assigned_names(tree: ast.Module) -> list[str]:
    return [t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)]


def statements(source: str) -> str:
    """One line per statement (``ast.unparse``: single quotes), whatever black's line breaks."""
    return "\n".join(ast.unparse(stmt) for stmt in ast.parse(source).body)


def comments(source: str) -> list[str]:
    return [tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT]


def string_constants(tree: ast.Module) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def assert_inert(source: str) -> ast.Module:
    """Only our imports, no dangerous names anywhere, only our comments, our docstring."""
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == ["import keras", "from keras import layers"]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & FORBIDDEN_NAMES
    assert not attrs & (FORBIDDEN_NAMES - {"compile"}), "model.compile is the only 'compile'"
    assert {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "compile"} <= {
        "model.compile"}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = ast.unparse(call.func)
        assert func.startswith(("keras.", "layers.", "model.")) or func in names or func.split(".")[0] in names, func
    for comment in comments(source):
        assert comment.startswith(OUR_COMMENTS), comment
        assert "pwned" not in comment and '"' not in comment and "'" not in comment
    docstring = ast.get_docstring(tree)
    assert docstring is not None and docstring.startswith("A Keras model exported from Layerforge.")
    assert "pwned" not in docstring
    return tree


# --- every example -----------------------------------------------------------------------

@pytest.mark.parametrize("path", [p for p in MODELS if '"recipe": "supervised"' in p.read_text()],  # recipes:
                         ids=lambda p: p.stem)  # tests/unit/test_recipes_codegen.py
def test_examples_parse_are_black_stable_and_use_safe_identifiers(path: Path) -> None:
    project = load_project(path)
    source = generate_python(project)
    tree = assert_inert(source)
    assert format_source(source) == source
    names = assigned_names(tree)
    variables = [n for n in names if n not in ("PROJECT_NAME", "DESCRIPTION", "model", *TWO_PHASE_NAMES)]
    assert len(variables) == len(set(variables)), "every layer gets its own variable"
    for name in variables:
        assert name.isidentifier() and name == identifier(name) and name not in RESERVED_NAMES
    constants = string_constants(tree)
    assert project.name in constants and project.description in constants
    for node in project.graph.nodes():
        assert node.name in constants
    assert source.rstrip().endswith('if __name__ == "__main__":\n    model.summary()')
    assert "model.summary()" not in source.split("if __name__")[0]


def test_only_parameters_that_differ_from_keras_defaults_are_written() -> None:
    source = statements(generate_python(mlp_project()))
    assert "dense = layers.Dense(8, activation='relu', name='dense')(input_)" in source
    assert "dense_1 = layers.Dense(3, activation='softmax', name='dense_1')(dense)" in source
    for default_only in ("use_bias", "kernel_initializer", "bias_regularizer", "trainable", "dtype"):
        assert default_only not in source
    assert "input_ = keras.Input(shape=(4,), name='input')" in source


def test_layers_with_several_required_parameters_name_them() -> None:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 28, 28, 1]}),
          ("Conv2D", {"filters": 6, "kernel_size": [5, 5], "padding": "same"}))
    source = statements(generate_python(project_of(graph)))
    assert "layers.Conv2D(filters=6, kernel_size=(5, 5), padding='same', name='conv2d')" in source


def test_training_settings_become_compile_and_a_commented_fit() -> None:
    source = generate_python(mlp_project(training={
        "optimizer": "SGD", "learning_rate": 0.05, "loss": "mse", "metrics": ["mae", "mse"], "batch_size": 8,
        "epochs": 3, "validation_split": 0.0, "shuffle": False}))
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)" in source
    assert 'loss="mse"' in source and 'metrics=["mae", "mse"]' in source
    assert "# model.fit(x_train, y_train, batch_size=8, epochs=3, shuffle=False)" in source


def test_optimizer_options_and_metric_objects_are_written_as_keras_calls() -> None:
    text = generate_python(mlp_project(training={
        "optimizer": "adamw", "learning_rate": 0.01, "weight_decay": 0.05, "clipnorm": 1.0,
        "metrics": ["accuracy", "top3_accuracy", "auc"], "schedule": "cosine"}))
    source = statements(text)
    assert "keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05, clipnorm=1.0)" in source
    assert ("metrics=['accuracy', keras.metrics.SparseTopKCategoricalAccuracy(k=3, name='top3_accuracy'), "
            "keras.metrics.AUC(name='auc')]") in source
    assert "'cosine' learning-rate schedule" in text
    sgd = statements(generate_python(mlp_project(training={"optimizer": "sgd", "momentum": 0.5, "nesterov": True})))
    assert "keras.optimizers.SGD(learning_rate=0.001, momentum=0.5, nesterov=True)" in sgd


def test_every_known_optimizer_is_a_keras_class_name() -> None:
    for key, class_name in OPTIMIZERS.items():
        assert key == key.lower() and class_name.isidentifier()


def test_multiple_inputs_and_outputs_are_lists_in_graph_order() -> None:
    graph = Graph()
    a = graph.add_node("InputLayer", name="a", config={"batch_shape": [None, 3]})
    b = graph.add_node("InputLayer", name="b", config={"batch_shape": [2, 3], "dtype": "float64"})
    add = graph.add_node("Add", name="sum")
    graph.connect(a.id, add.id, "inputs")
    graph.connect(b.id, add.id, "inputs")
    first = graph.add_node("Dense", name="first", config={"units": 1})
    second = graph.add_node("Dense", name="second", config={"units": 2})
    graph.connect(add.id, first.id)
    graph.connect(add.id, second.id)
    graph.output_order = [second.id, first.id]
    source = statements(generate_python(project_of(graph, name="two heads")))
    assert "b = keras.Input(batch_shape=(2, 3), dtype='float64', name='b')" in source
    assert "sum_ = layers.Add(name='sum')([a, b])" in source
    assert "model = keras.Model(inputs=[a, b], outputs=[second, first], name='two_heads')" in source


def test_attention_is_called_by_keyword_and_wrappers_nest_their_layer() -> None:
    graph = Graph()
    x = graph.add_node("InputLayer", name="seq", config={"batch_shape": [None, 10, 8]})
    mha = graph.add_node("MultiHeadAttention", name="mha", config={"num_heads": 2, "key_dim": 4})
    graph.connect(x.id, mha.id, "query")
    graph.connect(x.id, mha.id, "value")
    lstm = {"module": "keras.layers", "class_name": "LSTM", "config": {"units": 5, "return_sequences": True,
                                                                        "name": "inner"}, "registered_name": None}
    bi = graph.add_node("Bidirectional", name="bi", config={"layer": lstm, "merge_mode": "sum"})
    graph.connect(mha.id, bi.id)
    source = statements(generate_python(project_of(graph)))
    assert "mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, name='mha')(query=seq, value=seq)" in source
    assert ("bi = layers.Bidirectional(layers.LSTM(5, return_sequences=True, name='inner'), merge_mode='sum', "
            "name='bi')(mha)") in source


def test_application_backbone_is_built_frozen_and_called() -> None:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 96, 96, 3]}),
          ("MobileNetV2", {"trainable": False, "pooling": "avg"}))
    source = generate_python(project_of(graph))
    assert ("mobilenetv2 = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, "
            "weights=None, pooling='avg', name='mobilenetv2')\n"
            "mobilenetv2.trainable = False\n"
            "mobilenetv2_output = mobilenetv2(input_, training=False)") in statements(source)
    assert "nothing is downloaded" in source


def test_imagenet_weights_are_announced_in_the_docstring() -> None:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 96, 96, 3]}), ("MobileNetV2", {"weights": "imagenet"}))
    docstring = ast.get_docstring(ast.parse(generate_python(project_of(graph))))
    assert docstring is not None and "downloads pretrained weights" in docstring


def test_dict_configs_are_plain_dict_literals() -> None:
    initializer = {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 3},
                   "registered_name": None}
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 4]}),
          ("Dense", {"units": 2, "kernel_initializer": initializer}))
    tree = ast.parse(generate_python(project_of(graph)))
    dense = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "layers.Dense")
    value = next(k.value for k in dense.keywords if k.arg == "kernel_initializer")
    assert ast.literal_eval(value) == initializer


# --- hostile input ---------------------------------------------------------------------------

def hostile_project() -> Project:
    graph = Graph()
    chain(
        graph,
        ("InputLayer", {"batch_shape": [None, 4]}),
        ("Dense", {"units": 2, "activation": 'relu"); __import__("os").system("touch pwned") #'}),
    )
    first, second = graph.nodes()
    graph.rename(first.id, HOSTILE_NAME)
    graph.rename(second.id, HOSTILE_NAME + "\n'''\"\"\"\\")
    return project_of(graph, name=HOSTILE_TEXT, description=HOSTILE_TEXT * 3,
                      training={"loss": HOSTILE_NAME, "metrics": [HOSTILE_TEXT]})


def test_hostile_names_and_text_appear_only_as_string_constants() -> None:
    project = hostile_project()
    source = generate_python(project)
    tree = assert_inert(source)
    constants = string_constants(tree)
    for text in (HOSTILE_NAME, HOSTILE_NAME + "\n'''\"\"\"\\", HOSTILE_TEXT, HOSTILE_TEXT * 3,
                 'relu"); __import__("os").system("touch pwned") #'):
        assert text in constants
    assert [n for n in assigned_names(tree) if "pwned" in n] == ["x_import_os_system_touch_pwned",
                                                                 "x_import_os_system_touch_pwned_2"]
    assert "\u202e" not in source, "bidi controls are escaped, so the file reads as it runs"
    assert format_source(source) == source


def test_hostile_config_keys_classes_and_ports_are_refused() -> None:
    project = mlp_project()
    dense = project.graph.nodes()[1]
    project.graph.set_param(dense.id, 'units=1)#', 3)
    with pytest.raises(CodegenError, match="has no such parameter"):
        generate_python(project)

    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 4]})
    evil = graph.add_node('Dense(1)(x); import os #', name="evil")
    graph.connect(inp.id, evil.id, check=False)
    with pytest.raises(CodegenError, match="not a layer Layerforge supports"):
        generate_python(project_of(graph))

    graph = Graph()
    inp = graph.add_node("InputLayer", config={"batch_shape": [None, 4, 8]})
    mha = graph.add_node("MultiHeadAttention", name="mha")
    graph.connect(inp.id, mha.id, "query")
    graph.connect(inp.id, mha.id, "value=__import__('os')", check=False)
    with pytest.raises(CodegenError, match="no input port"):
        generate_python(project_of(graph))


def test_values_that_are_not_plain_data_are_refused() -> None:
    project = mlp_project()
    dense = project.graph.nodes()[1]
    project.graph.nodes()[1].config["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": object()}}
    with pytest.raises(CodegenError, match="not plain data") as info:
        generate_python(project)
    assert info.value.node == dense.name and info.value.param == "kernel_regularizer"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_naming_layer_and_parameter(bad: float) -> None:
    project = mlp_project()
    dense = project.graph.nodes()[1]
    dense.config["kernel_regularizer"] = {"module": "keras.regularizers", "class_name": "L2",
                                          "config": {"l2": bad}, "registered_name": None}
    with pytest.raises(CodegenError) as info:
        generate_python(project)
    message = str(info.value)
    assert "'dense'" in message and "'kernel_regularizer'" in message and "finite" in message
    assert (info.value.node, info.value.param) == ("dense", "kernel_regularizer")

    project = mlp_project()
    graph = project.graph
    drop = graph.add_node("Dropout", name="drop")
    graph.connect(graph.nodes()[2].id, drop.id)
    drop.config["rate"] = bad
    with pytest.raises(CodegenError, match=r"layer 'drop', parameter 'rate': .* finite"):
        generate_python(project)


@pytest.mark.parametrize("key, value", [("learning_rate", math.nan), ("batch_size", "32\nimport os"),
                                        ("epochs", True), ("optimizer", "adam(); import os"),
                                        ("metrics", "accuracy")])
def test_bad_training_settings_are_refused(key: str, value: Any) -> None:
    with pytest.raises(CodegenError, match=f"training setting {key}"):
        generate_python(mlp_project(training={key: value}))


def test_unicode_names_get_ascii_identifiers_and_keep_their_text() -> None:
    graph = Graph()
    chain(graph, ("InputLayer", {"batch_shape": [None, 4]}), ("Dense", {"units": 2}), ("Dense", {"units": 1}))
    a, b, c = graph.nodes()
    graph.rename(a.id, "café_ñandú")
    graph.rename(b.id, "数据")
    graph.rename(c.id, "😀 out")
    project = project_of(graph, name="Modèle ünïcode 数据", description="Beschreibung: größer als ∞")
    source = generate_python(project)
    tree = assert_inert(source)
    assert assigned_names(tree)[2:5] == ["cafe_nandu", "layer", "out"]
    constants = string_constants(tree)
    assert {"café_ñandú", "数据", "😀 out", "Modèle ünïcode 数据", "Beschreibung: größer als ∞"} <= constants
    assert 'name="mod_le_n_code"' in source
    source.encode("utf-8")


@pytest.mark.parametrize("text, expected", [
    ("dense_1", "dense_1"), ("Dense/1", "dense_1"), ("block1.conv-2", "block1_conv_2"), ("2d", "layer_2d"),
    ("class", "class_"), ("input", "input_"), ("print", "print_"), ("model", "model_"), ("keras", "keras_"),
    ("layers", "layers_"), ("__name__", "name"), ("___", "layer"), ("", "layer"), ("match", "match_"),
    ("x" * 200, "x" * 60),
])
def test_identifier(text: str, expected: str) -> None:
    assert identifier(text) == expected


def test_namer_makes_unique_names() -> None:
    namer = Namer()
    assert [namer.take(t) for t in ("dense-1", "dense_1", "Dense 1", "dense_1_2")] == [
        "dense_1", "dense_1_2", "dense_1_3", "dense_1_2_2"]


@pytest.mark.parametrize("text, expected", [("My Model!", "my_model"), ("", "model"), ("***", "model"),
                                            ("a" * 100, "a" * 64)])
def test_keras_model_name(text: str, expected: str) -> None:
    assert keras_model_name(text) == expected


def test_structural_problems_are_refused_with_a_reason() -> None:
    with pytest.raises(CodegenError, match="empty"):
        generate_python(project_of(Graph()))
    graph = Graph()
    graph.add_node("InputLayer", config={"batch_shape": [None, 4]})
    graph.add_node("Dense", name="floating")
    with pytest.raises(CodegenError, match="'floating': no input is connected"):
        generate_python(project_of(graph))
    graph = Graph()
    a, b = chain(graph, ("Dense", {}), ("Dense", {}))
    graph.connect(b.id, a.id, check=False)
    with pytest.raises(CodegenError, match="loop"):
        generate_python(project_of(graph))


def test_generating_code_imports_no_keras_or_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "from app.core.codegen import generate_python\n"
        "from app.core.project import load_project\n"
        f"generate_python(load_project({json.dumps(str(MODELS[0]))}))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {'keras', 'tensorflow'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
