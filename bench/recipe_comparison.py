"""Accuracy and speed of the article's fine-tuning recipe against lmtutorial's, side by side, same reviews.

    OMP_NUM_THREADS=2 python bench/recipe_comparison.py   # writes lmtutorial/results/recipe_comparison_cpu.json
    python bench/recipe_comparison.py --smoke             # tiny model, toy reviews: checks that the script runs

Both recipes fine-tune the same pretrained encoder (the MiniLM stand-in of ``shared/`` by default) with
``transformers.Trainer`` on the same training reviews for the same number of epochs, and are scored on the same
balanced test reviews. Recipes:

- ``article``: the article's ``TrainingArguments`` (batch 16, linear schedule, weight decay 0.01, the default
  learning rate 5e-5) and its tokenization (raw text, ``padding="max_length"``, head truncation at 512). One change
  makes it a fair control on a small subset: the article's ``warmup_steps=500`` are 10.7 % of its own run (3 epochs
  of 25,000 reviews in batches of 16, 4,689 steps); on 486 reviews (31 steps an epoch) 500 steps would keep the
  learning rate below 6 % of its peak for the whole run, so the control warms up over the same 10.7 % share instead.
- ``lmtutorial``: :func:`lmtutorial.hf.finetune.finetune` as it ships (token-budget length buckets, dynamic padding,
  head+tail truncation, a learning rate scaled to the reviews per step by the linear rule).
- ``lmtutorial-unscaled``: the same, with the learning rate given so that the rate actually used is the article's
  5e-5 whatever the batch size: the recipe before the learning-rate rule.

A pair runs every recipe once with one seed, in an order that alternates from pair to pair (the machine may be shared,
so its speed drifts). Within a pair every recipe trains on exactly the same reviews: ``lmtutorial.hf.finetune`` carves a
validation split out of the training subset, and the article's recipe trains on the same remaining reviews. The test
reviews are the same in every run, and every model is scored by the same code, with token-budget batches.
Training time counts the epochs only (evaluation and checkpointing excluded); CPU time is this process's, all
threads.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tqdm.auto import tqdm  # noqa: E402
from transformers import Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from lmtutorial.hf.bert_data import PadCollator, TokenBudgetBatchSampler, column, tokenize_reviews  # noqa: E402
from lmtutorial.hf.trainer import REFERENCE_BATCH_SIZE, BucketTrainer, scaled_learning_rate  # noqa: E402
from lmtutorial.data.imdb import balanced_subset, imdb_parquet_dir, load_imdb  # noqa: E402
from lmtutorial.hf.config import ARTICLE_TRAINING_ARGUMENTS  # noqa: E402
from lmtutorial.hf.finetune import finetune  # noqa: E402
from lmtutorial.hf.run import load_classifier  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402
from lmtutorial.book.resources import shared_dir  # noqa: E402

RECIPES = ("article", "lmtutorial", "lmtutorial-unscaled")
ARTICLE_RUN_STEPS = 3 * math.ceil(25_000 / 16)  # the article's own run: 3 epochs of IMDb in batches of 16
ARTICLE_WARMUP_SHARE = ARTICLE_TRAINING_ARGUMENTS["warmup_steps"] / ARTICLE_RUN_STEPS
ARTICLE_LEARNING_RATE = TrainingArguments(output_dir=tempfile.gettempdir()).learning_rate  # the article sets none


class Meter(TrainerCallback):
    """Wall and CPU seconds of the training epochs, optimizer steps and the largest learning rate used."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.steps = 0
        self.peak_learning_rate = 0.0
        self._wall = self._cpu = 0.0

    def on_epoch_begin(self, args, state, control, **kwargs):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, args, state, control, **kwargs):
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        if optimizer is not None:
            self.peak_learning_rate = max(self.peak_learning_rate, *(g["lr"] for g in optimizer.param_groups))

    def on_train_end(self, args, state, control, **kwargs):
        self.steps = state.global_step


def score(model, tokenizer, test_ids, max_tokens: int, output_dir: str) -> float:
    """Test accuracy of ``model``, predicted in token-budget batches (the same scorer for every recipe)."""
    args = TrainingArguments(output_dir=output_dir, use_cpu=not torch.cuda.is_available(), report_to="none",
                             remove_unused_columns=False, disable_tqdm=True)
    scorer = BucketTrainer(model=model, args=args, processing_class=tokenizer,
                           data_collator=PadCollator(tokenizer.pad_token_id), max_tokens=max_tokens)
    prediction = scorer.predict(test_ids)
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    return float(np.mean(np.argmax(logits, axis=-1) == prediction.label_ids))


def run_article(model_path: str, train, test, seed: int, epochs: float, max_length: int, max_tokens: int,
                workdir: str) -> dict:
    """The article's recipe on ``train``; scored on ``test`` tokenized its way (raw text, head truncation)."""
    tokenizer, model = load_classifier(model_path, 2)

    def encode(batch: dict) -> dict:
        return tokenizer(batch["text"], padding="max_length", truncation=True, max_length=max_length)

    train_ids = train.map(encode, batched=True, remove_columns=["text"])
    steps = math.ceil(len(train_ids) / 16) * math.ceil(epochs)
    chosen = {k: v for k, v in ARTICLE_TRAINING_ARGUMENTS.items() if k not in ("output_dir", "logging_dir")}
    args = TrainingArguments(**{**chosen, "num_train_epochs": epochs,
                                "warmup_steps": round(ARTICLE_WARMUP_SHARE * steps)},
                             output_dir=workdir, seed=seed, use_cpu=not torch.cuda.is_available(),
                             save_strategy="no", eval_strategy="no", report_to="none", disable_tqdm=True,
                             logging_steps=max(1, steps // 10))
    meter = Meter()
    trainer = Trainer(model=model, args=args, train_dataset=train_ids, callbacks=[meter])
    trainer.train()
    lengths = column(train_ids.map(lambda b: {"real": [sum(m) for m in b["attention_mask"]]}, batched=True), "real")
    test_ids = test.map(lambda b: tokenizer(b["text"], truncation=True, max_length=max_length), batched=True,
                        remove_columns=["text"])
    test_ids = test_ids.map(lambda b: {"length": [len(i) for i in b["input_ids"]]}, batched=True)
    return {"accuracy": score(trainer.model, tokenizer, test_ids.select_columns(["input_ids", "label", "length"]),
                              max_tokens, workdir),
            "train_reviews": len(train_ids), "padding_fraction": 1.0 - float(lengths.sum()) / (len(lengths)
                                                                                                 * max_length),
            **_measured(meter, len(train_ids), epochs)}


def run_lmtutorial(model_path: str, train, test, seed: int, epochs: float, max_length: int, max_tokens: int,
                   workdir: str, scaled: bool, validation_fraction: float) -> dict:
    """``lmtutorial.hf.finetune``; ``scaled=False`` divides the learning rate by the rule's factor (rate used: 5e-5)."""
    options = dict(epochs=epochs, max_length=max_length, max_tokens=max_tokens, seed=seed, use_cpu=True,
                   validation_fraction=validation_fraction, save_model=False, plots=False, overwrite=True,
                   disable_tqdm=True, learning_rate=ARTICLE_LEARNING_RATE, precision="fp32")
    if not scaled:
        tokenizer = load_classifier(model_path, 2)[0]
        part = train.train_test_split(test_size=validation_fraction, seed=seed)["train"]
        lengths = column(tokenize_reviews(part, tokenizer, max_length=max_length), "length")
        per_step = len(lengths) / len(TokenBudgetBatchSampler(lengths, max_tokens, seed=seed))
        options["learning_rate"] = ARTICLE_LEARNING_RATE / scaled_learning_rate(1.0, per_step)
    meter = Meter()
    results = finetune(model_path, {"train": train, "test": test}, workdir, callbacks=[meter], **options)
    return {"accuracy": results["test"]["accuracy"], "train_reviews": results["data"]["train"],
            "padding_fraction": results["data"]["train_padding_fraction"],
            **_measured(meter, results["data"]["train"], epochs)}


def _measured(meter: Meter, reviews: int, epochs: float) -> dict:
    return {"train_seconds": meter.wall, "train_cpu_seconds": meter.cpu,
            "samples_per_second": reviews * epochs / meter.wall, "optimizer_steps": meter.steps,
            "peak_learning_rate": meter.peak_learning_rate}


def summary(runs: list[dict]) -> dict:
    """Per recipe: the mean of each measurement, and the per-run values of accuracy and samples/s."""
    out = {}
    for recipe in RECIPES:
        mine = [r for r in runs if r["recipe"] == recipe]
        if not mine:
            continue
        keys = [k for k in mine[0] if isinstance(mine[0][k], (int, float)) and k not in ("seed", "pair")]
        out[recipe] = {f"mean_{k}": float(np.mean([r[k] for r in mine])) for k in keys}
        out[recipe].update(runs=len(mine), accuracy=[r["accuracy"] for r in mine],
                           samples_per_second=[r["samples_per_second"] for r in mine],
                           std_accuracy=float(np.std([r["accuracy"] for r in mine], ddof=1)) if len(mine) > 1
                           else None)
    return out


def ratios(runs: list[dict], recipe: str, control: str = "article") -> dict:
    """``recipe`` against ``control``, pair by pair: speed and time ratios, accuracy differences (points)."""
    pairs = sorted({r["pair"] for r in runs})
    by = {(r["recipe"], r["pair"]): r for r in runs}
    rows = [(by[recipe, p], by[control, p]) for p in pairs if (recipe, p) in by and (control, p) in by]
    per_pair = {"samples_per_second": [a["samples_per_second"] / b["samples_per_second"] for a, b in rows],
                "train_seconds": [a["train_seconds"] / b["train_seconds"] for a, b in rows],
                "train_cpu_seconds": [a["train_cpu_seconds"] / b["train_cpu_seconds"] for a, b in rows],
                "accuracy_points": [100 * (a["accuracy"] - b["accuracy"]) for a, b in rows]}
    return {"per_pair": per_pair, **{f"mean_{k}": float(np.mean(v)) for k, v in per_pair.items()}}


def report(runs: list[dict], options: argparse.Namespace, schedule: list[tuple[int, str]], model: str,
           argv: list[str] | None, started: float) -> dict:
    """The results JSON: provenance, settings, a summary per recipe, ratios against the article, every run."""
    trained = {r["train_reviews"] for r in runs}
    if len(trained) != 1:
        raise RuntimeError(f"equal data: expected every recipe to train on the same number of reviews, got {trained}")
    train_reviews = trained.pop()
    return {
        "script": "bench/recipe_comparison.py",
        "command": " ".join(["python", "bench/recipe_comparison.py", *(argv if argv is not None else sys.argv[1:])]),
        "complete": len(runs) == len(schedule),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "versions": library_versions(),
        "model": Path(model).name,
        "data": {"source": "tiny random BERT, toy reviews" if options.smoke else "IMDb (Maas et al. 2011)",
                 "train_reviews": train_reviews, "lmtutorial_validation_reviews": options.train_size - train_reviews,
                 "test_reviews": options.test_size, "subset_seed": 0, "max_length": options.max_length},
        "settings": {"epochs": options.epochs, "precision": "fp32", "pairs": options.pairs,
                     "seeds": list(range(options.pairs)), "order": [f"{r}-{p}" for p, r in schedule],
                     "lmtutorial_max_tokens": options.max_tokens, "reference_batch_size": REFERENCE_BATCH_SIZE,
                     "article_learning_rate": ARTICLE_LEARNING_RATE, "article_warmup_share": ARTICLE_WARMUP_SHARE,
                     "article_warmup_note": f"the article's warmup_steps=500 are this share of its own run "
                                            f"({ARTICLE_RUN_STEPS} steps); the control warms up over the same share",
                     "torch_threads": torch.get_num_threads()},
        "total_seconds": time.perf_counter() - started,
        "summary": summary(runs),
        "against_article": {recipe: ratios(runs, recipe) for recipe in RECIPES[1:]
                            if any(r["recipe"] == recipe for r in runs)},
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="interleaved pairs (one run of each recipe, one seed)")
    parser.add_argument("--train-size", type=int, default=512, help="balanced training reviews (validation included)")
    parser.add_argument("--test-size", type=int, default=512, help="balanced test reviews")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--max-tokens", type=int, default=8192, help="lmtutorial's token budget per batch")
    parser.add_argument("--validation-fraction", type=float, default=0.05)
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    parser.add_argument("--model", default=None, help="default: the MiniLM stand-in in shared/")
    parser.add_argument("--data", default=None, help="folder with IMDb's train/test.parquet (default: shared/)")
    parser.add_argument("--output", default=str(REPO / "lmtutorial" / "results" / "recipe_comparison_cpu.json"))
    parser.add_argument("--smoke", action="store_true", help="tiny random BERT on toy reviews, a few steps")
    options = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="recipe_comparison_"))
    if options.smoke:
        from lmtutorial.hf.tiny_bert import tiny_bert, toy_reviews

        model = str(tiny_bert(workdir / "tiny", toy_reviews(200)["text"], vocab_size=300))
        train, test = toy_reviews(options.train_size, seed=1), toy_reviews(options.test_size, seed=2)
    else:
        shared = shared_dir()
        model = options.model or str(shared / "models" / "all-MiniLM-L6-v2-bf16")
        folder = imdb_parquet_dir(options.data)
        train = balanced_subset(load_imdb("train", path=folder), options.train_size, seed=0)
        test = balanced_subset(load_imdb("test", path=folder), options.test_size, seed=0)
    common = dict(epochs=options.epochs, max_length=options.max_length, max_tokens=options.max_tokens)
    runs: list[dict] = []
    schedule = [(pair, recipe) for pair in range(options.pairs)
                for recipe in (options.recipes if pair % 2 == 0 else options.recipes[::-1])]
    started = time.perf_counter()
    for pair, recipe in tqdm(schedule, desc="runs", unit="run"):
        seed = pair
        folder = str(workdir / f"{recipe}-{pair}")
        if recipe == "article":
            part = train.train_test_split(test_size=options.validation_fraction, seed=seed)["train"]
            result = run_article(model, part, test, seed, workdir=folder, **common)
        else:
            result = run_lmtutorial(model, train, test, seed, workdir=folder, scaled=recipe == "lmtutorial",
                                    validation_fraction=options.validation_fraction, **common)
        runs.append({"recipe": recipe, "pair": pair, "seed": seed, **result,
                     "load_average_1min_after": os.getloadavg()[0]})
        tqdm.write(f"pair {pair} {recipe:20s} accuracy {result['accuracy']:.4f}  {result['samples_per_second']:.2f} "
                   f"samples/s  {result['optimizer_steps']} steps  peak lr {result['peak_learning_rate']:.2e}  "
                   f"padding {result['padding_fraction']:.1%}")
        write_json(options.output, report(runs, options, schedule, model, argv, started))
    results = report(runs, options, schedule, model, argv, started)
    write_json(options.output, results)
    for recipe, row in results["summary"].items():
        each = ", ".join(f"{a:.4f}" for a in row["accuracy"])
        print(f"{recipe:20s} accuracy {row['mean_accuracy']:.4f} (runs {each})  "
              f"{row['mean_samples_per_second']:.2f} samples/s  {row['mean_optimizer_steps']:.1f} steps")
    print(f"wrote {options.output}")
    return results


if __name__ == "__main__":
    main()
