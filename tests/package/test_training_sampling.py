import pytest
import torch
from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from lmtutorial.data.text import Vocabulary
from lmtutorial.models.language_model import LSTMLanguageModel
from lmtutorial.training.loop import load_checkpoint, save_checkpoint
from lmtutorial.training.sampling import (
    beam_generate,
    generate,
    next_token,
    top_k_filter,
    top_p_filter,
)


def test_zero_temperature_is_greedy_and_top_1_too():
    logits = torch.tensor([[0.0, 3.0, 1.0], [2.0, -1.0, 0.5]])
    assert next_token(logits, temperature=0).tolist() == [1, 0]
    assert next_token(logits, temperature=5.0, top_k=1).tolist() == [1, 0]


def test_sampling_follows_softmax_of_scaled_logits():
    logits = torch.log(torch.tensor([[0.2, 0.3, 0.5]]))
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([next_token(logits, 1.0, None, generator) for _ in range(20000)])
    frequencies = torch.bincount(draws.flatten(), minlength=3) / 20000
    torch.testing.assert_close(frequencies, torch.tensor([0.2, 0.3, 0.5]), atol=0.015, rtol=0)
    top2 = torch.stack([next_token(logits, 1.0, 2, generator) for _ in range(2000)])
    assert 0 not in top2


def random_logits(seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(6, 50, generator=generator) * 3


@pytest.mark.parametrize("top_k", [1, 5, 50])
def test_top_k_is_transformers_top_k_warper(top_k):
    logits = random_logits(top_k)
    expected = TopKLogitsWarper(top_k)(None, logits)
    assert torch.equal(top_k_filter(logits, top_k), expected)
    assert (top_k_filter(logits, top_k) > float("-inf")).sum(-1).tolist() == [top_k] * 6


@pytest.mark.parametrize("top_p", [0.05, 0.5, 0.9, 1.0])
def test_top_p_is_transformers_top_p_warper(top_p):
    for seed in range(5):
        logits = random_logits(seed)
        assert torch.equal(top_p_filter(logits, top_p), TopPLogitsWarper(top_p)(None, logits))
    kept = top_p_filter(torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])), 0.7)
    assert kept.isfinite().tolist() == [[True, True, False, False]]  # 0.5 < 0.7 <= 0.5 + 0.3


def test_temperature_then_top_k_then_top_p_is_transformers_order():
    logits = random_logits(7)
    warpers = LogitsProcessorList([TemperatureLogitsWarper(0.7), TopKLogitsWarper(20), TopPLogitsWarper(0.8)])
    ours = top_p_filter(top_k_filter(logits / 0.7, 20), 0.8)
    assert torch.equal(ours, warpers(None, logits))
    draws = torch.stack([next_token(logits, 0.7, 20, torch.Generator().manual_seed(i), top_p=0.8)
                         for i in range(300)])
    assert ours.gather(-1, draws.T).isfinite().all()


def test_greedy_with_top_p_is_still_the_argmax():
    logits = random_logits(3)
    assert torch.equal(next_token(logits, 0, top_p=0.3), logits.argmax(-1))


def test_bad_sampling_arguments():
    with pytest.raises(ValueError, match="temperature: expected a number >= 0"):
        next_token(torch.zeros(1, 3), temperature=-1)
    with pytest.raises(ValueError, match=r"top_k: expected 1..3 \(the vocabulary size\) or None, got 4"):
        next_token(torch.zeros(1, 3), top_k=4)
    for top_p in (0, 1.5):
        with pytest.raises(ValueError, match=rf"top_p: expected a probability in \(0, 1\] or None, got {top_p}"):
            next_token(torch.zeros(1, 3), top_p=top_p)


def make_model():
    vocab = Vocabulary.build(["the film was good", "the film was bad"])
    torch.manual_seed(0)
    return LSTMLanguageModel(len(vocab), 8, 8), vocab


def test_generate_is_reproducible_and_never_emits_specials():
    model, vocab = make_model()
    first = generate(model, "the film", 30, temperature=1.5, vocab=vocab, seed=3)
    assert first == generate(model, "the film", 30, temperature=1.5, vocab=vocab, seed=3)
    assert len(first.split()) <= 30
    assert all(word in vocab.stoi and word not in ("<pad>", "<unk>", "<bos>") for word in first.split())


def test_unknown_or_empty_prompts_are_clear_errors():
    model, vocab = make_model()
    with pytest.raises(ValueError, match=r"prompt: every word of 'zebra quokka' is unknown to the vocabulary"):
        generate(model, "zebra quokka", 5, vocab=vocab)
    with pytest.raises(ValueError, match="text: expected at least one word, got ''"):
        generate(model, "", 5, vocab=vocab)
    long_prompt = " ".join(["film"] * 600)
    with pytest.raises(ValueError, match="ids: expected at most max_len=512 tokens per call, got 600"):
        generate(model, long_prompt, 5, vocab=vocab)


class NoConfig(torch.nn.Module):
    """A language model that does not say its vocabulary size."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, ids, state=None):
        return self.model(ids, state)


def test_a_model_vocabulary_larger_than_the_vocabulary_is_a_clear_error():
    _, vocab = make_model()
    bigger = LSTMLanguageModel(len(vocab) + 5, 8, 8)
    with pytest.raises(ValueError, match=rf"vocab: expected {len(vocab) + 5} tokens \(the model's vocab_size\), "
                                         rf"got {len(vocab)}"):
        generate(bigger, "the film", 5, vocab=vocab)
    wrapped = NoConfig(bigger)
    with pytest.raises(ValueError, match=rf"vocab: expected {len(vocab) + 5} tokens \(the model's output size\)"):
        generate(wrapped, "the film", 5, vocab=vocab)
    assert wrapped.training


def test_generate_refuses_another_vocabulary_of_the_same_size(tmp_path):
    model, vocab = make_model()
    save_checkpoint(tmp_path / "lm.pt", model, vocab=vocab)
    restored = LSTMLanguageModel(len(vocab), 8, 8)
    load_checkpoint(tmp_path / "lm.pt", restored)
    shuffled = Vocabulary([*vocab.itos[:4], *reversed(vocab.itos[4:])])
    assert generate(restored, "the film", 5, vocab=vocab, seed=1) == generate(model, "the film", 5, vocab=vocab,
                                                                              seed=1)
    with pytest.raises(ValueError, match="vocab: expected the vocabulary the model was trained with"):
        generate(restored, "the film", 5, vocab=shuffled)


def test_a_bad_argument_leaves_the_model_in_training_mode():
    model, vocab = make_model()
    with pytest.raises(ValueError, match="top_p: expected a probability"):
        generate(model, "the film", 5, vocab=vocab, top_p=2.0)
    assert model.training


def sequence_log_prob(model, vocab, prompt, tokens):
    """log p(tokens | prompt) from one forward pass over the whole text, <pad>, <unk> and <bos> excluded."""
    ids = torch.tensor([vocab.encode(prompt) + tokens])
    with torch.no_grad():
        logits = model(ids)[0][0].double()
    logits[:, [vocab.pad_id, vocab.unk_id, vocab.bos_id]] = float("-inf")
    log_probs = torch.log_softmax(logits, dim=-1)
    start = len(vocab.encode(prompt))
    return sum(log_probs[start - 1 + i, t].item() for i, t in enumerate(tokens))


def test_beam_generate_reorders_the_lstm_state_and_width_1_is_greedy():
    vocab = Vocabulary.build(["the film was good and the plot was fine", "the film was bad", "a dull plot"])
    torch.manual_seed(2)
    model = LSTMLanguageModel(len(vocab), 8, 16).train()
    greedy = beam_generate(model, "the film was", 12, beam_width=1, vocab=vocab)
    tokens = [t for t in greedy.tokens if t != vocab.eos_id]
    assert vocab.decode(tokens) == generate(model, "the film was", 12, temperature=0, vocab=vocab)
    for width in (1, 3, 5):
        best = beam_generate(model, "the film was", 12, beam_width=width, vocab=vocab, alpha=1.0)
        assert best.log_prob == pytest.approx(sequence_log_prob(model, vocab, "the film was", best.tokens), abs=1e-5)
        assert not {vocab.pad_id, vocab.unk_id, vocab.bos_id} & set(best.tokens)
    assert model.training
    with pytest.raises(ValueError, match="beam_width: expected an integer >= 1, got 0"):
        beam_generate(model, "the film", 5, beam_width=0, vocab=vocab)
