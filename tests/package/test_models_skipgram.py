import math
import random

import pytest
import torch

from lmtutorial.core.vectors import cosine_similarity
from lmtutorial.models.skipgram import (
    context_pairs,
    keep_probability,
    noise_distribution,
    SkipGram,
    train_skipgram,
)

ANIMALS, FRUITS = ["cat", "dog"], ["apple", "pear"]
ANIMAL_CONTEXT = ["pet", "furry", "barks", "feed", "vet"]
FRUIT_CONTEXT = ["eat", "juicy", "ripe", "tree", "sweet"]
WORDS = ANIMALS + FRUITS + ANIMAL_CONTEXT + FRUIT_CONTEXT
ID = {w: i for i, w in enumerate(WORDS)}


def toy_corpus(sentences: int = 400, seed: int = 0) -> list[list[int]]:
    """Short texts in which cat and dog share one set of neighbours, apple and pear another."""
    rng = random.Random(seed)
    corpus = []
    for _ in range(sentences):
        group, context = rng.choice([(ANIMALS, ANIMAL_CONTEXT), (FRUITS, FRUIT_CONTEXT)])
        corpus.append([ID[rng.choice(context)], ID[rng.choice(group)], ID[rng.choice(context)]])
    return corpus


def similarity(vectors: torch.Tensor, a: str, b: str) -> float:
    return cosine_similarity(vectors[ID[a]], vectors[ID[b]]).item()


def test_untrained_model_gives_k_plus_one_log_2():
    # Output vectors start at zero, so every score is 0 and σ(0) = 1/2 for the context and each noise word.
    model = SkipGram(len(WORDS), 8)
    loss = model(torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]), torch.randint(len(WORDS), (3, 5)))
    assert loss.shape == (3,)
    torch.testing.assert_close(loss, torch.full((3,), 6 * math.log(2)))
    assert model.vectors.shape == (len(WORDS), 8)
    assert model.vectors.abs().max() <= 0.5 / 8


def test_seed_fixes_the_initial_vectors():
    assert torch.equal(SkipGram(10, 4, seed=3).vectors, SkipGram(10, 4, seed=3).vectors)
    assert not torch.equal(SkipGram(10, 4, seed=3).vectors, SkipGram(10, 4, seed=4).vectors)


def test_noise_distribution_is_unigram_to_the_three_quarters():
    counts = torch.tensor([0, 1, 16, 81])
    expected = torch.tensor([0.0, 1.0, 8.0, 27.0], dtype=torch.float64) / 36
    torch.testing.assert_close(noise_distribution(counts), expected)
    with pytest.raises(ValueError, match="at least one word with a positive count"):
        noise_distribution(torch.zeros(3, dtype=torch.long))


def test_keep_probability_is_sqrt_t_over_f_capped_at_one():
    counts = torch.tensor([0, 1, 99])  # f = 0, 0.01, 0.99
    keep = keep_probability(counts, threshold=1e-3)
    torch.testing.assert_close(keep, torch.tensor([0.0, math.sqrt(0.1), math.sqrt(1e-3 / 0.99)], dtype=torch.float64))
    assert keep_probability(counts, threshold=1.0)[1:].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="subsample: expected a number > 0"):
        keep_probability(counts, threshold=0.0)


def test_context_pairs_stay_inside_each_text():
    tokens = torch.tensor([10, 11, 12, 20, 21])
    documents = torch.tensor([0, 0, 0, 1, 1])
    centres, contexts = context_pairs(tokens, documents, window=1)
    pairs = sorted(zip(centres.tolist(), contexts.tolist()))
    assert pairs == [(10, 11), (11, 10), (11, 12), (12, 11), (20, 21), (21, 20)]


def test_context_pairs_never_exceed_the_window():
    tokens = torch.arange(200)
    centres, contexts = context_pairs(tokens, torch.zeros(200, dtype=torch.long), window=3,
                                      generator=torch.Generator().manual_seed(0))
    distance = (centres - contexts).abs()
    assert distance.min() >= 1 and distance.max() <= 3
    assert set(distance.tolist()) == {1, 2, 3}
    # Each centre sees every word within its drawn reach r ∈ {1, 2, 3}: on average 2r = 4 pairs.
    assert 3.5 < len(centres) / 200 < 4.5


def test_training_lowers_the_loss_and_groups_words_that_share_contexts():
    model = SkipGram(len(WORDS), 16, seed=0)
    initial = model.vectors
    losses = train_skipgram(model, toy_corpus(), window=2, negatives=3, epochs=15, batch_size=64, lr=0.05,
                            subsample=None, progress=False)
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10
    trained = model.vectors
    for vectors, margin in ((trained, 0.5), (initial, None)):
        same = (similarity(vectors, "cat", "dog") + similarity(vectors, "apple", "pear")) / 2
        across = (similarity(vectors, "cat", "apple") + similarity(vectors, "dog", "pear")) / 2
        if margin is None:
            assert abs(same - across) < 0.5  # random starting vectors carry no such structure
        else:
            assert same - across > margin


def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        model = SkipGram(len(WORDS), 8, seed=1)
        runs.append(train_skipgram(model, toy_corpus(50), epochs=2, batch_size=32, seed=5, progress=False))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(("sequences", "kwargs", "message"), [
    ([], {}, "expected some token ids to train on, got an empty corpus"),
    ([[], []], {}, "got an empty corpus"),
    ([[1], [2]], {"subsample": None}, r"expected texts of at least two tokens, got no \(centre, context\) pairs"),
    ([[0, 1, 14]], {}, r"expected ids in \[0, 13\] \(the model's vocabulary\), got values from 0 to 14"),
    ([[0, -1]], {}, "got values from -1 to 0"),
    ([[0, 1]], {"window": 0}, "window: expected a positive integer, got 0"),
    ([[0, 1]], {"negatives": 2.5}, "negatives: expected a positive integer, got 2.5"),
    ([[0, 1]], {"lr": 0.0}, "lr: expected a number > 0, got 0"),
    ([[0, 1]], {"subsample": -1e-3}, "subsample: expected a number > 0"),
])
def test_bad_input_is_a_clear_error(sequences, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_skipgram(SkipGram(len(WORDS), 4), sequences, progress=False, **kwargs)


def test_bad_model_size():
    with pytest.raises(ValueError, match="expected vocab_size >= 2 and dim >= 1, got vocab_size=1, dim=4"):
        SkipGram(1, 4)

