"""Argument checks shared by the package: one clear ``ValueError`` per mistake."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence

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


def check_number(name: str, value: object, *, minimum: float | None = None, maximum: float | None = None,
                 above: float | None = None, integer: bool = False) -> float:
    """``value`` if it is a finite number (an integer if ``integer``) in range, else one clear error naming it.

    ``minimum``/``maximum`` are inclusive bounds, ``above`` an exclusive lower bound. Raises ``TypeError`` for a
    wrong type (booleans, strings, ``None``), else ``ValueError`` (NaN, ±inf, out of range).
    """
    import math
    import numbers

    def shown(x: float) -> str:
        return str(x) if isinstance(x, numbers.Integral) else f"{x:g}"

    kind = "an integer" if integer else "a number"
    bounds = [f">= {shown(minimum)}" if minimum is not None else "", f"> {shown(above)}" if above is not None else "",
              f"<= {shown(maximum)}" if maximum is not None else ""]
    want = " ".join([kind, " and ".join(bound for bound in bounds if bound)]).strip()
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    wanted_type = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, wanted_type):
        if integer and isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name}: expected {want}, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected {want} (finite), got {value}")
    if ((minimum is not None and value < minimum) or (maximum is not None and value > maximum)
            or (above is not None and not value > above)):
        raise ValueError(f"{name}: expected {want}, got {shown(value)}")
    return value


def check_positive(name: str, value: float) -> float:
    """``value`` if it is a finite number above 0, else one clear error (``check_number``)."""
    return check_number(name, value, above=0)


def check_token_ids(name: str, ids: torch.Tensor, vocab_size: int) -> None:
    """Raise ``ValueError`` unless ``ids`` holds integer token ids in ``[0, vocab_size)``."""
    check_tensor(name, ids)
    if ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"{name}: expected integer token ids, got dtype {ids.dtype}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"{name}: expected token ids in [0, {vocab_size - 1}] (the vocabulary), "
                         f"got values from {int(ids.min())} to {int(ids.max())}")


def lookup_ids(ids: Iterable[object], table: Sequence[str]) -> list[str]:
    """The entries of ``table`` (a vocabulary) at ``ids``: an id that is not an integer in ``0 .. len(table) − 1``
    raises one clear error naming its position."""
    found = []
    for position, value in enumerate(ids):
        try:
            index = operator.index(value)
        except TypeError:
            raise TypeError(f"ids[{position}]: expected an integer token id, got {value!r} "
                            f"({type(value).__name__})") from None
        if not 0 <= index < len(table):
            raise ValueError(f"ids[{position}]: expected a token id in 0..{len(table) - 1} "
                             f"(the vocabulary size is {len(table)}), got {index}")
        found.append(table[index])
    return found


def check_step_inputs(
    x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
    b_ih: torch.Tensor | None, b_hh: torch.Tensor | None, gates: int,
) -> None:
    """Check the shapes of one recurrent step with ``gates`` stacked gate blocks (1 for RNN, 4 for LSTM)."""
    check_tensor("W_hh", W_hh)
    check_tensor("W_ih", W_ih)
    if W_hh.ndim != 2 or W_hh.shape[0] % gates or W_hh.shape[0] // gates != W_hh.shape[1]:
        raise ValueError(
            f"W_hh: expected shape ({gates}*hidden_size, hidden_size), got {tuple(W_hh.shape)}"
        )
    hidden = W_hh.shape[1]
    check_shape("W_ih", W_ih, (gates * hidden, None), f"({gates}*hidden_size, input_size)")
    inputs = W_ih.shape[1]
    check_tensor("x", x)
    if x.ndim == 1:
        check_shape("x", x, (inputs,), "(input_size,)")
        check_shape("h", h, (hidden,), "(hidden_size,)")
    else:
        check_shape("x", x, (None, inputs), "(batch, input_size)")
        check_shape("h", h, (x.shape[0], hidden), "(batch, hidden_size)")
    for name, bias in (("b_ih", b_ih), ("b_hh", b_hh)):
        if bias is not None:
            check_shape(name, bias, (gates * hidden,), f"({gates}*hidden_size,)")


def check_lengths(lengths: object, batch: int, steps: int) -> torch.Tensor:
    """``lengths`` as a tensor of ``batch`` integers in ``[1, steps]``, or one ``ValueError`` naming the problem."""
    lengths = check_tensor("lengths", lengths)
    check_shape("lengths", lengths, (batch,), "(batch,)")
    if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
        raise ValueError(f"lengths: expected integers, got dtype {lengths.dtype}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > steps):
        raise ValueError(f"lengths: expected integers in [1, {steps}] (the padded length), "
                         f"got values from {int(lengths.min())} to {int(lengths.max())}")
    return lengths
