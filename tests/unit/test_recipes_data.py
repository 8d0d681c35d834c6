"""The recipe examples' data fits the part that reads it (no Keras: app.data plus the recipe plan)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.project import load_project
from app.core.recipes import plan_recipe
from app.data import load_dataset, split_dataset
from app.keras_bridge.recipes import prepare_recipe_data

MODELS = Path(__file__).resolve().parents[2] / "models"
RECIPE_EXAMPLES = {"denoising_autoencoder": "noisy_digit", "vae_mnist": "digit", "dcgan_mnist": "digit_image"}


def test_the_recipe_examples_are_the_non_supervised_ones() -> None:
    recipes = {p.stem for p in MODELS.glob("*.json") if '"recipe": "supervised"' not in p.read_text()}
    assert recipes == set(RECIPE_EXAMPLES)


@pytest.mark.parametrize("name", sorted(RECIPE_EXAMPLES))
def test_recipe_example_data_fits_the_part_that_reads_it(name: str) -> None:
    project = load_project(MODELS / f"{name}.json")
    assert project.dataset == {"name": "mnist_5k"}
    settings = project.training
    plan = plan_recipe(project.graph, settings)
    assert plan is not None and plan.parts[plan.data_role].input_name == RECIPE_EXAMPLES[name]
    ds = load_dataset(project.dataset)
    splits = split_dataset(ds, settings["validation_split"], settings["test_split"], settings["seed"])
    data = prepare_recipe_data(ds, splits, project.graph, plan, settings, project.dataset)
    x = data.prepared.train[0][RECIPE_EXAMPLES[name]]
    assert x.shape[1:] == (28, 28, 1) and float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    labels = data.labels["train"]
    assert labels is not None and len(labels) == len(x) and set(np.unique(labels)) == set(range(10))
    assert data.prepared.class_names is not None and len(data.prepared.class_names) == 10
