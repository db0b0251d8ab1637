"""Diagrams of recurrent networks for chapters 2 and 3: an RNN unrolled in time with the gradients of
backpropagation through time, and a decoder trained with teacher forcing beside the same decoder running free.
"""

from __future__ import annotations

from collections.abc import Sequence

FORWARD = "black"  # the forward pass
BACKWARD = "C3"  # gradients
TRUE = "C0"  # given tokens: <bos> and the target's
OWN = "C1"  # tokens the model produced itself
WRONG = "red"  # a prediction that differs from the target


def _box(ax, x: float, y: float, text: str, *, width: float = 0.9, height: float = 0.6,  # noqa: ANN001
         face: str = "white", fontsize: float = 11) -> None:
    """A rounded box centred on (x, y) with ``text`` inside."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.1", facecolor=face,
                                edgecolor="black", linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], *,  # noqa: ANN001
           color: str = FORWARD, dashed: bool = False) -> None:
    """An arrow from ``start`` to ``end``; dashed for gradients."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color,
                                 linestyle="--" if dashed else "-", linewidth=1.4,
                                 shrinkA=0, shrinkB=0))


def _legend(ax, entries: Sequence[tuple[str, str, str]], **kwargs) -> None:  # noqa: ANN001, ANN003
    """A legend of (colour, line style, label) lines."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=color, linestyle=style, linewidth=1.4) for color, style, _ in entries]
    ax.legend(handles, [label for *_, label in entries], frameon=False, fontsize=9, **kwargs)


def unrolled_rnn(steps: int = 4):  # noqa: ANN201 - a matplotlib Figure
    """An RNN unrolled over ``steps`` time steps, with the forward pass (solid, black) and the backward pass
    through time (dashed, red)."""
    import matplotlib.pyplot as plt

    if steps < 2:
        raise ValueError(f"steps: expected at least 2 to show a step passing its gradient back, got {steps}")
    gap, rows = 2.4, {"x": 0.0, "h": 1.7, "loss": 3.4}
    fig, ax = plt.subplots(figsize=(1.9 * (steps + 1), 4.6))
    _box(ax, -gap, rows["h"], r"$\mathbf{h}_0$", face="0.92")
    for t in range(1, steps + 1):
        x = (t - 1) * gap
        _box(ax, x, rows["x"], rf"$\mathbf{{x}}_{t}$", face="0.92")
        _box(ax, x, rows["h"], rf"$\mathbf{{h}}_{t}$")
        _box(ax, x, rows["loss"], rf"$\ell_{t}$", face="#fde0dc")
        # forward: input and previous state into h_t, h_t into its loss
        _arrow(ax, (x + 0.15, rows["x"] + 0.3), (x + 0.15, rows["h"] - 0.3))
        _arrow(ax, (x + 0.15, rows["h"] + 0.3), (x + 0.15, rows["loss"] - 0.3))
        _arrow(ax, (x - gap + 0.45, rows["h"] + 0.12), (x - 0.45, rows["h"] + 0.12))
        ax.text(x - gap / 2, rows["h"] + 0.25, r"$W_{hh}$", ha="center", va="bottom", fontsize=9)
        ax.text(x + 0.22, (rows["x"] + rows["h"]) / 2, r"$W_{xh}$", ha="left", va="center", fontsize=9)
        # backward: the loss's gradient into h_t, and h_t's gradient to h_{t-1}
        _arrow(ax, (x - 0.15, rows["loss"] - 0.3), (x - 0.15, rows["h"] + 0.3), color=BACKWARD, dashed=True)
        ax.text(x - 0.22, (rows["h"] + rows["loss"]) / 2, rf"$\partial\ell_{t}/\partial\mathbf{{h}}_{t}$",
                ha="right", va="center", fontsize=9, color=BACKWARD)
        if t > 1:
            _arrow(ax, (x - 0.45, rows["h"] - 0.12), (x - gap + 0.45, rows["h"] - 0.12),
                   color=BACKWARD, dashed=True)
            ax.text(x - gap / 2, rows["h"] - 0.25,
                    rf"$\partial\mathbf{{h}}_{t}/\partial\mathbf{{h}}_{t - 1}$",
                    ha="center", va="top", fontsize=9, color=BACKWARD)
    ax.text((steps - 1) * gap / 2, rows["x"] - 0.65,
            r"one set of weights $W_{xh}, W_{hh}$ at every step: their gradient is a sum over the steps",
            ha="center", va="top", fontsize=10)
    _legend(ax, [(FORWARD, "-", "forward pass"), (BACKWARD, "--", "backward pass: gradients")],
            loc="upper left", bbox_to_anchor=(0.0, 1.0))
    ax.set(xlim=(-gap - 0.7, (steps - 1) * gap + 0.7), ylim=(rows["x"] - 1.0, rows["loss"] + 0.5))
    ax.set_title(r"An RNN unrolled in time; the loss is $\ell_1 + \dots + \ell_{%d}$" % steps, fontsize=12)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def teacher_forcing_vs_free_running(
    target: Sequence[str] = ("four", "thousand", "fifty", "two"),
    forced: Sequence[str] = ("four", "thousand", "fifteen", "two", "<eos>"),
    free: Sequence[str] = ("four", "thousand", "fifteen", "<eos>"),
):  # noqa: ANN201 - a matplotlib Figure
    """A decoder producing ``target`` (then ``<eos>``) in two ways, one panel each.

    ``forced``: the predictions under teacher forcing, one per target token plus ``<eos>``; ``free``: the predictions
    when each is fed back as the next input. Predictions that differ from the target are drawn in red.
    """
    import matplotlib.pyplot as plt

    expected = [*target, "<eos>"]
    if len(forced) != len(expected):
        raise ValueError(f"forced: expected one prediction per target token plus <eos> ({len(expected)}), "
                         f"got {len(forced)}")
    if not 1 <= len(free) <= len(expected) + 3:
        raise ValueError(f"free: expected 1 to {len(expected) + 3} predictions, got {len(free)}")
    steps = max(len(expected), len(free))
    gap, rows = 1.9, {"in": 0.0, "s": 1.3, "out": 2.6}
    fig, axes = plt.subplots(2, 1, figsize=(1.75 * (steps + 1), 6.4))
    panels = [
        ("Teacher forcing (training): each input is the true previous token", forced,
         ["<bos>", *target], [TRUE] * len(forced)),
        ("Free running (generation): each input is the model's own previous output", free,
         ["<bos>", *free[:-1]], [TRUE] + [OWN] * (len(free) - 1)),
    ]
    for ax, (title, outputs, inputs, input_colors) in zip(axes, panels):
        _box(ax, -gap, rows["s"], "encoder\nstate", width=1.2, height=0.75, face="0.92", fontsize=9)
        for t, (word, token_in, color) in enumerate(zip(outputs, inputs, input_colors)):
            x = t * gap
            _box(ax, x, rows["s"], "LSTM", width=1.0)
            ax.text(x, rows["in"], token_in, ha="center", va="center", fontsize=10, color=color)
            right = t < len(expected) and word == expected[t]
            ax.text(x, rows["out"], word, ha="center", va="center", fontsize=10,
                    color=FORWARD if right else WRONG, fontweight="normal" if right else "bold")
            _arrow(ax, (x, rows["in"] + 0.22), (x, rows["s"] - 0.3))
            _arrow(ax, (x, rows["s"] + 0.3), (x, rows["out"] - 0.22))
            _arrow(ax, (x - gap + (0.6 if t == 0 else 0.5), rows["s"]), (x - 0.5, rows["s"]))
            if outputs is free and t + 1 < len(outputs):  # the output becomes the next input
                _arrow(ax, (x + 0.35, rows["out"] - 0.2), (x + gap - 0.35, rows["in"] + 0.2),
                       color=OWN, dashed=True)
        ax.text(-gap, rows["out"], "output", ha="center", va="center", fontsize=9, style="italic")
        ax.text(-gap, rows["in"], "input", ha="center", va="center", fontsize=9, style="italic")
        ax.set_title(title, fontsize=11, loc="left")
        ax.set(xlim=(-gap - 0.8, (steps - 1) * gap + 0.8), ylim=(rows["in"] - 0.5, rows["out"] + 0.4))
        ax.set_aspect("equal")
        ax.axis("off")
    _legend(axes[1], [(TRUE, "-", "given: <bos> or a token of the target"), (OWN, "--", "the model's own output, fed back"),
                      (WRONG, "-", "prediction that differs from the target")],
            loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3)
    fig.tight_layout()
    return fig
