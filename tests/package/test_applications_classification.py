"""lmtutorial.applications.classification: the three classifiers' helpers, the learning curves and the plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lmtutorial.core.metrics import roc_auc  # noqa: E402

from conftest import FAST, tiny_chat_model  # noqa: E402
from lmtutorial.applications.classification import (  # noqa: E402
    accuracy_of,
    bilstm_batches,
    bilstm_predictor,
    crossover,
    encode_reviews,
    encoder_learning_curve,
    encoder_predictor,
    finetune_encoder,
    first_words,
    learning_curve_epochs,
    llm_learning_curve,
    llm_predictor,
    plot_learning_curve,
    plot_tradeoffs,
    seconds_per_review,
    train_bilstm,
)
from lmtutorial.data.text import Vocabulary  # noqa: E402

GOOD = ["a good film", "good acting and a good plot", "truly good", "the plot was good"]
BAD = ["a bad film", "bad acting and a bad plot", "truly bad", "the plot was bad"]


def test_reviews_are_cut_to_their_first_words() -> None:
    vocab = Vocabulary.build(GOOD)
    assert encode_reviews(["good acting and a plot", "good"], vocab, max_len=2) == [
        [vocab.stoi["good"], vocab.stoi["acting"]], [vocab.stoi["good"]]]
    with pytest.raises(ValueError, match="max_len: expected at least 1 word per review, got 0"):
        encode_reviews(GOOD, vocab, max_len=0)


def test_first_words_cleans_and_cuts_every_review_and_keeps_the_labels() -> None:
    from datasets import Dataset

    data = first_words(Dataset.from_dict({"text": ["One<br />two three", "four five"], "label": [1, 0]}), 2)
    assert data["text"] == ["One two", "four five"] and data["label"] == [1, 0]


def test_batches_cover_every_review_once_per_epoch_in_a_seeded_order() -> None:
    ids = [[5] * n for n in range(1, 8)]
    batches = bilstm_batches(ids, list(range(7)), batch_size=3, pad_id=0, seed=1)
    first = batches(0)
    assert [len(b[2]) for b in first] == [3, 3, 1]
    assert sorted(torch.cat([b[2] for b in first]).tolist()) == list(range(7))
    assert all(int(b[1].max()) == b[0].shape[1] for b in first)  # padded to the batch's longest review
    assert [b[2].tolist() for b in batches(0)] == [b[2].tolist() for b in first]
    assert [b[2].tolist() for b in batches(1)] != [b[2].tolist() for b in first]
    with pytest.raises(ValueError, match=r"labels: expected one per review \(7\), got 2"):
        bilstm_batches(ids, [0, 1], 3, 0, 0)


def test_the_bilstm_learns_which_word_decides_the_label() -> None:
    texts, labels = GOOD * 4 + BAD * 4, [1] * 16 + [0] * 16
    model, vocab, history = train_bilstm(texts, labels, max_len=8, embed_dim=8, hidden_size=8, dropout=0.0,
                                         epochs=12, batch_size=32, lr=0.03, progress=False)
    assert history.step_loss[-1] < history.step_loss[0]
    predict = bilstm_predictor(model, vocab, max_len=8, batch_size=5)
    assert accuracy_of(predict(GOOD + BAD), [1] * 4 + [0] * 4) == 1.0
    with pytest.raises(ValueError, match=r"labels: expected one per review \(8\), got 1"):
        train_bilstm(GOOD + BAD, [1])


def test_seconds_per_review_times_each_review_alone_after_a_warm_up() -> None:
    calls = []
    seconds = seconds_per_review(lambda texts: calls.append(list(texts)), ["a", "b", "c"], warmup=2)
    assert calls == [["a"], ["b"], ["a"], ["b"], ["c"]] and seconds >= 0.0
    with pytest.raises(ValueError, match="texts: expected at least one review to time, got none"):
        seconds_per_review(lambda texts: None, [])


def test_accuracy_and_crossover() -> None:
    assert accuracy_of(torch.tensor([1, 0, 1, 1]), [1, 0, 0, 1]) == 0.75
    with pytest.raises(ValueError, match=r"predictions: expected one per label, shape \(3,\), got \(2,\)"):
        accuracy_of(torch.tensor([1, 0]), [1, 0, 0])
    curve = {16: [0.52], 64: [0.60, 0.62], 256: [0.78], 1024: [0.85]}
    assert crossover(curve, 0.60) == 64  # the mean over seeds
    assert crossover(curve, 0.61) == 256  # "more accurate than": a tie is not a crossing
    assert crossover(curve, 0.90) is None
    assert [learning_curve_epochs(n) for n in (16, 32, 50, 1024)] == [8, 4, 3, 3]


def test_the_fine_tuned_encoder_comes_back_as_its_best_epoch(tiny, toy, one_thread) -> None:
    from transformers import AutoTokenizer

    results, classifier = finetune_encoder(str(tiny), toy["train"], toy["test"], **FAST)
    assert not classifier.training
    predict = encoder_predictor(classifier, AutoTokenizer.from_pretrained(tiny), max_length=FAST["max_length"])
    # toy reviews fit in max_length, so the predictor sees the same tokens as the fine-tune's test pass
    assert accuracy_of(predict(toy["test"]["text"]), toy["test"]["label"]) == pytest.approx(
        results["test"]["accuracy"])


def test_encoder_learning_curve_fine_tunes_once_per_size(tiny, toy, one_thread) -> None:
    lines = []
    curve = encoder_learning_curve(str(tiny), toy["train"], toy["test"], [20, 40], seeds=(0, 1),
                                   known={(40, 1): 0.25}, progress=lines.append, **{**FAST, "epochs": 1})
    assert list(curve) == [20, 40] and all(len(a) == 2 and 0.0 <= min(a) for a in curve.values())
    assert curve[40][1] == 0.25 and len(lines) == 3  # the known run is not repeated
    assert lines[0].startswith("fine-tuned on    20 reviews (1 epochs, seed 0): accuracy")


@pytest.fixture(scope="module")
def chat():
    corpus = [*GOOD, *BAD, "Is the sentiment of this movie review positive or negative? Answer with one word.",
              "N/A Review:", "positive", "negative"] * 20
    return tiny_chat_model(corpus)


def test_llm_curve_and_predictor_agree_with_prompting_scores(chat) -> None:
    from lmtutorial.llm.prompting import sample_shots, score_reviews

    model, tokenizer = chat
    pool = list(zip(GOOD + BAD, [1] * 4 + [0] * 4))
    texts, labels = ["a good plot", "a bad plot", "truly bad acting"], [1, 0, 0]
    lines = []
    curve = llm_learning_curve(model, tokenizer, pool, texts, labels, shots=(0, 2), draws=2,
                               progress=lines.append)
    scores = score_reviews(model, tokenizer, texts, sample_shots(pool, 2, 1))  # the second draw
    log_odds = scores.log_probs[:, 1] - scores.log_probs[:, 0]
    assert {name: values[1] for name, values in curve[2].items()} == {
        "plain": accuracy_of(scores.predictions(), labels),
        "calibrated": accuracy_of(scores.predictions(calibrated=True), labels),
        "positive_share": scores.predictions().float().mean().item(),
        "auc": roc_auc(log_odds.tolist(), labels), "auc_calibrated": curve[2]["auc_calibrated"][1]}
    assert curve[2]["auc_calibrated"] == pytest.approx(curve[2]["auc"])  # calibration shifts the log-odds
    assert list(curve) == [0, 2] and len(curve[0]["plain"]) == 1  # one zero-shot prompt
    assert lines[1].startswith("2 examples in context (draw 0): accuracy")
    predict = llm_predictor(model, tokenizer, sample_shots(pool, 2, 0))
    assert torch.equal(predict(texts), scores.predictions())
    with pytest.raises(ValueError, match=r"k: expected 0..8 examples \(the size of the pool\), got 9"):
        llm_learning_curve(model, tokenizer, pool, texts, labels, shots=(9,))


def test_learning_curve_plot_draws_the_encoder_and_both_llm_lines() -> None:
    ax = plot_learning_curve({16: [0.5, 0.52], 64: [0.7], 256: [0.8]},
                             {0: {"plain": [0.55], "calibrated": [0.6]},
                              4: {"plain": [0.6, 0.5], "calibrated": [0.62, 0.6]}})
    assert [line.get_label() for line in ax.get_lines()[:3]] == [
        "fine-tuned encoder (n training reviews)", "prompted LLM, plain (k in context)",
        "prompted LLM, calibrated (k in context)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "4", "16", "64", "256"]
    plt.close(ax.figure)


def test_tradeoff_plot_labels_every_classifier_in_both_panels() -> None:
    rows = [{"name": "BiLSTM", "accuracy": 0.7, "seconds_per_review": 0.002, "parameters": 700_000},
            {"name": "encoder", "accuracy": 0.85, "seconds_per_review": 0.02, "parameters": 22_700_000}]
    axes = plot_tradeoffs(rows)
    for ax in axes:
        assert [t.get_text() for t in ax.texts] == ["BiLSTM", "encoder"]
    plt.close(axes[0].figure)
    rows = [{"name": "zero-shot", "accuracy": 0.55, "seconds_per_review": 1.0, "parameters": 135e6},
            {"name": "few-shot", "accuracy": 0.56, "seconds_per_review": 1.2, "parameters": 135e6}]
    axes = plot_tradeoffs(rows)
    for ax in axes:  # two points at about the same place: the less accurate one is labelled below
        assert [t.get_position()[1] for t in ax.texts] == [-10, 9]
    assert axes[0].get_xscale() == axes[1].get_xscale() == "log"
    plt.close(axes[0].figure)
