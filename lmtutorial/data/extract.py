"""Rule-based information extraction: the reviewer's own score ("7/10", "4 out of 5") in a movie review.

A score ``a/b`` with ``b`` in {5, 10} is rescaled to ten points, ``10 a / b``. IMDb (Maas et al. 2011) labels a
review negative when its score is at most 4 of 10 and positive when it is at least 7; 5 and 6 are left out.
"""

from __future__ import annotations

import re

from lmtutorial.data.text import clean_review

SCORE_PATTERN = re.compile(
    r"(?<![\d./-])(\d{1,2}(?:\.\d)?)\s*(?:/|out\s+of)\s*(10|ten|5|five)(?![\d/])\b",
    flags=re.IGNORECASE,
)
SCALE = {"10": 10, "ten": 10, "5": 5, "five": 5}


def find_scores(text: str) -> list[float]:
    """Every score in ``text`` in reading order, on a ten-point scale (``"3.5/5"`` → 7.0).

    A numerator above its scale ("20/10 vision") is not a score and is skipped.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    scores = []
    for numerator, scale in SCORE_PATTERN.findall(clean_review(text)):
        points, out_of = float(numerator), SCALE[scale.lower()]
        if points <= out_of:
            scores.append(10.0 * points / out_of)
    return scores


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
