"""What a fine-tuning run leaves behind: the hardware and library versions it ran on, its plots, and result files.

A results JSON states everything a number needs to be trusted later: which model on which data, on which chip,
with which libraries, how long each phase took. The book's chapters read such files instead of typing numbers.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

LIBRARIES = ("torch", "transformers", "datasets", "accelerate", "tokenizers", "numpy", "lmtutorial")


def library_versions() -> dict[str, str | None]:
    """Installed versions of Python and of the libraries a fine-tune depends on (``None`` if missing)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def hardware() -> dict[str, object]:
    """The accelerator (or CPU) this process computes on, named as the driver names it."""
    import torch

    info: dict[str, object] = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                               "world_size": int(os.environ.get("WORLD_SIZE", "1"))}
    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        info.update(device="cuda", name=torch.cuda.get_device_name(index), count=torch.cuda.device_count(),
                    capability=".".join(map(str, torch.cuda.get_device_capability(index))),
                    memory_gib=round(torch.cuda.get_device_properties(index).total_memory / 2**30, 1),
                    cuda=torch.version.cuda)
    else:
        info.update(device="cpu", name=f"CPU ({platform.machine()}, {os.cpu_count()} cores)", count=1,
                    torch_threads=torch.get_num_threads())
    return info


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """``write(temporary)`` to a temporary name in ``path``'s folder, then rename it to ``path``.

    A kill or a full disk in the middle leaves the earlier file (or none), never a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_json(path: str | os.PathLike, payload: dict) -> Path:
    """Write ``payload`` as indented JSON, atomically (NumPy scalars and arrays become plain numbers and lists)."""
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, Path):
            return str(value)
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(payload, indent=2, default=plain) + "\n"

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())

    return write_atomically(path, write)


def plot_loss_curve(results: dict, ax=None):
    """Training loss at each logging step and validation loss after each epoch, against the epoch."""
    ax = ax if ax is not None else _new_axes()
    history = results["log_history"]
    train = [(h["epoch"], h["loss"]) for h in history if "loss" in h]
    val = [(h["epoch"], h["eval_loss"]) for h in history if "eval_loss" in h]
    if train:
        ax.plot(*zip(*train), label="training (mean per logging interval)")
    if val:
        ax.plot(*zip(*val), "o-", label="validation loss")
    ax.set(xlabel="epoch", ylabel="cross-entropy loss", title=f"{Path(results['model']).name}: loss")
    ax.legend(loc="upper right")
    return ax


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

