"""Fault injection on a fine-tuning run: a kill during a checkpoint save, two runs in one folder, a moved run
folder, a full disk, a corrupt parquet file. Each test checks that nothing good was lost and that the run, once
resumed, ends exactly where the uninterrupted run ended. (An interrupted ``lmtutorial.training.loop.train`` save is tested in
``tests/package/test_training_loop.py``.)"""

import json
import multiprocessing
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import Trainer, TrainerCallback

from conftest import FAST
from lmtutorial.hf.config import DiskFull, RunFolderBusy
from lmtutorial.hf.finetune import finetune, main
from lmtutorial.hf.output import checkpoint_problem, RunLock

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def reference(tiny, toy, tmp_path_factory) -> tuple[dict, Path]:
    """The uninterrupted run every faulty run must end up equal to."""
    output = tmp_path_factory.mktemp("reference")
    return finetune(tiny, toy, output, **FAST), output


def assert_same_run(results: dict, output: Path, reference: tuple[dict, Path]) -> None:
    """Same test scores, per-epoch validation scores, whole-run training loss and final weights."""
    expected, expected_dir = reference
    assert results["test"] == expected["test"] and results["train_loss"] == expected["train_loss"]
    assert [{k: v for k, v in e.items() if k != "train_seconds"} for e in results["epochs"]] == \
        [{k: v for k, v in e.items() if k != "train_seconds"} for e in expected["epochs"]]
    assert results["best_checkpoint"] == expected["best_checkpoint"]
    weights, expected_weights = (load_file(d / "model" / "model.safetensors") for d in (output, expected_dir))
    assert all(torch.equal(tensor, expected_weights[name]) for name, tensor in weights.items())


def complete_checkpoints(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("checkpoint-*") if checkpoint_problem(p) is None)


def fail_second_checkpoint_save(monkeypatch, error: BaseException) -> None:
    """Make the second checkpoint's save stop after its weights are written, before its optimizer state."""
    saves = []
    original = Trainer._save_optimizer_and_scheduler

    def save(self, output_dir):
        saves.append(output_dir)
        if len(saves) == 2:
            raise error
        original(self, output_dir)

    monkeypatch.setattr(Trainer, "_save_optimizer_and_scheduler", save)


def test_kill_during_a_checkpoint_save_then_resume(tiny, toy, tmp_path, monkeypatch, capsys, reference):
    fail_second_checkpoint_save(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path, **FAST)
    monkeypatch.undo()
    first, second = sorted(tmp_path.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert (second / "model.safetensors").is_file() and checkpoint_problem(second) is not None  # half written
    assert complete_checkpoints(tmp_path) == [first.name]
    results = finetune(tiny, toy, tmp_path, resume=True, **FAST)
    assert f"resume: skipping {second} (no trainer_state.json: its save was cut short); removed" in \
        capsys.readouterr().out
    assert results["resumed"]
    assert_same_run(results, tmp_path, reference)


def test_full_disk_during_a_checkpoint_save(tiny, toy, tmp_path, monkeypatch, reference):
    full = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 4096 vs 4032")
    fail_second_checkpoint_save(monkeypatch, full)
    with pytest.raises(DiskFull, match=f"^{tmp_path}: the disk is full \\(RuntimeError: .*unexpected pos .*\\); free "
                                       "some space or choose another output_dir, then pass resume=True"):
        finetune(tiny, toy, tmp_path, **FAST)
    monkeypatch.undo()
    assert len(complete_checkpoints(tmp_path)) == 1  # epoch 1's, intact
    assert_same_run(finetune(tiny, toy, tmp_path, resume=True, **FAST), tmp_path, reference)


def test_full_disk_when_writing_results(tiny, toy, tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(DiskFull, match="the disk is full \\(OSError: \\[Errno 28\\] No space left on device\\)"):
        finetune(tiny, toy, tmp_path, **{**FAST, "epochs": 1})
    assert not (tmp_path / "results.json").exists() and not list(tmp_path.glob(".*.tmp"))


class SecondRun(TrainerCallback):
    """While the first run trains, start a second one into the same folder."""

    def __init__(self, tiny, toy, folder):
        self.arguments, self.error = (tiny, toy, folder), None

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.error is None:
            with pytest.raises(RunFolderBusy) as raised:
                finetune(*self.arguments, resume=True, **FAST)
            self.error = raised.value


def test_two_runs_into_one_folder(tiny, toy, tmp_path, reference):
    second = SecondRun(tiny, toy, tmp_path)
    results = finetune(tiny, toy, tmp_path, callbacks=[second], **FAST)
    assert f"another run is working in it (pid {os.getpid()} on " in str(second.error)
    assert_same_run(results, tmp_path, reference)
    assert not (tmp_path / "run.lock").exists()


def hold_the_lock(folder: Path, ready) -> None:
    """Another process: takes the folder's lock, says so, and works until it is killed."""
    lock = RunLock(folder).acquire()
    ready.set()
    time.sleep(120)
    lock.release()


def test_a_second_process_is_refused_and_a_dead_holders_lock_taken_over(tiny, toy, tmp_path, capsys, reference):
    fork = multiprocessing.get_context("fork")  # the child has lmtutorial.hf.finetune imported already
    ready = fork.Event()
    holder = fork.Process(target=hold_the_lock, args=(tmp_path, ready))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(RunFolderBusy, match=f"pid {holder.pid} on "):
            finetune(tiny, toy, tmp_path, **FAST)
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # killed: its lock file stays behind
        holder.join()
    assert (tmp_path / "run.lock").is_file()
    results = finetune(tiny, toy, tmp_path, **FAST)
    assert f"taking over the lock left by a run that is gone (pid {holder.pid} on " in capsys.readouterr().out
    assert_same_run(results, tmp_path, reference)


class Interrupt(TrainerCallback):
    """Stop the run in the middle of epoch 2, after epoch 1's checkpoint was written."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.epoch > 1.5:
            raise KeyboardInterrupt


def test_a_moved_run_folder_resumes_from_where_it_is(tiny, toy, tmp_path, reference):
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path / "before", callbacks=[Interrupt()], **FAST)
    shutil.move(tmp_path / "before", tmp_path / "after")
    for state in (tmp_path / "after").glob("checkpoint-*/trainer_state.json"):
        assert "before" not in state.read_text()  # nothing in the folder points outside it
    results = finetune(tiny, toy, tmp_path / "after", resume=True, **FAST)
    assert_same_run(results, tmp_path / "after", reference)
    best = json.loads((tmp_path / "after" / "results.json").read_text())["best_checkpoint"]
    assert (tmp_path / "after" / best).is_dir() and not (tmp_path / "before").exists()


def test_a_corrupt_parquet_file_is_named(tiny, toy, tmp_path, capsys):
    for split, data in toy.items():
        data.to_parquet(tmp_path / f"{split}.parquet")
    whole = (tmp_path / "train.parquet").read_bytes()
    (tmp_path / "train.parquet").write_bytes(whole[: len(whole) - 100])  # a copy cut short
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["--model", str(tiny), "--data", str(tmp_path), "--output-dir", str(tmp_path / "run")])
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and error.count("\n") == 1, error
    assert error.startswith(f"python -m lmtutorial.hf.finetune: error: {tmp_path / 'train.parquet'}: expected a parquet "
                            "file, got one that cannot be read, probably truncated or corrupt")
    assert list((tmp_path / "run").iterdir()) == []  # stopped before anything was written


def test_a_loss_that_becomes_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tiny, toy, tmp_path, monkeypatch):
    """The loss turns NaN in the second epoch: the run stops at that step with one line (step, loss, learning rate),
    writes no results, and the first epoch's checkpoint is still complete and resumable."""
    from lmtutorial.hf.config import NonFiniteLoss
    from lmtutorial.hf.trainer import BucketTrainer

    original = Trainer.training_step
    steps_per_epoch = []

    def poisoned(self, model, inputs, *args, **kwargs):
        loss = original(self, model, inputs, *args, **kwargs)
        if not steps_per_epoch:
            steps_per_epoch.append(self.state.max_steps // int(self.args.num_train_epochs))
        return loss * float("nan") if self.state.global_step >= steps_per_epoch[0] + 1 else loss

    monkeypatch.setattr(Trainer, "training_step", poisoned)
    assert BucketTrainer.training_step is not Trainer.training_step  # the check lives in the subclass
    with pytest.raises(NonFiniteLoss, match=r"^step \d+: expected a finite training loss, got nan at learning rate"):
        finetune(tiny, toy, tmp_path, **FAST)
    assert not (tmp_path / "results.json").exists()
    assert complete_checkpoints(tmp_path) == [f"checkpoint-{steps_per_epoch[0]}"]


def test_the_command_line_reports_a_diverged_run_in_one_line(tiny, toy, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(Trainer, "training_step", lambda self, *a, **k: torch.tensor(float("nan")))
    toy["train"].to_parquet(tmp_path / "train.parquet")
    toy["test"].to_parquet(tmp_path / "test.parquet")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(["--model", str(tiny), "--data", str(tmp_path), "--output-dir", str(tmp_path / "run"), "--epochs", "1",
              "--max-length", "64", "--head", "16", "--max-tokens", "512", "--no-plots"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    errors = [line.split("\r")[-1].split("it/s]")[-1] for line in err.splitlines() if "finetune: error:" in line]
    assert err.count("finetune: error:") == 1 and "Traceback" not in err, err
    assert "step 1: expected a finite training loss, got nan at learning rate" in errors[0], errors


def test_resuming_an_unfinished_run_with_other_settings_is_refused(tiny, toy, tmp_path, monkeypatch):
    """Stopped after its first checkpoint, a run resumed with another seed and learning rate is refused, naming
    both; resumed with its own settings it ends exactly as the uninterrupted run."""
    fail_second_checkpoint_save(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path, **FAST)
    monkeypatch.undo()
    assert not (tmp_path / "results.json").exists() and complete_checkpoints(tmp_path)
    other = {**FAST, "learning_rate": 1e-3}
    with pytest.raises(FileExistsError, match=r"was started with other settings \(learning_rate 0\.003, not 0\.001, "
                                              r"seed 0, not 7\)"):
        finetune(tiny, toy, tmp_path, resume=True, seed=7, **other)
    assert finetune(tiny, toy, tmp_path, resume=True, **FAST)["resumed"]
