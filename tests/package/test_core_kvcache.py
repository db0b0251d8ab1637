import pytest
import torch

from lmtutorial.core.kvcache import KVCache, LayerCache, cache_bytes


def test_append_returns_everything_stored_so_far_and_grows_when_full():
    cache = LayerCache(batch=2, kv_heads=3, head_dim=4, capacity=2)
    k1, v1, k2, v2 = (torch.randn(2, 3, t, 4) for t in (2, 2, 3, 3))
    cache.append(k1, v1)
    keys, values = cache.append(k2, v2)
    assert cache.length == 5 and cache.keys.shape[2] >= 5
    assert torch.equal(keys, torch.cat([k1, k2], dim=2)) and torch.equal(values, torch.cat([v1, v2], dim=2))


def test_a_model_cache_has_one_layer_cache_per_layer():
    cache = KVCache(n_layers=3, batch=1, kv_heads=2, head_dim=8)
    assert len(cache.layers) == 3 and cache.length == 0 and cache.owner is None
    cache.layers[0].append(torch.zeros(1, 2, 4, 8), torch.zeros(1, 2, 4, 8))
    assert cache.length == 4
    assert cache.describe() == "3 layers, batch 1, 2 KV heads of size 8"


def test_cache_bytes_is_the_size_of_a_filled_cache():
    cache = KVCache(n_layers=3, batch=2, kv_heads=2, head_dim=8, capacity=4)  # float32: 4 bytes a value
    stored = [layer.append(torch.randn(2, 2, 5, 8), torch.randn(2, 2, 5, 8)) for layer in cache.layers]
    size = sum(t.numel() * t.element_size() for keys, values in stored for t in (keys, values))
    assert cache_bytes(3, 2, 8, tokens=5, batch=2, bytes_per_value=4) == size == 2 * 3 * 2 * 8 * 5 * 2 * 4
    assert cache_bytes(30, 3, 64, tokens=8192) == 188_743_680  # SmolLM2-135M, 8192 tokens in bf16: 180 MiB


def test_bad_input():
    cache = LayerCache(1, 2, 8, capacity=4)
    with pytest.raises(ValueError, match=r"keys: expected shape \(batch, kv_heads, T, head_dim\) = \(1, 2, T, 8\) "
                                         r"\(the cache's\), got \(1, 3, 1, 8\)"):
        cache.append(torch.zeros(1, 3, 1, 8), torch.zeros(1, 3, 1, 8))
    with pytest.raises(ValueError, match=r"values: expected 1 positions \(as many as keys\), got 2"):
        cache.append(torch.zeros(1, 2, 1, 8), torch.zeros(1, 2, 2, 8))
    with pytest.raises(ValueError, match=r"n_layers: expected an integer >= 1, got 0"):
        KVCache(0, 1, 2, 8)
