"""Fine-tune a BERT-family encoder to classify IMDb reviews with ``transformers.Trainer``, correctly and fast.

Compared with the usual recipe (pad everything to 512, fp32, evaluate on the test set, no metric), this one

- carves a validation split out of ``train`` and touches ``test`` once, for the final report;
- pads each batch only to its own longest review, with batches cut from length-sorted reviews under a token
  budget (:class:`~lmtutorial.hf.bert_data.TokenBudgetBatchSampler`), and can keep head+tail of long reviews;
- trains in bf16 where the GPU supports it (fp16 on older GPUs, fp32 on a CPU) with fused AdamW and SDPA attention;
- reports accuracy and F1, writes a results JSON and two plots, saves a checkpoint after each epoch and resumes
  an interrupted run exactly where its last checkpoint left it.

One GPU: ``python -m lmtutorial.hf.finetune``. Several: ``torchrun --nproc_per_node 4 -m lmtutorial.hf.finetune`` or
``accelerate launch -m lmtutorial.hf.finetune``, with no change to the code.
"""

from __future__ import annotations

import argparse
import contextvars
import errno
import fcntl
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import datasets
import numpy as np
import torch
from torch.utils.data import DataLoader
from transformers import Trainer, TrainerCallback, TrainingArguments

from lmtutorial.hf.bert_data import (REFERENCE_BATCH_SIZE, TRUNCATIONS, PadCollator, TokenBudgetBatchSampler, column,
                        padding_fraction, scaled_learning_rate, tokenize_reviews)
from lmtutorial.data.imdb import IMDbUnavailable, balanced_subset, imdb_parquet_dir, label_column, load_imdb
from lmtutorial.hf.report import save_plots
from lmtutorial.provenance import hardware, library_versions, write_atomically, write_json
from lmtutorial.core.metrics import classification_scores, confusion_matrix
from lmtutorial.costs import count_parameters

DEFAULT_MODEL = "bert-base-uncased"
PRECISIONS = ("auto", "bf16", "fp16", "fp32")

# The article's TrainingArguments, verbatim. ``logging_dir`` no longer exists in transformers 5.
ARTICLE_TRAINING_ARGUMENTS = dict(output_dir="./results", num_train_epochs=3, per_device_train_batch_size=16,
                                  per_device_eval_batch_size=64, warmup_steps=500, weight_decay=0.01,
                                  logging_dir="./logs")
LOCK_NAME = "run.lock"  # held by the run working in an output folder
RUN_FILES = ("results.json", "model", "loss_curve.png", "confusion_matrix.png")  # besides the checkpoint-N folders
CHECKPOINT_ONLY = ("optimizer.pt", "scheduler.pt", "scaler.pt", "trainer_state.json")  # and rng_state*.pth
# Options that only steer how a run is carried out, not what it computes (a finished run ignores them).
HOW_NOT_WHAT = ("resume", "overwrite", "results_path", "plots", "disable_tqdm", "num_workers", "save_model")
# Command-line flags whose name is not the option's name with dashes.
CLI_FLAGS = {"learning_rate": "--lr", "results_path": "--results", "plots": "--no-plots", "use_cpu": "--cpu"}
_COMMAND_LINE = contextvars.ContextVar("command_line", default=False)


def cli(help: str, **argparse_options: object) -> dict:  # noqa: A002 - argparse's name
    """Field metadata that makes a :class:`FinetuneConfig` field a command-line option with this help text."""
    return {"cli": {"help": help, **argparse_options}}


class DiskFull(OSError):
    """A save ran out of disk space; the message names the folder."""


class RunFolderBusy(FileExistsError):
    """Another live run holds the output folder's lock; the message names it (pid, host)."""


def _option(name: str) -> str:
    """An option as the user typed it: ``--train-size`` on the command line, ``train_size`` from Python."""
    if _COMMAND_LINE.get():
        return CLI_FLAGS.get(name, "--" + name.replace("_", "-"))
    return name


def _switch(name: str) -> str:
    """A boolean option switched on, as the user would type it: ``--resume`` or ``resume=True``."""
    return _option(name) if _COMMAND_LINE.get() else f"{name}=True"


@dataclass
class FinetuneConfig:
    """Every knob of :func:`finetune`, with the defaults used for ``bert-base-uncased`` on IMDb.

    A field with ``cli(help)`` metadata is also a command-line option (:func:`parse_args` derives it: flag, type,
    default, choices), so each default is written once, here.
    """

    model: str = field(default=DEFAULT_MODEL, metadata=cli("Hub name or local folder with config.json"))
    data: str | None = field(default=None, metadata=cli(
        "folder with train.parquet and test.parquet (default: a local IMDb copy, else the Hub)"))
    output_dir: str = field(default="runs/bert-imdb", metadata=cli(
        "checkpoints, results.json and plots; one run at a time"))
    epochs: float = field(default=3.0, metadata=cli("training epochs, more than 0"))
    # per 16 reviews: 5e-5 at BERT's batch of 32 (Devlin et al. 2019's top rate)
    learning_rate: float = field(default=2.5e-5, metadata=cli(
        "peak learning rate for 16 reviews a step, scaled linearly to each token-budget batch"))
    warmup: float = field(default=0.06, metadata=cli("share of steps with linear warm-up"))
    weight_decay: float = field(default=0.01, metadata=cli("AdamW weight decay"))
    max_tokens: int = field(default=16384, metadata=cli("token budget per training batch, padding included"))
    max_length: int = field(default=512, metadata=cli("tokens kept per review"))
    truncation: str = field(default="head+tail", metadata=cli(
        "which tokens of a long review to keep", choices=TRUNCATIONS))
    head: int = field(default=128, metadata=cli("tokens kept from the start (head+tail)"))
    num_labels: int = field(default=2, metadata=cli("classes; labels are 0 .. num-labels - 1"))
    validation_fraction: float = field(default=0.05, metadata=cli(
        "share of train held out for validation, between 0 and 1"))
    train_size: int | None = field(default=None, metadata=cli("balanced subset of train (default: all)"))
    test_size: int | None = field(default=None, metadata=cli("balanced subset of test (default: all)"))
    precision: str = field(default="auto", metadata=cli(
        "auto: bf16 or fp16 on a GPU, fp32 on a CPU", choices=PRECISIONS))
    compile: bool = field(default=False, metadata=cli("torch.compile the model (default: off)"))
    eval_batch_size: int = field(default=128, metadata=cli("reviews per evaluation batch"))
    num_workers: int | None = field(default=None, metadata=cli(
        "dataloader workers (default: 2 on a GPU, 0 on a CPU)"))
    seed: int = field(default=0, metadata=cli("seed of the head, the split, the batches and dropout"))
    resume: bool = field(default=False, metadata=cli(
        "continue from the last complete checkpoint in --output-dir (default: off)"))
    overwrite: bool = field(default=False, metadata=cli(
        "delete the earlier run in --output-dir first (default: off)"))
    keep_checkpoints: int = field(default=2, metadata=cli("checkpoints kept, the best one always"))
    save_model: bool = True
    results_path: str | None = field(default=None, metadata=cli(
        "also write the results JSON here (default: only results.json in --output-dir)"))
    plots: bool = field(default=True, metadata=cli("skip the loss and confusion-matrix plots (default: written)"))
    logging_steps: int | None = None
    use_cpu: bool = field(default=False, metadata=cli("train on the CPU even if a GPU is present (default: off)"))
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
    """One clear ``ValueError`` for a split without ``text``/``label`` columns, an empty split, missing text, or labels
    that are not integers in ``0..num_labels - 1`` (floats, strings, nulls, out of range)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = [c for c in ("text", "label") if c not in data.column_names]
    if missing:
        raise ValueError(f"data[{name!r}]: expected columns 'text' and 'label', got {data.column_names}")
    if len(data) == 0:
        raise ValueError(f"data[{name!r}]: expected at least one review, got an empty split")
    text, labels = label_column(data, "text"), label_column(data, "label")
    expected = f"integer labels in 0..{num_labels - 1} (num_labels={num_labels})"
    for column, what in ((text, "a review (text)"), (labels, "a label")):
        if column.null_count:
            rows = np.flatnonzero(pc.is_null(column).to_numpy())
            raise ValueError(f"data[{name!r}]: expected {what} in every row, got {len(rows)} rows without one "
                             f"(null), the first is row {rows[0]}")
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        raise ValueError(f"data[{name!r}]: expected text to hold strings, got {text.type} values such as "
                         f"{text[0].as_py()!r}")
    if not pa.types.is_integer(labels.type):
        raise ValueError(f"data[{name!r}]: expected {expected}, got {labels.type} labels such as "
                         f"{labels[0].as_py()!r}")
    values = labels.to_numpy()
    if values.min() < 0 or values.max() >= num_labels:
        bad = sorted(set(values[(values < 0) | (values >= num_labels)].tolist()))
        raise ValueError(f"data[{name!r}]: expected {expected}, got {bad}")


def load_splits(data: str | os.PathLike | datasets.DatasetDict | dict | None) -> dict[str, datasets.Dataset]:
    """``train`` and ``test`` from a dict of datasets, a folder of parquet files, or IMDb (local copy, else the Hub)."""
    if isinstance(data, (dict, datasets.DatasetDict)):
        missing = [s for s in ("train", "test") if s not in data]
        if missing:
            raise ValueError(f"data: expected splits 'train' and 'test', got {list(data)}")
        return {"train": data["train"], "test": data["test"]}
    folder = imdb_parquet_dir(data)
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
    """A ``Trainer`` whose batches come from a :class:`TokenBudgetBatchSampler` over the ``length`` column.

    Training batches hold at most ``max_tokens`` padded positions and are reshuffled every epoch. Evaluation and
    test batches are cut from the longest review down under the same budget, always in the same order (with
    several processes, whose gathered batches must have one size: ``per_device_eval_batch_size`` reviews cut from
    that order); predictions and labels come back in dataset order.

    ``args.learning_rate`` is the rate for ``reference_batch_size`` reviews a step (the article's 16). Token-budget
    batches hold more reviews, so an epoch has fewer steps; the optimizer gets the rate scaled to the mean reviews
    per optimizer step by :func:`~lmtutorial.hf.bert_data.scaled_learning_rate` (``reference_batch_size=None``: as
    given). ``learning_rate`` holds the rate used once training has started.
    """

    def __init__(self, *args, max_tokens: int, reference_batch_size: int | None = REFERENCE_BATCH_SIZE, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_tokens, self.reference_batch_size = max_tokens, reference_batch_size
        self.learning_rate = self.args.learning_rate
        self._eval_order: np.ndarray | None = None

    def train_sampler(self) -> TokenBudgetBatchSampler:
        """The sampler of the training batches (a new one starts at epoch 0)."""
        return TokenBudgetBatchSampler(column(self.train_dataset, "length"), self.max_tokens, seed=self.args.seed)

    def samples_per_step(self) -> float:
        """Mean training reviews per optimizer step, over all processes and accumulated batches."""
        batches = len(self.train_sampler())
        return len(self.train_dataset) / batches * self.args.world_size * self.args.gradient_accumulation_steps

    def create_optimizer(self, model=None) -> torch.optim.Optimizer:
        new = self.optimizer is None
        optimizer = super().create_optimizer(model)
        if new and self.reference_batch_size is not None:
            self.learning_rate = scaled_learning_rate(self.args.learning_rate, self.samples_per_step(),
                                                      self.reference_batch_size)
            for group in optimizer.param_groups:  # before the scheduler reads them as its base rates
                group["lr"] = self.learning_rate
        return optimizer

    def _loader(self, dataset, batch_sampler, training: bool) -> DataLoader:
        workers = self.args.dataloader_num_workers
        loader = DataLoader(dataset, batch_sampler=batch_sampler, collate_fn=self.data_collator,
                            num_workers=workers, pin_memory=self.args.dataloader_pin_memory,
                            persistent_workers=training and workers > 0, prefetch_factor=4 if workers else None)
        return self.accelerator.prepare(loader)

    def get_train_dataloader(self) -> DataLoader:
        return self._loader(self.train_dataset, self.train_sampler(), training=True)

    def get_eval_dataloader(self, eval_dataset=None) -> DataLoader:
        if eval_dataset is None and self.eval_dataset is None:
            raise ValueError("eval_dataset: expected a dataset with a 'length' column, got none")
        if isinstance(eval_dataset, str):
            eval_dataset = self.eval_dataset[eval_dataset]
        return self.get_test_dataloader(self.eval_dataset if eval_dataset is None else eval_dataset)

    def get_test_dataloader(self, test_dataset) -> DataLoader:
        lengths = column(test_dataset, "length")
        if self.args.world_size > 1:  # gathered batches must have one size: fixed batches cut longest first
            self._eval_order = np.argsort(-lengths, kind="stable")
            return super().get_test_dataloader(test_dataset.select(self._eval_order))
        batches = TokenBudgetBatchSampler(lengths, self.max_tokens, shuffle=False).batches()
        self._eval_order = np.concatenate(batches)
        return self._loader(test_dataset, batches, training=False)

    def train(self, *args, **kwargs):
        """The Trainer's ``train``, in TF32 if ``args.tf32`` asks for it (the process's switches restored after)."""
        with tf32_inside(self.args.tf32):
            return super().train(*args, **kwargs)

    def evaluation_loop(self, dataloader, *args, **kwargs):
        """The Trainer's loop (in TF32 if ``args.tf32``), with predictions and labels put back in dataset order."""
        with tf32_inside(self.args.tf32):
            output = super().evaluation_loop(dataloader, *args, **kwargs)
        order, self._eval_order = self._eval_order, None
        if order is None:
            return output
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return output._replace(predictions=_take(output.predictions, inverse),
                               label_ids=_take(output.label_ids, inverse))


def _take(values, rows: np.ndarray):
    """``values[rows]`` for an array, or for each array of a (nested) tuple or list; ``None`` stays ``None``."""
    if values is None:
        return None
    if isinstance(values, (tuple, list)):
        return type(values)(_take(v, rows) for v in values)
    return np.asarray(values)[rows]


class EpochTimer(TrainerCallback):
    """Wall time of each training epoch, evaluation and checkpointing excluded (the GPU is synchronised first).

    Each time is also added to the log history (``train_seconds``), which checkpoints keep: a resumed run still
    knows how long its earlier epochs took.
    """

    def __init__(self):
        self.seconds: list[float] = []
        self._start = 0.0

    @staticmethod
    def now() -> float:
        """The time in seconds (time.perf_counter), after the GPU has finished its queued work."""
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_epoch_begin(self, args, state, control, **kwargs):
        self._start = self.now()

    def on_epoch_end(self, args, state, control, **kwargs):
        self.seconds.append(self.now() - self._start)
        state.log_history.append({"epoch": state.epoch, "step": state.global_step, "train_seconds": self.seconds[-1]})


def compute_metrics_for(num_labels: int):
    """The ``compute_metrics`` hook: accuracy and F1 of the arg-max class."""
    def compute_metrics(prediction) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return classification_scores(prediction.label_ids, np.argmax(logits, axis=-1), num_labels)
    return compute_metrics


@contextmanager
def tf32_inside(enabled: bool | None) -> Iterator[None]:
    """TF32 matrix products on (``True``) or off (``False``) inside the block, and the process-wide switches put back
    as they were on leaving it (``None``: left as they are inside, still put back afterwards).

    ``TrainingArguments(tf32=True)`` flips those switches for the whole process when it is constructed, so that
    code that runs later, a benchmark of true fp32 for instance, would silently compute in TF32. (transformers'
    own ``enable_tf32`` acts only on its first call in a process, so the switches are set here directly.)
    """
    if hasattr(torch.backends, "fp32_precision"):  # torch >= 2.9
        switches = [(torch.backends, "fp32_precision", "tf32" if enabled else "ieee")]
    else:
        switches = [(torch.backends.cuda.matmul, "allow_tf32", enabled), (torch.backends.cudnn, "allow_tf32", enabled)]
    saved = [getattr(place, name) for place, name, _ in switches]
    try:
        if enabled is not None:
            for place, name, value in switches:
                setattr(place, name, value)
        yield
    finally:
        for (place, name, _), value in zip(switches, saved):
            setattr(place, name, value)


def training_arguments(config: FinetuneConfig, precision: str, steps_per_epoch: int, **overrides) -> TrainingArguments:
    """The ``TrainingArguments`` of :func:`finetune` (each choice is explained in chapter 5); ``overrides`` win.

    ``learning_rate`` is the rate for a batch of 16 reviews (the article's); :class:`BucketTrainer` scales it to its
    token-budget batches. ``warmup_steps`` is the share ``config.warmup`` of all optimizer steps, rounded. TF32 on
    Ampere and newer GPUs is switched on by :class:`BucketTrainer` for its own training and evaluation only (see
    :func:`tf32_inside`): constructing these arguments leaves the process's TF32 switches as they were.
    """
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
    with tf32_inside(None):
        return TrainingArguments(**{**chosen, **overrides})


def _check_config(config: FinetuneConfig) -> None:
    """One clear error for an option no run can use, naming it as the user typed it."""
    if config.truncation not in TRUNCATIONS:
        raise ValueError(f"{_option('truncation')}: expected one of {TRUNCATIONS}, got {config.truncation!r}")
    if not config.epochs > 0:
        raise ValueError(f"{_option('epochs')}: expected more than 0 epochs, got {config.epochs:g} (an untrained "
                         "model's score is not a result)")
    if not 0 < config.validation_fraction < 1:
        raise ValueError(f"{_option('validation_fraction')}: expected a share of train strictly between 0 and 1, got "
                         f"{config.validation_fraction:g}")
    for name, least in (("num_labels", 2), ("train_size", 2), ("test_size", 1), ("max_length", 2),
                        ("max_tokens", 2), ("eval_batch_size", 1), ("keep_checkpoints", 1)):
        value = getattr(config, name)
        if value is not None and value < least:
            raise ValueError(f"{_option(name)}: expected at least {least}, got {value}")
    if not config.learning_rate > 0:
        raise ValueError(f"{_option('learning_rate')}: expected a rate above 0, got {config.learning_rate:g}")
    if config.resume and config.overwrite:
        raise ValueError(f"{_switch('resume')} and {_switch('overwrite')}: expected at most one of them, got both")
    folder = Path(config.output_dir)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{_option('output_dir')}: expected a folder for the run, got the file {folder}")


class RunLock:
    """The lock file of an output folder: one run at a time works in it.

    It is an advisory ``flock`` on ``run.lock``, which the kernel releases when its process dies, so the lock of a
    killed run is stale by construction and simply taken over; the file names the holder (pid, host, start time).
    """

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / LOCK_NAME
        self._file = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            file = open(self.path, "a+", encoding="utf-8")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                raise RunFolderBusy(f"{_option('output_dir')} {self.path.parent}: another run is working in it "
                                    f"({self._holder()}); wait until it ends, or choose another "
                                    f"{_option('output_dir')}") from None
            if os.path.exists(self.path) and os.path.samefile(self.path, file.fileno()):
                break  # else the previous holder removed the file between our open and our lock: try again
            file.close()
        earlier = self._holder()
        if earlier != "holder unknown":
            print(f"{self.path.parent}: taking over the lock left by a run that is gone ({earlier})")
        file.seek(0)
        file.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")},
                  file)
        file.flush()
        self._file = file
        return self

    def release(self) -> None:
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self._file.close()
            self._file = None

    def _holder(self) -> str:
        for _ in range(10):  # a new holder writes its name right after taking the lock
            try:
                holder = json.loads(self.path.read_text(encoding="utf-8"))
                return f"pid {holder['pid']} on {holder['host']}, since {holder['started']}"
            except (OSError, ValueError, KeyError, TypeError):
                time.sleep(0.05)
        return "holder unknown"


def checkpoint_problem(checkpoint: Path) -> str | None:
    """Why ``checkpoint`` cannot be resumed from (its save was cut short), or ``None`` if it is complete.

    ``Trainer`` writes ``trainer_state.json`` last, after the weights, optimizer and random states.
    """
    state = checkpoint / "trainer_state.json"
    if not state.is_file():
        return "no trainer_state.json: its save was cut short"
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except ValueError:
        return "trainer_state.json is cut short"
    if not any((checkpoint / name).is_file() for name in ("model.safetensors", "pytorch_model.bin",
                                                           "model.safetensors.index.json")):
        return "no model weights"
    return None


def _checkpoints(folder: Path) -> list[Path]:
    """The ``checkpoint-N`` folders in ``folder``, by step."""
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]))


def _clear_earlier_run(folder: Path) -> None:
    """Move every part of an earlier run aside, results first, then delete it: never half a run left in place."""
    trash = folder / f".overwritten.{os.getpid()}"
    trash.mkdir()
    for path in [*(folder / name for name in RUN_FILES), *_checkpoints(folder)]:
        if path.exists():
            os.replace(path, trash / path.name)
    shutil.rmtree(trash)


def _prepare_output_dir(config: FinetuneConfig, is_main: bool) -> Path | None:
    """The checkpoint to resume from; refuses to mix a new run into an old one unless told which to do.

    The main process, which holds the folder's lock, goes first: it removes checkpoints whose save was cut short
    (saying which and why) and leftovers of an interrupted ``overwrite`` or final-model write; the other processes
    then only look.
    """
    folder = Path(config.output_dir)
    if not folder.is_dir():
        return None
    if is_main:
        for leftover in [*folder.glob(".overwritten.*"), *folder.glob(".model.*.tmp")]:
            shutil.rmtree(leftover)
        if config.overwrite:
            _clear_earlier_run(folder)
    good = []
    for checkpoint in _checkpoints(folder):
        problem = checkpoint_problem(checkpoint)
        if problem is None:
            good.append(checkpoint)
        elif config.resume and is_main:
            print(f"resume: skipping {checkpoint} ({problem}); removed")
            shutil.rmtree(checkpoint)
    if config.resume:
        if not good and is_main:
            print(f"resume: no complete checkpoint in {folder}, starting a new run")
        return good[-1] if good else None
    return None


def _refuse_to_mix(config: FinetuneConfig) -> None:
    """One ``FileExistsError`` if ``output_dir`` holds an earlier run and neither ``resume`` nor ``overwrite`` says
    what to do with it (checked before anything is loaded)."""
    folder = Path(config.output_dir)
    if config.resume or config.overwrite or not folder.is_dir():
        return
    earlier = [p.name for p in (folder / name for name in RUN_FILES) if p.exists()] + \
        [p.name for p in _checkpoints(folder)]
    if earlier:
        raise FileExistsError(f"{_option('output_dir')}: expected no earlier run in {folder}, got "
                              f"{', '.join(earlier)}; pass {_switch('resume')} to continue that run or "
                              f"{_switch('overwrite')} to start over")


def _finished_run(config: FinetuneConfig) -> dict | None:
    """The results of the run in ``output_dir`` if it already finished with these settings (``resume`` only)."""
    path = Path(config.output_dir) / "results.json"
    if not config.resume or not path.is_file():
        return None
    results = json.loads(path.read_text(encoding="utf-8"))
    ours = {k: v for k, v in asdict(config).items() if k not in HOW_NOT_WHAT}
    theirs = {k: v for k, v in results.get("config", {}).items() if k not in HOW_NOT_WHAT}
    differ = sorted(k for k in ours if ours[k] != theirs.get(k))
    if differ:
        raise FileExistsError(f"{_switch('resume')}: the run in {config.output_dir} has finished with other settings "
                              f"({', '.join(f'{_option(k)} {theirs.get(k)!r}, not {ours[k]!r}' for k in differ)}); "
                              f"pass {_switch('overwrite')} or choose another {_option('output_dir')}")
    return results


def _is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a write that ran out of space, in any library's words."""
    words = ("No space left on device", "unexpected pos", "file write failed", "StorageFull", "os error 28",
             "Disk quota exceeded")
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(word in str(error) for word in words):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextmanager
def _disk_full_in_one_line(folder: str | os.PathLike) -> Iterator[None]:
    """Turn a full disk while writing into ``folder`` into one :class:`DiskFull` line that says so."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as error:
        if not _is_disk_full(error):
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        full = DiskFull(f"{folder}: the disk is full ({type(error).__name__}: {first[:200]}); free some space or "
                        f"choose another {_option('output_dir')}, then pass {_switch('resume')}: the checkpoints "
                        "saved before are intact")
        full.errno = errno.ENOSPC
        raise full from error


class RunRecord(TrainerCallback):
    """Keeps a run folder relocatable and its history whole.

    - ``best_model_checkpoint`` is stored as a folder name relative to the run folder, and a resumed run looks
      for it in the folder it runs in now (a copied or moved run resumes with the right best epoch);
    - the loss is logged at the end of every epoch, before its checkpoint, so that the log history holds every
      step's loss and ``train_loss`` can cover the whole run even after a resume.
    """

    def __init__(self, resumed: Path | None):
        self.resumed = resumed

    def on_train_begin(self, args, state, control, **kwargs):
        if self.resumed is None:
            return
        stored = json.loads((self.resumed / "trainer_state.json").read_text()).get("best_model_checkpoint")
        best = os.path.join(args.output_dir, Path(stored).name) if stored else None
        state.best_model_checkpoint = best if best and os.path.isdir(best) else None

    def on_epoch_end(self, args, state, control, **kwargs):
        control.should_log = True

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_log = True

    def on_save(self, args, state, control, **kwargs):
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}" / "trainer_state.json"
        if not args.should_save or not path.is_file():
            return
        stored = json.loads(path.read_text())
        if stored.get("best_model_checkpoint"):
            stored["best_model_checkpoint"] = Path(stored["best_model_checkpoint"]).name
            write_atomically(path, lambda temporary: temporary.write_text(json.dumps(stored, indent=2) + "\n"))


def _whole_run_loss(history: list[dict]) -> float | None:
    """Mean training loss over every step of the run, from the log history (resumed runs included)."""
    steps, total, last = 0, 0.0, 0
    for entry in history:
        if "loss" in entry and "step" in entry:
            total += entry["loss"] * (entry["step"] - last)
            steps, last = entry["step"], entry["step"]
    return total / steps if steps else None


def _save_final_model(trainer: Trainer, folder: Path) -> None:
    """``model/`` in ``folder``: the best checkpoint's files hard-linked (its weights are on disk already), else
    saved afresh; built under a temporary name, then renamed."""
    best = trainer.state.best_model_checkpoint
    if not (trainer.args.load_best_model_at_end and best and os.path.isdir(best)):
        trainer.save_model(str(folder / "model"))
        return
    if not trainer.is_world_process_zero():
        return
    staging = folder / f".model.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for file in Path(best).iterdir():
        if file.is_file() and file.name not in CHECKPOINT_ONLY and not file.name.startswith("rng_state"):
            try:
                os.link(file, staging / file.name)
            except OSError:  # a file system without hard links
                shutil.copy2(file, staging / file.name)
    shutil.rmtree(folder / "model", ignore_errors=True)
    os.replace(staging, folder / "model")


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
    return _finetune(model, data, output_dir, callbacks, options)[0]


def _finetune(model, data, output_dir, callbacks: list | None, options: dict) -> tuple[dict, bool]:
    """:func:`finetune`, and whether it ran (``False``: ``resume`` found the run finished and changed nothing)."""
    started = time.perf_counter()
    config = FinetuneConfig(model=str(model), data=None if isinstance(data, (dict, datasets.DatasetDict)) else data,
                            output_dir=str(output_dir), **options)
    _check_config(config)
    is_main = int(os.environ.get("RANK", "0")) == 0
    lock = RunLock(config.output_dir).acquire() if is_main else None
    try:
        if is_main:
            _refuse_to_mix(config)
        finished = _finished_run(config)
        if finished is not None:
            print(f"resume: the run in {config.output_dir} has finished; its results are unchanged")
            return finished, False
        return _run(config, data, callbacks, started, is_main), True
    finally:
        if lock is not None:
            lock.release()


def _run(config: FinetuneConfig, data, callbacks: list | None, started: float, is_main: bool) -> dict:
    """The run itself, with the output folder's lock held."""
    precision = resolve_precision(config.precision, use_cpu=config.use_cpu)
    splits = load_splits(data)
    folder = None if isinstance(data, (dict, datasets.DatasetDict)) else imdb_parquet_dir(data)
    for name, split in splits.items():
        try:
            check_split(name, split, config.num_labels)
        except ValueError as error:
            if folder is None:
                raise
            raise ValueError(f"{folder / f'{name}.parquet'}: {error}") from None
    from transformers import set_seed

    set_seed(config.seed)  # before the classifier head is created: a checkpoint without one gets a new, random one
    tokenizer, classifier = load_classifier(config.model, config.num_labels)
    loaded = time.perf_counter()

    train, test = splits["train"], splits["test"]
    if config.train_size is not None:
        train = _subset(train, config.train_size, config.seed, config.num_labels, "train_size")
    if config.test_size is not None:
        test = _subset(test, config.test_size, config.seed, config.num_labels, "test_size")
    validation = int(np.ceil(config.validation_fraction * len(train)))
    if not 0 < validation < len(train):
        raise ValueError(f"{_option('validation_fraction')}: expected a share of the {len(train)} training reviews "
                         f"that leaves at least one for validation and one for training, got "
                         f"{config.validation_fraction:g} ({validation} for validation)")
    parts = train.train_test_split(test_size=config.validation_fraction, seed=config.seed)
    classes = np.unique(label_column(parts["train"]).to_numpy())
    if len(classes) < 2:
        raise ValueError(f"data['train']: expected reviews of at least two labels to learn from, got only label "
                         f"{classes[0]} in the {len(parts['train'])} training reviews"
                         + (f" ({_option('train_size')} {config.train_size})" if config.train_size else ""))
    encode = dict(tokenizer=tokenizer, max_length=config.max_length, truncation=config.truncation, head=config.head)
    train_ids = tokenize_reviews(parts["train"], **encode)
    val_ids = tokenize_reviews(parts["test"], **encode)
    test_ids = tokenize_reviews(test, **encode)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # silence the fork warning of dataloader workers
    tokenized = time.perf_counter()

    lengths = label_column(train_ids, "length").to_numpy().tolist()
    sampler = TokenBudgetBatchSampler(lengths, config.max_tokens, seed=config.seed)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    args = training_arguments(config, precision, steps_per_epoch=int(np.ceil(len(sampler) / world)))
    timer = EpochTimer()
    with args.main_process_first(desc="preparing the output folder"):
        resume = _prepare_output_dir(config, is_main)
    callbacks = [RunRecord(resume), *(callbacks or [])]
    trainer = BucketTrainer(model=classifier, args=args, train_dataset=train_ids, eval_dataset=val_ids,
                            processing_class=tokenizer, data_collator=PadCollator(tokenizer.pad_token_id),
                            compute_metrics=compute_metrics_for(config.num_labels), max_tokens=config.max_tokens,
                            callbacks=[timer, *(callbacks or [])])
    with _disk_full_in_one_line(config.output_dir), _quiet_resume_warning():
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    trained = time.perf_counter()

    prediction = trainer.predict(test_ids, metric_key_prefix="test")
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    matrix = confusion_matrix(prediction.label_ids, np.argmax(logits, axis=-1), config.num_labels)
    tested = time.perf_counter()
    if config.save_model:
        with _disk_full_in_one_line(config.output_dir):
            _save_final_model(trainer, Path(config.output_dir))

    history = trainer.state.log_history
    epochs = [{"epoch": h["epoch"], "val_loss": h["eval_loss"], "val_accuracy": h["eval_accuracy"],
               "val_f1": h["eval_f1"]} for h in history if "eval_accuracy" in h]
    epoch_seconds = [h["train_seconds"] for h in history if "train_seconds" in h]  # every epoch, resumed or not
    for epoch, seconds in zip(epochs, epoch_seconds):
        epoch["train_seconds"] = seconds
    train_seconds = float(sum(epoch_seconds))
    real_tokens = int(np.sum(lengths))
    results = {
        "model": config.model,
        "parameters": count_parameters(classifier),
        "data": {"source": _describe_source(data), "train": len(train_ids), "validation": len(val_ids),
                 "test": len(test_ids), "train_tokens": real_tokens,
                 "train_padding_fraction": padding_fraction(lengths, sampler.batches(), multiple_of=8)},
        "config": asdict(config),
        "precision": precision,
        "learning_rate_used": trainer.learning_rate,
        "hardware": hardware(),
        "versions": library_versions(),
        "resumed": bool(resume),
        "timing_seconds": {"load": loaded - started, "tokenize": tokenized - loaded, "train": trained - tokenized,
                           "test": tested - trained, "total": tested - started,
                           "train_epochs": epoch_seconds},
        "train_samples_per_second": len(train_ids) * len(epoch_seconds) / train_seconds if train_seconds else None,
        "train_tokens_per_second": real_tokens * len(epoch_seconds) / train_seconds if train_seconds else None,
        "train_loss": _whole_run_loss(history),
        "epochs": epochs,
        "best_checkpoint": Path(trainer.state.best_model_checkpoint).name if trainer.state.best_model_checkpoint
        else None,
        "test": {"accuracy": prediction.metrics["test_accuracy"], "f1": prediction.metrics["test_f1"],
                 "loss": prediction.metrics["test_loss"], "confusion_matrix": matrix.tolist()},
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():
        with _disk_full_in_one_line(config.output_dir):
            if config.plots:
                save_plots(results, config.output_dir)
            write_json(Path(config.output_dir) / "results.json", results)  # last: it marks the run finished
            if config.results_path:
                write_json(config.results_path, results)
    return results


@contextmanager
def _quiet_resume_warning() -> Iterator[None]:
    """Hide ``Trainer``'s warning that a resumed run's best checkpoint is gone: :class:`RunRecord` finds it in the
    folder the run is in now (the stored path is relative to it)."""
    import logging

    def keep(record: logging.LogRecord) -> bool:
        return "recorded in the resumed state does not exist anymore" not in record.getMessage()

    logger = logging.getLogger("transformers.trainer")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _subset(data: datasets.Dataset, size: int, seed: int, num_labels: int, option: str) -> datasets.Dataset:
    """``size`` rows: half of each label for binary data (IMDb is balanced), else a plain shuffled sample."""
    if num_labels == 2:
        try:
            return balanced_subset(data, size, seed)
        except ValueError as error:
            raise ValueError(f"{_option(option)}: {str(error).removeprefix('size: ')}") from None
    return data.shuffle(seed=seed).select(range(min(size, len(data))))


def _describe_source(data) -> str:
    if isinstance(data, (dict, datasets.DatasetDict)):
        return "in-memory datasets"
    folder = imdb_parquet_dir(data)
    return f"parquet files in {folder}" if folder is not None else "Hugging Face Hub: stanfordnlp/imdb"


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where the help text already says it (switches, ``None``)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or isinstance(action.default, bool):
            return action.help or ""
        return super()._get_help_string(action)


def parse_args(argv: list[str] | None = None) -> tuple[str, str | None, str, dict]:
    """The command line of ``python -m lmtutorial.hf.finetune``: model, data, output folder and options."""
    parser = argparse.ArgumentParser(
        prog="python -m lmtutorial.hf.finetune", formatter_class=_DefaultsHelp,
        description="Fine-tune a BERT-family model on IMDb (or any parquet folder with text and label columns) "
                    "with transformers.Trainer: validation carved from train, test used once, dynamic padding with "
                    "token-budget length buckets, bf16 where supported, accuracy and F1, a results JSON and plots, "
                    "a checkpoint per epoch and --resume. Several GPUs: "
                    "torchrun --nproc_per_node N -m lmtutorial.hf.finetune.")
    for option in fields(FinetuneConfig):
        if "cli" not in option.metadata:
            continue
        kind = str(option.type).split("|")[0].strip()  # "int | None" -> "int" (annotations are strings here)
        settings = dict(dest=option.name, default=option.default, **option.metadata["cli"])
        if kind == "bool":
            settings["action"] = "store_false" if option.default else "store_true"
        elif kind in ("int", "float"):
            settings["type"] = {"int": int, "float": float}[kind]
        parser.add_argument(CLI_FLAGS.get(option.name, "--" + option.name.replace("_", "-")), **settings)
    options = vars(parser.parse_args(argv))
    model, data, output_dir = options.pop("model"), options.pop("data"), options.pop("output_dir")
    return model, data, output_dir, options


def process_seconds() -> float:
    """Seconds since this Python process started: imports included, the end-to-end time a user waits for."""
    import psutil

    return time.time() - psutil.Process().create_time()


EXPECTED_ERRORS = (ValueError, FileNotFoundError, FileExistsError, DiskFull, IMDbUnavailable)
PACKAGE = Path(__file__).resolve().parents[1]  # lmtutorial/, with its subpackages


def _raised_by_a_check(error: BaseException) -> bool:
    """Whether ``error`` is one of this package's own one-line errors (raised here, of an expected kind)."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return (isinstance(error, EXPECTED_ERRORS) and traceback is not None
            and PACKAGE in Path(traceback.tb_frame.f_code.co_filename).resolve().parents)


def main(argv: list[str] | None = None) -> dict:
    """The command line: expected errors (bad input, a busy or full output folder) print one line and exit with 2;
    anything else keeps its traceback."""
    model, data, output_dir, options = parse_args(argv)
    token = _COMMAND_LINE.set(True)
    try:
        results, ran = _finetune(model, data, output_dir, None, options)
        if ran and int(os.environ.get("RANK", "0")) == 0:
            results["timing_seconds"]["process"] = process_seconds()
            with _disk_full_in_one_line(output_dir):
                for path in (Path(output_dir) / "results.json", options.get("results_path")):
                    if path:
                        write_json(path, results)
    except EXPECTED_ERRORS as error:
        if not _raised_by_a_check(error):
            raise
        print(f"python -m lmtutorial.hf.finetune: error: {' '.join(str(error).split())}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        _COMMAND_LINE.reset(token)
    if int(os.environ.get("RANK", "0")) == 0:
        timing = results["timing_seconds"]
        print(f"test accuracy {results['test']['accuracy']:.4f}, F1 {results['test']['f1']:.4f}; "
              f"{results['precision']} on {results['hardware']['name']}; {timing.get('process', 0):.1f} s end to end "
              f"(train {timing['train']:.1f} s); results in {Path(output_dir) / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
