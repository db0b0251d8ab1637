"""The LSTM cell in ``torch.nn.LSTMCell``'s layout, and a multi-layer :class:`LSTM` with its backward pass written out.

Gate blocks are stacked in torch's order (i, f, g, o): ``W_ih`` (4H × I), ``W_hh`` (4H × H), ``b_ih``, ``b_hh`` (4H).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import torch

from lmtutorial.core.checks import check_lengths, check_shape, check_step_inputs
from lmtutorial.core.rnn import affine_pair


class LSTMGates(NamedTuple):
    """Every intermediate value of one LSTM step."""

    i: torch.Tensor  #: input gate
    f: torch.Tensor  #: forget gate
    g: torch.Tensor  #: candidate cell state
    o: torch.Tensor  #: output gate
    c: torch.Tensor  #: new cell state
    h: torch.Tensor  #: new hidden state


def lstm_gates(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
               b_ih: torch.Tensor | None = None, b_hh: torch.Tensor | None = None) -> LSTMGates:
    """One standard LSTM step, returning every gate as well as the new ``(h, c)``::

        i, f, g, o = σ, σ, tanh, σ of the blocks of x W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
        c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

    Taught on page ``ch04_math``.
    """
    check_step_inputs(x, h, W_ih, W_hh, b_ih, b_hh, gates=4)
    check_shape("c", c, tuple(h.shape), "like h")
    return lstm_cell_from_preactivation(affine_pair(x, h, W_ih, W_hh, b_ih, b_hh), c)


def lstm_cell_from_preactivation(pre: torch.Tensor, c: torch.Tensor) -> LSTMGates:
    """The gate math of one standard LSTM step, given the stacked pre-activations (i, f, g, o).

    ``pre`` is ``x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`` of shape ``(..., 4 hidden_size)``.

    Taught on page ``ch03_algorithms``.
    """
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g), torch.sigmoid(pre_o)
    c_new = f * c + i * g
    return LSTMGates(i=i, f=f, g=g, o=o, c=c_new, h=o * torch.tanh(c_new))


def lstm_step(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
              b_ih: torch.Tensor | None = None,
              b_hh: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One standard LSTM step; returns ``(h_t, c_t)`` exactly like ``torch.nn.LSTMCell``."""
    gates = lstm_gates(x, h, c, W_ih, W_hh, b_ih, b_hh)
    return gates.h, gates.c


def lstm_step_article(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                      b_ih: torch.Tensor | None, b_hh: torch.Tensor | None, W_oc: torch.Tensor, W_oh: torch.Tensor,
                      b_o: torch.Tensor | None = None) -> LSTMGates:
    """The source article's variant of the cell::

        i_t, f_t = σ(W [h_{t-1}, x_t] + b)
        C̄_t      = σ(W_c [h_{t-1}, x_t] + b_c)      (σ where the standard cell uses tanh)
        C_t      = f_t ⊙ C_{t-1} + i_t ⊙ C̄_t
        o_t      = σ(W_oc C_t + W_oh h_{t-1} + b_o)  (reads [C_t, h_{t-1}] instead of [h_{t-1}, x_t])
        h_t      = o_t ⊙ tanh(C_t)

    ``W_ih`` (3H × I), ``W_hh`` (3H × H) and the biases (3H) stack the (i, f, C̄) blocks; ``W_oc`` and ``W_oh``
    are H × H. Returns an :class:`LSTMGates` whose ``g`` is the σ candidate.

    Taught on page ``ch04_math``.
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


class LSTMLayerFunction(torch.autograd.Function):
    """One LSTM layer over a whole sequence, with backpropagation through time written out.

    Backward, from t = T-1 down to 0, with δh and δc the gradients reaching the state (h_t, c_t) from the output
    and from step t+1::

        δc_t  += δh_t ⊙ o_t ⊙ (1 - tanh² c_t)
        δpre_t = [δc_t ⊙ g_t ⊙ i_t(1-i_t),  δc_t ⊙ c_{t-1} ⊙ f_t(1-f_t),  δc_t ⊙ i_t ⊙ (1-g_t²),
                  δh_t ⊙ tanh c_t ⊙ o_t(1-o_t)]
        δh_{t-1} = δpre_t W_hh + ∂L/∂output_{t-1},   δc_{t-1} = δc_t ⊙ f_t
        ∂L/∂W_hh = Σ_t δpre_tᵀ h_{t-1},  ∂L/∂W_ih = Σ_t δpre_tᵀ x_t,  ∂L/∂b = Σ_t δpre_t,  ∂L/∂x_t = δpre_t W_ih

    ``mask`` (T, B, 1): a masked step keeps (h, c), outputs zero, and passes its gradient straight through.

    Taught on page ``ch03_algorithms``.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, b_ih, b_hh, mask):  # noqa: ANN001, ANN205 - autograd's signature
        steps, batch, inputs = x.shape
        hidden = W_hh.shape[1]
        # Row t holds x_t W_ihᵀ + b until step t replaces it with that step's gates (i, f, g, o).
        gates = torch.addmm(b_ih + b_hh, x.reshape(steps * batch, inputs), W_ih.t()).view(steps, batch, 4 * hidden)
        W_hh_t = W_hh.t().contiguous()  # the per-step product runs faster on a row-major copy
        hs, cs = x.new_empty(steps + 1, batch, hidden), x.new_empty(steps + 1, batch, hidden)
        hs[0], cs[0] = h0, c0
        outputs = None if mask is None else x.new_empty(steps, batch, hidden)
        for t in range(steps):
            step = lstm_cell_from_preactivation(torch.addmm(gates[t], hs[t], W_hh_t), cs[t])
            torch.cat(step[:4], dim=-1, out=gates[t])
            if mask is None:
                hs[t + 1], cs[t + 1] = step.h, step.c
            else:
                torch.where(mask[t], step.h, hs[t], out=hs[t + 1])
                torch.where(mask[t], step.c, cs[t], out=cs[t + 1])
                torch.mul(step.h, mask[t], out=outputs[t])
        ctx.save_for_backward(x, hs, cs, gates, W_ih, W_hh, mask)
        # Copies, not views of the saved states, so that the caller may change them in place.
        return (hs[1:].clone() if mask is None else outputs), hs[steps].clone(), cs[steps].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_output, d_h, d_c):  # noqa: ANN001, ANN205 - autograd's signature
        x, hs, cs, gates, W_ih, W_hh, mask = ctx.saved_tensors
        steps, batch, inputs = x.shape
        hidden = W_hh.shape[1]
        i, f, g, o = gates.chunk(4, dim=-1)
        tanh_c = torch.tanh(cs[1:])
        d_c_from_h = o * (1 - tanh_c * tanh_c)
        local = torch.cat((g * i * (1 - i), cs[:-1] * f * (1 - f), i * (1 - g * g), tanh_c * o * (1 - o)), dim=-1)
        keep = None if mask is None else mask.to(x.dtype)
        if keep is not None:
            d_output = d_output * keep  # a padded step's output is a constant zero
        d_pre = torch.empty_like(local)
        d_h = d_h + d_output[steps - 1]
        for t in range(steps - 1, -1, -1):
            d_h_t, d_c_t = (d_h, d_c) if keep is None else (d_h * keep[t], d_c * keep[t])
            d_c_t = torch.addcmul(d_c_t, d_h_t, d_c_from_h[t])
            torch.mul(torch.cat((d_c_t, d_c_t, d_c_t, d_h_t), dim=-1), local[t], out=d_pre[t])
            d_h_output = d_output[t - 1] if t > 0 else torch.zeros_like(d_h)
            if keep is None:
                d_h, d_c = torch.addmm(d_h_output, d_pre[t], W_hh), d_c_t * f[t]
            else:  # a padded step passed (h, c) through unchanged: so does its gradient
                carry = 1 - keep[t]
                d_h = torch.addmm(torch.addcmul(d_h_output, carry, d_h), d_pre[t], W_hh)
                d_c = torch.addcmul(d_c_t * f[t], carry, d_c)
        flat = d_pre.view(steps * batch, 4 * hidden)
        d_bias = flat.sum(0)
        d_x = (flat @ W_ih).view(steps, batch, inputs)
        d_W_ih = flat.t() @ x.reshape(steps * batch, inputs)
        d_W_hh = flat.t() @ hs[:-1].reshape(steps * batch, hidden)
        return d_x, d_h, d_c, d_W_ih, d_W_hh, d_bias, d_bias.clone(), None


class LSTM(torch.nn.Module):
    """A multi-layer LSTM over whole sequences, with ``torch.nn.LSTM``'s arguments, parameter names and outputs.

    Padding: pass ``lengths`` (B,) or a boolean ``mask`` (the input's first two axes). A padded step carries the
    state and outputs zero, so ``(h_n, c_n)`` is the state after each sequence's last real step.

    Taught on page ``ch03_algorithms``.
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, batch_first: bool = False, dropout: float = 0.0
    ) -> None:
        super().__init__()
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral):
                raise TypeError(f"{name}: expected a positive int, got {type(size).__name__} {size!r}")
            if size < 1:
                raise ValueError(f"{name}: expected a positive int, got {size}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(f"dropout: expected a probability in [0, 1), got {type(dropout).__name__} {dropout!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first, self.dropout = batch_first, dropout
        for k in range(num_layers):
            inputs = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", torch.nn.Parameter(torch.empty(4 * hidden_size, inputs)))
            self.register_parameter(f"weight_hh_l{k}", torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size)))
            self.register_parameter(f"bias_ih_l{k}", torch.nn.Parameter(torch.empty(4 * hidden_size)))
            self.register_parameter(f"bias_hh_l{k}", torch.nn.Parameter(torch.empty(4 * hidden_size)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ±1/√H, as torch initialises its LSTM."""
        bound = self.hidden_size ** -0.5
        for p in self.parameters():
            torch.nn.init.uniform_(p, -bound, bound)

    def layer_parameters(self, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W_ih, W_hh, b_ih, b_hh)`` of layer ``k``."""
        return tuple(getattr(self, f"{name}_l{k}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def forward(
        self,
        input: torch.Tensor,
        hx: tuple[torch.Tensor, torch.Tensor] | None = None,
        lengths: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Return ``output`` (every step's top-layer h, laid out like ``input``) and ``(h_n, c_n)`` (L, B, H)."""
        layout = "(batch, seq_len, input_size)" if self.batch_first else "(seq_len, batch, input_size)"
        check_shape("input", input, (None, None, self.input_size), layout)
        if input.dtype != self.weight_ih_l0.dtype:
            raise ValueError(f"input: expected dtype {self.weight_ih_l0.dtype} like the weights, got {input.dtype}")
        x = input.transpose(0, 1) if self.batch_first else input  # (T, B, I) from here on
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:  # as in torch.nn.LSTM; an empty batch (B = 0) is fine and gives empty outputs
            raise ValueError(f"input: expected at least one time step (seq_len >= 1), got shape {tuple(input.shape)}")
        step_mask = self._step_mask(lengths, mask, steps, batch)
        if hx is None:
            zeros = x.new_zeros(self.num_layers, batch, self.hidden_size)
            hx = (zeros, zeros)
        for name, state in zip(("h_0", "c_0"), hx):
            check_shape(name, state, (self.num_layers, batch, self.hidden_size), "(num_layers, batch, hidden_size)")
        h_n, c_n = [], []
        for k in range(self.num_layers):
            x, h, c = LSTMLayerFunction.apply(x, hx[0][k], hx[1][k], *self.layer_parameters(k), step_mask)
            if self.dropout and self.training and k < self.num_layers - 1:
                x = torch.nn.functional.dropout(x, self.dropout)
            h_n.append(h)
            c_n.append(c)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, (torch.stack(h_n), torch.stack(c_n))

    def _step_mask(
        self, lengths: torch.Tensor | None, mask: torch.Tensor | None, steps: int, batch: int
    ) -> torch.Tensor | None:
        """A (T, B, 1) boolean mask of real (not padding) steps, or ``None`` when every step is real."""
        if lengths is not None and mask is not None:
            raise ValueError("expected lengths or mask, got both")
        if lengths is not None:
            lengths = check_lengths(torch.as_tensor(lengths), batch, steps)
            mask = torch.arange(steps, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)
            return mask.to(device=self.weight_hh_l0.device).unsqueeze(-1)
        if mask is None:
            return None
        layout = (batch, steps) if self.batch_first else (steps, batch)
        check_shape("mask", mask, layout, "(batch, seq_len)" if self.batch_first else "(seq_len, batch)")
        if mask.dtype != torch.bool:
            raise ValueError(f"mask: expected dtype torch.bool (True = real token), got {mask.dtype}")
        return (mask.t() if self.batch_first else mask).unsqueeze(-1)
