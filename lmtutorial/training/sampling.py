"""Choosing the next token (greedy, temperature, top-k, top-p, in ``transformers``' order), and sampling or beam
search of text from a word-level language model."""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_number
from lmtutorial.data.text import Vocabulary
from lmtutorial.training.beam import beam_search, Hypothesis
from lmtutorial.training.loop import check_model_vocabulary


def top_k_filter(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """``logits`` with every entry below the ``top_k``-th largest of its row set to -inf (ties are kept)."""
    if not 1 <= top_k <= logits.shape[-1]:
        raise ValueError(f"top_k: expected 1..{logits.shape[-1]} (the vocabulary size) or None, got {top_k}")
    kth = logits.topk(top_k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """``logits`` with -inf outside the nucleus: going up from the least likely word, every word is dropped
    while it and the words below it hold at most ``1 - top_p`` of the softmax probability, so the words kept
    are the fewest most likely ones holding at least ``top_p``.

    Taught on page ``ch06_4_generation``.
    """
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p: expected a probability in (0, 1] or None, got {top_p}")
    ordered, order = logits.sort(dim=-1)
    below = ordered.softmax(dim=-1).cumsum(dim=-1)  # each word's probability plus all smaller ones
    drop = torch.empty_like(below, dtype=torch.bool).scatter_(-1, order, below <= 1 - top_p)
    return logits.masked_fill(drop, float("-inf"))


def next_token(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
    generator: torch.Generator | None = None, *, top_p: float | None = None,
) -> torch.Tensor:
    """One token id per row of ``logits`` (batch, vocab): the argmax when ``temperature == 0``, else a sample
    from ``p(w) ∝ exp(z_w / τ)`` restricted to the top ``top_k`` words and the ``top_p`` nucleus (``None``: all).

    Taught on page ``ch03_algorithms``.
    """
    check_number("temperature", temperature, minimum=0)  # 0: greedy
    scaled = logits if temperature == 0 else logits / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    if temperature == 0:
        return scaled.argmax(dim=-1)
    return torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=generator).squeeze(-1)


def prompt_ids(prompt: str, vocab: Vocabulary) -> list[int]:
    """``vocab.encode(prompt)``; a prompt of unknown words only is refused (the model would start from nothing)."""
    ids = vocab.encode(prompt)
    if all(i == vocab.unk_id for i in ids):
        raise ValueError(f"prompt: every word of {prompt!r} is unknown to the vocabulary (<unk>); "
                         "start with words the model saw in training")
    return ids


def banned_ids(vocab: Vocabulary) -> torch.Tensor:
    """The tokens a continuation never holds: ``<pad>``, ``<unk>`` and ``<bos>``."""
    return torch.tensor([vocab.pad_id, vocab.unk_id, vocab.bos_id])


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    prompt: str,
    max_new_tokens: int = 40,
    temperature: float = 1.0,
    top_k: int | None = None,
    *,
    vocab: Vocabulary,
    seed: int = 0,
    top_p: float | None = None,
) -> str:
    """The continuation of ``prompt``: up to ``max_new_tokens`` words, each from :func:`next_token`, stopping at
    ``<eos>``. ``model(ids, state) -> (logits, state)``; ``vocab`` must be the model's own.

    Taught on page ``ch03_algorithms``.
    """
    check_model_vocabulary(model, vocab)
    ids = prompt_ids(prompt, vocab)
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        logits, state = model(torch.tensor([ids]))
        if logits.shape[-1] != len(vocab):
            raise ValueError(f"vocab: expected {logits.shape[-1]} tokens (the model's output size), "
                             f"got {len(vocab)}")
        new: list[int] = []
        for _ in range(max_new_tokens):
            step_logits = logits[:, -1].index_fill(-1, banned_ids(vocab), float("-inf"))
            token = next_token(step_logits, temperature, top_k, generator, top_p=top_p)
            if int(token) == vocab.eos_id:
                break
            new.append(int(token))
            logits, state = model(token.view(1, 1), state)
    finally:
        model.train(was_training)
    return vocab.decode(new)


@torch.no_grad()
def beam_generate(
    model: torch.nn.Module, prompt: str, max_new_tokens: int = 40, beam_width: int = 4, *, vocab: Vocabulary,
    alpha: float = 0.0,
) -> Hypothesis:
    """The best :class:`~lmtutorial.training.beam.Hypothesis` continuing ``prompt`` under an LSTM language model
    ``model(ids, (h, c)) -> (logits, (h, c))``; ``vocab.decode(best.tokens)`` is the text.

    Taught on page ``ch06_4_generation``.
    """
    check_model_vocabulary(model, vocab)
    ids = prompt_ids(prompt, vocab)
    banned = banned_ids(vocab)

    def step(tokens: torch.Tensor, state: tuple | None) -> tuple[torch.Tensor, tuple]:
        logits, state = model(tokens.view(-1, 1), state)
        return logits[:, -1].index_fill(-1, banned, float("-inf")), state

    def reorder(state: tuple, index: torch.Tensor) -> tuple:
        return tuple(part.index_select(1, index) for part in state)

    was_training = model.training
    model.eval()
    try:
        state = model(torch.tensor([ids[:-1]]))[1] if len(ids) > 1 else None
        return beam_search(step, state, reorder, start_token=ids[-1], eos_id=vocab.eos_id,
                           beam_width=beam_width, max_len=max_new_tokens, alpha=alpha)[0]
    finally:
        model.train(was_training)
