"""lmtutorial.training.equal_budget: two kinds of language model on the same windows, steps and optimiser."""

import math

import pytest
import torch

from lmtutorial.core.losses import cross_entropy
from lmtutorial.costs import count_parameters
from lmtutorial.data.batching import lm_batches
from lmtutorial.models.decoder import Decoder, DecoderConfig
from lmtutorial.models.language_model import LSTMLanguageModel
from lmtutorial.training.equal_budget import (
    lstm_and_gpt,
    next_token_logits,
    train_at_equal_budget,
    window_lm_loss,
    window_loss,
)


def test_next_token_logits_takes_either_kind_of_model():
    torch.manual_seed(0)
    ids = torch.randint(20, (2, 5))
    lstm, gpt = LSTMLanguageModel(20, 8, 8), Decoder(DecoderConfig(20, 8, 1, 2, 2, 16))
    assert torch.equal(next_token_logits(lstm, ids), lstm(ids)[0])
    assert torch.equal(next_token_logits(gpt, ids), gpt(ids))


def test_window_loss_reads_each_window_from_scratch():
    """Each window's loss is the model's loss on that window alone: no state crosses from one to the next."""
    torch.manual_seed(0)
    model = LSTMLanguageModel(30, 8, 16)
    stream = torch.randint(30, (25,))  # windows of 6: 4 full windows, the last token only a target
    expected = []
    for start in range(0, 24, 6):
        logits, _ = model(stream[start:start + 6][None])
        expected.append(cross_entropy(logits, stream[start + 1:start + 7][None]).item())
    assert window_loss(model, stream, window=6, batch_size=3) == pytest.approx(sum(expected) / 4, rel=1e-5)
    with pytest.raises(ValueError, match="window: expected an integer >= 1, got 0"):
        window_loss(model, stream, window=0)


def test_window_lm_loss_is_the_mean_cross_entropy():
    torch.manual_seed(1)
    model = Decoder(DecoderConfig(12, 8, 1, 2, 1, 16))
    inputs, targets = torch.randint(12, (3, 4)), torch.randint(12, (3, 4))
    assert window_lm_loss(model, (inputs, targets)).item() == pytest.approx(
        cross_entropy(model(inputs), targets).item())


def test_every_kind_sees_the_same_windows_and_a_seed_repeats_its_run():
    torch.manual_seed(0)
    stream = torch.randint(25, (600,))
    models = lstm_and_gpt(25, dict(embed_dim=8, hidden_size=16), dict(dim=16, n_layers=1, n_heads=2, ffn_dim=32))
    run = dict(batch_size=4, window=10, lr=3e-3, val_every=5, progress=False)
    rows = train_at_equal_budget(models, stream[:500], stream[500:], [0, 1], **run)
    assert [(row["seed"], row["model"]) for row in rows] == [(0, "LSTM"), (0, "GPT"), (1, "LSTM"), (1, "GPT")]
    for seed in (0, 1):
        windows = lm_batches(stream[:500], 4, 10, seed=1_000 * seed)
        seen = {(row["steps"], row["tokens_seen"]) for row in rows if row["seed"] == seed}
        assert seen == {(len(windows), sum(inputs.numel() for inputs, _ in windows))}
    for row in rows:
        assert row["perplexity"] == pytest.approx(math.exp(row["val_curve"][-1]))
        assert row["val_step"][-1] == row["steps"] and row["parameters"] > 0
    again = train_at_equal_budget(models, stream[:500], stream[500:], [1], **run)
    assert [row["val_curve"] for row in again] == [row["val_curve"] for row in rows[2:]]


def test_lstm_and_gpt_builds_two_fresh_models_of_the_asked_sizes():
    models = lstm_and_gpt(100, dict(embed_dim=16, hidden_size=32), dict(dim=32, n_layers=2, n_heads=4, ffn_dim=64))
    lstm, gpt = models["LSTM"](), models["GPT"]()
    assert count_parameters(lstm) == count_parameters(LSTMLanguageModel(100, 16, 32))
    assert count_parameters(gpt) == count_parameters(Decoder(DecoderConfig(100, 32, 2, 4, 4, 64)))
    assert models["GPT"]() is not gpt


def test_the_book_sizes_keep_the_two_kinds_within_ten_percent():
    from lmtutorial.book.sizes import SIZES

    for profile, sizes in SIZES["ch03_1_transformer"].items():
        compare = sizes["compare"]
        models = lstm_and_gpt(compare["vocab_size"], compare["lstm"], compare["gpt"])
        counts = {name: count_parameters(make()) for name, make in models.items()}
        assert abs(counts["GPT"] / counts["LSTM"] - 1) < 0.10, (profile, counts)


@pytest.mark.parametrize("models, seeds, message", [
    ({}, [0], "models: expected at least one name -> constructor, got none"),
    ({"LSTM": lambda: LSTMLanguageModel(5, 4, 4)}, [], "seeds: expected a non-empty list of seeds, got \\[\\]"),
    ({"LSTM": lambda: LSTMLanguageModel(5, 4, 4)}, 3, "seeds: expected a non-empty list of seeds, got 3"),
])
def test_bad_arguments_get_one_clear_line(models, seeds, message):
    stream = torch.randint(5, (100,))
    with pytest.raises(ValueError, match=message):
        train_at_equal_budget(models, stream, stream, seeds, batch_size=2, window=5, lr=1e-3, progress=False)
