import pytest
import torch

from lmtutorial import generate, load_checkpoint, LSTMLanguageModel, next_token, save_checkpoint
from lmtutorial.data.text import Vocabulary


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


def test_bad_sampling_arguments():
    with pytest.raises(ValueError, match="temperature: expected a value >= 0"):
        next_token(torch.zeros(1, 3), temperature=-1)
    with pytest.raises(ValueError, match=r"top_k: expected 1..3 \(the vocabulary size\) or None, got 4"):
        next_token(torch.zeros(1, 3), top_k=4)


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
