import numpy as np
import pytest
import torch

from lmtutorial.core.metrics import accuracy, classification_scores, confusion_matrix, f1_per_class

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
