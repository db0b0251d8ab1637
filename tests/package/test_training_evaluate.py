import math

import pytest
import torch

from lmtutorial.core.losses import cross_entropy
from lmtutorial.models.language_model import LSTMLanguageModel
from lmtutorial.training.evaluate import perplexity, stream_loss, unigram_perplexity


def test_untrained_uniform_model_has_perplexity_vocab_size():
    model = LSTMLanguageModel(50, 8, 8)
    with torch.no_grad():
        model.output.weight.zero_()
        model.output.bias.zero_()
    assert perplexity(model, torch.randint(50, (200,)), batch_size=2, bptt=7) == pytest.approx(50)


def test_stream_loss_carries_state_across_windows():
    torch.manual_seed(0)
    model = LSTMLanguageModel(30, 8, 16)
    stream = torch.randint(30, (41,))
    whole_logits, _ = model(stream[:-1].unsqueeze(0))
    expected = cross_entropy(whole_logits, stream[1:].unsqueeze(0)).item()
    assert stream_loss(model, stream, batch_size=1, bptt=6) == pytest.approx(expected, rel=1e-5)


def test_unigram_perplexity():
    train = torch.tensor([0, 0, 1, 1])
    # add-one counts 3, 3, 1 over 7: held-out tokens 0 and 2 have p = 3/7 and 1/7
    expected = math.exp(-(math.log(3 / 7) + math.log(1 / 7)) / 2)
    assert unigram_perplexity(train, torch.tensor([0, 2]), vocab_size=3) == pytest.approx(expected)
    with pytest.raises(ValueError, match="expected non-empty train and held_out streams"):
        unigram_perplexity(train, torch.tensor([], dtype=torch.long), 3)


@pytest.mark.parametrize("batch_size, bptt, message", [
    (0, 5, "batch_size: expected an integer >= 1, got 0"),
    (2, 0, "bptt: expected an integer >= 1, got 0"),
])
def test_bad_batch_size_or_bptt_is_clear_and_leaves_the_model_training(batch_size, bptt, message):
    model = LSTMLanguageModel(30, 8, 8)
    with pytest.raises(ValueError, match=message):
        stream_loss(model, torch.randint(30, (40,)), batch_size=batch_size, bptt=bptt)
    assert model.training
