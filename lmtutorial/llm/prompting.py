"""Classifying text by prompting a chat LLM (:func:`score_reviews`): zero-shot and k-shot prompts, label-word
scoring, contextual calibration. Labels are 0 = negative, 1 = positive, as in IMDb."""

from __future__ import annotations

import copy
import inspect
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lmtutorial.data.text import clean_review

LABEL_WORDS = ("negative", "positive")
INSTRUCTION = "Is the sentiment of this movie review positive or negative? Answer with one word."
CONTENT_FREE = "N/A"


def review_text(text: str, max_words: int | None = 150) -> str:
    """``text`` without IMDb's ``<br />`` tags, cut to its first ``max_words`` words (``None``: all)."""
    words = clean_review(text).split()
    if not words:
        raise ValueError(f"text: expected a non-empty review, got {text!r}")
    return " ".join(words if max_words is None else words[:max_words])


def sentiment_messages(
    review: str, shots: Sequence[tuple[str, int]] = (), instruction: str = INSTRUCTION,
    label_words: Sequence[str] = LABEL_WORDS,
) -> list[dict[str, str]]:
    """Chat messages asking for the sentiment of ``review``, after one user/assistant exchange per shot."""
    messages = []
    for text, label in shots:
        messages += [{"role": "user", "content": f"{instruction}\n\nReview: {text}"},
                     {"role": "assistant", "content": label_words[label]}]
    return messages + [{"role": "user", "content": f"{instruction}\n\nReview: {review}"}]


def chat_prompt(tokenizer, messages: list[dict[str, str]]) -> str:
    """The text the model reads: ``messages`` rendered by the tokenizer's chat template, ending where the
    assistant's answer begins."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def sample_shots(pool: Sequence[tuple[str, int]], k: int, seed: int = 0) -> list[tuple[str, int]]:
    """``k`` distinct examples drawn from ``pool`` with ``random.Random(seed)``."""
    if not 0 <= k <= len(pool):
        raise ValueError(f"k: expected 0..{len(pool)} examples (the size of the pool), got {k}")
    return [pool[i] for i in random.Random(seed).sample(range(len(pool)), k)]


def label_token_ids(tokenizer, words: Sequence[str] = LABEL_WORDS) -> list[int]:
    """The token id of each label word; a word that is several tokens cannot be scored by one next token."""
    ids = []
    for word in words:
        tokens = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(tokens) != 1:
            raise ValueError(f"label word {word!r}: expected one token, got {len(tokens)}: "
                             f"{tokenizer.convert_ids_to_tokens(tokens)}; choose a word the tokenizer keeps whole")
        ids.append(tokens[0])
    return ids


def context_length(model: torch.nn.Module) -> int:
    """The most tokens the model attends to: its config's ``max_position_embeddings``."""
    return model.config.max_position_embeddings


@torch.no_grad()
def next_token_log_probs(
    model: torch.nn.Module, tokenizer, prompts: Sequence[str], token_ids: Sequence[int], batch_size: int = 8,
    share_prefix: bool = True,
) -> torch.Tensor:
    """log p(next token = t | prompt) for each prompt (rows) and each t in ``token_ids`` (columns).

    ``share_prefix``: run the tokens all prompts share once and reuse their keys and values (same result).
    """
    encoded = [tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]
    limit = context_length(model)
    for prompt, ids in zip(prompts, encoded):
        if not ids:
            raise ValueError(f"prompt: expected a non-empty prompt, got {prompt!r}")
        if len(ids) > limit:
            raise ValueError(f"prompt: expected at most {limit} tokens (the model's context), got {len(ids)}; "
                             "use fewer or shorter examples")
    shared = shared_prefix_length(encoded) if share_prefix else 0
    prefix_cache = None
    # transformers 5.25 renamed the forward's ``past_key_values`` to ``cache``; an unknown keyword is swallowed by
    # ``**kwargs`` and the prefix would silently be dropped, so pass the cache under the name the model takes.
    cache_keyword = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    if shared:
        prefix = model(input_ids=torch.tensor([encoded[0][:shared]]), use_cache=True)
        prefix_cache = prefix["cache"] if "cache" in prefix else prefix.past_key_values  # < 5.25
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    columns = torch.tensor(list(token_ids))
    out = torch.empty(len(encoded), len(columns))
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        width = max(len(encoded[i]) for i in rows) - shared
        ids = torch.full((len(rows), width), pad)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, width - len(encoded[i]) + shared:] = torch.tensor(encoded[i][shared:])
            mask[r, width - len(encoded[i]) + shared:] = 1
        positions = shared + (mask.cumsum(-1) - 1).clamp(min=0)
        cache = None
        if prefix_cache is not None:
            cache = copy.deepcopy(prefix_cache)
            cache.batch_repeat_interleave(len(rows))
            mask = torch.cat([torch.ones((len(rows), shared), dtype=torch.long), mask], dim=1)
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, **{cache_keyword: cache},
                       logits_to_keep=1).logits[:, -1].float()  # the output layer at the last position only
        out[rows] = torch.log_softmax(logits, dim=-1)[:, columns]
    return out


def shared_prefix_length(encoded: Sequence[Sequence[int]]) -> int:
    """How many leading tokens all ``encoded`` prompts share, leaving each at least one token of its own."""
    shortest = min(len(ids) for ids in encoded)
    length = 0
    while length < shortest - 1 and all(ids[length] == encoded[0][length] for ids in encoded):
        length += 1
    return length


def calibrate(log_probs: torch.Tensor, content_free: torch.Tensor) -> torch.Tensor:
    """Contextual calibration: ``q_y = (p̂_y / p̂_cf,y) / Σ_y' (p̂_y' / p̂_cf,y')``, p̂ renormalised over the labels.

    ``log_probs`` (n, labels); ``content_free`` (labels,) or (m, labels), whose p̂ are averaged. Returns q (n, labels).
    """
    p = torch.softmax(log_probs, dim=-1)
    p_cf = torch.softmax(content_free.reshape(-1, log_probs.shape[-1]), dim=-1).mean(0)
    q = p / (p_cf / p_cf.sum())
    return q / q.sum(-1, keepdim=True)


@dataclass
class PromptScores:
    """Next-token log-probabilities of the label words for each review (``log_probs``, (n, labels)) and for
    the content-free inputs in the same prompt (``content_free``, (m, labels))."""

    log_probs: torch.Tensor
    content_free: torch.Tensor

    def predictions(self, calibrated: bool = False) -> torch.Tensor:
        """The label index with the highest score, after contextual calibration if ``calibrated``."""
        scores = calibrate(self.log_probs, self.content_free) if calibrated else self.log_probs
        return scores.argmax(-1)


def score_reviews(
    model: torch.nn.Module, tokenizer, reviews: Sequence[str], shots: Sequence[tuple[str, int]] = (),
    label_words: Sequence[str] = LABEL_WORDS, content_free: Sequence[str] = (CONTENT_FREE,),
    max_words: int | None = 150, instruction: str = INSTRUCTION, batch_size: int = 8,
) -> PromptScores:
    """``score(y) = log p(next token = w_y | chat prompt with shots)`` for each review and each content-free input.

    Reviews and shots are cut to their first ``max_words``."""
    ids = label_token_ids(tokenizer, label_words)
    shots = [(review_text(text, max_words), label) for text, label in shots]

    def prompt(review: str) -> str:
        return chat_prompt(tokenizer, sentiment_messages(review, shots, instruction, label_words))

    prompts = [prompt(review_text(review, max_words)) for review in reviews]
    calibration = [prompt(text) for text in content_free]
    scores = next_token_log_probs(model, tokenizer, prompts + calibration, ids, batch_size)
    return PromptScores(scores[:len(prompts)], scores[len(prompts):])
