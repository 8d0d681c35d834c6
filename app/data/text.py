"""Text as token ids for an Embedding layer: lower-case words, a vocabulary of the most frequent
ones (0 = padding, 1 = unknown word, as Keras' TextVectorization numbers them), every text padded
or cut to one length."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.data import options as opts
from app.data.csvread import is_missing, read_csv
from app.data.dataset import Dataset, count, freeze, make_title
from app.data.errors import DataError
from app.data.option_table import TABLE
from app.data.targets import encode_target

PAD, UNKNOWN = "", "[UNK]"
SEQUENCE_LENGTH: int = TABLE["sequence_length"].default
MAX_TOKENS: int = TABLE["max_tokens"].default
SENTIMENT_FILE = Path(__file__).with_name("files") / "sentiment.csv"

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case words; punctuation dropped, apostrophes inside words kept ("don't")."""
    return _WORD.findall(text.lower())


def build_vocabulary(texts: Sequence[list[str]], max_tokens: int) -> tuple[list[str], int]:
    """The ``max_tokens - 2`` most frequent words after padding and unknown (ties alphabetical, so the
    same data always gives the same ids), and how many different words there were."""
    counts = Counter(word for words in texts for word in words)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return [PAD, UNKNOWN, *ranked[:max_tokens - 2]], len(counts)


def vectorize(texts: Sequence[list[str]], vocabulary: Sequence[str], length: int) -> tuple[np.ndarray, int]:
    """(N, length) int32 ids, padded with 0 at the end; also how many texts were cut short."""
    index = {word: i for i, word in enumerate(vocabulary) if i > 1}
    out = np.zeros((len(texts), length), dtype=np.int32)
    cut = 0
    for row, words in enumerate(texts):
        if len(words) > length:
            cut += 1
        ids = [index.get(w, 1) for w in words[:length]]
        out[row, :len(ids)] = ids
    return out, cut


def text_dataset(name: str, label: str, texts: Sequence[str], y: np.ndarray, task: str,
                 class_names: list[str] | None, sequence_length: int, max_tokens: int, description: str,
                 notes: list[str]) -> Dataset:
    words = [tokenize(t) for t in texts]
    vocabulary, distinct = build_vocabulary(words, max_tokens)
    x, cut = vectorize(words, vocabulary, sequence_length)
    kept = len(vocabulary) - 2
    notes = [*notes, (f"vocabulary: all {distinct:,} different words" if kept == distinct else
                      f"vocabulary: the {kept:,} most frequent of {distinct:,} different words; the others become "
                      "1 (unknown)") + f", ids 2 to {len(vocabulary) - 1} (0 = padding, 1 = unknown)"]
    if cut:
        notes.append(f"cut {count(cut)} text{'s' if cut != 1 else ''} longer than {sequence_length} words to "
                     f"{sequence_length} (set sequence_length to keep more)")
    return freeze(Dataset(
        name=name, title=make_title(label, x, task, len(class_names) if class_names else None, "text"), kind="text",
        task=task, x=x, y=y, class_names=class_names, description=description, notes=notes, vocabulary=vocabulary))


def _text_options(ref: Mapping[str, Any], dataset: str) -> tuple[int, int]:
    return opts.read(ref, "sequence_length", dataset), opts.read(ref, "max_tokens", dataset)


def load_text_csv(path: Path, shown: str, ref: Mapping[str, Any], *, name: str | None = None,
                  label: str | None = None, description: str | None = None) -> Dataset:
    """A CSV with a text column (default "text", else the first) and a label column (default "label",
    else the last)."""
    dataset = name or "text_csv"  # the option table's name for these options' ranges
    table = read_csv(path, shown, numbers=False)
    lower = [h.lower() for h in table.header]

    def column(key: str, preferred: str, fallback: int) -> int:
        wanted = opts.read(ref, key, dataset)
        if wanted is None:
            return lower.index(preferred) if preferred in lower else fallback
        if wanted not in table.header:
            raise DataError(f"there is no column {wanted!r} (option {key}); the columns are: "
                            f"{', '.join(table.header)}", shown)
        return table.header.index(wanted)

    if len(table.header) < 2:
        raise DataError("a text table needs two columns, the text and its label (e.g. a header 'text,label')", shown)
    text_index = column("text_column", "text", 0)
    label_index = column("label_column", "label", len(table.header) - 1 if text_index != len(table.header) - 1
                         else 0)
    if text_index == label_index:
        raise DataError(f"the text and the label are the same column ({table.header[text_index]!r}): set "
                        "text_column and label_column", shown)
    sequence_length, max_tokens = _text_options(ref, dataset)
    task = opts.read(ref, "task", dataset)
    target = encode_target(table.column(label_index), table.lines, table.header[label_index], shown, task)
    text_cells = table.column(text_index)
    texts = [text_cells[i] for i in np.flatnonzero(target.keep)]
    empty = sum(1 for t in texts if is_missing(t))
    notes = list(target.notes)
    if empty:
        notes.append(f"{count(empty)} text{'s are' if empty != 1 else ' is'} empty (all padding)")
    return text_dataset(
        name or shown, label or Path(shown).name, [t if not is_missing(t) else "" for t in texts], target.y,
        target.task, target.class_names, sequence_length, max_tokens,
        description or f"Your texts in {shown}: {count(len(texts))} rows, text column "
                       f"{table.header[text_index]!r}, label column {table.header[label_index]!r}.", notes)


def sentiment(ref: Mapping[str, Any]) -> Dataset:
    rows = sum(1 for _ in SENTIMENT_FILE.open(encoding="utf-8")) - 1
    return load_text_csv(
        SENTIMENT_FILE, "sentiment.csv", ref, name="sentiment", label="Sentence sentiment",
        description=f"{rows:,} short English sentences about films, each labelled positive or negative. Generated "
                    "by Layerforge from word lists and sentence templates (tools/build_sentiment.py, fixed seed), "
                    "so it is reproducible and free to share: these are not real reviews. Some sentences use "
                    "negation ('not bad at all') or a contrast ('... but ...'), so word order matters.")


__all__ = ["MAX_TOKENS", "SEQUENCE_LENGTH", "build_vocabulary", "load_text_csv", "sentiment", "text_dataset",
           "tokenize", "vectorize"]
