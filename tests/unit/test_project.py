"""Project files: round trip, every refusal with what and where, atomic saves, migrations."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.core import project as project_module
from app.core.graph import Graph
from app.core.project import (
    DEFAULT_TRAINING,
    FORMAT_NAME,
    FORMAT_VERSION,
    Project,
    ProjectError,
    dumps,
    load_project,
    loads,
    project_from_dict,
    project_to_dict,
    save_project,
)
from app.core.shapes import analyze
from tests.unit.helpers import chain


def small_project() -> Project:
    graph = Graph()
    chain(
        graph,
        ("InputLayer", {"batch_shape": [None, 784]}),
        ("Dense", {"units": 64, "activation": "relu"}),
        ("Dropout", {"rate": 0.25}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    )
    graph.rename("n4", "my_layer")
    graph.move("n2", (12.5, -40.0))
    graph.output_order = ["n4"]
    return Project(
        graph=graph,
        name="MNIST – erstes Modell",
        description="Ein kleines MLP.\nLine two: 数字を分類する 🧠",
        training={"epochs": 3, "batch_size": 64, "custom_note": {"a": [1, 2.5, None, True]}},
        dataset={"name": "mnist_5k"},
    )


def document() -> dict[str, Any]:
    return project_to_dict(small_project())


def refused(data: Any, tmp_path: Path) -> ProjectError:
    """Write ``data`` (dict as JSON, str/bytes as is) and return the loader's error."""
    path = tmp_path / "model.json"
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(path)
    err = info.value
    assert err.path == os.fspath(path)
    assert str(path) in str(err)
    return err


# --- round trip and format ---------------------------------------------------------------

def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    original = small_project()
    path = tmp_path / "model.json"
    save_project(original, path)
    assert original.path == path
    loaded = load_project(path)
    assert loaded.path == path
    assert project_to_dict(loaded) == project_to_dict(original)
    assert loaded.graph.to_dict() == original.graph.to_dict()
    assert loaded.name == original.name and loaded.description == original.description
    assert loaded.dataset == {"name": "mnist_5k"}
    assert loaded.training["epochs"] == 3 and loaded.training["optimizer"] == DEFAULT_TRAINING["optimizer"]
    assert loaded.graph.node("n2").position == (12.5, -40.0)
    assert loaded.graph.node_by_name("my_layer") is not None
    assert analyze(loaded.graph).valid


def test_file_is_stable_sorted_pretty_utf8(tmp_path: Path) -> None:
    project = small_project()
    path = tmp_path / "model.json"
    save_project(project, path)
    first = path.read_bytes()
    save_project(load_project(path), path)
    assert path.read_bytes() == first
    text = first.decode("utf-8")
    assert "数字を分類する 🧠" in text  # readable, not \u-escaped
    assert text.endswith("}\n") and text.startswith("{\n  \"")
    data = json.loads(text)
    assert data["format"] == FORMAT_NAME and data["version"] == FORMAT_VERSION
    assert list(data) == sorted(data)
    assert set(data["graph"]) == {"nodes", "edges", "outputs"}
    assert set(data["graph"]["nodes"][0]) == {"id", "class_name", "name", "config", "position"}
    assert set(data["graph"]["edges"][0]) == {"source", "source_port", "target", "target_port", "slot"}
    assert "path" not in data
    assert dumps(project) == text


def test_optional_fields_take_defaults() -> None:
    data = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
            "graph": {"nodes": [{"id": "a", "class_name": "InputLayer", "name": "in"},
                                {"id": "b", "class_name": "Dense", "name": "out", "config": {"units": 2}}],
                      "edges": [{"source": "a", "target": "b"}]}}
    project = project_from_dict(data)
    assert project.name == "Untitled" and project.description == "" and project.dataset is None
    assert project.training == DEFAULT_TRAINING
    assert project.graph.node("b").config["activation"] == "linear"  # missing keys: Keras defaults
    assert project.graph.node("a").position == (0.0, 0.0)
    assert analyze(project.graph).valid


def test_project_defaults_fill_missing_training_keys() -> None:
    project = Project(training={"epochs": 1})
    assert project.training == {**DEFAULT_TRAINING, "epochs": 1}
    project.training["metrics"].append("mae")
    assert DEFAULT_TRAINING["metrics"] == ["accuracy"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps(small_project()).encode("utf-8"))
    assert load_project(path).name == small_project().name


# --- refusals: each names what and where -------------------------------------------------------

def test_truncated_file(tmp_path: Path) -> None:
    text = dumps(small_project())
    err = refused(text[: len(text) // 2], tmp_path)
    assert "truncated or not valid JSON at line" in str(err) and "column" in str(err)


def test_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    err = refused('{\n  "format": "layerforge-project",\n  "version" 1\n}', tmp_path)
    assert "line 3 column 13" in str(err)


def test_not_json_at_all(tmp_path: Path) -> None:
    assert "not valid JSON at line 1 column 1" in str(refused("hello, teacher", tmp_path))


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in str(refused(" \n", tmp_path))


def test_not_utf8(tmp_path: Path) -> None:
    err = refused(b'{\n "name": "\xff"}', tmp_path)
    assert "not valid UTF-8 text at line 2 column 11" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="cannot read the file") as info:
        load_project(tmp_path / "nope.json")
    assert "nope.json" in str(info.value)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="cannot read the file"):
        load_project(tmp_path)


def test_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_module, "MAX_FILE_BYTES", 100)
    assert "limited to" in str(refused(document(), tmp_path))


def test_top_level_not_an_object(tmp_path: Path) -> None:
    assert "holds a list, not a JSON object" in str(refused([1, 2], tmp_path))


def test_wrong_format(tmp_path: Path) -> None:
    data = document() | {"format": "keras-model"}
    err = refused(data, tmp_path)
    assert err.location == "format" and "not a Layerforge project" in str(err) and "keras-model" in str(err)
    del data["format"]
    assert "not a Layerforge project" in str(refused(data, tmp_path))


def test_newer_version(tmp_path: Path) -> None:
    err = refused(document() | {"version": FORMAT_VERSION + 1}, tmp_path)
    assert err.location == "version"
    assert f"version {FORMAT_VERSION + 1}" in err.message and f"supports version {FORMAT_VERSION}" in err.message


@pytest.mark.parametrize("version", ["1", 1.0, True, -1, None])
def test_ill_typed_version(tmp_path: Path, version: Any) -> None:
    err = refused(document() | {"version": version}, tmp_path)
    assert err.location == "version" and "whole number" in err.message


def test_missing_version(tmp_path: Path) -> None:
    data = document()
    del data["version"]
    assert "version" in refused(data, tmp_path).message


def test_old_version_without_migration(tmp_path: Path) -> None:
    err = refused(document() | {"version": 0}, tmp_path)
    assert err.location == "version" and "version 0" in err.message and "too old" in err.message


def edit(path: str, value: Any) -> dict[str, Any]:
    """A valid document with the value at a dotted path replaced (``...`` deletes it)."""
    data = document()
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = data
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "location", "words"),
    [
        ("graph", ..., None, "missing the required key 'graph'"),
        ("graph", [], "graph", "must be a JSON object"),
        ("graph.nodes", {}, "graph.nodes", "must be a list"),
        ("graph.nodes.1.id", ..., "graph.nodes[1]", "missing the required key 'id'"),
        ("graph.nodes.1.id", 7, "graph.nodes[1].id", "must be non-empty text (got the number 7)"),
        ("graph.nodes.1.id", "", "graph.nodes[1].id", "non-empty text"),
        ("graph.nodes.1.name", None, "graph.nodes[1].name", "must be text (got null)"),
        ("graph.nodes.1.class_name", ..., "graph.nodes[1]", "'class_name'"),
        ("graph.nodes.1.config", [1], "graph.nodes[1].config", "must be an object"),
        ("graph.nodes.1.position", [1, 2, 3], "graph.nodes[1].position", "two finite numbers"),
        ("graph.nodes.1.position", ["1", 2], "graph.nodes[1].position", "two finite numbers"),
        ("graph.nodes.1.position", [True, 2], "graph.nodes[1].position", "two finite numbers"),
        ("graph.nodes.1.position", [10**400, 2], "graph.nodes[1].position", "two finite numbers"),
        ("graph.nodes.1.postion", [1, 2], "graph.nodes[1].postion", "unexpected key 'postion'"),
        ("graph.edges.0.source", "ghost", "graph.edges[0].source", "node 'ghost', which is not in the file"),
        ("graph.edges.0.target", "ghost", "graph.edges[0].target", "node 'ghost', which is not in the file"),
        ("graph.edges.0.target", ..., "graph.edges[0]", "missing the required key 'target'"),
        ("graph.edges.0.slot", -1, "graph.edges[0].slot", "whole number ≥ 0"),
        ("graph.edges.0.source_port", False, "graph.edges[0].source_port", "whole number ≥ 0"),
        ("graph.edges.0.target_port", 0, "graph.edges[0].target_port", "must be text"),
        ("graph.edges", "n1->n2", "graph.edges", "must be a list"),
        ("graph.outputs", ["ghost"], "graph.outputs[0]", "'ghost', which is not in the file"),
        ("graph.outputs", ["n4", "n4"], "graph.outputs[1]", "listed twice"),
        ("name", 3, "name", "must be text"),
        ("description", ["a"], "description", "must be text"),
        ("training", [], "training", "must be an object"),
        ("training.epochs", "ten", "training.epochs", "must be a whole number (got the text \"ten\")"),
        ("training.learning_rate", "fast", "training.learning_rate", "must be a number"),
        ("training.metrics", "accuracy", "training.metrics", "a list of texts"),
        ("training.shuffle", 1, "training.shuffle", "true or false"),
        ("dataset", "mnist", "dataset", "an object or null"),
        ("dataset.name", 5, "dataset.name", "must be text"),
        ("extra", 1, "extra", "unexpected key 'extra'"),
    ],
)
def test_structure_and_types_are_checked(tmp_path: Path, path: str, value: Any, location: str | None,
                                         words: str) -> None:
    err = refused(edit(path, value), tmp_path)
    assert err.location == location
    assert words in err.message
    if location:
        assert f"at {location}" in str(err)


def test_unknown_layer_type_names_class_and_node(tmp_path: Path) -> None:
    err = refused(edit("graph.nodes.3.class_name", "Lambda"), tmp_path)
    assert err.location == "graph.nodes[3].class_name"
    assert "node 'my_layer' uses layer type 'Lambda', which Layerforge does not support" in str(err)


def test_duplicate_node_ids(tmp_path: Path) -> None:
    err = refused(edit("graph.nodes.2.id", "n1"), tmp_path)
    assert err.location == "graph.nodes[2].id"
    assert "'n1' is already used by graph.nodes[0]" in err.message


def test_duplicate_edge(tmp_path: Path) -> None:
    data = document()
    data["graph"]["edges"].append(copy.deepcopy(data["graph"]["edges"][1]))
    err = refused(data, tmp_path)
    assert err.location == "graph.edges[3]" and "repeats graph.edges[1]" in err.message


def test_cycle_names_the_nodes(tmp_path: Path) -> None:
    data = document()
    data["graph"]["edges"].append({"source": "n4", "target": "n2", "target_port": "input", "slot": 1,
                                   "source_port": 0})
    err = refused(data, tmp_path)
    assert "loop" in err.message and err.location is not None and err.location.startswith("graph.edges[")
    for name in ("'dense'", "'dropout'", "'my_layer'"):
        assert name in err.message
    assert "'input'" not in err.message


def test_self_loop_is_a_cycle(tmp_path: Path) -> None:
    data = document()
    data["graph"]["edges"].append({"source": "n3", "target": "n3"})
    err = refused(data, tmp_path)
    assert "'dropout' -> 'dropout'" in err.message and err.location == "graph.edges[3]"


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused_where_they_are(tmp_path: Path, token: str) -> None:
    text = dumps(small_project()).replace('"rate": 0.25', f'"rate": {token}')
    err = refused(text, tmp_path)
    assert err.location == "graph.nodes[2].config.rate"
    assert "finite" in err.message and token.lstrip("-") in err.message


def test_non_finite_position(tmp_path: Path) -> None:
    text = dumps(small_project()).replace("12.5", "NaN")
    err = refused(text, tmp_path)
    assert err.location == "graph.nodes[1].position[0]" and "finite" in err.message


def test_duplicate_json_keys(tmp_path: Path) -> None:
    text = dumps(small_project()).replace('"units": 64,', '"units": 64, "units": 65,')
    err = refused(text, tmp_path)
    assert err.location == "graph.nodes[1].config" and '"units" appears more than once' in err.message


def test_too_deep_nesting(tmp_path: Path) -> None:
    err = refused(edit("graph.nodes.1.config.units", json.loads("[" * 100 + "]" * 100)), tmp_path)
    assert err.location is not None and err.location.startswith("graph.nodes[1].config.units")
    assert "nested" in err.message


def test_absurd_nesting_does_not_crash_the_parser(tmp_path: Path) -> None:
    assert "too deeply" in str(refused("[" * 100_000, tmp_path))


def test_huge_integer_literal(tmp_path: Path) -> None:
    text = dumps(small_project()).replace('"units": 64', '"units": ' + "9" * 10_000)
    assert "cannot be read" in str(refused(text, tmp_path))


def test_weird_keys_are_quoted_in_locations(tmp_path: Path) -> None:
    err = refused(edit("training.my setting", {"x": float("nan")}), tmp_path)
    assert err.location == 'training["my setting"].x'


def test_lone_surrogates_are_refused(tmp_path: Path) -> None:
    text = dumps(small_project()).replace('"name": "my_layer"', '"name": "my\\ud800layer"')
    err = refused(text, tmp_path)
    assert err.location == "graph.nodes[3].name" and "Unicode" in err.message


@pytest.mark.parametrize("value", [{1, 2}, (1, 2), object(), b"bytes", float("inf"), {3: "x"}])
def test_in_memory_values_must_be_plain_json(value: Any) -> None:
    data = edit("graph.nodes.1.config.units", value)
    with pytest.raises(ProjectError) as info:
        project_from_dict(data, source="clipboard")
    assert info.value.location is not None and info.value.location.startswith("graph.nodes[1].config.units")
    assert str(info.value).startswith("clipboard, at graph.nodes[1].config.units")


def test_error_str_without_path_or_location() -> None:
    assert str(ProjectError("broken")) == "broken"
    assert str(ProjectError("broken", location="graph")) == "at graph: broken"
    assert str(ProjectError("broken", path="a.json")) == "a.json: broken"


# --- loaded, then reported by validation instead ---------------------------------------------

def test_editor_fixable_problems_load_and_are_reported_by_shapes() -> None:
    data = document()
    nodes, edges = data["graph"]["nodes"], data["graph"]["edges"]
    nodes[1]["config"]["units"] = 0  # invalid value
    nodes[1]["config"]["colour"] = "red"  # unknown parameter
    nodes[2]["name"] = "my_layer"  # duplicate name
    nodes.append({"id": "lonely", "class_name": "Dense", "name": "", "config": {}, "position": [0, 0]})
    nodes.append({"id": "unfed", "class_name": "Dense", "name": "unfed", "config": {}, "position": [0, 0]})
    edges.append({"source": "n1", "target": "n3", "target_port": "input", "slot": 1, "source_port": 0})
    edges.append({"source": "n1", "target": "lonely", "target_port": "query", "slot": 0, "source_port": 0})
    edges.append({"source": "n1", "target": "n4", "target_port": "input", "slot": 0, "source_port": 5})
    project = project_from_dict(data)
    assert project.graph.node("lonely").name == ""  # kept, so validation can point at it
    codes = {(p.node, p.code) for p in analyze(project.graph).problems}
    assert ("n2", "invalid_param") in codes
    assert ("n3", "multiple_edges") in codes
    assert ("lonely", "unknown_port") in codes
    assert ("lonely", "invalid_name") in codes
    assert ("unfed", "unconnected_port") in codes
    assert any(code == "duplicate_name" for _, code in codes)
    params = {(p.node, p.param) for p in analyze(project.graph).problems}
    assert ("n2", "colour") in params and ("n2", "units") in params


def test_empty_graph_loads() -> None:
    project = loads(json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "graph": {"nodes": []}}))
    assert len(project.graph) == 0


# --- saving -----------------------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "model.json")


def test_failed_replace_keeps_previous_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("previous content", encoding="utf-8")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_module.os, "replace", broken_replace)
    with pytest.raises(ProjectError, match="No space left on device") as info:
        save_project(small_project(), path)
    assert info.value.path == os.fspath(path)
    assert path.read_text(encoding="utf-8") == "previous content"
    assert leftovers(tmp_path) == []


def test_interrupted_write_keeps_previous_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("previous content", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(project_module.os, "fsync", interrupted)
    project = small_project()
    with pytest.raises(KeyboardInterrupt):
        save_project(project, path)
    assert path.read_text(encoding="utf-8") == "previous content"
    assert leftovers(tmp_path) == []
    assert project.path is None


def test_failure_while_serialising_leaves_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("previous content", encoding="utf-8")

    def broken_dumps(*args: Any, **kwargs: Any) -> str:
        raise ProjectError("serialisation failed")

    monkeypatch.setattr(project_module, "dumps", broken_dumps)
    with pytest.raises(ProjectError, match="serialisation failed"):
        save_project(small_project(), path)
    assert path.read_text(encoding="utf-8") == "previous content"
    assert leftovers(tmp_path) == []


def test_save_refuses_what_load_would_refuse(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("previous content", encoding="utf-8")
    project = small_project()
    project.graph.set_param("n3", "rate", float("nan"))
    with pytest.raises(ProjectError) as info:
        save_project(project, path)
    assert info.value.location == "graph.nodes[2].config.rate"
    project = small_project()
    project.graph.add_node("Lambda", name="custom")
    with pytest.raises(ProjectError, match="'Lambda'"):
        save_project(project, path)
    project = small_project()
    project.training["epochs"] = "many"
    with pytest.raises(ProjectError, match="whole number"):
        save_project(project, path)
    assert path.read_text(encoding="utf-8") == "previous content"
    assert leftovers(tmp_path) == []


def test_save_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="cannot write in the folder") as info:
        save_project(small_project(), tmp_path / "missing" / "model.json")
    assert "model.json" in str(info.value)


def test_save_onto_a_folder(tmp_path: Path) -> None:
    (tmp_path / "model.json").mkdir()
    with pytest.raises(ProjectError, match="cannot save"):
        save_project(small_project(), tmp_path / "model.json")
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes to read-only folders")
def test_save_into_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "model.json").write_text("previous content", encoding="utf-8")
    folder.chmod(0o500)
    try:
        with pytest.raises(ProjectError, match="cannot write in the folder"):
            save_project(small_project(), folder / "model.json")
        assert (folder / "model.json").read_text(encoding="utf-8") == "previous content"
    finally:
        folder.chmod(0o700)


def test_save_into_unwritable_folder_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("previous content", encoding="utf-8")
    real_open = os.open

    def denied(file: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, mode, **kwargs)

    monkeypatch.setattr(project_module.os, "open", denied)
    with pytest.raises(ProjectError, match="Permission denied"):
        save_project(small_project(), path)
    assert path.read_text(encoding="utf-8") == "previous content"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_the_permissions_of_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o640)
    save_project(small_project(), path)
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_save_through_a_symlink_writes_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save_project(small_project(), link)
    assert link.is_symlink()
    assert load_project(real).name == small_project().name


# --- migrations ----------------------------------------------------------------------------------

def test_migration_hook_upgrades_old_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def from_zero(raw: dict[str, Any]) -> dict[str, Any]:
        calls.append(raw["version"])
        raw["description"] = raw.pop("notes")  # version 0 called it "notes"
        return raw

    monkeypatch.setitem(project_module.MIGRATIONS, 0, from_zero)
    data = document()
    data["version"] = 0
    data["notes"] = data.pop("description")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    project = load_project(path)
    assert calls == [0]
    assert project.description == small_project().description
    assert json.loads(dumps(project))["version"] == FORMAT_VERSION


def test_migrations_chain_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def step(n: int) -> Any:
        def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
            calls.append(n)
            assert raw["version"] == n
            return raw
        return upgrade

    monkeypatch.setattr(project_module, "FORMAT_VERSION", 3)
    monkeypatch.setattr(project_module, "MIGRATIONS", {1: step(1), 2: step(2)})
    project = project_from_dict(document() | {"version": 1})
    assert calls == [1, 2]
    assert json.loads(dumps(project))["version"] == 3


def test_failing_migration_is_a_project_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: dict[str, Any]) -> dict[str, Any]:
        return raw["missing"]

    monkeypatch.setitem(project_module.MIGRATIONS, 0, broken)
    err = refused(document() | {"version": 0}, tmp_path)
    assert "could not upgrade the file from version 0" in err.message


def test_migrated_data_is_still_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def breaks_graph(raw: dict[str, Any]) -> dict[str, Any]:
        raw["graph"]["nodes"][0]["class_name"] = "Lambda"
        return raw

    monkeypatch.setitem(project_module.MIGRATIONS, 0, breaks_graph)
    err = refused(document() | {"version": 0}, tmp_path)
    assert err.location == "graph.nodes[0].class_name"


def test_save_refuses_an_integer_too_long_to_write(tmp_path: Path) -> None:
    project = small_project()
    project.graph.set_param("n2", "units", 10**5000)
    with pytest.raises(ProjectError, match="cannot be written as JSON"):
        save_project(project, tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []
