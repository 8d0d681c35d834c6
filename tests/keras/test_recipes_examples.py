"""The recipe examples part by part: each part's model.summary() equals what check shows for its
sub-graph, and the exported script builds each part exactly as the app compiles it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import keras
import pytest

from app.core.codegen import generate_python
from app.core.project import Project, load_project
from app.core.recipes import plan_recipe, subgraph
from app.keras_bridge.compile import compile_graph
from app.keras_bridge.recipes import compile_parts
from tests.keras.test_roundtrip_keras import check_rows, facts, summary_matches

MODELS = Path(__file__).resolve().parents[2] / "models"
RECIPE_EXAMPLES = {"denoising_autoencoder": {"autoencoder": "net"},
                   "vae_mnist": {"encoder": "encoder", "decoder": "decoder"},
                   "dcgan_mnist": {"generator": "generator", "discriminator": "discriminator"}}


def without_compile(model: Any) -> dict[str, Any]:
    built = json.loads(model.to_json())
    built.pop("compile_config", None)
    return built


@pytest.mark.parametrize("name", sorted(RECIPE_EXAMPLES))
def test_each_part_summary_equals_check(name: str) -> None:
    project = load_project(MODELS / f"{name}.json")
    plan = plan_recipe(project.graph, project.training)
    assert plan is not None
    keras.backend.clear_session()
    for role, model in compile_parts(project.graph, plan, project.name, compile_graph).items():
        summary_matches(check_rows(Project(graph=subgraph(project.graph, plan.parts[role]))), facts(model).summary)


@pytest.mark.parametrize("name", sorted(RECIPE_EXAMPLES))
def test_exported_script_builds_each_part_as_the_app_does(name: str, tmp_path: Path) -> None:
    project = load_project(MODELS / f"{name}.json")
    plan = plan_recipe(project.graph, project.training)
    assert plan is not None
    script = tmp_path / f"{name}.py"
    script.write_text(generate_python(project), encoding="utf-8")
    keras.backend.clear_session()
    namespace = runpy.run_path(str(script), run_name="exported")
    exported = {role: without_compile(namespace[var]) for role, var in RECIPE_EXAMPLES[name].items()}
    assert type(namespace["model"]).__name__ in ("DenoisingAutoencoder", "VAE", "GAN")
    keras.backend.clear_session()
    app = compile_parts(project.graph, plan, project.name, compile_graph)
    for role, model in app.items():
        assert exported[role] == without_compile(model), role
