"""Turning token ids into batches: language-model windows of one token stream (target = input shifted by one), and
padded sequence-to-sequence batches with their true lengths."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import torch

from lmtutorial.data.text import Vocabulary


def lm_stream(texts: Iterable[str], vocab: Vocabulary) -> torch.Tensor:
    """One 1-D tensor of ids: each text's tokens followed by ``<eos>``."""
    ids: list[int] = []
    for index, text in enumerate(texts):
        try:
            ids += vocab.encode(text, add_eos=True)
        except ValueError as error:
            raise ValueError(f"texts[{index}]: {error}") from None
    if not ids:
        raise ValueError("texts: expected at least one text, got none")
    return torch.tensor(ids, dtype=torch.long)


def lm_batches(
    stream: torch.Tensor, batch_size: int, bptt: int, seed: int | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(inputs, targets)`` pairs of shape (batch, bptt): consecutive windows, or, with a ``seed``, windows that
    start at a random offset and come in a random order (a new order for each seed, e.g. each epoch)."""
    if batch_size < 1 or bptt < 1:
        raise ValueError(f"expected batch_size >= 1 and bptt >= 1, got {batch_size} and {bptt}")
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    offset = 0 if generator is None else int(torch.randint(bptt, (1,), generator=generator))
    count = (len(stream) - offset - 1) // bptt
    if count < 1:
        raise ValueError(f"stream: expected more than {bptt + offset} tokens for one window, got {len(stream)}")
    windows = stream[offset:offset + count * bptt + 1].unfold(0, bptt + 1, bptt)
    if generator is not None:
        windows = windows[torch.randperm(count, generator=generator)]
    return [(w[:, :-1], w[:, 1:]) for w in windows.split(batch_size)]


def batchify(stream: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The stream as ``batch_size`` contiguous rows (batch_size, N); the last ``len % batch_size`` ids are dropped."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected an integer >= 1, got {batch_size!r}")
    columns = len(stream) // batch_size
    if columns < 2:
        raise ValueError(f"stream: expected at least {2 * batch_size} tokens for batch_size={batch_size}, "
                         f"got {len(stream)}")
    return stream[: batch_size * columns].view(batch_size, columns)


def pad_sequences(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids, lengths)``: the sequences right-padded with ``pad_id`` to (batch, longest), and their lengths."""
    if not sequences or min(len(s) for s in sequences) == 0:
        raise ValueError("sequences: expected a non-empty list of non-empty sequences")
    for sequence in sequences:
        if any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in sequence):
            raise ValueError(f"sequences: expected integer token ids, got {list(sequence)[:8]}")
    lengths = torch.tensor([len(s) for s in sequences])
    ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    return ids, lengths
