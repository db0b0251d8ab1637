"""Chapter 6.2: translation with and without attention, on numbers written in digits → English words, scored by
corpus BLEU and exact match per input length after greedy decoding or beam search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from lmtutorial.core.bleu import corpus_bleu
from lmtutorial.data.batching import pad_sequences
from lmtutorial.data.tasks import exact_match, number_batch, number_to_words, sample_numbers, SOURCE_VOCAB, TARGET_VOCAB
from lmtutorial.models.seq2seq import AttentionDecoder, LSTMDecoder, LSTMEncoder, Seq2Seq, seq2seq_loss
from lmtutorial.training.loop import History, train

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_LEN = 14  # output words: the longest number in words ("seven hundred seventy seven thousand …") has 12


def split_numbers(train_numbers: int, train_max_digits: int, test_digits: tuple[int, ...], test_per_length: int,
                  seed: int = 0) -> tuple[list[int], dict[int, list[int]]]:
    """Training numbers of 1 … ``train_max_digits`` digits, and ``test_per_length`` distinct test numbers of each
    length in ``test_digits``; no test number occurs in training."""
    test = {d: sample_numbers(test_per_length, seed=seed + 1000 + d, min_digits=d, max_digits=d, distinct=True)
            for d in test_digits}
    unseen = {n for numbers in test.values() for n in numbers}
    return sample_numbers(train_numbers, seed=seed, max_digits=train_max_digits, exclude=unseen), test


def make_translator(attention: bool, embed_dim: int, hidden_size: int, seed: int = 0) -> Seq2Seq:
    """Chapter 3's encoder–decoder, with an :class:`AttentionDecoder` when ``attention`` else an
    :class:`LSTMDecoder`; weights drawn from ``seed``."""
    torch.manual_seed(seed)
    decoder = AttentionDecoder if attention else LSTMDecoder
    return Seq2Seq(LSTMEncoder(len(SOURCE_VOCAB), embed_dim, hidden_size),
                   decoder(len(TARGET_VOCAB), embed_dim, hidden_size))


def train_translator(model: Seq2Seq, numbers: list[int], epochs: int, batch_size: int, lr: float,
                     progress: bool = False) -> History:
    """Train ``model`` on ``numbers`` with teacher forcing, in mini-batches shuffled anew every epoch."""
    def batches(epoch: int) -> list[tuple[torch.Tensor, ...]]:
        order = torch.randperm(len(numbers), generator=torch.Generator().manual_seed(epoch)).tolist()
        return [number_batch([numbers[i] for i in order[s:s + batch_size]])
                for s in range(0, len(order), batch_size)]

    return train(model, batches, seq2seq_loss, epochs=epochs, lr=lr, progress=progress,
                 desc="with attention" if isinstance(model.decoder, AttentionDecoder) else "fixed vector")


def translate_numbers(model: Seq2Seq, numbers: list[int], beam_width: int = 1,
                      alpha: float = 0.0) -> list[list[str]]:
    """The words ``model`` outputs for each number: greedy when ``beam_width == 1``, else beam search."""
    src, lengths, _, _ = number_batch(numbers)
    ends = (TARGET_VOCAB.bos_id, TARGET_VOCAB.eos_id)
    if beam_width == 1:
        ids = model.translate(src, lengths, *ends, max_len=MAX_LEN)
    else:
        ids = model.beam_translate(src, lengths, *ends, max_len=MAX_LEN, beam_width=beam_width, alpha=alpha)
    return [TARGET_VOCAB.decode(row).split() for row in ids]


def score(outputs: list[list[str]], numbers: list[int]) -> dict[str, float]:
    """Corpus BLEU (0–1) and exact match of ``outputs`` against the words of ``numbers``."""
    references = [number_to_words(n) for n in numbers]
    return {"bleu": corpus_bleu(outputs, [[r] for r in references]), "exact_match": exact_match(outputs, references)}


def log_probs(model: Seq2Seq, numbers: list[int], outputs: list[list[str]]) -> list[float]:
    """``log p(output, <eos> | number)`` under ``model`` for each number: what beam search maximises."""
    src, lengths, _, _ = number_batch(numbers)
    ids = [[TARGET_VOCAB.stoi[w] for w in words] for words in outputs]
    previous, _ = pad_sequences([[TARGET_VOCAB.bos_id, *row] for row in ids], TARGET_VOCAB.pad_id)
    target, _ = pad_sequences([[*row, TARGET_VOCAB.eos_id] for row in ids], TARGET_VOCAB.pad_id)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        token_log_probs = torch.log_softmax(model(src, lengths, previous).double(), dim=-1)
    model.train(was_training)
    picked = token_log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    return picked.masked_fill(target == TARGET_VOCAB.pad_id, 0.0).sum(-1).tolist()


def error_kinds(model: Seq2Seq, numbers: list[int], outputs: list[list[str]]) -> dict[str, int]:
    """Split the wrong ``outputs`` into search errors, where the model gives the right words a higher
    log-probability than its output (a better search could find them), and model errors, where it does not."""
    references = [number_to_words(n) for n in numbers]
    wrong = [i for i, (o, r) in enumerate(zip(outputs, references)) if o != r]
    ours = log_probs(model, [numbers[i] for i in wrong], [outputs[i] for i in wrong]) if wrong else []
    right = log_probs(model, [numbers[i] for i in wrong], [references[i] for i in wrong]) if wrong else []
    search = sum(r > o for o, r in zip(ours, right))
    return {"search_errors": search, "model_errors": len(wrong) - search}


def evaluate(model: Seq2Seq, test: dict[int, list[int]], beam_width: int = 1,
             alpha: float = 0.0) -> dict[str, dict]:
    """Translate every test number (greedy when ``beam_width == 1``, else beam search) and :func:`score` the
    outputs per digit count (``"by_length"``) and all together (``"all"``, with the mean log-probability of the
    outputs under the model, ``"log_prob"``, and the :func:`error_kinds` counts)."""
    outputs = {d: translate_numbers(model, numbers, beam_width, alpha) for d, numbers in test.items()}
    every_number = [n for numbers in test.values() for n in numbers]
    every_output = [words for d in test for words in outputs[d]]
    scores = score(every_output, every_number)
    scores["log_prob"] = sum(log_probs(model, every_number, every_output)) / len(every_number)
    scores.update(error_kinds(model, every_number, every_output))
    return {"by_length": {d: score(outputs[d], test[d]) for d in test}, "all": scores}


def seed_runs(train_numbers: list[int], test: dict[int, list[int]],
              sizes: dict) -> dict[int, dict[str, dict[str, dict]]]:
    """Train both translators from each of ``sizes["seeds"]`` (the seed of the initial weights; same data) and
    :func:`evaluate` them: ``{seed: {model: {"greedy": ..., "beam": ...}}}``; ``sizes`` is chapter 6.2's entry of
    :data:`lmtutorial.book.sizes.SIZES`."""
    runs = {}
    for seed in sizes["seeds"]:
        runs[seed] = {}
        for name, attention in (("fixed vector", False), ("attention", True)):
            model = make_translator(attention, sizes["embed_dim"], sizes["hidden_size"], seed)
            train_translator(model, train_numbers, sizes["epochs"], sizes["batch_size"], sizes["lr"])
            runs[seed][name] = {"greedy": evaluate(model, test),
                                "beam": evaluate(model, test, beam_width=sizes["beam_width"])}
    return runs


def plot_bleu_by_length(scores: dict[str, dict[int, dict[str, float]]], train_max_digits: int,
                        ax: Axes | None = None) -> Axes:
    """BLEU against the number of input digits, one line per model (``scores[name][digits]["bleu"]``, e.g.
    ``evaluate(...)["by_length"]`` per model); the lengths longer than any training input are shaded."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for (name, by_length), marker in zip(scores.items(), "os^v"):
        digits = sorted(by_length)
        ax.plot(digits, [by_length[d]["bleu"] for d in digits], marker=marker, label=name)
    longest = max(d for by_length in scores.values() for d in by_length)
    ax.axvspan(train_max_digits + 0.5, longest + 0.5, color="0.9", zorder=0, label="longer than in training")
    ax.set(xlabel="digits in the input number", ylabel="corpus BLEU", ylim=(-0.02, 1.02),
           xticks=sorted({d for by_length in scores.values() for d in by_length}))
    ax.legend(loc="lower left", fontsize="small")
    return ax


def plot_attention(model: Seq2Seq, number: int, ax: Axes | None = None) -> Axes:
    """Heat map of the attention weights while ``model`` writes its greedy translation of ``number``: one row per
    output word, one column per input digit."""
    import matplotlib.pyplot as plt

    words = translate_numbers(model, [number])[0]
    src, lengths, _, _ = number_batch([number])
    previous = torch.tensor([[TARGET_VOCAB.bos_id, *(TARGET_VOCAB.stoi[w] for w in words)]])
    weights = model.attention_weights(src, lengths, previous)[0]  # (output words + <eos>, digits)
    rows = [*words, "<eos>"]
    ax = ax or plt.subplots(figsize=(0.6 * len(str(number)) + 2.5, 0.35 * len(rows) + 1))[1]
    image = ax.imshow(weights.numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(str(number))), list(str(number)))
    ax.set_yticks(range(len(rows)), rows)
    ax.set(xlabel="input digit", ylabel="output word")
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax

