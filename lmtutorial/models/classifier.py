"""A bidirectional LSTM text classifier built from chapter 3's parts: embedding → BiLSTM → linear layer."""

from __future__ import annotations

import numbers

import torch

from lmtutorial.core.checks import check_lengths, check_shape
from lmtutorial.core.layers import Embedding, OutputLayer
from lmtutorial.core.losses import cross_entropy
from lmtutorial.core.lstm import LSTM

State = tuple[torch.Tensor, torch.Tensor]


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the first ``lengths[b]`` steps of each row ``b`` of ``x`` (batch, seq_len, ...); padding stays put.

    Applying it twice gives ``x`` back.
    """
    steps = x.shape[1]
    positions = torch.arange(steps, device=x.device).unsqueeze(0)  # (1, T)
    last = (lengths.to(x.device) - 1).unsqueeze(1)  # (B, 1)
    index = torch.where(positions <= last, last - positions, positions)  # (B, T)
    return x.gather(1, index.view(*index.shape, *([1] * (x.ndim - 2))).expand_as(x))


class BiLSTM(torch.nn.Module):
    """A multi-layer bidirectional LSTM over right-padded batches, ``o_t = [→h_t ; ←h_t]``.

    Layout of ``torch.nn.LSTM(bidirectional=True, batch_first=True)``: ``output`` (batch, seq_len, 2 hidden_size),
    zero at padded steps, and ``h_n`` (2 num_layers, batch, hidden_size). Each row is reversed within its length.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, numbers.Integral) or num_layers < 1:
            raise ValueError(f"num_layers: expected a positive int, got {num_layers!r}")
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_layers = torch.nn.ModuleList(LSTM(size, hidden_size, batch_first=True) for size in sizes)
        self.backward_layers = torch.nn.ModuleList(LSTM(size, hidden_size, batch_first=True) for size in sizes)
        self.dropout = torch.nn.Dropout(dropout)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(output, h_n)`` for inputs ``x`` (batch, seq_len, input_size) with ``lengths`` (batch,)."""
        check_shape("x", x, (None, None, self.input_size), "(batch, seq_len, input_size)")
        lengths = check_lengths(lengths, x.shape[0], x.shape[1])
        finals = []
        for k, (forward, backward) in enumerate(zip(self.forward_layers, self.backward_layers)):
            if k:
                x = self.dropout(x)  # between layers, as torch.nn.LSTM's dropout
            ahead, (h_ahead, _) = forward(x, lengths=lengths)
            behind, (h_behind, _) = backward(reverse_padded(x, lengths), lengths=lengths)
            x = torch.cat((ahead, reverse_padded(behind, lengths)), dim=-1)
            finals += [h_ahead[0], h_behind[0]]
        return x, torch.stack(finals)

    def load_torch_lstm(self, lstm: torch.nn.LSTM) -> "BiLSTM":
        """Copy the weights of a ``torch.nn.LSTM(bidirectional=True)`` of the same sizes into this module."""
        expected = (self.input_size, self.hidden_size, self.num_layers, True)
        got = (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bidirectional)
        if got != expected:
            raise ValueError(f"lstm: expected (input_size, hidden_size, num_layers, bidirectional) = {expected}, "
                             f"got {got}")
        state = lstm.state_dict()
        with torch.no_grad():
            for k in range(self.num_layers):
                for layers, suffix in ((self.forward_layers, ""), (self.backward_layers, "_reverse")):
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                        getattr(layers[k], f"{name}_l0").copy_(state[f"{name}_l{k}{suffix}"])
        return self


class BiLSTMClassifier(torch.nn.Module):
    """Label logits ``z = [→h_T ; ←h_1] Wᵀ + b`` (batch, num_labels) for token ids (batch, seq_len) and lengths.

    ``dropout`` applies to the embeddings, between layers and to the summary vector before the output layer.

    Taught on page ``ch06_1_classification``.
    """

    def __init__(self, vocab_size: int, num_labels: int = 2, embed_dim: int = 64, hidden_size: int = 64,
                 num_layers: int = 1, dropout: float = 0.0, padding_idx: int = 0) -> None:
        super().__init__()
        if isinstance(num_labels, bool) or not isinstance(num_labels, numbers.Integral) or num_labels < 2:
            raise ValueError(f"num_labels: expected an int of at least 2 classes, got {num_labels!r}")
        self.config = dict(vocab_size=vocab_size, num_labels=num_labels, embed_dim=embed_dim,
                           hidden_size=hidden_size, num_layers=num_layers, dropout=dropout, padding_idx=padding_idx)
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.bilstm = BiLSTM(embed_dim, hidden_size, num_layers, dropout=dropout)
        self.dropout = torch.nn.Dropout(dropout)
        self.output = OutputLayer(2 * hidden_size, num_labels)

    def summary(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The review vector [→h_T ; ←h_1] of the top layer, (batch, 2 hidden_size)."""
        check_shape("ids", ids, (None, None), "(batch, seq_len)")
        lengths = check_lengths(lengths, ids.shape[0], ids.shape[1])
        _, h_n = self.bilstm(self.dropout(self.embedding(ids)), lengths)
        return torch.cat((h_n[-2], h_n[-1]), dim=-1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(self.summary(ids, lengths)))


def classifier_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy of a batch ``(ids, lengths, labels)``, for :func:`lmtutorial.training.loop.train`."""
    ids, lengths, labels = batch
    return cross_entropy(model(ids, lengths), labels)
