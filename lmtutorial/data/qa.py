"""Extractive question answering on IMDb reviews, with answers found by the score rule (weak labels).

Examples have SQuAD 2.0's fields, flattened: ``id``, ``context``, ``question``, ``answer_text`` and ``answer_start``
(``-1`` with ``answer_text == ""``: no answer). Windows share ``stride`` tokens with their neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from lmtutorial.core.checks import check_number
from lmtutorial.data.extract import find_score_spans
from lmtutorial.data.text import clean_review

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

QUESTION = "What score does the reviewer give the film?"
MODEL_INPUTS = ("input_ids", "token_type_ids", "attention_mask")  # what the encoder reads (DistilBERT: no types)


def score_example(text: str, example_id: str | int) -> dict:
    """One SQuAD-style example: the cleaned review as context, the last score the rule finds as the answer."""
    context = clean_review(text)
    spans = find_score_spans(context)
    start, end = (spans[-1].start, spans[-1].end) if spans else (-1, -1)
    return {"id": str(example_id), "context": context, "question": QUESTION,
            "answer_text": context[start:end] if spans else "", "answer_start": start}


def build_examples(texts: Sequence[str], ids: Sequence[str | int] | None = None) -> list[dict]:
    """:func:`score_example` for every review (ids default to the positions ``0, 1, ...``)."""
    if isinstance(texts, str):
        raise TypeError("texts: expected a sequence of reviews, got a single str; pass [text]")
    ids = range(len(texts)) if ids is None else ids
    if len(ids) != len(texts):
        raise ValueError(f"ids: expected one per text ({len(texts)}), got {len(ids)}")
    return [score_example(text, i) for text, i in zip(texts, ids)]


def _windows(tokenizer: PreTrainedTokenizerFast, examples: Sequence[dict], max_length: int, stride: int):
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("tokenizer: expected a fast tokenizer (it returns character offsets), got a slow one")
    if not 0 <= stride < max_length // 2:
        raise ValueError(f"stride: expected 0 <= stride < max_length // 2 = {max_length // 2}, got {stride}")
    return tokenizer([e["question"] for e in examples], [e["context"] for e in examples],
                     truncation="only_second", max_length=max_length, stride=stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True)


def _model_inputs(encoded) -> dict[str, list]:
    return {key: encoded[key] for key in MODEL_INPUTS if key in encoded}


def training_features(tokenizer: PreTrainedTokenizerFast, examples: Sequence[dict], max_length: int = 256,
                      stride: int = 64) -> dict[str, list]:
    """Windows of every example with ``start_positions``/``end_positions`` for ``AutoModelForQuestionAnswering``.

    A window that does not contain the whole answer (or an example without one) points both positions at
    ``[CLS]`` (index 0). ``example_index`` says which example each window came from.
    """
    encoded = _windows(tokenizer, examples, max_length, stride)
    starts, ends = [], []
    for window, example_index in enumerate(encoded["overflow_to_sample_mapping"]):
        example = examples[example_index]
        offsets, sequence = encoded["offset_mapping"][window], encoded.sequence_ids(window)
        first = sequence.index(1)
        last = len(sequence) - 1 - sequence[::-1].index(1)
        answer_start = example["answer_start"]
        answer_end = answer_start + len(example["answer_text"])
        if answer_start < 0 or offsets[first][0] > answer_start or offsets[last][1] < answer_end:
            starts.append(0)
            ends.append(0)
            continue
        token = first
        while token <= last and offsets[token][0] <= answer_start:
            token += 1
        starts.append(token - 1)
        token = last
        while token >= first and offsets[token][1] >= answer_end:
            token -= 1
        ends.append(token + 1)
    return {**_model_inputs(encoded), "start_positions": starts, "end_positions": ends,
            "example_index": list(encoded["overflow_to_sample_mapping"])}


def evaluation_features(tokenizer: PreTrainedTokenizerFast, examples: Sequence[dict], max_length: int = 256,
                        stride: int = 64) -> dict[str, list]:
    """Windows of every example with the character offsets of their review tokens (``None`` elsewhere)."""
    encoded = _windows(tokenizer, examples, max_length, stride)
    offsets = [[span if kind == 1 else None for span, kind in zip(encoded["offset_mapping"][w],
                                                                    encoded.sequence_ids(w))]
               for w in range(len(encoded["input_ids"]))]
    return {**_model_inputs(encoded), "offset_mapping": offsets,
            "example_index": list(encoded["overflow_to_sample_mapping"])}


class Answer(NamedTuple):
    """An answer span ``context[start:start + len(text)]``; ``text == ""`` and ``start == -1``: no answer."""

    text: str
    start: int


def decode_answers(start_logits: Sequence[np.ndarray], end_logits: Sequence[np.ndarray], features: dict,
                   examples: Sequence[dict], max_answer_tokens: int = 12, n_best: int = 20) -> list[Answer]:
    """The answer to each example, or ``Answer("", -1)`` for "no answer", from the windows' start and end logits.

    SQuAD 2.0's rule: the best span over all windows (start ≤ end, at most ``max_answer_tokens`` tokens, both ends
    inside the review) competes with the no-answer score, ``start[0] + end[0]`` at ``[CLS]``, taken as the lowest over
    the example's windows; the span is the answer when its score is higher.
    """
    if not len(start_logits) == len(end_logits) == len(features["example_index"]):
        raise ValueError(f"logits: expected one row per window ({len(features['example_index'])}), "
                         f"got {len(start_logits)} start and {len(end_logits)} end rows")
    best = [(-np.inf, Answer("", -1)) for _ in examples]
    null = [np.inf for _ in examples]
    for window, example_index in enumerate(features["example_index"]):
        start, end = np.asarray(start_logits[window]), np.asarray(end_logits[window])
        offsets = features["offset_mapping"][window]
        null[example_index] = min(null[example_index], float(start[0] + end[0]))
        context = examples[example_index]["context"]
        for i in np.argsort(start[: len(offsets)])[::-1][:n_best]:
            for j in np.argsort(end[: len(offsets)])[::-1][:n_best]:
                if offsets[i] is None or offsets[j] is None or not 0 <= j - i < max_answer_tokens:
                    continue
                score = float(start[i] + end[j])
                if score > best[example_index][0]:
                    span = Answer(context[offsets[i][0]: offsets[j][1]], offsets[i][0])
                    best[example_index] = (score, span)
    return [span if score > no_answer else Answer("", -1) for (score, span), no_answer in zip(best, null)]


def balance_windows(features: dict, null_per_answer: float = 1.0, seed: int = 0) -> dict[str, list]:
    """All windows that contain an answer and a random ``null_per_answer`` times as many that do not."""
    check_number("null_per_answer", null_per_answer, minimum=0)
    starts = np.asarray(features["start_positions"])
    answers, nulls = np.flatnonzero(starts > 0), np.flatnonzero(starts == 0)
    count = min(len(nulls), round(null_per_answer * len(answers)))
    keep = np.sort(np.concatenate([answers, np.random.default_rng(seed).choice(nulls, count, replace=False)]))
    return {key: [values[i] for i in keep] for key, values in features.items()}


def answer_ids(features: dict, window: int) -> list[int]:
    """The token ids of the answer labelled in ``window`` of :func:`training_features` (``[]``: no answer)."""
    start, end = features["start_positions"][window], features["end_positions"][window]
    return features["input_ids"][window][start: end + 1] if start > 0 else []
