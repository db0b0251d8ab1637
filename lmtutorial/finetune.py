"""Fine-tune a BERT-family encoder to classify IMDb reviews with ``transformers.Trainer``, correctly and fast.

Compared with the usual recipe (pad everything to 512, fp32, evaluate on the test set, no metric), this one

- carves a validation split out of ``train`` and touches ``test`` once, for the final report;
- pads each batch only to its own longest review, with batches cut from length-sorted reviews under a token
  budget (:class:`~lmtutorial.bert_data.TokenBudgetBatchSampler`), and can keep head+tail of long reviews;
- trains in bf16 where the GPU supports it (fp16 on older GPUs, fp32 on a CPU) with fused AdamW and SDPA attention;
- reports accuracy and F1, writes a results JSON and two plots, saves a checkpoint after each epoch and resumes
  an interrupted run exactly where its last checkpoint left it.

One GPU: ``python -m lmtutorial.finetune``. Several: ``torchrun --nproc_per_node 4 -m lmtutorial.finetune`` or
``accelerate launch -m lmtutorial.finetune``, with no change to the code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import datasets
import numpy as np
import torch
from torch.utils.data import DataLoader
from transformers import Trainer, TrainerCallback, TrainingArguments

from .bert_data import TRUNCATIONS, PadCollator, TokenBudgetBatchSampler, padding_fraction, tokenize_reviews
from .data import balanced_subset, imdb_parquet_dir, load_imdb
from .finetune_report import hardware, library_versions, save_plots, write_json
from .metrics import classification_scores, confusion_matrix

DEFAULT_MODEL = "bert-base-uncased"
PRECISIONS = ("auto", "bf16", "fp16", "fp32")

# The article's TrainingArguments, verbatim. ``logging_dir`` no longer exists in transformers 5.
ARTICLE_TRAINING_ARGUMENTS = dict(output_dir="./results", num_train_epochs=3, per_device_train_batch_size=16,
                                  per_device_eval_batch_size=64, warmup_steps=500, weight_decay=0.01,
                                  logging_dir="./logs")


@dataclass
class FinetuneConfig:
    """Every knob of :func:`finetune`, with the defaults used for ``bert-base-uncased`` on IMDb."""

    model: str = DEFAULT_MODEL
    data: str | None = None
    output_dir: str = "runs/bert-imdb"
    epochs: float = 3.0
    learning_rate: float = 5e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_tokens: int = 16384
    max_length: int = 512
    truncation: str = "head+tail"
    head: int = 128
    num_labels: int = 2
    validation_fraction: float = 0.05
    train_size: int | None = None
    test_size: int | None = None
    precision: str = "auto"
    compile: bool = False
    eval_batch_size: int = 128
    num_workers: int | None = None
    seed: int = 0
    resume: bool = False
    overwrite: bool = False
    keep_checkpoints: int = 2
    save_model: bool = True
    results_path: str | None = None
    plots: bool = True
    logging_steps: int | None = None
    use_cpu: bool = False
    disable_tqdm: bool = False


def resolve_precision(precision: str, use_cpu: bool = False) -> str:
    """``"auto"`` picks bf16 on GPUs that support it (Ampere and newer), fp16 on older GPUs, fp32 on a CPU.

    Asking for bf16 or fp16 where the hardware cannot do it is an error rather than a silent fallback.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {PRECISIONS}, got {precision!r}")
    cuda = torch.cuda.is_available() and not use_cpu
    bf16 = cuda and torch.cuda.get_device_capability()[0] >= 8
    where = torch.cuda.get_device_name() if cuda else "a CPU"
    if precision == "auto":
        return "bf16" if bf16 else "fp16" if cuda else "fp32"
    if precision == "bf16" and not bf16:
        raise ValueError(f"precision='bf16': expected a GPU with bfloat16 tensor cores (compute capability 8.0 or "
                         f"newer, e.g. A100, L4, H100), got {where}; use precision='auto' to pick what this machine "
                         "supports")
    if precision == "fp16" and not cuda:
        raise ValueError("precision='fp16': expected a CUDA GPU, got a CPU; use precision='auto' (fp32 on a CPU)")
    return precision


def check_split(name: str, data: datasets.Dataset, num_labels: int) -> None:
    """One clear ``ValueError`` for a split without ``text``/``label`` columns, an empty split, labels out of range."""
    missing = [c for c in ("text", "label") if c not in data.column_names]
    if missing:
        raise ValueError(f"data[{name!r}]: expected columns 'text' and 'label', got {data.column_names}")
    if len(data) == 0:
        raise ValueError(f"data[{name!r}]: expected at least one review, got an empty split")
    labels = np.asarray(data["label"])
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= num_labels:
        bad = sorted({int(v) for v in labels if not 0 <= v < num_labels}) if np.issubdtype(labels.dtype, np.number) \
            else labels.dtype
        raise ValueError(f"data[{name!r}]: expected integer labels in 0..{num_labels - 1} (num_labels={num_labels}), "
                         f"got {bad}")


def load_splits(data: str | os.PathLike | datasets.DatasetDict | dict | None) -> dict[str, datasets.Dataset]:
    """``train`` and ``test`` from a dict of datasets, a folder of parquet files, or IMDb (local copy, else the Hub)."""
    if isinstance(data, (dict, datasets.DatasetDict)):
        missing = [s for s in ("train", "test") if s not in data]
        if missing:
            raise ValueError(f"data: expected splits 'train' and 'test', got {list(data)}")
        return {"train": data["train"], "test": data["test"]}
    folder = imdb_parquet_dir(data)
    if folder is not None:
        import pyarrow.parquet as pq

        for split in ("train", "test"):
            columns = pq.read_schema(folder / f"{split}.parquet").names
            if "text" not in columns or "label" not in columns:
                raise ValueError(f"data[{split!r}]: expected columns 'text' and 'label', got {columns} "
                                 f"in {folder / f'{split}.parquet'}")
    return {split: load_imdb(split, path=folder) for split in ("train", "test")}


def load_classifier(name: str | os.PathLike, num_labels: int):
    """Tokenizer and ``AutoModelForSequenceClassification`` (fp32 weights, SDPA attention) from a folder or the Hub."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    name = str(name)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model: expected a folder holding config.json and weights, got {path} "
                                    "without config.json")
        name = str(path)
    elif name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise FileNotFoundError(f"model: expected a local folder or a Hugging Face Hub name such as "
                                f"'{DEFAULT_MODEL}', got {name!r}, which does not exist")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForSequenceClassification.from_pretrained(
            name, num_labels=num_labels, dtype=torch.float32, attn_implementation="sdpa")
    except OSError as error:
        raise FileNotFoundError(f"model: expected a local folder or a model the Hugging Face Hub can serve, got "
                                f"{name!r} ({type(error).__name__}: {error}). Pass the folder of a downloaded "
                                f"checkpoint, or connect to the Hub.") from error
    return tokenizer, model


class BucketTrainer(Trainer):
    """A ``Trainer`` whose training batches come from a :class:`TokenBudgetBatchSampler` over the ``length`` column."""

    def __init__(self, *args, max_tokens: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_tokens = max_tokens

    def get_train_dataloader(self) -> DataLoader:
        sampler = TokenBudgetBatchSampler(list(self.train_dataset["length"]), self.max_tokens, seed=self.args.seed)
        workers = self.args.dataloader_num_workers
        loader = DataLoader(self.train_dataset, batch_sampler=sampler, collate_fn=self.data_collator,
                            num_workers=workers, pin_memory=self.args.dataloader_pin_memory,
                            persistent_workers=workers > 0, prefetch_factor=4 if workers else None)
        return self.accelerator.prepare(loader)


class EpochTimer(TrainerCallback):
    """Wall time of each training epoch, evaluation and checkpointing excluded (the GPU is synchronised first)."""

    def __init__(self):
        self.seconds: list[float] = []
        self._start = 0.0

    @staticmethod
    def _now() -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_epoch_begin(self, args, state, control, **kwargs):
        self._start = self._now()

    def on_epoch_end(self, args, state, control, **kwargs):
        self.seconds.append(self._now() - self._start)


def compute_metrics_for(num_labels: int):
    """The ``compute_metrics`` hook: accuracy and F1 of the arg-max class."""
    def compute_metrics(prediction) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return classification_scores(prediction.label_ids, np.argmax(logits, axis=-1), num_labels)
    return compute_metrics


def training_arguments(config: FinetuneConfig, precision: str, steps_per_epoch: int, **overrides) -> TrainingArguments:
    """The ``TrainingArguments`` of :func:`finetune` (each choice is explained in chapter 5); ``overrides`` win."""
    cuda = torch.cuda.is_available() and not config.use_cpu
    workers = config.num_workers if config.num_workers is not None else (2 if cuda else 0)
    total_steps = max(1, int(np.ceil(steps_per_epoch * config.epochs)))
    multi_process = int(os.environ.get("WORLD_SIZE", "1")) > 1
    chosen = dict(
        output_dir=config.output_dir,
        num_train_epochs=config.epochs,
        learning_rate=config.learning_rate,
        warmup_steps=int(round(config.warmup * total_steps)),
        weight_decay=config.weight_decay,
        lr_scheduler_type="linear",
        optim="adamw_torch_fused" if cuda else "adamw_torch",
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        tf32=True if cuda and torch.cuda.get_device_capability()[0] >= 8 else None,
        torch_compile=config.compile,
        per_device_eval_batch_size=config.eval_batch_size,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=config.keep_checkpoints,
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=config.logging_steps or max(1, steps_per_epoch // 10),
        report_to="none",
        seed=config.seed,
        remove_unused_columns=False,
        dataloader_num_workers=workers,
        dataloader_pin_memory=cuda,
        use_cpu=config.use_cpu,
        ddp_backend="gloo" if multi_process and not cuda else None,
        ddp_find_unused_parameters=False if multi_process else None,
        disable_tqdm=config.disable_tqdm,
    )
    return TrainingArguments(**{**chosen, **overrides})


def _prepare_output_dir(config: FinetuneConfig, trainer: Trainer) -> bool:
    """Whether to resume; refuses to mix a new run into an old run's checkpoints unless told which to do."""
    folder = Path(config.output_dir)
    checkpoints = sorted(folder.glob("checkpoint-*")) if folder.is_dir() else []
    if config.resume:
        if not checkpoints and trainer.is_world_process_zero():
            print(f"resume: no checkpoint in {folder}, starting a new run")
        return bool(checkpoints)
    if checkpoints:
        if not config.overwrite:
            raise FileExistsError(f"output_dir: expected no checkpoints of an earlier run, got {len(checkpoints)} in "
                                  f"{folder}; pass resume=True to continue that run or overwrite=True to start over")
        trainer.accelerator.wait_for_everyone()
        if trainer.is_world_process_zero():
            for checkpoint in checkpoints:
                shutil.rmtree(checkpoint)
        trainer.accelerator.wait_for_everyone()
    return False


def finetune(model: str | os.PathLike = DEFAULT_MODEL,
             data: str | os.PathLike | datasets.DatasetDict | dict | None = None,
             output_dir: str | os.PathLike = "runs/bert-imdb", callbacks: list | None = None, **options) -> dict:
    """Fine-tune ``model`` on ``data`` and return the results that are also written to ``results.json``.

    ``model`` is a Hub name (default ``bert-base-uncased``) or a local folder; ``data`` a dict with ``train`` and
    ``test`` datasets (columns ``text``, ``label``), a folder of ``train.parquet``/``test.parquet``, or ``None`` for
    IMDb (a local copy if there is one, else ``stanfordnlp/imdb`` from the Hub). ``options`` are the other fields of
    :class:`FinetuneConfig`. ``test`` is evaluated once, after training, with the epoch that scored best on validation.
    """
    started = time.perf_counter()
    config = FinetuneConfig(model=str(model), data=None if isinstance(data, (dict, datasets.DatasetDict)) else data,
                            output_dir=str(output_dir), **options)
    if config.truncation not in TRUNCATIONS:
        raise ValueError(f"truncation: expected one of {TRUNCATIONS}, got {config.truncation!r}")
    precision = resolve_precision(config.precision, use_cpu=config.use_cpu)
    splits = load_splits(data)
    for name, split in splits.items():
        check_split(name, split, config.num_labels)
    tokenizer, classifier = load_classifier(config.model, config.num_labels)
    loaded = time.perf_counter()

    train, test = splits["train"], splits["test"]
    if config.train_size is not None:
        train = _subset(train, config.train_size, config.seed, config.num_labels)
    if config.test_size is not None:
        test = _subset(test, config.test_size, config.seed, config.num_labels)
    parts = train.train_test_split(test_size=config.validation_fraction, seed=config.seed)
    encode = dict(tokenizer=tokenizer, max_length=config.max_length, truncation=config.truncation, head=config.head)
    train_ids = tokenize_reviews(parts["train"], **encode)
    val_ids = _longest_first(tokenize_reviews(parts["test"], **encode))
    test_ids = _longest_first(tokenize_reviews(test, **encode))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # silence the fork warning of dataloader workers
    tokenized = time.perf_counter()

    lengths = list(train_ids["length"])
    sampler = TokenBudgetBatchSampler(lengths, config.max_tokens, seed=config.seed)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    args = training_arguments(config, precision, steps_per_epoch=int(np.ceil(len(sampler) / world)))
    timer = EpochTimer()
    trainer = BucketTrainer(model=classifier, args=args, train_dataset=train_ids, eval_dataset=val_ids,
                            processing_class=tokenizer, data_collator=PadCollator(tokenizer.pad_token_id),
                            compute_metrics=compute_metrics_for(config.num_labels), max_tokens=config.max_tokens,
                            callbacks=[timer, *(callbacks or [])])
    resume = _prepare_output_dir(config, trainer)
    train_output = trainer.train(resume_from_checkpoint=True if resume else None)
    trained = time.perf_counter()

    prediction = trainer.predict(test_ids, metric_key_prefix="test")
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    matrix = confusion_matrix(prediction.label_ids, np.argmax(logits, axis=-1), config.num_labels)
    tested = time.perf_counter()
    if config.save_model:
        trainer.save_model(str(Path(config.output_dir) / "model"))

    epochs = [{"epoch": h["epoch"], "val_loss": h["eval_loss"], "val_accuracy": h["eval_accuracy"],
               "val_f1": h["eval_f1"]} for h in trainer.state.log_history if "eval_accuracy" in h]
    for epoch, seconds in zip(epochs[-len(timer.seconds):] if timer.seconds else [], timer.seconds):
        epoch["train_seconds"] = seconds
    train_seconds = float(sum(timer.seconds))
    real_tokens = int(np.sum(lengths))
    results = {
        "model": config.model,
        "parameters": sum(p.numel() for p in classifier.parameters()),
        "data": {"source": _describe_source(data), "train": len(train_ids), "validation": len(val_ids),
                 "test": len(test_ids), "train_tokens": real_tokens,
                 "train_padding_fraction": padding_fraction(lengths, sampler.batches(), multiple_of=8)},
        "config": asdict(config),
        "precision": precision,
        "hardware": hardware(),
        "versions": library_versions(),
        "resumed": bool(resume),
        "timing_seconds": {"load": loaded - started, "tokenize": tokenized - loaded, "train": trained - tokenized,
                           "test": tested - trained, "total": tested - started,
                           "train_epochs": timer.seconds},
        "train_samples_per_second": len(train_ids) * len(timer.seconds) / train_seconds if train_seconds else None,
        "train_tokens_per_second": real_tokens * len(timer.seconds) / train_seconds if train_seconds else None,
        "train_loss": train_output.training_loss,
        "epochs": epochs,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "test": {"accuracy": prediction.metrics["test_accuracy"], "f1": prediction.metrics["test_f1"],
                 "loss": prediction.metrics["test_loss"], "confusion_matrix": matrix.tolist()},
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():
        write_json(Path(config.output_dir) / "results.json", results)
        if config.results_path:
            write_json(config.results_path, results)
        if config.plots:
            save_plots(results, config.output_dir)
    return results


def _longest_first(data: datasets.Dataset) -> datasets.Dataset:
    """Rows sorted by decreasing length, so that fixed-size evaluation batches hold similar lengths (little padding)."""
    return data.select(np.argsort(-np.asarray(data["length"]), kind="stable"))


def _subset(data: datasets.Dataset, size: int, seed: int, num_labels: int) -> datasets.Dataset:
    """``size`` rows: half of each label for binary data (IMDb is balanced), else a plain shuffled sample."""
    if num_labels == 2:
        return balanced_subset(data, size, seed)
    return data.shuffle(seed=seed).select(range(min(size, len(data))))


def _describe_source(data) -> str:
    if isinstance(data, (dict, datasets.DatasetDict)):
        return "in-memory datasets"
    folder = imdb_parquet_dir(data)
    return f"parquet files in {folder}" if folder is not None else "Hugging Face Hub: stanfordnlp/imdb"


def parse_args(argv: list[str] | None = None) -> tuple[str, str | None, str, dict]:
    """The command line of ``python -m lmtutorial.finetune``: model, data, output folder and options."""
    defaults = FinetuneConfig()
    parser = argparse.ArgumentParser(
        prog="python -m lmtutorial.finetune", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Fine-tune a BERT-family model on IMDb (or any parquet folder with text and label columns) "
                    "with transformers.Trainer: validation carved from train, test used once, dynamic padding with "
                    "token-budget length buckets, bf16 where supported, accuracy and F1, a results JSON and plots, "
                    "a checkpoint per epoch and --resume. Several GPUs: "
                    "torchrun --nproc_per_node N -m lmtutorial.finetune.")
    parser.add_argument("--model", default=defaults.model, help="Hub name or local folder with config.json")
    parser.add_argument("--data", default=None,
                        help="folder with train.parquet and test.parquet (default: a local IMDb copy, else the Hub)")
    parser.add_argument("--output-dir", default=defaults.output_dir, help="checkpoints, results.json and plots")
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--lr", dest="learning_rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="share of steps with linear warm-up")
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--max-tokens", type=int, default=defaults.max_tokens,
                        help="token budget per training batch, padding included")
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--truncation", choices=TRUNCATIONS, default=defaults.truncation)
    parser.add_argument("--head", type=int, default=defaults.head, help="tokens kept from the start (head+tail)")
    parser.add_argument("--num-labels", type=int, default=defaults.num_labels)
    parser.add_argument("--validation-fraction", type=float, default=defaults.validation_fraction)
    parser.add_argument("--train-size", type=int, default=None, help="balanced subset of train (default: all)")
    parser.add_argument("--test-size", type=int, default=None, help="balanced subset of test (default: all)")
    parser.add_argument("--precision", choices=PRECISIONS, default=defaults.precision)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--eval-batch-size", type=int, default=defaults.eval_batch_size)
    parser.add_argument("--num-workers", type=int, default=None, help="dataloader workers (default: 2 on a GPU)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="delete earlier checkpoints in --output-dir")
    parser.add_argument("--keep-checkpoints", type=int, default=defaults.keep_checkpoints)
    parser.add_argument("--results", dest="results_path", default=None, help="also write the results JSON here")
    parser.add_argument("--no-plots", dest="plots", action="store_false")
    parser.add_argument("--cpu", dest="use_cpu", action="store_true", help="train on the CPU even if a GPU is present")
    options = vars(parser.parse_args(argv))
    model, data, output_dir = options.pop("model"), options.pop("data"), options.pop("output_dir")
    return model, data, output_dir, options


def process_seconds() -> float:
    """Seconds since this Python process started: imports included, the end-to-end time a user waits for."""
    import psutil

    return time.time() - psutil.Process().create_time()


def main(argv: list[str] | None = None) -> dict:
    model, data, output_dir, options = parse_args(argv)
    results = finetune(model, data, output_dir, **options)
    if int(os.environ.get("RANK", "0")) == 0:
        results["timing_seconds"]["process"] = process_seconds()
        for path in (Path(output_dir) / "results.json", options.get("results_path")):
            if path:
                write_json(path, results)
        timing = results["timing_seconds"]
        print(f"test accuracy {results['test']['accuracy']:.4f}, F1 {results['test']['f1']:.4f}; "
              f"{results['precision']} on {results['hardware']['name']}; {timing['process']:.1f} s end to end "
              f"(train {timing['train']:.1f} s); results in {Path(output_dir) / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
