"""lmtutorial.applications.improving: the runs behind chapter 6.5, on toy reviews and a tiny BERT (no download)."""

from __future__ import annotations

import pytest
import torch

from lmtutorial.applications.improving import (
    Encoded, SharedEncoderTwoHeads, batches, bert_logits, classifier_from_encoder, encode,
    fill_mask, finetune_classifier, mean_and_spread, multitask_scores, predict, pretrain_masked_lm,
    small_bert_config, student_logits, logit_accuracy, train_multitask, train_student,
)
from lmtutorial.book.sizes import Budget, SIZES
from lmtutorial.hf.tiny_bert import toy_reviews, train_wordpiece
from lmtutorial.methods.masked_lm import Masker

LENGTH = 24


@pytest.fixture(scope="module")
def toy():
    reviews = toy_reviews(96, seed=0, max_words=20)
    tokenizer = train_wordpiece(reviews["text"], vocab_size=120)
    ratings = [9 if label else 2 for label in reviews["label"]]
    data = encode(tokenizer, reviews["text"], reviews["label"], LENGTH, ratings)
    return tokenizer, data, small_bert_config(len(tokenizer), LENGTH, hidden=32, layers=1, heads=2)


class BagOfWords(torch.nn.Module):
    """A stand-in student with the recurrent classifier's call signature: ``(ids, lengths) -> logits``."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed = torch.nn.EmbeddingBag(vocab, 8, mode="sum")
        self.out = torch.nn.Linear(8, 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        keep = torch.arange(ids.shape[1]) < lengths[:, None]
        return self.out(self.embed(ids, per_sample_weights=keep.float()))


def test_batches_visit_every_index_once_per_epoch_in_a_seeded_order():
    first = list(batches(10, 5, 4, seed=0))
    assert sorted(torch.cat(first[:2]).tolist()) == list(range(10)) == sorted(torch.cat(first[2:]).tolist())
    assert all(torch.equal(a, b) for a, b in zip(first, batches(10, 5, 4, seed=0)))
    with pytest.raises(ValueError, match="expected at least 1 each"):
        next(batches(0, 5, 1, seed=0))


def test_encode_pads_to_the_length_with_a_mask(toy):
    _, data, _ = toy
    assert data.ids.shape == (96, LENGTH) and data.mask.shape == (96, LENGTH)
    assert (data.mask.sum(-1) <= LENGTH).all() and data.ratings is not None


def test_masked_lm_pretraining_lowers_the_loss_and_fills_a_mask(toy):
    from transformers import BertForMaskedLM

    tokenizer, data, config = toy
    torch.manual_seed(0)
    model = BertForMaskedLM(config)
    start = {name: value.clone() for name, value in model.bert.state_dict().items()}
    losses, kept = pretrain_masked_lm(model, data, Masker.for_tokenizer(tokenizer), Budget(40, 16, 1e-2),
                                      seed=0, progress=False, keep_at=(0, 20, 40))
    assert sum(losses[-10:]) / 10 < 0.92 * sum(losses[:10]) / 10  # 4.77 → 4.29 measured
    weight = "encoder.layer.0.attention.self.query.weight"
    assert list(kept) == [0, 20, 40] and torch.equal(kept[0][weight], start[weight])
    assert torch.equal(kept[40][weight], model.bert.state_dict()[weight])
    assert not torch.equal(kept[20][weight], kept[40][weight])  # copies, not views of the live weights
    with pytest.raises(ValueError, match=r"keep_at: expected steps in 0..40 \(the budget\), got \[41\]"):
        pretrain_masked_lm(model, data, Masker.for_tokenizer(tokenizer), Budget(40, 16, 1e-2), seed=0,
                           progress=False, keep_at=(41,))
    assert len(fill_mask(model, tokenizer, "the film was [MASK] .")) == 3
    with pytest.raises(ValueError, match=r"expected exactly one \[MASK\], got 0"):
        fill_mask(model, tokenizer, "no mask here")


def test_classifier_from_encoder_copies_the_body_and_same_seed_same_run(toy):
    from transformers import BertForMaskedLM

    tokenizer, data, config = toy
    body = BertForMaskedLM(config)
    classifier = classifier_from_encoder(body.bert.state_dict(), config, seed=0)
    weight = "encoder.layer.0.attention.self.query.weight"
    assert torch.equal(classifier.bert.state_dict()[weight], body.bert.state_dict()[weight])
    runs = []
    for _ in range(2):
        model = classifier_from_encoder(None, config, seed=1)
        runs.append(finetune_classifier(model, data, Budget(8, 16, 1e-3), seed=1, progress=False))
    assert runs[0] == runs[1]
    logits = predict(bert_logits(model), data)
    assert logits.shape == (96, 2) and 0 <= logit_accuracy(logits, data.labels) <= 1


def test_student_learns_from_labels_from_a_teacher_and_from_a_transfer_set(toy):
    _, data, _ = toy
    teacher = torch.nn.functional.one_hot(data.labels, 2).float() * 6 - 3  # a confident, correct teacher
    scores = {}
    for name, kwargs in {"hard": {}, "soft": {"teacher_logits": teacher},
                         "transfer": {"teacher_logits": teacher, "use_labels": False}}.items():
        torch.manual_seed(0)
        student = BagOfWords(int(data.ids.max()) + 1)
        train_student(student, data, Budget(60, 16, 3e-2), seed=0, progress=False, **kwargs)
        scores[name] = logit_accuracy(predict(student_logits(student), data), data.labels)
    assert min(scores.values()) > 0.8, scores


def test_student_errors_name_what_was_expected(toy):
    _, data, _ = toy
    student = BagOfWords(200)
    with pytest.raises(ValueError, match=r"expected one row per review \(96\), got 3"):
        train_student(student, data, Budget(1, 4, 1e-3), seed=0, teacher_logits=torch.zeros(3, 2))
    with pytest.raises(ValueError, match="use_labels=False needs teacher_logits"):
        train_student(student, data, Budget(1, 4, 1e-3), seed=0, use_labels=False)


def test_multitask_trains_both_heads_and_needs_ratings(toy):
    _, data, config = toy
    torch.manual_seed(0)
    model = SharedEncoderTwoHeads(config)
    train_multitask(model, data, Budget(40, 16, 1e-2), seed=0, sentiment_weight=1.0, rating_weight=1.0,
                    progress=False)
    scores = multitask_scores(model, data)
    assert scores["accuracy"] > 0.8 and scores["rating_mae"] < 1.0, scores  # untrained: 0.5 and 3.5
    without = Encoded(data.ids, data.mask, data.labels)
    with pytest.raises(ValueError, match="expected the reviews' star ratings"):
        train_multitask(model, without, Budget(1, 4, 1e-3), seed=0, sentiment_weight=1.0, rating_weight=1.0)


def test_encoded_joins_and_relabels():
    a = Encoded(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3), torch.tensor([0, 1]), torch.tensor([1, 9]))
    b = Encoded(torch.zeros(1, 3, dtype=torch.long), torch.ones(1, 3), torch.tensor([1]))
    both = a.join(b)
    assert len(both) == 3 and both.labels.tolist() == [0, 1, 1] and both.ratings is None
    assert both.ids[2].tolist() == [0, 0, 0]
    pseudo = both.relabelled(torch.tensor([1, 1, 0]))
    assert pseudo.labels.tolist() == [1, 1, 0] and pseudo.ids is both.ids
    with pytest.raises(ValueError, match=r"labels: expected one per review, shape \(3,\), got \(2,\)"):
        both.relabelled(torch.tensor([1, 0]))


def test_mean_and_spread():
    assert mean_and_spread([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))
    assert mean_and_spread([5.0]) == (5.0, 0.0)


def test_both_profiles_set_the_same_sizes_and_keep_copies_within_the_budget():
    for size in SIZES["ch06_5_improving"].values():
        steps = size["pretrain_checkpoints"]
        assert steps[0] == 0 and max(steps) == size["pretrain"].steps  # the control, then the last copy
        assert size["few"] <= size["labelled"] and all(seed >= 0 for seed in size["seeds"])
        # the page draws labelled reviews from the first 5,000 of IMDb's 25,000 training reviews and the
        # unlabelled and transfer sets from the other 20,000
        assert size["labelled"] <= 5000 and size["unlabelled"] + size["transfer"] <= 20000
