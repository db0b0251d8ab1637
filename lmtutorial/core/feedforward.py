"""The position-wise feed-forward network of a Transformer block: BERT's GELU MLP and Llama's SwiGLU.

    FFN(x) = W₂ GELU(W₁ x + b₁) + b₂,        SwiGLU(x) = W_down (SiLU(W_gate x) ⊙ W_up x)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from lmtutorial.core.checks import check_number


def gelu(x: torch.Tensor) -> torch.Tensor:
    """GELU(x) = x Φ(x) = ½ x (1 + erf(x / √2)): the exact form BERT uses (not the tanh approximation).

    Taught on page ``ch03_1_transformer``.
    """
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU(x) = x σ(x) (also called swish).

    Taught on page ``ch03_1_transformer``.
    """
    return x * torch.sigmoid(x)


class FeedForward(torch.nn.Module):
    """FFN(x) = W₂ f(W₁ x + b₁) + b₂ with f = :func:`gelu` unless given: dim → hidden → dim.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, dim: int, hidden: int, activation: Callable[[torch.Tensor], torch.Tensor] = gelu,
                 bias: bool = True) -> None:
        super().__init__()
        check_number("dim", dim, integer=True, minimum=1)
        check_number("hidden", hidden, integer=True, minimum=1)
        self.up = torch.nn.Linear(dim, hidden, bias=bias)
        self.down = torch.nn.Linear(hidden, dim, bias=bias)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.activation(self.up(x)))


class SwiGLU(torch.nn.Module):
    """SwiGLU(x) = W_down (SiLU(W_gate x) ⊙ W_up x): a SiLU gate times a linear branch, dim → hidden → dim.

    ``gate_up`` holds W_gate and W_up stacked (2·hidden × dim), so both come from one matrix product.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, dim: int, hidden: int, bias: bool = False) -> None:
        super().__init__()
        check_number("dim", dim, integer=True, minimum=1)
        check_number("hidden", hidden, integer=True, minimum=1)
        self.gate_up = torch.nn.Linear(dim, 2 * hidden, bias=bias)
        self.down = torch.nn.Linear(hidden, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(silu(gate) * up)
