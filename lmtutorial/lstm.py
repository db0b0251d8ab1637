"""One step of a long short-term memory (LSTM) cell, in ``torch.nn.LSTMCell``'s layout.

The standard cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000)::

    i_t = σ(W_i [h_{t-1}, x_t] + b_i)        input gate
    f_t = σ(W_f [h_{t-1}, x_t] + b_f)        forget gate
    g_t = tanh(W_g [h_{t-1}, x_t] + b_g)     candidate cell state (C̄_t)
    o_t = σ(W_o [h_{t-1}, x_t] + b_o)        output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The four gate blocks are stacked in torch's order (i, f, g, o) in ``W_ih`` (4H × I), ``W_hh`` (4H × H),
``b_ih`` and ``b_hh`` (4H), so one matrix product computes all of them.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._checks import check_shape
from .rnn import affine_pair, check_step_inputs


class LSTMGates(NamedTuple):
    """Every intermediate value of one LSTM step."""

    i: torch.Tensor  #: input gate
    f: torch.Tensor  #: forget gate
    g: torch.Tensor  #: candidate cell state
    o: torch.Tensor  #: output gate
    c: torch.Tensor  #: new cell state
    h: torch.Tensor  #: new hidden state


def lstm_gates(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> LSTMGates:
    """One standard LSTM step, returning every gate as well as the new ``(h, c)``."""
    check_step_inputs(x, h, W_ih, W_hh, b_ih, b_hh, gates=4)
    check_shape("c", c, tuple(h.shape), "like h")
    pre_i, pre_f, pre_g, pre_o = affine_pair(x, h, W_ih, W_hh, b_ih, b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g), torch.sigmoid(pre_o)
    c_new = f * c + i * g
    return LSTMGates(i=i, f=f, g=g, o=o, c=c_new, h=o * torch.tanh(c_new))


def lstm_step(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One standard LSTM step; returns ``(h_t, c_t)`` exactly like ``torch.nn.LSTMCell``."""
    gates = lstm_gates(x, h, c, W_ih, W_hh, b_ih, b_hh)
    return gates.h, gates.c


def lstm_step_article(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor | None,
    b_hh: torch.Tensor | None,
    W_oc: torch.Tensor,
    W_oh: torch.Tensor,
    b_o: torch.Tensor | None = None,
) -> LSTMGates:
    """The source article's variant of the cell, kept to show why the standard form differs::

        i_t, f_t = σ(W [h_{t-1}, x_t] + b)
        C̄_t      = σ(W_c [h_{t-1}, x_t] + b_c)      (σ where the standard cell uses tanh)
        C_t      = f_t ⊙ C_{t-1} + i_t ⊙ C̄_t
        o_t      = σ(W_oc C_t + W_oh h_{t-1} + b_o)  (reads [C_t, h_{t-1}] instead of [h_{t-1}, x_t])
        h_t      = o_t ⊙ tanh(C_t)

    ``W_ih`` (3H × I), ``W_hh`` (3H × H) and the biases (3H) stack the (i, f, C̄) blocks; ``W_oc`` and ``W_oh``
    are H × H. Returns an :class:`LSTMGates` whose ``g`` is the σ candidate.
    """
    check_step_inputs(x, h, W_ih, W_hh, b_ih, b_hh, gates=3)
    check_shape("c", c, tuple(h.shape), "like h")
    hidden = h.shape[-1]
    check_shape("W_oc", W_oc, (hidden, hidden), "(hidden_size, hidden_size)")
    check_shape("W_oh", W_oh, (hidden, hidden), "(hidden_size, hidden_size)")
    if b_o is not None:
        check_shape("b_o", b_o, (hidden,), "(hidden_size,)")
    i, f, g = torch.sigmoid(affine_pair(x, h, W_ih, W_hh, b_ih, b_hh)).chunk(3, dim=-1)
    c_new = f * c + i * g
    o = torch.sigmoid(affine_pair(c_new, h, W_oc, W_oh, b_o, None))
    return LSTMGates(i=i, f=f, g=g, o=o, c=c_new, h=o * torch.tanh(c_new))
