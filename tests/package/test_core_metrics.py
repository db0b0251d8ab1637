import numpy as np
import pytest
import torch

from lmtutorial.core.metrics import accuracy, classification_scores, confusion_matrix, f1_per_class, roc_auc

LABELS = [0, 0, 1, 1, 1, 2, 2, 0]
PREDICTIONS = [0, 1, 1, 1, 0, 2, 1, 0]


def test_confusion_matrix_counts_true_rows_predicted_columns():
    matrix = confusion_matrix(LABELS, PREDICTIONS, 3)
    assert matrix.tolist() == [[2, 1, 0], [1, 2, 0], [0, 1, 1]]
    assert matrix.sum() == len(LABELS)


def test_accuracy_is_the_share_on_the_diagonal():
    matrix = confusion_matrix(LABELS, PREDICTIONS, 3)
    assert accuracy(matrix) == np.mean(np.array(LABELS) == np.array(PREDICTIONS)) == 5 / 8


def test_f1_is_the_harmonic_mean_of_precision_and_recall():
    labels, predictions = np.array(LABELS), np.array(PREDICTIONS)
    for k, f1 in enumerate(f1_per_class(confusion_matrix(LABELS, PREDICTIONS, 3))):
        tp = np.sum((predictions == k) & (labels == k))
        precision, recall = tp / np.sum(predictions == k), tp / np.sum(labels == k)
        assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_binary_scores_use_the_positive_class_and_multiclass_the_macro_mean():
    binary = classification_scores([0, 0, 1, 1], [0, 1, 1, 1])
    assert binary == {"accuracy": 0.75, "f1": pytest.approx(0.8)}
    multi = classification_scores(LABELS, PREDICTIONS, num_labels=3)
    assert multi["f1"] == pytest.approx(f1_per_class(confusion_matrix(LABELS, PREDICTIONS, 3)).mean())


def test_a_class_never_seen_nor_predicted_scores_zero():
    assert f1_per_class(confusion_matrix([0, 0], [0, 0], 2)).tolist() == [1.0, 0.0]


def test_errors():
    with pytest.raises(ValueError, match="labels: expected integers in 0..1 \\(num_labels=2\\), got values from 0"):
        confusion_matrix([0, 2], [0, 1], 2)
    with pytest.raises(ValueError, match="expected two 1-D arrays of one length, got shapes \\(2,\\) and \\(3,\\)"):
        confusion_matrix([0, 1], [0, 1, 1], 2)
    with pytest.raises(ValueError, match="matrix: expected at least one example"):
        accuracy(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="matrix: expected counts \\(whole numbers >= 0\\), got dtype int64 with "
                                         "values from -1 to 3"):
        accuracy(np.array([[-1, 0], [0, 3]]))


@pytest.mark.parametrize("labels, message", [
    ([0.7, 1.0], r"labels: expected integer class ids, got float64 values such as 0\.7"),
    (["0", "1"], r"labels: expected integer class ids, got <U1 values such as '0'"),
])
def test_non_integer_labels_are_not_truncated(labels, message):
    with pytest.raises(TypeError, match=message):
        confusion_matrix(labels, [0, 1], 2)
    with pytest.raises(TypeError, match=message.replace("labels", "predictions")):
        classification_scores([0, 1], labels)


def test_integer_like_inputs_are_accepted():
    expected = confusion_matrix([0, 1, 1], [0, 1, 0], 2)
    assert (confusion_matrix(np.array([0, 1, 1], dtype=np.uint8), torch.tensor([0, 1, 0]), 2) == expected).all()
    assert (confusion_matrix([False, True, True], [0, 1, 0], 2) == expected).all()


def pairwise_auc(scores, labels):
    """The definition: P(score of a positive > score of a negative), ties one half, over every pair."""
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def test_roc_auc_counts_the_ranked_pairs():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.normal(size=200) + labels, 1)  # rounded: many ties
    assert roc_auc(scores, labels) == pytest.approx(pairwise_auc(scores, labels), abs=1e-12)
    assert roc_auc(scores + 3.0, labels) == roc_auc(scores, labels)  # a shifted threshold changes nothing
    assert roc_auc([0.1, 0.9], [0, 1]) == 1.0 and roc_auc([0.9, 0.1], [0, 1]) == 0.0
    assert roc_auc([0.5, 0.5], [0, 1]) == 0.5


def test_roc_auc_needs_both_labels():
    with pytest.raises(ValueError, match=r"labels: expected both 0 and 1 and nothing else, got \[1\]"):
        roc_auc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match=r"expected two sequences of one length, got shapes \(2,\) and \(3,\)"):
        roc_auc([0.1, 0.2], [1, 0, 1])
