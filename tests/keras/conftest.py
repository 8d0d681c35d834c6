"""Keras tests share one process; free Keras' global state between modules."""

import pytest


@pytest.fixture(autouse=True, scope="module")
def _fresh_keras_session():
    yield
    import keras

    keras.backend.clear_session()
