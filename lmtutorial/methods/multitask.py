"""Multi-task learning: one shared encoder, one small head per task (a review's sentiment and its star rating),
trained on the sum of the tasks' losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lmtutorial.core.checks import check_number

RATING_RANGE = (1, 10)  # IMDb's stars; the labelled reviews have 1–4 (negative) and 7–10 (positive)


def rating_targets(ratings) -> torch.Tensor:  # noqa: ANN001 - a sequence, an array or a tensor
    """Ratings 1–10 rescaled to [−1, 1], ``r̃ = (r − 5.5) / 4.5``; one clear error when missing or out of range."""
    if ratings is None:
        raise ValueError("ratings: expected the reviews' star ratings (IMDb's 'rating' column, 1-10), got None; "
                         "the Hub's stanfordnlp/imdb has no ratings: read them from the aclImdb file names "
                         "(<id>_<rating>.txt) with lmtutorial.data.imdb")
    values = torch.as_tensor(ratings, dtype=torch.float32)
    low, high = RATING_RANGE
    outside = (values < low) | (values > high) | values.isnan()
    if outside.any():
        raise ValueError(f"ratings: expected star ratings in {low}..{high}, got {values[outside][0].item():g} "
                         f"({int(outside.sum())} of {values.numel()} outside)")
    middle, half = (low + high) / 2, (high - low) / 2
    return (values - middle) / half


def rating_from_target(target: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`rating_targets`: back to stars, clipped to 1–10."""
    low, high = RATING_RANGE
    return (target * (high - low) / 2 + (low + high) / 2).clamp(low, high)


class TwoHeads(torch.nn.Module):
    """A sentiment head (``num_labels`` logits) and a rating head (one number) on a shared feature vector."""

    def __init__(self, features: int, num_labels: int = 2) -> None:
        super().__init__()
        self.sentiment = torch.nn.Linear(features, num_labels)
        self.rating = torch.nn.Linear(features, 1)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.sentiment(h), self.rating(h).squeeze(-1)


def multitask_loss(
    logits: torch.Tensor, rating: torch.Tensor, labels: torch.Tensor, rating_target: torch.Tensor, *,
    sentiment_weight: float = 1.0, rating_weight: float = 1.0,
) -> torch.Tensor:
    """``sentiment_weight · CE + rating_weight · MSE`` (of ``r̃``); a weight of 0 trains the other task alone.

    Taught on page ``ch06_5_improving``.
    """
    check_number("sentiment_weight", sentiment_weight, minimum=0)
    check_number("rating_weight", rating_weight, minimum=0)
    if sentiment_weight + rating_weight == 0:
        raise ValueError(f"sentiment_weight, rating_weight: expected weights ≥ 0, not both 0, got "
                         f"{sentiment_weight} and {rating_weight}")
    return (sentiment_weight * F.cross_entropy(logits, labels)
            + rating_weight * F.mse_loss(rating, rating_target))
