"""Two kinds of language model trained at an equal budget and compared on the same held-out windows.

Every model of a seed sees the same training windows in the same order, with the same optimiser, learning rate and
number of steps; each is scored by its perplexity on held-out text cut into windows of the same length,

    perplexity = exp( −(1/N) Σ_windows Σ_t log p(x_t | the window's tokens before t) ),

so no model reads more context than the windows give it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch

from lmtutorial.core.checks import check_number
from lmtutorial.core.losses import cross_entropy
from lmtutorial.costs import count_parameters
from lmtutorial.data.batching import lm_batches


def next_token_logits(model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The logits (batch, T, vocab) of a model that returns them alone (a Transformer) or with a state (an LSTM).

    Taught on page ``ch03_1_transformer``.
    """
    output = model(inputs)
    return output[0] if isinstance(output, tuple) else output


def window_lm_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy of one batch of windows ``(inputs, targets)``.

    Taught on page ``ch03_1_transformer``.
    """
    inputs, targets = batch
    return cross_entropy(next_token_logits(model, inputs), targets)


@torch.no_grad()
def window_loss(model: torch.nn.Module, stream: torch.Tensor, window: int, batch_size: int = 64) -> float:
    """Mean next-token cross-entropy (nats) over ``stream`` cut into consecutive windows of ``window`` tokens,
    each read from scratch (no state carried from one window to the next).

    Taught on page ``ch03_1_transformer``.
    """
    check_number("window", window, integer=True, minimum=1)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for inputs, targets in lm_batches(stream, batch_size, window):
        total += cross_entropy(next_token_logits(model, inputs), targets, reduction="sum").item()
        count += targets.numel()
    model.train(was_training)
    return total / count


def train_at_equal_budget(
    models: Mapping[str, Callable[[], torch.nn.Module]],
    train_stream: torch.Tensor,
    val_stream: torch.Tensor,
    seeds: Sequence[int],
    *,
    batch_size: int,
    window: int,
    lr: float,
    epochs: int = 1,
    val_every: int | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train a fresh model of each kind (``models``: name → constructor) for each seed, all on the same windows
    of ``train_stream``; one row per run with its validation curve and held-out perplexity (:func:`window_loss`).

    The seed sets the initial weights and the order of the windows, which is the same for every kind.

    Taught on page ``ch03_1_transformer``.
    """
    from lmtutorial.training.loop import train

    if not models:
        raise ValueError("models: expected at least one name -> constructor, got none")
    if isinstance(seeds, int) or not seeds:
        raise ValueError(f"seeds: expected a non-empty list of seeds, got {seeds!r}")
    rows = []
    for seed in seeds:
        # every kind of this seed trains on these windows, one list per epoch
        windows = [lm_batches(train_stream, batch_size, window, seed=1_000 * seed + epoch) for epoch in range(epochs)]
        seen = sum(inputs.numel() for epoch_windows in windows for inputs, _ in epoch_windows)
        for name, make in models.items():
            torch.manual_seed(seed)
            model = make()
            history = train(model, lambda epoch: windows[epoch], window_lm_loss, epochs=epochs, lr=lr,
                            validate=lambda m: window_loss(m, val_stream, window),
                            val_every=val_every, desc=f"{name}, seed {seed}", progress=progress)
            rows.append({"model": name, "seed": seed, "parameters": count_parameters(model),
                         "steps": len(history.step_loss), "tokens_seen": seen,
                         "val_loss": history.val_loss[-1], "perplexity": math.exp(history.val_loss[-1]),
                         "val_step": list(history.val_step), "val_curve": list(history.val_loss),
                         "seconds": history.seconds})
    return rows


def lstm_and_gpt(vocab_size: int, lstm: Mapping[str, int], gpt: Mapping[str, int]) -> dict[str,
                                                                                         Callable[[], torch.nn.Module]]:
    """The two kinds compared: chapter 3's LSTM language model (``lstm``: embed_dim, hidden_size) and a small
    Llama-style GPT (``gpt``: dim, n_layers, n_heads, ffn_dim; tied embeddings, GPT-2's initialisation).

    Taught on page ``ch03_1_transformer``.
    """
    from lmtutorial.models.decoder import Decoder, DecoderConfig, init_for_training
    from lmtutorial.models.language_model import LSTMLanguageModel

    config = DecoderConfig(vocab_size, gpt["dim"], gpt["n_layers"], gpt["n_heads"], gpt["n_heads"], gpt["ffn_dim"])
    return {"LSTM": lambda: LSTMLanguageModel(vocab_size, lstm["embed_dim"], lstm["hidden_size"]),
            "GPT": lambda: init_for_training(Decoder(config))}


def compare_lstm_and_gpt(sizes: Mapping, progress: bool = True) -> dict:
    """The comparison of page ``ch03_1_transformer`` at ``sizes`` (its ``compare`` entry): a word vocabulary and
    token streams from IMDb's training reviews, then :func:`train_at_equal_budget` at each learning rate.

    Returns the data's sizes, each kind's parameter count and one row per (learning rate, seed, kind).

    Taught on page ``ch03_1_transformer``.
    """
    from lmtutorial.data.batching import lm_stream
    from lmtutorial.data.imdb import load_imdb
    from lmtutorial.data.text import Vocabulary

    n_train = sizes["train_reviews"]
    reviews = load_imdb("train").shuffle(seed=0).select(range(n_train + sizes["val_reviews"]))
    train_texts, val_texts = reviews["text"][:n_train], reviews["text"][n_train:]
    vocab = Vocabulary.build(train_texts, max_size=sizes["vocab_size"])
    train_stream, val_stream = lm_stream(train_texts, vocab), lm_stream(val_texts, vocab)
    models = lstm_and_gpt(len(vocab), sizes["lstm"], sizes["gpt"])
    rows = [{"lr": lr, **row} for lr in sizes["lrs"]
            for row in train_at_equal_budget(models, train_stream, val_stream, sizes["seeds"],
                                             batch_size=sizes["batch_size"], window=sizes["window"], lr=lr,
                                             epochs=sizes["epochs"], val_every=sizes["val_every"],
                                             progress=progress)]
    return {"data": {"train_tokens": len(train_stream), "val_tokens": len(val_stream), "vocab_size": len(vocab)},
            "parameters": {name: count_parameters(make()) for name, make in models.items()}, "runs": rows}
