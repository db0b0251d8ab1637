"""lmtutorial.models.classifier: the bidirectional LSTM pinned to torch.nn.LSTM(bidirectional=True)."""

from __future__ import annotations

import pytest
import torch

from lmtutorial.core.lstm import LSTM
from lmtutorial.models.classifier import BiLSTM, BiLSTMClassifier, classifier_loss, reverse_padded
from lmtutorial.training.loop import train


def padded_batch(lengths: list[int], size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (batch, max(lengths), size) in float64, zero after each row's length."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), max(lengths), size, generator=generator, dtype=torch.float64)
    lengths = torch.tensor(lengths)
    x[torch.arange(x.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)] = 0.0
    return x, lengths


def test_reverse_padded_reverses_each_row_within_its_length() -> None:
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    lengths = torch.tensor([3, 2, 4])
    assert reverse_padded(x, lengths).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0], [9, 8, 7, 6]]
    vectors = torch.randn(3, 4, 5)
    assert torch.equal(reverse_padded(reverse_padded(vectors, lengths), lengths), vectors)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bilstm_matches_torch_bidirectional_lstm_on_packed_sequences(num_layers: int) -> None:
    torch.manual_seed(0)
    reference = torch.nn.LSTM(5, 4, num_layers, batch_first=True, bidirectional=True).double()
    mine = BiLSTM(5, 4, num_layers).double().load_torch_lstm(reference)
    x, lengths = padded_batch([6, 3, 1, 5], 5)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected_packed, (expected_h, _) = reference(packed)
    expected, _ = torch.nn.utils.rnn.pad_packed_sequence(expected_packed, batch_first=True)
    output, h_n = mine(x, lengths)
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(h_n, expected_h)


def test_backward_direction_is_an_lstm_run_on_the_reversed_review() -> None:
    torch.manual_seed(1)
    bilstm = BiLSTM(3, 4).double()
    x, lengths = padded_batch([5, 2], 3, seed=1)
    output, h_n = bilstm(x, lengths)
    single = LSTM(3, 4, batch_first=True).double()
    single.load_state_dict(bilstm.backward_layers[0].state_dict())
    for row, length in enumerate(lengths.tolist()):
        reversed_out, (h, _) = single(x[row:row + 1, :length].flip(1))
        torch.testing.assert_close(output[row, :length, 4:], reversed_out[0].flip(0))
        torch.testing.assert_close(h_n[1, row], h[0, 0])


def test_classifier_logits_ignore_padding_and_gradients_reach_every_parameter() -> None:
    torch.manual_seed(2)
    model = BiLSTMClassifier(vocab_size=20, num_labels=3, embed_dim=6, hidden_size=5, num_layers=2)
    ids = torch.tensor([[4, 7, 9, 0], [5, 6, 0, 0]])
    lengths = torch.tensor([3, 2])
    logits = model(ids, lengths)
    assert logits.shape == (2, 3)
    longer = torch.cat((ids, torch.zeros(2, 3, dtype=torch.long)), dim=1)  # more padding: same logits
    torch.testing.assert_close(model(longer, lengths), logits)
    classifier_loss(model, (ids, lengths, torch.tensor([0, 2]))).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_classifier_learns_a_word_that_decides_the_label() -> None:
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 30, (64, 8), generator=generator)
    labels = torch.randint(0, 2, (64,), generator=generator)
    where = torch.randint(0, 8, (64,), generator=generator)
    ids[torch.arange(64), where] = torch.where(labels == 1, 1, 2)  # the word 1 or 2 somewhere in the review
    lengths = torch.full((64,), 8)
    torch.manual_seed(3)
    model = BiLSTMClassifier(vocab_size=30, embed_dim=8, hidden_size=8)
    train(model, [(ids, lengths, labels)] * 80, classifier_loss, lr=0.02, progress=False)
    assert (model(ids, lengths).argmax(-1) == labels).float().mean() > 0.95


@pytest.mark.parametrize(("ids", "lengths", "message"), [
    (torch.tensor([1, 2, 3]), torch.tensor([3]), r"ids: expected shape \(batch, seq_len\)"),
    (torch.tensor([[1, 2, 3]]), torch.tensor([3, 3]), r"lengths: expected shape \(batch,\)"),
    (torch.tensor([[1, 2, 3]]), torch.tensor([4]), r"lengths: expected integers in \[1, 3\]"),
    (torch.tensor([[1, 2, 3]]), torch.tensor([0]), r"lengths: expected integers in \[1, 3\]"),
    (torch.tensor([[1, 2, 3]]), torch.tensor([3.0]), "lengths: expected integers, got dtype torch.float32"),
    (torch.tensor([[1, 2, 99]]), torch.tensor([3]), r"ids: expected token ids in \[0, 9\]"),
])
def test_bad_input_gets_one_clear_error(ids: torch.Tensor, lengths: torch.Tensor, message: str) -> None:
    model = BiLSTMClassifier(vocab_size=10, embed_dim=4, hidden_size=3)
    with pytest.raises(ValueError, match=message):
        model(ids, lengths)


def test_bad_sizes_and_mismatched_torch_lstm_are_refused() -> None:
    with pytest.raises(ValueError, match="num_labels: expected an int of at least 2 classes, got 1"):
        BiLSTMClassifier(vocab_size=10, num_labels=1)
    with pytest.raises(ValueError, match="num_layers: expected a positive int, got 0"):
        BiLSTM(4, 3, num_layers=0)
    with pytest.raises(ValueError, match=r"lstm: expected .* = \(4, 3, 1, True\), got \(4, 3, 1, False\)"):
        BiLSTM(4, 3).load_torch_lstm(torch.nn.LSTM(4, 3))
