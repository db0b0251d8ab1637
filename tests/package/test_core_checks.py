"""lmtutorial.core.checks: each check passes good input through and names what it expected otherwise."""

from __future__ import annotations

import pytest
import torch

from lmtutorial.core.checks import check_lengths


def test_check_lengths_returns_good_lengths():
    lengths = torch.tensor([3, 1])
    assert check_lengths(lengths, batch=2, steps=3) is lengths


@pytest.mark.parametrize(("lengths", "error", "message"), [
    ([3, 1], TypeError, "lengths: expected a torch.Tensor, got list"),
    (torch.tensor([3]), ValueError, r"lengths: expected shape \(batch,\)"),
    (torch.tensor([3.0, 1.0]), ValueError, "lengths: expected integers, got dtype torch.float32"),
    (torch.tensor([4, 1]), ValueError, r"expected integers in \[1, 3\] \(the padded length\), got values "
                                       "from 1 to 4"),
    (torch.tensor([0, 1]), ValueError, "got values from 0 to 1"),
])
def test_check_lengths_names_what_was_expected(lengths, error, message):
    with pytest.raises(error, match=message):
        check_lengths(lengths, batch=2, steps=3)


def test_lookup_ids_names_the_position_of_a_bad_id():
    from lmtutorial.core.checks import lookup_ids

    assert lookup_ids([2, 0], ["a", "b", "c"]) == ["c", "a"]
    with pytest.raises(ValueError, match=r"ids\[1\]: expected a token id in 0..2 \(the vocabulary size is 3\), got 3"):
        lookup_ids([0, 3], ["a", "b", "c"])
    with pytest.raises(TypeError, match=r"ids\[0\]: expected an integer token id, got 1.5 \(float\)"):
        lookup_ids([1.5], ["a", "b"])
