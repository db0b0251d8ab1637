"""Normalising each token's vector: LayerNorm (BERT) and RMSNorm (Llama), over the last axis."""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_number, check_positive, check_tensor


def check_last_axis(x: torch.Tensor, dim: int) -> None:
    """Raise ``ValueError`` unless ``x`` is a tensor (..., dim)."""
    check_tensor("x", x)
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(f"x: expected shape (..., {dim}) (the normalised size), got {tuple(x.shape)}")


class LayerNorm(torch.nn.Module):
    """y = γ ⊙ (x − μ) / √(σ² + ε) + β, with μ and σ² the mean and (biased) variance of x's last axis.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        check_number("dim", dim, integer=True, minimum=1)
        self.eps = check_positive("eps", eps)
        self.weight = torch.nn.Parameter(torch.ones(dim))
        self.bias = torch.nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_last_axis(x, self.weight.shape[0])
        centred = x - x.mean(dim=-1, keepdim=True)
        variance = centred.pow(2).mean(dim=-1, keepdim=True)
        return centred * torch.rsqrt(variance + self.eps) * self.weight + self.bias


class RMSNorm(torch.nn.Module):
    """y = γ ⊙ x / √(mean(x²) + ε): LayerNorm without centring and without bias.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        check_number("dim", dim, integer=True, minimum=1)
        self.eps = check_positive("eps", eps)
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_last_axis(x, self.weight.shape[0])
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps))
