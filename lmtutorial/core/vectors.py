"""Word vectors: cosine similarity, and the nearest neighbours of a word under it.

    cos(a, b) = a·b / (‖a‖ ‖b‖)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lmtutorial.core.checks import check_tensor


def _scaled(name: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` divided by its largest absolute entry along the last axis (so ‖x‖ neither underflows nor overflows),
    and a mask of the zero vectors."""
    x = x.to(torch.promote_types(x.dtype, torch.float32))
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        nan = int(x.isnan().sum())
        raise ValueError(f"{name}: expected finite values, got {nan} NaN and {int((~finite).sum()) - nan} "
                         f"infinite entries")
    scale = x.abs().amax(dim=-1, keepdim=True)
    zero = scale.squeeze(-1) == 0
    return x / scale.masked_fill(scale == 0, 1), zero


def _cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine along the last axis of the scaled ``a`` and ``b`` (NaN where either is a zero vector)."""
    return (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine of the angle between ``a`` and ``b`` along the last axis.

    ``a`` and ``b`` broadcast against each other. Raises ``ValueError`` for a zero vector (it has no direction)
    and for NaN or infinite entries.

    Taught on page ``ch04_math``.
    """
    a, b = check_tensor("a", a), check_tensor("b", b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cosine_similarity: expected vectors (at least 1-D), got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cosine_similarity: expected vectors of the same length, got {a.shape[-1]} and {b.shape[-1]}"
        )
    if a.shape[-1] == 0:
        raise ValueError("cosine_similarity: expected vectors with at least one entry, got empty vectors")
    (a, a_zero), (b, b_zero) = _scaled("a", a), _scaled("b", b)
    if bool(a_zero.any()) or bool(b_zero.any()):
        raise ValueError("cosine_similarity: a zero vector has no direction; expected non-zero vectors")
    return _cosine(a, b)


def nearest_neighbours(word: str, vectors: torch.Tensor, words: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the largest cosine similarity with ``word``'s, most similar first.

    ``vectors`` is a ``(vocab_size, dim)`` table whose row i belongs to ``words[i]``. The word itself and words
    whose vector is zero are left out; ties keep the lower row first.

    Taught on page ``ch04_math``.
    """
    check_tensor("vectors", vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"vectors: expected shape (len(words), dim) = ({len(words)}, dim), got {tuple(vectors.shape)}")
    rows = {w: i for i, w in enumerate(words)}
    if word not in rows:
        raise ValueError(f"word: expected a word of the vocabulary ({len(words)} words), got {word!r}")
    if not isinstance(k, int) or not 1 <= k <= len(words) - 1:
        raise ValueError(f"k: expected 1..{len(words) - 1} (the other words of the vocabulary), got {k!r}")
    row = rows[word]
    table, zero = _scaled("vectors", vectors)
    if bool(zero[row]):
        raise ValueError(f"word: {word!r} has a zero vector (row {row}), which has no direction; "
                         "expected a word with a non-zero vector")
    candidates = len(words) - 1 - int(zero.sum())
    if k > candidates:
        raise ValueError(f"k: expected at most {candidates} (the other words with a non-zero vector; "
                         f"{int(zero.sum())} rows are zero), got {k}")
    similarity = _cosine(table[row], table).masked_fill(zero, -torch.inf)
    similarity[row] = -torch.inf
    values, order = similarity.sort(descending=True, stable=True)
    return [(words[i], value) for i, value in zip(order[:k].tolist(), values[:k].tolist())]
