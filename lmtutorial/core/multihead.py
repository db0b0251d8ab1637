"""Multi-head self-attention, with grouped-query attention (GQA): h query heads share k key/value heads.

    head_i = softmax(Q_i K_{g(i)}ᵀ / √d_h) V_{g(i)},   MHA(x) = [head_1 … head_h] W_o,   g(i) = ⌊i / (h / k)⌋

k = h is multi-head attention (BERT), 1 < k < h grouped-query attention (Llama 2+, SmolLM2), k = 1 multi-query.
"""

from __future__ import annotations

import torch

from lmtutorial.core.attention import scaled_dot_product_attention
from lmtutorial.core.checks import check_number, check_tensor
from lmtutorial.core.kvcache import LayerCache
from lmtutorial.core.positions import apply_rotary


class MultiHeadAttention(torch.nn.Module):
    """Self-attention of ``n_heads`` heads over ``n_kv_heads`` key/value heads (default: as many).

    ``qkv`` holds W_q, W_k and W_v stacked ((n_heads + 2·n_kv_heads)·head_dim × dim); ``out`` is W_o.
    ``forward(x, mask, rotary, cache)``: ``x`` (batch, T, dim); ``mask`` boolean, the same for every head,
    (T, S) or (batch, 1, T or 1, S), ``True`` = may attend; ``rotary`` the ``(cos, sin)`` of RoPE, applied to
    queries and keys; ``cache`` a :class:`~lmtutorial.core.kvcache.LayerCache` that stores this call's keys
    and values and supplies the earlier ones (S = cached + T).

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, dim: int, n_heads: int, n_kv_heads: int | None = None, head_dim: int | None = None,
                 bias: bool = True) -> None:
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        check_number("dim", dim, integer=True, minimum=1)
        check_number("n_heads", n_heads, integer=True, minimum=1)
        check_number("n_kv_heads", n_kv_heads, integer=True, minimum=1)
        if n_heads % n_kv_heads:
            raise ValueError(f"n_kv_heads: expected a divisor of n_heads = {n_heads}, got {n_kv_heads}")
        if head_dim is None and dim % n_heads:
            raise ValueError(f"n_heads: expected a divisor of dim = {dim} (or give head_dim), got {n_heads}")
        self.dim, self.n_heads, self.n_kv_heads = dim, n_heads, n_kv_heads
        self.head_dim = dim // n_heads if head_dim is None else head_dim
        self.qkv = torch.nn.Linear(dim, (n_heads + 2 * n_kv_heads) * self.head_dim, bias=bias)
        self.out = torch.nn.Linear(n_heads * self.head_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
                cache: LayerCache | None = None) -> torch.Tensor:
        check_tensor("x", x)
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"x: expected shape (batch, T, dim) = (batch, T, {self.dim}), got {tuple(x.shape)}")
        batch, length, _ = x.shape
        heads, kv_heads = self.n_heads, self.n_kv_heads
        projected = self.qkv(x).view(batch, length, heads + 2 * kv_heads, self.head_dim).transpose(1, 2)
        qk, v = projected.split([heads + kv_heads, kv_heads], dim=1)  # queries and keys; values
        if rotary is not None:
            qk = apply_rotary(qk, *rotary)  # queries and keys are turned alike
        q, k = qk.split([heads, kv_heads], dim=1)
        if cache is not None:
            k, v = cache.append(k, v)
        # The group = heads / kv_heads query heads that share a key/value head are stacked as group·T queries.
        group = heads // kv_heads
        q = q.reshape(batch, kv_heads, group * length, self.head_dim)
        if mask is not None:
            check_tensor("mask", mask)
            if mask.ndim not in (2, 4) or (mask.ndim == 4 and mask.shape[1] != 1):
                raise ValueError(f"mask: expected shape (T, S) or (batch, 1, T or 1, S), the same for every head, "
                                 f"got {tuple(mask.shape)}")
            if mask.shape[-2] > 1:
                mask = mask.repeat(*[1] * (mask.ndim - 2), group, 1)
        heads_out, _ = scaled_dot_product_attention(q, k, v, mask)  # (batch, kv_heads, group·T, head_dim)
        return self.out(heads_out.reshape(batch, heads, length, self.head_dim).transpose(1, 2)
                        .reshape(batch, length, heads * self.head_dim))
