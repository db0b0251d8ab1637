"""The KV cache: the keys and values of the tokens already seen, kept so that each new token costs one step.

Without it, generating token t+1 recomputes the keys and values of all t tokens before it; with it, a step
computes them for the new token only and attends over the stored ones.
"""

from __future__ import annotations

import torch

from lmtutorial.core.checks import check_number, check_tensor


def cache_bytes(n_layers: int, kv_heads: int, head_dim: int, tokens: int, batch: int = 1,
                bytes_per_value: int = 2) -> int:
    """Bytes of a KV cache = 2 (K and V) · n_layers · kv_heads · head_dim · tokens · batch · bytes_per_value.

    Taught on page ``ch03_1_transformer``.
    """
    return 2 * n_layers * kv_heads * head_dim * tokens * batch * bytes_per_value


class LayerCache:
    """One layer's ``keys`` and ``values`` (batch, kv_heads, capacity, head_dim), filled up to ``length``.

    The buffers are preallocated and doubled when full, so appending a token copies only that token.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, batch: int, kv_heads: int, head_dim: int, capacity: int,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> None:
        self.keys = torch.zeros(batch, kv_heads, capacity, head_dim, dtype=dtype, device=device)
        self.values = torch.zeros_like(self.keys)
        self.length = 0

    def append(self, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new ``keys`` and ``values`` (batch, kv_heads, T, head_dim); return all (…, length, …)."""
        batch, heads, capacity, size = self.keys.shape
        for name, new in (("keys", keys), ("values", values)):
            check_tensor(name, new)
            if new.ndim != 4 or (new.shape[0], new.shape[1], new.shape[3]) != (batch, heads, size):
                raise ValueError(f"{name}: expected shape (batch, kv_heads, T, head_dim) = ({batch}, {heads}, T, "
                                 f"{size}) (the cache's), got {tuple(new.shape)}")
        if values.shape[2] != keys.shape[2]:
            raise ValueError(f"values: expected {keys.shape[2]} positions (as many as keys), got {values.shape[2]}")
        end = self.length + keys.shape[2]
        if end > capacity:
            grown = max(end, 2 * capacity)
            self.keys = torch.cat([self.keys, self.keys.new_zeros(batch, heads, grown - capacity, size)], dim=2)
            self.values = torch.cat([self.values, self.values.new_zeros(batch, heads, grown - capacity, size)], dim=2)
        self.keys[:, :, self.length:end] = keys
        self.values[:, :, self.length:end] = values
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]


class KVCache:
    """Every layer's :class:`LayerCache`, for a batch of ``batch`` sequences; ``length`` tokens seen so far.

    ``owner`` is the ``id`` of the model that first filled it (``None`` until then), so that a cache cannot be
    passed on to another model by mistake.

    Taught on page ``ch03_1_transformer``.
    """

    def __init__(self, n_layers: int, batch: int, kv_heads: int, head_dim: int, capacity: int = 256,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> None:
        for name, value in (("n_layers", n_layers), ("batch", batch), ("kv_heads", kv_heads),
                            ("head_dim", head_dim), ("capacity", capacity)):
            check_number(name, value, integer=True, minimum=1)
        self.layers = [LayerCache(batch, kv_heads, head_dim, capacity, dtype, device) for _ in range(n_layers)]
        self.batch, self.kv_heads, self.head_dim = batch, kv_heads, head_dim
        self.owner: int | None = None

    @property
    def length(self) -> int:
        return self.layers[0].length

    def describe(self) -> str:
        """E.g. ``"30 layers, batch 1, 3 KV heads of size 64"``."""
        return f"{len(self.layers)} layers, batch {self.batch}, {self.kv_heads} KV heads of size {self.head_dim}"
