import math

import pytest
import torch
import torch.nn.functional as F

from lmtutorial import cosine_similarity


def test_article_example_is_0_9746():
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    b = torch.tensor([4.0, 5.0, 6.0], dtype=torch.float64)
    value = cosine_similarity(a, b)
    assert value.item() == pytest.approx(32 / math.sqrt(14 * 77), abs=1e-12)
    assert round(value.item(), 4) == 0.9746
    # The article divides by sqrt(14)*sqrt(56), which gives a "cosine" above 1.
    assert 32 / (math.sqrt(14) * math.sqrt(56)) > 1


def test_matches_torch_batched():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(7, 5, dtype=torch.float64, generator=gen)
    b = torch.randn(7, 5, dtype=torch.float64, generator=gen)
    torch.testing.assert_close(cosine_similarity(a, b), F.cosine_similarity(a, b, dim=-1), atol=1e-12, rtol=0)


def test_broadcasts_one_query_against_many():
    gen = torch.Generator().manual_seed(1)
    query, table = torch.randn(8, generator=gen), torch.randn(20, 8, generator=gen)
    torch.testing.assert_close(cosine_similarity(query, table), F.cosine_similarity(query[None], table, dim=-1))


def test_length_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        cosine_similarity(torch.ones(3), torch.ones(2))


def test_zero_vector_is_rejected():
    with pytest.raises(ValueError, match="zero vector"):
        cosine_similarity(torch.zeros(3), torch.ones(3))


def test_non_tensor_is_rejected():
    with pytest.raises(TypeError, match="expected a torch.Tensor, got list"):
        cosine_similarity([1.0, 2.0], torch.ones(2))
