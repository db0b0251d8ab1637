"""What a fine-tune is asked to do: :class:`FinetuneConfig` (every knob, each default written once; the command
line is derived from it), precision, the checks of a configuration, and the errors a run reports in one line."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lmtutorial.core.checks import check_number
from lmtutorial.hf.bert_data import TRUNCATIONS


DEFAULT_MODEL = "bert-base-uncased"


PRECISIONS = ("auto", "bf16", "fp16", "fp32")


# The article's TrainingArguments, verbatim. ``logging_dir`` no longer exists in transformers 5.
ARTICLE_TRAINING_ARGUMENTS = dict(output_dir="./results", num_train_epochs=3, per_device_train_batch_size=16,
                                  per_device_eval_batch_size=64, warmup_steps=500, weight_decay=0.01,
                                  logging_dir="./logs")


LOCK_NAME = "run.lock"  # held by the run working in an output folder


SETTINGS_FILE = "run_settings.json"  # the settings a run started with, written before its first checkpoint


RUN_FILES = ("results.json", "model", "loss_curve.png", "confusion_matrix.png", SETTINGS_FILE)  # and checkpoint-N


CHECKPOINT_ONLY = ("optimizer.pt", "scheduler.pt", "scaler.pt", "trainer_state.json")  # and rng_state*.pth


# Options that only steer how a run is carried out, not what it computes (a finished run ignores them).
HOW_NOT_WHAT = ("resume", "overwrite", "results_path", "plots", "disable_tqdm", "num_workers", "save_model")


# Command-line flags whose name is not the option's name with dashes.
CLI_FLAGS = {"learning_rate": "--lr", "results_path": "--results", "plots": "--no-plots", "use_cpu": "--cpu"}


COMMAND_LINE = contextvars.ContextVar("command_line", default=False)


def cli(help: str, **argparse_options: object) -> dict:  # noqa: A002 - argparse's name
    """Field metadata that makes a :class:`FinetuneConfig` field a command-line option with this help text."""
    return {"cli": {"help": help, **argparse_options}}


class DiskFull(OSError):
    """A save ran out of disk space; the message names the folder."""


class NonFiniteLoss(ValueError):
    """The training loss (or the logits) became NaN or infinite: the run stops; the message says where."""


class RunFolderBusy(FileExistsError):
    """Another live run holds the output folder's lock; the message names it (pid, host)."""


def option_flag(name: str) -> str:
    """An option as the user typed it: ``--train-size`` on the command line, ``train_size`` from Python."""
    if COMMAND_LINE.get():
        return CLI_FLAGS.get(name, "--" + name.replace("_", "-"))
    return name


def switch_flag(name: str) -> str:
    """A boolean option switched on, as the user would type it: ``--resume`` or ``resume=True``."""
    return option_flag(name) if COMMAND_LINE.get() else f"{name}=True"


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
    # per 16 reviews: BERT's top rate, 5e-5, at its batch of 32
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

    Raises ``ValueError`` for bf16 or fp16 where the hardware cannot do it.
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


# The range of every numeric option (check_number's bounds). max_length: [CLS], one token and [SEP]; the seed: what
# NumPy accepts; epochs: a number a step counter can hold.
NUMBER_BOUNDS = {
    "epochs": dict(above=0, maximum=1_000_000), "learning_rate": dict(above=0, maximum=1.0),
    "warmup": dict(minimum=0, maximum=1), "weight_decay": dict(minimum=0, maximum=1e3),
    "validation_fraction": dict(above=0, maximum=1), "max_tokens": dict(integer=True, minimum=3),
    "max_length": dict(integer=True, minimum=3), "head": dict(integer=True, minimum=0),
    "num_labels": dict(integer=True, minimum=2), "train_size": dict(integer=True, minimum=2),
    "test_size": dict(integer=True, minimum=1), "eval_batch_size": dict(integer=True, minimum=1),
    "num_workers": dict(integer=True, minimum=0, maximum=256), "seed": dict(integer=True, minimum=0, maximum=2**32 - 1),
    "keep_checkpoints": dict(integer=True, minimum=1), "logging_steps": dict(integer=True, minimum=1),
}


def check_config(config: FinetuneConfig) -> None:
    """One clear error for an option no run can use, naming it as the user typed it."""
    if config.truncation not in TRUNCATIONS:
        raise ValueError(f"{option_flag('truncation')}: expected one of {TRUNCATIONS}, got {config.truncation!r}")
    # every number through one check: NaN, infinities, negatives and overflow are refused, the option named as typed
    for name, bounds in NUMBER_BOUNDS.items():
        value = getattr(config, name)
        if value is not None:
            check_number(option_flag(name), value, **bounds)
    if not config.validation_fraction < 1:
        raise ValueError(f"{option_flag('validation_fraction')}: expected a share of train strictly between 0 and 1, got "
                         f"{config.validation_fraction:g}")
    if config.resume and config.overwrite:
        raise ValueError(f"{switch_flag('resume')} and {switch_flag('overwrite')}: expected at most one of them, got both")
    folder = Path(config.output_dir)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{option_flag('output_dir')}: expected a folder for the run, got the file {folder}")
