"""Load Weights for the whole model (``layerforge weights --load``): .weights.h5, .keras and legacy
weights-only .h5 files, matched by layer name, with a report; kept with --save-project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras  # a hard dependency: a broken install fails here, never skips
import numpy as np
import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, save_project
from app.keras_bridge.weights_io import WeightsError, load_model_weights, open_project

RNG = np.random.default_rng(5)


def project_file(folder: Path) -> Path:
    """features(4) -> hidden Dense(5) -> out Dense(3): a Layerforge project saved in ``folder``."""
    graph = Graph()
    features = graph.add_node("InputLayer", name="features", config={"batch_shape": [None, 4]})
    hidden = graph.add_node("Dense", name="hidden", config={"units": 5, "activation": "relu"})
    out = graph.add_node("Dense", name="out", config={"units": 3})
    graph.connect(features.id, hidden.id)
    graph.connect(hidden.id, out.id)
    path = folder / "net.json"
    save_project(Project(graph=graph, name="net"), path)
    return path


def source_model(out_units: int = 2) -> Any:
    """Same names; 'out' has another width (a shape mismatch); 'extra' is not in the project."""
    inputs = keras.Input((4,), name="features")
    x = keras.layers.Dense(5, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dense(out_units, name="out")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, name="extra")(x), name="source")
    model.set_weights([RNG.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def write(model: Any, path: Path) -> None:
    if path.name.endswith(".weights.h5"):
        model.save_weights(path)
    elif path.suffix == ".keras":
        model.save(path)
    else:  # a Keras 2 style weights-only .h5
        import h5py
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(path, "w") as handle:
            legacy_h5_format.save_weights_to_hdf5_group(handle, model)


@pytest.mark.parametrize("name", ["src.weights.h5", "src.keras", "src.h5"])
def test_load_matches_by_name_reports_and_is_kept_with_save_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    project = project_file(tmp_path)
    source = source_model()
    write(source, tmp_path / name)
    assert main(["weights", str(project), "--load", str(tmp_path / name), "--save-project"]) == 0
    said = capsys.readouterr().out
    assert "1 layer(s) matched" in said and "by layer name" in said, said
    assert "out: shape mismatch: weight 0 is (5, 3) here but (5, 2) in the file" in said
    assert "not in the model: extra" in said
    assert f"weights now: the weights loaded from {name} for 1 of 2 layers (out: initial weights)" in said
    reopened, notes = open_project(project)
    assert notes == []
    (hidden_id,) = [n.id for n in reopened.graph.nodes() if n.name == "hidden"]
    assert list(reopened.weights.layers) == [hidden_id]
    for kept, theirs in zip(reopened.weights.layers[hidden_id].arrays.values(),
                            source.get_layer("hidden").get_weights(), strict=True):
        np.testing.assert_array_equal(kept, theirs)
    assert reopened.weights.describe() == f"loaded from {name}"
    capsys.readouterr()
    assert main(["weights", str(project)]) == 0
    assert f"loaded from {name}" in capsys.readouterr().out


def test_a_second_load_keeps_what_it_does_not_match(tmp_path: Path) -> None:
    project, _ = open_project(project_file(tmp_path))
    first = source_model(out_units=3)
    write(first, tmp_path / "first.weights.h5")
    project.weights, report = load_model_weights(project, tmp_path / "first.weights.h5")
    assert sorted(report.matched) == ["hidden", "out"]
    inputs = keras.Input((4,), name="features")
    only_hidden = keras.Model(inputs, keras.layers.Dense(5, name="hidden")(inputs))
    only_hidden.set_weights([np.ones((4, 5), "float32"), np.zeros(5, "float32")])
    write(only_hidden, tmp_path / "second.keras")
    weights, report = load_model_weights(project, tmp_path / "second.keras")
    assert report.matched == ["hidden"]
    by_name = {project.graph.node(nid).name: lw for nid, lw in weights.layers.items()}
    np.testing.assert_array_equal(by_name["hidden"].arrays["vars/0"], np.ones((4, 5), "float32"))
    np.testing.assert_array_equal(by_name["out"].arrays["vars/0"], first.get_layer("out").get_weights()[0])


def test_files_that_are_not_weights_get_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_file(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    (tmp_path / "fake.keras").write_bytes(b"not a zip")
    inputs = keras.Input((7,), name="other")
    stranger = keras.Model(inputs, keras.layers.Dense(2, name="nobody")(inputs))
    write(stranger, tmp_path / "stranger.weights.h5")
    for name, expected in (("notes.txt", "not a weights file"), ("junk.h5", "cannot be read"),
                           ("fake.keras", "junk"), ("stranger.weights.h5", "no layer of the model matched"),
                           ("missing.weights.h5", "no such file")):
        code = main(["weights", str(project), "--load", str(tmp_path / name)])
        err = capsys.readouterr().err
        assert code == 2, (name, err)
        assert name in err and "Traceback" not in err, err
        if expected != "junk":
            assert expected in err, err
    with pytest.raises(WeightsError, match="not a weights file"):
        load_model_weights(open_project(project)[0], tmp_path / "notes.txt")
    assert main(["weights", str(project), "--save-project"]) == 2
