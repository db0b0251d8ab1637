"""The two ends of a neural language model: the embedding (``e_t = E[x_t]``) and the output layer, which returns
logits (``z_t = h_t Wᵀ + b``), not probabilities; and word-vector text files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch

from lmtutorial.core.checks import check_number, check_shape, check_tensor, check_token_ids


class Embedding(torch.nn.Module):
    """A lookup table ``weight`` (num_embeddings × embedding_dim): ids of any shape (...) give vectors (..., d).

    Initialised N(0, 1) as ``torch.nn.Embedding``. Positions holding ``padding_idx`` give a zero vector and send
    no gradient to any row. ``freeze=True`` keeps the table fixed (no gradient), e.g. for pretrained vectors.

    Taught on page ``ch03_algorithms``.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, freeze: bool = False
    ) -> None:
        super().__init__()
        check_number("num_embeddings", num_embeddings, integer=True, minimum=1)
        check_number("embedding_dim", embedding_dim, integer=True, minimum=1)
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(f"padding_idx: expected an id in [0, {num_embeddings - 1}], got {padding_idx}")
        self.padding_idx = padding_idx
        self.weight = torch.nn.Parameter(torch.randn(num_embeddings, embedding_dim), requires_grad=not freeze)
        if padding_idx is not None:
            with torch.no_grad():
                self.weight[padding_idx].zero_()

    @property
    def num_embeddings(self) -> int:
        return self.weight.shape[0]

    @property
    def embedding_dim(self) -> int:
        return self.weight.shape[1]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        check_token_ids("ids", ids, self.num_embeddings)
        vectors = self.weight[ids]
        if self.padding_idx is not None:
            vectors = vectors.masked_fill((ids == self.padding_idx).unsqueeze(-1), 0.0)
        return vectors

    @classmethod
    def from_pretrained(
        cls, vectors: torch.Tensor, freeze: bool = True, padding_idx: int | None = None
    ) -> "Embedding":
        """An embedding whose table is a copy of ``vectors`` (num_embeddings × embedding_dim)."""
        check_shape("vectors", vectors, (None, None), "(num_embeddings, embedding_dim)")
        embedding = cls(vectors.shape[0], vectors.shape[1], padding_idx=padding_idx, freeze=freeze)
        with torch.no_grad():
            embedding.weight.copy_(vectors)
        return embedding

    @classmethod
    def from_word_vectors(
        cls,
        path: str | os.PathLike,
        vocab: Sequence[str],
        freeze: bool = True,
        padding_idx: int | None = 0,
        seed: int = 0,
    ) -> "Embedding":
        """An embedding for ``vocab`` (token of each id, e.g. ``Vocabulary.itos``) from a word2vec or GloVe text
        file. Words missing from the file get random rows with the file's standard deviation; the padding row is
        zero. ``embedding.found`` holds a boolean mask of the ids that the file covered."""
        words, table = read_word_vectors(path)
        index = {word: row for row, word in enumerate(words)}
        found = torch.tensor([token in index for token in vocab])
        if not found.any():
            raise ValueError(f"{path}: none of the {len(vocab)} vocabulary words has a vector in this file")
        generator = torch.Generator().manual_seed(seed)
        weight = torch.randn(len(vocab), table.shape[1], generator=generator) * table.std()
        weight[found] = table[[index[token] for token, hit in zip(vocab, found) if hit]]
        if padding_idx is not None:
            weight[padding_idx] = 0.0
        embedding = cls.from_pretrained(weight, freeze=freeze, padding_idx=padding_idx)
        embedding.found = found
        return embedding


def read_word_vectors(path: str | os.PathLike) -> tuple[list[str], torch.Tensor]:
    """Words and vectors of a text file with one ``word x_1 … x_d`` line per word.

    GloVe's format, or word2vec's with its first line ``count d`` (checked).

    Taught on page ``ch03_algorithms``.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    first = lines[0].split() if lines else []
    header = len(first) == 2 and all(part.isdigit() for part in first)
    words, rows = [], []
    for number, line in enumerate(lines[1:] if header else lines, start=2 if header else 1):
        parts = line.rstrip().split(" ")
        if len(parts) < 2:
            raise ValueError(f"{path}, line {number}: expected a word followed by numbers, got {line[:60]!r}")
        if rows and len(parts) - 1 != len(rows[0]):
            raise ValueError(f"{path}, line {number}: expected {len(rows[0])} numbers after the word (as on the "
                             f"first line), got {len(parts) - 1}")
        try:
            rows.append([float(value) for value in parts[1:]])
        except ValueError:
            raise ValueError(f"{path}, line {number}: expected numbers after the word, got {line[:60]!r}") from None
        words.append(parts[0])
    if not rows:
        raise ValueError(f"{path}: expected word vectors, got an empty file")
    if header and (int(first[0]), int(first[1])) != (len(rows), len(rows[0])):
        raise ValueError(f"{path}: the header promises {first[0]} vectors of {first[1]} numbers, "
                         f"got {len(rows)} of {len(rows[0])}")
    return words, torch.tensor(rows)


def write_word_vectors(path: str | os.PathLike, words: Sequence[str], vectors: torch.Tensor,
                       header: bool = True) -> None:
    """Write ``vectors`` (one row per word) in word2vec's text format (``header=False``: GloVe's).

    Taught on page ``ch03_algorithms``.
    """
    check_shape("vectors", vectors, (len(words), None), "(len(words), dim)")
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    lines += [" ".join([word, *(f"{value:.6g}" for value in row.tolist())]) for word, row in zip(words, vectors)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


class OutputLayer(torch.nn.Module):
    """``z = h Wᵀ + b``: hidden states (..., H) to logits (..., V), in ``torch.nn.Linear``'s layout and
    initialisation (W and b uniform in ±1/√H).

    Taught on page ``ch03_algorithms``.
    """

    def __init__(self, hidden_size: int, vocab_size: int) -> None:
        super().__init__()
        if hidden_size < 1 or vocab_size < 1:
            raise ValueError(f"expected hidden_size >= 1 and vocab_size >= 1, got {hidden_size} and {vocab_size}")
        bound = hidden_size ** -0.5
        self.weight = torch.nn.Parameter(torch.empty(vocab_size, hidden_size).uniform_(-bound, bound))
        self.bias = torch.nn.Parameter(torch.empty(vocab_size).uniform_(-bound, bound))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        check_shape("hidden", hidden, (*([None] * (hidden.ndim - 1)), self.weight.shape[1]),
                    "(..., hidden_size)")
        return hidden @ self.weight.t() + self.bias
