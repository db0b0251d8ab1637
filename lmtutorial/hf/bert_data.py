"""Reviews to BERT inputs: WordPiece ids, head+tail truncation, token-budget length buckets and dynamic padding."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import datasets
import numpy as np
import torch
from torch.utils.data import Sampler

from lmtutorial.core.checks import check_number
from lmtutorial.data.imdb import arrow_column
from lmtutorial.data.text import clean_review

TRUNCATIONS = ("head", "head+tail")


def column(data: datasets.Dataset, name: str) -> np.ndarray:
    """Column ``name`` of ``data`` as a NumPy array, read through Arrow (:func:`.arrow_column`)."""
    return np.array(arrow_column(data, name).to_numpy())  # a writable copy


def head_tail(ids: Sequence[int], max_tokens: int, head: int) -> list[int]:
    """Keep the first ``head`` and the last ``max_tokens - head`` ids of a sequence longer than ``max_tokens``;
    shorter sequences come back unchanged."""
    if not 0 <= head <= max_tokens:
        raise ValueError(f"head: expected 0..{max_tokens} tokens (max_tokens={max_tokens}), got {head}")
    ids = list(ids)
    if len(ids) <= max_tokens:
        return ids
    tail = max_tokens - head
    return ids[:head] + (ids[len(ids) - tail:] if tail else [])


def tokenize_reviews(
    data: datasets.Dataset,
    tokenizer,
    max_length: int = 512,
    truncation: str = "head+tail",
    head: int = 128,
    clean: bool = True,
    batch_size: int = 1000,
) -> datasets.Dataset:
    """Columns ``input_ids`` (``[CLS]`` … ``[SEP]``, at most ``max_length`` ids), ``label`` and ``length``; no padding.

    ``truncation="head"`` keeps the first ``max_length - 2`` WordPiece tokens (the tokenizer's own truncation);
    ``"head+tail"`` keeps the first ``head`` and the last ``max_length - 2 - head`` (:func:`head_tail`).
    ``clean`` replaces IMDb's ``<br />`` tags with spaces first.
    """
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation: expected one of {TRUNCATIONS}, got {truncation!r}")
    body = max_length - 2  # room left after [CLS] and [SEP]
    if body < 1:
        raise ValueError(f"max_length: expected at least 3 (room for [CLS], one token, [SEP]), got {max_length}")
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls_id is None or sep_id is None:
        raise ValueError(f"tokenizer: expected a BERT-style tokenizer with [CLS] and [SEP] tokens, got "
                         f"{type(tokenizer).__name__} without them")
    missing = arrow_column(data, "text").null_count
    if missing:
        raise ValueError(f"data: expected a review (text) in every row, got {missing} rows without one (None)")

    def encode(batch: dict) -> dict:
        texts = [clean_review(t) for t in batch["text"]] if clean else batch["text"]
        pieces = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        if truncation == "head":
            pieces = [p[:body] for p in pieces]
        else:
            pieces = [head_tail(p, body, min(head, body)) for p in pieces]
        ids = [[cls_id, *p, sep_id] for p in pieces]
        return {"input_ids": ids, "length": [len(i) for i in ids]}

    return data.map(encode, batched=True, batch_size=batch_size, remove_columns=["text"],
                    desc=f"tokenize ({truncation}, max {max_length})")


def token_lengths(texts: Sequence[str], tokenizer, clean: bool = False) -> np.ndarray:
    """Untruncated WordPiece length of each text, ``[CLS]`` and ``[SEP]`` included."""
    texts = [clean_review(t) for t in texts] if clean else list(texts)
    ids = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
    return np.array([len(i) for i in ids], dtype=np.int64)


def round_up(length: int, multiple_of: int) -> int:
    """``length`` rounded up to a multiple of ``multiple_of`` (tensor cores like shapes that are multiples of 8)."""
    return int(math.ceil(length / multiple_of) * multiple_of)


def token_budget_batches(lengths: Sequence[int], max_tokens: int, order: Sequence[int] | None = None,
                         multiple_of: int = 1) -> list[list[int]]:
    """Cut ``order`` (default: longest first) into batches of padded size ``len(batch) × longest`` ≤ ``max_tokens``."""
    lengths = np.asarray(lengths)
    if len(lengths) and round_up(int(lengths.max()), multiple_of) > max_tokens:
        raise ValueError(f"max_tokens: expected at least the longest example "
                         f"({round_up(int(lengths.max()), multiple_of)} tokens), got {max_tokens}")
    if order is None:
        order = np.argsort(-lengths, kind="stable")
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        size = round_up(int(lengths[index]), multiple_of)
        widest = max(longest, size)
        if current and widest * (len(current) + 1) > max_tokens:
            batches.append(current)
            current, widest = [], size
        current.append(int(index))
        longest = widest
    if current:
        batches.append(current)
    return batches


def fixed_size_batches(n: int, batch_size: int, seed: int | None = 0) -> list[list[int]]:
    """``n`` examples in batches of ``batch_size``, shuffled with ``seed`` (``None``: in order), like a plain loader."""
    check_number("n", n, integer=True, minimum=0)
    check_number("batch_size", batch_size, integer=True, minimum=1)
    order = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size].tolist() for i in range(0, n, batch_size)]


def padding_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]], pad_to: int | None = None,
                     multiple_of: int = 1) -> float:
    """Share of padding positions when each batch is padded to its longest member (or to ``pad_to``, as the article).

    ``p = 1 - Σ_i ℓ_i / Σ_b |b| · L_b`` with ``L_b = max_{i ∈ b} ℓ_i``, rounded up to ``multiple_of``."""
    lengths = np.asarray(lengths)
    real = padded = 0
    for batch in batches:
        outside = [i for i in batch if not 0 <= i < len(lengths)]
        if outside:
            raise ValueError(f"batches: expected indices of lengths in [0, {len(lengths) - 1}], got {outside}")
        if not batch:
            continue
        members = lengths[list(batch)]
        width = pad_to if pad_to is not None else round_up(int(members.max()), multiple_of)
        if members.max() > width:
            raise ValueError(f"pad_to: expected at least the longest sequence of every batch ({members.max()}), "
                             f"got {width}")
        real += int(members.sum())
        padded += width * len(members)
    if padded == 0:
        raise ValueError("batches: expected at least one non-empty batch, got none")
    return 1.0 - real / padded


class TokenBudgetBatchSampler(Sampler[list[int]]):
    """Length-bucketed batches of at most ``max_tokens`` padded positions, reshuffled every epoch.

    Lengths are rounded up to ``multiple_of``. Every epoch has the same number of batches, and their order depends
    on ``(seed, epoch)`` alone (:meth:`set_epoch`; without it each pass moves on to the next epoch).
    """

    def __init__(self, lengths: Sequence[int], max_tokens: int, seed: int = 0, multiple_of: int = 8,
                 shuffle: bool = True):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if len(self.lengths) == 0:
            raise ValueError("lengths: expected at least one example, got none")
        self.rounded = np.array([round_up(int(n), multiple_of) for n in self.lengths])
        self.max_tokens, self.seed, self.multiple_of, self.shuffle = max_tokens, seed, multiple_of, shuffle
        self.epoch = 0
        self._count = len(token_budget_batches(self.rounded, max_tokens))

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle ``__iter__`` yields (the Trainer calls this before every epoch)."""
        self.epoch = int(epoch)

    def batches(self) -> list[list[int]]:
        """This epoch's batches, in the order they will be trained on."""
        if not self.shuffle:
            return token_budget_batches(self.rounded, self.max_tokens)
        rng = np.random.default_rng([self.seed, self.epoch])
        shuffled = rng.permutation(len(self.rounded))
        order = shuffled[np.argsort(-self.rounded[shuffled], kind="stable")]
        batches = token_budget_batches(self.rounded, self.max_tokens, order=order)
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches()
        self.epoch += 1  # a loop that never calls set_epoch still gets a new shuffle every epoch
        yield from batches

    def __len__(self) -> int:
        return self._count


class PadCollator:
    """Stack a list of ``{"input_ids", "label"}`` examples into tensors, padding to the batch's longest sequence.

    The width is rounded up to ``multiple_of``; ``attention_mask`` is 1 on real tokens and 0 on padding.
    """

    def __init__(self, pad_token_id: int = 0, multiple_of: int = 8):
        self.pad_token_id, self.multiple_of = pad_token_id, multiple_of

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        if not examples:
            raise ValueError("examples: expected a batch of at least one example, got an empty list")
        if self.pad_token_id is None:
            raise ValueError("pad_token_id: expected the tokenizer's padding id, got None (a tokenizer without a pad "
                             "token; the fine-tune needs an encoder with one)")
        width = round_up(max(len(e["input_ids"]) for e in examples), self.multiple_of)
        ids = torch.full((len(examples), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, example in enumerate(examples):
            n = len(example["input_ids"])
            ids[row, :n] = torch.as_tensor(example["input_ids"], dtype=torch.long)
            mask[row, :n] = 1
        batch = {"input_ids": ids, "attention_mask": mask}
        if "label" in examples[0]:
            batch["labels"] = torch.tensor([e["label"] for e in examples], dtype=torch.long)
        return batch
