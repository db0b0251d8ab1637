"""A translation task with answers that can be checked: numbers written in digits → the same numbers in words.

``4052`` (source tokens ``4 0 5 2``) → ``four thousand fifty two``.
"""

from __future__ import annotations

import random

import torch

from lmtutorial.core.checks import check_number
from lmtutorial.data.batching import pad_sequences
from lmtutorial.data.text import SPECIALS, Vocabulary

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
MAX_NUMBER = 999_999
SOURCE_VOCAB = Vocabulary([*SPECIALS, *"0123456789"])
TARGET_VOCAB = Vocabulary([*SPECIALS, *ONES, *TENS[2:], "hundred", "thousand"])


def number_to_words(n: int) -> list[str]:
    """English words of 0 ≤ n ≤ 999,999, e.g. 4052 → ['four', 'thousand', 'fifty', 'two'] (no 'and')."""
    check_number("n", n, integer=True, minimum=0, maximum=MAX_NUMBER)
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (number_to_words(n % 100) if n % 100 else [])
    return number_to_words(n // 1000) + ["thousand"] + (number_to_words(n % 1000) if n % 1000 else [])


def sample_numbers(count: int, seed: int = 0, min_digits: int = 1, max_digits: int = 6, distinct: bool = False,
                   exclude: set[int] | frozenset = frozenset()) -> list[int]:
    """``count`` random numbers not in ``exclude``: the digit count is uniform in ``min_digits`` … ``max_digits``,
    then the number uniform among those with that many digits. ``distinct=True`` draws without repetition."""
    check_number("count", count, integer=True, minimum=0)
    if not 1 <= min_digits <= max_digits <= 6:
        raise ValueError(f"expected 1 <= min_digits <= max_digits <= 6, got {min_digits} and {max_digits}")
    smallest_pool = 10 if min_digits == 1 else 9 * 10 ** (min_digits - 1)
    limit = smallest_pool * (max_digits - min_digits + 1) // 2  # about half the smallest pool is drawn at most
    if distinct and count > limit:
        raise ValueError(f"count: expected at most {limit} distinct numbers of {min_digits} to {max_digits} digits, "
                         f"got {count}")
    low, high = (0 if min_digits == 1 else 10 ** (min_digits - 1)), 10 ** max_digits - 1
    left = high - low + 1 - sum(1 for n in set(exclude) if isinstance(n, int) and low <= n <= high)
    if count > 0 and left == 0:
        raise ValueError(f"exclude: expected to leave some of the {high - low + 1:,} numbers of {min_digits} to "
                         f"{max_digits} digits to draw from, got all of them excluded")
    if distinct and count > left:
        raise ValueError(f"count: expected at most {left} distinct numbers of {min_digits} to {max_digits} digits "
                         f"outside exclude, got {count}")
    rng, numbers, seen = random.Random(seed), [], set()
    while len(numbers) < count:
        digits = rng.randint(min_digits, max_digits)
        n = rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1)
        if n in exclude or (distinct and n in seen):
            continue
        numbers.append(n)
        seen.add(n)
    return numbers


def number_batch(numbers: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(src, src_lengths, previous, target)`` for :func:`lmtutorial.models.seq2seq.seq2seq_loss`: the digits, and the
    words as decoder input (``<bos>`` w_1 …) and as target (w_1 … ``<eos>``), padded."""
    src, src_lengths = pad_sequences([SOURCE_VOCAB.encode(" ".join(str(n))) for n in numbers], SOURCE_VOCAB.pad_id)
    words = [TARGET_VOCAB.encode(" ".join(number_to_words(n))) for n in numbers]
    previous, _ = pad_sequences([[TARGET_VOCAB.bos_id, *w] for w in words], TARGET_VOCAB.pad_id)
    target, _ = pad_sequences([[*w, TARGET_VOCAB.eos_id] for w in words], TARGET_VOCAB.pad_id)
    return src, src_lengths, previous, target


def exact_match(predictions: list[list[int]], references: list[list[int]]) -> float:
    """Fraction of predictions equal to their reference, token for token."""
    if len(predictions) != len(references) or not references:
        raise ValueError(f"expected as many predictions as references (at least one), got {len(predictions)} "
                         f"and {len(references)}")
    return sum(p == r for p, r in zip(predictions, references)) / len(references)
