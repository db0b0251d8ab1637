"""Chapter 6.5 (page ``ch06_5_improving``; the article's section 6.6): four ways to make a model better or cheaper.

Runs of the methods of :mod:`lmtutorial.methods`, each against a control with the same data, steps, batch and seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lmtutorial.book.sizes import Budget
from lmtutorial.methods.distillation import distillation_loss
from lmtutorial.methods.masked_lm import IGNORE, Masker, mask_tokens, masked_lm_loss
from lmtutorial.methods.multitask import TwoHeads, multitask_loss, rating_from_target, rating_targets
from lmtutorial.progress import tqdm


@dataclass(frozen=True)
class Encoded:
    """Token ids (n, length) padded with ``pad_id``, their attention mask and the reviews' labels and ratings."""

    ids: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    ratings: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: torch.Tensor) -> Encoded:
        ratings = None if self.ratings is None else self.ratings[index]
        return Encoded(self.ids[index], self.mask[index], self.labels[index], ratings)

    def join(self, other: Encoded) -> Encoded:
        """These reviews followed by ``other``'s (ratings kept only when both have them)."""
        ratings = None if self.ratings is None or other.ratings is None else torch.cat([self.ratings, other.ratings])
        return Encoded(torch.cat([self.ids, other.ids]), torch.cat([self.mask, other.mask]),
                       torch.cat([self.labels, other.labels]), ratings)

    def relabelled(self, labels: torch.Tensor) -> Encoded:
        """The same reviews with other labels, e.g. a teacher's predictions (pseudo-labels)."""
        if labels.shape != self.labels.shape:
            raise ValueError(f"labels: expected one per review, shape {tuple(self.labels.shape)}, "
                             f"got {tuple(labels.shape)}")
        return Encoded(self.ids, self.mask, labels, self.ratings)


def encode(tokenizer, texts: Sequence[str], labels: Sequence[int], max_length: int,  # noqa: ANN001
           ratings: Sequence[int] | None = None) -> Encoded:
    """Tokenise ``texts`` (without IMDb's ``<br />`` tags; the first ``max_length`` tokens, [CLS] … [SEP]) into
    fixed-length tensors."""
    from lmtutorial.data.text import clean_review

    batch = tokenizer([clean_review(text) for text in texts], truncation=True, max_length=max_length,
                      padding="max_length", return_tensors="pt")
    return Encoded(batch["input_ids"], batch["attention_mask"], torch.as_tensor(list(labels)),
                   None if ratings is None else torch.as_tensor(list(ratings)))


def batches(n: int, batch_size: int, steps: int, seed: int) -> Iterator[torch.Tensor]:
    """``steps`` batches of indices into ``range(n)``: shuffled epochs, one seeded order, the last one cut."""
    if n < 1 or batch_size < 1:
        raise ValueError(f"n, batch_size: expected at least 1 each, got {n} and {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.empty(0, dtype=torch.long)
    for _ in range(steps):
        if len(order) < batch_size:
            order = torch.cat([order, torch.randperm(n, generator=generator)])
        yield order[:batch_size]
        order = order[batch_size:]


def train_steps(model: torch.nn.Module, loss_of: Callable[[torch.Tensor], torch.Tensor], n: int, budget: Budget,
          seed: int, desc: str, progress: bool = True,
          after_step: Callable[[int], None] | None = None) -> list[float]:
    """Minimise ``loss_of(batch_indices)`` over ``budget.steps`` AdamW steps; return the loss of every step.
    ``after_step(s)`` runs after step s = 1, 2, … (e.g. to keep a copy of the weights)."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=budget.learning_rate, weight_decay=0.01)
    warmup = max(1, budget.steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (budget.steps - step) / (budget.steps - warmup))))
    model.train()
    losses = []
    for index in tqdm(batches(n, budget.batch_size, budget.steps, seed), total=budget.steps, desc=desc,
                      disable=not progress):
        loss = loss_of(index)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if after_step is not None:
            after_step(len(losses))
    model.eval()
    return losses


@torch.no_grad()
def predict(forward: Callable[[Encoded], torch.Tensor], data: Encoded, batch_size: int = 128) -> torch.Tensor:
    """Concatenated outputs of ``forward`` over ``data`` in batches (evaluation mode is the caller's)."""
    return torch.cat([forward(data.take(torch.arange(i, min(i + batch_size, len(data)))))
                      for i in range(0, len(data), batch_size)])


def logit_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of rows of ``logits`` whose largest entry is at the label."""
    return (logits.argmax(-1) == labels).float().mean().item()


def batched_seconds_per_review(forward: Callable[[Encoded], torch.Tensor], data: Encoded, batch_size: int = 32) -> float:
    """Wall-clock inference time per review, batches of ``batch_size``, one warm-up batch first (reported only)."""
    with torch.no_grad():
        forward(data.take(torch.arange(min(batch_size, len(data)))))
        start = time.perf_counter()
        predict(forward, data, batch_size)
    return (time.perf_counter() - start) / len(data)


def small_bert_config(vocab_size: int, max_length: int, hidden: int = 128, layers: int = 2, heads: int = 2):
    """A BERT with BERT-base's design at a CPU-friendly size (feed-forward 4× hidden, GELU, post-LayerNorm)."""
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=4 * hidden,
                      max_position_embeddings=max(max_length, 16))


def bert_logits(model: torch.nn.Module) -> Callable[[Encoded], torch.Tensor]:
    """``data ↦ logits`` for a ``BertForSequenceClassification``."""
    return lambda data: model(input_ids=data.ids, attention_mask=data.mask).logits


def finetune_classifier(model: torch.nn.Module, train_set: Encoded, budget: Budget, seed: int,
                        desc: str = "fine-tune", progress: bool = True) -> list[float]:
    """Train a sequence classifier on hard labels (cross-entropy)."""
    forward = bert_logits(model)
    return train_steps(model, lambda i: F.cross_entropy(forward(train_set.take(i)), train_set.labels[i]),
                 len(train_set), budget, seed, desc, progress)


# 1. Self-supervised pre-training -------------------------------------------------------------------------------


def pretrain_masked_lm(model: torch.nn.Module, texts: Encoded, masker: Masker, budget: Budget, seed: int,
                       rate: float = 0.15, desc: str = "masked-LM pre-training", progress: bool = True,
                       keep_at: Sequence[int] = ()) -> tuple[list[float], dict[int, dict[str, torch.Tensor]]]:
    """Train a ``BertForMaskedLM`` to restore masked tokens (see :mod:`lmtutorial.methods.masked_lm`); return
    the loss of every step and a copy of the body's weights (``model.bert.state_dict()``) after each step in
    ``keep_at`` (0: before the first step). The output layer runs at the chosen positions only (same loss).
    """
    if any(not 0 <= step <= budget.steps for step in keep_at):
        raise ValueError(f"keep_at: expected steps in 0..{budget.steps} (the budget), got {list(keep_at)}")
    generator = torch.Generator().manual_seed(seed)
    kept = {}

    def keep(step: int) -> None:
        if step in keep_at:
            kept[step] = {name: value.clone() for name, value in model.bert.state_dict().items()}

    def loss_of(index: torch.Tensor) -> torch.Tensor:
        batch = texts.take(index)  # [PAD] is a special token: never chosen
        corrupted, labels = mask_tokens(batch.ids, masker, rate, generator=generator)
        hidden = model.bert(input_ids=corrupted, attention_mask=batch.mask).last_hidden_state
        chosen = labels != IGNORE  # the vocabulary-sized output only where there is something to predict
        return masked_lm_loss(model.cls(hidden[chosen]), labels[chosen])

    keep(0)
    losses = train_steps(model, loss_of, len(texts), budget, seed, desc, progress, after_step=keep)
    return losses, kept


@torch.no_grad()
def fill_mask(model: torch.nn.Module, tokenizer, sentence: str, top: int = 3) -> list[str]:  # noqa: ANN001
    """The ``top`` most likely tokens for the one ``[MASK]`` in ``sentence``."""
    batch = tokenizer(sentence, return_tensors="pt")
    where = (batch["input_ids"][0] == tokenizer.mask_token_id).nonzero()
    if len(where) != 1:
        raise ValueError(f"sentence: expected exactly one {tokenizer.mask_token}, got {len(where)} in {sentence!r}")
    logits = model(**batch).logits[0, where[0, 0]]
    return tokenizer.convert_ids_to_tokens(logits.topk(top).indices.tolist())


def classifier_from_encoder(body: dict[str, torch.Tensor] | None, config, seed: int) -> torch.nn.Module:  # noqa: ANN001
    """A ``BertForSequenceClassification`` with the body weights ``body`` (a ``BertModel`` state dict, e.g.
    ``masked_lm.bert.state_dict()``; ``None``: random), its head seeded."""
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    if body is not None:
        missing, unexpected = model.bert.load_state_dict(body, strict=False)
        if unexpected or any(not name.startswith("pooler.") for name in missing):
            raise ValueError(f"body: expected a BERT body like the classifier's, got missing {missing} and "
                             f"unexpected {unexpected} weights")
    return model


# 2. Knowledge distillation -------------------------------------------------------------------------------------


def train_student(student: torch.nn.Module, data: Encoded, budget: Budget, seed: int, *,
                  teacher_logits: torch.Tensor | None = None, use_labels: bool = True, temperature: float = 2.0,
                  alpha: float = 0.5, desc: str = "student", progress: bool = True) -> list[float]:
    """Train a ``student(ids, lengths) -> logits`` on hard labels, on a teacher's soft targets, or on both.

    ``teacher_logits=None``: cross-entropy on the labels. With teacher logits and ``use_labels``: the mix
    ``α·T²·KL + (1 − α)·CE``; without ``use_labels`` (a transfer set the teacher labelled): ``T²·KL`` alone.
    """
    if teacher_logits is not None and teacher_logits.shape[0] != len(data):
        raise ValueError(f"teacher_logits: expected one row per review ({len(data)}), got {teacher_logits.shape[0]}")
    if teacher_logits is None and not use_labels:
        raise ValueError("use_labels=False needs teacher_logits: without labels or a teacher there is nothing to learn")
    forward = student_logits(student)

    def loss_of(index: torch.Tensor) -> torch.Tensor:
        logits = forward(data.take(index))
        if teacher_logits is None:
            return F.cross_entropy(logits, data.labels[index])
        labels = data.labels[index] if use_labels else None
        return distillation_loss(logits, teacher_logits[index], labels, temperature=temperature, alpha=alpha)

    return train_steps(student, loss_of, len(data), budget, seed, desc, progress)


def student_logits(student: torch.nn.Module) -> Callable[[Encoded], torch.Tensor]:
    """``data ↦ logits`` for a recurrent ``student(ids, lengths)``; [CLS] and [SEP] stay in, padding goes."""
    return lambda data: student(data.ids, data.mask.sum(-1))


# 3. Multi-task learning ----------------------------------------------------------------------------------------


class SharedEncoderTwoHeads(torch.nn.Module):
    """A BERT body whose pooled [CLS] vector feeds a sentiment head and a rating head."""

    def __init__(self, config) -> None:  # noqa: ANN001 - a transformers BertConfig
        from transformers import BertModel

        super().__init__()
        self.bert = BertModel(config)
        self.heads = TwoHeads(config.hidden_size)

    def forward(self, data: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.bert(input_ids=data.ids, attention_mask=data.mask).pooler_output)


def train_multitask(model: SharedEncoderTwoHeads, data: Encoded, budget: Budget, seed: int, *,
                    sentiment_weight: float, rating_weight: float, desc: str = "multi-task",
                    progress: bool = True) -> list[float]:
    """Train both heads on ``sentiment_weight · CE + rating_weight · MSE`` (a zero weight: that task alone)."""
    targets = rating_targets(data.ratings)

    def loss_of(index: torch.Tensor) -> torch.Tensor:
        logits, rating = model(data.take(index))
        return multitask_loss(logits, rating, data.labels[index], targets[index],
                              sentiment_weight=sentiment_weight, rating_weight=rating_weight)

    return train_steps(model, loss_of, len(data), budget, seed, desc, progress)


@torch.no_grad()
def multitask_scores(model: SharedEncoderTwoHeads, data: Encoded) -> dict[str, float]:
    """Sentiment accuracy from the sentiment head and from the rating head (rating > 5.5 means positive), and the
    rating head's mean absolute error in stars."""
    outputs = [model(data.take(torch.arange(i, min(i + 128, len(data))))) for i in range(0, len(data), 128)]
    logits = torch.cat([o[0] for o in outputs])
    stars = rating_from_target(torch.cat([o[1] for o in outputs]))
    return {"accuracy": logit_accuracy(logits, data.labels),
            "accuracy_from_rating": ((stars > 5.5).long() == data.labels).float().mean().item(),
            "rating_mae": (stars - data.ratings.float()).abs().mean().item()}


def mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
