"""Skip-gram with negative sampling: word vectors v_w (input) and u_w (output) learned by predicting nearby words.

    ℓ(w, c) = -log σ(u_c · v_w) - Σ_{j=1..k} log σ(-u_{n_j} · v_w),   noise words n_j ~ P_n(w) ∝ count(w)^0.75
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from lmtutorial.core.checks import check_number
from lmtutorial.core.optim import Adam
from lmtutorial.progress import tqdm

TABLE_SIZE = 1_000_000


def noise_distribution(counts: torch.Tensor, power: float = 0.75) -> torch.Tensor:
    """P_n(w) = count(w)^power / Σ_v count(v)^power: the distribution noise words are drawn from."""
    weights = counts.double().pow(power) * (counts > 0)
    total = weights.sum()
    if total <= 0:
        raise ValueError("counts: expected at least one word with a positive count, got none")
    return weights / total


def keep_probability(counts: torch.Tensor, threshold: float) -> torch.Tensor:
    """min(1, √(t / f(w))) with f(w) = count(w) / Σ_v count(v): how often subsampling keeps an occurrence of w."""
    check_number("subsample", threshold, above=0)  # such as 1e-3
    frequency = counts.double() / counts.sum()
    return torch.where(counts > 0, (threshold / frequency.clamp_min(1e-300)).sqrt().clamp(max=1.0), 0.0)


def context_pairs(
    tokens: torch.Tensor, documents: torch.Tensor, window: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (centre, context) pair of ids whose distance is at most r, within one document.

    ``tokens`` and ``documents`` are aligned 1-D tensors (``documents[i]`` says which text token i came from);
    r is drawn for every centre uniformly from 1 … ``window``.
    """
    reach = torch.randint(1, window + 1, tokens.shape, generator=generator)
    centres, contexts = [], []
    for offset in range(1, window + 1):
        same_document = documents[:-offset] == documents[offset:]
        right = same_document & (reach[:-offset] >= offset)  # centre i, context i + offset
        left = same_document & (reach[offset:] >= offset)  # centre i + offset, context i
        centres += [tokens[:-offset][right], tokens[offset:][left]]
        contexts += [tokens[offset:][right], tokens[:-offset][left]]
    return torch.cat(centres), torch.cat(contexts)


class SkipGram(torch.nn.Module):
    """Input vectors v (``in_vectors``, uniform in ±0.5/dim) and output vectors u (``out_vectors``, zero),
    initialised as in word2vec.

    Taught on page ``ch04_math``.
    """

    def __init__(self, vocab_size: int, dim: int, seed: int = 0) -> None:
        super().__init__()
        if vocab_size < 2 or dim < 1:
            raise ValueError(f"expected vocab_size >= 2 and dim >= 1, got vocab_size={vocab_size}, dim={dim}")
        self.in_vectors = torch.nn.Embedding(vocab_size, dim)
        self.out_vectors = torch.nn.Embedding(vocab_size, dim)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.in_vectors.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=generator)
            self.out_vectors.weight.zero_()

    def forward(self, centres: torch.Tensor, contexts: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-pair loss ℓ(w, c) for ``centres`` and ``contexts`` of shape (batch,) and ``noise`` of (batch, k)."""
        v = self.in_vectors(centres)
        positive = F.logsigmoid((v * self.out_vectors(contexts)).sum(-1))
        negative = F.logsigmoid(-(self.out_vectors(noise) * v.unsqueeze(1)).sum(-1)).sum(-1)
        return -(positive + negative)

    @property
    def vectors(self) -> torch.Tensor:
        """The word vectors: row i is v of vocabulary id i (a detached copy)."""
        return self.in_vectors.weight.detach().clone()


def train_skipgram(
    model: SkipGram,
    sequences: Sequence[Sequence[int]],
    window: int = 5,
    negatives: int = 5,
    epochs: int = 1,
    batch_size: int = 4096,
    lr: float = 0.01,
    subsample: float | None = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    """Train ``model`` on ``sequences`` (one list of token ids per text) with Adam; return every batch's mean loss.

    Ids must lie in ``[0, vocab_size)``. Pairs never cross from one text into the next. Noise words and
    subsampling use the word counts of ``sequences``.

    Taught on page ``ch04_math``.
    """
    for name, value in (("window", window), ("negatives", negatives), ("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    check_number("lr", lr, above=0)
    vocab_size = model.in_vectors.num_embeddings
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    if int(lengths.sum()) == 0:
        raise ValueError("sequences: expected some token ids to train on, got an empty corpus")
    tokens = torch.tensor([i for s in sequences for i in s], dtype=torch.long)
    if int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size:
        raise ValueError(f"sequences: expected ids in [0, {vocab_size - 1}] (the model's vocabulary), "
                         f"got values from {int(tokens.min())} to {int(tokens.max())}")
    documents = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    counts = torch.bincount(tokens, minlength=vocab_size)
    keep = keep_probability(counts, subsample).float() if subsample is not None else torch.ones(vocab_size)

    generator = torch.Generator().manual_seed(seed)
    table = torch.multinomial(noise_distribution(counts).float(), TABLE_SIZE, replacement=True, generator=generator)
    optimizer = Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    for epoch in range(epochs):
        kept = torch.rand(tokens.shape, generator=generator) < keep[tokens]
        centres, contexts = context_pairs(tokens[kept], documents[kept], window, generator)
        if len(centres) == 0:
            raise ValueError("sequences: expected texts of at least two tokens, got no (centre, context) pairs")
        order = torch.randperm(len(centres), generator=generator)
        for start in tqdm(range(0, len(order), batch_size), desc=f"skip-gram epoch {epoch + 1}/{epochs}",
                          disable=not progress):
            picked = order[start:start + batch_size]
            noise = table[torch.randint(TABLE_SIZE, (len(picked), negatives), generator=generator)]
            loss = model(centres[picked], contexts[picked], noise).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
