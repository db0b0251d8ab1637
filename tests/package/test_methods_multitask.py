"""lmtutorial.methods.multitask: ratings checked and rescaled, heads shaped, the loss a weighted sum."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lmtutorial.methods.multitask import TwoHeads, multitask_loss, rating_from_target, rating_targets


def test_ratings_rescale_to_minus_one_one_and_back():
    stars = torch.tensor([1, 4, 7, 10])
    targets = rating_targets(stars)
    assert targets[0].item() == -1.0 and targets[-1].item() == 1.0
    assert torch.equal(rating_from_target(targets), stars.float())


@pytest.mark.parametrize("ratings, message", [(None, "expected the reviews' star ratings"),
                                              ([3, 11], r"expected star ratings in 1\.\.10, got 11"),
                                              ([0, 5], "got 0 "),
                                              ([float("nan")], "got nan")])
def test_missing_or_out_of_range_ratings_are_one_clear_error(ratings, message):
    with pytest.raises(ValueError, match=message):
        rating_targets(ratings)


def test_loss_is_the_weighted_sum_and_a_zero_weight_drops_a_task():
    torch.manual_seed(0)
    heads = TwoHeads(8)
    logits, rating = heads(torch.randn(5, 8))
    assert logits.shape == (5, 2) and rating.shape == (5,)
    labels, target = torch.tensor([0, 1, 1, 0, 1]), torch.rand(5) * 2 - 1
    ce, mse = F.cross_entropy(logits, labels), F.mse_loss(rating, target)
    both = multitask_loss(logits, rating, labels, target, rating_weight=0.5)
    assert both.item() == pytest.approx((ce + 0.5 * mse).item())
    alone = multitask_loss(logits, rating, labels, target, sentiment_weight=0.0)
    assert alone.item() == pytest.approx(mse.item())


def test_both_weights_zero_is_one_clear_error():
    with pytest.raises(ValueError, match="expected weights ≥ 0, not both 0"):
        multitask_loss(torch.zeros(1, 2), torch.zeros(1), torch.zeros(1, dtype=torch.long), torch.zeros(1),
                       sentiment_weight=0.0, rating_weight=0.0)
