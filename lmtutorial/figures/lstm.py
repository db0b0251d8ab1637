"""Figures of chapter 4 (word vectors, recurrent cells, the LSTM): the LSTM cell, σ and tanh with their slopes, and
word maps with non-overlapping labels. ``matplotlib`` is imported inside the functions, which return what they drew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}


def activation_slopes(z: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """σ and tanh at the points ``z`` (1-D), each with its derivative computed by autograd.

    Returns ``{"sigmoid": (σ(z), σ'(z)), "tanh": (tanh(z), tanh'(z))}``, detached.
    """
    if z.dim() != 1 or not z.is_floating_point():
        raise ValueError(f"z must be a 1-D floating-point tensor, got shape {tuple(z.shape)} of {z.dtype}")
    slopes = {}
    for name, function in ACTIVATIONS.items():
        point = z.detach().clone().requires_grad_()
        value = function(point)
        (derivative,) = torch.autograd.grad(value.sum(), point)  # each value depends on its own z only
        slopes[name] = (value.detach(), derivative)
    return slopes


def plot_activations(z: torch.Tensor | None = None) -> Figure:
    """Two panels, σ and tanh, each with its autograd derivative; the slope's maximum is marked."""
    import matplotlib.pyplot as plt

    z = torch.linspace(-6, 6, 241, dtype=torch.float64) if z is None else z
    slopes = activation_slopes(z)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    for ax, (name, (value, derivative)) in zip(axes, slopes.items()):
        symbol = "σ" if name == "sigmoid" else "tanh"
        ax.plot(z, value, lw=2, label=f"{symbol}(z)")
        ax.plot(z, derivative, lw=2, ls="--", label=f"{symbol}′(z), by autograd")
        peak = int(derivative.argmax())
        ax.plot(z[peak], derivative[peak], "o", color="C1")
        ax.annotate(f"max slope {derivative[peak]:.2f}", (z[peak].item(), derivative[peak].item()),
                    xytext=(8, 4), textcoords="offset points", fontsize=8)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set(xlabel="z", title=f"{symbol}: range ({value.min():.0f}, 1)")
        ax.legend(fontsize=8, loc="upper left")
    axes[0].set_ylim(-1.1, 1.25)
    fig.tight_layout()
    return fig


def _node(ax: Axes, xy: tuple[float, float], text: str, *, kind: str) -> None:
    """A gate (box), a point-wise operation (circle) or a squashing function (ellipse) of the diagram."""
    from matplotlib.patches import Circle, Ellipse, FancyBboxPatch

    x, y = xy
    if kind == "gate":
        ax.add_patch(FancyBboxPatch((x - 0.35, y - 0.28), 0.7, 0.56, boxstyle="round,pad=0.02",
                                    facecolor="#ffe8a8", edgecolor="black", zorder=3))
    elif kind == "operation":
        ax.add_patch(Circle(xy, 0.22, facecolor="#f4c2c2", edgecolor="black", zorder=3))
    else:
        ax.add_patch(Ellipse(xy, 0.9, 0.45, facecolor="#f4c2c2", edgecolor="black", zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=4)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], *, lw: float = 1.4,
           color: str = "black") -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=lw, color=color,
                                 shrinkA=0, shrinkB=0, zorder=2))


def plot_lstm_cell() -> Figure:
    """The standard LSTM cell as a diagram: the cell state runs along the top, changed only by the forget
    gate's ``×`` and the input gate's ``+``; the four blocks read ``[h_{t-1}, x_t]`` from the bus at the bottom."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(8, 4.4))
    ax.add_patch(FancyBboxPatch((1.0, 0.55), 8.0, 4.35, boxstyle="round,pad=0.05", facecolor="#eef3fb",
                                edgecolor="#4a6fa5", lw=1.5, zorder=0))
    top, bus, gates = 4.3, 1.15, 2.35
    forget_x, write_x, read_x = 2.6, 4.8, 7.9
    blocks = {"f": (2.6, "σ"), "i": (4.0, "σ"), "g": (5.4, "tanh"), "o": (6.8, "σ")}
    names = {"f": "forget gate", "i": "input gate", "g": "candidate", "o": "output gate"}

    # The cell state: c_{t-1} -> (× f_t) -> (+ i_t ⊙ g_t) -> c_t.
    _arrow(ax, (0.0, top), (forget_x - 0.22, top), lw=3, color="#4a6fa5")
    _arrow(ax, (forget_x + 0.22, top), (write_x - 0.22, top), lw=3, color="#4a6fa5")
    _arrow(ax, (write_x + 0.22, top), (10.0, top), lw=3, color="#4a6fa5")
    _node(ax, (forget_x, top), "×", kind="operation")
    _node(ax, (write_x, top), "+", kind="operation")

    # The bus: h_{t-1} from the left, x_t from below, read by all four blocks.
    ax.plot([0.0, blocks["o"][0]], [bus, bus], color="black", lw=1.4, zorder=1)
    _arrow(ax, (1.6, -0.25), (1.6, bus))
    for name, (x, symbol) in blocks.items():
        _arrow(ax, (x, bus), (x, gates - 0.28))
        _node(ax, (x, gates), symbol, kind="gate")
        ax.text(x, gates - 0.55, names[name], ha="center", va="top", fontsize=7.5, color="#555555",
                bbox={"facecolor": "#eef3fb", "edgecolor": "none", "pad": 0.5}, zorder=4)

    # f_t scales the old state; i_t ⊙ g_t is added to it.
    _arrow(ax, (forget_x, gates + 0.28), (forget_x, top - 0.22))
    ax.text(forget_x + 0.1, 3.3, "$f_t$", fontsize=11)
    product = (4.7, 3.35)
    _arrow(ax, (blocks["i"][0], gates + 0.28), (product[0] - 0.16, product[1] - 0.16))
    _arrow(ax, (blocks["g"][0], gates + 0.28), (product[0] + 0.16, product[1] - 0.16))
    _node(ax, product, "×", kind="operation")
    _arrow(ax, (product[0], product[1] + 0.22), (write_x, top - 0.22))
    ax.text(3.55, 2.85, "$i_t$", fontsize=11)
    ax.text(5.5, 2.85, "$g_t$", fontsize=11)

    # h_t = o_t ⊙ tanh(c_t), read out of the new cell state.
    squash, gate_out = (read_x, 3.35), (read_x, gates)
    _arrow(ax, (read_x, top), (read_x, squash[1] + 0.23))
    _node(ax, squash, "tanh", kind="squash")
    _arrow(ax, (read_x, squash[1] - 0.23), (read_x, gate_out[1] + 0.22))
    _arrow(ax, (blocks["o"][0] + 0.35, gates), (read_x - 0.22, gates))
    _node(ax, gate_out, "×", kind="operation")
    ax.text(7.2, gates + 0.1, "$o_t$", fontsize=11)
    _arrow(ax, (read_x + 0.22, gates), (10.0, gates))

    for xy, text, align in (((-0.1, top), "$c_{t-1}$", "right"), ((10.1, top), "$c_t$", "left"),
                            ((-0.1, bus), "$h_{t-1}$", "right"), ((10.1, gates), "$h_t$", "left")):
        ax.text(*xy, text, ha=align, va="center", fontsize=13)
    ax.text(1.6, -0.35, "$x_t$", ha="center", va="top", fontsize=13)
    ax.text(5.0, 4.65, "cell state: only × and +, no weights", ha="center", fontsize=8.5,
            color="#4a6fa5")
    ax.set(xlim=(-1.0, 11.0), ylim=(-0.9, 5.1), aspect="equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def place_labels(ax: Axes, points: Sequence[Sequence[float]], labels: Sequence[str], *,
                 fontsize: float = 8, marker_radius: float = 4.0) -> list[Annotation]:
    """Annotate each point with its label where the label overlaps no other label and no marker.

    For each point in turn, eight directions at five distances are tried in a fixed order; the first free spot
    wins, else the spot with the least overlap. Freezes the axis limits.
    """
    import numpy as np

    if len(points) != len(labels):
        raise ValueError(f"expected one label per point, got {len(labels)} labels for {len(points)} points")
    fig = ax.figure
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())
    renderer = fig.canvas.get_renderer()
    scale = fig.dpi / 72  # display pixels per typographic point
    centres = ax.transData.transform(np.asarray(points, dtype=float))
    half = marker_radius * scale
    occupied = [np.array([x - half, y - half, x + half, y + half]) for x, y in centres]
    directions = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    align = {1: ("left", "bottom"), -1: ("right", "top"), 0: ("center", "center")}
    axes_box = ax.get_window_extent(renderer)
    placed = []
    for index, (point, label) in enumerate(zip(points, labels)):
        best, best_cost = None, None
        for distance in (4, 10, 16, 24, 34):
            for dx, dy in directions:
                text = ax.annotate(label, (float(point[0]), float(point[1])), fontsize=fontsize,
                                   xytext=(dx * distance, dy * distance), textcoords="offset points",
                                   ha=align[dx][0], va=align[dy][1])
                box = text.get_window_extent(renderer)
                extent = np.array([box.x0, box.y0, box.x1, box.y1])
                cost = sum(_overlap(extent, other) for i, other in enumerate(occupied) if i != index)
                cost += box.width * box.height - _overlap(extent, np.array(axes_box.extents))
                if best_cost is None or cost < best_cost:
                    if best is not None:
                        best[0].remove()
                    best, best_cost = (text, extent), cost
                else:
                    text.remove()
                if best_cost == 0:
                    break
            if best_cost == 0:
                break
        occupied.append(best[1])
        placed.append(best[0])
    return placed


def _overlap(a: object, b: object) -> float:
    """The area shared by two boxes ``[x0, y0, x1, y1]``."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return float(max(width, 0.0) * max(height, 0.0))


def plot_word_map(points: torch.Tensor, groups: dict[str, Sequence[str]], *,
                  title: str = "Word vectors projected to 2-D") -> Figure:
    """A scatter plot of word vectors already projected to 2-D, one colour per group, labels placed by
    :func:`place_labels`. ``points`` has one row per word, in the order of the groups' words."""
    import matplotlib.pyplot as plt

    words = [word for members in groups.values() for word in members]
    if tuple(points.shape) != (len(words), 2):
        raise ValueError(f"expected points of shape ({len(words)}, 2), one row per word of the groups, "
                         f"got {tuple(points.shape)}")
    fig, ax = plt.subplots(figsize=(7, 5))
    start = 0
    for index, (group, members) in enumerate(groups.items()):
        rows = points[start:start + len(members)]
        ax.scatter(rows[:, 0], rows[:, 1], label=group, color=f"C{index}", zorder=3)
        start += len(members)
    ax.margins(0.18)
    ax.set(xlabel="first principal component", ylabel="second principal component", title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: never on a label
    fig.tight_layout()  # before placing: the spots are measured in display units
    place_labels(ax, points.tolist(), words)
    return fig
