"""lmtutorial.hf.output: the run folder (an old run is neither mixed in nor silently deleted), overwrite, and resume
bookkeeping."""

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from conftest import FAST, strip_seconds
from lmtutorial.hf.finetune import finetune

pytestmark = pytest.mark.usefixtures("one_thread")


class Interrupt(TrainerCallback):
    """Stop the run in the middle of epoch 2, after epoch 1's checkpoint was written."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.epoch > 1.5:
            raise KeyboardInterrupt


def test_resume_continues_with_nothing_lost(tiny, toy, tmp_path, run):
    reference, reference_dir = run
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path, callbacks=[Interrupt()], **FAST)
    assert len(list(tmp_path.glob("checkpoint-*"))) == 1  # epoch 1's; epoch 2 was cut short
    resumed = finetune(tiny, toy, tmp_path, resume=True, **FAST)
    assert resumed["resumed"] and resumed["test"] == reference["test"]
    assert resumed["train_loss"] == reference["train_loss"]  # every step's loss, not only the resumed ones
    assert strip_seconds(resumed["epochs"]) == strip_seconds(reference["epochs"])
    assert len(resumed["timing_seconds"]["train_epochs"]) == 3 and resumed["train_samples_per_second"] > 0
    last = max(tmp_path.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    expected = load_file(reference_dir / last.name / "model.safetensors")
    for name, tensor in load_file(last / "model.safetensors").items():
        torch.testing.assert_close(tensor, expected[name], rtol=0, atol=1e-6, msg=name)


def test_an_old_run_is_neither_mixed_in_nor_silently_deleted(tiny, toy, run):
    _, output = run
    with pytest.raises(FileExistsError, match="got results.json, model, loss_curve.png, confusion_matrix.png, "
                                              "run_settings.json, checkpoint-.*; pass resume=True to continue "
                                              "that run or overwrite=True"):
        finetune(tiny, toy, output, **FAST)


def test_resuming_a_finished_run_says_so_and_changes_nothing(tiny, toy, run, capsys):
    reference, output = run
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in output.rglob("*")}
    again = finetune(tiny, toy, output, resume=True, **FAST)
    assert "has finished; its results are unchanged" in capsys.readouterr().out
    assert again["test"] == reference["test"] and again["train_loss"] == reference["train_loss"] > 0
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in output.rglob("*")} == before
    with pytest.raises(FileExistsError, match="has finished with other settings \\(learning_rate 0.003, not 0.001\\)"):
        finetune(tiny, toy, output, resume=True, **{**FAST, "learning_rate": 1e-3})


def test_overwrite_removes_the_whole_earlier_run_even_if_the_new_one_dies(tiny, toy, tmp_path):
    finetune(tiny, toy, tmp_path, **{**FAST, "epochs": 1})
    assert (tmp_path / "results.json").is_file() and (tmp_path / "model").is_dir()
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path, overwrite=True, callbacks=[Interrupt()], **FAST)
    new_run = [p.name for p in tmp_path.glob("checkpoint-*")] + ["run_settings.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(new_run)
    assert len(list(tmp_path.glob("checkpoint-*"))) == 1  # the new run's epoch 1, nothing of the old run
