"""Choosing the next token, and sampling text from a language model.

With logits z over the vocabulary, temperature τ and top-k::

    p(w) ∝ exp(z_w / τ)   over the k most likely words (all words if k is None), 0 elsewhere

τ → 0 is greedy decoding (always the most likely word); τ = 1 samples from the model's own distribution;
τ > 1 flattens it.
"""

from __future__ import annotations

import torch

from lmtutorial.data.text import Vocabulary
from lmtutorial.training.loop import check_model_vocabulary


def next_token(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One token id per row of ``logits`` (batch, vocab): the argmax when ``temperature == 0``, else a sample."""
    if temperature < 0:
        raise ValueError(f"temperature: expected a value >= 0 (0 = greedy), got {temperature}")
    if top_k is not None and not 1 <= top_k <= logits.shape[-1]:
        raise ValueError(f"top_k: expected 1..{logits.shape[-1]} (the vocabulary size) or None, got {top_k}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    scaled = logits / temperature
    if top_k is not None:
        kth = scaled.topk(top_k, dim=-1).values[..., -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=generator).squeeze(-1)


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
) -> str:
    """Continue ``prompt`` with up to ``max_new_tokens`` words from a language model ``model(ids, state) ->
    (logits, state)``; stops early at ``<eos>``. ``<pad>``, ``<unk>`` and ``<bos>`` are never produced.
    Returns the continuation only. ``vocab`` must be the model's own (see
    :func:`~lmtutorial.training.loop.check_model_vocabulary`)."""
    check_model_vocabulary(model, vocab)
    ids = vocab.encode(prompt)
    if all(i == vocab.unk_id for i in ids):
        raise ValueError(f"prompt: every word of {prompt!r} is unknown to the vocabulary (<unk>); "
                         "start with words the model saw in training")
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    banned = torch.tensor([vocab.pad_id, vocab.unk_id, vocab.bos_id])
    logits, state = model(torch.tensor([ids]))
    if logits.shape[-1] != len(vocab):
        model.train(was_training)
        raise ValueError(f"vocab: expected {logits.shape[-1]} tokens (the model's output size), got {len(vocab)}")
    new: list[int] = []
    for _ in range(max_new_tokens):
        step_logits = logits[:, -1].index_fill(-1, banned, float("-inf"))
        token = next_token(step_logits, temperature, top_k, generator)
        if int(token) == vocab.eos_id:
            break
        new.append(int(token))
        logits, state = model(token.view(1, 1), state)
    model.train(was_training)
    return vocab.decode(new)
