"""Speed of one IMDb training epoch of bert-base: the article's recipe against lmtutorial's, same GPU, one run.

    python bench/bert_speed.py                 # GPU: writes lmtutorial/results/bert_speed_<gpu>.json
    python bench/bert_speed.py --smoke         # CPU, tiny model, a few steps: checks that the script runs end to end

The model is ``BertForSequenceClassification(BertConfig())`` (the bert-base shape) with random weights: speed does
not depend on the weights, only on the shapes. The sequences are the real IMDb training reviews, tokenized with the
uncased BERT WordPiece vocabulary (the MiniLM tokenizer in ``shared/`` has the same 30,522 entries), so the padding
each recipe wastes is the padding it would waste on the real data. Recipes:

- ``article``: fp32, batch 16, every review padded to 512 (``padding="max_length"``), the article's TrainingArguments;
  timed over a few steps after warm-up, the epoch time extrapolated to 25,000 reviews;
- ``article-bf16``: the same with ``bf16=True``, the one-flag fix;
- ``lmtutorial``: bf16, token-budget length buckets with dynamic padding, SDPA attention, fused AdamW,
  dataloader workers; two full epochs timed (the first one includes warm-up);
- ``lmtutorial-compile``: the same with ``torch.compile``.

Model FLOPs utilisation counts the useful work only (real tokens, :mod:`lmtutorial.throughput`) against the chip's
datasheet bf16 peak; a large bf16 matrix product measures the ceiling this particular chip reaches.
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transformers import (BertConfig, BertForSequenceClassification, Trainer, TrainerCallback,  # noqa: E402
                          TrainingArguments)

from lmtutorial.bert_data import (PadCollator, TokenBudgetBatchSampler, fixed_size_batches,  # noqa: E402
                                  padding_fraction)
from lmtutorial.finetune import (ARTICLE_TRAINING_ARGUMENTS, BucketTrainer, EpochTimer, FinetuneConfig,  # noqa: E402
                                 training_arguments)
from lmtutorial.finetune_report import hardware, library_versions, write_json  # noqa: E402
from lmtutorial.throughput import encoder_training_flops, model_flops_utilisation, peak_flops  # noqa: E402

SIZES = {
    "bert-base": {},
    "minilm": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
}


class StepTimer(TrainerCallback):
    """Wall time from the end of step ``warmup`` to the end of step ``last`` (GPU synchronised at both ends)."""

    def __init__(self, warmup: int, last: int):
        self.warmup, self.last = warmup, last
        self.start = self.end = None
        self.begin = None

    @staticmethod
    def now() -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_begin(self, args, state, control, **kwargs):
        self.begin = self.now()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            self.start = self.now()
        if state.global_step == self.last:
            self.end = self.now()

    @property
    def seconds_per_step(self) -> float:
        return (self.end - self.start) / (self.last - self.warmup)

    @property
    def warmup_seconds(self) -> float:
        return self.start - self.begin


def review_lengths(args) -> tuple[list[list[int]], np.ndarray, str]:
    """Token ids (head+tail to 512) of the training reviews and their untruncated lengths, and what was used."""
    from lmtutorial.bert_data import tokenize_reviews
    from lmtutorial.data import load_imdb
    from lmtutorial.resources import shared_path
    from lmtutorial.tiny_bert import toy_reviews, train_wordpiece

    tokenizer_dir = args.tokenizer or shared_path("models/all-MiniLM-L6-v2-bf16")
    try:
        reviews = load_imdb("train")
        source = "IMDb train"
    except RuntimeError:
        if not args.smoke:
            raise
        reviews, source = toy_reviews(args.reviews), "toy reviews (no IMDb copy found)"
    if args.reviews and args.reviews < len(reviews):
        reviews = reviews.shuffle(seed=0).select(range(args.reviews))
    if tokenizer_dir is not None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        source += f", WordPiece tokenizer of {Path(tokenizer_dir).name}"
    else:
        tokenizer = train_wordpiece(reviews["text"], vocab_size=1000)
        source += ", tiny WordPiece tokenizer trained on the spot"
    full = tokenize_reviews(reviews, tokenizer, max_length=10**6, truncation="head", clean=False)
    capped = tokenize_reviews(reviews, tokenizer, max_length=512, truncation="head+tail", head=128, clean=False)
    return capped, np.asarray(full["length"]), source


def fresh_model(config: BertConfig, seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    return BertForSequenceClassification(config)


def release(*objects) -> None:
    del objects
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def max_memory_gib() -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None


def article_recipe(name: str, data, config, bf16: bool, steps: int, warmup: int, workdir: Path) -> dict:
    """The article's TrainingArguments (less the removed ``logging_dir``), every review padded to 512."""
    kwargs = {k: v for k, v in ARTICLE_TRAINING_ARGUMENTS.items() if k != "logging_dir"}
    kwargs.update(output_dir=str(workdir / name), max_steps=steps, save_strategy="no", report_to="none",
                  disable_tqdm=True, bf16=bf16, remove_unused_columns=False)
    timer = StepTimer(warmup, steps)
    model = fresh_model(config)
    trainer = Trainer(model=model, args=TrainingArguments(**kwargs), train_dataset=data,
                      data_collator=PadCollator(multiple_of=512), callbacks=[timer])
    trainer.train()
    batch = kwargs["per_device_train_batch_size"]
    per_step = timer.seconds_per_step
    result = dict(name=name, precision="bf16" if bf16 else "fp32", batch=f"{batch} reviews x 512 tokens",
                  steps_timed=steps - warmup, seconds_per_step=per_step, samples_per_second=batch / per_step,
                  epoch_seconds=int(np.ceil(len(data) / batch)) * per_step,
                  epoch_seconds_how=f"extrapolated from {steps - warmup} steps after {warmup} warm-up steps",
                  max_memory_gib=max_memory_gib())
    release(trainer, model)
    return result


def lmtutorial_recipe(name: str, data, config, compile: bool, epochs: int, max_tokens: int, workdir: Path) -> dict:
    """lmtutorial's recipe through the same ``BucketTrainer`` that ``lmtutorial.finetune`` uses."""
    from lmtutorial.finetune import resolve_precision

    precision = resolve_precision("auto")
    sampler = TokenBudgetBatchSampler(list(data["length"]), max_tokens)
    settings = FinetuneConfig(output_dir=str(workdir / name), epochs=epochs, max_tokens=max_tokens, compile=compile,
                              disable_tqdm=True)
    args = training_arguments(settings, precision, len(sampler), eval_strategy="no", save_strategy="no",
                              load_best_model_at_end=False, logging_steps=10**6)
    epoch_timer, step_timer = EpochTimer(), StepTimer(min(20, len(sampler) - 1), len(sampler))
    model = fresh_model(config)
    trainer = BucketTrainer(model=model, args=args, train_dataset=data, data_collator=PadCollator(),
                            max_tokens=max_tokens, callbacks=[epoch_timer, step_timer])
    trainer.train()
    epoch = epoch_timer.seconds[-1]
    result = dict(name=name, precision=precision, batch=f"token budget {max_tokens} (padding included), "
                  f"{len(data) / len(sampler):.1f} reviews per batch on average", compile=compile,
                  steps_per_epoch=len(sampler), epoch_seconds_all=epoch_timer.seconds, epoch_seconds=epoch,
                  epoch_seconds_how=f"measured: epoch {len(epoch_timer.seconds)} of {epochs}"
                  + (" (epoch 1 includes warm-up)" if epochs > 1 else " (includes warm-up)"),
                  first_steps_seconds=step_timer.warmup_seconds, samples_per_second=len(data) / epoch,
                  max_memory_gib=max_memory_gib(),
                  padding_fraction=padding_fraction(data["length"], sampler.batches(), multiple_of=8))
    release(trainer, model)
    return result


def matmul_flops() -> float | None:
    """bf16 FLOP/s of an 8192³ matrix product (mean of 10 after 3 warm-ups): the practical ceiling of this GPU."""
    if not torch.cuda.is_available():
        return None
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / 10
    release(a, b)
    return 2 * 8192**3 / seconds


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model, 128 reviews, a few steps (runs on a CPU)")
    parser.add_argument("--size", choices=SIZES, default=None,
                        help="model shape (default bert-base; tiny with --smoke)")
    parser.add_argument("--reviews", type=int, default=None, help="use this many training reviews (default: all)")
    parser.add_argument("--steps", type=int, default=40,
                        help="steps of each article recipe (the first quarter warms up)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each lmtutorial recipe")
    parser.add_argument("--max-tokens", type=int, default=16384, help="token budget of lmtutorial's batches")
    parser.add_argument("--recipes", default="article,article-bf16,lmtutorial,lmtutorial-compile")
    parser.add_argument("--tokenizer", default=None,
                        help="BERT WordPiece tokenizer folder (default: MiniLM in shared/)")
    parser.add_argument("--out", default=None, help="results JSON (default lmtutorial/results/bert_speed_<device>.json)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.size = args.size or "tiny"
        args.reviews = args.reviews or 128
        args.steps, args.epochs, args.max_tokens = min(args.steps, 6), 1, min(args.max_tokens, 4096)
    size = args.size or "bert-base"
    cuda = torch.cuda.is_available()

    data, full_lengths, source = review_lengths(args)
    config = BertConfig(num_labels=2, **SIZES[size])
    capped = np.minimum(full_lengths, 512)
    useful_flops = encoder_training_flops(capped, config)
    info = hardware()
    peak = peak_flops(str(info["name"])) if cuda else None
    results = {
        "benchmark": "one IMDb training epoch of a randomly initialised BERT, article's recipe vs lmtutorial's",
        "smoke": args.smoke,
        "model": {"size": size, "config": f"BertConfig({', '.join(f'{k}={v}' for k, v in SIZES[size].items())})",
                  "parameters": sum(p.numel() for p in fresh_model(config).parameters())},
        "data": {"source": source, "reviews": len(data), "real_tokens_capped_512": int(capped.sum()),
                 "mean_length": float(full_lengths.mean()), "median_length": float(np.median(full_lengths)),
                 "share_over_512": float((full_lengths > 512).mean()),
                 "padding_fraction_fixed_512": padding_fraction(capped, fixed_size_batches(len(capped), 16),
                                                                pad_to=512)},
        "useful_flops_per_epoch": useful_flops,
        "peak_flops_datasheet_bf16": peak,
        "matmul_flops_measured_bf16": matmul_flops(),
        "hardware": info,
        "versions": library_versions(),
        "recipes": [],
    }
    device = slug(str(info["name"])) if cuda else "cpu"
    default = REPO / "bench" / "results" / f"bert_speed_{device}{'_smoke' if args.smoke else ''}.json"
    out = Path(args.out) if args.out else default
    wanted = args.recipes.split(",")
    warmup = max(1, args.steps // 4)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        for name in wanted:
            print(f"--- {name}", flush=True)
            if not cuda and name in ("article-bf16", "lmtutorial-compile"):
                results["recipes"].append(dict(name=name, skipped="needs a CUDA GPU (bf16 or torch.compile on a CPU "
                                                                  "would measure nothing useful)"))
                continue
            if name == "article":
                recipe = article_recipe(name, data, config, bf16=False, steps=args.steps, warmup=warmup,
                                        workdir=workdir)
            elif name == "article-bf16":
                recipe = article_recipe(name, data, config, bf16=True, steps=args.steps, warmup=warmup,
                                        workdir=workdir)
            elif name in ("lmtutorial", "lmtutorial-compile"):
                recipe = lmtutorial_recipe(name, data, config, compile=name.endswith("compile"), epochs=args.epochs,
                                           max_tokens=args.max_tokens, workdir=workdir)
            else:
                raise ValueError(f"--recipes: expected names among article, article-bf16, lmtutorial, "
                                 f"lmtutorial-compile, got {name!r}")
            recipe["mfu"] = model_flops_utilisation(useful_flops, recipe["epoch_seconds"], peak)
            results["recipes"].append(recipe)
            write_json(out, results)  # after every recipe: a run cut short still leaves what it measured
            print({k: v for k, v in recipe.items() if k != "epoch_seconds_all"}, flush=True)
    timed = {r["name"]: r["epoch_seconds"] for r in results["recipes"] if "epoch_seconds" in r}
    if "article" in timed:
        results["speedup_vs_article"] = {name: timed["article"] / seconds for name, seconds in timed.items()}
    fastest = min((s for n, s in timed.items() if n.startswith("lmtutorial")), default=None)
    results["goal"] = {"epoch_seconds_at_most": 12.0, "fastest_lmtutorial_epoch_seconds": fastest,
                       "met": None if args.smoke or size != "bert-base" or fastest is None else fastest <= 12.0}
    write_json(out, results)
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
