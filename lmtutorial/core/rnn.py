"""One step of a simple (Elman) recurrent network, in ``torch.nn.RNNCell``'s layout: with ``W = [W_hh, W_ih]`` and
``b = b_ih + b_hh``, the textbook ``h_t = φ(W [h_{t-1}, x_t] + b)``."""

from __future__ import annotations

from collections.abc import Callable

import torch

from lmtutorial.core.checks import check_step_inputs

NONLINEARITIES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


def affine_pair(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> torch.Tensor:
    """``x W_ihᵀ + b_ih + h W_hhᵀ + b_hh``: the pre-activation shared by RNN, GRU and LSTM cells."""
    out = x @ W_ih.T + h @ W_hh.T
    if b_ih is not None:
        out = out + b_ih
    if b_hh is not None:
        out = out + b_hh
    return out


def rnn_step(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor | None = None, b_hh: torch.Tensor | None = None,
             nonlinearity: str = "tanh") -> torch.Tensor:
    """Return ``h_t = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``.

    Shapes follow ``torch.nn.RNNCell`` (batched or not). ``nonlinearity``: ``"tanh"``, ``"relu"`` or ``"sigmoid"``
    (the source article's).

    Taught on page ``ch04_math``.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected one of {sorted(NONLINEARITIES)}, got {nonlinearity!r}")
    check_step_inputs(x, h, W_ih, W_hh, b_ih, b_hh, gates=1)
    return NONLINEARITIES[nonlinearity](affine_pair(x, h, W_ih, W_hh, b_ih, b_hh))
