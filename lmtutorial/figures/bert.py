"""Figures of chapter 5 (BERT): the learning-rate schedule, BERT's input and an attention heat map.

``matplotlib`` is imported inside the functions; each returns the figure it drew without showing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def linear_warmup_schedule(peak: float, total_steps: int, warmup_steps: int) -> np.ndarray:
    """The learning rate used at each of ``total_steps`` optimizer steps, by ``get_linear_schedule_with_warmup``.

    Entry ``t`` is the rate of step ``t`` (0-based): linear from 0 to ``peak`` over ``warmup_steps``, then to 0.
    """
    from transformers import get_linear_schedule_with_warmup

    if not peak > 0:
        raise ValueError(f"peak: expected a learning rate > 0, got {peak!r}")
    if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"expected total_steps >= 1 and 0 <= warmup_steps <= total_steps, "
                         f"got total_steps={total_steps}, warmup_steps={warmup_steps}")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    rates = np.empty(total_steps)
    for step in range(total_steps):
        rates[step] = scheduler.get_last_lr()[0]
        optimizer.step()  # no gradient: changes nothing, but keeps the optimizer-before-scheduler order
        scheduler.step()
    return rates


def plot_learning_rate_schedule(schedules: Mapping[str, tuple[np.ndarray, int]]) -> Figure:
    """Each schedule ``{label: (rates, warmup_steps)}`` against the step, the end of its warm-up dotted."""
    import matplotlib.pyplot as plt

    if not schedules:
        raise ValueError("schedules: expected at least one {label: (rates, warmup_steps)}, got none")
    fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
    for index, (label, (rates, warmup)) in enumerate(schedules.items()):
        color = f"C{index}"
        ax.plot(np.arange(len(rates)), rates, color=color, lw=2,
                label=f"{label}: warm-up {warmup:,} of {len(rates):,} steps")
        if 0 < warmup < len(rates):
            ax.axvline(warmup, color=color, ls=":", lw=1)
    peak = max(float(np.max(rates)) for rates, _ in schedules.values())
    ax.set(xlabel="optimizer step", ylabel="learning rate", ylim=(0, 1.15 * peak),
           title="warm-up, then linear decay to zero")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def _box(ax: Axes, x: float, y: float, text: str, *, width: float, color: str, bold: bool = False) -> None:
    """A rounded box centred at (x, y) with its text."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.28), width, 0.56, boxstyle="round,pad=0.02",
                                facecolor=color, edgecolor="black", lw=0.8, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3,
            fontweight="bold" if bold else "normal")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", end, start, arrowprops={"arrowstyle": "->", "lw": 1.0, "color": "black"}, zorder=1)


def plot_bert_input(tokens: Sequence[str], segments: Sequence[int]) -> Figure:
    """BERT's input and its classification path, bottom to top.

    ``tokens``: the WordPiece tokens of one input, starting with ``[CLS]``; ``segments``: their segment ids
    (``token_type_ids``: 0 for sentence A, 1 for sentence B).
    """
    import matplotlib.pyplot as plt

    tokens, segments = list(tokens), [int(s) for s in segments]
    if not tokens or tokens[0] != "[CLS]":
        raise ValueError(f"tokens: expected a sequence starting with '[CLS]', got {tokens[:3]!r}")
    if len(segments) != len(tokens) or not set(segments) <= {0, 1}:
        raise ValueError(f"segments: expected one 0 or 1 per token ({len(tokens)}), got {segments!r}")
    step, width = 1.3, 1.15
    xs = [step * i for i in range(len(tokens))]
    right = xs[-1] + width / 2
    fig, ax = plt.subplots(figsize=(0.8 * (len(tokens) * step + 2.6), 5.2), layout="constrained")
    rows = {"input": 0.0, "token embeddings": 1.0, "segment embeddings": 2.0, "position embeddings": 3.0}
    for label, y in rows.items():
        ax.text(-width / 2 - 0.25, y, label, ha="right", va="center", fontsize=9)
    for i, (x, token, segment) in enumerate(zip(xs, tokens, segments)):
        ax.text(x, rows["input"], token, ha="center", va="center", fontsize=10,
                fontweight="bold" if token in ("[CLS]", "[SEP]") else "normal")
        _box(ax, x, rows["token embeddings"], token, width=width, color="#fde9b8")
        _box(ax, x, rows["segment embeddings"], "$E_A$" if segment == 0 else "$E_B$", width=width,
             color="#d5ecc8" if segment == 0 else "#bfe0ae")
        _box(ax, x, rows["position embeddings"], f"$E_{{{i}}}$", width=width, color="#d7e3f4")
        for lower in (1.0, 2.0):
            ax.text(x, lower + 0.5, "+", ha="center", va="center", fontsize=11)
    encoder_y, output_y = 4.3, 5.4
    ax.add_patch(plt.Rectangle((-width / 2, encoder_y - 0.4), right + width / 2, 0.8, facecolor="#eeeeee",
                               edgecolor="black", lw=0.8, zorder=2))
    ax.text((right - width / 2) / 2, encoder_y, "sum, LayerNorm, then the encoder blocks "
            "(self-attention + feed-forward)", ha="center", va="center", fontsize=9, zorder=3)
    for i, x in enumerate(xs):
        _arrow(ax, (x, rows["position embeddings"] + 0.3), (x, encoder_y - 0.4))
        _arrow(ax, (x, encoder_y + 0.4), (x, output_y - 0.28))
        _box(ax, x, output_y, "$h_{[CLS]}$" if i == 0 else f"$h_{{{i}}}$", width=width,
             color="#f6c6c6" if i == 0 else "white", bold=i == 0)
    path = [("pooler: tanh(W h + b)", "#f6c6c6"), ("classifier: linear", "#f6c6c6"),
            ("logits: negative, positive", "white")]
    x0 = xs[0] + width / 2 + 0.35  # the path climbs to the right of the [CLS] column
    for k, (text, color) in enumerate(path):
        y = output_y + 0.95 * (k + 1)
        _box(ax, x0 + 1.2, y, text, width=2.4, color=color)
        start = (xs[0], output_y + 0.28) if k == 0 else (x0 + 1.2, y - 0.95 + 0.28)
        _arrow(ax, start, (x0 if k == 0 else x0 + 1.2, y - (0 if k == 0 else 0.28)))
    ax.set_xlim(-width / 2 - 2.1, max(right, x0 + 2.4) + 0.2)
    ax.set_ylim(-0.5, output_y + 0.95 * len(path) + 0.45)
    ax.axis("off")
    return fig


def plot_attention_weights(weights: torch.Tensor | np.ndarray, tokens: Sequence[str], title: str) -> Figure:
    """A (queries × keys) matrix of attention weights as a heat map, tokens on both axes."""
    import matplotlib.pyplot as plt

    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(tokens), len(tokens)):
        raise ValueError(f"weights: expected shape ({len(tokens)}, {len(tokens)}) (one row and column per "
                         f"token), got {weights.shape}")
    size = 1.0 + 0.42 * len(tokens)
    fig, ax = plt.subplots(figsize=(size + 1.0, size), layout="constrained")
    image = ax.imshow(weights, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(len(tokens)), tokens, fontsize=9)
    ax.set(xlabel="key (the token read)", ylabel="query (the token reading)", title=title)
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight (each row sums to 1)")
    return fig
