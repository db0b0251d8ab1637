"""An offline stand-in for ``bert-base-uncased``: a tiny random BERT with a WordPiece tokenizer trained on the spot,
and toy reviews for when IMDb is absent. ``python -m lmtutorial.hf.tiny_bert FOLDER`` saves one."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

import datasets
import numpy as np
import torch

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
POSITIVE = ("great", "wonderful", "moving", "brilliant", "funny", "loved", "superb", "charming", "beautiful", "best")
NEGATIVE = ("awful", "boring", "dull", "terrible", "waste", "hated", "clumsy", "painful", "worst", "stupid")
NEUTRAL = ("the", "film", "movie", "plot", "acting", "story", "scene", "director", "cast", "was", "and", "a", "it",
           "this", "of", "with", "ending", "music", "actors", "script", "camera", "minutes", "character", "i")


def toy_reviews(n: int, seed: int = 0, min_words: int = 6, max_words: int = 120, own: float = 0.3,
                other: float = 0.05) -> datasets.Dataset:
    """``n`` synthetic reviews (columns ``text``, ``label``), half positive, built from neutral and sentiment words.

    A share ``own`` of the words carries the review's sentiment and a share ``other`` the opposite one.
    """
    if n < 1:
        raise ValueError(f"n: expected at least one review, got {n}")
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        agree, disagree = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        words = []
        for _ in range(int(rng.integers(min_words, max_words + 1))):
            draw = rng.random()
            pool = agree if draw < own else disagree if draw < own + other else NEUTRAL
            words.append(pool[int(rng.integers(len(pool)))])
        texts.append(" ".join(words) + ".")
        labels.append(label)
    return datasets.Dataset.from_dict({"text": texts, "label": labels})


def train_wordpiece(texts: Iterable[str], vocab_size: int = 1000, model_max_length: int = 512):
    """A lower-casing BERT-style WordPiece tokenizer learnt from ``texts`` (``[CLS]`` … ``[SEP]`` around every text),
    as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece()
    backend.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size,
                                                                 special_tokens=list(SPECIAL_TOKENS)))
    cls_id, sep_id = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=model_max_length, pad_token="[PAD]",
                                   unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def tiny_bert(folder: str | os.PathLike, texts: Iterable[str], vocab_size: int = 1000, hidden_size: int = 32,
              num_layers: int = 2, num_heads: int = 2, intermediate_size: int = 64, max_positions: int = 512,
              num_labels: int = 2, seed: int = 0) -> Path:
    """Save a random ``BertForSequenceClassification`` and its freshly trained tokenizer to ``folder``; return it."""
    from transformers import BertConfig, BertForSequenceClassification

    folder = Path(folder)
    tokenizer = train_wordpiece(texts, vocab_size=vocab_size, model_max_length=max_positions)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, num_hidden_layers=num_layers,
                        num_attention_heads=num_heads, intermediate_size=intermediate_size,
                        max_position_embeddings=max_positions, num_labels=num_labels,
                        pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m lmtutorial.hf.tiny_bert", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write config.json, model.safetensors and the tokenizer files")
    parser.add_argument("--reviews", type=int, default=2000, help="toy reviews to learn the vocabulary from")
    parser.add_argument("--vocab-size", type=int, default=1000)
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args(argv)
    folder = tiny_bert(args.folder, toy_reviews(args.reviews)["text"], vocab_size=args.vocab_size,
                       hidden_size=args.hidden_size, num_layers=args.layers)
    print(f"tiny random BERT written to {folder}")
    return folder


if __name__ == "__main__":
    main()
