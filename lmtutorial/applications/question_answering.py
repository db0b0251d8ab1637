"""Chapter 6.3: extractive question answering with a span head, fine-tuned on the score rule's weak labels and
scored by SQuAD's exact match and F1 (:func:`squad_scores`) and against IMDb's labels (:func:`extraction_scores`).
"""

from __future__ import annotations

import collections
import os
import re
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lmtutorial.data.extract import parse_score, score_to_label
from lmtutorial.data.qa import Answer, decode_answers, evaluation_features, MODEL_INPUTS

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

SQUAD_HUB_MODEL = "distilbert/distilbert-base-cased-distilled-squad"


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation (the official evaluation script): lower case, no punctuation, no articles
    (a, an, the), single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, truth: str) -> float:
    """1.0 when the normalised answers are equal, else 0.0 (two empty answers, "no answer", are equal)."""
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1(prediction: str, truth: str) -> float:
    """SQuAD's token F1 between the normalised answers; 1.0 if both are empty, 0.0 if only one is (SQuAD 2.0)."""
    predicted, true = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if not predicted or not true:
        return float(predicted == true)
    common = sum((collections.Counter(predicted) & collections.Counter(true)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(true)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: Sequence[str], truths: Sequence[str]) -> dict[str, float]:
    """Exact match and F1 in percent, overall and, as in SQuAD 2.0, on the answerable questions (``has_answer_``)
    and the unanswerable ones (``no_answer_``, where both measures are the share of correct abstentions)."""
    if len(predictions) != len(truths) or not truths:
        raise ValueError(f"predictions: expected one per truth and at least one, got {len(predictions)} "
                         f"predictions for {len(truths)} truths")
    em = np.array([exact_match(p, t) for p, t in zip(predictions, truths)])
    f = np.array([f1(p, t) for p, t in zip(predictions, truths)])
    has = np.array([bool(normalize_answer(t)) for t in truths])
    scores = {"exact": 100 * em.mean(), "f1": 100 * f.mean(), "total": len(truths)}
    for name, rows in (("has_answer", has), ("no_answer", ~has)):
        scores.update({f"{name}_exact": 100 * em[rows].mean() if rows.any() else float("nan"),
                       f"{name}_f1": 100 * f[rows].mean() if rows.any() else float("nan"),
                       f"{name}_total": int(rows.sum())})
    return scores


def extraction_scores(scores: Sequence[float | None], labels: Sequence[int]) -> dict[str, float]:
    """Coverage and precision of an extractor that reads a ten-point score (or nothing, ``None``) from each review.

    A score decides the review's label by IMDb's rule (≤ 4 negative, ≥ 7 positive); ``coverage`` is the share of
    reviews it decides, ``precision`` the share of decided reviews whose label matches IMDb's.
    """
    if len(scores) != len(labels) or not labels:
        raise ValueError(f"scores: expected one per label and at least one, got {len(scores)} scores for "
                         f"{len(labels)} labels")
    decided = [(score_to_label(s), y) for s, y in zip(scores, labels) if s is not None]
    decided = [(p, y) for p, y in decided if p is not None]
    correct = sum(p == y for p, y in decided)
    return {"answered": sum(s is not None for s in scores) / len(labels), "coverage": len(decided) / len(labels),
            "precision": correct / len(decided) if decided else float("nan"), "decided": len(decided),
            "correct": correct, "reviews": len(labels)}


def answer_scores(answers: Sequence[str]) -> list[float | None]:
    """The ten-point score in each answer span (:func:`~lmtutorial.data.extract.parse_score`), ``None`` for none."""
    return [parse_score(a) if a else None for a in answers]


def load_span_model(name_or_path: str | os.PathLike, seed: int = 0) -> tuple[PreTrainedTokenizerFast, PreTrainedModel]:
    """Tokenizer and encoder with a new span head, in float32 (the head is initialised from ``seed``)."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging

    torch.manual_seed(seed)
    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()  # the load report lists the new head and the unused pooler: both expected
    logging.disable_progress_bar()
    try:
        model = AutoModelForQuestionAnswering.from_pretrained(name_or_path, dtype=torch.float32)
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()
    return AutoTokenizer.from_pretrained(name_or_path), model


def _batch(tokenizer: PreTrainedTokenizerFast, features: dict, rows: Sequence[int], labels: bool) -> dict:
    keys = [key for key in MODEL_INPUTS if key in features]
    batch = tokenizer.pad({k: [features[k][r] for r in rows] for k in keys}, return_tensors="pt")
    if labels:
        import torch

        for key in ("start_positions", "end_positions"):
            batch[key] = torch.tensor([features[key][r] for r in rows])
    return batch


def fine_tune(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, features: dict, *, epochs: int = 1,
              batch_size: int = 16, lr: float = 1e-4, warmup: float = 0.1, seed: int = 0) -> list[float]:
    """Train ``model`` in place on ``features`` (:func:`~lmtutorial.data.qa.training_features`) with AdamW and a
    linear warm-up then decay; return the loss of every step (the mean of the start and end cross-entropies)."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    count = len(features["input_ids"])
    if count == 0:
        raise ValueError("features: expected at least one training window, got none")
    generator = np.random.default_rng(seed)
    steps = epochs * -(-count // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = get_linear_schedule_with_warmup(optimizer, int(warmup * steps), steps)
    losses = []
    model.train()
    for _ in range(epochs):
        order = generator.permutation(count)
        for first in range(0, count, batch_size):
            loss = model(**_batch(tokenizer, features, order[first: first + batch_size], labels=True)).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    model.eval()
    return losses


def answer(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, examples: Sequence[dict], *,
           max_length: int = 256, stride: int = 64, batch_size: int = 64) -> list[Answer]:
    """The model's answer to each example (text ``""``: no answer), over all windows of each review."""
    import torch

    features = evaluation_features(tokenizer, examples, max_length, stride)
    order = np.argsort([len(ids) for ids in features["input_ids"]])  # similar lengths together: little padding
    start_logits: list[np.ndarray] = [np.empty(0)] * len(order)
    end_logits: list[np.ndarray] = [np.empty(0)] * len(order)
    model.eval()
    with torch.inference_mode():
        for first in range(0, len(order), batch_size):
            rows = order[first: first + batch_size]
            output = model(**_batch(tokenizer, features, rows, labels=False))
            for k, row in enumerate(rows):
                n = len(features["input_ids"][row])
                start_logits[row] = output.start_logits[k, :n].numpy()
                end_logits[row] = output.end_logits[k, :n].numpy()
    return decode_answers(start_logits, end_logits, features, examples)


def squad_pipeline(question: str, context: str, model: str = SQUAD_HUB_MODEL) -> dict | None:
    """The standard SQuAD path: ``pipeline("question-answering", model=...)`` from the Hub, when it is reachable.

    Offline (no network, or ``HF_HUB_OFFLINE`` set) it prints one line saying it was skipped and returns ``None``.
    """
    from lmtutorial.data.imdb import hub_reachable

    if not hub_reachable():
        print(f"skipped: the Hugging Face Hub is not reachable here, so {model!r} cannot be downloaded")
        return None
    from transformers import pipeline

    return pipeline("question-answering", model=model)(question=question, context=context)
