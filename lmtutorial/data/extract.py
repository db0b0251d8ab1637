"""Rule-based information extraction: the reviewer's own score ("7/10", "4 out of 5") in a movie review.

A score ``a/b`` with ``b`` in {5, 10} is rescaled to ten points, ``10 a / b``; IMDb: ≤ 4 negative, ≥ 7 positive.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lmtutorial.data.text import clean_review

SCORE_PATTERN = re.compile(
    r"(?<![\w./-])(\d{1,2}(?:\.\d)?)\s*(?:/|out\s+of)\s*(10|ten|5|five)(?![\d/])\b",
    flags=re.IGNORECASE,
)
SCALE = {"10": 10, "ten": 10, "5": 5, "five": 5}


class ScoreSpan(NamedTuple):
    """A score found in a text: its characters ``text[start:end]`` and its value on the ten-point scale."""

    start: int
    end: int
    score: float


def find_score_spans(text: str) -> list[ScoreSpan]:
    """Every score in ``text`` in reading order, with its character span in ``text`` exactly as given.

    A numerator above its scale ("20/10 vision") is skipped, and a score starts a word ("a10/10" is not read).
    Unlike :func:`find_scores`, ``text`` is not cleaned first.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    spans = []
    for match in SCORE_PATTERN.finditer(text):
        points, out_of = float(match[1]), SCALE[match[2].lower()]
        if points <= out_of:
            spans.append(ScoreSpan(match.start(), match.end(), 10.0 * points / out_of))
    return spans


def find_scores(text: str) -> list[float]:
    """Every score in ``text`` in reading order, on a ten-point scale (``"3.5/5"`` → 7.0).

    A numerator above its scale ("20/10 vision") is not a score and is skipped.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return [span.score for span in find_score_spans(clean_review(text))]


NUMBER_WORDS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten".split())}
_NUMBER = r"\b(\d{1,2}(?:\.\d+)?|(?:" + "|".join(NUMBER_WORDS) + r")\b)"
LOOSE_SCORE = re.compile(
    rf"(?<![\d.]){_NUMBER}(?:(?:\s*stars?)?\s*(?:/|\bout\s+of\b|\bof\b|\boutta\b)(?:\s*a\s+possible)?"
    rf"\s*{_NUMBER})?(?![\d.]*\d)",
    flags=re.IGNORECASE,
)


def parse_score(answer: str) -> float | None:
    """The score stated in a short answer span ("8 out of ten", "Rating: 7", "3/5"), on the ten-point scale.

    The first number, in digits or as a word up to ten, optionally followed by its scale (``/``, "out of", "of");
    no scale means out of ten. ``None`` when there is no number, the scale is neither 5 nor 10, or the number is
    above its scale.
    """
    if not isinstance(answer, str):
        raise TypeError(f"answer: expected a str, got {type(answer).__name__}")
    match = LOOSE_SCORE.search(answer)
    if match is None:
        return None
    points, scale = (None if m is None else float(NUMBER_WORDS.get(m.lower(), m)) for m in match.groups())
    scale = 10.0 if scale is None else scale
    if scale not in (5.0, 10.0) or points > scale:
        return None
    return 10.0 * points / scale


def score_to_label(score: float) -> int | None:
    """IMDb's rule: 1 (positive) for a score ≥ 7 of 10, 0 (negative) for ≤ 4, ``None`` in between."""
    if not 0.0 <= score <= 10.0:
        raise ValueError(f"score: expected a value on the ten-point scale 0..10, got {score}")
    if score >= 7.0:
        return 1
    if score <= 4.0:
        return 0
    return None


def extract_label(text: str) -> int | None:
    """The label implied by the last score in ``text`` (reviews tend to end with their verdict), or ``None``."""
    scores = find_scores(text)
    return score_to_label(scores[-1]) if scores else None
