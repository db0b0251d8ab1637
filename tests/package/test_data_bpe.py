import random

import pytest
from conftest import require_shared

from lmtutorial.data.bpe import (
    ALPHABET,
    BPE,
    Agreement,
    byte_characters,
    compare_with_tokenizers,
    pretokenize,
    subword_table,
    tokenizers_merges,
    train_bpe,
    train_tokenizers_bpe,
)

UNSEEN = ["Héllo wörld!! naïve café — “quotes” 😀🎬👍🏽", "日本語のテキスト", "x\ty\n\n  z ", "2024² ½ ∞ ≠", "",
          "  leading and trailing  ", "it's they'll we'd I'M", "\x00\x7f\u00ad\u200b", "e\u0301 (combining)",
          "a" * 40, "<br />tags<br/>", "🇫🇷🇩🇪 Ω≈ç√∫"]


def synthetic_reviews(count: int, seed: int = 0) -> list[str]:
    """Short texts over a few words with accents, emoji, digits, punctuation and odd spaces: many equal counts."""
    rng = random.Random(seed)
    words = ["the", "then", "there", "movie", "movies", "film", "café", "naïve", "😀", "👍🏽", "good", "bad", "it's",
             "2024", "10/10", "!!", "...", "ab", "ba", "aaaa", "日本", "—"]
    spaces = [" ", " ", " ", "  ", "\n", "\t "]
    return ["".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randint(1, 15))) for _ in range(count)]


def assert_same_as_tokenizers(texts: list[str], held_out: list[str], vocab_size: int, min_frequency: int = 0):
    ours = train_bpe(texts, vocab_size, min_frequency)
    library = train_tokenizers_bpe(texts, vocab_size, min_frequency)
    assert ours.merges == tokenizers_merges(library)
    assert ours.ids == library.get_vocab()
    encoded = [e.ids for e in library.encode_batch(held_out)]
    assert [ours.encode(t) for t in held_out] == encoded
    assert [ours.decode(ids) for ids in encoded] == [library.decode(ids) for ids in encoded]
    return ours, library


def test_alphabet_is_the_libraries_byte_alphabet_in_its_order():
    from tokenizers import pre_tokenizers

    assert len(set(byte_characters())) == 256 and byte_characters()[32] == "Ġ" and byte_characters()[65] == "A"
    assert set(ALPHABET) == set(pre_tokenizers.ByteLevel.alphabet())
    assert train_bpe(["a"], 256).vocab == ALPHABET == sorted(ALPHABET)
    assert train_tokenizers_bpe(["a"], 256).get_vocab() == {c: i for i, c in enumerate(ALPHABET)}


def test_pretokenize_is_gpt2s_and_the_libraries():
    from tokenizers import pre_tokenizers

    assert pretokenize("I'm ok, 2024!") == ["I", "'m", "Ġok", ",", "Ġ2024", "!"]
    library = pre_tokenizers.ByteLevel(add_prefix_space=False)
    for text in UNSEEN + synthetic_reviews(20):
        assert pretokenize(text) == [word for word, _ in library.pre_tokenize_str(text)]


def test_pretokenize_differs_from_the_library_only_on_characters_newer_than_unicode_16():
    import unicodedata

    import regex
    from tokenizers import pre_tokenizers

    library = pre_tokenizers.ByteLevel(add_prefix_space=False)
    texts = {cp: f"a{chr(cp)} 1{chr(cp)}" for cp in [*range(0, 0x110000, 61), 0x323B0] if not 0xD800 <= cp <= 0xDFFF}
    differ = [cp for cp, text in texts.items() if pretokenize(text) != [w for w, _ in library.pre_tokenize_str(text)]]
    assert 0x323B0 in differ  # CJK Extension J (Unicode 17.0): a letter for `regex`, a symbol for the library
    new_letters = [cp for cp in differ if unicodedata.category(chr(cp)) == "Cn"  # unassigned in Python's Unicode
                   and regex.match(r"[\p{L}\p{N}]", chr(cp))]
    assert differ == new_letters and len(differ) < 0.02 * len(texts)


def test_ties_go_to_the_pair_with_the_smallest_ids():
    bpe = train_bpe(["ab ab cd cd ba"], 300)  # (a, b), (c, d) and (Ġ, c) occur twice: "a" has the smallest id
    assert bpe.merges == [("a", "b"), ("c", "d"), ("Ġ", "cd"), ("b", "a"), ("Ġ", "ab"), ("Ġ", "ba")]
    assert len(bpe) == 262  # no pair is left: training stops below vocab_size, as the library's does
    assert bpe.tokens("abba cd") == ["ab", "ba", "Ġcd"]
    assert tokenizers_merges(train_tokenizers_bpe(["ab ab cd cd ba"], 300)) == bpe.merges


@pytest.mark.parametrize("vocab_size, min_frequency", [(300, 0), (400, 0), (1000, 0), (400, 3)])
def test_same_merges_and_encodings_as_tokenizers_on_a_synthetic_corpus(vocab_size, min_frequency):
    texts = synthetic_reviews(200)
    assert_same_as_tokenizers(texts, synthetic_reviews(50, seed=1) + UNSEEN, vocab_size, min_frequency)


def test_same_merges_and_encodings_as_tokenizers_on_random_small_corpora():
    for seed in range(20):
        rng = random.Random(seed)
        letters = rng.choice(["ab", "abc ", "aé😀 ", "ab.!'s"])
        texts = ["".join(rng.choice(letters) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(2, 10))]
        assert_same_as_tokenizers([*texts, "ab"], texts[:3] + UNSEEN, rng.randint(256, 330), rng.choice([0, 2]))


def test_same_merges_and_encodings_as_tokenizers_on_imdb_reviews():
    from lmtutorial.data.imdb import load_imdb

    folder = require_shared("data/imdb")
    train = list(load_imdb("train", path=folder).select(range(0, 25_000, 80))["text"])  # 313 reviews
    test = list(load_imdb("test", path=folder).select(range(0, 25_000, 250))["text"])  # 100 held-out reviews
    ours, library = assert_same_as_tokenizers(train, test + UNSEEN, 1000)
    assert compare_with_tokenizers(ours, library, test) == Agreement(
        merges=744, same_merges=744, first_different_merge=None, same_vocab=True, texts=100, same_encodings=100,
        tokens=sum(len(ours.encode(t)) for t in test))


def test_agreement_names_the_first_different_merge():
    texts = synthetic_reviews(50)
    ours, library = train_bpe(texts, 300), train_tokenizers_bpe(texts, 300)
    ours.merges[5:7] = ours.merges[6:4:-1]
    agreement = compare_with_tokenizers(ours, library, texts[:3])
    assert (agreement.merges, agreement.same_merges, agreement.first_different_merge) == (44, 42, 5)
    assert compare_with_tokenizers(train_bpe(texts, 290), library, []).first_different_merge == 34


@pytest.mark.parametrize("text", UNSEEN + ["plain text", "\u00e9\u0000\U0010ffff"])
def test_decode_inverts_encode(text):
    bpe = train_bpe(synthetic_reviews(100), 400)
    assert bpe.decode(bpe.encode(text)) == text
    assert "".join(bpe.tokens(text)) == "".join(pretokenize(text))


def test_a_cut_character_decodes_to_the_replacement_character():
    bpe = train_bpe(["plain"], 256)
    assert bpe.tokens("é") == ["Ã", "©"] and bpe.decode(bpe.encode("é")[:1]) == "\ufffd"


def test_training_is_deterministic_and_ignores_the_order_of_the_texts():
    texts = synthetic_reviews(100)
    first = train_bpe(texts, 500)
    assert train_bpe(texts, 500) == first == train_bpe(random.Random(1).sample(texts, len(texts)), 500)
    assert first.encode(texts[0]) == train_bpe(texts, 500).encode(texts[0])


def test_a_smaller_vocabulary_is_the_first_merges_of_a_larger_one():
    texts = synthetic_reviews(100)
    assert train_bpe(texts, 800).truncated(300) == train_bpe(texts, 300)
    assert train_bpe(texts, 300).truncated(256) == train_bpe(texts, 256)


def test_more_merges_give_fewer_tokens():
    texts = synthetic_reviews(100)
    counts = [sum(map(len, map(train_bpe(texts, size).encode, texts))) for size in (256, 300, 400)]
    assert counts[0] == sum(len(t.encode("utf-8")) for t in texts) and counts[0] > counts[1] > counts[2]


@pytest.mark.parametrize("call, error, message", [
    (lambda: train_bpe(["a b"], 100), ValueError, r"vocab_size: expected an integer >= 256, got 100"),
    (lambda: train_bpe(["a b"], 300.5), TypeError, r"vocab_size: expected an integer >= 256, got 300\.5 \(float\)"),
    (lambda: train_bpe(["a b"], 300, min_frequency=-1), ValueError,
     r"min_frequency: expected an integer >= 0, got -1"),
    (lambda: train_bpe("a review", 300), TypeError, r"texts: expected an iterable of texts .* got a single str"),
    (lambda: train_bpe(["ok", None], 300), TypeError, r"texts\[1\]: expected a str, got NoneType"),
    (lambda: train_bpe(42, 300), TypeError, r"texts: expected an iterable of str, got int"),
    (lambda: train_bpe(["", ""], 300), ValueError, r"texts: expected some text to learn merges from, got 2 empty"),
    (lambda: train_bpe([], 300), ValueError, r"texts: expected some text to learn merges from, got 0 empty"),
    (lambda: train_bpe(["ab"], 256).encode(None), TypeError, r"text: expected a str, got NoneType"),
    (lambda: train_bpe(["ab"], 257).decode([0, 257]), ValueError,
     r"ids\[1\]: expected a token id in 0\.\.256 \(the vocabulary size is 257\), got 257"),
    (lambda: train_bpe(["ab"], 256).decode([1.0]), TypeError, r"ids\[0\]: expected an integer token id, got 1\.0"),
    (lambda: train_bpe(["ab"], 257).truncated(300), ValueError, r"vocab_size: expected an integer >= 256 and "
                                                               r"<= 257, got 300"),
    (lambda: BPE(["a", "b"], []), ValueError, r"vocab: expected the 256 byte characters of ALPHABET first"),
    (lambda: subword_table(["a b"], ["a"], [100]), ValueError, r"vocab_sizes\[0\]: expected an integer >= 256"),
    (lambda: subword_table(["a b"], ["a"], []), ValueError, r"vocab_sizes: expected a non-empty list"),
    (lambda: subword_table(["a b"], [], [300]), ValueError, r"held_out: expected at least one review, got none"),
])
def test_bad_input_is_one_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_subword_table_on_a_tiny_corpus():
    rng = random.Random(0)
    syllables = [c + v for c in "bdfgklmnprst" for v in "aeiou"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(3000)})
    rng.shuffle(words)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf's law: a long tail of rare words
    review = lambda: " ".join(rng.choices(words, weights, k=30))  # noqa: E731
    train, held_out = [review() for _ in range(300)], [review() for _ in range(50)]
    rows = subword_table(train, held_out, [256, 400, 800, 1600])
    oov = [row["oov_rate"] for row in rows]
    tokens = [row["bpe_tokens_per_review"] for row in rows]
    assert 1 > oov[0] and all(a > b > 0 for a, b in zip(oov, oov[1:]))
    assert all(a > b for a, b in zip(tokens, tokens[1:])) and tokens[-1] > 30
    assert rows[0]["bpe_tokens_per_review"] == rows[0]["bytes_per_review"]
    assert [(row["vocab_size"], row["words_per_review"]) for row in rows] == [(256, 30), (400, 30), (800, 30),
                                                                             (1600, 30)]
    assert subword_table(train, held_out, [800, 256]) == [rows[2], rows[0]]


def test_plot_subword_table():
    import matplotlib

    matplotlib.use("Agg")
    from lmtutorial.data.bpe import plot_subword_table

    rows = [{"vocab_size": 256, "oov_rate": 0.3, "words_per_review": 10.0, "bpe_tokens_per_review": 40.0},
            {"vocab_size": 512, "oov_rate": 0.2, "words_per_review": 10.0, "bpe_tokens_per_review": 20.0}]
    ax = plot_subword_table(rows)
    assert [line.get_label() for line in ax.get_legend().get_lines()] == [
        "words: out of vocabulary", "BPE: tokens", "words per review"]
