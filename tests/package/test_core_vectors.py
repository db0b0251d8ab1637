import math

import pytest
import torch
import torch.nn.functional as F

from lmtutorial.core.vectors import cosine_similarity, nearest_neighbours


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


def test_nearest_neighbours_match_a_brute_force_search():
    gen = torch.Generator().manual_seed(2)
    vectors = torch.randn(50, 6, dtype=torch.float64, generator=gen)
    words = [f"w{i}" for i in range(50)]
    for query in (0, 17, 49):
        scores = F.cosine_similarity(vectors[query][None], vectors, dim=-1)
        scores[query] = -2.0
        top = scores.topk(5)
        expected = [(words[i], v) for v, i in zip(top.values.tolist(), top.indices.tolist())]
        got = nearest_neighbours(words[query], vectors, words, k=5)
        assert [w for w, _ in got] == [w for w, _ in expected]
        assert [v for _, v in got] == pytest.approx([v for _, v in expected], abs=1e-12)


def test_nearest_neighbours_leave_the_word_out_and_sort():
    vectors = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [-1.0, 0.0]])
    got = nearest_neighbours("a", vectors, ["a", "b", "c", "d"], k=3)
    assert [w for w, _ in got] == ["c", "b", "d"]
    assert got[1][1] == pytest.approx(0.0) and got[2][1] == pytest.approx(-1.0)


def test_nearest_neighbours_errors():
    vectors, words = torch.ones(3, 2), ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"k: expected 1..2 \(the other words of the vocabulary\), got 3"):
        nearest_neighbours("a", vectors, words, k=3)
    with pytest.raises(ValueError, match=r"word: expected a word of the vocabulary \(3 words\), got 'z'"):
        nearest_neighbours("z", vectors, words)
    with pytest.raises(ValueError, match=r"vectors: expected shape \(len\(words\), dim\) = \(2, dim\), got \(3, 2\)"):
        nearest_neighbours("a", vectors, words[:2], k=1)


@pytest.mark.parametrize("bad, message", [
    (torch.tensor([1.0, math.nan]), "a: expected finite values, got 1 NaN and 0 infinite entries"),
    (torch.tensor([math.inf, -math.inf]), "a: expected finite values, got 0 NaN and 2 infinite entries"),
])
def test_non_finite_input_is_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        cosine_similarity(bad, torch.ones(2))


@pytest.mark.parametrize("scale", [1e-30, 1e-40, 1e30])
def test_tiny_and_huge_vectors_have_a_direction(scale):
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0])
    expected = 32 / math.sqrt(14 * 77)
    assert cosine_similarity(a * scale, b).item() == pytest.approx(expected, rel=1e-6)
    assert cosine_similarity(a * scale, b * scale).item() == pytest.approx(expected, rel=1e-6)


def test_nearest_neighbours_skip_a_zero_padding_row():
    vectors = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.1]])
    got = nearest_neighbours("a", vectors, ["<pad>", "a", "b", "c"], k=2)
    assert [w for w, _ in got] == ["c", "b"]
    with pytest.raises(ValueError, match=r"k: expected at most 2 \(the other words with a non-zero vector; 1 rows"):
        nearest_neighbours("a", vectors, ["<pad>", "a", "b", "c"], k=3)
    with pytest.raises(ValueError, match=r"word: '<pad>' has a zero vector \(row 0\)"):
        nearest_neighbours("<pad>", vectors, ["<pad>", "a", "b", "c"], k=1)


def test_nearest_neighbours_reject_non_finite_vectors():
    with pytest.raises(ValueError, match="vectors: expected finite values, got 1 NaN"):
        nearest_neighbours("a", torch.tensor([[1.0, 0.0], [math.nan, 1.0]]), ["a", "b"], k=1)
