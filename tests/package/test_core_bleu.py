import math
import random

import pytest
import sacrebleu

from lmtutorial.core.bleu import (
    brevity_penalty,
    closest_reference_length,
    corpus_bleu,
    modified_precision,
    ngrams,
    sentence_bleu,
)


def words(text: str) -> list[str]:
    return text.lower().replace(".", "").split()


# The examples of Papineni et al. (2002), section 2.1.
CANDIDATE_1 = words("It is a guide to action which ensures that the military always obeys the commands of the party.")
CANDIDATE_2 = words("It is to insure the troops forever hearing the activity guidebook that party direct.")
REFERENCES = [
    words("It is a guide to action that ensures that the military will forever heed Party commands."),
    words("It is the guiding principle which guarantees the military forces always being under the command of the Party."),
    words("It is the practical guide for the army always to heed the directions of the party."),
]


def test_papineni_modified_unigram_and_bigram_precisions():
    assert modified_precision(CANDIDATE_1, REFERENCES, 1) == (17, 18)
    assert modified_precision(CANDIDATE_2, REFERENCES, 1) == (8, 14)
    assert modified_precision(CANDIDATE_1, REFERENCES, 2) == (10, 17)
    assert modified_precision(CANDIDATE_2, REFERENCES, 2) == (1, 13)


def test_papineni_clipping_example_is_2_of_7():
    candidate = words("the the the the the the the.")
    references = [words("The cat is on the mat."), words("There is a cat on the mat.")]
    assert modified_precision(candidate, references, 1) == (2, 7)


def test_hand_computed_toy_sentence():
    candidate, reference = words("the cat sat on the mat"), words("the cat is on the mat")
    # p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3, equal lengths so BP = 1.
    assert sentence_bleu(candidate, [reference], max_n=2) == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    assert sentence_bleu(candidate, [reference], max_n=3) == pytest.approx(0.5)
    assert sentence_bleu(candidate, [reference]) == 0.0


def test_brevity_penalty_punishes_short_candidates():
    assert sentence_bleu(words("the cat"), [words("the cat is on the mat")], max_n=2) == pytest.approx(math.exp(-2))
    assert brevity_penalty(7, 6) == 1.0
    assert brevity_penalty(6, 6) == 1.0


def test_corpus_bleu_pools_counts_before_dividing():
    pair_a = (words("the cat sat on the mat"), [words("the cat is on the mat")])
    pair_b = (words("a dog ran in the park today"), [words("a dog ran in the park")])
    score = corpus_bleu([pair_a[0], pair_b[0]], [pair_a[1], pair_b[1]], max_n=2)
    p1, p2 = (5 + 6) / (6 + 7), (3 + 5) / (5 + 6)
    assert score == pytest.approx(math.sqrt(p1 * p2))  # c = 13 > r = 12: no penalty


def test_identical_sentence_scores_one_and_closest_reference_breaks_ties_short():
    sentence = words("a perfectly ordinary sentence of seven words")
    assert sentence_bleu(sentence, [sentence]) == pytest.approx(1.0)
    assert closest_reference_length(5, [["x"] * 4, ["x"] * 6]) == 4
    assert ngrams(["a", "b", "a", "b"], 2) == {("a", "b"): 2, ("b", "a"): 1}


def test_errors_are_clear():
    with pytest.raises(ValueError, match="expected at least one candidate"):
        corpus_bleu([], [])
    with pytest.raises(ValueError, match="one list per candidate \\(2\\), got 1"):
        corpus_bleu([["a"], ["b"]], [[["a"]]])
    with pytest.raises(ValueError, match="at least one reference for every candidate"):
        corpus_bleu([["a"]], [[]])
    with pytest.raises(TypeError, match="got a plain string"):
        sentence_bleu("the cat", ["the cat"])
    with pytest.raises(ValueError, match="max_n: expected an n-gram order of 1 or more, got 0"):
        sentence_bleu(["a"], [["a"]], max_n=0)
    with pytest.raises(ValueError, match="candidate_length: expected 1 or more tokens, got 0"):
        brevity_penalty(0, 3)


@pytest.mark.parametrize("references_per_candidate", [1, 3])
@pytest.mark.parametrize("seed", range(5))
def test_corpus_bleu_equals_sacrebleu(seed, references_per_candidate):
    # sacrebleu scores detokenised strings: its default "13a" tokenizer would split punctuation off first. Our
    # candidates are already token lists, so they are joined with spaces and scored with tokenize="none" (split on
    # spaces only); smooth_method="none" is BLEU as defined (0 when a precision is 0), and sacrebleu reports 0–100.
    rng = random.Random(seed)
    vocabulary = "the a cat dog sat on mat rug , .".split()

    def sentence(length: int) -> list[str]:
        return [rng.choice(vocabulary) for _ in range(length)]

    references = [[sentence(rng.randint(4, 12)) for _ in range(references_per_candidate)] for _ in range(30)]
    candidates = [refs[0][: rng.randint(2, len(refs[0]))] + sentence(rng.randint(0, 3)) for refs in references]
    ours = corpus_bleu(candidates, references)
    streams = [[" ".join(refs[k]) for refs in references] for k in range(references_per_candidate)]
    theirs = sacrebleu.corpus_bleu([" ".join(c) for c in candidates], streams, tokenize="none",
                                   smooth_method="none").score / 100
    assert 0 < ours < 1
    assert ours == pytest.approx(theirs, abs=1e-12)
