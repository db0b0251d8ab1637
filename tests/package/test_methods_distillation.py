"""lmtutorial.methods.distillation: Hinton's T²-scaled KL and Tang et al.'s logit MSE, pinned to PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lmtutorial.methods.distillation import distillation_loss


def logits(seed: int, shape=(6, 3)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_kl_equals_definition_times_t_squared():
    s, t, T = logits(0), logits(1), 3.0
    p = F.softmax(t / T, -1)
    kl = (p * (p.log() - F.log_softmax(s / T, -1))).sum(-1).mean()
    assert distillation_loss(s, t, temperature=T).item() == pytest.approx(T**2 * kl.item())


def test_mse_matches_logits_and_mix_adds_hard_labels():
    s, t, y = logits(0), logits(1), torch.tensor([0, 1, 2, 0, 1, 2])
    assert distillation_loss(s, t, kind="mse").item() == pytest.approx(F.mse_loss(s, t).item())
    mixed = distillation_loss(s, t, y, kind="mse", alpha=0.25)
    assert mixed.item() == pytest.approx(0.25 * F.mse_loss(s, t).item() + 0.75 * F.cross_entropy(s, y).item())


def test_zero_when_student_equals_teacher_and_no_gradient_to_teacher():
    t = logits(1).requires_grad_()
    s = t.detach().clone().requires_grad_()
    loss = distillation_loss(s, t)
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-12) and t.grad is None


def test_t_squared_keeps_gradient_scale_at_high_temperature():
    """Hinton et al.: for large T the soft-target gradient shrinks like 1/T², which the T² factor undoes."""
    s, t = logits(0).requires_grad_(), logits(1)
    norms = []
    for T in (16.0, 64.0):
        s.grad = None
        distillation_loss(s, t, temperature=T).backward()
        norms.append(s.grad.norm().item())
    assert norms[1] / norms[0] == pytest.approx(1.0, rel=0.05)  # without T²: 1/16


def test_different_label_counts_is_one_clear_error():
    with pytest.raises(ValueError, match=r"expected the same \(batch, labels\) shape, got \(6, 2\) and \(6, 3\)"):
        distillation_loss(logits(0, (6, 2)), logits(1))


@pytest.mark.parametrize("kwargs, message", [({"kind": "js"}, "kind: expected one of"),
                                             ({"temperature": 0.0}, "temperature: expected a number > 0"),
                                             ({"alpha": 1.5}, r"alpha: expected a number >= 0 and <= 1")])
def test_bad_settings_are_one_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        distillation_loss(logits(0), logits(1), **kwargs)
