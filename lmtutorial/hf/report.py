"""What a fine-tuning run leaves behind besides its results JSON: its loss curve and confusion matrix, as plots."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lmtutorial.plots import plot_loss_curves
from lmtutorial.provenance import write_atomically


def plot_loss_curve(results: dict, ax=None):
    """Training loss at each logging step and validation loss after each epoch, against the epoch."""
    history = results["log_history"]
    curves = {"training (mean per logging interval)": _by_epoch(history, "loss"),
              "validation loss": _by_epoch(history, "eval_loss")}
    return plot_loss_curves({"": curves}, ax, xlabel="epoch", ylabel="cross-entropy loss",
                            title=f"{Path(results['model']).name}: loss", figsize=(5, 4), legend_loc="upper right")


def _by_epoch(history: list[dict], key: str) -> tuple[list[float], list[float]]:
    """The epochs and values of ``key`` in a Trainer's log history, for the entries that have it."""
    entries = [h for h in history if key in h]
    return [h["epoch"] for h in entries], [h[key] for h in entries]


def plot_confusion_matrix(results: dict, ax=None, labels: tuple[str, ...] = ("negative", "positive")):
    """The test set's confusion matrix: rows are true labels, columns predictions, with counts in the cells."""
    ax = ax if ax is not None else _new_axes()
    matrix = np.asarray(results["test"]["confusion_matrix"])
    names = labels if len(labels) == len(matrix) else tuple(str(i) for i in range(len(matrix)))
    ax.imshow(matrix, cmap="Blues")
    for (t, p), count in np.ndenumerate(matrix):
        ax.text(p, t, f"{count:,}", ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set(xticks=range(len(names)), yticks=range(len(names)), xticklabels=names, yticklabels=names,
           xlabel="predicted", ylabel="true", title=f"test accuracy {results['test']['accuracy']:.2%}")
    return ax


def save_plots(results: dict, folder: str | os.PathLike) -> list[Path]:
    """``loss_curve.png`` and ``confusion_matrix.png`` in ``folder``, each written atomically (no display needed)."""
    from matplotlib.figure import Figure

    paths = []
    for name, draw in (("loss_curve.png", plot_loss_curve), ("confusion_matrix.png", plot_confusion_matrix)):
        figure = Figure(figsize=(5, 4), layout="constrained")
        draw(results, figure.add_subplot())
        paths.append(write_atomically(Path(folder) / name,
                                      lambda temporary: figure.savefig(temporary, dpi=100, format="png")))
    return paths


def _new_axes():
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5, 4))[1]

