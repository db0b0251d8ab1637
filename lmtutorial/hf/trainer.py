"""The fine-tune's customisations of ``transformers.Trainer``: token-budget batches (:class:`BucketTrainer`), the
epoch timer and run record callbacks, metrics, TF32 and the ``TrainingArguments``."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from transformers import Trainer, TrainerCallback, TrainingArguments

from lmtutorial.core.metrics import classification_scores
from lmtutorial.core.checks import check_number
from lmtutorial.hf.bert_data import column, TokenBudgetBatchSampler
from lmtutorial.hf.config import CHECKPOINT_ONLY, FinetuneConfig, NonFiniteLoss
from lmtutorial.provenance import write_atomically


REFERENCE_BATCH_SIZE = 16  # the article's per_device_train_batch_size, one of BERT's recommended batch sizes


def scaled_learning_rate(learning_rate: float, samples_per_step: float,
                         reference_batch_size: int = REFERENCE_BATCH_SIZE) -> float:
    """The linear scaling rule, :math:`\\eta = \\eta_0 B / B_0`: the learning rate for ``samples_per_step``
    examples a step, given the rate :math:`\\eta_0` tuned for ``reference_batch_size`` :math:`B_0`."""
    check_number("learning_rate", learning_rate, above=0)
    check_number("samples_per_step", samples_per_step, above=0)
    check_number("reference_batch_size", reference_batch_size, above=0)
    return learning_rate * samples_per_step / reference_batch_size


class BucketTrainer(Trainer):
    """A ``Trainer`` whose batches come from a :class:`TokenBudgetBatchSampler` over the ``length`` column.

    ``max_tokens``: padded positions per batch. ``args.learning_rate`` is the rate for ``reference_batch_size``
    reviews a step, scaled by :func:`scaled_learning_rate` (``None``: used as given); ``learning_rate`` holds the
    rate used. Predictions and labels come back in dataset order.
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

    def training_step(self, model, inputs, *args, **kwargs) -> torch.Tensor:
        """The Trainer's step, then a stop at the first NaN or infinite loss (before any checkpoint holds its
        weights: the last good checkpoint stays the last one)."""
        loss = super().training_step(model, inputs, *args, **kwargs)
        if not torch.isfinite(loss).all():
            rate = self.optimizer.param_groups[0]["lr"] if self.optimizer is not None else self.learning_rate
            raise NonFiniteLoss(f"step {self.state.global_step + 1}: expected a finite training loss, got "
                                f"{loss.item()} at learning rate {rate:g} (peak {self.learning_rate:g}); the run "
                                "stops here (checkpoints of earlier epochs are kept): lower the learning rate")
        return loss

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
    """Wall time of each training epoch, evaluation and checkpointing excluded, also logged as ``train_seconds``."""

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
        if not np.isfinite(logits).all():
            raise NonFiniteLoss(f"evaluation: expected finite logits, got {int((~np.isfinite(logits)).sum())} NaN or "
                                "infinite values: the model diverged, and its accuracy would mean nothing")
        return classification_scores(prediction.label_ids, np.argmax(logits, axis=-1), num_labels)
    return compute_metrics


@contextmanager
def tf32_inside(enabled: bool | None) -> Iterator[None]:
    """TF32 matrix products on (``True``) or off (``False``) inside the block, and the process-wide switches put back
    as they were on leaving it (``None``: left as they are inside, still put back afterwards)."""
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
    """The ``TrainingArguments`` of :func:`finetune`; ``overrides`` win. Constructing them leaves TF32 as it was."""
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


class RunRecord(TrainerCallback):
    """Keeps a run folder relocatable (``best_model_checkpoint`` stored relative to it) and its loss history whole
    (logged at the end of every epoch, before its checkpoint)."""

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


def whole_run_loss(history: list[dict]) -> float | None:
    """Mean training loss over every step of the run, from the log history (resumed runs included)."""
    steps, total, last = 0, 0.0, 0
    for entry in history:
        if "loss" in entry and "step" in entry:
            total += entry["loss"] * (entry["step"] - last)
            steps, last = entry["step"], entry["step"]
    return total / steps if steps else None


def save_final_model(trainer: Trainer, folder: Path) -> None:
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


@contextmanager
def quiet_resume_warning() -> Iterator[None]:
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
