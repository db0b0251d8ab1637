"""Figures of the page on the Transformer built from scratch: the causal mask, RoPE as a rotation, the time of a
decoding step with and without a KV cache, and the encoder and decoder blocks side by side.

``matplotlib`` is imported inside the functions; each returns the figure it drew without showing it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from lmtutorial.core.masks import causal_mask
from lmtutorial.core.positions import RotaryEmbedding, apply_rotary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ALLOWED = "#6baed6"  # a key the query may attend to
BLOCKED = "#f2f2f2"  # a key after the query
RESIDUAL = "#c0392b"  # the residual path around a sublayer
MASK_MARKERS_UP_TO = 32  # keys: beyond, the × of blocked cells would be too small to read


def plot_causal_mask(length: int, past: int = 0) -> Figure:
    """The causal mask of :func:`~lmtutorial.core.masks.causal_mask` as a grid: one row per query, one column
    per key, allowed cells shaded, blocked cells crossed (up to 32 keys; beyond, only shaded).

    With ``past`` cached keys the grid is ``length × (past + length)``: query ``i`` is at position ``past + i``
    and sees every cached key.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    mask = causal_mask(length, past).numpy()  # checks length >= 1 and past >= 0
    keys = past + length
    size = min(10.0, max(4.2, 1.6 + 0.32 * keys)), min(10.0, max(2.6, 1.8 + 0.32 * length))  # room for the legend
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ax.imshow(mask, cmap=ListedColormap([BLOCKED, ALLOWED]), vmin=0, vmax=1, aspect="equal")
    if keys <= MASK_MARKERS_UP_TO:
        for i, j in zip(*np.nonzero(~mask)):
            ax.text(j, i, "×", ha="center", va="center", fontsize=8, color="#888888")
    ax.set_xticks(np.arange(keys + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(length + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.0)
    ax.tick_params(which="minor", length=0)
    step = max(1, math.ceil(keys / 16))
    ax.set_xticks(range(0, keys, step))
    ax.set_yticks(range(0, length, step), [str(past + i) for i in range(0, length, step)])
    ax.set(xlabel="key position", ylabel="query position")
    if past:
        ax.axvline(past - 0.5, color="black", lw=1.5)
        for middle, text in (((past - 1) / 2, "cached keys"), (past + (length - 1) / 2, "new keys")):
            ax.text(middle, 1.02, text, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
        ax.set_title(f"{past} cached keys, {length} new queries:\neach query sees the whole cache", fontsize=10, pad=16)
    else:
        ax.set_title(f"causal mask, {length} tokens:\nquery i sees keys 0 … i", fontsize=10)
    fig.legend(handles=[Patch(facecolor=ALLOWED, label="True: may attend"),
                        Patch(facecolor=BLOCKED, edgecolor="#bbbbbb", label="False: blocked (score −∞)")],
               loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig


def _rope_pair(pair: int, positions: int, head_dim: int, base: float) -> np.ndarray:
    """(positions, 2): the pair ``(x_i, x_{i+d/2})`` of a query that is 1 in ``x_i`` and 0 elsewhere, turned by
    :class:`~lmtutorial.core.positions.RotaryEmbedding` and :func:`~lmtutorial.core.positions.apply_rotary`
    at the positions ``0 … positions − 1``."""
    if not 0 <= pair < head_dim // 2:
        raise ValueError(f"pair: expected 0 … {head_dim // 2 - 1} (head_dim / 2 pairs), got {pair}")
    cos, sin = RotaryEmbedding(head_dim, base)(torch.arange(positions))
    query = torch.zeros(positions, head_dim)
    query[:, pair] = 1.0
    turned = apply_rotary(query, cos, sin)
    return turned[:, [pair, pair + head_dim // 2]].numpy()


def plot_rope_rotation(pairs: Sequence[int] = (0, 4), positions: int = 8, head_dim: int = 64,
                       base: float = 10000.0) -> Figure:
    """RoPE as a rotation: for each pair ``i`` of ``pairs`` (a fast one and a slower one), a query's 2-D pair
    turned by the angle m·θ_i at the positions m = 0 … ``positions`` − 1, as arrows from the origin.

    The arrows are what our RoPE code computes (``RotaryEmbedding``, then ``apply_rotary``); below them, the
    scores q_m·k_n our code gives for three (m, n) with the same m − n.
    """
    import matplotlib.pyplot as plt

    pairs = list(pairs)
    if not pairs or positions < 2:
        raise ValueError(f"expected at least one pair and 2 positions, got pairs={pairs}, positions={positions}")
    rotary = RotaryEmbedding(head_dim, base)
    theta = rotary.inverse_frequency.tolist()
    fig, axes = plt.subplots(1, len(pairs), figsize=(max(4.2 * len(pairs), 7.6), 5.0),
                             layout="constrained")  # wide enough for the note below
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, positions))
    for ax, pair in zip(np.atleast_1d(axes), pairs):
        tips = _rope_pair(pair, positions, head_dim, base)
        ax.add_patch(plt.Circle((0, 0), 1.0, fill=False, ls=":", color="grey", lw=0.8))
        ax.quiver(np.zeros(positions), np.zeros(positions), tips[:, 0], tips[:, 1], color=colors,
                  angles="xy", scale_units="xy", scale=1, width=0.012)
        for m, (x, y) in enumerate(tips):
            ax.text(1.16 * x, 1.16 * y, f"m={m}", ha="center", va="center", fontsize=8, color=colors[m])
        ax.set(xlim=(-1.45, 1.45), ylim=(-1.45, 1.45), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1],
               xlabel=f"$x_{{{pair}}}$", ylabel=f"$x_{{{pair + head_dim // 2}}}$")
        ax.set_title(f"pair i = {pair}: θ = {theta[pair]:.3g} rad per position", fontsize=10)
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
    q, k = torch.randn(2, head_dim, generator=torch.Generator().manual_seed(0))
    cos, sin = rotary(torch.arange(8))
    scores = [float(apply_rotary(q, cos[m], sin[m]) @ apply_rotary(k, cos[n], sin[n]))
              for m, n in ((2, 0), (5, 3), (7, 5))]
    fig.supxlabel("RoPE turns q at position m and k at position n, so their score depends only on m − n.\n"
                  f"Our code, with one random q and k (d = {head_dim}), m − n = 2:   "
                  f"$q_2\\cdot k_0$ = {scores[0]:.4f},   $q_5\\cdot k_3$ = {scores[1]:.4f},   "
                  f"$q_7\\cdot k_5$ = {scores[2]:.4f}", fontsize=9)
    return fig


def _rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """The median of each value and its neighbours, ``window`` (odd) values centred on it, fewer at the ends."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window: expected an odd number >= 1, got {window}")
    values, half = np.asarray(values, dtype=float), window // 2
    return np.array([np.median(values[max(0, t - half):t + half + 1]) for t in range(len(values))])


def plot_step_times(step_times: Mapping[str, Sequence[float]], title: str = "time per decoding step",
                    start: int = 0, window: int = 5) -> Figure:
    """The time of each decoding step against the position of the token it produces, one colour per method
    (``{"no cache": [...], "KV cache": [...]}``, seconds, drawn in ms), every method with the same number of steps.

    The raw times are drawn faint; the bold line is their rolling median over ``window`` steps (odd, centred), which
    ignores the odd slow step (a garbage collection, another process). ``start``: the first step's position.
    """
    import matplotlib.pyplot as plt

    counts = {name: len(times) for name, times in step_times.items()}
    if not counts or 0 in counts.values() or len(set(counts.values())) > 1:
        raise ValueError(f"step_times: expected at least one method, each with the same number (>= 1) of step "
                         f"times, got {counts or 'none'}")
    series = {name: np.asarray(times, dtype=float) for name, times in step_times.items()}
    bad = {name: times[~(np.isfinite(times) & (times >= 0))].tolist()[:3] for name, times in series.items()}
    if any(bad.values()):
        raise ValueError(f"step_times: expected finite times >= 0 (seconds), got {({k: v for k, v in bad.items() if v})}")
    series = {name: 1000 * times for name, times in series.items()}  # seconds -> ms
    medians = {name: _rolling_median(times, window) for name, times in series.items()}  # checks window
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    for index, (name, times) in enumerate(series.items()):
        x = np.arange(start, start + len(times))
        ax.plot(x, times, color=f"C{index}", lw=0.8, alpha=0.35)
        ax.plot(x, medians[name], color=f"C{index}", lw=2, label=name)
    ax.set(xlabel="position (token index)", ylabel="time per step (ms)", title=title, ylim=(0, None))
    ax.legend(loc="best", fontsize=8, title=f"median of {window} steps; faint: raw",
              title_fontsize=8)
    return fig


def _box(ax: Axes, x: float, y: float, text: str, *, color: str, width: float = 3.4, height: float = 0.6) -> None:
    """A rounded box centred at (x, y) with its text."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02",
                                facecolor=color, edgecolor="black", lw=0.8, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3)


def _add(ax: Axes, x: float, y: float) -> None:
    """The ⊕ of a residual connection."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), 0.2, facecolor="white", edgecolor="black", lw=0.8, zorder=2))
    ax.text(x, y, "+", ha="center", va="center", fontsize=11, zorder=3)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], *, color: str = "black") -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, lw=1.0, color=color,
                                 shrinkA=0, shrinkB=0, zorder=1))


def _residual(ax: Axes, x: float, branch: float, join: float, *, into: float, side: float = -2.1) -> None:
    """The residual path: from the branch point at height ``branch`` out to ``x + side``, up around the sublayer,
    and into the side of the add at height ``join`` (whose edge is ``into`` away from ``x``)."""
    out = x + side
    ax.plot([x, out, out], [branch, branch, join], color=RESIDUAL, lw=1.2, zorder=1)
    ax.plot([x], [branch], "o", color=RESIDUAL, ms=3.5, zorder=3)
    _arrow(ax, (out, join), (x - into, join), color=RESIDUAL)


def _stack(ax: Axes, x: float, steps: Sequence[tuple[str, str, float, float]]) -> None:
    """Boxes ``(text, colour, y, height)`` joined bottom to top by arrows; text ``"+"`` is an add, colour ``""``
    plain italic text."""
    for (text, color, y, height), (_, _, next_y, next_height) in zip(steps, [*steps[1:], (None, None, None, 0)]):
        if text == "+":
            _add(ax, x, y)
        elif color:
            _box(ax, x, y, text, color=color, height=height)
        else:
            ax.text(x, y, text, ha="center", va="center", fontsize=9, style="italic")
        if next_y is not None:
            _arrow(ax, (x, y + height / 2), (x, next_y - next_height / 2))


def _layers(ax: Axes, x: float, bottom: float, top: float) -> None:
    """The grey frame of the repeated block and its "× N layers" bracket."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - 2.45, bottom), 4.9, top - bottom, boxstyle="round,pad=0.05",
                                facecolor="#f4f4f4", edgecolor="#999999", lw=0.8, zorder=0))
    right = x + 2.65
    ax.plot([right, right + 0.15, right + 0.15, right], [bottom, bottom, top, top], color="black", lw=1.0)
    ax.text(right + 0.3, (bottom + top) / 2, "× N layers", ha="left", va="center", fontsize=9, rotation=90)


def plot_block_diagrams() -> Figure:
    """Two block diagrams side by side, bottom to top: BERT's encoder (post-norm: the LayerNorm after each add)
    and Llama's decoder (pre-norm: RMSNorm before each sublayer, the add on the raw stream), residual paths in red.

    They follow :class:`~lmtutorial.models.encoder.Encoder` and :class:`~lmtutorial.models.decoder.Decoder`
    with :class:`~lmtutorial.core.blocks.PostNormBlock` and :class:`~lmtutorial.core.blocks.PreNormBlock`.
    """
    import matplotlib.pyplot as plt

    embed, norm, attend, feed, head = "#fde9b8", "#d7e3f4", "#f6c6c6", "#d5ecc8", "#e3d7f4"
    fig, (encoder, decoder) = plt.subplots(1, 2, figsize=(11, 8.2), layout="constrained")
    x = 0.0

    # Encoder (post-norm): x ← LN(x + Attn(x)), x ← LN(x + FFN(x)).
    steps = [("token ids, token types", "", 0.0, 0.3),
             ("token + token-type + learned position\nembeddings, summed", embed, 1.1, 0.8),
             ("LayerNorm", norm, 2.3, 0.6),
             ("multi-head self-attention\n(padding mask)", attend, 4.4, 0.8),
             ("add & LayerNorm", norm, 5.7, 0.6),
             ("feed-forward\nLinear → GELU → Linear", feed, 7.6, 0.8),
             ("add & LayerNorm", norm, 8.9, 0.6),
             ("hidden states (batch, T, dim)", "", 10.4, 0.3)]
    _layers(encoder, x, 3.1, 9.5)
    _stack(encoder, x, steps)
    _residual(encoder, x, 3.5, 5.7, into=1.7)
    _residual(encoder, x, 6.6, 8.9, into=1.7)
    encoder.set_title("BERT encoder: post-norm blocks\nx ← LayerNorm(x + Attn(x)),   x ← LayerNorm(x + FFN(x))",
                      fontsize=10)

    # Decoder (pre-norm): x ← x + Attn(RMSNorm(x)), x ← x + FFN(RMSNorm(x)).
    steps = [("token ids", "", 0.0, 0.3),
             ("token embeddings", embed, 1.1, 0.6),
             ("RMSNorm", norm, 3.1, 0.6),
             ("grouped-query self-attention\n(RoPE on q, k; causal mask)", attend, 4.4, 0.8),
             ("+", "", 5.6, 0.4),
             ("RMSNorm", norm, 6.8, 0.6),
             ("SwiGLU feed-forward\n$W_{down}$(SiLU($W_{gate}$x) ⊙ $W_{up}$x)", feed, 8.1, 0.8),
             ("+", "", 9.3, 0.4),
             ("final RMSNorm", norm, 10.4, 0.6),
             ("LM head (tied to the token embeddings)", head, 11.5, 0.6),
             ("logits (batch, T, vocab)", "", 12.6, 0.3)]
    _layers(decoder, x, 1.8, 9.8)
    _stack(decoder, x, steps)
    _residual(decoder, x, 2.3, 5.6, into=0.2)
    _residual(decoder, x, 6.1, 9.3, into=0.2)
    decoder.set_title("Llama decoder: pre-norm blocks\nx ← x + Attn(RMSNorm(x)),   x ← x + FFN(RMSNorm(x))",
                      fontsize=10)

    for ax in (encoder, decoder):
        ax.set(xlim=(-2.9, 3.3), ylim=(-0.4, 13.0))
        ax.axis("off")
    fig.supxlabel("red: the residual path, the input of a sublayer added to its output", fontsize=9,
                  color=RESIDUAL)
    return fig
