import pytest
import torch
import torch.nn.functional as F

from lmtutorial.core.attention import scaled_dot_product_attention
from lmtutorial.core.masks import causal_mask, padding_mask


def test_padding_mask_marks_real_keys_for_every_query():
    mask = padding_mask(torch.tensor([[1, 1, 0], [1, 1, 1]]))
    assert mask.shape == (2, 1, 1, 3) and mask.dtype == torch.bool
    assert mask[:, 0, 0].tolist() == [[True, True, False], [True, True, True]]
    assert padding_mask(torch.tensor([[True, False]])).tolist() == [[[[True, False]]]]


def test_causal_mask_is_the_lower_triangle_and_equals_torch_is_causal():
    assert torch.equal(causal_mask(4), torch.ones(4, 4, dtype=torch.bool).tril())
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g, dtype=torch.float64) for _ in range(3))
    output, _ = scaled_dot_product_attention(q, k, v, causal_mask(5))
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_causal_mask_after_cached_tokens_is_the_last_rows_of_the_full_mask():
    assert torch.equal(causal_mask(2, past=3), causal_mask(5)[3:])
    assert causal_mask(1, past=4).all()  # one new token sees every key


def test_padding_and_causal_combine_by_and():
    both = padding_mask(torch.tensor([[1, 1, 0]])) & causal_mask(3)
    assert both.shape == (1, 1, 3, 3)
    assert both[0, 0].tolist() == [[True, False, False], [True, True, False], [True, True, False]]


@pytest.mark.parametrize("attention_mask, message", [
    (torch.ones(2, 3, 4), r"attention_mask: expected shape \(batch, length\), got \(2, 3, 4\)"),
    (torch.ones(2, 3), r"attention_mask: expected booleans or integers 0/1, got dtype torch.float32"),
    (torch.tensor([[1, 2]]), r"attention_mask: expected only 0 \(padding\) and 1 \(token\), got values \[1, 2\]"),
    (torch.tensor([[1, 1], [0, 0]]), r"attention_mask: expected at least one real token per sequence, got none in "
                                     r"rows \[1\]"),
])
def test_bad_attention_masks(attention_mask, message):
    with pytest.raises(ValueError, match=message):
        padding_mask(attention_mask)


def test_bad_causal_lengths():
    with pytest.raises(ValueError, match=r"length: expected an integer >= 1, got 0"):
        causal_mask(0)
    with pytest.raises(ValueError, match=r"past: expected an integer >= 0, got -1"):
        causal_mask(2, past=-1)
