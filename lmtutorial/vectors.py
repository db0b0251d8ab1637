"""Word vectors: cosine similarity.

    cos(a, b) = a·b / (‖a‖ ‖b‖)
"""

from __future__ import annotations

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
