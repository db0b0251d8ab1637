"""One fine-tune run, from data to results (:func:`run_finetune`): what :func:`lmtutorial.hf.finetune.finetune` and
the command line do."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

import datasets
import numpy as np
import torch

from lmtutorial.core.metrics import confusion_matrix
from lmtutorial.costs import count_parameters
from lmtutorial.data.imdb import balanced_subset, imdb_parquet_dir, arrow_column, load_imdb
from lmtutorial.hf.bert_data import column, PadCollator, padding_fraction, TokenBudgetBatchSampler, tokenize_reviews
from lmtutorial.hf.config import check_config, DEFAULT_MODEL, FinetuneConfig, option_flag, resolve_precision
from lmtutorial.hf.output import (
    disk_full_in_one_line,
    finished_run,
    prepare_output_dir,
    record_settings,
    refuse_to_mix,
    RunLock,
)
from lmtutorial.hf.report import save_plots
from lmtutorial.hf.trainer import (
    BucketTrainer,
    compute_metrics_for,
    EpochTimer,
    quiet_resume_warning,
    RunRecord,
    save_final_model,
    training_arguments,
    whole_run_loss,
)
from lmtutorial.provenance import hardware, library_versions, write_json


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
    text, labels = arrow_column(data, "text"), arrow_column(data, "label")
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
    if tokenizer.pad_token_id is None:
        raise ValueError(f"model: expected an encoder with a classification head and a padding token (BERT-like), "
                         f"got {type(model).__name__} whose tokenizer has no pad token")
    return tokenizer, model


def check_outputs(config: FinetuneConfig) -> None:
    """One clear error, before anything is loaded, for an output folder or results file that cannot be written."""
    folder = Path(config.output_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option_flag('output_dir')}: expected a folder this process can create, got {folder} "
                         f"({error.strerror or type(error).__name__})") from None
    probe = folder / f".write-test.{os.getpid()}"
    try:  # a real write: permissions, a read-only file system, a full disk (os.access misses the last two)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"{option_flag('output_dir')}: expected a folder this process can write to, got {folder} "
                         f"({error.strerror or type(error).__name__})") from None
    if config.results_path is not None:
        results = Path(config.results_path)
        if results.is_dir():
            raise ValueError(f"{option_flag('results_path')}: expected a file to write, got the folder {results}")
        parent = results.parent
        if parent.exists() and (not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK)):
            raise ValueError(f"{option_flag('results_path')}: expected a file in a writable folder, got {results}")


def run_finetune(model, data, output_dir, callbacks: list | None, options: dict) -> tuple[dict, bool]:
    """:func:`finetune`, and whether it ran (``False``: ``resume`` found the run finished and changed nothing)."""
    started = time.perf_counter()
    config = FinetuneConfig(model=str(model), data=None if isinstance(data, (dict, datasets.DatasetDict)) else data,
                            output_dir=str(output_dir), **options)
    check_config(config)
    is_main = int(os.environ.get("RANK", "0")) == 0
    if is_main:
        check_outputs(config)
    lock = RunLock(config.output_dir).acquire() if is_main else None
    try:
        if is_main:
            refuse_to_mix(config)
        finished = finished_run(config)
        if finished is not None:
            print(f"resume: the run in {config.output_dir} has finished; its results are unchanged")
            return finished, False
        return train_and_test(config, data, callbacks, started, is_main), True
    finally:
        if lock is not None:
            lock.release()


def train_and_test(config: FinetuneConfig, data, callbacks: list | None, started: float, is_main: bool) -> dict:
    """The run itself, with the output folder's lock held: data, classifier, training, the one test, results."""
    precision = resolve_precision(config.precision, use_cpu=config.use_cpu)
    splits = checked_splits(data, config.num_labels)
    from transformers import set_seed

    set_seed(config.seed)  # before the classifier head is created: a checkpoint without one gets a new, random one
    tokenizer, classifier = load_classifier(config.model, config.num_labels)
    positions = getattr(classifier.config, "max_position_embeddings", None)
    if positions is not None and config.max_length > positions:
        raise ValueError(f"{option_flag('max_length')}: expected at most {positions} (the model's "
                         f"max_position_embeddings), got {config.max_length}")
    loaded = time.perf_counter()
    train_ids, val_ids, test_ids = prepare_reviews(config, splits, tokenizer)
    tokenized = time.perf_counter()

    lengths = arrow_column(train_ids, "length").to_numpy().tolist()
    sampler = TokenBudgetBatchSampler(lengths, config.max_tokens, seed=config.seed)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    args = training_arguments(config, precision, steps_per_epoch=int(np.ceil(len(sampler) / world)))
    timer = EpochTimer()
    with args.main_process_first(desc="preparing the output folder"):
        resume = prepare_output_dir(config, is_main)
        if is_main and resume is None:
            record_settings(config)
    callbacks = [RunRecord(resume), *(callbacks or [])]
    trainer = BucketTrainer(model=classifier, args=args, train_dataset=train_ids, eval_dataset=val_ids,
                            processing_class=tokenizer, data_collator=PadCollator(tokenizer.pad_token_id),
                            compute_metrics=compute_metrics_for(config.num_labels), max_tokens=config.max_tokens,
                            callbacks=[timer, *(callbacks or [])])
    with disk_full_in_one_line(config.output_dir), quiet_resume_warning():
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    trained = time.perf_counter()

    prediction = trainer.predict(test_ids, metric_key_prefix="test")
    tested = time.perf_counter()
    if config.save_model:
        with disk_full_in_one_line(config.output_dir):
            save_final_model(trainer, Path(config.output_dir))
    results = run_results(config, data, trainer, prediction, precision, resume,
                          sizes={"train": len(train_ids), "validation": len(val_ids), "test": len(test_ids)},
                          lengths=lengths, batches=sampler.batches(),
                          times=(started, loaded, tokenized, trained, tested))
    if trainer.is_world_process_zero():
        with disk_full_in_one_line(config.output_dir):
            if config.plots:
                save_plots(results, config.output_dir)
            write_json(Path(config.output_dir) / "results.json", results)  # last: it marks the run finished
            if config.results_path:
                write_json(config.results_path, results)
    return results


def checked_splits(data, num_labels: int) -> dict[str, datasets.Dataset]:
    """:func:`load_splits`, each split passed through :func:`check_split` (errors name the parquet file)."""
    splits = load_splits(data)
    folder = None if isinstance(data, (dict, datasets.DatasetDict)) else imdb_parquet_dir(data)
    for name, split in splits.items():
        try:
            check_split(name, split, num_labels)
        except ValueError as error:
            if folder is None:
                raise
            raise ValueError(f"{folder / f'{name}.parquet'}: {error}") from None
    return splits


def prepare_reviews(config: FinetuneConfig, splits: dict[str, datasets.Dataset],
                    tokenizer) -> tuple[datasets.Dataset, datasets.Dataset, datasets.Dataset]:
    """Training, validation and test reviews, tokenized: the subsets asked for, validation carved out of train."""
    train, test = splits["train"], splits["test"]
    if config.train_size is not None:
        train = _subset(train, config.train_size, config.seed, config.num_labels, "train_size")
    if config.test_size is not None:
        test = _subset(test, config.test_size, config.seed, config.num_labels, "test_size")
    validation = int(np.ceil(config.validation_fraction * len(train)))
    if not 0 < validation < len(train):
        raise ValueError(f"{option_flag('validation_fraction')}: expected a share of the {len(train)} training "
                         f"reviews that leaves at least one for validation and one for training, got "
                         f"{config.validation_fraction:g} ({validation} for validation)")
    parts = train.train_test_split(test_size=config.validation_fraction, seed=config.seed)
    classes = np.unique(arrow_column(parts["train"]).to_numpy())
    if len(classes) < 2:
        raise ValueError(f"data['train']: expected reviews of at least two labels to learn from, got only label "
                         f"{classes[0]} in the {len(parts['train'])} training reviews"
                         + (f" ({option_flag('train_size')} {config.train_size})" if config.train_size else ""))
    encode = dict(tokenizer=tokenizer, max_length=config.max_length, truncation=config.truncation, head=config.head)
    train_ids = tokenize_reviews(parts["train"], **encode)
    words = arrow_column(train_ids, "length").to_numpy() > 2  # more than [CLS] and [SEP]
    if not words.any():
        raise ValueError(f"data['train']: expected reviews with text, got {len(words)} training reviews that give "
                         "no token but [CLS] and [SEP]: a model cannot learn from empty reviews")
    val_ids = tokenize_reviews(parts["test"], **encode)
    test_ids = tokenize_reviews(test, **encode)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # silence the fork warning of dataloader workers
    return train_ids, val_ids, test_ids


def run_results(config: FinetuneConfig, data, trainer, prediction, precision: str, resume, *, sizes: dict,
                lengths: list[int], batches: list, times: tuple[float, ...]) -> dict:
    """The results a run writes to ``results.json``: data, settings, hardware, timing, history and the test."""
    started, loaded, tokenized, trained, tested = times
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    matrix = confusion_matrix(prediction.label_ids, np.argmax(logits, axis=-1), config.num_labels)
    history = trainer.state.log_history
    epochs = [{"epoch": h["epoch"], "val_loss": h["eval_loss"], "val_accuracy": h["eval_accuracy"],
               "val_f1": h["eval_f1"]} for h in history if "eval_accuracy" in h]
    epoch_seconds = [h["train_seconds"] for h in history if "train_seconds" in h]  # every epoch, resumed or not
    for epoch, seconds in zip(epochs, epoch_seconds):
        epoch["train_seconds"] = seconds
    train_seconds = float(sum(epoch_seconds))
    real_tokens = int(np.sum(lengths))
    return {
        "model": config.model,
        "parameters": count_parameters(trainer.model),
        "data": {"source": _describe_source(data), **sizes, "train_tokens": real_tokens,
                 "train_padding_fraction": padding_fraction(lengths, batches, multiple_of=8)},
        "config": asdict(config),
        "precision": precision,
        "learning_rate_used": trainer.learning_rate,
        "hardware": hardware(),
        "versions": library_versions(),
        "resumed": bool(resume),
        "timing_seconds": {"load": loaded - started, "tokenize": tokenized - loaded, "train": trained - tokenized,
                           "test": tested - trained, "total": tested - started,
                           "train_epochs": epoch_seconds},
        "train_samples_per_second": sizes["train"] * len(epoch_seconds) / train_seconds if train_seconds else None,
        "train_tokens_per_second": real_tokens * len(epoch_seconds) / train_seconds if train_seconds else None,
        "train_loss": whole_run_loss(history),
        "epochs": epochs,
        "best_checkpoint": Path(trainer.state.best_model_checkpoint).name if trainer.state.best_model_checkpoint
        else None,
        "test": {"accuracy": prediction.metrics["test_accuracy"], "f1": prediction.metrics["test_f1"],
                 "loss": prediction.metrics["test_loss"], "confusion_matrix": matrix.tolist()},
        "log_history": history,
    }


def _subset(data: datasets.Dataset, size: int, seed: int, num_labels: int, option: str) -> datasets.Dataset:
    """``size`` rows: half of each label for binary data (IMDb is balanced), else a plain shuffled sample."""
    if num_labels == 2:
        try:
            return balanced_subset(data, size, seed)
        except ValueError as error:
            raise ValueError(f"{option_flag(option)}: {str(error).removeprefix('size: ')}") from None
    return data.shuffle(seed=seed).select(range(min(size, len(data))))


def _describe_source(data) -> str:
    if isinstance(data, (dict, datasets.DatasetDict)):
        return "in-memory datasets"
    folder = imdb_parquet_dir(data)
    return f"parquet files in {folder}" if folder is not None else "Hugging Face Hub: stanfordnlp/imdb"
