"""What every run of one comparison gets (chapter 6.5): the same steps, batch size and learning rate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Optimiser steps, batch size and peak learning rate (AdamW, linear warm-up over the first 10 % of steps,
    then linear decay to 0)."""

    steps: int
    batch_size: int
    learning_rate: float
