import pytest
import torch
import torch.nn.functional as F

from lmtutorial.core.losses import cross_entropy


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch_2d(reduction):
    torch.manual_seed(0)
    logits = torch.randn(16, 11, dtype=torch.float64)
    target = torch.randint(0, 11, (16,))
    torch.testing.assert_close(cross_entropy(logits, target, reduction=reduction),
                               F.cross_entropy(logits, target, reduction=reduction), atol=1e-6, rtol=0)


def test_matches_torch_sequence_with_padding():
    torch.manual_seed(1)
    logits = torch.randn(4, 9, 30, dtype=torch.float64)
    target = torch.randint(0, 30, (4, 9))
    target[0, 5:] = -100
    target[2, 1:] = -100
    expected = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100)
    torch.testing.assert_close(cross_entropy(logits, target), expected, atol=1e-6, rtol=0)


def test_custom_ignore_index():
    torch.manual_seed(2)
    logits, target = torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 3, 1, 1, 2, 0])
    torch.testing.assert_close(cross_entropy(logits, target, ignore_index=1),
                               F.cross_entropy(logits, target, ignore_index=1), atol=1e-6, rtol=0)


def test_stable_for_huge_logits():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]])
    loss = cross_entropy(logits, torch.tensor([1]))
    assert torch.isfinite(loss) and loss.item() == pytest.approx(1000.0)
    torch.testing.assert_close(loss, F.cross_entropy(logits, torch.tensor([1])))


def test_gradient_matches_torch():
    torch.manual_seed(3)
    a = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    target = torch.randint(0, 7, (5,))
    cross_entropy(a, target).backward()
    F.cross_entropy(b, target).backward()
    torch.testing.assert_close(a.grad, b.grad, atol=1e-6, rtol=0)


def test_uniform_logits_give_log_num_classes():
    loss = cross_entropy(torch.zeros(3, 50, dtype=torch.float64), torch.tensor([0, 10, 49]))
    assert loss.item() == pytest.approx(torch.log(torch.tensor(50.0)).item())


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"expected class indices in \[0, 3\].*got values from 0 to 4"):
        cross_entropy(torch.zeros(2, 4), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match=r"got values from -2 to 1"):
        cross_entropy(torch.zeros(2, 4), torch.tensor([-2, 1]))


def test_shape_mismatch_and_dtype():
    with pytest.raises(ValueError, match=r"expected target of shape logits.shape\[:-1\] = \(2,\), got \(3,\)"):
        cross_entropy(torch.zeros(2, 4), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="expected integer class indices"):
        cross_entropy(torch.zeros(2, 4), torch.tensor([0.0, 1.0]))
