"""A training loop: mini-batches, gradient clipping, validation, a loss curve and checkpoints."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from lmtutorial.core.checks import check_number
from lmtutorial.core.optim import Adam
from lmtutorial.data.text import Vocabulary
from lmtutorial.plots import plot_loss_curves
from lmtutorial.progress import tqdm

Batch = tuple[torch.Tensor, ...]


@dataclass
class History:
    """Training loss of every step; validation loss (nats per token) with the step it was measured after.

    Taught on page ``ch03_algorithms``.
    """

    step_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    seconds: float = 0.0


def clip_grad_norm(parameters: Iterable[torch.Tensor], max_norm: float) -> float:
    """``g ← g · min(1, max_norm / ‖g‖)`` with ``‖g‖ = √(Σ_p ‖∂L/∂p‖²)``, as ``torch.nn.utils.clip_grad_norm_``;
    returns ``‖g‖`` before clipping.

    Taught on page ``ch03_algorithms``.
    """
    check_number("max_norm", max_norm, above=0)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale)
    return norm.item()


def check_model_vocabulary(model: torch.nn.Module, vocab: Vocabulary) -> None:
    """Raise ``ValueError`` unless ``vocab`` fits ``model``: as many tokens as its ``config["vocab_size"]`` (when it
    has one), and the same tokens as the vocabulary it was trained or loaded with (``model.vocab_fingerprint``)."""
    config = getattr(model, "config", None)
    size = config.get("vocab_size") if isinstance(config, dict) else None
    if size is not None and size != len(vocab):
        raise ValueError(f"vocab: expected {size} tokens (the model's vocab_size), got {len(vocab)}")
    known = getattr(model, "vocab_fingerprint", None)
    if known is not None and known != vocab.fingerprint:
        raise ValueError(f"vocab: expected the vocabulary the model was trained with (fingerprint {known}), "
                         f"got another one of {len(vocab)} tokens (fingerprint {vocab.fingerprint})")


def train(
    model: torch.nn.Module,
    batches: Iterable[Batch] | Callable[[int], Iterable[Batch]],
    batch_loss: Callable[[torch.nn.Module, Batch], torch.Tensor],
    *,
    epochs: int = 1,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    validate: Callable[[torch.nn.Module], float] | None = None,
    val_every: int | None = None,
    checkpoint: str | os.PathLike | None = None,
    vocab: Vocabulary | None = None,
    desc: str = "training",
    progress: bool = True,
) -> History:
    """Train ``model`` in place for ``epochs`` passes over ``batches`` (a list, or a function of the epoch number
    returning that epoch's batches) minimising ``batch_loss(model, batch)``.

    ``validate(model)`` (a held-out loss) runs after every epoch and every ``val_every`` steps. ``checkpoint``: a
    path saved after every epoch (:func:`save_checkpoint`). ``vocab``: its fingerprint is kept on the model.

    Taught on page ``ch03_algorithms``.
    """
    check_number("epochs", epochs, integer=True, minimum=1)
    check_number("lr", lr, above=0)
    if vocab is not None:
        check_model_vocabulary(model, vocab)
        model.vocab_fingerprint = vocab.fingerprint
    optimizer = optimizer if optimizer is not None else Adam(model.parameters(), lr=lr)
    history, start = History(), time.perf_counter()

    def run_validation() -> None:
        model.eval()
        with torch.no_grad():
            history.val_loss.append(validate(model))
        history.val_step.append(len(history.step_loss))
        model.train()

    for epoch in range(epochs):
        model.train()
        epoch_batches = batches(epoch) if callable(batches) else batches
        bar = tqdm(epoch_batches, desc=f"{desc} {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for batch in bar:
            loss = batch_loss(model, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss: expected a finite value, got {loss.item()} at step "
                                         f"{len(history.step_loss) + 1}; try a lower learning rate")
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm(model.parameters(), clip)
            optimizer.step()
            history.step_loss.append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if validate is not None and val_every and len(history.step_loss) % val_every == 0:
                run_validation()
        if validate is not None and history.val_step[-1:] != [len(history.step_loss)]:
            run_validation()
        history.seconds = time.perf_counter() - start
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, vocab, history)
    return history


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    vocab: Vocabulary | None = None, history: History | None = None) -> None:
    """Save the model's parameters (and ``config`` if it has one), the optimiser state, vocabulary and history.

    Written atomically: an interrupted save leaves the previous checkpoint as it was. A full disk raises one
    ``OSError`` naming the folder.
    """
    if vocab is not None:
        check_model_vocabulary(model, vocab)
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"checkpoint: expected an existing folder to save {path.name} in, got {path.parent}")
    state = {
        "model": model.state_dict(),
        "config": getattr(model, "config", None),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "vocab": None if vocab is None else vocab.itos,
        "history": None if history is None else asdict(history),
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OSError(error.errno, f"no space left on the disk of {path.parent} to save {path.name}; the "
                                       "previous checkpoint, if any, is unchanged") from None
        raise


def load_checkpoint(path: str | os.PathLike, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    vocab: Vocabulary | None = None) -> History | None:
    """Load a checkpoint into ``model`` (and ``optimizer``); return its history.

    With ``vocab``, the checkpoint's vocabulary must be the same, token for token. Either way the model records
    the checkpoint vocabulary's fingerprint (``model.vocab_fingerprint``).

    Taught on page ``ch03_algorithms``.
    """
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if vocab is not None:
        stored = saved["vocab"]
        if stored is None:
            raise ValueError(f"{path}: expected a vocabulary of {len(vocab)} tokens in the checkpoint, got none")
        if stored != vocab.itos:
            differ = next((i for i, (a, b) in enumerate(zip(stored, vocab.itos)) if a != b), min(len(stored),
                                                                                                   len(vocab)))
            raise ValueError(
                f"{path}: the checkpoint's vocabulary ({len(stored)} tokens) does not match the given one "
                f"({len(vocab)} tokens); first difference at id {differ}: "
                f"{stored[differ] if differ < len(stored) else None!r} vs "
                f"{vocab.itos[differ] if differ < len(vocab) else None!r}")
    model.load_state_dict(saved["model"])
    if saved["vocab"] is not None:
        model.vocab_fingerprint = Vocabulary(saved["vocab"]).fingerprint
    if optimizer is not None and saved["optimizer"] is not None:
        optimizer.load_state_dict(saved["optimizer"])
    return None if saved["history"] is None else History(**saved["history"])


def plot_history(histories: dict[str, History], ax=None, title: str = "Training and validation loss", smooth: int = 20):  # noqa: ANN001, ANN201 - matplotlib types
    """Training loss (moving average of ``smooth`` steps) and validation loss of each run, on one axis.

    Taught on page ``ch03_algorithms``.
    """
    runs = {}
    for name, history in histories.items():
        losses = torch.tensor(history.step_loss)
        window = max(1, min(smooth, len(losses)))
        averaged = losses.unfold(0, window, 1).mean(1)
        runs[name] = {"training": (range(window, len(losses) + 1), averaged),
                      "validation": (history.val_step, history.val_loss)}
    return plot_loss_curves(runs, ax, xlabel="training step", ylabel="cross-entropy (nats per token)", title=title)
