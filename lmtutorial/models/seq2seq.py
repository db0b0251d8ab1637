"""Sequence to sequence with two LSTMs: encoder, decoder started from the encoder's final state, and a decoder
with attention over every encoder output (:class:`AttentionDecoder`)."""

from __future__ import annotations

from typing import NamedTuple

import torch

from lmtutorial.core.attention import LuongAttention
from lmtutorial.core.checks import check_shape
from lmtutorial.training.beam import beam_search
from lmtutorial.training.sampling import next_token
from lmtutorial.core.layers import Embedding, OutputLayer
from lmtutorial.core.losses import cross_entropy
from lmtutorial.core.lstm import LSTM

State = tuple[torch.Tensor, torch.Tensor]


class AttentionState(NamedTuple):
    """What an :class:`AttentionDecoder` carries from step to step: its LSTM state (h, c) (layers, batch, H), and
    the encoder outputs ``memory`` (batch, S, H) with ``memory_mask`` (batch, S), ``True`` at real tokens."""

    h: torch.Tensor
    c: torch.Tensor
    memory: torch.Tensor
    memory_mask: torch.Tensor


class LSTMEncoder(torch.nn.Module):
    """Source ids (batch, S) and their lengths → every step's output (batch, S, H) and the final state.

    Taught on page ``ch03_algorithms``.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, padding_idx: int = 0) -> None:
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = LSTM(embed_dim, hidden_size, num_layers, batch_first=True, dropout=dropout)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, State]:
        return self.lstm(self.embedding(src), lengths=lengths)


class LSTMDecoder(torch.nn.Module):
    """Target-side language model started from the encoder's state::

        p(y_t | y_<t, x) = softmax(W s_t + b),   s_t = LSTM(E[y_{t-1}], s_{t-1}),   s_0 = (h_S, c_S)

    Taught on page ``ch03_algorithms``.
    """

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

    def start(self, outputs: torch.Tensor, state: State, lengths: torch.Tensor) -> State:
        """The decoder's first state from the encoder's ``outputs``, final ``state`` and source ``lengths``: here
        the final state alone (the fixed-size summary)."""
        return state

    @staticmethod
    def reorder(state: State, index: torch.Tensor) -> State:
        """The state of the batch rows ``index`` (for :func:`~lmtutorial.training.beam.beam_search`)."""
        return state[0].index_select(1, index), state[1].index_select(1, index)

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


class AttentionDecoder(LSTMDecoder):
    """An :class:`LSTMDecoder` that also attends over the encoder outputs h_j at every step::

        a_t = softmax_j(s_tᵀ W_a h_j),   c_t = Σ_j a_tj h_j,   p(y_t | ·) = softmax(W tanh(W_c [c_t; s_t]) + b)

    Taught on page ``ch06_2_translation``.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, padding_idx: int = 0) -> None:
        super().__init__(vocab_size, embed_dim, hidden_size, num_layers, dropout, padding_idx)
        self.attention = LuongAttention(hidden_size, hidden_size)
        self.combine = torch.nn.Linear(2 * hidden_size, hidden_size, bias=False)

    def start(self, outputs: torch.Tensor, state: State, lengths: torch.Tensor) -> AttentionState:
        """The encoder's final state, and all its outputs to attend over (padding masked)."""
        mask = torch.arange(outputs.shape[1], device=outputs.device) < lengths.to(outputs.device).unsqueeze(1)
        return AttentionState(state[0], state[1], outputs, mask)

    @staticmethod
    def reorder(state: AttentionState, index: torch.Tensor) -> AttentionState:
        """The state of the batch rows ``index`` (for :func:`~lmtutorial.training.beam.beam_search`)."""
        return AttentionState(state.h.index_select(1, index), state.c.index_select(1, index),
                              state.memory.index_select(0, index), state.memory_mask.index_select(0, index))

    def attend(self, previous: torch.Tensor,
               state: AttentionState) -> tuple[torch.Tensor, AttentionState, torch.Tensor]:
        """Logits (batch, T, vocab), the next state, and the attention weights (batch, T, S) of each step."""
        hidden, (h, c) = self.lstm(self.embedding(previous), (state.h, state.c))
        context, weights = self.attention(hidden, state.memory, state.memory_mask)
        combined = torch.tanh(self.combine(torch.cat([context, hidden], dim=-1)))
        return self.output(combined), AttentionState(h, c, state.memory, state.memory_mask), weights

    def forward(self, previous: torch.Tensor, state: AttentionState) -> tuple[torch.Tensor, AttentionState]:
        """Teacher forcing as in :class:`LSTMDecoder`, each step reading the encoder outputs."""
        logits, state, _ = self.attend(previous, state)
        return logits, state


class Seq2Seq(torch.nn.Module):
    """An :class:`LSTMEncoder` whose final state starts an :class:`LSTMDecoder` or an :class:`AttentionDecoder`
    (same hidden size and layers); the attention decoder also reads every encoder output.

    Taught on page ``ch03_algorithms``.
    """

    def __init__(self, encoder: LSTMEncoder, decoder: LSTMDecoder) -> None:
        super().__init__()
        mine, theirs = encoder.lstm, decoder.lstm
        if (mine.hidden_size, mine.num_layers) != (theirs.hidden_size, theirs.num_layers):
            raise ValueError(f"decoder: expected hidden_size={mine.hidden_size} and num_layers={mine.num_layers} "
                             f"like the encoder, got {theirs.hidden_size} and {theirs.num_layers}")
        self.encoder, self.decoder = encoder, decoder

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Logits (batch, T, target vocab) under teacher forcing."""
        logits, _ = self.decoder(previous, self.encode(src, src_lengths))
        return logits

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> State | AttentionState:
        """The decoder's start state for the sources ``src`` (batch, S)."""
        outputs, state = self.encoder(src, src_lengths)
        return self.decoder.start(outputs, state, src_lengths)

    def translate(self, src: torch.Tensor, src_lengths: torch.Tensor, bos_id: int, eos_id: int, max_len: int,
                  temperature: float = 0.0, top_k: int | None = None, seed: int | None = None) -> list[list[int]]:
        """Decoded target ids of each source, without ``<eos>`` and padding."""
        check_shape("src_lengths", src_lengths, (src.shape[0],), "(batch,)")
        was_training = self.training
        self.eval()
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        with torch.no_grad():
            ids = self.decoder.decode(self.encode(src, src_lengths), bos_id, eos_id, max_len, temperature, top_k,
                                      generator)
        self.train(was_training)
        return [row[: row.index(eos_id)] if eos_id in row else row for row in ids.tolist()]

    def beam_translate(self, src: torch.Tensor, src_lengths: torch.Tensor, bos_id: int, eos_id: int, max_len: int,
                       beam_width: int, alpha: float = 0.0) -> list[list[int]]:
        """The best output of :func:`~lmtutorial.training.beam.beam_search` for each source, without ``<eos>``."""
        check_shape("src_lengths", src_lengths, (src.shape[0],), "(batch,)")
        was_training = self.training
        self.eval()

        def step(tokens: torch.Tensor, state: State | AttentionState) -> tuple[torch.Tensor, State | AttentionState]:
            logits, state = self.decoder(tokens.unsqueeze(1), state)
            return logits[:, -1], state

        with torch.no_grad():
            start = self.encode(src, src_lengths)
            best = [beam_search(step, self.decoder.reorder(start, torch.tensor([i])), self.decoder.reorder,
                                start_token=bos_id, eos_id=eos_id, beam_width=beam_width, max_len=max_len,
                                alpha=alpha)[0].tokens for i in range(src.shape[0])]
        self.train(was_training)
        return [row[: row.index(eos_id)] if eos_id in row else row for row in best]

    @torch.no_grad()
    def attention_weights(self, src: torch.Tensor, src_lengths: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Attention weights (batch, T, S) of an :class:`AttentionDecoder` fed ``previous`` (teacher forcing): row t
        says where in the source the decoder looked while scoring output token t."""
        if not isinstance(self.decoder, AttentionDecoder):
            raise TypeError(f"decoder: expected an AttentionDecoder, got {type(self.decoder).__name__}, which has no "
                            "attention weights")
        _, _, weights = self.decoder.attend(previous, self.encode(src, src_lengths))
        return weights


def seq2seq_loss(model: Seq2Seq, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Mean cross-entropy of the target tokens of ``(src, src_lengths, previous, target)``; padding is ignored.

    Taught on page ``ch03_algorithms``.
    """
    src, src_lengths, previous, target = batch
    return cross_entropy(model(src, src_lengths, previous), target, ignore_index=model.decoder.padding_idx)
