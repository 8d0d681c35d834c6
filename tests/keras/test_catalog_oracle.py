"""Every catalog entry agrees with real Keras: config keys, defaults, shapes and counts.

Hypothesis draws random parameters and input shapes per layer (tests/keras/cases);
where our rule refuses a case, Keras must refuse it too.
"""

from __future__ import annotations

import keras
import pytest
from hypothesis import given, settings

from app.core.catalog import CATALOG
from tests.keras.cases import ALL_CASES, EXAMPLES, Case
from tests.keras.oracle import check_against_keras, keras_default_config, strip_names

LAYER_SPECS = sorted(
    name for name, spec in CATALOG.items() if spec.module == "keras.layers" and name != "InputLayer"
)  # operations and Keras-internal layers have their own oracle: tests/keras/test_ops_roundtrip.py


def test_every_catalog_layer_has_oracle_cases() -> None:
    missing = sorted(set(LAYER_SPECS) - set(ALL_CASES))
    assert not missing, f"catalog entries without oracle cases: {missing}"


@pytest.mark.parametrize("class_name", LAYER_SPECS)
def test_config_keys_equal_keras(class_name: str) -> None:
    spec = CATALOG[class_name]
    keras_keys = set(keras_default_config(spec)) - {"name"}
    assert keras_keys == {p.name for p in spec.params}


@pytest.mark.parametrize("class_name", LAYER_SPECS)
def test_default_config_builds_keras_default_layer(class_name: str) -> None:
    """Our defaults are Keras' defaults: the layer built from our config is Keras' default one."""

    spec = CATALOG[class_name]
    ours = strip_names(getattr(keras.layers, class_name).from_config({"name": "probe", **spec.default_config()})
                       .get_config())
    theirs = strip_names(keras_default_config(spec))
    if class_name in RANDOM_DEFAULT_SEED:
        ours.pop("seed"), theirs.pop("seed")
    assert ours == theirs


RANDOM_DEFAULT_SEED = frozenset({"RandomCrop"})
"""Layers whose config carries a seed Keras draws at random when none is given."""


@pytest.mark.parametrize("class_name", sorted(ALL_CASES))
def test_shapes_and_params_equal_keras(class_name: str) -> None:
    outcomes: list[str] = []

    @settings(max_examples=EXAMPLES.get(class_name, 25))
    @given(ALL_CASES[class_name])
    def run(case: Case) -> None:
        outcomes.append(check_against_keras(class_name, case.config, case.inputs, case.ports, case.dtypes))

    run()
    assert "match" in outcomes, f"no generated case for {class_name} was valid; the strategy is too wide"


@pytest.mark.parametrize("class_name", LAYER_SPECS)
def test_new_nodes_are_named_like_keras_names_them(class_name: str) -> None:

    from tests.keras.oracle import keras_default_config

    spec = CATALOG[class_name]
    keras.backend.clear_session()
    keras_name = keras_default_config(spec)["name"]
    assert keras_name.rstrip("_0123456789") == spec.name_prefix or keras_name == spec.name_prefix
