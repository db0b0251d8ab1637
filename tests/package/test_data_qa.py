import numpy as np
import pytest
from conftest import require_shared

from lmtutorial.data.qa import (
    answer_ids,
    balance_windows,
    build_examples,
    decode_answers,
    evaluation_features,
    QUESTION,
    score_example,
    training_features,
)

FILLER = "The plot meanders and the acting is uneven but the music is lovely. "
REVIEWS = [
    FILLER * 12 + "All in all I give it 8 out of 10, no more.",  # long: several windows, score at the end
    "Critics said 9/10.<br />I say 3/10. " + FILLER * 3,  # the last score is the answer; <br /> is cleaned
    FILLER * 4,  # no score: no answer
    FILLER * 2 + "A solid 7/10 " + FILLER * 6,  # the score in the middle
]


@pytest.fixture(scope="module", params=["wordpiece", "minilm"])
def tokenizer(request):
    if request.param == "wordpiece":
        from lmtutorial.hf.tiny_bert import train_wordpiece

        return train_wordpiece(REVIEWS * 3 + [QUESTION], vocab_size=300)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(require_shared("models/all-MiniLM-L6-v2-bf16"))


def test_examples_take_the_last_score_of_the_cleaned_review():
    example = score_example(REVIEWS[1], 7)
    assert example["id"] == "7" and example["question"] == QUESTION
    assert "<br />" not in example["context"]
    start = example["answer_start"]
    assert example["answer_text"] == "3/10" == example["context"][start: start + 4]
    assert score_example(REVIEWS[2], 0)["answer_text"] == "" and score_example(REVIEWS[2], 0)["answer_start"] == -1


def test_build_examples_errors_are_clear():
    with pytest.raises(TypeError, match="got a single str"):
        build_examples("7/10")
    with pytest.raises(ValueError, match=r"ids: expected one per text \(2\), got 1"):
        build_examples(["a", "b"], ids=[1])


def test_training_windows_point_at_the_answer_tokens(tokenizer):
    examples = build_examples(REVIEWS)
    features = training_features(tokenizer, examples, max_length=64, stride=16)
    assert len(features["input_ids"]) > 2 * len(examples)  # the long reviews were cut into windows
    labelled = set()
    for window, index in enumerate(features["example_index"]):
        start, end = features["start_positions"][window], features["end_positions"][window]
        answer = examples[index]["answer_text"]
        inside = answer and answer.replace(" ", "") in tokenizer.decode(features["input_ids"][window]).replace(" ", "")
        if start == 0:
            assert end == 0 and not inside and answer_ids(features, window) == []
            continue
        labelled.add(index)
        expected = tokenizer.decode(tokenizer(answer, add_special_tokens=False)["input_ids"])
        assert tokenizer.decode(answer_ids(features, window)) == expected
    assert labelled == {0, 1, 3}  # every answer is labelled in some window; the review without one never


def test_a_window_that_cuts_the_answer_says_no_answer(tokenizer):
    example = build_examples([FILLER + "I give it 8 out of 10"])[0]
    answer_tokens = len(tokenizer(example["answer_text"], add_special_tokens=False)["input_ids"])
    whole = training_features(tokenizer, [example], max_length=512, stride=0)
    assert whole["start_positions"][0] > 0
    cut = len(whole["input_ids"][0]) - 2  # one token of the answer and [SEP] fall outside the first window
    features = training_features(tokenizer, [example], max_length=cut, stride=0)
    assert answer_tokens > 1 and features["start_positions"][0] == features["end_positions"][0] == 0


def test_oracle_logits_decode_to_the_answers(tokenizer):
    examples = build_examples(REVIEWS)
    labels = training_features(tokenizer, examples, max_length=64, stride=16)
    features = evaluation_features(tokenizer, examples, max_length=64, stride=16)
    assert features["example_index"] == labels["example_index"]
    start = [np.zeros(len(ids)) for ids in features["input_ids"]]
    end = [np.zeros(len(ids)) for ids in features["input_ids"]]
    for window in range(len(start)):
        start[window][labels["start_positions"][window]] += 5.0
        end[window][labels["end_positions"][window]] += 5.0
    answers = decode_answers(start, end, features, examples)
    assert answers == [(e["answer_text"], e["answer_start"]) for e in examples]


def test_no_answer_wins_when_cls_scores_higher(tokenizer):
    examples = build_examples(REVIEWS[1:2])
    labels = training_features(tokenizer, examples, max_length=128, stride=16)
    features = evaluation_features(tokenizer, examples, max_length=128, stride=16)
    start, end = np.zeros(len(features["input_ids"][0])), np.zeros(len(features["input_ids"][0]))
    start[labels["start_positions"][0]] = end[labels["end_positions"][0]] = 2.0
    assert decode_answers([start], [end], features, examples) == [("3/10", examples[0]["answer_start"])]
    start[0] = end[0] = 2.5  # no answer: 5.0 against the span's 4.0
    assert decode_answers([start], [end], features, examples) == [("", -1)]
    with pytest.raises(ValueError, match=r"expected one row per window \(1\), got 0 start and 1 end rows"):
        decode_answers([], [end], features, examples)


def test_window_arguments_are_checked(tokenizer):
    with pytest.raises(ValueError, match="stride: expected 0 <= stride < max_length // 2 = 32, got 40"):
        training_features(tokenizer, build_examples(REVIEWS), max_length=64, stride=40)


def test_balance_keeps_every_answer_and_some_empty_windows(tokenizer):
    features = training_features(tokenizer, build_examples(REVIEWS), max_length=64, stride=16)
    answers = sum(s > 0 for s in features["start_positions"])
    balanced = balance_windows(features, null_per_answer=1.0, seed=0)
    assert sum(s > 0 for s in balanced["start_positions"]) == answers
    assert sum(s == 0 for s in balanced["start_positions"]) == answers
    assert set(balanced) == set(features)
    with pytest.raises(ValueError, match="null_per_answer: expected a number >= 0, got -1"):
        balance_windows(features, null_per_answer=-1)


def test_every_weak_label_in_imdb_decodes_to_its_answer():
    """Regression: the rule once read "a10 out of 10", whose span starts inside the token "a10"."""
    import pandas as pd
    from transformers import AutoTokenizer

    from lmtutorial.data.extract import find_scores

    tokenizer = AutoTokenizer.from_pretrained(require_shared("models/all-MiniLM-L6-v2-bf16"))
    train = pd.read_parquet(require_shared("data/imdb") / "train.parquet", columns=["text"])
    examples = build_examples([t for t in train.text if find_scores(t)])
    features = training_features(tokenizer, examples, max_length=128, stride=32)
    labelled = [w for w, s in enumerate(features["start_positions"]) if s > 0]
    decoded = [tokenizer.decode(answer_ids(features, w)) for w in labelled]
    expected = [tokenizer.decode(tokenizer(examples[features["example_index"][w]]["answer_text"],
                                           add_special_tokens=False)["input_ids"]) for w in labelled]
    assert len(labelled) >= len(examples) and decoded == expected
