import numpy as np
import pytest
import torch

from conftest import require_shared, tiny_chat_model
from lmtutorial.llm.prompting import (
    calibrate,
    chat_prompt,
    label_token_ids,
    next_token_log_probs,
    review_text,
    sample_shots,
    shared_prefix_length,
    score_reviews,
    sentiment_messages,
)

CORPUS = ["this film was positive and that one negative", "a great plot", "the acting was dull", "positive",
          "Is the sentiment of this movie review positive or negative? Answer with one word.", "N/A Review:",
          "negative"] * 20


@pytest.fixture(scope="module")
def tiny():
    return tiny_chat_model(CORPUS, max_positions=128)


def test_messages_put_each_shot_as_a_question_and_its_answer(tiny):
    _, tokenizer = tiny
    messages = sentiment_messages("a dull plot", [("a great plot", 1), ("the acting was dull", 0)])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert [messages[1]["content"], messages[3]["content"]] == ["positive", "negative"]
    prompt = chat_prompt(tokenizer, messages)
    assert prompt.endswith("Review: a dull plot<|im_end|>\n<|im_start|>assistant\n")


def test_review_text_cleans_and_cuts():
    assert review_text("A fine<br />film, truly fine.", max_words=3) == "A fine film,"
    assert review_text("one two", max_words=None) == "one two"
    with pytest.raises(ValueError, match=r"text: expected a non-empty review, got ' <br /> '"):
        review_text(" <br /> ")


def test_shots_are_seeded_distinct_and_bounded():
    pool = [(f"review {i}", i % 2) for i in range(10)]
    assert sample_shots(pool, 4, seed=1) == sample_shots(pool, 4, seed=1)
    assert sample_shots(pool, 4, seed=1) != sample_shots(pool, 4, seed=2)
    assert len(set(sample_shots(pool, 10))) == 10 and sample_shots(pool, 0) == []
    with pytest.raises(ValueError, match=r"k: expected 0..10 examples \(the size of the pool\), got 11"):
        sample_shots(pool, 11)


def test_label_words_must_be_one_token(tiny):
    _, tokenizer = tiny
    ids = label_token_ids(tokenizer)
    assert tokenizer.convert_ids_to_tokens(ids) == ["negative", "positive"]
    with pytest.raises(ValueError, match=r"label word 'xylophone': expected one token, got \d+: \['x'"):
        label_token_ids(tokenizer, ["positive", "xylophone"])


def test_log_probs_are_the_models_next_token_distribution_and_padding_changes_nothing(tiny):
    model, tokenizer = tiny
    prompts = ["a great plot", "the acting was dull and this film was negative", "N/A"]
    ids = label_token_ids(tokenizer)
    batched = next_token_log_probs(model, tokenizer, prompts, ids, batch_size=3)
    for row, prompt in zip(batched, prompts):
        encoded = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
        alone = torch.log_softmax(model(encoded).logits[0, -1], dim=-1)[ids]
        torch.testing.assert_close(row, alone, atol=1e-5, rtol=0)


def test_a_shared_prefix_runs_once_and_changes_nothing(tiny):
    model, tokenizer = tiny
    prompts = [chat_prompt(tokenizer, sentiment_messages(review, [("a great plot", 1)]))
               for review in ("a great plot", "the acting was dull and this film was negative", "N/A")]
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    shared = shared_prefix_length(encoded)
    assert shared > len(encoded[0]) // 3 and len({tuple(ids[:shared]) for ids in encoded}) == 1
    assert len({ids[shared] for ids in encoded}) > 1  # the first token after it differs
    ids = label_token_ids(tokenizer)
    once = next_token_log_probs(model, tokenizer, prompts, ids, batch_size=2)
    every_time = next_token_log_probs(model, tokenizer, prompts, ids, batch_size=2, share_prefix=False)
    torch.testing.assert_close(once, every_time, atol=1e-5, rtol=0)
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3]]) == 2  # each keeps a token of its own


def test_empty_and_too_long_prompts_are_clear_errors(tiny):
    model, tokenizer = tiny
    with pytest.raises(ValueError, match=r"prompt: expected a non-empty prompt, got ''"):
        next_token_log_probs(model, tokenizer, ["fine", ""], [0])
    with pytest.raises(ValueError, match=r"prompt: expected at most 128 tokens \(the model's context\), got 1\d\d"):
        next_token_log_probs(model, tokenizer, [" plot" * 150], [0])


def reference_calibration(label_probs: np.ndarray, p_cf: np.ndarray) -> np.ndarray:
    """Zhao et al.'s code (github.com/tonyzhaozh/few-shot-learning, ``eval_accuracy``): W = diag(p_cf)⁻¹."""
    p_cf = p_cf / np.sum(p_cf)
    W = np.linalg.inv(np.identity(len(p_cf)) * p_cf)
    out = []
    for probs in label_probs:
        probs = probs / np.sum(probs)
        out.append((W @ probs[:, None])[:, 0])
    return np.array(out)


def test_calibration_divides_by_the_content_free_probabilities_like_the_papers_code():
    generator = torch.Generator().manual_seed(0)
    log_probs = torch.randn(50, 3, generator=generator, dtype=torch.float64) - 5
    content_free = torch.tensor([-1.0, -3.0, -4.0], dtype=torch.float64)
    ours = calibrate(log_probs, content_free)
    reference = reference_calibration(log_probs.exp().numpy(), content_free.exp().numpy())
    np.testing.assert_allclose(ours.numpy(), reference / reference.sum(1, keepdims=True), rtol=1e-12)
    assert (ours.argmax(1).numpy() == reference.argmax(1)).all()
    biased = torch.stack([torch.tensor([-2.0, -0.2])] * 4) + torch.tensor([[0.5, 0], [0, 0.5], [0.1, 0], [0, 0.1]])
    assert calibrate(biased, torch.tensor([-2.0, -0.2])).argmax(1).tolist() == [0, 1, 0, 1]


def test_score_reviews_scores_each_review_and_the_content_free_input(tiny):
    model, tokenizer = tiny
    reviews = ["a great plot", "the acting was dull"]
    scores = score_reviews(model, tokenizer, reviews, shots=[("a great plot", 1)])
    assert scores.log_probs.shape == (2, 2) and scores.content_free.shape == (1, 2)
    prompt = chat_prompt(tokenizer, sentiment_messages("the acting was dull", [("a great plot", 1)]))
    expected = next_token_log_probs(model, tokenizer, [prompt], label_token_ids(tokenizer))
    torch.testing.assert_close(scores.log_probs[1], expected[0], atol=1e-5, rtol=0)
    assert scores.predictions().tolist() == scores.log_probs.argmax(1).tolist()
    calibrated = calibrate(scores.log_probs, scores.content_free).argmax(1)
    assert scores.predictions(calibrated=True).tolist() == calibrated.tolist()


def test_the_real_offline_model_answers_and_scores_sentiment():
    require_shared("models/SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf")
    from lmtutorial.llm.model import load_chat_model

    model, tokenizer = load_chat_model()
    assert label_token_ids(tokenizer) == tokenizer.convert_tokens_to_ids(["negative", "positive"])
    with pytest.raises(ValueError, match=r"label word 'terrible': expected one token, got 2: \['ter', 'rible'\]"):
        label_token_ids(tokenizer, ["terrible", "great"])
    reviews = ["A wonderful, moving film. The acting is superb and I loved every minute.",
               "Awful. A boring, stupid waste of two hours; the worst film I have seen this year."]
    scores = score_reviews(model, tokenizer, reviews)
    margin = scores.log_probs[:, 1] - scores.log_probs[:, 0]
    assert margin[0] > margin[1]
