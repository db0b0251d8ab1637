import math

import pytest
import torch

from lmtutorial.applications.generation import (
    continuation_log_probs,
    distinct_n,
    ngrams,
    sample_perplexity,
)
from lmtutorial.data.text import Vocabulary
from lmtutorial.models.language_model import LSTMLanguageModel
from lmtutorial.training.evaluate import perplexity


def test_distinct_n_counts_repeated_ngrams_across_texts():
    assert ngrams("a b c".split(), 2) == [("a", "b"), ("b", "c")]
    assert distinct_n(["a b a b", "a b c"], 1) == 3 / 7
    assert distinct_n(["a b a b", "a b c"], 2) == 3 / 5  # (a b) x3, (b a), (b c)
    assert distinct_n(["the film was good"], 2) == 1.0
    with pytest.raises(ValueError, match="texts: expected at least one 3-gram, got 2 texts with none"):
        distinct_n(["a b", ""], 3)
    with pytest.raises(ValueError, match="n: expected an n-gram length >= 1, got 0"):
        distinct_n(["a"], 0)


def make_model():
    vocab = Vocabulary.build(["the film was good and the plot was fine", "the film was bad"])
    torch.manual_seed(0)
    return LSTMLanguageModel(len(vocab), 8, 16), vocab


def test_continuation_log_probs_are_the_models_next_word_probabilities():
    model, vocab = make_model()
    scores = continuation_log_probs(model, vocab, "the film", "was good")
    with torch.no_grad():
        logits, _ = model(torch.tensor([vocab.encode("the film was")]))
    expected = torch.log_softmax(logits[0].double(), -1)[[1, 2], vocab.encode("was good")]
    torch.testing.assert_close(scores, expected)
    assert continuation_log_probs(model, vocab, "the film", "").numel() == 0


def test_sample_perplexity_of_a_stream_matches_the_stream_perplexity():
    model, vocab = make_model()
    words = "the film was good and the plot was fine the film was bad".split()
    prompt, text = words[0], " ".join(words[1:])
    stream = torch.tensor(vocab.encode(" ".join(words)))
    ours = sample_perplexity(model, vocab, [prompt, "the film"], [text, ""])
    assert ours == pytest.approx(perplexity(model, stream, batch_size=1, bptt=64), rel=1e-5)
    assert ours == pytest.approx(math.exp(-continuation_log_probs(model, vocab, prompt, text).mean().item()))
    with pytest.raises(ValueError, match=r"texts: expected one continuation per prompt \(2\), got 1"):
        sample_perplexity(model, vocab, ["a", "b"], ["c"])
    with pytest.raises(ValueError, match="texts: expected at least one word to score, got only empty"):
        sample_perplexity(model, vocab, ["the"], [" "])
