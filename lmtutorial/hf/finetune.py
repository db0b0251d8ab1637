"""Fine-tune a BERT-family encoder to classify IMDb reviews with ``transformers.Trainer``, correctly and fast.

Compared with the usual recipe (pad everything to 512, fp32, evaluate on the test set, no metric), this one

- carves a validation split out of ``train`` and touches ``test`` once, for the final report;
- pads each batch only to its own longest review, with batches cut from length-sorted reviews under a token
  budget (:class:`~lmtutorial.hf.bert_data.TokenBudgetBatchSampler`), and can keep head+tail of long reviews;
- trains in bf16 where the GPU supports it (fp16 on older GPUs, fp32 on a CPU) with fused AdamW and SDPA attention;
- reports accuracy and F1, writes a results JSON and two plots, saves a checkpoint after each epoch and resumes
  an interrupted run exactly where its last checkpoint left it.

This module is the public entry: :func:`finetune`, its settings :class:`~lmtutorial.hf.config.FinetuneConfig`, and
the command line (:func:`main`, from :mod:`~lmtutorial.hf.cli`). The run itself is :mod:`~lmtutorial.hf.run`; the
``Trainer`` customisations :mod:`~lmtutorial.hf.trainer`, the output folder :mod:`~lmtutorial.hf.output`.

One GPU: ``python -m lmtutorial.hf.finetune``. Several: ``torchrun --nproc_per_node 4 -m lmtutorial.hf.finetune``
or ``accelerate launch -m lmtutorial.hf.finetune``, with no change to the code.
"""

from __future__ import annotations

import os

import datasets

from lmtutorial.hf.cli import main
from lmtutorial.hf.config import DEFAULT_MODEL, FinetuneConfig
from lmtutorial.hf.run import run_finetune

__all__ = ["finetune", "FinetuneConfig", "main"]


def finetune(model: str | os.PathLike = DEFAULT_MODEL,
             data: str | os.PathLike | datasets.DatasetDict | dict | None = None,
             output_dir: str | os.PathLike = "runs/bert-imdb", callbacks: list | None = None, **options) -> dict:
    """Fine-tune ``model`` on ``data`` and return the results that are also written to ``results.json``.

    ``model`` is a Hub name (default ``bert-base-uncased``) or a local folder; ``data`` a dict with ``train`` and
    ``test`` datasets (columns ``text``, ``label``), a folder of ``train.parquet``/``test.parquet``, or ``None`` for
    IMDb (a local copy if there is one, else ``stanfordnlp/imdb`` from the Hub). ``options`` are the other fields of
    :class:`FinetuneConfig`. ``test`` is evaluated once, after training, with the epoch that scored best on validation.

    The same call gives the same result (the seed is set before the classifier head is created). One run at a time
    works in ``output_dir`` (its lock file names the holder); ``resume=True`` continues from the last complete
    checkpoint, or returns the results of a run that has finished.
    """
    return run_finetune(model, data, output_dir, callbacks, options)[0]


if __name__ == "__main__":
    main()
