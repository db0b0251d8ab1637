import pytest

from lmtutorial.applications.question_answering import (
    answer,
    answer_scores,
    exact_match,
    extraction_scores,
    f1,
    fine_tune,
    normalize_answer,
    squad_pipeline,
    squad_scores,
    SQUAD_HUB_MODEL,
)
from lmtutorial.data.qa import build_examples, QUESTION, training_features

# Hand-checked with the rules of SQuAD's official evaluation script (v1.1, kept in v2.0): lower case, drop
# punctuation (without inserting a space), drop the articles a/an/the, split on white space; F1 over the
# multiset of tokens.
SQUAD_CASES = [
    # prediction, truth, exact match, F1
    ("The Denver Broncos", "Denver Broncos", 1.0, 1.0),
    ("the Denver Broncos won", "Denver Broncos", 0.0, 0.8),  # P = 2/3, R = 1
    ("cat cat dog", "cat dog dog", 0.0, 2 / 3),  # counts clip: 2 common tokens of 3
    ("7/10", "7 / 10", 0.0, 0.0),  # "710" against "7 10": punctuation is removed, not spaced
    ("8 out of 10!", "8 out of 10", 1.0, 1.0),
    ("", "", 1.0, 1.0),  # SQuAD 2.0: no answer predicted for an unanswerable question
    ("7/10", "", 0.0, 0.0),
    ("", "7/10", 0.0, 0.0),
]


@pytest.mark.parametrize(("prediction", "truth", "em", "f"), SQUAD_CASES)
def test_squad_measures_by_hand(prediction, truth, em, f):
    assert exact_match(prediction, truth) == em
    assert f1(prediction, truth) == pytest.approx(f)


def test_normalisation_follows_the_official_script():
    assert normalize_answer("  An apple, a DAY; the  end. ") == "apple day end"
    assert normalize_answer("theatre anathema") == "theatre anathema"  # whole words only


def test_squad_scores_split_answerable_and_unanswerable():
    scores = squad_scores(["7/10", "the 8/10", "", "3/10"], ["7/10", "8/10", "", ""])
    assert scores["exact"] == 75.0 and scores["f1"] == 75.0
    assert scores["has_answer_exact"] == 100.0 and scores["has_answer_total"] == 2
    assert scores["no_answer_exact"] == 50.0 and scores["no_answer_total"] == 2
    with pytest.raises(ValueError, match="expected one per truth and at least one, got 1 predictions for 2"):
        squad_scores(["x"], ["x", "y"])


def test_extraction_scores_count_decided_reviews():
    # 8 -> positive (right), 2 -> negative (wrong), 5 -> no decision, None -> nothing found
    scores = extraction_scores([8.0, 2.0, 5.0, None], [1, 1, 0, 0])
    assert scores["answered"] == 0.75 and scores["coverage"] == 0.5
    assert scores["precision"] == 0.5 and scores["decided"] == 2
    assert answer_scores(["8 out of ten", "", "the acting"]) == [8.0, None, None]
    with pytest.raises(ValueError, match="expected one per label and at least one, got 1 scores for 2"):
        extraction_scores([1.0], [0, 1])


def test_squad_pipeline_is_skipped_offline_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert squad_pipeline(QUESTION, "I give it 7/10.") is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("skipped:") and SQUAD_HUB_MODEL in out


def test_squad_pipeline_calls_the_hub_model_when_reachable(monkeypatch):
    import transformers.pipelines

    import lmtutorial.data.imdb

    calls = []

    def fake_pipeline(task, model):
        calls.append((task, model))
        return lambda question, context: {"answer": context[-5:-1], "question": question}

    monkeypatch.setattr(lmtutorial.data.imdb, "hub_reachable", lambda: True)
    monkeypatch.setattr(transformers.pipelines, "pipeline", fake_pipeline)  # what `transformers.pipeline` serves
    result = squad_pipeline(QUESTION, "I give it 7/10.")
    assert calls == [("question-answering", SQUAD_HUB_MODEL)] and result["answer"] == "7/10"


@pytest.fixture(scope="module")
def tiny_span_model():
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    from lmtutorial.hf.tiny_bert import train_wordpiece

    reviews = [f"Some words about the film number {i}. I give it {i % 9 + 1}/10." for i in range(64)]
    tokenizer = train_wordpiece(reviews + [QUESTION], vocab_size=200)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    return tokenizer, BertForQuestionAnswering(config), build_examples(reviews)


def test_fine_tune_lowers_the_loss_and_steps_once_per_batch(tiny_span_model):
    tokenizer, model, examples = tiny_span_model
    features = training_features(tokenizer, examples, max_length=64, stride=16)
    losses = fine_tune(model, tokenizer, features, epochs=8, batch_size=16, lr=3e-3, seed=0)
    assert len(losses) == 8 * -(-len(features["input_ids"]) // 16)
    assert sum(losses[-4:]) < 0.5 * sum(losses[:4])
    with pytest.raises(ValueError, match="features: expected at least one training window, got none"):
        fine_tune(model, tokenizer, {"input_ids": []})


def test_answers_do_not_depend_on_the_batch(tiny_span_model):
    tokenizer, model, examples = tiny_span_model
    one_by_one = answer(model, tokenizer, examples[:12], max_length=32, stride=8, batch_size=1)
    together = answer(model, tokenizer, examples[:12], max_length=32, stride=8, batch_size=64)
    assert one_by_one == together and len(together) == 12
