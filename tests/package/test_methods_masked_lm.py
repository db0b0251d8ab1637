"""lmtutorial.methods.masked_lm: BERT's 15 % / 80-10-10 corruption, pinned to transformers' collator statistics."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import BertTokenizerFast, DataCollatorForLanguageModeling

from lmtutorial.methods.masked_lm import IGNORE, Masker, mask_tokens, masked_lm_loss, unigram_entropy

WORDS = [f"w{i}" for i in range(200)]


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizerFast:
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    return BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)})


def batch(tokenizer: BertTokenizerFast, rows: int = 400, length: int = 256) -> torch.Tensor:
    ids = torch.randint(5, len(tokenizer), (rows, length), generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, -1] = tokenizer.cls_token_id, tokenizer.sep_token_id
    return ids


def shares(ids: torch.Tensor, corrupted: torch.Tensor, labels: torch.Tensor, mask_id: int) -> list[float]:
    """Chosen share of ordinary tokens; of the chosen: share masked, share changed to another token, share kept."""
    chosen = labels != IGNORE
    ordinary = ids.numel() - 2 * ids.shape[0]
    masked = (corrupted == mask_id) & chosen
    kept = (corrupted == ids) & chosen
    n = chosen.sum().item()
    return [n / ordinary, masked.sum().item() / n, (n - masked.sum().item() - kept.sum().item()) / n,
            kept.sum().item() / n]


def test_statistics_match_data_collator_for_language_modeling(tokenizer):
    ids = batch(tokenizer)
    ours = shares(ids, *mask_tokens(ids, Masker.for_tokenizer(tokenizer),
                                     generator=torch.Generator().manual_seed(1)), tokenizer.mask_token_id)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, seed=2)
    corrupted, labels = collator.torch_mask_tokens(ids.clone())
    theirs = shares(ids, corrupted, labels, tokenizer.mask_token_id)
    assert ours == pytest.approx(theirs, abs=0.02)
    assert ours[0] == pytest.approx(0.15, abs=0.01) and ours[1] == pytest.approx(0.8, abs=0.02)


def test_special_tokens_are_never_chosen_and_labels_hold_the_originals(tokenizer):
    ids = batch(tokenizer, rows=50)
    corrupted, labels = mask_tokens(ids, Masker.for_tokenizer(tokenizer), rate=0.5,
                                    generator=torch.Generator().manual_seed(0))
    assert (labels[:, [0, -1]] == IGNORE).all() and (corrupted[:, [0, -1]] == ids[:, [0, -1]]).all()
    chosen = labels != IGNORE
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(corrupted[~chosen], ids[~chosen])


def test_same_generator_seed_same_corruption(tokenizer):
    ids, masker = batch(tokenizer, rows=8), Masker.for_tokenizer(tokenizer)
    first = mask_tokens(ids, masker, generator=torch.Generator().manual_seed(3))
    second = mask_tokens(ids, masker, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_loss_counts_only_chosen_positions():
    logits = torch.randn(2, 5, 7, dtype=torch.float64)
    labels = torch.full((2, 5), IGNORE)
    labels[0, 1], labels[1, 3] = 4, 2
    expected = -(logits[0, 1].log_softmax(-1)[4] + logits[1, 3].log_softmax(-1)[2]) / 2
    assert masked_lm_loss(logits, labels).item() == pytest.approx(expected.item())


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.1, 1.5])
def test_rate_outside_open_interval_is_one_clear_error(tokenizer, rate):
    with pytest.raises(ValueError, match=r"rate: expected a masking rate in \(0, 1\), got"):
        mask_tokens(batch(tokenizer, rows=2), Masker.for_tokenizer(tokenizer), rate=rate)


def test_tokenizer_without_mask_token_is_one_clear_error(tokenizer):
    no_mask = BertTokenizerFast(vocab=dict(tokenizer.get_vocab()), mask_token=None)
    with pytest.raises(ValueError, match="expected one with a mask token"):
        Masker.for_tokenizer(no_mask)


def test_loss_at_chosen_positions_alone_equals_loss_over_all():
    logits = torch.randn(2, 5, 7, dtype=torch.float64)
    labels = torch.full((2, 5), IGNORE)
    labels[0, 1], labels[1, 3] = 4, 2
    chosen = labels != IGNORE
    assert masked_lm_loss(logits[chosen], labels[chosen]).item() == pytest.approx(
        masked_lm_loss(logits, labels).item())


def test_shape_mismatch_in_loss_is_one_clear_error():
    with pytest.raises(ValueError, match=r"expected logits \(\.\.\., vocab\) and labels of the leading shape"):
        masked_lm_loss(torch.zeros(2, 5, 7), torch.zeros(2, 4, dtype=torch.long))


def test_unigram_entropy_is_the_loss_of_predicting_word_frequencies():
    masker = Masker(mask_id=3, vocab_size=8, special_ids=(0, 1, 2, 3))
    ids = torch.tensor([[1, 4, 4, 5, 2, 0], [1, 4, 6, 7, 7, 2]])  # [CLS] … [SEP] [PAD]: specials not counted
    counts = torch.bincount(torch.tensor([4, 4, 5, 4, 6, 7, 7]), minlength=8).double()
    shares = [3 / 7, 1 / 7, 1 / 7, 2 / 7]  # tokens 4, 5, 6, 7
    assert unigram_entropy(ids, masker) == pytest.approx(-sum(p * math.log(p) for p in shares))
    # and it is the cross-entropy of the frequency model on those tokens, the loss of a context-blind MLM
    targets = torch.tensor([4, 4, 5, 4, 6, 7, 7])
    frequency_logits = (counts / counts.sum()).clamp_min(1e-30).log().expand(len(targets), -1)
    assert unigram_entropy(ids, masker) == pytest.approx(masked_lm_loss(frequency_logits, targets).item())
    with pytest.raises(ValueError, match="at least one token that is not a special token"):
        unigram_entropy(torch.tensor([[1, 2, 0]]), masker)
