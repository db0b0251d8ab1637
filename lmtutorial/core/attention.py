"""Attention: a soft lookup of values by how well their keys match a query.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V,   Q (L × d_k), K (S × d_k), V (S × d_v)
"""

from __future__ import annotations

import math

import torch

from lmtutorial.core.checks import check_tensor


def scaled_dot_product_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(output, weights)`` of ``softmax(Q Kᵀ · scale) V`` with ``scale = 1/√d_k`` unless given.

    ``query`` (..., L, d_k), ``key`` (..., S, d_k), ``value`` (..., S, d_v); leading axes (batch, heads)
    broadcast. ``mask`` is boolean, broadcastable to (..., L, S), ``True`` where query i may attend to key j
    (the convention of ``attn_mask`` in ``torch.nn.functional.scaled_dot_product_attention``). Returns
    ``output`` (..., L, d_v) and ``weights`` (..., L, S).

    Taught on page ``ch06_2_translation``.
    """
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        check_tensor(name, tensor)
        if tensor.ndim < 2:
            raise ValueError(f"{name}: expected shape (..., length, features), got {tuple(tensor.shape)}")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"key: expected (..., S, {query.shape[-1]}) (the query's d_k), got {tuple(key.shape)}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"value: expected (..., {key.shape[-2]}, d_v) (one value per key), got {tuple(value.shape)}")
    scores = query @ key.transpose(-2, -1) * (1.0 / math.sqrt(query.shape[-1]) if scale is None else scale)
    if mask is not None:
        check_tensor("mask", mask)
        if mask.dtype != torch.bool:
            raise ValueError(f"mask: expected a boolean tensor (True = may attend), got dtype {mask.dtype}")
        try:
            mask = torch.broadcast_to(mask, scores.shape)
        except RuntimeError:
            raise ValueError(f"mask: expected a shape broadcastable to (..., L, S) = {tuple(scores.shape)}, "
                             f"got {tuple(mask.shape)}") from None
        if not mask.any(dim=-1).all():
            raise ValueError("mask: expected every query to be allowed at least one key, got a row of all False")
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ value, weights


class LuongAttention(torch.nn.Module):
    """Luong's "general" attention: score(q, k) = qᵀ W k, then softmax over the keys.

    ``forward`` takes ``query`` (batch, L, query_size), ``keys`` (batch, S, key_size) (also the values) and an
    optional ``key_mask`` (batch, S), ``True`` at real tokens; it returns the context (batch, L, key_size) and
    the weights (batch, L, S).
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.project = torch.nn.Linear(query_size, key_size, bias=False)

    def forward(self, query: torch.Tensor, keys: torch.Tensor,
                key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if key_mask is not None:
            check_tensor("key_mask", key_mask)
            if key_mask.shape != keys.shape[:2]:
                raise ValueError(f"key_mask: expected shape (batch, S) = {tuple(keys.shape[:2])}, "
                                 f"got {tuple(key_mask.shape)}")
            key_mask = key_mask.unsqueeze(1)  # (batch, 1, S): the same keys for every query
        return scaled_dot_product_attention(self.project(query), keys, keys, key_mask, scale=1.0)
