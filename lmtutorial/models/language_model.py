"""An LSTM language model: embedding → LSTM → output layer, predicting every next token.

    h_t = LSTM(E[x_1], …, E[x_t]),   p(x_{t+1} | x_1 … x_t) = softmax(h_t Wᵀ + b)
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_tensor
from lmtutorial.core.layers import Embedding, OutputLayer
from lmtutorial.core.losses import cross_entropy
from lmtutorial.core.lstm import LSTM

RECURRENT = {"lmtutorial": LSTM, "torch": torch.nn.LSTM}


class LSTMLanguageModel(torch.nn.Module):
    """Next-token logits (batch, seq_len, vocab_size) for token ids (batch, seq_len).

    ``recurrent="torch"`` swaps :class:`lmtutorial.core.lstm.LSTM` for ``torch.nn.LSTM`` (same state dict).
    ``dropout`` applies to the embeddings, between LSTM layers and before the output layer. ``max_len`` is the
    longest sequence one call accepts (feed longer text in pieces, passing the returned state on).

    Taught on page ``ch03_algorithms``.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 128,
        hidden_size: int = 256,
        num_layers: int = 1,
        dropout: float = 0.0,
        max_len: int = 512,
        recurrent: str = "lmtutorial",
    ) -> None:
        super().__init__()
        if recurrent not in RECURRENT:
            raise ValueError(f"recurrent: expected one of {sorted(RECURRENT)}, got {recurrent!r}")
        if max_len < 1:
            raise ValueError(f"max_len: expected a positive length, got {max_len}")
        self.config = dict(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size,
                           num_layers=num_layers, dropout=dropout, max_len=max_len, recurrent=recurrent)
        self.max_len = max_len
        self.embedding = Embedding(vocab_size, embed_dim)
        self.lstm = RECURRENT[recurrent](embed_dim, hidden_size, num_layers, batch_first=True,
                                         dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = torch.nn.Dropout(dropout)
        self.output = OutputLayer(hidden_size, vocab_size)

    def forward(
        self, ids: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``(logits, (h, c))``; pass ``(h, c)`` back in to continue the same texts."""
        check_tensor("ids", ids)
        if ids.ndim != 2:
            raise ValueError(f"ids: expected shape (batch, seq_len), got {tuple(ids.shape)}")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"ids: expected at most max_len={self.max_len} tokens per call, got {ids.shape[1]}; "
                             "feed longer text in pieces, passing the returned state on")
        hidden, state = self.lstm(self.dropout(self.embedding(ids)), state)
        return self.output(self.dropout(hidden)), state


def lm_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy of a batch ``(inputs, targets)``, targets being inputs shifted by one.

    Taught on page ``ch03_algorithms``.
    """
    inputs, targets = batch
    logits, _ = model(inputs)
    return cross_entropy(logits, targets)
