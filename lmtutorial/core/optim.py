"""Adam, written from the update rule."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from lmtutorial.core.checks import check_number


class Adam(torch.optim.Optimizer):
    """Adam with optional L2 (``decoupled=False``, like ``torch.optim.Adam``) or decoupled weight decay
    (``decoupled=True``, like ``torch.optim.AdamW``). For each parameter θ with gradient g at step t::

        g ← g + λ θ   (L2; skipped when decoupled),   θ ← θ - η λ θ   (decoupled)
        m_t = β₁ m_{t-1} + (1 - β₁) g,   v_t = β₂ v_{t-1} + (1 - β₂) g²
        θ ← θ - η m̂_t / (√v̂_t + ε),   m̂_t = m_t / (1 - β₁ᵗ),   v̂_t = v_t / (1 - β₂ᵗ)

    Taught on page ``ch03_algorithms``.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ) -> None:
        check_number("lr", lr, above=0)
        check_number("eps", eps, above=0)
        check_number("weight_decay", weight_decay, minimum=0)
        if len(betas) != 2 or not all(check_number("betas", beta, minimum=0) < 1 for beta in betas):
            raise ValueError(f"betas: expected two values in [0, 1), got {betas}")
        params = list(params)
        if not params:
            raise ValueError("params: expected at least one parameter to optimise, got none")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled=decoupled))

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - same signature as torch.optim.Optimizer.step
        """Apply one Adam update to every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t, m, v = state["step"], state["m"], state["v"]
                if decay and group["decoupled"]:
                    p.mul_(1 - lr * decay)
                elif decay:
                    grad = grad + decay * p
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        return loss
