"""Masked-language-model corruption and loss, as BERT's pre-training.

Labels are the original ids at chosen positions and −100 (ignored) elsewhere, as ``DataCollatorForLanguageModeling``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmtutorial.core.checks import check_number

IGNORE = -100


@dataclass(frozen=True)
class Masker:
    """The ids one tokenizer needs for masking: ``mask_id``, ``vocab_size`` and the special ids never chosen.

    Taught on page ``ch06_5_improving``.
    """

    mask_id: int
    vocab_size: int
    special_ids: tuple[int, ...]

    @classmethod
    def for_tokenizer(cls, tokenizer) -> Masker:  # noqa: ANN001 - any transformers tokenizer
        """Read the mask token and special tokens from a Hugging Face tokenizer."""
        if tokenizer.mask_token is None:
            raise ValueError(f"tokenizer: expected one with a mask token (e.g. BERT's [MASK]), got "
                             f"{type(tokenizer).__name__} without one")
        return cls(tokenizer.mask_token_id, len(tokenizer), tuple(tokenizer.all_special_ids))


def mask_tokens(
    input_ids: torch.Tensor, masker: Masker, rate: float = 0.15, *,
    mask_share: float = 0.8, random_share: float = 0.1, generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt ``input_ids`` (batch, length) for masked-LM training; returns ``(corrupted_ids, labels)``.

    A share ``rate`` of the non-special positions is chosen; each becomes ``[MASK]`` (``mask_share``), a random
    token (``random_share``) or stays.

    Taught on page ``ch06_5_improving``.
    """
    if not 0 < check_number("rate", rate) < 1:
        raise ValueError(f"rate: expected a masking rate in (0, 1), got {rate}")
    check_number("mask_share", mask_share, minimum=0, maximum=1)
    check_number("random_share", random_share, minimum=0, maximum=1)
    if mask_share + random_share > 1:
        raise ValueError(f"mask_share, random_share: expected shares ≥ 0 summing to ≤ 1, got {mask_share} and "
                         f"{random_share}")
    special = torch.isin(input_ids, torch.tensor(masker.special_ids, dtype=input_ids.dtype))
    chosen = (torch.rand(input_ids.shape, generator=generator) < rate) & ~special
    labels = input_ids.masked_fill(~chosen, IGNORE)
    draw = torch.rand(input_ids.shape, generator=generator)
    to_mask = chosen & (draw < mask_share)
    to_random = chosen & (draw >= mask_share) & (draw < mask_share + random_share)
    random_ids = torch.randint(masker.vocab_size, input_ids.shape, generator=generator)
    corrupted = input_ids.masked_fill(to_mask, masker.mask_id)
    corrupted = torch.where(to_random, random_ids, corrupted)
    return corrupted, labels


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``L_MLM = −(1/|M|) Σ_{i ∈ M} log p(x_i | x̃)`` over the chosen positions M (labels ≠ −100).

    ``logits`` (..., vocab); ``labels`` of its leading shape: (batch, length), or (n,) for the chosen ones alone."""
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits, labels: expected logits (..., vocab) and labels of the leading shape, got "
                         f"{tuple(logits.shape)} and {tuple(labels.shape)}")
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                             ignore_index=IGNORE)


def unigram_entropy(input_ids: torch.Tensor, masker: Masker) -> float:
    """The masked-LM loss of a model that knows word frequencies and nothing else: the entropy (nats) of the
    frequencies p(w) of the tokens that can be chosen (special tokens never are), H = −Σ_w p(w) log p(w).

    Taught on page ``ch06_5_improving``.
    """
    special = torch.isin(input_ids, torch.tensor(masker.special_ids, dtype=input_ids.dtype))
    counts = torch.bincount(input_ids[~special].flatten(), minlength=masker.vocab_size).double()
    if counts.sum() == 0:
        raise ValueError("input_ids: expected at least one token that is not a special token, got none")
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())
