"""Attention masks, boolean with ``True`` = may attend: which keys each query sees.

    padding: key j is a real token, not padding;   causal: key j is not after query i (j ≤ past + i)
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_number, check_tensor


def padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """(batch, 1, 1, S) mask from a (batch, S) ``attention_mask`` of 1 (real token) and 0 (padding).

    Taught on page ``ch03_1_transformer``.
    """
    check_tensor("attention_mask", attention_mask)
    if attention_mask.ndim != 2:
        raise ValueError(f"attention_mask: expected shape (batch, length), got {tuple(attention_mask.shape)}")
    if attention_mask.dtype.is_floating_point or attention_mask.dtype.is_complex:
        raise ValueError(f"attention_mask: expected booleans or integers 0/1, got dtype {attention_mask.dtype}")
    if attention_mask.dtype != torch.bool and not ((attention_mask == 0) | (attention_mask == 1)).all():
        raise ValueError(f"attention_mask: expected only 0 (padding) and 1 (token), got values "
                         f"{sorted(set(attention_mask.unique().tolist()))}")
    real = attention_mask.bool()
    if not real.any(dim=-1).all():
        empty = (~real.any(dim=-1)).nonzero().flatten().tolist()
        raise ValueError(f"attention_mask: expected at least one real token per sequence, got none in rows {empty}")
    return real[:, None, None, :]


def causal_mask(length: int, past: int = 0, device: torch.device | str | None = None) -> torch.Tensor:
    """(length, past + length) mask: query i, at position past + i, may attend to keys 0 … past + i.

    ``past`` is the number of earlier tokens whose keys are cached.

    Taught on page ``ch03_1_transformer``.
    """
    check_number("length", length, integer=True, minimum=1)
    check_number("past", past, integer=True, minimum=0)
    return torch.ones(length, past + length, dtype=torch.bool, device=device).tril(diagonal=past)
