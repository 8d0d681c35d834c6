"""The Python export of a recipe: readable part models and a keras.Model subclass with train_step, run for real."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.codegen import CodegenError, generate_python
from app.core.project import Project
from app.keras_bridge.export import export_python, export_python_weights
from app.keras_bridge.training import TrainingSession
from tests.keras.test_recipes_engine import autoencoder_graph
from tests.unit.test_recipes import gan_graph, vae_graph


def project(graph: Any, recipe: str, **training: Any) -> Project:
    settings = {"recipe": recipe, "epochs": 1, "batch_size": 32, "metrics": [], "loss": "mse", **training}
    return Project(graph=graph, name=recipe, training=settings, dataset={"name": "digits"})


def run_script(source: str, tmp_path: Path, name: str = "script.py") -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(source)
    return runpy.run_path(str(path))


def test_supervised_export_is_unchanged_by_the_recipe_hook() -> None:
    source = generate_python(project(vae_graph(), "supervised"))
    assert "train_step" not in source and "model = keras.Model(" in source


@pytest.mark.parametrize(("recipe", "graph", "logs"), [
    ("autoencoder", autoencoder_graph, {"loss"}),
    ("vae", vae_graph, {"loss", "reconstruction_loss", "kl_loss"}),
    ("gan", gan_graph, {"d_loss", "g_loss"}),
])
def test_exported_recipe_trains_with_its_own_train_step(recipe: str, graph: Any, logs: set[str],
                                                         tmp_path: Path) -> None:
    source = generate_python(project(graph(), recipe, denoise="gaussian", loss="mse", label_smoothing=0.1))
    assert "def train_step(self, data):" in source and "import tensorflow as tf" in source
    namespace = run_script(source, tmp_path)
    model = namespace["model"]
    shape = (8, 8, 1) if recipe == "autoencoder" else (64,)
    x = np.random.default_rng(0).random((64, *shape)).astype("float32")
    history = model.fit(x, batch_size=32, epochs=1, verbose=0)
    assert set(history.history) == logs
    assert all(np.isfinite(v[0]) for v in history.history.values())
    if recipe == "gan":
        assert namespace["generator"].name == "gan_generator" and model.real_label == pytest.approx(0.9)
        assert model.generator(np.zeros((2, 8), "float32")).shape == (2, 64)
    if recipe == "vae":
        assert [t.shape[-1] for t in namespace["encoder"].outputs] == [2, 2]


def test_exported_vae_loads_the_trained_weights_into_its_parts(tmp_path: Path) -> None:
    from app.core.weights import run_source
    from app.keras_bridge.recipes import graph_model
    from app.keras_bridge.weights_io import extract_weights

    proj = project(vae_graph(), "vae", loss="binary_crossentropy")
    result = TrainingSession(proj).run()
    assert result.status == "finished", result.reason
    proj.weights = extract_weights(graph_model(result.model, proj.graph, proj.name), proj.graph,
                                   run_source({}, 1))
    script = tmp_path / "vae_export.py"
    export_python(proj, script)
    export_python_weights(proj, script)
    namespace = runpy.run_path(str(script))
    trained = result.model.decoder.get_layer("rebuilt").get_weights()[0]
    assert np.allclose(namespace["decoder"].get_layer("rebuilt").get_weights()[0], trained)


def test_a_recipe_that_does_not_fit_is_refused_naming_the_node() -> None:
    with pytest.raises(CodegenError, match="'z'"):
        generate_python(project(vae_graph(decoder_in=3), "vae"))
