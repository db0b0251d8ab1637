import pytest
import torch
import torch.nn.functional as F

from lmtutorial.core.kvcache import LayerCache
from lmtutorial.core.masks import causal_mask, padding_mask
from lmtutorial.core.multihead import MultiHeadAttention
from lmtutorial.core.positions import RotaryEmbedding

pytestmark = pytest.mark.usefixtures("one_thread")


def test_equals_torch_multihead_attention_with_padding_and_causal_masks():
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(32, 4, batch_first=True).eval()
    ours = MultiHeadAttention(32, 4)
    with torch.no_grad():
        ours.qkv.weight.copy_(theirs.in_proj_weight)
        ours.qkv.bias.copy_(theirs.in_proj_bias)
        ours.out.load_state_dict(theirs.out_proj.state_dict())
    x = torch.randn(2, 6, 32)
    real = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    expected, _ = theirs(x, x, x, need_weights=False)
    torch.testing.assert_close(ours(x), expected)
    expected, _ = theirs(x, x, x, key_padding_mask=real == 0, need_weights=False)  # torch: True = masked out
    torch.testing.assert_close(ours(x, padding_mask(real)), expected)
    expected, _ = theirs(x, x, x, key_padding_mask=real == 0, attn_mask=~causal_mask(6), need_weights=False)
    torch.testing.assert_close(ours(x, padding_mask(real) & causal_mask(6)), expected)


@pytest.mark.parametrize("kv_heads", [1, 2, 6])
def test_grouped_query_attention_equals_torch_enable_gqa(kv_heads):
    torch.manual_seed(1)
    ours = MultiHeadAttention(24, 6, kv_heads, head_dim=8, bias=False)
    x = torch.randn(2, 5, 24)
    q, k, v = F.linear(x, ours.qkv.weight).split([48, 8 * kv_heads, 8 * kv_heads], dim=-1)
    q, k, v = (t.unflatten(-1, (-1, 8)).transpose(1, 2) for t in (q, k, v))
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(5), enable_gqa=True)
    expected = ours.out(heads.transpose(1, 2).flatten(2))
    torch.testing.assert_close(ours(x, causal_mask(5)), expected)


def test_the_cache_gives_the_same_output_token_by_token():
    torch.manual_seed(2)
    ours, rope = MultiHeadAttention(32, 4, 2), RotaryEmbedding(8)
    x = torch.randn(1, 7, 32)
    full = ours(x, causal_mask(7), rope(torch.arange(7)))
    cache = LayerCache(1, 2, 8, capacity=2)  # grows as it fills
    first = ours(x[:, :3], causal_mask(3), rope(torch.arange(3)), cache)
    steps = [ours(x[:, t:t + 1], None, rope(torch.arange(t, t + 1)), cache) for t in range(3, 7)]
    torch.testing.assert_close(torch.cat([first, *steps], dim=1), full)
    assert cache.length == 7


def test_bad_shapes():
    attention = MultiHeadAttention(16, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, T, dim\) = \(batch, T, 16\), got \(2, 3, 8\)"):
        attention(torch.zeros(2, 3, 8))
    with pytest.raises(ValueError, match=r"mask: expected shape \(T, S\) or \(batch, 1, T or 1, S\), the same for "
                                         r"every head, got \(2, 3, 3\)"):
        attention(torch.zeros(2, 3, 16), torch.ones(2, 3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"n_kv_heads: expected a divisor of n_heads = 4, got 3"):
        MultiHeadAttention(16, 4, 3)
    with pytest.raises(ValueError, match=r"n_heads: expected a divisor of dim = 16 \(or give head_dim\), got 5"):
        MultiHeadAttention(16, 5)
