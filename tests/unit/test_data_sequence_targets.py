"""A class at every step (seq2seq): split at random, targets per step, both Inputs of an
encoder-decoder fed from the generated reversal set, and class weights refused in words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.graph import Graph
from app.core.project import load_project
from app.data import DataMismatch, Dataset, load_dataset, prepare, split_dataset
from app.data.synthetic import reverse_sequences

EXAMPLE = Path(__file__).resolve().parents[2] / "models" / "seq2seq_reverse.json"
SETTINGS = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def seq2seq() -> Graph:
    return load_project(EXAMPLE).graph


def test_sequence_targets_are_split_at_random_and_the_notes_say_so() -> None:
    ds = reverse_sequences(samples=200, length=5, symbols=6, seed=0)
    splits = split_dataset(ds, 0.2, 0.1, seed=0)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (140, 40, 20)  # type: ignore[arg-type]
    assert splits.train.y.shape == (140, 5)
    assert any("not stratified" in note and "every step" in note for note in splits.notes)
    index = np.concatenate([splits.indices[k] for k in ("train", "validation", "test")])
    assert sorted(index.tolist()) == list(range(200))  # every sample exactly once


def test_the_reversal_set_feeds_both_inputs_by_name_with_a_class_per_step() -> None:
    ds = load_dataset({"name": "reverse_sequences", "samples": 300})
    splits = split_dataset(ds, 0.2, 0.1, seed=0)
    prepared = prepare(ds, splits, seq2seq(), SETTINGS, {"name": "reverse_sequences"})
    xs, ys = prepared.train
    assert xs["encoder_input"].shape == (210, 5, 6) and xs["decoder_input"].shape == (210, 5, 7)
    letters = xs["encoder_input"].argmax(-1)
    assert np.array_equal(ys["letter"], letters[:, ::-1])  # the target is the string backwards
    # teacher forcing: the decoder sees the start token, then the answer one step late
    assert (xs["decoder_input"][:, 0].argmax(-1) == 6).all()
    assert np.array_equal(xs["decoder_input"][:, 1:].argmax(-1), ys["letter"][:, :-1])
    assert ys["letter"].dtype == np.int64
    assert any("each of the 5 steps" in note for note in prepared.notes)
    assert any("not stratified" in note for note in prepared.notes)


def test_one_hot_losses_get_one_hot_steps_and_one_hot_targets_are_read_back() -> None:
    ds = reverse_sequences(samples=100, length=5, symbols=6, seed=1)
    splits = split_dataset(ds, 0.2, 0.0, seed=0)
    prepared = prepare(ds, splits, seq2seq(), {**SETTINGS, "loss": "categorical_crossentropy"})
    y = prepared.train[1]["letter"]
    assert y.shape == (80, 5, 6) and np.array_equal(y.argmax(-1), splits.train.y)
    one_hot = Dataset(**{**ds.__dict__, "y": np.eye(6, dtype=np.float32)[ds.y]})
    again = prepare(one_hot, split_dataset(one_hot, 0.2, 0.0, seed=0), seq2seq(), SETTINGS)
    assert np.array_equal(again.train[1]["letter"], splits.train.y)


def test_class_weights_and_a_one_class_output_are_refused_in_words() -> None:
    ds = reverse_sequences(samples=100, length=5, symbols=6, seed=0)
    splits = split_dataset(ds, 0.2, 0.0, seed=0)
    with pytest.raises(DataMismatch) as caught:
        prepare(ds, splits, seq2seq(), {**SETTINGS, "class_weight": "balanced"})
    assert "class_weight 'balanced'" in str(caught.value) and "set class_weight to none" in str(caught.value)

    graph = seq2seq()
    decoder = graph.node_by_name("decoder")
    assert decoder is not None
    graph.set_param(decoder.id, "return_sequences", False)  # one vector per string, not per step
    with pytest.raises(DataMismatch) as caught:
        prepare(ds, splits, graph, SETTINGS)
    assert "Output 'letter' gives shape (6,) per sample" in str(caught.value)
    assert "a class at each of its 5 steps" in str(caught.value) and "(5, 6)" in str(caught.value)

    with pytest.raises(DataMismatch) as caught:
        prepare(ds, splits, seq2seq(), {**SETTINGS, "loss": "binary_crossentropy"})
    assert "use sparse_categorical_crossentropy" in str(caught.value)


def test_inputs_named_otherwise_are_told_the_names_the_set_feeds() -> None:
    ds = reverse_sequences(samples=50, length=5, symbols=6, seed=0)
    graph = seq2seq()
    source = graph.node_by_name("encoder_input")
    assert source is not None
    graph.rename(source.id, "letters")
    with pytest.raises(DataMismatch) as caught:
        prepare(ds, split_dataset(ds, 0.2, 0.0, seed=0), graph, SETTINGS)
    text = str(caught.value)
    assert "feeds 2 Inputs named 'encoder_input' and 'decoder_input'" in text and "'letters'" in text
