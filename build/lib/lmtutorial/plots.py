"""The one loss-curve plotter, used by the language models' :func:`~lmtutorial.training.loop.plot_history` and
the fine-tune's :func:`~lmtutorial.hf.report.plot_loss_curve`. ``matplotlib`` is imported only when it draws."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle


Curve = tuple[Sequence[float], Sequence[float]]  # (x, y)


def plot_loss_curves(runs: dict[str, dict[str, Curve]], ax=None, *,  # noqa: ANN001, ANN201 - matplotlib types
                     xlabel: str, ylabel: str, title: str, figsize: tuple[float, float] = (7, 4),
                     legend_loc: str = "best"):
    """Draw each run's curves on one axis, one colour per run, and return the axis.

    ``runs`` maps a run's name to its curves, ``{label: (x, y)}``: a label starting with "training" is a line (drawn
    lighter), any other (validation) dots joined by dashes; an empty curve is left out. A run named ``""`` labels its
    curves with their label alone, any other with ``"<name>: <label>"``. Without ``ax`` a new figure of ``figsize``.
    """
    import matplotlib

    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=figsize)[1]
    for (name, curves), color in zip(runs.items(), cycle(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"])):
        for label, (x, y) in curves.items():
            if len(x) == 0:
                continue
            training = label.startswith("training")
            ax.plot(x, y, "-" if training else "o--", color=color, alpha=0.6 if training else 1.0,
                    label=f"{name}: {label}" if name else label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(loc=legend_loc)
    return ax
