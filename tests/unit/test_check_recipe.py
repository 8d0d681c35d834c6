"""``layerforge check`` says how the graph fits the project's training recipe: the role of each
sub-graph, or the refusal naming the node, in text and ``--json``; a misfit exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.graph import Graph
from app.core.project import Project, save_project
from tests.unit.test_recipes import gan_graph, vae_graph

MODELS = Path(__file__).resolve().parents[2] / "models"


def saved(tmp_path: Path, graph: Graph, **training: Any) -> Path:
    path = tmp_path / "p.json"
    save_project(Project(graph=graph, name="p", training=training), path)
    return path


def check_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["check", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_fitting_vae_names_each_role_in_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(tmp_path, vae_graph(), recipe="vae", loss="mse")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "recipe: Variational autoencoder — encoder: the sub-graph from Input 'pixels'" in " ".join(out.split())
    assert "✓ valid" in out
    code, report = check_json(path, capsys)
    assert code == 0 and report["valid"] is True
    recipe = report["recipe"]
    assert recipe["recipe"] == "vae" and recipe["fits"] is True and recipe["latent_size"] == 2
    assert recipe["roles"]["encoder"] == {"input": "pixels", "outputs": ["z_mean", "z_log_var"],
                                          "layers": ["enc", "pixels", "z_log_var", "z_mean"]}
    assert recipe["roles"]["decoder"]["input"] == "z" and recipe["problem"] is None


def test_a_graph_that_does_not_fit_is_refused_naming_the_node(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(tmp_path, vae_graph(latent=2, decoder_in=3), recipe="vae", loss="mse")
    assert main(["check", str(path)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "error: recipe Variational autoencoder:" in out and "latent size is 2" in out and "(layer 'z')" in out
    assert "✗ 1 problem(s)" in out and "✓ valid" not in out
    code, report = check_json(path, capsys)
    assert code == 1 and report["valid"] is False
    assert report["recipe"]["fits"] is False and report["recipe"]["node"] == "z"
    assert "latent size is 2" in report["recipe"]["problem"] and report["recipe"]["roles"] == {}


def test_gan_roles_and_a_discriminator_that_does_not_take_the_generators_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check_json(saved(tmp_path, gan_graph(), recipe="gan"), capsys)
    assert code == 0 and report["recipe"]["fits"] is True and report["recipe"]["latent_size"] == 8
    assert {role: part["input"] for role, part in report["recipe"]["roles"].items()} == {
        "generator": "noise", "discriminator": "image"}
    code, report = check_json(saved(tmp_path, gan_graph(disc_in=32), recipe="gan"), capsys)
    assert code == 1 and report["recipe"]["fits"] is False and report["recipe"]["problem"]


def test_supervised_projects_have_no_recipe_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check_json(saved(tmp_path, vae_graph()), capsys)
    assert "recipe" not in report
    assert main(["check", str(saved(tmp_path, vae_graph()))]) == code
    assert "recipe" not in capsys.readouterr().out


def test_an_unknown_recipe_is_a_problem_and_a_broken_model_is_not_judged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check_json(saved(tmp_path, vae_graph(), recipe="diffusion"), capsys)
    assert code == 1 and report["recipe"]["fits"] is False and "unknown recipe 'diffusion'" in \
        report["recipe"]["problem"]
    broken = vae_graph()
    dense = next(n for n in broken.nodes() if n.name == "dec")
    broken.set_config(dense.id, {**dense.config, "units": -3})
    code, report = check_json(saved(tmp_path, broken, recipe="vae", loss="mse"), capsys)
    assert code == 1 and report["recipe"]["fits"] is None and "fix the model's problems first" in \
        report["recipe"]["description"]


@pytest.mark.parametrize("name, roles", [("vae_mnist", {"encoder", "decoder"}),
                                         ("dcgan_mnist", {"generator", "discriminator"}),
                                         ("denoising_autoencoder", {"autoencoder"})])
def test_the_recipe_examples_fit(name: str, roles: set[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check_json(MODELS / f"{name}.json", capsys)
    assert code == 0 and report["recipe"]["fits"] is True and set(report["recipe"]["roles"]) == roles
