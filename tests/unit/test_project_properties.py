"""Properties of project files: save -> load is the identity on valid projects, and no
corruption of a saved file makes the loader fail with anything but a ProjectError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.core.catalog.spec import ACTIVATIONS
from app.core.graph import Graph
from app.core.project import Project, ProjectError, dumps, load_project, project_to_dict, save_project
from app.core.shapes import analyze

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

finite = st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | finite | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
layer_names = st.builds(lambda first, rest: first + rest, st.sampled_from(NAME_START),
                        st.text(alphabet=NAME_START + ".-/", max_size=15))
"""Valid Keras layer names (``name_problem`` accepts them); cheaper than ``from_regex``."""

LAYER_CONFIGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "Dense": st.fixed_dictionaries({
        "units": st.integers(1, 4096),
        "activation": st.sampled_from(ACTIVATIONS),
        "use_bias": st.booleans(),
        "trainable": st.booleans(),
    }),
    "Dropout": st.fixed_dictionaries({
        "rate": st.floats(0.0, 1.0, exclude_max=True),
        "seed": st.none() | st.integers(0, 2**31),
    }),
    "Activation": st.fixed_dictionaries({"activation": st.sampled_from(ACTIVATIONS)}),
    "Flatten": st.fixed_dictionaries({"data_format": st.sampled_from(["channels_last", "channels_first"])}),
}


@st.composite
def graphs(draw: st.DrawFn, max_layers: int = 8) -> Graph:
    """A random DAG: one or two Inputs, then layers fed by earlier nodes (edges only go forward)."""
    graph = Graph()
    inputs = draw(st.integers(1, 2))
    layers = draw(st.lists(st.sampled_from(sorted(LAYER_CONFIGS)), max_size=max_layers))
    count = inputs + len(layers)
    ids = draw(st.lists(st.text(min_size=1, max_size=8), min_size=count, max_size=count, unique=True))
    for i in range(count):
        if i < inputs:
            dims = draw(st.lists(st.integers(1, 64), min_size=1, max_size=3))
            class_name, config = "InputLayer", {"batch_shape": [None, *dims]}
        else:
            class_name = layers[i - inputs]
            config = draw(LAYER_CONFIGS[class_name])
        node_id = ids[i]
        name = f"{draw(layer_names)}_{i}"
        position = (draw(finite), draw(finite))
        graph.add_node(class_name, name, config, position, node_id)
        if i >= inputs:
            nodes = graph.nodes()
            sources = draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=2))
            for slot, source in enumerate(sources):
                graph.connect(nodes[source].id, node_id, slot=slot, check=False)
    node_ids = [n.id for n in graph.nodes()]
    graph.output_order = draw(st.permutations(node_ids).flatmap(lambda p: st.sampled_from(
        [p[:k] for k in range(len(p) + 1)])))
    return graph


@st.composite
def projects(draw: st.DrawFn, max_layers: int = 8) -> Project:
    training = draw(st.fixed_dictionaries(
        {},
        optional={
            "optimizer": st.sampled_from(["adam", "sgd", "rmsprop"]),
            "learning_rate": st.floats(1e-6, 1.0),
            "epochs": st.integers(1, 1000),
            "batch_size": st.integers(1, 4096),
            "validation_split": st.floats(0.0, 0.9),
            "metrics": st.lists(st.text(max_size=10), max_size=3),
            "shuffle": st.booleans(),
            "notes": json_values,
        },
    ))
    dataset = draw(st.none() | st.fixed_dictionaries({"name": st.text(max_size=20)})
                   | st.fixed_dictionaries({"path": st.text(max_size=30), "target": st.text(max_size=10)}))
    return Project(graph=draw(graphs(max_layers)), name=draw(st.text(max_size=40)),
                   description=draw(st.text(max_size=120)), training=training, dataset=dataset)


@PROPERTY_SETTINGS
@given(project=projects())
def test_save_then_load_is_the_identity(tmp_path: Path, project: Project) -> None:
    path = tmp_path / "model.json"
    save_project(project, path)
    loaded = load_project(path)
    assert project_to_dict(loaded) == project_to_dict(project)
    assert loaded.graph.to_dict() == project.graph.to_dict()
    assert [n.position for n in loaded.graph.nodes()] == [n.position for n in project.graph.nodes()]
    assert dumps(loaded) == path.read_text(encoding="utf-8")


# --- corruptions -------------------------------------------------------------------------------

def _locations(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value in a JSON document (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*here, key))
            found.extend(_locations(child, (*here, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.append((*here, i))
            found.extend(_locations(child, (*here, i)))
    return found


WILD: dict[str, st.SearchStrategy[Any]] = {
    "NoneType": st.none(),
    "bool": st.booleans(),
    "number": st.integers() | st.floats() | st.just(10**400) | st.just(-0.0),
    "str": st.text(max_size=20) | st.sampled_from(["", "Lambda", "input", "n1", "__import__('os')"]),
    "list": st.lists(json_values, max_size=4),
    "dict": st.dictionaries(st.text(max_size=10), json_values, max_size=4),
}
"""Random JSON by type, NaN/Infinity and overflowing integers included."""


def _kind(value: Any) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


@st.composite
def json_corruption(draw: st.DrawFn, text: str) -> bytes:
    """Replace a value by JSON of another type (NaN/Infinity included) or delete a key."""
    data = json.loads(text)
    locations = _locations(data)
    if not locations:
        return draw(json_values.map(lambda v: json.dumps(v).encode("utf-8")))
    where = draw(st.sampled_from(locations))
    parent: Any = data
    for part in where[:-1]:
        parent = parent[part]
    old = parent[where[-1]]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[where[-1]]
    else:
        others = [strategy for kind, strategy in WILD.items() if kind != _kind(old)]
        parent[where[-1]] = draw(st.one_of(others))
    return json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8")


@st.composite
def byte_corruption(draw: st.DrawFn, raw: bytes) -> bytes:
    """Truncate, flip, insert or delete bytes at random places."""
    how = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
    at = draw(st.integers(1, len(raw) - 1))  # an empty file has its own test
    if how == "truncate":
        return raw[:at]
    if how == "flip":
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1:]
    if how == "insert":
        return raw[:at] + draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
            [b"NaN", b"-Infinity", b"1e999", b"[", b"{", b'"', b",", b"null", b"\xff", b"\\u"])) + raw[at:]
    return raw[:at] + raw[at + draw(st.integers(1, 16)):]


@st.composite
def corrupted_files(draw: st.DrawFn) -> bytes:
    """A saved file damaged at the byte level (mostly a syntax error) or, more often, at the
    JSON level (which exercises the structure checks)."""
    raw = dumps(draw(projects(max_layers=4))).encode("utf-8")
    if draw(st.integers(0, 2)) == 0:
        return draw(byte_corruption(raw))
    for _ in range(draw(st.integers(1, 3))):
        raw = draw(json_corruption(raw.decode("utf-8")))
    return raw


@PROPERTY_SETTINGS
@given(raw=corrupted_files())
def test_corrupted_files_load_or_raise_project_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(raw)
    try:
        loaded = load_project(path)
    except ProjectError as err:
        assert str(path) in str(err) and err.message
        event(f"refused at {(err.location or 'top level').split('[')[0]}")
        return
    event("loaded")
    # Whatever loads can be saved again and reloads the same, and validation copes with it.
    again = tmp_path / "again.json"
    save_project(loaded, again)
    assert project_to_dict(load_project(again)) == project_to_dict(loaded)
    analyze(loaded.graph)
