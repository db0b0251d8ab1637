"""How big each page's run is: one table per page, one entry per size profile (``ci``: the two-core machine that
builds the book; ``colab``: Colab's free runtime, a T4 and two CPU cores, in about 10 minutes a page; ``full``: the
results the website cites), read with ``SIZE = page_sizes("ch03_algorithms")``.

Only chapter 5 puts a model on the GPU; every other page runs on the CPU, in Colab too. Its ``colab`` sizes are
those of the profile whose run on this book's two-core machine is measured to take at most 10 minutes
(``bench/colab_estimate.py`` writes each page's estimate; chapter 5's comes from FLOPs and the H200 anchor run).
"""

from __future__ import annotations

from dataclasses import dataclass

from lmtutorial.book.resources import PROFILES, sizes_profile


@dataclass(frozen=True)
class Budget:
    """What every run of one comparison of chapter 6.5 gets: optimiser steps, batch size and peak learning rate
    (AdamW, linear warm-up over the first 10 % of steps, then linear decay to 0)."""

    steps: int
    batch_size: int
    learning_rate: float


def _table(ci: dict, full: dict, colab: str | dict) -> dict[str, dict]:
    """A page's table; ``colab`` is its own sizes, or the name of the profile whose sizes it shares."""
    return {"ci": ci, "colab": colab if isinstance(colab, dict) else {"ci": ci, "full": full}[colab], "full": full}


SIZES: dict[str, dict[str, dict]] = {
    # four reviews through a small, untrained model: the same in every profile
    "ch02_core_concepts": {
        name: dict(vocab_reviews=2_000, vocab_size=5_000, source_lengths=(24, 17, 20, 9), target_length=12,
                   embed_dim=32, hidden_size=64)
        for name in PROFILES
    },
    "ch03_algorithms": _table(
        ci=dict(
            language_model=dict(train_reviews=1_000, val_reviews=200, vocab_size=3_000, embed_dim=64,
                                hidden_size=128, batch_size=32, bptt=35, epochs=1, lr=0.008, val_every=60),
            numbers=dict(train_numbers=16_000, test_numbers=500, embed_dim=32, hidden_size=128, batch_size=64,
                         epochs=3, lr=0.005)),
        full=dict(
            language_model=dict(train_reviews=6_000, val_reviews=500, vocab_size=6_000, embed_dim=128,
                                hidden_size=256, batch_size=32, bptt=35, epochs=1, lr=0.005, val_every=300),
            numbers=dict(train_numbers=48_000, test_numbers=1_500, embed_dim=32, hidden_size=256, batch_size=64,
                         epochs=4, lr=0.004)), colab="ci"),
    # BPE against a word vocabulary (reviews, sizes); SmolLM2's new tokens; the LSTM and the small GPT trained
    # at an equal budget (the same reviews, word vocabulary, windows, steps and Adam, at each learning rate)
    "ch03_1_transformer": _table(
        ci=dict(bpe=dict(train_reviews=300, held_out=50, vocab_sizes=(500, 1_000, 2_000, 4_000)),
                new_tokens=12,
                compare=dict(train_reviews=400, val_reviews=60, vocab_size=2_000, window=64, batch_size=32,
                             epochs=1, lrs=(0.002, 0.005), seeds=(0,), val_every=10,
                             lstm=dict(embed_dim=32, hidden_size=64),
                             gpt=dict(dim=64, n_layers=2, n_heads=4, ffn_dim=160))),
        full=dict(bpe=dict(train_reviews=10_000, held_out=500, vocab_sizes=(1_000, 4_000, 16_000, 32_000)),
                  new_tokens=40,
                  compare=dict(train_reviews=3_000, val_reviews=300, vocab_size=4_000, window=64, batch_size=32,
                               epochs=1, lrs=(0.002, 0.005), seeds=(0, 1, 2), val_every=40,
                               lstm=dict(embed_dim=64, hidden_size=128),
                               gpt=dict(dim=96, n_layers=4, n_heads=4, ffn_dim=288))), colab="ci"),
    # skip-gram on IMDb: "full" reads all training reviews
    "ch04_math": _table(
        ci=dict(reviews=8_000, vocab_size=5_000, dim=50, window=3, epochs=1, batch_size=8192, lr=0.02),
        full=dict(reviews=25_000, vocab_size=10_000, dim=100, window=3, epochs=2, batch_size=8192, lr=0.01),
        colab="ci"),
    # the article's script (script), the reviews whose lengths are counted (None: all training reviews) and
    # the arguments of lmtutorial.hf.finetune.finetune (finetune); page 5 adjusts the last for its model and GPU
    "ch05_bert_project": _table(
        ci=dict(script=dict(train=40, test=32, max_length=128, epochs=2), length_sample=2_000,
                finetune=dict(train_size=640, test_size=400, validation_fraction=0.1, epochs=1, max_length=64,
                              head=16, max_tokens=1024, eval_batch_size=64)),
        full=dict(script=dict(train=4_000, test=4_000, max_length=512, epochs=2), length_sample=None,
               finetune=dict(epochs=3)),
        # bert-base on a T4 (the token budget follows from its memory): about 5 minutes of GPU work, estimated
        colab=dict(script=dict(train=1_000, test=500, max_length=512, epochs=2), length_sample=2_000,
                   finetune=dict(train_size=8_000, test_size=5_000, epochs=1))),
    # test reviews; the BiLSTM's training reviews and epochs; the encoder's training-set sizes and seeds; the
    # LLM's numbers of examples and draws of them; reviews timed. Every classifier reads a review's first words.
    "ch06_1_classification": _table(
        ci=dict(test=32, max_words=40, bilstm_train=800, bilstm_epochs=2, encoder_sizes=(32, 128),
                encoder_seeds=(0,), shots=(0, 1), draws=1, latency_reviews=4),
        full=dict(test=300, max_words=40, bilstm_train=3000, bilstm_epochs=4,
               encoder_sizes=(16, 64, 256, 1024), encoder_seeds=(0, 1, 2), shots=(0, 1, 4, 8), draws=5,
               latency_reviews=10), colab="ci"),
    "ch06_2_translation": _table(  # "full" keeps the small budget at which the bottleneck shows, tests on 4x as many
        ci=dict(train_numbers=2_000, train_max_digits=5, test_digits=(3, 4, 5, 6), test_per_length=100,
                embed_dim=16, hidden_size=32, batch_size=64, epochs=8, lr=0.02, beam_width=4, seeds=(0,)),
        full=dict(train_numbers=2_000, train_max_digits=5, test_digits=(3, 4, 5, 6), test_per_length=400,
                  embed_dim=16, hidden_size=32, batch_size=64, epochs=8, lr=0.02, beam_width=4,
                  seeds=(0, 1, 2, 3, 4)), colab="full"),
    # test reviews the rule scans; training reviews with and without a score; held-out test reviews
    "ch06_3_question_answering": _table(
        ci=dict(ie_reviews=10_000, train_scan=6_000, train_scored=150, train_unscored=150, null_per_answer=2.0,
                max_length=128, stride=32, batch_size=16, lr=3e-4, epochs=1, test_reviews=400),
        full=dict(ie_reviews=25_000, train_scan=25_000, train_scored=600, train_unscored=600,
                  null_per_answer=2.0, max_length=128, stride=32, batch_size=16, lr=3e-4, epochs=1,
                  test_reviews=1_500), colab="ci"),
    "ch06_4_generation": _table(
        ci=dict(train_reviews=600, val_reviews=100, vocab_size=3_000, embed_dim=64, hidden_size=128, lr=0.008,
                prompts=20, llm_tokens=30),
        full=dict(train_reviews=2_000, val_reviews=400, vocab_size=5_000, embed_dim=128, hidden_size=256,
                  lr=0.005, prompts=100, llm_tokens=60), colab="full"),
    # reviews are cut to their first `length` WordPiece tokens; each comparison gives its runs one Budget
    "ch06_5_improving": _table(
        ci=dict(length=64, vocab=4000, unlabelled=1500, labelled=400, few=64, transfer=400, test=200,
                seeds=(0,), teacher_epochs=1, pretrain=Budget(120, 32, 3e-3), pretrain_checkpoints=(0, 120),
                finetune=Budget(50, 32, 5e-4), adapt=Budget(12, 16, 5e-5),
                few_finetune=Budget(12, 16, 1e-4), student=Budget(50, 32, 3e-3),
                multitask=Budget(50, 32, 5e-4)),
        full=dict(length=64, vocab=8000, unlabelled=15000, labelled=1000, few=64, transfer=4000, test=1000,
                  seeds=(0, 1, 2), teacher_epochs=2, pretrain=Budget(2400, 32, 3e-3),
                  pretrain_checkpoints=(0, 600, 1200, 2400), finetune=Budget(200, 32, 5e-4),
                  adapt=Budget(300, 16, 5e-5), few_finetune=Budget(32, 16, 1e-4),
                  student=Budget(500, 32, 3e-3), multitask=Budget(200, 32, 5e-4)), colab="ci"),
    "ch07_tools": _table(ci=dict(matmul=512), full=dict(matmul=2048), colab="ci"),  # square matrices timed
    "ch08_summary": _table(ci=dict(reviews=5_000), full=dict(reviews=25_000), colab="ci"),  # reviews tokenized
    "ch09_faq": _table(ci=dict(length_sample=2_000), full=dict(length_sample=25_000), colab="ci"),  # tokenized
}


def page_sizes(page: str) -> dict:
    """The sizes of ``page`` (a file name in ``book/`` without ``.md``) in the current profile."""
    if page not in SIZES:
        raise KeyError(f"page_sizes: expected one of {sorted(SIZES)}, got {page!r}")
    return SIZES[page][sizes_profile()]
