import pytest

from lmtutorial.tasks import SOURCE_VOCAB, TARGET_VOCAB, exact_match, number_batch, number_to_words, sample_numbers


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"), (100, "one hundred"),
    (115, "one hundred fifteen"), (4052, "four thousand fifty two"), (70_000, "seventy thousand"),
    (999_999, "nine hundred ninety nine thousand nine hundred ninety nine"),
])
def test_number_to_words(n, words):
    assert " ".join(number_to_words(n)) == words


def test_number_to_words_range():
    with pytest.raises(ValueError, match="n: expected 0..999,999, got 1000000"):
        number_to_words(1_000_000)


def test_sample_numbers_distinct_and_excluding():
    test = sample_numbers(100, 4, seed=1)
    train = sample_numbers(500, 4, seed=2, exclude=set(test))
    assert len(set(train)) == 500 and not set(train) & set(test)
    assert sample_numbers(100, 4, seed=1) == test
    with pytest.raises(ValueError, match="count: expected at most 5 numbers of up to 1 digits, got 6"):
        sample_numbers(6, 1)


def test_number_batch_layout():
    src, lengths, previous, target = number_batch([7, 4052])
    assert lengths.tolist() == [1, 4]
    assert SOURCE_VOCAB.decode(src[1]) == "4 0 5 2"
    assert TARGET_VOCAB.decode(previous[1], skip_specials=False) == "<bos> four thousand fifty two"
    assert TARGET_VOCAB.decode(target[1], skip_specials=False) == "four thousand fifty two <eos>"
    assert TARGET_VOCAB.decode(target[0], skip_specials=False) == "seven <eos> <pad> <pad> <pad>"


def test_exact_match():
    assert exact_match([[1, 2], [3]], [[1, 2], [4]]) == 0.5
    with pytest.raises(ValueError, match="expected as many predictions as references"):
        exact_match([[1]], [])
