import pytest
import torch

from lmtutorial.core.optim import Adam


def make_problem(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    x, y = torch.randn(32, 6, dtype=torch.float64), torch.randint(0, 3, (32,))
    return model, x, y


def run(model, optimizer, x, y, steps: int = 25):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(
    ("ours_kwargs", "reference", "ref_kwargs"),
    [
        (dict(lr=1e-2), torch.optim.Adam, dict(lr=1e-2)),
        (dict(lr=1e-2, weight_decay=0.1), torch.optim.Adam, dict(lr=1e-2, weight_decay=0.1)),
        (dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6), torch.optim.Adam, dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6)),
        (dict(lr=1e-2, weight_decay=0.1, decoupled=True), torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    ],
)
def test_matches_torch_over_25_steps(ours_kwargs, reference, ref_kwargs):
    ours_model, x, y = make_problem(0)
    ref_model, _, _ = make_problem(0)
    ours_losses = run(ours_model, Adam(ours_model.parameters(), **ours_kwargs), x, y)
    ref_losses = run(ref_model, reference(ref_model.parameters(), **ref_kwargs), x, y)
    assert ours_losses == pytest.approx(ref_losses, abs=1e-6)
    assert ours_losses[-1] < ours_losses[0]
    for p, q in zip(ours_model.parameters(), ref_model.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0)


def test_first_step_moves_each_weight_by_lr():
    # With bias correction, the first update is lr * g/|g| (up to eps) whatever the gradient's scale.
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64))
    p.grad = torch.tensor([1e-3, -50.0, 7.0], dtype=torch.float64)
    Adam([p], lr=0.1).step()
    torch.testing.assert_close(p.detach(), torch.tensor([0.9, -1.9, 2.9], dtype=torch.float64), atol=1e-6, rtol=0)


def test_skips_parameters_without_gradients():
    p = torch.nn.Parameter(torch.ones(2))
    Adam([p]).step()
    assert torch.equal(p.detach(), torch.ones(2))


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(lr=0.0), "lr: expected a number > 0, got 0"),
    (dict(betas=(0.9, 1.0)), r"betas: expected two values in \[0, 1\), got \(0.9, 1.0\)"),
    (dict(weight_decay=-1.0), "weight_decay: expected a number >= 0, got -1"),
])
def test_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam([torch.nn.Parameter(torch.ones(1))], **kwargs)
