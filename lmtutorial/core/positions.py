"""Where a token is: learned absolute positions (BERT) and rotary position embeddings (RoPE, Llama).

    learned:  x_t + P[t]
    RoPE:     turn each pair (x_i, x_{i+d/2}) of a query or key at position t by the angle t·θ_i,  θ_i = b^(−2i/d)

RoPE makes the score q_s·k_t depend on the positions only through s − t.
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_number, check_positive, check_tensor


class LearnedPositions(torch.nn.Module):
    """One learned vector per position, ``weight`` (max_positions × dim); ``forward(length, start)`` gives the
    rows ``P[start : start + length]``.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, max_positions: int, dim: int) -> None:
        super().__init__()
        check_number("max_positions", max_positions, integer=True, minimum=1)
        check_number("dim", dim, integer=True, minimum=1)
        self.weight = torch.nn.Parameter(torch.randn(max_positions, dim) * 0.02)

    def forward(self, length: int, start: int = 0) -> torch.Tensor:
        if start < 0 or start + length > self.weight.shape[0]:
            raise ValueError(f"positions: expected at most {self.weight.shape[0]} (max_positions), "
                             f"got positions {start} to {start + length - 1}")
        return self.weight[start:start + length]


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x₁, x₂) → (−x₂, x₁) for the halves of the last axis: every pair (x_i, x_{i+d/2}) turned by 90°.

    Taught on page ``ch03_1_transformer``.
    """
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x·cos + rotate_half(x)·sin: each pair of ``x`` (..., T, head_dim) rotated by its position's angle.

    Taught on page ``ch03_1_transformer``.
    """
    return x * cos + rotate_half(x) * sin


class RotaryEmbedding(torch.nn.Module):
    """cos and sin of the angles t·θ_i, θ_i = base^(−2i/d), in Llama's layout (each angle twice: the halves).

    ``forward(positions)`` takes integer positions (T,) and gives ``(cos, sin)``, each (T, head_dim), ready for
    :func:`apply_rotary`. ``base`` is ``rope_theta`` in a ``transformers`` config.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        check_number("head_dim", head_dim, integer=True, minimum=2)
        if head_dim % 2:
            raise ValueError(f"head_dim: expected an even number (RoPE turns pairs), got {head_dim}")
        check_positive("base", base)
        self.base = base
        inverse = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float) / head_dim))
        self.register_buffer("inverse_frequency", inverse, persistent=False)

    def forward(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_tensor("positions", positions)
        angles = positions[..., None].float() * self.inverse_frequency
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos(), angles.sin()
