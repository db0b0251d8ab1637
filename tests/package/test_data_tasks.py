import pytest

from lmtutorial.data.tasks import SOURCE_VOCAB, TARGET_VOCAB, exact_match, number_batch, number_to_words, sample_numbers


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"), (100, "one hundred"),
    (115, "one hundred fifteen"), (4052, "four thousand fifty two"), (70_000, "seventy thousand"),
    (999_999, "nine hundred ninety nine thousand nine hundred ninety nine"),
])
def test_number_to_words(n, words):
    assert " ".join(number_to_words(n)) == words


def test_number_to_words_range():
    with pytest.raises(ValueError, match="n: expected an integer >= 0 and <= 999999, got 1000000"):
        number_to_words(1_000_000)


def test_sample_numbers_distinct_and_excluding():
    test = sample_numbers(100, seed=1, min_digits=3, distinct=True)
    train = sample_numbers(2000, seed=2, exclude=set(test))
    assert len(set(test)) == 100 and min(test) >= 100 and not set(train) & set(test)
    assert sample_numbers(100, seed=1, min_digits=3, distinct=True) == test
    assert {len(str(n)) for n in train} == {1, 2, 3, 4, 5, 6}
    with pytest.raises(ValueError, match="count: expected at most 30 distinct numbers of 1 to 6 digits, got 31"):
        sample_numbers(31, distinct=True)
    with pytest.raises(ValueError, match="expected 1 <= min_digits <= max_digits <= 6, got 3 and 2"):
        sample_numbers(6, min_digits=3, max_digits=2)


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


def test_sample_numbers_with_an_exclude_covering_the_pool_is_a_clear_error():
    with pytest.raises(ValueError, match="exclude: expected to leave some of the 10 numbers of 1 to 1 digits"):
        sample_numbers(1, max_digits=1, exclude=set(range(10)))
    with pytest.raises(ValueError, match="count: expected at most 2 distinct numbers of 1 to 1 digits outside"):
        sample_numbers(3, max_digits=1, distinct=True, exclude=set(range(8)))
    assert sorted(sample_numbers(2, max_digits=1, distinct=True, exclude=set(range(8)))) == [8, 9]
