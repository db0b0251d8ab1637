"""Argument checks shared by the package: one clear ``ValueError`` per mistake."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def check_tensor(name: str, value: object) -> torch.Tensor:
    """Return ``value`` if it is a tensor, else raise a ``TypeError`` naming it."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    return value


def check_shape(name: str, tensor: torch.Tensor, expected: Sequence[int | None], meaning: str) -> None:
    """Raise ``ValueError`` unless ``tensor.shape`` matches ``expected`` (``None`` matches any size).

    ``meaning`` names the axes, e.g. ``"(batch, input_size)"``, so the message says what was expected.
    """
    check_tensor(name, tensor)
    shape = tuple(tensor.shape)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {meaning} = {want}, got {shape}")
