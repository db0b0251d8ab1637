"""BLEU, the classic machine-translation score, from its definition."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

Tokens = Sequence[str]


def ngrams(tokens: Tokens, n: int) -> Counter:
    """Counts of the ``n``-grams (tuples of ``n`` consecutive tokens) in ``tokens``."""
    if n < 1:
        raise ValueError(f"n: expected an n-gram order of 1 or more, got {n}")
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(candidate: Tokens, references: Sequence[Tokens], n: int) -> tuple[int, int]:
    """``(clipped matches, candidate n-grams)`` of one candidate: the numerator and denominator of ``p_n``.

    Taught on page ``ch06_2_translation``.
    """
    counts = ngrams(candidate, n)
    most_in_a_reference: Counter = Counter()
    for reference in references:
        most_in_a_reference |= ngrams(reference, n)  # element-wise maximum over references
    clipped = sum(min(count, most_in_a_reference[gram]) for gram, count in counts.items())
    return clipped, sum(counts.values())


def closest_reference_length(candidate_length: int, references: Sequence[Tokens]) -> int:
    """The reference length nearest to the candidate's (the shorter one on a tie)."""
    return min((len(r) for r in references), key=lambda length: (abs(length - candidate_length), length))


def brevity_penalty(candidate_length: int, reference_length: int) -> float:
    """``1`` if the candidate is longer than the reference, else ``exp(1 - r/c)``."""
    if candidate_length < 1:
        raise ValueError(f"candidate_length: expected 1 or more tokens, got {candidate_length}")
    if candidate_length > reference_length:
        return 1.0
    return math.exp(1.0 - reference_length / candidate_length)


def corpus_bleu(candidates: Sequence[Tokens], references: Sequence[Sequence[Tokens]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 1] of tokenized ``candidates``; ``references[i]`` lists the references of candidate ``i``.

    ``BLEU = BP · exp(Σ_{n=1..N} (1/N) log p_n)``, sums over the corpus, ``p_n`` clipped; 0 when some ``p_n`` is 0.

    Taught on page ``ch06_2_translation``.
    """
    if max_n < 1:
        raise ValueError(f"max_n: expected an n-gram order of 1 or more, got {max_n}")
    if not candidates:
        raise ValueError("candidates: expected at least one candidate translation, got none")
    if len(candidates) != len(references):
        raise ValueError(f"references: expected one list per candidate ({len(candidates)}), got {len(references)}")
    if any(not refs for refs in references):
        raise ValueError("references: expected at least one reference for every candidate, got an empty list")
    if any(isinstance(c, str) for c in candidates) or any(isinstance(r, str) for refs in references for r in refs):
        raise TypeError("expected token lists such as ['the', 'cat'], got a plain string: split it into tokens first")
    matches, totals = [0] * max_n, [0] * max_n
    candidate_length = reference_length = 0
    for candidate, refs in zip(candidates, references):
        for n in range(1, max_n + 1):
            clipped, total = modified_precision(candidate, refs, n)
            matches[n - 1] += clipped
            totals[n - 1] += total
        candidate_length += len(candidate)
        reference_length += closest_reference_length(len(candidate), refs)
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    return brevity_penalty(candidate_length, reference_length) * math.exp(log_precision)


def sentence_bleu(candidate: Tokens, references: Sequence[Tokens], max_n: int = 4) -> float:
    """BLEU of a single candidate: :func:`corpus_bleu` over a corpus of one.

    Taught on page ``ch06_2_translation``.
    """
    return corpus_bleu([candidate], [references], max_n=max_n)
