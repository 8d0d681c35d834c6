"""Train / validation / test splits: stratified for classes, chronological for time series.

Sequence targets (a class at every step, y of shape (N, T) or (N, T, C)) are split at random.

Stratification is done here in numpy (largest-remainder allocation per class, the same idea
as scikit-learn's ``train_test_split(stratify=...)``) so a split does not import scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.data.dataset import Dataset
from app.data.errors import DataError


@dataclass
class Part:
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass
class Splits:
    train: Part
    validation: Part | None
    test: Part | None
    notes: list[str] = field(default_factory=list)
    """How the split was made, in words (stratified, chronological, or why not stratified)."""
    indices: dict[str, np.ndarray] = field(default_factory=dict)
    """Sample indices into the dataset per part ("train", "validation", "test"), for previews."""


def _sizes(n: int, validation: float, test: float) -> tuple[int, int]:
    n_test = round(n * test)
    n_val = round(n * validation)
    if test > 0 and n_test == 0 and n >= 3:
        n_test = 1
    if validation > 0 and n_val == 0 and n >= 3:
        n_val = 1
    return n_val, n_test


def _allocate(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` among classes in proportion to ``counts`` (largest remainders, ties at random)."""
    exact = counts * total / counts.sum()
    base = np.floor(exact).astype(int)
    rest = total - base.sum()
    if rest > 0:
        order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - base[i]), rng.random()))
        for i in order[:rest]:
            base[i] += 1
    return np.minimum(base, counts)


def _stratified(y: np.ndarray, n_val: int, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    classes, inverse = np.unique(y, return_inverse=True)
    pools = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(classes))]
    counts = np.array([len(p) for p in pools])
    test_take = _allocate(counts, n_test, rng)
    val_take = _allocate(counts - test_take, n_val, rng)
    parts: list[list[np.ndarray]] = [[], [], []]
    for pool, t, v in zip(pools, test_take, val_take, strict=True):
        parts[2].append(pool[:t])
        parts[1].append(pool[t:t + v])
        parts[0].append(pool[t + v:])
    return tuple(rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)


def split_dataset(ds: Dataset, validation: float = 0.2, test: float = 0.1, seed: int = 0) -> Splits:
    """Split ``ds`` by the given fractions; a fraction of 0 gives ``None`` for that part.

    Classes keep their proportions in every part when each class has at least two samples and
    each sample has one class (not one per step); ordered data (time series) is cut in time
    order: train, then validation, then test.
    """
    n = ds.n_samples
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise DataError(f"validation ({validation:g}) and test ({test:g}) fractions must be between 0 and 1 and "
                        "leave data to train on")
    n_val, n_test = _sizes(n, validation, test)
    if n - n_val - n_test < 1:
        raise DataError(f"{ds.name!r} has {n} samples, too few to split into train, validation and test: use more "
                        "data or set the validation and test splits to 0")
    notes: list[str] = []
    rng = np.random.default_rng(seed)
    if ds.ordered:
        order = np.arange(n)
        train, val, tst = order[:n - n_val - n_test], order[n - n_val - n_test:n - n_test], order[n - n_test:]
        notes.append("split in time order: the first samples train, later ones validate, the last ones test "
                     "(never shuffled, so the model is tested on the future)")
    elif ds.task == "classification" and ds.y.ndim > 1:
        notes.append("split at random, not stratified: each sample has a class at every step (a sequence), not one "
                     "class to keep in proportion")
        order = rng.permutation(n)
        tst, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    elif ds.task == "classification" and (n_val or n_test):
        counts = np.bincount(ds.y.astype(np.int64))
        present = counts[counts > 0]
        if present.min() >= 2:
            train, val, tst = _stratified(ds.y, n_val, n_test, rng)
            notes.append("stratified split: each part keeps the class proportions")
        else:
            rare = [str(ds.class_names[i]) if ds.class_names and i < len(ds.class_names) else str(i)
                    for i in np.flatnonzero(counts == 1)]
            notes.append(f"split at random, not stratified: class{'es' if len(rare) > 1 else ''} "
                         f"{', '.join(repr(r) for r in rare[:5])} {'have' if len(rare) > 1 else 'has'} one sample only")
            order = rng.permutation(n)
            tst, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    else:
        order = rng.permutation(n)
        tst, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]

    def part(index: np.ndarray) -> Part:
        return Part(ds.x[index], ds.y[index])

    return Splits(
        train=part(train),
        validation=part(val) if len(val) else None,
        test=part(tst) if len(tst) else None,
        notes=notes,
        indices={"train": train, "validation": val, "test": tst},
    )


__all__ = ["Part", "Splits", "split_dataset"]
