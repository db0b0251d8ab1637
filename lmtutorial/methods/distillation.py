"""Knowledge distillation: a small student learns from a large teacher's outputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lmtutorial.core.checks import check_number

KINDS = ("kl", "mse")


def distillation_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor | None = None, *,
    kind: str = "kl", temperature: float = 2.0, alpha: float = 0.5,
) -> torch.Tensor:
    """The student's loss against a teacher's logits (both (batch, labels)), mixed with hard labels if given::

        L_soft = T² · KL(softmax(z_t / T) ‖ softmax(z_s / T))   (kind="kl"),   mean (z_s − z_t)²   (kind="mse")
        L      = α · L_soft + (1 − α) · CE(z_s, y)

    Taught on page ``ch06_5_improving``.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"student_logits, teacher_logits: expected the same (batch, labels) shape, got "
                         f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}")
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    check_number("temperature", temperature, above=0)
    check_number("alpha", alpha, minimum=0, maximum=1)
    teacher_logits = teacher_logits.detach()
    if kind == "kl":
        soft = F.kl_div(F.log_softmax(student_logits / temperature, dim=-1),
                        F.log_softmax(teacher_logits / temperature, dim=-1),
                        reduction="batchmean", log_target=True) * temperature**2
    else:
        soft = F.mse_loss(student_logits, teacher_logits)
    if labels is None:
        return soft
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)
