"""Word vectors: cosine similarity, and the nearest neighbours of a word under it.

    cos(a, b) = a·b / (‖a‖ ‖b‖)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._checks import check_tensor


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine of the angle between ``a`` and ``b`` along the last axis.

    ``a`` and ``b`` broadcast against each other like ``torch.nn.functional.cosine_similarity(a, b, dim=-1)``.
    A zero vector has no direction, so it raises ``ValueError`` instead of returning a silent 0 or NaN.
    """
    a, b = check_tensor("a", a), check_tensor("b", b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cosine_similarity: expected vectors (at least 1-D), got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cosine_similarity: expected vectors of the same length, got {a.shape[-1]} and {b.shape[-1]}"
        )
    a, b = a.to(torch.promote_types(a.dtype, torch.float32)), b.to(torch.promote_types(b.dtype, torch.float32))
    norm_a, norm_b = a.norm(dim=-1), b.norm(dim=-1)
    if bool((norm_a == 0).any()) or bool((norm_b == 0).any()):
        raise ValueError("cosine_similarity: a zero vector has no direction; expected non-zero vectors")
    return (a * b).sum(dim=-1) / (norm_a * norm_b)


def nearest_neighbours(word: str, vectors: torch.Tensor, words: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the largest cosine similarity with ``word``'s, most similar first.

    ``vectors`` is a ``(vocab_size, dim)`` table whose row i belongs to ``words[i]`` (e.g. ``vocab.itos``).
    The word itself is left out; ties keep the lower row first.
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
    similarity = cosine_similarity(vectors[row], vectors)
    similarity[row] = -torch.inf
    values, order = similarity.sort(descending=True, stable=True)
    return [(words[i], value) for i, value in zip(order[:k].tolist(), values[:k].tolist())]
