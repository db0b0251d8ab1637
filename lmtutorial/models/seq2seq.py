"""Sequence to sequence with two LSTMs (Sutskever et al. 2014), without attention.

The encoder reads the source x_1 … x_S; its final state (h_S, c_S), a fixed-size summary, is the decoder's
initial state. The decoder is a language model over the target conditioned on that state::

    p(y_1 … y_T | x) = Π_t p(y_t | y_<t, x),   p(y_t | ·) = softmax(W s_t + b),   s_t = LSTM(E[y_{t-1}], s_{t-1})

Training feeds the true previous token y_{t-1} (teacher forcing); decoding feeds the model's own choice, the most
likely token (greedy) or a sampled one, until ``<eos>``.
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_shape
from lmtutorial.training.sampling import next_token
from lmtutorial.core.layers import Embedding, OutputLayer
from lmtutorial.core.losses import cross_entropy
from lmtutorial.core.lstm import LSTM

State = tuple[torch.Tensor, torch.Tensor]


class LSTMEncoder(torch.nn.Module):
    """Source ids (batch, S) and their lengths → every step's output (batch, S, H) and the final state."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, padding_idx: int = 0) -> None:
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = LSTM(embed_dim, hidden_size, num_layers, batch_first=True, dropout=dropout)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, State]:
        return self.lstm(self.embedding(src), lengths=lengths)


class LSTMDecoder(torch.nn.Module):
    """Target-side language model started from the encoder's state."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, padding_idx: int = 0) -> None:
        super().__init__()
        self.padding_idx = padding_idx
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = LSTM(embed_dim, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.output = OutputLayer(hidden_size, vocab_size)

    def forward(self, previous: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """Teacher forcing: ``previous`` (batch, T) holds ``<bos>, y_1 … y_{T-1}``; returns logits for y_1 … y_T."""
        hidden, state = self.lstm(self.embedding(previous), state)
        return self.output(hidden), state

    @torch.no_grad()
    def decode(self, state: State, bos_id: int, eos_id: int, max_len: int, temperature: float = 0.0,
               top_k: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """Feed back the model's own tokens from ``<bos>``: greedy when ``temperature == 0``, else sampled.
        Returns (batch, ≤ max_len) ids; each row stops at its ``<eos>`` (included) and is padded after it."""
        batch = state[0].shape[1]
        token = torch.full((batch,), bos_id, dtype=torch.long, device=state[0].device)
        finished = torch.zeros(batch, dtype=torch.bool, device=token.device)
        out = []
        for _ in range(max_len):
            logits, state = self(token.unsqueeze(1), state)
            token = next_token(logits[:, -1], temperature, top_k, generator)
            token = token.masked_fill(finished, self.padding_idx)
            out.append(token)
            finished |= token == eos_id
            if finished.all():
                break
        return torch.stack(out, dim=1)


class Seq2Seq(torch.nn.Module):
    """An :class:`LSTMEncoder` whose final state starts an :class:`LSTMDecoder` (same hidden size and layers)."""

    def __init__(self, encoder: LSTMEncoder, decoder: LSTMDecoder) -> None:
        super().__init__()
        mine, theirs = encoder.lstm, decoder.lstm
        if (mine.hidden_size, mine.num_layers) != (theirs.hidden_size, theirs.num_layers):
            raise ValueError(f"decoder: expected hidden_size={mine.hidden_size} and num_layers={mine.num_layers} "
                             f"like the encoder, got {theirs.hidden_size} and {theirs.num_layers}")
        self.encoder, self.decoder = encoder, decoder

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Logits (batch, T, target vocab) under teacher forcing."""
        _, state = self.encoder(src, src_lengths)
        logits, _ = self.decoder(previous, state)
        return logits

    def translate(self, src: torch.Tensor, src_lengths: torch.Tensor, bos_id: int, eos_id: int, max_len: int,
                  temperature: float = 0.0, top_k: int | None = None, seed: int | None = None) -> list[list[int]]:
        """Decoded target ids of each source, without ``<eos>`` and padding."""
        check_shape("src_lengths", src_lengths, (src.shape[0],), "(batch,)")
        was_training = self.training
        self.eval()
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        with torch.no_grad():
            _, state = self.encoder(src, src_lengths)
            ids = self.decoder.decode(state, bos_id, eos_id, max_len, temperature, top_k, generator)
        self.train(was_training)
        return [row[: row.index(eos_id)] if eos_id in row else row for row in ids.tolist()]


def seq2seq_loss(model: Seq2Seq, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Mean cross-entropy of the target tokens of ``(src, src_lengths, previous, target)``; padding is ignored."""
    src, src_lengths, previous, target = batch
    return cross_entropy(model(src, src_lengths, previous), target, ignore_index=model.decoder.padding_idx)
