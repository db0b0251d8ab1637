import datasets
import numpy as np
import pytest
import torch
from transformers import DataCollatorWithPadding

from lmtutorial.hf.bert_data import (
    PadCollator,
    TokenBudgetBatchSampler,
    fixed_size_batches,
    head_tail,
    padding_fraction,
    column,
    round_up,
    token_budget_batches,
    token_lengths,
    tokenize_reviews,
)
from lmtutorial.hf.tiny_bert import toy_reviews, train_wordpiece


@pytest.fixture(scope="module")
def tokenizer():
    return train_wordpiece(toy_reviews(200)["text"], vocab_size=300)


def test_head_tail_keeps_both_ends():
    ids = list(range(20))
    assert head_tail(ids, 8, 3) == [0, 1, 2, 15, 16, 17, 18, 19]
    assert head_tail(ids, 8, 0) == list(range(12, 20))
    assert head_tail(ids, 8, 8) == list(range(8))
    assert head_tail(ids[:5], 8, 3) == ids[:5]


def test_head_tail_sun_et_al_split_fills_512_positions():
    kept = head_tail(list(range(1000)), 510, 128)
    assert len(kept) + 2 == 512 and kept[:128] == list(range(128)) and kept[128:] == list(range(618, 1000))


def test_head_tail_rejects_a_head_longer_than_the_budget():
    with pytest.raises(ValueError, match="head: expected 0..8 tokens \\(max_tokens=8\\), got 9"):
        head_tail(list(range(20)), 8, 9)


def test_head_truncation_matches_the_tokenizers_own(tokenizer):
    data = toy_reviews(12, seed=3)
    ours = tokenize_reviews(data, tokenizer, max_length=24, truncation="head", clean=False)
    theirs = tokenizer(list(data["text"]), truncation=True, max_length=24)["input_ids"]
    assert list(ours["input_ids"]) == theirs
    assert list(ours["length"]) == [len(t) for t in theirs]
    assert list(ours["label"]) == list(data["label"])


def test_head_tail_truncation_keeps_cls_head_tail_sep(tokenizer):
    data = toy_reviews(6, seed=4, min_words=60, max_words=80)
    full = tokenizer(list(data["text"]), add_special_tokens=False)["input_ids"]
    ours = tokenize_reviews(data, tokenizer, max_length=32, truncation="head+tail", head=8, clean=False)
    for ids, pieces in zip(ours["input_ids"], full):
        assert ids == [tokenizer.cls_token_id, *pieces[:8], *pieces[-22:], tokenizer.sep_token_id]


def test_clean_drops_html_line_breaks(tokenizer):
    data = datasets.Dataset.from_dict({"text": ["great film<br /><br />loved it"], "label": [1]})
    raw = tokenize_reviews(data, tokenizer, clean=False)[0]["input_ids"]
    clean = tokenize_reviews(data, tokenizer, clean=True)[0]["input_ids"]
    assert clean == tokenizer("great film  loved it")["input_ids"] and len(raw) > len(clean)
    assert token_lengths(["great film<br />"], tokenizer, clean=True)[0] == len(tokenizer("great film ")["input_ids"])


def test_tokenize_errors(tokenizer):
    data = toy_reviews(2)
    with pytest.raises(ValueError, match="truncation: expected one of \\('head', 'head\\+tail'\\), got 'tail'"):
        tokenize_reviews(data, tokenizer, truncation="tail")
    with pytest.raises(ValueError, match="max_length: expected at least 3"):
        tokenize_reviews(data, tokenizer, max_length=2)


def test_token_budget_batches_respect_the_budget_and_cover_everything():
    lengths = np.random.default_rng(0).integers(5, 200, size=500)
    batches = token_budget_batches(lengths, max_tokens=1000, multiple_of=8)
    assert sorted(i for b in batches for i in b) == list(range(500))
    assert all(len(b) * round_up(int(lengths[b].max()), 8) <= 1000 for b in batches)
    with pytest.raises(ValueError, match="max_tokens: expected at least the longest example \\(200 tokens\\), got 100"):
        token_budget_batches(lengths, max_tokens=100, multiple_of=8)


def test_sampler_reshuffles_per_epoch_with_a_fixed_number_of_batches():
    lengths = np.random.default_rng(1).integers(3, 120, size=300)
    sampler = TokenBudgetBatchSampler(lengths, max_tokens=512, seed=7)
    epochs = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert sorted(i for b in batches for i in b) == list(range(300))
        epochs.append(batches)
    assert epochs[0] != epochs[1] != epochs[2]
    again = TokenBudgetBatchSampler(lengths, max_tokens=512, seed=7)
    again.set_epoch(1)
    assert list(again) == epochs[1]  # what a resumed run relies on
    assert list(again) == epochs[2]  # without set_epoch, iterating moves on to the next epoch


def test_sampler_rejects_no_examples():
    with pytest.raises(ValueError, match="lengths: expected at least one example, got none"):
        TokenBudgetBatchSampler([], max_tokens=64)


def test_padding_fraction_by_hand():
    lengths = [2, 4, 6, 8]
    assert padding_fraction(lengths, [[0, 1], [2, 3]]) == pytest.approx(1 - 20 / (2 * 4 + 2 * 8))
    assert padding_fraction(lengths, [[0, 1, 2, 3]], pad_to=10) == pytest.approx(0.5)
    assert padding_fraction([5, 9], [[0, 1]], multiple_of=8) == pytest.approx(1 - 14 / 32)


def test_padding_fraction_counts_what_data_collator_with_padding_pads(tokenizer):
    features = [{"input_ids": tokenizer(t)["input_ids"]} for t in toy_reviews(50, seed=5, max_words=60)["text"]]
    lengths = [len(f["input_ids"]) for f in features]
    batches = fixed_size_batches(len(features), 16, seed=1)
    for padding, pad_to in (("longest", None), ("max_length", 128)):
        collate = DataCollatorWithPadding(tokenizer, padding=padding, max_length=pad_to)
        masks = [collate([features[i] for i in b])["attention_mask"] for b in batches]
        pads = sum(int((m == 0).sum()) for m in masks) / sum(m.numel() for m in masks)
        assert padding_fraction(lengths, batches, pad_to=pad_to) == pytest.approx(pads)


def test_bucketing_cuts_padding():
    lengths = np.random.default_rng(3).lognormal(5.3, 0.7, size=2000).clip(10, 512).astype(int)
    fixed = padding_fraction(lengths, fixed_size_batches(len(lengths), 16), pad_to=512)
    dynamic = padding_fraction(lengths, fixed_size_batches(len(lengths), 16))
    bucketed = padding_fraction(lengths, TokenBudgetBatchSampler(lengths, 8192).batches(), multiple_of=8)
    assert fixed > dynamic > bucketed and bucketed < 0.05


def test_padding_fraction_errors():
    with pytest.raises(ValueError, match="expected at least the longest sequence of every batch \\(9\\), got 4"):
        padding_fraction([3, 9], [[0, 1]], pad_to=4)
    with pytest.raises(ValueError, match="batches: expected at least one non-empty batch"):
        padding_fraction([3], [])


def test_pad_collator_matches_data_collator_with_padding(tokenizer):
    texts = ["great film", "the plot was dull and the acting awful", "loved it"]
    features = [{"input_ids": tokenizer(t)["input_ids"], "label": i % 2} for i, t in enumerate(texts)]
    ours = PadCollator(tokenizer.pad_token_id, multiple_of=8)(features)
    theirs = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8)(
        [{"input_ids": f["input_ids"], "labels": f["label"]} for f in features])
    for key in ("input_ids", "attention_mask", "labels"):
        assert torch.equal(ours[key], theirs[key]), key
    assert ours["input_ids"].shape[1] % 8 == 0


def test_column_reads_a_whole_column_as_numpy_and_respects_a_selection():
    data = datasets.Dataset.from_dict({"length": [5, 9, 2, 7], "label": [0, 1, 1, 0]}).select([3, 0, 2])
    lengths = column(data, "length")
    assert isinstance(lengths, np.ndarray) and lengths.tolist() == [7, 5, 2] == list(data["length"])
    assert column(data, "label").tolist() == [0, 0, 1]
    assert data.format["type"] is None  # the caller's dataset keeps its format
