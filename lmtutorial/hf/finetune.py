"""Fine-tune a BERT-family encoder to classify IMDb reviews with ``transformers.Trainer``: the public entry
(:func:`finetune`, :class:`~lmtutorial.hf.config.FinetuneConfig`, and the command line :func:`main`).

Run with ``python -m lmtutorial.hf.finetune``, or ``torchrun --nproc_per_node N -m lmtutorial.hf.finetune``.
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

    ``model`` is a Hub name or a local folder; ``data`` a dict with ``train`` and ``test`` datasets (columns
    ``text``, ``label``), a folder of ``train.parquet``/``test.parquet``, or ``None`` for IMDb. ``options`` are the
    other fields of :class:`FinetuneConfig`; ``resume=True`` continues from the last complete checkpoint.
    """
    return run_finetune(model, data, output_dir, callbacks, options)[0]


if __name__ == "__main__":
    main()
