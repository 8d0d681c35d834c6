"""Write ``app/data/files/sentiment.csv``: short film-review sentences labelled positive / negative.

No package ships a labelled sentiment corpus, so Layerforge generates its own from the word
lists and templates below with a fixed seed: the same file comes out every time, and
``tests/unit/test_data_text.py`` fails when the committed file differs from what this script
writes. Run ``python tools/build_sentiment.py`` after changing a list.

Most sentences carry their sentiment in one or two words; about a fifth need word order
(negation such as "not bad at all", a contrast such as "... but the ending was awful"), so an
LSTM has something to learn that counting words cannot.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "app" / "data" / "files" / "sentiment.csv"
SEED = 2024
PER_LABEL = 300

SUBJECTS = ["the movie", "this film", "the acting", "the story", "the soundtrack", "the ending", "the plot",
            "the cast", "the dialogue", "the pacing", "the script", "the characters", "this sequel", "the camera work",
            "the lead actor", "the humour", "the first half", "the music", "the visual effects", "the finale"]
THINGS = ["film", "movie", "story", "performance", "evening", "sequel", "comedy", "thriller", "drama", "documentary"]
POSITIVE = ["wonderful", "brilliant", "delightful", "moving", "charming", "clever", "beautiful", "gripping", "funny",
            "superb", "excellent", "touching", "fresh", "memorable", "stunning", "enjoyable", "thoughtful",
            "inspiring", "great", "lovely"]
NEGATIVE = ["boring", "dull", "awful", "clumsy", "predictable", "tedious", "terrible", "bland", "confusing",
            "painful", "forgettable", "weak", "lazy", "messy", "shallow", "annoying", "disappointing", "poor", "flat",
            "silly"]
INTENSIFIERS = ["", "", "really", "truly", "very", "quite", "absolutely", "so", "incredibly", "rather"]
LIKE = ["i loved", "we enjoyed", "my kids adored", "i would happily rewatch", "everyone praised", "i admired",
        "we were delighted by", "i was impressed by"]
DISLIKE = ["i hated", "we regretted", "i could not stand", "nobody enjoyed", "i walked out of", "i was bored by",
           "we were annoyed by", "i disliked"]
VERDICT_GOOD = ["a must see", "worth every penny", "i would recommend it to anyone", "five stars from me",
                "i want to see it again", "a real treat"]
VERDICT_BAD = ["a waste of time", "not worth the ticket", "i would not recommend it to anyone", "one star from me",
               "i want my money back", "a real letdown"]
TEMPLATE_WEIGHTS = [3, 3, 2, 2, 2, 1, 1, 1, 1]
"""Templates 5 to 7 (and some of 8) need word order; they are about a fifth of the sentences."""
ENDINGS = [".", ".", "!", " overall.", " in my opinion.", ", honestly."]


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _be(subject: str) -> str:
    return f"{subject} were" if subject in ("the characters", "the visual effects") else f"{subject} was"


def _adj(rng: random.Random, words: list[str]) -> str:
    extra = rng.choice(INTENSIFIERS)
    return f"{extra} {rng.choice(words)}".strip()


def sentence(rng: random.Random, positive: bool) -> str:
    """One sentence whose sentiment is ``positive``, from a randomly chosen template."""
    good, bad = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    like, verdict = (LIKE, VERDICT_GOOD) if positive else (DISLIKE, VERDICT_BAD)
    subject, subject2 = rng.sample(SUBJECTS, 2)
    template = rng.choices(range(9), weights=TEMPLATE_WEIGHTS)[0]
    if template == 0:
        text = f"{_be(subject)} {_adj(rng, good)}"
    elif template == 1:
        text = f"{rng.choice(like)} {subject}"
    elif template == 2:
        first, second = rng.sample(good, 2)
        text = f"{subject} felt {first} and {second}"
    elif template == 3:
        text = f"what {_a(rng.choice(good))} {rng.choice(THINGS)}"
    elif template == 4:
        text = f"{_be(subject)} {_adj(rng, good)}, {rng.choice(verdict)}"
    elif template == 5:  # negation: the opposite word, negated
        text = f"{_be(subject)} not {rng.choice(bad)} at all"
    elif template == 6:  # contrast: what follows "but" decides
        text = f"{_be(subject)} {rng.choice(bad)} but {_be(subject2)} {_adj(rng, good)}"
    elif template == 7:
        text = f"i expected {_a(rng.choice(bad))} {rng.choice(THINGS)}, but it was {_adj(rng, good)}"
    else:
        text = f"{rng.choice(verdict)}: {_be(subject)} {rng.choice(good)}"
        if rng.random() < 0.3:
            text = f"critics called it {_a(rng.choice(bad))} {rng.choice(THINGS)}, but i found it {rng.choice(good)}"
    text = re.sub(r"\bi\b", "I", text + rng.choice(ENDINGS))
    return text[0].upper() + text[1:]


def build() -> str:
    """The CSV text: header ``text,label``, then the sentences in a shuffled order."""
    rng = random.Random(SEED)
    rows: list[tuple[str, str]] = []
    for positive, label in ((True, "positive"), (False, "negative")):
        seen: set[str] = set()
        while len(seen) < PER_LABEL:
            text = sentence(rng, positive)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    rng.shuffle(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    return out.getvalue()


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
