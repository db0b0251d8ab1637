"""Word-level tokenization and a vocabulary built from training text only."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from lmtutorial.core.checks import lookup_ids

TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)


def clean_review(text: str) -> str:
    """Replace the HTML line breaks (``<br />``) that IMDb reviews contain with spaces."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected a review as a str, got {type(text).__name__}")
    return text.replace("<br />", " ").replace("<br/>", " ")


def tokenize_words(text: str) -> list[str]:
    """Lower-case words (keeping contractions like ``don't``) and single punctuation marks."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(clean_review(text).lower())


class Vocabulary:
    """A bijection between tokens and ids. Ids 0–3 are ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"tokens: expected to start with {SPECIALS}, got {tuple(tokens[:len(SPECIALS)])}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens: expected each token once, got duplicates")
        self.itos = list(tokens)
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[str], max_size: int | None = None, min_freq: int = 1) -> "Vocabulary":
        """Count words in ``texts`` (the training split only) and keep the ``max_size`` most frequent."""
        if isinstance(texts, str):
            raise TypeError("texts: expected an iterable of texts such as a list of str, got a single str "
                            "(it would be read character by character); pass [text]")
        counts = Counter(token for text in texts for token in tokenize_words(text))
        if not counts:
            raise ValueError("texts: expected some words to build a vocabulary from, got none")
        ranked = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(SPECIALS))]
        return cls([*SPECIALS, *ranked])

    def __len__(self) -> int:
        return len(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    @property
    def fingerprint(self) -> str:
        """A short hash of the token list: two vocabularies share it only if every id means the same token."""
        tokens = json.dumps(self.itos, ensure_ascii=False, allow_nan=False)
        return hashlib.sha256(tokens.encode("utf-8")).hexdigest()[:16]

    pad_id = property(lambda self: self.stoi[PAD], doc="The id of the padding token.")
    unk_id = property(lambda self: self.stoi[UNK], doc="The id of the unknown-word token.")
    bos_id = property(lambda self: self.stoi[BOS], doc="The id of the beginning-of-sequence token.")
    eos_id = property(lambda self: self.stoi[EOS], doc="The id of the end-of-sequence token.")

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token ids of ``text``; unknown words map to ``<unk>``. Empty text raises ``ValueError``."""
        tokens = tokenize_words(text)
        if not tokens:
            raise ValueError(f"text: expected at least one word, got {text!r}")
        ids = [self.stoi.get(token, self.unk_id) for token in tokens]
        return [self.bos_id] * add_bos + ids + [self.eos_id] * add_eos

    def decode(self, ids: Iterable[int], skip_specials: bool = True) -> str:
        """Join the tokens of ``ids`` with spaces (special tokens dropped unless ``skip_specials=False``).

        Each id must be an integer in ``0 .. len(self) - 1``; anything else raises one clear error.
        """
        tokens = lookup_ids(ids, self.itos)
        if skip_specials:
            tokens = [t for t in tokens if t not in SPECIALS]
        return " ".join(tokens)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False, allow_nan=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Vocabulary":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))
