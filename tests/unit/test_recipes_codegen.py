"""The Python export of the recipe examples: readable, black-stable, and as inert as any export
(user text only inside string literals, no dangerous names), with the recipe's class and train_step."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.core.codegen import RESERVED_NAMES, format_source, generate_python, identifier
from app.core.project import load_project
from tests.unit.test_codegen import FORBIDDEN_NAMES, HOSTILE_NAME, HOSTILE_TEXT, comments, string_constants

RECIPES = sorted(p for p in (Path(__file__).resolve().parents[2] / "models").glob("*.json")
                 if '"recipe": "supervised"' not in p.read_text())
TEMPLATE_COMMENTS = ("# The recipe's parts: each a model of its own sub-graph.",
                     "# Train it on your own data; no labels are needed, for example:", "# model.fit(x_train, ",
                     "# one loss value per pixel", "# 1. the discriminator", "# 2. the generator",
                     "# The weights Layerforge exported beside this script", "# model of every part")


def check_inert(source: str) -> ast.Module:
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == ["import keras", "from keras import layers", "import tensorflow as tf"]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & FORBIDDEN_NAMES
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not attrs & (FORBIDDEN_NAMES - {"compile"})
    assert {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "compile"} <= {
        "model.compile", "super().compile"}
    for comment in comments(source):
        assert comment.startswith(TEMPLATE_COMMENTS), comment
    assert ast.get_docstring(tree, clean=False).startswith("A Keras model exported from Layerforge.")  # type: ignore[union-attr]
    return tree


def test_there_are_three_recipe_examples() -> None:
    assert [p.stem for p in RECIPES] == ["dcgan_mnist", "denoising_autoencoder", "vae_mnist"]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_examples_export_readable_inert_black_stable_scripts(path: Path) -> None:
    project = load_project(path)
    source = generate_python(project)
    assert format_source(source) == source
    tree = check_inert(source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert len(classes) == 1 and classes[0] in ("DenoisingAutoencoder", "VAE", "GAN")
    methods = {f.name for c in tree.body if isinstance(c, ast.ClassDef)
               for f in c.body if isinstance(f, ast.FunctionDef)}
    assert {"train_step", "test_step", "call"} <= methods
    constants = string_constants(tree)
    assert project.name in constants and all(node.name in constants for node in project.graph.nodes())
    for name in (t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Name) and t.id not in ("PROJECT_NAME", "DESCRIPTION", "model")):
        assert name == identifier(name) and name not in RESERVED_NAMES
    assert source.rstrip().endswith(".summary()") and "model = " in source


def test_hostile_names_stay_inside_string_literals() -> None:
    project = load_project(RECIPES[0])
    project.name = HOSTILE_TEXT
    project.description = HOSTILE_TEXT
    node = project.graph.node_by_name("fake_digit")
    assert node is not None
    project.graph.rename(node.id, HOSTILE_NAME)
    source = generate_python(project)
    tree = check_inert(source)
    assert HOSTILE_NAME in string_constants(tree)
    assert "pwned" not in "".join(comments(source))
