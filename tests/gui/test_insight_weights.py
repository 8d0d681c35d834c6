"""The Insight tools look at the model with the weights the project has (imported, trained, loaded),
built as export builds it, and say so; Reset to Initial Weights brings back the untrained model."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.weights import WeightsSource
from app.data import load_dataset
from app.gui.gallery import examples_dir, open_copy
from app.gui.insight import InsightPanel
from app.gui.insight.material import UNTRAINED, weights_source
from tests.gui.insight_fakes import FakeTraining

JOB_TIMEOUT_MS = 60_000


def test_insight_uses_the_projects_weights(qtbot) -> None:
    import keras

    from app.keras_bridge.compile import compile_graph
    from app.keras_bridge.weights_io import extract_weights

    doc = open_copy(examples_dir() / "moons_boundary.json")
    model = compile_graph(doc.graph.copy(), "net")
    rng = np.random.default_rng(9)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    doc.adopt_weights(extract_weights(model, doc.graph, WeightsSource(kind="file", file="mine.weights.h5")))
    keras.backend.clear_session()
    training = FakeTraining(doc, load_dataset({"name": "moons"}, None))
    panel = InsightPanel(doc, lambda: training, lambda: None)  # no canvas: nothing to highlight
    try:
        assert panel.model_source() == "the project's weights (loaded from mine.weights.h5)"
        assert "loaded from mine.weights.h5" in panel.source_label.text()
        got: list[Any] = []
        panel.request_material(lambda material, message: got.append((material, message)))
        qtbot.waitUntil(lambda: bool(got), timeout=JOB_TIMEOUT_MS)
        material, message = got[0]
        assert message is None, message
        for node_id, layer in doc.weights.layers.items():
            built = material.model.get_layer(doc.graph.node(node_id).name).get_weights()
            for ours, kept in zip(built, layer.arrays.values(), strict=True):
                np.testing.assert_array_equal(ours, kept)

        assert doc.reset_weights()  # the panel follows the weights: the untrained model again
        assert panel.model_source() == UNTRAINED and UNTRAINED in panel.source_label.text()
        doc.undo_stack.undo()
        assert panel.model_source().startswith("the project's weights")
    finally:
        panel.shutdown()
        qtbot.waitUntil(lambda: not panel.busy, timeout=JOB_TIMEOUT_MS)
        panel.close()


def test_the_source_names_backbones_that_load_a_file() -> None:
    from app.core.weights import ModelWeights

    files = ("'backbone' from digits.weights.h5",)
    assert weights_source(ModelWeights(), ()) == UNTRAINED
    assert weights_source(ModelWeights(), files) == \
        "untrained (seed 0) except backbone 'backbone' from digits.weights.h5"
