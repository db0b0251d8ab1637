"""Section 6.1: one IMDb test subset classified three ways (a BiLSTM from scratch, the fine-tuned encoder of
chapter 5, a prompted LLM), with accuracy, parameters, CPU seconds per review and learning curves.
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch

from lmtutorial.data.batching import pad_sequences
from lmtutorial.data.text import Vocabulary
from lmtutorial.models.classifier import BiLSTMClassifier, classifier_loss
from lmtutorial.training.loop import History, train

Predictor = Callable[[Sequence[str]], torch.Tensor]  # texts -> predicted labels (n,)

def first_words(data, max_words: int):  # noqa: ANN001, ANN201 - datasets.Dataset in and out
    """``data`` (columns ``text``, ``label``) with each review cleaned and cut to its first ``max_words`` words
    (:func:`lmtutorial.llm.prompting.review_text`), so that every classifier reads the same text."""
    import datasets

    from lmtutorial.llm.prompting import review_text

    return datasets.Dataset.from_dict({"text": [review_text(t, max_words) for t in data["text"]],
                                       "label": list(data["label"])})


def encode_reviews(texts: Sequence[str], vocab: Vocabulary, max_len: int) -> list[list[int]]:
    """Word ids of each review (``Vocabulary.encode``), cut to its first ``max_len`` words."""
    if max_len < 1:
        raise ValueError(f"max_len: expected at least 1 word per review, got {max_len}")
    return [vocab.encode(text)[:max_len] for text in texts]


def bilstm_batches(ids: Sequence[Sequence[int]], labels: Sequence[int], batch_size: int, pad_id: int,
                   seed: int) -> Callable[[int], list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]]:
    """Epoch → batches ``(ids, lengths, labels)``: the reviews shuffled anew each epoch (seed + epoch), padded per
    batch."""
    if len(ids) != len(labels):
        raise ValueError(f"labels: expected one per review ({len(ids)}), got {len(labels)}")

    def epoch_batches(epoch: int) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        order = list(range(len(ids)))
        random.Random(seed + epoch).shuffle(order)
        batches = []
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            padded, lengths = pad_sequences([ids[i] for i in rows], pad_id)
            batches.append((padded, lengths, torch.tensor([labels[i] for i in rows])))
        return batches

    return epoch_batches


def train_bilstm(texts: Sequence[str], labels: Sequence[int], *, max_len: int = 128, vocab_size: int = 10_000,
                 embed_dim: int = 64, hidden_size: int = 64, dropout: float = 0.2, epochs: int = 3,
                 batch_size: int = 32, lr: float = 3e-3, seed: int = 0,
                 progress: bool = True) -> tuple[BiLSTMClassifier, Vocabulary, History]:
    """A :class:`BiLSTMClassifier` trained from scratch on ``texts`` (first ``max_len`` words each), with a
    vocabulary of the ``vocab_size`` most frequent training words. Returns ``(model, vocab, history)``."""
    if len(texts) != len(labels):
        raise ValueError(f"labels: expected one per review ({len(texts)}), got {len(labels)}")
    vocab = Vocabulary.build(texts, max_size=vocab_size)
    torch.manual_seed(seed)
    model = BiLSTMClassifier(len(vocab), num_labels=max(labels) + 1, embed_dim=embed_dim,
                             hidden_size=hidden_size, dropout=dropout, padding_idx=vocab.pad_id)
    batches = bilstm_batches(encode_reviews(texts, vocab, max_len), labels, batch_size, vocab.pad_id, seed)
    history = train(model, batches, classifier_loss, epochs=epochs, lr=lr, desc="BiLSTM", progress=progress)
    model.eval()
    return model, vocab, history


def bilstm_predictor(model: BiLSTMClassifier, vocab: Vocabulary, max_len: int = 128,
                     batch_size: int = 64) -> Predictor:
    """A function from review texts to the BiLSTM's predicted labels."""

    @torch.inference_mode()
    def predict(texts: Sequence[str]) -> torch.Tensor:
        ids = encode_reviews(texts, vocab, max_len)
        out = []
        for start in range(0, len(ids), batch_size):
            padded, lengths = pad_sequences(ids[start:start + batch_size], vocab.pad_id)
            out.append(model(padded, lengths).argmax(-1))
        return torch.cat(out)

    return predict


def finetune_encoder(model: str, train, test, **options) -> tuple[dict, torch.nn.Module]:
    """:func:`lmtutorial.hf.finetune.finetune` on the datasets ``train`` and ``test`` (columns ``text``,
    ``label``) in a temporary folder; returns its results and the fine-tuned classifier (the best epoch on
    validation, in eval mode). ``options`` are :class:`~lmtutorial.hf.config.FinetuneConfig` fields."""
    from transformers import TrainerCallback

    from lmtutorial.hf.finetune import finetune

    class KeepModel(TrainerCallback):
        def on_train_end(self, args, state, control, model=None, **kwargs):  # noqa: ANN001, ANN201
            self.model = model

    keep = KeepModel()
    with tempfile.TemporaryDirectory() as folder:
        results = finetune(model, {"train": train, "test": test}, Path(folder) / "run", callbacks=[keep],
                           **{"save_model": False, "plots": False, **options})
    return results, keep.model.eval()


def encoder_predictor(classifier: torch.nn.Module, tokenizer, max_length: int = 128,
                      batch_size: int = 32) -> Predictor:
    """A function from review texts to the fine-tuned encoder's predicted labels (the first ``max_length``
    WordPiece tokens of each review, ``<br />`` tags removed)."""
    from lmtutorial.data.text import clean_review

    @torch.inference_mode()
    def predict(texts: Sequence[str]) -> torch.Tensor:
        out = []
        for start in range(0, len(texts), batch_size):
            batch = [clean_review(text) for text in texts[start:start + batch_size]]
            inputs = tokenizer(batch, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            out.append(classifier(**inputs).logits.argmax(-1))
        return torch.cat(out)

    return predict


def llm_predictor(model: torch.nn.Module, tokenizer, shots: Sequence[tuple[str, int]] = (),
                  max_words: int = 150) -> Predictor:
    """A function from review texts to the prompted LLM's predicted labels (uncalibrated, ``shots`` in context),
    by :func:`lmtutorial.llm.prompting.score_reviews` without its content-free prompt."""
    from lmtutorial.llm.prompting import score_reviews

    def predict(texts: Sequence[str]) -> torch.Tensor:
        return score_reviews(model, tokenizer, texts, shots, content_free=(), max_words=max_words).predictions()

    return predict


def seconds_per_review(predict: Predictor, texts: Sequence[str], warmup: int = 1) -> float:
    """Median wall-clock seconds to classify one review, each of ``texts`` on its own, after ``warmup`` uncounted
    calls."""
    if not texts:
        raise ValueError("texts: expected at least one review to time, got none")
    for text in texts[:warmup]:
        predict([text])
    times = []
    for text in texts:
        start = time.perf_counter()
        predict([text])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def accuracy_of(predictions: torch.Tensor, labels: Sequence[int]) -> float:
    """The share of ``predictions`` equal to ``labels``."""
    labels = torch.as_tensor(labels)
    if predictions.shape != labels.shape:
        raise ValueError(f"predictions: expected one per label, shape {tuple(labels.shape)}, "
                         f"got {tuple(predictions.shape)}")
    return (predictions == labels).float().mean().item()


def learning_curve_epochs(n: int, min_epochs: int = 3, min_reviews: int = 128) -> int:
    """Epochs for a fine-tune on ``n`` reviews: ``max(min_epochs, ⌈min_reviews / n⌉)``."""
    return max(min_epochs, math.ceil(min_reviews / n))


def encoder_learning_curve(model: str, train, test, sizes: Sequence[int], seeds: Sequence[int] = (0,),
                           known: Mapping[tuple[int, int], float] | None = None,
                           progress: Callable[[str], None] | None = print, **options) -> dict[int, list[float]]:
    """Test accuracy of the encoder fine-tuned on a balanced subset of ``n`` reviews of ``train``, for each
    ``n`` in ``sizes`` and each seed (the seed draws the subset, ``lmtutorial.data.imdb.balanced_subset``, and
    the fine-tune's initial head and order): ``{n: [accuracy per seed]}``. ``known`` holds accuracies already
    measured, keyed ``(n, seed)``, which are not fine-tuned again. Epochs follow :func:`learning_curve_epochs`
    unless ``options`` sets them."""
    from lmtutorial.data.imdb import balanced_subset

    known = known or {}
    curve = {}
    for n in sizes:
        curve[n] = []
        for seed in seeds:
            run = {"epochs": learning_curve_epochs(n), "seed": seed, **options}
            if (n, seed) in known:
                curve[n].append(known[n, seed])
                continue
            results, _ = finetune_encoder(model, balanced_subset(train, n, seed), test, **run)
            curve[n].append(results["test"]["accuracy"])
            if progress is not None:
                progress(f"fine-tuned on {n:5,d} reviews ({run['epochs']} epochs, seed {seed}): "
                         f"accuracy {curve[n][-1]:.1%}")
    return curve


def llm_learning_curve(model: torch.nn.Module, tokenizer, pool: Sequence[tuple[str, int]],
                       texts: Sequence[str], labels: Sequence[int], shots: Sequence[int] = (0, 1, 4, 8),
                       draws: int = 1, seed: int = 0, max_words: int = 150,
                       progress: Callable[[str], None] | None = print) -> dict[int, dict[str, list[float]]]:
    """The prompted LLM with k labelled examples of ``pool`` in context, for each k in ``shots`` and each of
    ``draws`` draws of the examples and their order (seeds ``seed``, ``seed + 1``, …; one prompt for k = 0):
    ``{k: {measure: [value per draw]}}`` with the measures accuracy as it is (``"plain"``) and after contextual
    calibration (``"calibrated"``), the share of reviews called positive (``"positive_share"``, plain), and the
    ROC AUC of the label log-odds (``"auc"``, ``"auc_calibrated"``)."""
    from lmtutorial.core.metrics import roc_auc
    from lmtutorial.llm.prompting import calibrate, sample_shots, score_reviews

    curve = {}
    for k in shots:
        curve[k] = {"plain": [], "calibrated": [], "positive_share": [], "auc": [], "auc_calibrated": []}
        for draw in range(draws if k else 1):
            scores = score_reviews(model, tokenizer, texts, sample_shots(pool, k, seed + draw),
                                   max_words=max_words)
            calibrated = calibrate(scores.log_probs, scores.content_free).log()
            measures = {"plain": accuracy_of(scores.predictions(), labels),
                        "calibrated": accuracy_of(scores.predictions(calibrated=True), labels),
                        "positive_share": scores.predictions().float().mean().item(),
                        "auc": roc_auc((scores.log_probs[:, 1] - scores.log_probs[:, 0]).tolist(), labels),
                        "auc_calibrated": roc_auc((calibrated[:, 1] - calibrated[:, 0]).tolist(), labels)}
            for name, value in measures.items():
                curve[k][name].append(value)
            if progress is not None:
                progress(f"{k} examples in context (draw {draw}): accuracy {measures['plain']:.1%}, "
                         f"calibrated {measures['calibrated']:.1%}; {measures['positive_share']:.0%} "
                         f"of reviews called positive; ROC AUC {measures['auc']:.3f}")
    return curve


def crossover(encoder_curve: Mapping[int, Sequence[float]], llm_accuracy: float) -> int | None:
    """The fewest labelled reviews with which the fine-tuned encoder's mean accuracy over seeds is above
    ``llm_accuracy`` (e.g. the LLM's best prompt), or ``None`` if no point of ``encoder_curve`` is."""
    above = [n for n, accuracies in encoder_curve.items() if statistics.fmean(accuracies) > llm_accuracy]
    return min(above) if above else None


def plot_learning_curve(encoder_curve: Mapping[int, Sequence[float]],
                        llm_curve: Mapping[int, Mapping[str, Sequence[float]]],
                        ax=None, chance: float = 0.5):  # noqa: ANN001, ANN201 - matplotlib types
    """Accuracy against the number of labelled examples: the fine-tuned encoder (n reviews, log scale; mean over
    seeds) and the prompted LLM (k examples in context, plain and calibrated; mean over draws), each with its
    range as a band, and chance level as a dotted line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    sizes = sorted(encoder_curve)
    shots = sorted(llm_curve)
    x = [max(k, 0.5) for k in shots]  # k = 0 is drawn at 0.5 on the log axis
    lines = [(sizes, [encoder_curve[n] for n in sizes], "o-", "fine-tuned encoder (n training reviews)")]
    lines += [(x, [llm_curve[k][kind] for k in shots], style, f"prompted LLM, {kind} (k in context)")
              for kind, style in (("plain", "s--"), ("calibrated", "^:"))]
    for xs, values, style, label in lines:
        (line,) = ax.plot(xs, [statistics.fmean(v) for v in values], style, label=label)
        ax.fill_between(xs, [min(v) for v in values], [max(v) for v in values], color=line.get_color(),
                        alpha=0.15, linewidth=0)
    ax.axhline(chance, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({*x, *sizes}), [("0" if v == 0.5 else f"{v:g}") for v in sorted({*x, *sizes})])
    ax.set_xlabel("labelled examples (k = 0 drawn at the left edge); bands: range over seeds or draws")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(min(0.4, ax.get_ylim()[0]), 1.0)
    ax.legend(loc="upper left", fontsize="small")  # the curves rise from chance, so upper left stays free
    return ax


def plot_tradeoffs(rows: Sequence[dict], axes=None):  # noqa: ANN001, ANN201 - matplotlib types
    """Two panels, accuracy against CPU seconds per review and against parameters (both log scale), one point
    per row (``{"name", "accuracy", "seconds_per_review", "parameters"}``), each labelled with its name."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
    for ax, key, label in ((axes[0], "seconds_per_review", "CPU seconds per review (one at a time)"),
                           (axes[1], "parameters", "parameters")):
        for i, row in enumerate(rows):
            ax.scatter(row[key], row["accuracy"], s=60, color=f"C{i}")
            # a point with a more accurate neighbour at about the same x takes its label below
            below = any(other["accuracy"] > row["accuracy"] and 0.5 < other[key] / row[key] < 2
                        for other in rows)
            ax.annotate(row["name"], (row[key], row["accuracy"]), textcoords="offset points",
                        xytext=(0, -10 if below else 9), va="top" if below else "baseline",
                        ha="center", fontsize="small")
        ax.set_xscale("log")
        low, high = min(r[key] for r in rows), max(r[key] for r in rows)
        ax.set_xlim(low / 4, high * 4)  # room for the labels on both sides
        ax.set_xlabel(label)
    axes[0].set_ylabel("test accuracy")
    axes[0].set_ylim(min(0.4, min(r["accuracy"] for r in rows) - 0.05), 1.0)
    return axes
