import numpy as np
import pytest
import torch

from lmtutorial.data.text import SPECIALS, clean_review, tokenize_words, Vocabulary


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


def test_clean_review_replaces_html_line_breaks():
    assert clean_review("Great.<br /><br />Really.<br/>") == "Great.  Really. "


@pytest.mark.parametrize("ids, error, message", [
    ([-1], ValueError, r"ids\[0\]: expected a token id in 0\.\.6 \(the vocabulary size is 7\), got -1"),
    ([4, 999], ValueError, r"ids\[1\]: expected a token id in 0\.\.6 .*got 999"),
    ([4.0], TypeError, r"ids\[0\]: expected an integer token id, got 4\.0 \(float\)"),
])
def test_decode_rejects_ids_outside_the_vocabulary(ids, error, message):
    vocab = Vocabulary.build(["a b c"])
    with pytest.raises(error, match=message):
        vocab.decode(ids)


def test_decode_accepts_tensors_and_numpy_integers():
    vocab = Vocabulary.build(["a b c"])
    assert vocab.decode(torch.tensor([4, 5])) == vocab.decode(np.array([4, 5])) == "a b"


def test_encode_of_a_non_string_is_a_clear_error():
    vocab = Vocabulary.build(["hello"])
    with pytest.raises(TypeError, match="text: expected a str, got NoneType"):
        vocab.encode(None)


def test_building_from_a_single_string_is_a_clear_error():
    with pytest.raises(TypeError, match="texts: expected an iterable of texts .* got a single str"):
        Vocabulary.build("a string")
