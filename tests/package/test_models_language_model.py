import pytest
import torch

from lmtutorial.models.language_model import lm_loss, LSTMLanguageModel


def test_shapes_and_state():
    model = LSTMLanguageModel(40, embed_dim=8, hidden_size=12, num_layers=2)
    logits, (h, c) = model(torch.randint(40, (3, 5)))
    assert logits.shape == (3, 5, 40) and h.shape == c.shape == (2, 3, 12)


def test_feeding_in_pieces_equals_feeding_at_once():
    torch.manual_seed(0)
    model = LSTMLanguageModel(40, 8, 12).double()
    ids = torch.randint(40, (2, 9))
    whole, _ = model(ids)
    first, state = model(ids[:, :4])
    second, _ = model(ids[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole)


def test_torch_lstm_variant_loads_the_same_weights_and_agrees():
    torch.manual_seed(1)
    ours = LSTMLanguageModel(30, 8, 12, num_layers=2).double()
    theirs = LSTMLanguageModel(30, 8, 12, num_layers=2, recurrent="torch").double()
    theirs.load_state_dict(ours.state_dict())
    batch = (torch.randint(30, (3, 6)), torch.randint(30, (3, 6)))
    losses = [lm_loss(model, batch) for model in (ours, theirs)]
    torch.testing.assert_close(losses[0], losses[1], atol=1e-9, rtol=0)
    grads = [torch.autograd.grad(loss, list(model.parameters())) for loss, model in zip(losses, (ours, theirs))]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=0)


def test_sequence_longer_than_max_len_is_a_clear_error():
    model = LSTMLanguageModel(20, 4, 4, max_len=8)
    with pytest.raises(ValueError, match="ids: expected at most max_len=8 tokens per call, got 9"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids: expected shape \(batch, seq_len\), got \(9,\)"):
        model(torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match="recurrent: expected one of"):
        LSTMLanguageModel(20, recurrent="gru")
