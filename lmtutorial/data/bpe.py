"""Byte-pair encoding (BPE) from scratch, byte-level as in GPT-2, merge for merge the same as the ``tokenizers``
library's ``BpeTrainer`` with a ``ByteLevel(add_prefix_space=False)`` pre-tokenizer.

Training repeats: count adjacent token pairs in the corpus, merge the most frequent pair (a, b) into a new token ab.

Pre-tokenization: GPT-2's regular expression splits a text into words (a word keeps the space before it), and
each UTF-8 byte is shown as one printable character (a space is ``Ġ``). Alphabet: the 256 bytes, ids 0–255 in
the order of those characters' code points (the library's order); merged tokens follow in the order learnt.
The one difference: characters added to Unicode after 16.0 (e.g. CJK Extension J) are letters for the ``regex``
package, symbols for ``tokenizers`` 0.23, so a word holding one can be split differently.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lmtutorial.core.checks import check_number, lookup_ids

if TYPE_CHECKING:
    import tokenizers

# GPT-2's pre-tokenizer (Radford et al. 2019): contractions, letters, digits, other symbols, each with one
# space in front; runs of spaces. The `regex` package (a dependency of transformers) knows \p{L} and \p{N}.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def byte_characters() -> list[str]:
    """GPT-2's printable character for each byte 0–255: printable Latin-1 bytes stand for themselves, the
    others (space, control characters) for 256 + n in their order (byte 32, the space, becomes ``Ġ``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(others)) for b in range(256)]


BYTE_CHARACTERS = byte_characters()
ALPHABET = sorted(BYTE_CHARACTERS)  # ids 0–255: the library sorts its alphabet by character
TO_CHARACTERS = str.maketrans({chr(b): c for b, c in enumerate(BYTE_CHARACTERS)})
TO_BYTES = str.maketrans({c: chr(b) for b, c in enumerate(BYTE_CHARACTERS)})


def pretokenize(text: str) -> list[str]:
    """The words of ``text`` (GPT-2's pattern), their UTF-8 bytes written as characters: ``"I'm ok"`` →
    ``["I", "'m", "Ġok"]``."""
    import regex

    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return [word.encode("utf-8").decode("latin-1").translate(TO_CHARACTERS)
            for word in regex.findall(GPT2_PATTERN, text)]


def merge(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``ids`` with every occurrence of ``pair``, from left to right, replaced by ``new_id``.

    Taught on page ``ch03_1_transformer``.
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


class BPE:
    """A trained byte-level BPE tokenizer: ``vocab`` (the token of each id) and ``merges`` (pairs of tokens, in
    the order learnt). ``encode`` applies, in each word, the earliest-learnt merge that occurs, until none does."""

    def __init__(self, vocab: Sequence[str], merges: Sequence[tuple[str, str]]) -> None:
        if list(vocab[:len(ALPHABET)]) != ALPHABET:
            raise ValueError(f"vocab: expected the 256 byte characters of ALPHABET first, got {list(vocab[:5])}...")
        self.vocab, self.merges = list(vocab), [tuple(m) for m in merges]
        self.ids = {token: i for i, token in enumerate(self.vocab)}
        self.ranks = {(self.ids[a], self.ids[b]): rank for rank, (a, b) in enumerate(self.merges)}
        self.cache: dict[str, list[int]] = {}  # word -> ids

    def __len__(self) -> int:
        return len(self.vocab)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BPE) and (self.vocab, self.merges) == (other.vocab, other.merges)

    def __repr__(self) -> str:
        return f"BPE(vocab_size={len(self.vocab)}, merges={len(self.merges)})"

    def encode_word(self, word: str) -> list[int]:
        """The ids of one pre-tokenized word: merge its lowest-ranked pair, again and again (cached per word)."""
        if word not in self.cache:
            ids = [self.ids[c] for c in word]
            while len(ids) > 1:
                pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, math.inf))
                if pair not in self.ranks:
                    break
                ids = merge(ids, pair, self.ids[self.vocab[pair[0]] + self.vocab[pair[1]]])
            self.cache[word] = ids
        return self.cache[word]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; every text can be encoded (there is no unknown token)."""
        return [i for word in pretokenize(text) for i in self.encode_word(word)]

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as the vocabulary writes them (``Ġ`` for a space)."""
        return [self.vocab[i] for i in self.encode(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``; bytes that are not valid UTF-8 (a cut character) become ``�``."""
        raw = "".join(lookup_ids(ids, self.vocab)).translate(TO_BYTES).encode("latin-1")
        return raw.decode("utf-8", errors="replace")

    def truncated(self, vocab_size: int) -> BPE:
        """The tokenizer that training with a smaller ``vocab_size`` gives: the first merges (training is greedy)."""
        check_number("vocab_size", vocab_size, minimum=len(ALPHABET), maximum=len(self.vocab), integer=True)
        last = vocab_size - 1  # keep the merges up to the one that made this token (a merge may remake a token)
        count = 0 if last < len(ALPHABET) else 1 + [self.ids[a + b] for a, b in self.merges].index(last)
        return BPE(self.vocab[:vocab_size], self.merges[:count])


def check_texts(texts: Iterable[str]) -> list[str]:
    """``texts`` as a list of str, or one clear error naming what came."""
    if isinstance(texts, str):
        raise TypeError("texts: expected an iterable of texts such as a list of str, got a single str; pass [text]")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"texts: expected an iterable of str, got {type(texts).__name__}") from None
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}]: expected a str, got {type(text).__name__}")
    return texts


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 0) -> BPE:
    """Learn merges until the vocabulary has ``vocab_size`` tokens or no pair occurs ``min_frequency`` times.

    Each step merges the most frequent pair; a tie goes to the pair (a, b) with the smallest (id of a, id of b),
    the rule of the ``tokenizers`` trainer. Pairs are counted once per distinct word (times its count) and only
    the words holding the merged pair are recounted.

    Taught on page ``ch03_1_transformer``.
    """
    texts = check_texts(texts)
    check_number("vocab_size", vocab_size, minimum=len(ALPHABET), integer=True)
    check_number("min_frequency", min_frequency, minimum=0, integer=True)
    counts = Counter(word for text in texts for word in pretokenize(text))
    if not counts:
        raise ValueError(f"texts: expected some text to learn merges from, got {len(texts)} empty texts")
    vocab, merges = list(ALPHABET), []
    ids = {token: i for i, token in enumerate(vocab)}
    words = [[ids[c] for c in word] for word in counts]
    frequency = list(counts.values())
    pairs: Counter[tuple[int, int]] = Counter()
    where = defaultdict(set)  # pair -> the words it occurs in (or once did)
    for w, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pairs[pair] += frequency[w]
            where[pair].add(w)
    heap = [(-n, *pair) for pair, n in pairs.items()]  # the most frequent first, then the smallest ids
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        n, a, b = heapq.heappop(heap)
        if -n != pairs[a, b]:  # an outdated count: push the current one back
            if pairs[a, b] > 0:
                heapq.heappush(heap, (-pairs[a, b], a, b))
            continue
        if -n < max(min_frequency, 1):
            break
        token = vocab[a] + vocab[b]
        if token not in ids:  # two different merges can build the same token
            ids[token] = len(vocab)
            vocab.append(token)
        merges.append((vocab[a], vocab[b]))
        new_pairs = set()
        for w in where.pop((a, b)):
            word, new = words[w], merge(words[w], (a, b), ids[token])
            if len(new) == len(word):
                continue
            for pair in zip(word, word[1:]):
                pairs[pair] -= frequency[w]
            for pair in zip(new, new[1:]):
                pairs[pair] += frequency[w]
                if ids[token] in pair:
                    where[pair].add(w)
                    new_pairs.add(pair)
            words[w] = new
        for pair in new_pairs:  # only pairs with the new token can grow; the others wait, outdated, in the heap
            heapq.heappush(heap, (-pairs[pair], *pair))
    return BPE(vocab, merges)


def train_tokenizers_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 0) -> tokenizers.Tokenizer:
    """The same training done by the ``tokenizers`` library: ``BpeTrainer`` with the 256 byte characters as its
    initial alphabet, after a ``ByteLevel(add_prefix_space=False)`` pre-tokenizer (GPT-2's settings)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    texts = check_texts(texts)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def tokenizers_merges(tokenizer: tokenizers.Tokenizer) -> list[tuple[str, str]]:
    """The merges of a ``tokenizers`` BPE model, in order, as pairs of tokens."""
    import json

    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


@dataclass
class Agreement:
    """How far our BPE and the library's agree: merges in the same place, texts encoded to the same ids."""

    merges: int
    same_merges: int
    first_different_merge: int | None
    same_vocab: bool
    texts: int
    same_encodings: int
    tokens: int


def compare_with_tokenizers(bpe: BPE, tokenizer: tokenizers.Tokenizer, texts: Iterable[str]) -> Agreement:
    """Compare the merges (position by position), the vocabularies and the ids each one gives ``texts``.

    Taught on page ``ch03_1_transformer``.
    """
    theirs = tokenizers_merges(tokenizer)
    same = [ours == their for ours, their in zip(bpe.merges, theirs)]
    first = same.index(False) if False in same else None if len(bpe.merges) == len(theirs) else len(same)
    texts = check_texts(texts)
    ours = [bpe.encode(text) for text in texts]
    encoded = [e.ids for e in tokenizer.encode_batch(texts)]
    return Agreement(merges=max(len(bpe.merges), len(theirs)), same_merges=sum(same), first_different_merge=first,
                     same_vocab=tokenizer.get_vocab() == bpe.ids, texts=len(texts),
                     same_encodings=sum(a == b for a, b in zip(ours, encoded)), tokens=sum(map(len, ours)))


def subword_table(train: Sequence[str], held_out: Sequence[str], vocab_sizes: Sequence[int]) -> list[dict]:
    """Why LLMs use sub-words: for each vocabulary size, the share of held-out words that a word vocabulary of
    that size does not know (its out-of-vocabulary rate) and the tokens per held-out review of BPE (which knows
    every text).

    Both learn from ``train`` with IMDb's ``<br />`` removed; the word vocabulary is
    :class:`~lmtutorial.data.text.Vocabulary` (lower-cased words and punctuation marks, its four special tokens
    included in the size). One row per size: ``vocab_size``, ``oov_rate``, ``words_per_review``,
    ``bpe_tokens_per_review``, ``bytes_per_review`` (the tokens of a 256-token BPE).

    Taught on page ``ch03_1_transformer``.
    """
    from lmtutorial.data.text import Vocabulary, clean_review, tokenize_words

    train = [clean_review(text) for text in check_texts(train)]
    held_out = [clean_review(text) for text in check_texts(held_out)]
    if not held_out:
        raise ValueError("held_out: expected at least one review, got none")
    if isinstance(vocab_sizes, (int, str)) or not vocab_sizes:
        raise ValueError(f"vocab_sizes: expected a non-empty list of vocabulary sizes, got {vocab_sizes!r}")
    for index, size in enumerate(vocab_sizes):
        check_number(f"vocab_sizes[{index}]", size, minimum=len(ALPHABET), integer=True)
    words = Vocabulary.build(train, max_size=max(vocab_sizes)).itos  # a smaller vocabulary is a prefix of it
    bpe = train_bpe(train, max(vocab_sizes))  # so are a smaller BPE's merges
    reviews = [tokenize_words(text) for text in held_out]
    total = sum(map(len, reviews))
    rows = []
    for size in vocab_sizes:
        known, smaller = set(words[:size]), bpe.truncated(min(size, len(bpe)))
        rows.append({"vocab_size": size,
                     "oov_rate": sum(word not in known for review in reviews for word in review) / max(total, 1),
                     "words_per_review": total / len(held_out),
                     "bpe_tokens_per_review": sum(len(smaller.encode(text)) for text in held_out) / len(held_out),
                     "bytes_per_review": sum(len(text.encode("utf-8")) for text in held_out) / len(held_out)})
    return rows


def plot_subword_table(rows: Sequence[dict], ax=None):  # noqa: ANN001, ANN201 - matplotlib types
    """The rows of :func:`subword_table`: the word vocabulary's OOV rate (left axis) and BPE's tokens per review
    (right axis) against the vocabulary size; returns the left axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.subplots(figsize=(7, 4))[1]
    sizes = [row["vocab_size"] for row in rows]
    ax.plot(sizes, [100 * row["oov_rate"] for row in rows], "o-", color="C0", label="words: out of vocabulary")
    ax.set(xscale="log", xlabel="vocabulary size", ylabel="held-out words out of vocabulary (%)")
    right = ax.twinx()
    right.plot(sizes, [row["bpe_tokens_per_review"] for row in rows], "s--", color="C1", label="BPE: tokens")
    right.axhline(rows[0]["words_per_review"], color="gray", lw=0.8, label="words per review")
    right.set(ylabel="BPE tokens per review")
    ax.legend(handles=ax.get_lines() + right.get_lines(), loc="upper center")
    return ax
