import pytest
import torch
import torch.nn.functional as F

from lmtutorial.core.attention import LuongAttention, scaled_dot_product_attention


def qkv(*lead, L=4, S=6, d=8, dv=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*lead, L, d, generator=g, dtype=torch.float64),
            torch.randn(*lead, S, d, generator=g, dtype=torch.float64),
            torch.randn(*lead, S, dv, generator=g, dtype=torch.float64))


@pytest.mark.parametrize("lead", [(), (3,), (2, 4)], ids=["single", "batched", "batch-and-heads"])
def test_equals_torch_without_mask(lead):
    q, k, v = qkv(*lead)
    output, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(weights.sum(-1), torch.ones(*lead, 4, dtype=torch.float64))


@pytest.mark.parametrize("lead", [(3,), (2, 4)], ids=["batched", "batch-and-heads"])
def test_equals_torch_with_a_boolean_mask(lead):
    q, k, v = qkv(*lead, seed=1)
    mask = torch.rand(*lead, 4, 6, generator=torch.Generator().manual_seed(2)) > 0.4
    mask[..., 0] = True  # every query sees at least one key
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(*lead, 4, dtype=torch.float64))


def test_causal_mask_broadcast_over_batch_and_heads_and_a_given_scale():
    q, k, v = qkv(2, 3, L=5, S=5)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    output, _ = scaled_dot_product_attention(q, k, v, causal, scale=0.3)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3))


def test_weights_are_the_softmax_of_scaled_scores():
    q, k, v = qkv(L=2, S=3, d=4)
    _, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(weights, torch.softmax(q @ k.T / 2.0, dim=-1))


@pytest.mark.parametrize("shapes, message", [
    (((2, 4, 8), (2, 6, 7), (2, 6, 5)), r"key: expected \(\.\.\., S, 8\) \(the query's d_k\), got \(2, 6, 7\)"),
    (((2, 4, 8), (2, 6, 8), (2, 5, 5)), r"value: expected \(\.\.\., 6, d_v\) \(one value per key\), got \(2, 5, 5\)"),
    (((8,), (6, 8), (6, 5)), r"query: expected shape \(\.\.\., length, features\), got \(8,\)"),
])
def test_mismatched_shapes(shapes, message):
    q, k, v = (torch.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match=message):
        scaled_dot_product_attention(q, k, v)


def test_bad_masks():
    q, k, v = qkv(2)
    with pytest.raises(ValueError, match=r"mask: expected a shape broadcastable to \(\.\.\., L, S\) = \(2, 4, 6\), "
                                         r"got \(4, 5\)"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask: expected a boolean tensor"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 6))
    with pytest.raises(ValueError, match="at least one key, got a row of all False"):
        scaled_dot_product_attention(q, k, v, torch.zeros(4, 6, dtype=torch.bool))


def test_luong_general_is_scaled_dot_product_attention_of_projected_queries_with_scale_one():
    torch.manual_seed(0)
    attention = LuongAttention(query_size=3, key_size=5).double()
    query = torch.randn(2, 4, 3, dtype=torch.float64)
    keys = torch.randn(2, 6, 5, dtype=torch.float64)
    key_mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    context, weights = attention(query, keys, key_mask)
    assert context.shape == (2, 4, 5) and weights.shape == (2, 4, 6)
    expected = F.scaled_dot_product_attention(query @ attention.project.weight.T, keys, keys,
                                              attn_mask=key_mask[:, None, :], scale=1.0)
    torch.testing.assert_close(context, expected)
    scores = torch.einsum("blq,kq,bsk->bls", query, attention.project.weight, keys)  # qᵀ W k
    torch.testing.assert_close(weights[0], torch.softmax(scores[0], dim=-1))
    assert (weights[1, :, 4:] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, dtype=torch.float64))


def test_luong_padding_does_not_change_the_context():
    torch.manual_seed(1)
    attention = LuongAttention(3, 5)
    query, keys = torch.randn(1, 2, 3), torch.randn(1, 4, 5)
    padded = torch.cat([keys, torch.randn(1, 3, 5)], dim=1)
    alone, _ = attention(query, keys)
    with_padding, _ = attention(query, padded, torch.tensor([[True] * 4 + [False] * 3]))
    torch.testing.assert_close(with_padding, alone)


def test_luong_bad_key_mask():
    with pytest.raises(ValueError, match=r"key_mask: expected shape \(batch, S\) = \(2, 6\), got \(2, 5\)"):
        LuongAttention(3, 5)(torch.zeros(2, 4, 3), torch.zeros(2, 6, 5), torch.ones(2, 5, dtype=torch.bool))
