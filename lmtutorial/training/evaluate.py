"""How well a language model predicts held-out text: cross-entropy per token and perplexity.

    H = -(1/N) Σ_t log p(x_t | x_<t)   (nats per token),   perplexity = exp(H)
"""

from __future__ import annotations

import math

import torch

from lmtutorial.core.checks import check_number, check_token_ids
from lmtutorial.data.batching import batchify
from lmtutorial.core.losses import cross_entropy


@torch.no_grad()
def stream_loss(model: torch.nn.Module, stream: torch.Tensor, batch_size: int = 16, bptt: int = 64) -> float:
    """Mean next-token cross-entropy (nats) over ``stream``, read as ``batch_size`` rows in windows of ``bptt``
    tokens, each window starting from the state the previous one ended in.

    Taught on page ``ch03_algorithms``.
    """
    if not isinstance(bptt, int) or bptt < 1:
        raise ValueError(f"bptt: expected an integer >= 1, got {bptt!r}")
    rows = batchify(stream, batch_size)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for start in range(0, rows.shape[1] - 1, bptt):
        inputs = rows[:, start:start + bptt + 1]
        logits, state = model(inputs[:, :-1], state)
        total += cross_entropy(logits, inputs[:, 1:], reduction="sum").item()
        count += inputs[:, 1:].numel()
    model.train(was_training)
    return total / count


def perplexity(model: torch.nn.Module, stream: torch.Tensor, batch_size: int = 16, bptt: int = 64) -> float:
    """``exp(stream_loss(...))``: the model's perplexity on ``stream``.

    Taught on page ``ch03_algorithms``.
    """
    return math.exp(stream_loss(model, stream, batch_size, bptt))


def unigram_perplexity(train: torch.Tensor, held_out: torch.Tensor, vocab_size: int, alpha: float = 1.0) -> float:
    """Perplexity on ``held_out`` of ``p(w) = (count(w) + α) / (N + α V)``, counted on ``train``.

    Taught on page ``ch03_algorithms``.
    """
    if len(train) == 0 or len(held_out) == 0:
        raise ValueError("expected non-empty train and held_out streams")
    check_number("vocab_size", vocab_size, integer=True, minimum=1)
    check_number("alpha", alpha, above=0)
    check_token_ids("train", train, vocab_size)
    check_token_ids("held_out", held_out, vocab_size)
    counts = torch.bincount(train, minlength=vocab_size).double() + alpha
    log_p = counts.log() - counts.sum().log()
    return math.exp(-log_p[held_out].mean().item())
