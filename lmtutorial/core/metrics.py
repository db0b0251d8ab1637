"""Classification scores from predicted and true labels: confusion matrix, accuracy, F1 and ROC AUC."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lmtutorial.core.checks import check_number


def confusion_matrix(labels: Sequence[int], predictions: Sequence[int], num_labels: int) -> np.ndarray:
    """``C[t, p]``: how many examples of true class ``t`` were predicted as class ``p``.

    Taught on page ``ch05_bert_project``.
    """
    check_number("num_labels", num_labels, integer=True, minimum=1, maximum=10_000)  # a matrix that fits in memory
    arrays = {"labels": np.asarray(labels), "predictions": np.asarray(predictions)}
    for name, values in arrays.items():
        if values.size and values.dtype.kind not in "biu":
            raise TypeError(f"{name}: expected integer class ids, got {values.dtype} values such as "
                            f"{values.ravel()[:1].tolist()[0]!r}")
    labels, predictions = (values.astype(np.int64) for values in arrays.values())
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(f"labels, predictions: expected two 1-D arrays of one length, got shapes "
                         f"{labels.shape} and {predictions.shape}")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_labels):
            raise ValueError(f"{name}: expected integers in 0..{num_labels - 1} (num_labels={num_labels}), "
                             f"got values from {values.min()} to {values.max()}")
    matrix = np.zeros((num_labels, num_labels), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def check_confusion_matrix(matrix: object) -> np.ndarray:
    """``matrix`` if it is a square array of counts (integers >= 0), else one clear error."""
    if not isinstance(matrix, np.ndarray):
        raise TypeError(f"matrix: expected a numpy array of counts (confusion_matrix), got {type(matrix).__name__}")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix: expected a square confusion matrix, got shape {matrix.shape}")
    numeric = np.issubdtype(matrix.dtype, np.integer) or np.issubdtype(matrix.dtype, np.floating)
    if not numeric or (matrix.size and not (np.isfinite(matrix).all() and matrix.min() >= 0
                                            and (matrix == np.round(matrix)).all())):
        raise ValueError(f"matrix: expected counts (whole numbers >= 0), got dtype {matrix.dtype}"
                         + (f" with values from {matrix.min()} to {matrix.max()}" if numeric and matrix.size else ""))
    return matrix


def accuracy(matrix: np.ndarray) -> float:
    """Share of examples on the diagonal of the confusion matrix."""
    check_confusion_matrix(matrix)
    total = matrix.sum()
    if total == 0:
        raise ValueError("matrix: expected at least one example, got an empty confusion matrix")
    return float(np.trace(matrix) / total)


def f1_per_class(matrix: np.ndarray) -> np.ndarray:
    """``F1`` of each class: ``2 C_kk / (row_k + column_k)`` (0 for a class never seen nor predicted).

    Taught on page ``ch05_bert_project``.
    """
    true_positive = np.diag(matrix).astype(np.float64)
    denominator = matrix.sum(axis=1) + matrix.sum(axis=0)
    return np.divide(2 * true_positive, denominator, out=np.zeros_like(true_positive), where=denominator > 0)


def classification_scores(labels: Sequence[int], predictions: Sequence[int], num_labels: int = 2) -> dict[str, float]:
    """``accuracy`` and ``f1`` (positive class 1 when ``num_labels == 2``, macro average otherwise).

    Taught on page ``ch05_bert_project``.
    """
    matrix = confusion_matrix(labels, predictions, num_labels)
    f1 = f1_per_class(matrix)
    return {"accuracy": accuracy(matrix), "f1": float(f1[1] if num_labels == 2 else f1.mean())}


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve: the chance that a random positive (label 1) scores above a random negative,
    ties counting one half (the Mann–Whitney U statistic over ``n_pos · n_neg``)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f"scores, labels: expected two sequences of one length, got shapes {scores.shape} "
                         f"and {labels.shape}")
    positive, negative = scores[labels == 1], scores[labels == 0]
    if len(positive) == 0 or len(negative) == 0 or len(positive) + len(negative) != len(labels):
        raise ValueError(f"labels: expected both 0 and 1 and nothing else, got {sorted(set(labels.tolist()))}")
    ranks = _average_ranks(np.concatenate([positive, negative]))
    u = ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1 … n of ``values``, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    unique, inverse = np.unique(values, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    return (sums / counts)[inverse]
