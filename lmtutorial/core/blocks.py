"""Residual Transformer blocks: an attention sublayer and a feed-forward sublayer, each added to its input.

    post-norm (BERT):   x ← N₁(x + Attn(x)),      x ← N₂(x + FFN(x))
    pre-norm (Llama):   x ← x + Attn(N₁(x)),      x ← x + FFN(N₂(x))

Pre-norm keeps an un-normalised path from input to output, which makes deep stacks easier to train.
"""

from __future__ import annotations

import torch

from lmtutorial.core.kvcache import LayerCache
from lmtutorial.core.multihead import MultiHeadAttention


class PostNormBlock(torch.nn.Module):
    """BERT's block: x ← N₁(x + Attn(x)), then x ← N₂(x + FFN(x)).

    ``forward(x, mask, rotary, cache)`` passes the last three to :class:`MultiHeadAttention`.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, attention: MultiHeadAttention, feedforward: torch.nn.Module, norm1: torch.nn.Module,
                 norm2: torch.nn.Module) -> None:
        super().__init__()
        self.attention, self.feedforward, self.norm1, self.norm2 = attention, feedforward, norm1, norm2

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
                cache: LayerCache | None = None) -> torch.Tensor:
        x = self.norm1(x + self.attention(x, mask, rotary, cache))
        return self.norm2(x + self.feedforward(x))


class PreNormBlock(torch.nn.Module):
    """Llama's block: x ← x + Attn(N₁(x)), then x ← x + FFN(N₂(x)).

    ``forward(x, mask, rotary, cache)`` passes the last three to :class:`MultiHeadAttention`.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, attention: MultiHeadAttention, feedforward: torch.nn.Module, norm1: torch.nn.Module,
                 norm2: torch.nn.Module) -> None:
        super().__init__()
        self.attention, self.feedforward, self.norm1, self.norm2 = attention, feedforward, norm1, norm2

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
                cache: LayerCache | None = None) -> torch.Tensor:
        x = x + self.attention(self.norm1(x), mask, rotary, cache)
        return x + self.feedforward(self.norm2(x))
