import matplotlib
import pytest
import torch

from lmtutorial.applications.translation import (
    evaluate,
    log_probs,
    make_translator,
    plot_attention,
    plot_bleu_by_length,
    score,
    split_numbers,
    train_translator,
    translate_numbers,
)
from lmtutorial.book.sizes import SIZES
from lmtutorial.data.tasks import number_batch, number_to_words, TARGET_VOCAB
from lmtutorial.models.seq2seq import AttentionDecoder, LSTMDecoder
from lmtutorial.training.beam import beam_search

matplotlib.use("Agg")


def test_split_tests_on_unseen_numbers_some_longer_than_any_training_number():
    train, test = split_numbers(500, train_max_digits=3, test_digits=(2, 3, 4), test_per_length=20, seed=3)
    assert len(train) == 500 and max(len(str(n)) for n in train) == 3
    assert {d: {len(str(n)) for n in numbers} for d, numbers in test.items()} == {2: {2}, 3: {3}, 4: {4}}
    assert all(len(set(numbers)) == 20 for numbers in test.values())
    assert not set(train) & {n for numbers in test.values() for n in numbers}


def test_sizes_test_longer_inputs_than_they_train_on():
    for sizes in SIZES["ch06_2_translation"].values():
        assert max(sizes["test_digits"]) > sizes["train_max_digits"]


def test_make_translator_with_and_without_attention():
    assert type(make_translator(True, 8, 16).decoder) is AttentionDecoder
    assert type(make_translator(False, 8, 16).decoder) is LSTMDecoder
    a, b = make_translator(True, 8, 16, seed=1), make_translator(True, 8, 16, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_score_is_corpus_bleu_and_exact_match():
    outputs = [number_to_words(4052), ["one", "hundred"]]
    scores = score(outputs, [4052, 101])
    assert scores["exact_match"] == 0.5
    assert 0 < scores["bleu"] < 1


@pytest.fixture(scope="module")
def trained():
    """An attention translator trained on the two-digit numbers (a few seconds)."""
    model = make_translator(True, 16, 32)
    train_translator(model, list(range(10, 100)), epochs=40, batch_size=32, lr=0.02)
    return model


def test_log_probs_equal_the_beam_search_scores_of_the_same_outputs(trained):
    numbers = [17, 40, 52, 99]
    outputs = translate_numbers(trained, numbers, beam_width=3)
    src, lengths, _, _ = number_batch(numbers)
    start = trained.encode(src, lengths)

    def step(tokens, state):
        logits, state = trained.decoder(tokens.unsqueeze(1), state)
        return logits[:, -1], state

    for i, words in enumerate(outputs):
        best = beam_search(step, trained.decoder.reorder(start, torch.tensor([i])), trained.decoder.reorder,
                           start_token=TARGET_VOCAB.bos_id, eos_id=TARGET_VOCAB.eos_id, beam_width=3, max_len=14)[0]
        assert best.tokens[-1] == TARGET_VOCAB.eos_id  # finished: its log-probability includes <eos>'s
        assert TARGET_VOCAB.decode(best.tokens[:-1]).split() == words
        assert log_probs(trained, [numbers[i]], [words])[0] == pytest.approx(best.log_prob, rel=1e-4)


def test_a_short_training_learns_two_digit_numbers_with_attention(trained):
    numbers = list(range(10, 100, 3))
    results = evaluate(trained, {2: numbers}, beam_width=2)
    assert results["by_length"][2]["exact_match"] > 0.9
    assert results["all"]["exact_match"] == results["by_length"][2]["exact_match"]
    assert results["all"]["log_prob"] < 0
    greedy = translate_numbers(trained, numbers)
    assert evaluate(trained, {2: numbers})["all"]["exact_match"] == score(greedy, numbers)["exact_match"]


def test_plots():
    scores = {"fixed vector": {3: {"bleu": 0.9}, 4: {"bleu": 0.5}},
              "attention": {3: {"bleu": 1.0}, 4: {"bleu": 0.8}}}
    ax = plot_bleu_by_length(scores, train_max_digits=3)
    assert [line.get_label() for line in ax.get_lines()] == ["fixed vector", "attention"]
    assert list(ax.get_lines()[1].get_ydata()) == [1.0, 0.8]
    model = make_translator(True, 8, 16)
    ax = plot_attention(model, 4052)
    words = translate_numbers(model, [4052])[0]
    assert ax.images[0].get_array().shape == (len(words) + 1, 4)
    with pytest.raises(TypeError, match="decoder: expected an AttentionDecoder, got LSTMDecoder"):
        plot_attention(make_translator(False, 8, 16), 4052)
