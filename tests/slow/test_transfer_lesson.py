"""The transfer-learning lesson really transfers: pretrained layers beat training from scratch."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_frozen_and_fine_tuned_backbones_beat_training_from_scratch() -> None:
    from tools.build_transfer_lesson import three_ways

    results = three_ways()
    accuracy = {}
    for name, result in results.items():
        assert result.status == "finished", (name, result.reason)
        accuracy[name] = result.test_metrics["accuracy"]
    epochs = {name: result.epochs_run for name, result in results.items()}
    assert len(set(epochs.values())) == 1, epochs  # the same number of epochs for all three
    assert results["fine_tune"].fine_tune_from == 5
    print("test accuracy:", accuracy)
    assert accuracy["frozen"] > accuracy["scratch"], accuracy
    assert accuracy["fine_tune"] > accuracy["scratch"], accuracy
    assert min(accuracy["frozen"], accuracy["fine_tune"]) >= 0.88, accuracy
