"""Speed of one IMDb training epoch of bert-base: the article's recipe against lmtutorial's, same GPU, one run.

    python bench/bert_speed.py                 # GPU: writes lmtutorial/results/bert_speed_<gpu>.json
    python bench/bert_speed.py --smoke         # CPU, tiny model, a few steps: checks that the script runs end to end

The model is ``BertForSequenceClassification(BertConfig())`` (the bert-base shape) with random weights: speed does
not depend on the weights, only on the shapes. The sequences are the real IMDb training reviews, tokenized once with
the uncased BERT WordPiece vocabulary (the MiniLM tokenizer in ``shared/`` has the same 30,522 entries), so the
padding each recipe wastes is the padding it would waste on the real data. Recipes:

- ``article``: fp32, batch 16, every review padded to 512 (``padding="max_length"``), the article's TrainingArguments;
  timed over a few steps after warm-up, the epoch time extrapolated to 25,000 reviews;
- ``article-bf16``: the same with ``bf16=True``, the one-flag fix;
- ``lmtutorial``: bf16, token-budget length buckets with dynamic padding, SDPA attention, fused AdamW,
  dataloader workers; two full epochs timed (the first one includes warm-up);
- ``lmtutorial-compile``: the same with ``torch.compile``.

Each recipe runs in a Python process of its own (this script started again with ``--worker``). Settings that
transformers changes for a whole process, TF32 above all (``TrainingArguments(tf32=True)``), cannot carry over from
one recipe to the next, whatever their order, and each process starts with an empty CUDA cache and its own
peak-memory counter. Each recipe records the TF32 switches it trained under (``tf32``).

Model FLOPs utilisation counts the useful work only (real tokens, :mod:`lmtutorial.costs`) against the chip's
datasheet bf16 peak; a large bf16 matrix product measures the ceiling this particular chip reaches.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import datasets
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transformers import (BertConfig, BertForSequenceClassification, Trainer, TrainerCallback,  # noqa: E402
                          TrainingArguments)

from lmtutorial.hf.bert_data import (PadCollator, TokenBudgetBatchSampler, fixed_size_batches,  # noqa: E402
                                  head_tail, padding_fraction)
from lmtutorial.costs import bert_parameter_count  # noqa: E402
from lmtutorial.hf.config import ARTICLE_TRAINING_ARGUMENTS, FinetuneConfig  # noqa: E402
from lmtutorial.hf.trainer import BucketTrainer, EpochTimer, training_arguments  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402
from lmtutorial.book.goals import BERT_BASE_EPOCH_SECONDS  # noqa: E402
from lmtutorial.costs import encoder_training_flops, model_flops_utilisation, peak_flops  # noqa: E402

SIZES = {
    "bert-base": {},
    "minilm": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
}
RECIPES = ("article", "article-bf16", "lmtutorial", "lmtutorial-compile")
NEEDS_CUDA = ("article-bf16", "lmtutorial-compile")
MAX_LENGTH, HEAD = 512, 128  # head+tail truncation of Sun et al. (2019): first 128 and last 382 WordPiece tokens


def tf32_state() -> dict[str, bool]:
    """Whether float32 CUDA matrix products (``cuda_matmul``) and cuDNN convolutions may use TF32 in this process.

    Read through the API that transformers sets: ``torch.backends.*.fp32_precision`` where torch has it (2.9 and
    later, where reading the older ``allow_tf32`` flags after a change through the new API raises), else
    ``allow_tf32``. An unset ``fp32_precision`` (``"none"``) is torch's default: no TF32 for matrix products (cuDNN
    convolutions do allow it by default; BERT has none).
    """
    backends = torch.backends
    if hasattr(backends, "fp32_precision"):
        return {"cuda_matmul": backends.cuda.matmul.fp32_precision == "tf32",
                "cudnn_conv": backends.cudnn.conv.fp32_precision == "tf32"}
    return {"cuda_matmul": bool(backends.cuda.matmul.allow_tf32), "cudnn_conv": bool(backends.cudnn.allow_tf32)}


class StepTimer(TrainerCallback):
    """Wall time from the end of step ``warmup`` to the end of step ``last`` (GPU synchronised at both ends), and the
    TF32 switches in force when training began."""

    def __init__(self, warmup: int, last: int):
        self.warmup, self.last = warmup, last
        self.begin = self.start = self.end = 0.0
        self.tf32: dict[str, bool] = {}

    def on_train_begin(self, args, state, control, **kwargs):
        self.tf32 = tf32_state()
        self.begin = EpochTimer.now()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            self.start = EpochTimer.now()
        if state.global_step == self.last:
            self.end = EpochTimer.now()

    @property
    def seconds_per_step(self) -> float:
        return (self.end - self.start) / (self.last - self.warmup)

    @property
    def warmup_seconds(self) -> float:
        return self.start - self.begin


def cap_head_tail(input_ids: list[list[int]], max_length: int = MAX_LENGTH, head: int = HEAD) -> list[list[int]]:
    """Sequences ``[CLS] … [SEP]`` cut to ``max_length`` ids: ``[CLS]``, the first ``head`` and the last
    ``max_length - 2 - head`` tokens of the body, ``[SEP]`` (what ``tokenize_reviews(truncation="head+tail")`` gives,
    without tokenizing again)."""
    return [[ids[0], *head_tail(ids[1:-1], max_length - 2, head), ids[-1]] for ids in input_ids]


def tokenized_reviews(args: argparse.Namespace) -> tuple[datasets.Dataset, np.ndarray, str]:
    """The training reviews tokenized once: a dataset of ids cut head+tail to 512 (columns ``input_ids``, ``label``,
    ``length``), the untruncated lengths, and what was used."""
    from transformers import AutoTokenizer

    from lmtutorial.hf.bert_data import tokenize_reviews
    from lmtutorial.data.imdb import load_imdb
    from lmtutorial.book.resources import shared_path
    from lmtutorial.hf.tiny_bert import toy_reviews, train_wordpiece

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
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        source += f", WordPiece tokenizer of {Path(tokenizer_dir).name}"
    else:
        tokenizer = train_wordpiece(reviews["text"], vocab_size=1000)
        source += ", tiny WordPiece tokenizer trained on the spot"
    full = tokenize_reviews(reviews, tokenizer, max_length=10**9, truncation="head", clean=False)
    lengths = full.with_format("numpy")["length"]

    def cap(batch: dict) -> dict:
        ids = cap_head_tail(batch["input_ids"])
        return {"input_ids": ids, "length": [len(i) for i in ids]}

    capped = full.map(cap, batched=True, desc=f"head+tail to {MAX_LENGTH}")
    return capped, np.asarray(lengths), source


def article_recipe(name: str, data, config, bf16: bool, steps: int, warmup: int, workdir: Path) -> dict:
    """The article's TrainingArguments (less the removed ``logging_dir``), every review padded to 512."""
    kwargs = {k: v for k, v in ARTICLE_TRAINING_ARGUMENTS.items() if k != "logging_dir"}
    kwargs.update(output_dir=str(workdir / name), max_steps=steps, save_strategy="no", report_to="none",
                  disable_tqdm=True, bf16=bf16, remove_unused_columns=False)
    timer = StepTimer(warmup, steps)
    torch.manual_seed(0)
    trainer = Trainer(model=BertForSequenceClassification(config), args=TrainingArguments(**kwargs),
                      train_dataset=data, data_collator=PadCollator(multiple_of=MAX_LENGTH), callbacks=[timer])
    trainer.train()
    batch = kwargs["per_device_train_batch_size"]
    per_step = timer.seconds_per_step
    return dict(name=name, precision="bf16" if bf16 else "fp32", tf32=timer.tf32,
                batch=f"{batch} reviews x {MAX_LENGTH} tokens", steps_timed=steps - warmup,
                seconds_per_step=per_step, samples_per_second=batch / per_step,
                epoch_seconds=int(np.ceil(len(data) / batch)) * per_step,
                epoch_seconds_how=f"extrapolated from {steps - warmup} steps after {warmup} warm-up steps",
                max_memory_gib=max_memory_gib())


def lmtutorial_recipe(name: str, data, config, compile: bool, epochs: int, max_tokens: int, workdir: Path) -> dict:
    """lmtutorial's recipe through the same ``BucketTrainer`` that ``lmtutorial.hf.finetune`` uses."""
    from lmtutorial.hf.config import resolve_precision

    precision = resolve_precision("auto")
    lengths = data.with_format("numpy")["length"]
    sampler = TokenBudgetBatchSampler(lengths, max_tokens)
    settings = FinetuneConfig(output_dir=str(workdir / name), epochs=epochs, max_tokens=max_tokens, compile=compile,
                              disable_tqdm=True)
    args = training_arguments(settings, precision, len(sampler), eval_strategy="no", save_strategy="no",
                              load_best_model_at_end=False, logging_steps=10**6)
    epoch_timer, step_timer = EpochTimer(), StepTimer(min(20, len(sampler) - 1), len(sampler))
    torch.manual_seed(0)
    trainer = BucketTrainer(model=BertForSequenceClassification(config), args=args, train_dataset=data,
                            data_collator=PadCollator(), max_tokens=max_tokens, callbacks=[epoch_timer, step_timer])
    trainer.train()
    epoch = epoch_timer.seconds[-1]
    return dict(name=name, precision=precision, tf32=step_timer.tf32,
                batch=f"token budget {max_tokens} (padding included), "
                f"{len(data) / len(sampler):.1f} reviews per batch on average", compile=compile,
                steps_per_epoch=len(sampler), epoch_seconds_all=epoch_timer.seconds, epoch_seconds=epoch,
                epoch_seconds_how=f"measured: epoch {len(epoch_timer.seconds)} of {epochs}"
                + (" (epoch 1 includes warm-up)" if epochs > 1 else " (includes warm-up)"),
                first_steps_seconds=step_timer.warmup_seconds, samples_per_second=len(data) / epoch,
                max_memory_gib=max_memory_gib(),
                padding_fraction=padding_fraction(lengths, sampler.batches(), multiple_of=8))


def max_memory_gib() -> float | None:
    """Peak GPU memory this process has allocated, in GiB (``None`` on a CPU)."""
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None


def matmul_flops() -> float | None:
    """bf16 FLOP/s of an 8192³ matrix product (mean of 10 after 3 warm-ups): the practical ceiling of this GPU."""
    if not torch.cuda.is_available():
        return None
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    start = EpochTimer.now()
    for _ in range(10):
        a @ b
    seconds = (EpochTimer.now() - start) / 10
    del a, b
    torch.cuda.empty_cache()
    return 2 * 8192**3 / seconds


def slug(name: str) -> str:
    """``"NVIDIA H200"`` -> ``"nvidia-h200"``: a device name as part of a file name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def worker(args: argparse.Namespace) -> dict:
    """Run the one recipe ``args.worker`` on the tokenized reviews saved in ``args.data``; write it to ``args.out``."""
    data = datasets.load_from_disk(args.data)
    config = BertConfig(num_labels=2, **SIZES[args.size])
    with tempfile.TemporaryDirectory() as scratch:
        workdir, name = Path(scratch), args.worker
        if name.startswith("article"):
            recipe = article_recipe(name, data, config, bf16=name == "article-bf16", steps=args.steps,
                                    warmup=max(1, args.steps // 4), workdir=workdir)
        else:
            recipe = lmtutorial_recipe(name, data, config, compile=name == "lmtutorial-compile", epochs=args.epochs,
                                       max_tokens=args.max_tokens, workdir=workdir)
    write_json(args.out, recipe)
    return recipe


def run_in_own_process(name: str, data_dir: Path, args: argparse.Namespace, size: str, out: Path) -> dict:
    """One recipe in a fresh Python process (nothing it switches on reaches the next); its result, or why none."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--data", str(data_dir),
               "--size", size, "--steps", str(args.steps), "--epochs", str(args.epochs),
               "--max-tokens", str(args.max_tokens), "--out", str(out)]
    done = subprocess.run(command, check=False)
    if done.returncode != 0 or not out.is_file():
        return dict(name=name, failed=f"its process exited with status {done.returncode} (its output is above)")
    return json.loads(out.read_text(encoding="utf-8"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, checked, with ``--smoke``'s sizes filled in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model, 128 reviews, a few steps (runs on a CPU)")
    parser.add_argument("--size", choices=SIZES, default=None,
                        help="model shape (default bert-base; tiny with --smoke)")
    parser.add_argument("--reviews", type=int, default=None, help="use this many training reviews (default: all)")
    parser.add_argument("--steps", type=int, default=40,
                        help="steps of each article recipe (the first quarter warms up)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each lmtutorial recipe")
    parser.add_argument("--max-tokens", type=int, default=16384, help="token budget of lmtutorial's batches")
    parser.add_argument("--recipes", default=",".join(RECIPES), help=f"comma-separated, among {', '.join(RECIPES)}")
    parser.add_argument("--tokenizer", default=None,
                        help="BERT WordPiece tokenizer folder (default: MiniLM in shared/)")
    parser.add_argument("--out", default=None,
                        help="results JSON (default lmtutorial/results/bert_speed_<device>.json; with --smoke, "
                             "bert_speed_<device>_smoke.json in the temporary folder, never among the book's results)")
    parser.add_argument("--worker", choices=RECIPES, help=argparse.SUPPRESS)  # internal: run one recipe
    parser.add_argument("--data", help=argparse.SUPPRESS)  # internal: the worker's tokenized reviews
    args = parser.parse_args(argv)
    unknown = [name for name in args.recipes.split(",") if name not in RECIPES]
    if unknown:
        parser.error(f"--recipes: expected names among {', '.join(RECIPES)}, got {', '.join(map(repr, unknown))}")
    if args.smoke:
        args.size = args.size or "tiny"
        args.reviews = args.reviews or 128
        args.steps, args.epochs, args.max_tokens = min(args.steps, 6), 1, min(args.max_tokens, 4096)
    args.size = args.size or "bert-base"
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    cuda = torch.cuda.is_available()
    info = hardware()
    device = slug(str(info["name"])) if cuda else "cpu"
    if args.out:
        out = Path(args.out)
    elif args.smoke:
        out = Path(tempfile.gettempdir()) / f"bert_speed_{device}_smoke.json"
    else:
        out = REPO / "lmtutorial" / "results" / f"bert_speed_{device}.json"

    data, full_lengths, source = tokenized_reviews(args)
    config = BertConfig(num_labels=2, **SIZES[args.size])
    capped = np.minimum(full_lengths, MAX_LENGTH)
    useful_flops = encoder_training_flops(capped, config)
    peak = peak_flops(str(info["name"])) if cuda else None
    command = sys.argv[1:] if argv is None else argv
    results = {
        "benchmark": "one IMDb training epoch of a randomly initialised BERT, article's recipe vs lmtutorial's",
        "produced_by": " ".join(["python bench/bert_speed.py", *command]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "smoke": args.smoke,
        "isolation": "each recipe in a Python process of its own (TF32 and other process-wide settings start "
                     "at torch's defaults); 'tf32' in each recipe is what it trained under",
        "model": {"size": args.size,
                  "config": f"BertConfig({', '.join(f'{k}={v}' for k, v in SIZES[args.size].items())})",
                  "parameters": bert_parameter_count(config, num_labels=config.num_labels)},
        "data": {"source": source, "reviews": len(data), "real_tokens_capped_512": int(capped.sum()),
                 "mean_length": float(full_lengths.mean()), "median_length": float(np.median(full_lengths)),
                 "share_over_512": float((full_lengths > MAX_LENGTH).mean()),
                 "padding_fraction_fixed_512": padding_fraction(capped, fixed_size_batches(len(capped), 16),
                                                                pad_to=MAX_LENGTH)},
        "useful_flops_per_epoch": useful_flops,
        "peak_flops_datasheet_bf16": peak,
        "matmul_flops_measured_bf16": matmul_flops(),
        "hardware": info,
        "versions": library_versions(),
        "recipes": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "reviews"
        data.save_to_disk(str(data_dir))
        for name in args.recipes.split(","):
            print(f"--- {name}", flush=True)
            if not cuda and name in NEEDS_CUDA:
                recipe = dict(name=name, skipped="needs a CUDA GPU (bf16 or torch.compile on a CPU would measure "
                                                 "nothing useful)")
            else:
                recipe = run_in_own_process(name, data_dir, args, args.size, Path(scratch) / f"{name}.json")
            if "epoch_seconds" in recipe:
                recipe["mfu"] = model_flops_utilisation(useful_flops, recipe["epoch_seconds"], peak)
            results["recipes"].append(recipe)
            write_json(out, results)  # after every recipe: a run cut short still leaves what it measured
            print({k: v for k, v in recipe.items() if k != "epoch_seconds_all"}, flush=True)
    timed = {r["name"]: r["epoch_seconds"] for r in results["recipes"] if "epoch_seconds" in r}
    if "article" in timed:
        results["speedup_vs_article"] = {name: timed["article"] / seconds for name, seconds in timed.items()}
    fastest = min((s for n, s in timed.items() if n.startswith("lmtutorial")), default=None)
    judged = not args.smoke and cuda and args.size == "bert-base" and fastest is not None
    results["goal"] = {"epoch_seconds_at_most": BERT_BASE_EPOCH_SECONDS, "fastest_lmtutorial_epoch_seconds": fastest,
                       "met": fastest <= BERT_BASE_EPOCH_SECONDS if judged else None}
    write_json(out, results)
    print(f"wrote {out}")
    failed = [r["name"] for r in results["recipes"] if "failed" in r]
    if failed:
        raise SystemExit(f"bert_speed.py: recipes {', '.join(failed)} failed (see above); the others are in {out}")
    return results


if __name__ == "__main__":
    main()
