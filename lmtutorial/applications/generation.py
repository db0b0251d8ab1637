"""Measuring generated text: repetition (distinct-n) and the model's own perplexity of its samples."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from lmtutorial.data.text import Vocabulary


def ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The ``n``-grams of ``words``, in order."""
    if n < 1:
        raise ValueError(f"n: expected an n-gram length >= 1, got {n}")
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct ``n``-grams over all n-grams of the whitespace-split ``texts`` together (1.0: no repetition)."""
    grams = [gram for text in texts for gram in ngrams(text.split(), n)]
    if not grams:
        raise ValueError(f"texts: expected at least one {n}-gram, got {len(texts)} texts with none")
    return len(set(grams)) / len(grams)


@torch.no_grad()
def continuation_log_probs(model: torch.nn.Module, vocab: Vocabulary, prompt: str, text: str) -> torch.Tensor:
    """log p(w_t | prompt, w_<t) for each word of ``text`` under a word-level language model
    ``model(ids) -> (logits, state)``, from one forward pass over prompt and text."""
    prompt_ids, ids = vocab.encode(prompt), vocab.encode(text) if text.strip() else []
    if not ids:
        return torch.zeros(0)
    was_training = model.training
    model.eval()
    try:
        logits = model(torch.tensor([prompt_ids + ids]))[0][0, len(prompt_ids) - 1:-1]
    finally:
        model.train(was_training)
    return torch.log_softmax(logits.double(), dim=-1).gather(-1, torch.tensor(ids)[:, None])[:, 0]


def sample_perplexity(model: torch.nn.Module, vocab: Vocabulary, prompts: Sequence[str],
                      texts: Sequence[str]) -> float:
    """The model's perplexity of the continuations ``texts`` of ``prompts``: exp of the mean negative
    log-probability per word over all of them together."""
    if len(prompts) != len(texts):
        raise ValueError(f"texts: expected one continuation per prompt ({len(prompts)}), got {len(texts)}")
    log_probs = torch.cat([continuation_log_probs(model, vocab, p, t) for p, t in zip(prompts, texts)])
    if log_probs.numel() == 0:
        raise ValueError("texts: expected at least one word to score, got only empty continuations")
    return math.exp(-log_probs.mean().item())
