"""Cross-entropy loss, written from the definition in a numerically stable form.

    ℓ(z, y) = -log softmax(z)_y = logsumexp(z) - z_y,   logsumexp(z) = m + log Σ_j exp(z_j - m),  m = max_j z_j
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_tensor


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """``z - logsumexp(z)`` over the last axis, shifted by the maximum so ``exp`` never overflows."""
    check_tensor("logits", logits)
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    """Mean (or summed, or per-item) negative log-likelihood of ``target`` under ``softmax(logits)``.

    ``logits`` has the classes on its last axis, ``(..., num_classes)``, and ``target`` holds class indices
    of shape ``(...)``; for 2-D logits this is exactly ``torch.nn.functional.cross_entropy``. Positions whose
    target equals ``ignore_index`` (padding) contribute nothing, and the mean is over the other positions.

    Taught on page ``ch03_algorithms``.
    """
    check_tensor("logits", logits)
    check_tensor("target", target)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
    if logits.ndim < 1 or tuple(target.shape) != tuple(logits.shape[:-1]):
        raise ValueError(
            f"cross_entropy: expected target of shape logits.shape[:-1] = {tuple(logits.shape[:-1])}, "
            f"got {tuple(target.shape)}"
        )
    if target.dtype.is_floating_point or target.dtype == torch.bool:
        raise ValueError(f"target: expected integer class indices, got dtype {target.dtype}")
    num_classes = logits.shape[-1]
    keep = target != ignore_index
    kept = target[keep]
    if kept.numel() and (int(kept.min()) < 0 or int(kept.max()) >= num_classes):
        raise ValueError(
            f"target: expected class indices in [0, {num_classes - 1}] (or ignore_index={ignore_index}), "
            f"got values from {int(kept.min())} to {int(kept.max())}"
        )
    safe_target = torch.where(keep, target, torch.zeros_like(target))
    nll = -log_softmax(logits).gather(-1, safe_target.unsqueeze(-1)).squeeze(-1)
    nll = torch.where(keep, nll, torch.zeros_like(nll))
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    return nll.sum() / keep.sum()
