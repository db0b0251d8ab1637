import pytest

from lmtutorial.text import SPECIALS, Vocabulary, tokenize_words


def test_tokenize_words_lowercases_and_splits_punctuation():
    assert tokenize_words("I didn't LIKE it.<br />Not at all!") == [
        "i", "didn't", "like", "it", ".", "not", "at", "all", "!"]


def test_vocabulary_ranks_by_frequency_and_keeps_specials_first():
    vocab = Vocabulary.build(["b a b", "c b a"], max_size=6)
    assert vocab.itos == [*SPECIALS, "b", "a"]
    assert len(vocab) == 6


def test_min_freq_drops_rare_words():
    assert "c" not in Vocabulary.build(["a a c"], min_freq=2).stoi


def test_encode_decode_round_trip_with_unknown_words():
    vocab = Vocabulary.build(["the movie was good"])
    ids = vocab.encode("The movie was dreadful", add_bos=True, add_eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and vocab.unk_id in ids
    assert vocab.decode(ids) == "the movie was"
    assert vocab.decode(ids, skip_specials=False) == "<bos> the movie was <unk> <eos>"


def test_empty_text_is_a_clear_error():
    vocab = Vocabulary.build(["hello"])
    with pytest.raises(ValueError, match="text: expected at least one word, got '  '"):
        vocab.encode("  ")
    with pytest.raises(ValueError, match="expected some words"):
        Vocabulary.build(["", "<br />"])


def test_save_and_load(tmp_path):
    vocab = Vocabulary.build(["some words here", "more words"])
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json") == vocab


def test_bad_token_lists():
    with pytest.raises(ValueError, match="expected to start with"):
        Vocabulary(["a", "b"])
    with pytest.raises(ValueError, match="duplicates"):
        Vocabulary([*SPECIALS, "a", "a"])
