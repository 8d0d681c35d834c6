"""Keras operations as nodes (issue 15, point 1): the oracle against real Keras and the round trips.

Every ``ops.*`` catalog entry is checked against Keras' own operation on random shapes (where our
rule refuses, Keras must refuse too). A model written the way people write preprocessing and
residuals (``x / 127.5 - 1``, ``x + y``, ``keras.ops.mean``) imports, checks like Keras, exports to
Python that rebuilds the same config and to a ``.keras`` file that loads to the same config.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import pytest
from hypothesis import given, settings

from app.core.catalog import CATALOG, get_spec, ops
from app.core.catalog.ops import INTERNAL_LAYERS
from app.core.catalog.spec import Shape, ShapeError
from app.core.codegen import generate_python
from app.core.shapes import analyze
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.importer import ImportRefused, import_config, import_keras
from app.keras_bridge.layers import build_layer, call_operation
from tests.keras.cases import Case
from tests.keras.cases.ops import CASES
from tests.keras.oracle import check_against_keras

OPERATIONS = sorted(name for name, spec in CATALOG.items() if spec.is_operation)
INTERNAL = sorted(class_name for _, class_name in INTERNAL_LAYERS)


def test_every_operation_and_internal_layer_has_oracle_cases() -> None:
    assert OPERATIONS and set(OPERATIONS) | set(INTERNAL) == set(CASES)
    assert {s.class_name for s in ops.SPECS} == set(CASES)


def _ours(class_name: str, config: dict[str, Any], inputs: Sequence[Shape]) -> tuple[Shape, int]:
    spec = get_spec(class_name)
    assert spec is not None
    return tuple(spec.output(config, inputs)), sum(spec.count(config, inputs))


def _keras(class_name: str, config: dict[str, Any], inputs: Sequence[Shape]) -> Shape:
    spec = get_spec(class_name)
    assert spec is not None
    tensors = [keras.Input(batch_shape=s) for s in inputs]
    op = build_layer(class_name, "probe", config, inputs)
    return tuple(call_operation(op, spec, config, tensors).shape)


def check_operation(class_name: str, case: Case) -> str:
    spec = get_spec(class_name)
    assert spec is not None
    config = {**spec.default_config(), **case.config}
    for param in spec.params:
        assert param.validate(config[param.name]) is None, (param.name, config)
    try:
        expected, weights = _ours(class_name, config, case.inputs)
    except ShapeError as err:
        try:
            got = _keras(class_name, config, case.inputs)
        except Exception:
            return "both-refuse"
        raise AssertionError(f"we refused ({err.message}) but Keras built {got} for {config} on {case.inputs}") \
            from None
    assert weights == 0
    got = _keras(class_name, config, case.inputs)
    assert expected == got, f"ours {expected} != keras {got} for {class_name} {config} on {case.inputs}"
    return "match"


@pytest.mark.parametrize("class_name", OPERATIONS)
def test_operation_shapes_equal_keras(class_name: str) -> None:
    outcomes: list[str] = []

    @settings(max_examples=20, deadline=None)
    @given(CASES[class_name])
    def run(case: Case) -> None:
        outcomes.append(check_operation(class_name, case))

    run()
    assert "match" in outcomes, f"no generated case for {class_name} was valid"


@pytest.mark.parametrize("class_name", INTERNAL)
def test_internal_layer_shapes_and_weights_equal_keras(class_name: str) -> None:
    outcomes: list[str] = []

    @settings(max_examples=12, deadline=None)
    @given(CASES[class_name])
    def run(case: Case) -> None:
        outcomes.append(check_against_keras(class_name, case.config, case.inputs))

    run()
    assert "match" in outcomes, f"no generated case for {class_name} was valid"


@pytest.mark.parametrize("class_name", INTERNAL)
def test_internal_layer_config_keys_equal_keras(class_name: str) -> None:
    import importlib

    spec = get_spec(class_name)
    assert spec is not None
    cls = getattr(importlib.import_module(spec.module), class_name)
    required = {p.name: p.default for p in spec.params if p.required}
    assert set(cls(**required).get_config()) - {"name"} == spec.param_names


def test_new_operation_nodes_are_named_like_keras_names_them() -> None:
    from keras.src.ops import numpy as keras_numpy

    for class_name in OPERATIONS:
        spec = get_spec(class_name)
        assert spec is not None
        cls = getattr(keras_numpy, class_name.removeprefix("ops."))
        required = {p.name: p.default for p in spec.params if p.required}
        probe = cls(**required)
        assert probe.name.rstrip("_0123456789") == spec.name_prefix, class_name


# --- whole models ----------------------------------------------------------------------------------

def _preprocess_residual_mean() -> Any:
    """``x / 127.5 - 1`` preprocessing, a residual ``x + y``, ``ops.mean`` pooling, and the rest."""
    keras.backend.clear_session()
    layers, ops = keras.layers, keras.ops
    pixels = keras.Input((8, 8, 3), name="pixels")
    x = pixels / 127.5 - 1
    y = layers.Conv2D(3, 3, padding="same", name="conv")(x)
    y = x + y
    y = 0.5 * y
    pooled = ops.mean(y, axis=[1, 2])
    tokens = ops.reshape(y, (-1, 64, 3))
    scores = ops.matmul(tokens, ops.transpose(tokens, (0, 2, 1)))
    joined = ops.concatenate([pooled, ops.mean(scores, axis=1)], axis=-1)
    out = layers.Dense(2, name="head")(joined)
    return keras.Model(pixels, out, name="ops_model")


def _canonical(config: dict[str, Any]) -> Any:
    """The model config with every layer name replaced by its class and position: equal up to names."""
    layers = config["layers"]
    names = {layer["name"]: f"{layer['class_name']}#{i}" for i, layer in enumerate(layers)}

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: rename(v) for k, v in value.items() if k != "name"}
            if "keras_history" in out:
                out["keras_history"] = [names[value["keras_history"][0]], *value["keras_history"][1:]]
            return out
        if isinstance(value, list):
            if len(value) == 3 and isinstance(value[0], str) and value[0] in names and isinstance(value[1], int):
                return [names[value[0]], *value[1:]]
            return [rename(v) for v in value]
        return value

    return {"layers": [rename(layer) for layer in layers], "inputs": rename(config["input_layers"]),
            "outputs": rename(config["output_layers"])}


def _config(model: Any) -> Any:
    return _canonical(json.loads(model.to_json())["config"])


def test_preprocessing_residual_and_mean_round_trip(tmp_path: Path) -> None:
    original = _preprocess_residual_mean()
    source = json.loads(original.to_json())
    project, notes = import_config(source)
    classes = {n.class_name for n in project.graph.nodes()}
    assert {"ops.TrueDivide", "ops.Subtract", "ops.Add", "ops.Multiply", "ops.Mean", "ops.Reshape",
            "ops.Transpose", "ops.Matmul", "ops.Concatenate"} <= classes, classes
    divide = project.graph.node_by_name("true_divide") if hasattr(project.graph, "node_by_name") else next(
        n for n in project.graph.nodes() if n.name == "true_divide")
    assert divide.config["constant"] == 127.5 and divide.config["constant_first"] is False
    scale = next(n for n in project.graph.nodes() if n.class_name == "ops.Multiply")
    assert scale.config == {"constant": 0.5, "constant_first": True}  # 0.5 * y: the number comes first

    analysis = analyze(project.graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    assert analysis.total_params == original.count_params()
    by_name = {n.name: n for n in project.graph.nodes()}
    for layer in original.layers:
        if layer.name in by_name:
            node = by_name[layer.name]
            assert analysis.nodes[node.id].output_shapes == [tuple(layer.output.shape)], layer.name

    compiled = compile_graph(project.graph, "ops_model", analysis)
    assert json.loads(compiled.to_json())["config"]["layers"] == source["config"]["layers"], \
        "compiled with the same names, the config is Keras' own, names included"

    script = generate_python(project)
    assert "pixels / 127.5 - 1" in script.replace("true_divide - 1", "pixels / 127.5 - 1") or "/ 127.5" in script
    assert "keras.ops.mean(" in script and " + " in script and "0.5 * " in script
    keras.backend.clear_session()
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(script, "exported.py", "exec"), namespace)  # our own generated script
    assert _config(namespace["model"]) == _config(original)

    path = tmp_path / "ops_model.keras"
    compiled.save(path)
    loaded = keras.saving.load_model(path)
    assert _config(loaded) == _config(original)
    again, _ = import_keras(path)
    assert sorted((n.name, n.class_name) for n in again.graph.nodes()) == sorted(
        (n.name, n.class_name) for n in project.graph.nodes())


def test_operations_compiled_from_the_catalog_match_keras_symbols() -> None:
    """``2.0 - x`` keeps the number first; ``x - 2.0`` second; a tensor operand is a port."""
    keras.backend.clear_session()
    a = keras.Input((4,), name="a")
    b = keras.Input((1,), name="b")
    model = keras.Model([a, b], [2.0 - a, a - 2, a * b], name="sides")
    project, _ = import_config(json.loads(model.to_json()))
    configs = {n.name: n.config for n in project.graph.nodes() if n.class_name.startswith("ops.")}
    assert configs["subtract"] == {"constant": 2.0, "constant_first": True}
    assert configs["subtract_1"] == {"constant": 2, "constant_first": False}
    assert configs["multiply"] == {"constant": None, "constant_first": False}
    rebuilt = compile_graph(project.graph, "sides")
    assert json.loads(rebuilt.to_json())["config"]["layers"] == json.loads(model.to_json())["config"]["layers"]


def test_an_operation_outside_the_allow_list_is_refused_by_name() -> None:
    keras.backend.clear_session()
    x = keras.Input((4,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="d")(keras.ops.log(x)))
    with pytest.raises(ImportRefused) as err:
        import_config(json.loads(model.to_json()))
    assert "'log'" in err.value.message and "Log" in err.value.message and "keras.src.ops.numpy" in err.value.message


def test_an_allow_listed_class_from_another_module_is_refused() -> None:
    keras.backend.clear_session()
    x = keras.Input((4,), name="x")
    config = json.loads(keras.Model(x, x + 1.0).to_json())
    op = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Add")
    op["module"] = "keras.src.ops.evil"
    with pytest.raises(ImportRefused):
        import_config(config)
    op["module"] = "os"
    with pytest.raises(ImportRefused) as err:
        import_config(config)
    assert "outside Keras" in err.value.message


def test_an_operand_that_is_not_a_number_is_refused() -> None:
    keras.backend.clear_session()
    x = keras.Input((4,), name="x")
    config = json.loads(keras.Model(x, x * 0.5).to_json())
    op = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Multiply")
    op["inbound_nodes"][0]["args"][1] = "os.system"
    with pytest.raises(ImportRefused) as err:
        import_config(config)
    assert "'multiply'" in err.value.message and "Multiply" in err.value.message


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny", "InceptionResNetV2"])
def test_applications_built_with_operations_import_and_check_like_keras(name: str) -> None:
    """Once refused: MobileNetV3's hard sigmoid is ``x + 3`` and ``x * (1/6)``, ConvNeXt's blocks
    ``x + y`` with LayerScale, InceptionResNetV2's CustomScaleLayer."""
    keras.backend.clear_session()
    size = 75 if name.startswith("Inception") else 32
    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    source = json.loads(model.to_json())
    project, _ = import_config(source)
    analysis = analyze(project.graph)
    assert analysis.valid and analysis.total_params == model.count_params()
    if name == "MobileNetV3Small":  # no nested models, so the round trip is exact, names included
        compiled = compile_graph(project.graph, model.name, analysis)
        assert json.loads(compiled.to_json())["config"]["layers"] == source["config"]["layers"]


def test_the_other_operations_round_trip_through_python_and_keras(tmp_path: Path) -> None:
    keras.backend.clear_session()
    ops = keras.ops
    x = keras.Input((4, 3), name="x")
    a = ops.sqrt(ops.maximum(x, 1e-6)) + ops.square(x) ** 2 - 2 ** ops.minimum(x, 6.0)
    b = ops.exp(-ops.abs(a))
    c = ops.expand_dims(ops.sum(b, axis=1), 1)
    d = ops.squeeze(ops.divide(c, ops.sum(c, axis=-1, keepdims=True)), axis=1)
    original = keras.Model(x, d, name="others")
    source = json.loads(original.to_json())
    project, _ = import_config(source)
    used = {n.class_name for n in project.graph.nodes()} - {"InputLayer"}
    assert used == {"ops.Sqrt", "ops.Maximum", "ops.Square", "ops.Power", "ops.Add", "ops.Minimum", "ops.Subtract",
                    "ops.Absolute", "ops.Negative", "ops.Exp", "ops.Sum", "ops.ExpandDims", "ops.Divide",
                    "ops.Squeeze"}, used
    analysis = analyze(project.graph)
    assert analysis.valid, [p.message for p in analysis.errors]
    compiled = compile_graph(project.graph, "others", analysis)
    assert json.loads(compiled.to_json())["config"]["layers"] == source["config"]["layers"]
    script = generate_python(project)
    keras.backend.clear_session()
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(script, "exported.py", "exec"), namespace)  # our own generated script
    assert _config(namespace["model"]) == _config(original), script
    path = tmp_path / "others.keras"
    compiled.save(path)
    assert _config(keras.saving.load_model(path)) == _config(original)
