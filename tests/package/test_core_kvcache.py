import pytest
import torch

from lmtutorial.core.kvcache import KVCache, LayerCache


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


def test_bad_input():
    cache = LayerCache(1, 2, 8, capacity=4)
    with pytest.raises(ValueError, match=r"keys: expected shape \(batch, kv_heads, T, head_dim\) = \(1, 2, T, 8\) "
                                         r"\(the cache's\), got \(1, 3, 1, 8\)"):
        cache.append(torch.zeros(1, 3, 1, 8), torch.zeros(1, 3, 1, 8))
    with pytest.raises(ValueError, match=r"values: expected 1 positions \(as many as keys\), got 2"):
        cache.append(torch.zeros(1, 2, 1, 8), torch.zeros(1, 2, 2, 8))
    with pytest.raises(ValueError, match=r"n_layers: expected an integer >= 1, got 0"):
        KVCache(0, 1, 2, 8)
