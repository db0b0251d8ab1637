"""Beam search: keep the ``beam_width`` most likely partial outputs at every step instead of one.

Ranked by ``log p(y) / |y|^α`` with ``log p(y_1 … y_t) = Σ log p(y_i | y_<i)`` (α = 0: no length normalisation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from lmtutorial.core.checks import check_number

Step = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]
Reorder = Callable[[Any, torch.Tensor], Any]


@dataclass(frozen=True)
class Hypothesis:
    """One output of the search: its tokens (without the start token, with ``<eos>`` when it finished), its
    total log-probability, and the score it is ranked by (``log_prob / len(tokens) ** alpha``)."""

    tokens: list[int]
    log_prob: float
    score: float


def length_normalised(log_prob: float, length: int, alpha: float) -> float:
    """``log_prob / length ** alpha``: the rank of an output of ``length`` tokens."""
    return log_prob / length ** alpha


def done(finished: list[Hypothesis], live_log_probs: list[float], length: int, beam_width: int,
         alpha: float) -> bool:
    """True when ``beam_width`` outputs have finished and no live prefix (of ``length`` tokens) scores above the
    worst of the best ``beam_width`` of them."""
    if len(finished) < beam_width:
        return False
    kth_best = sorted((h.score for h in finished), reverse=True)[beam_width - 1]
    return max(live_log_probs) / length ** alpha <= kth_best


def beam_search(step: Step, state: Any, reorder: Reorder, *, start_token: int, eos_id: int, beam_width: int,
                max_len: int, alpha: float = 0.0) -> list[Hypothesis]:
    """Up to ``beam_width`` outputs of at most ``max_len`` tokens, best first by length-normalised score.

    ``step(tokens, state) -> (logits, state)``: ``tokens`` (k,) the last token of each of the k live prefixes,
    ``logits`` (k, vocab). ``reorder(state, index) -> state``: the state of the prefixes ``index`` (rows, possibly
    repeated), e.g. ``h.index_select(1, index)``. ``state`` is for a batch of one; ``start_token`` is fed first.
    Prefixes still live after ``max_len`` tokens are returned without ``<eos>``.
    """
    check_number("beam_width", beam_width, integer=True, minimum=1)
    check_number("max_len", max_len, integer=True, minimum=1)
    check_number("alpha", alpha, minimum=0)  # the length-normalisation exponent
    tokens = torch.tensor([start_token])
    prefixes: list[list[int]] = [[]]
    log_probs = torch.zeros(1, dtype=torch.float64)
    finished: list[Hypothesis] = []
    for _ in range(max_len):
        logits, state = step(tokens, state)
        if logits.ndim != 2 or logits.shape[0] != len(prefixes):
            raise ValueError(f"step: expected logits of shape (live prefixes, vocab) = ({len(prefixes)}, vocab), "
                             f"got {tuple(logits.shape)}")
        vocab = logits.shape[1]
        totals = (log_probs[:, None] + torch.log_softmax(logits.double(), dim=-1)).flatten()
        best = totals.topk(min(2 * beam_width, totals.numel()))
        keep, new_prefixes, new_log_probs = [], [], []
        for rank, (total, flat) in enumerate(zip(best.values.tolist(), best.indices.tolist())):
            row, token = divmod(flat, vocab)
            extended = prefixes[row] + [token]
            if token == eos_id:
                if rank < beam_width:  # an <eos> outside the best beam_width extensions is not kept
                    finished.append(Hypothesis(extended, total, length_normalised(total, len(extended), alpha)))
            elif len(keep) < beam_width:
                keep.append(row)
                new_prefixes.append(extended)
                new_log_probs.append(total)
        if not keep or done(finished, new_log_probs, len(prefixes[0]) + 1, beam_width, alpha):
            break
        index = torch.tensor(keep)
        state = reorder(state, index)
        tokens = torch.tensor([p[-1] for p in new_prefixes])
        prefixes, log_probs = new_prefixes, torch.tensor(new_log_probs, dtype=torch.float64)
    else:
        finished += [Hypothesis(p, lp, length_normalised(lp, len(p), alpha))
                     for p, lp in zip(prefixes, log_probs.tolist())]
    return sorted(finished, key=lambda h: h.score, reverse=True)[:beam_width]
