"""lmtutorial.hf.trainer: BucketTrainer's low-padding batches, a checkpoint each epoch (training_arguments), and the
final model saved as the best checkpoint."""

import os

import pytest

from lmtutorial.hf.trainer import REFERENCE_BATCH_SIZE, scaled_learning_rate

pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_checkpoint_after_each_epoch(run):
    _, output = run
    checkpoints = sorted(output.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    steps = [int(p.name.split("-")[1]) for p in checkpoints]
    assert steps == [steps[0], 2 * steps[0], 3 * steps[0]]
    assert all((c / "optimizer.pt").is_file() and (c / "trainer_state.json").is_file() for c in checkpoints)


def test_bucketing_keeps_padding_low(run):
    results, _ = run
    assert results["data"]["train_padding_fraction"] < 0.15


def test_the_final_model_is_the_best_checkpoint_written_once(run):
    results, output = run
    best = output / results["best_checkpoint"]
    assert results["best_checkpoint"].startswith("checkpoint-")
    assert os.path.samefile(output / "model" / "model.safetensors", best / "model.safetensors")
    assert not (output / "model" / "optimizer.pt").exists()


def test_scaled_learning_rate_is_the_linear_rule():
    assert scaled_learning_rate(5e-5, REFERENCE_BATCH_SIZE) == pytest.approx(5e-5)
    assert scaled_learning_rate(5e-5, 4 * REFERENCE_BATCH_SIZE) == pytest.approx(2e-4)
    assert scaled_learning_rate(1e-4, 8, reference_batch_size=32) == pytest.approx(2.5e-5)
    with pytest.raises(ValueError, match="samples_per_step: expected a number > 0, got 0"):
        scaled_learning_rate(5e-5, 0)
