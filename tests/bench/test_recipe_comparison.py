"""BucketTrainer's token-budget evaluation, its learning-rate rule and TF32 isolation; bench/recipe_comparison.py."""

import importlib.util
import json

import numpy as np
import pytest
import torch
from transformers import TrainerCallback, TrainingArguments

from lmtutorial.hf.bert_data import PadCollator, TokenBudgetBatchSampler, column, tokenize_reviews
from lmtutorial.hf.trainer import scaled_learning_rate
from lmtutorial.hf.config import FinetuneConfig
from lmtutorial.hf.run import load_classifier
from lmtutorial.hf.trainer import BucketTrainer, tf32_inside, training_arguments
from lmtutorial.hf.tiny_bert import tiny_bert, toy_reviews
from conftest import REPO



@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_bert(tmp_path_factory.mktemp("tiny") / "model", toy_reviews(300)["text"], vocab_size=300)


@pytest.fixture(scope="module")
def reviews(tiny):
    tokenizer = load_classifier(tiny, 2)[0]
    return tokenize_reviews(toy_reviews(90, seed=5), tokenizer, max_length=64)


def trainer_for(tiny, tmp_path, train=None, max_tokens=256, **options) -> BucketTrainer:
    tokenizer, model = load_classifier(tiny, 2)
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none", remove_unused_columns=False,
                             per_device_eval_batch_size=64, disable_tqdm=True, **options)
    return BucketTrainer(model=model, args=args, train_dataset=train, processing_class=tokenizer,
                         data_collator=PadCollator(tokenizer.pad_token_id), max_tokens=max_tokens)


def test_evaluation_batches_follow_the_token_budget_in_a_fixed_order(tiny, reviews, tmp_path):
    trainer = trainer_for(tiny, tmp_path)
    first = [batch["input_ids"] for batch in trainer.get_test_dataloader(reviews)]
    again = [batch["input_ids"] for batch in trainer.get_eval_dataloader(reviews)]
    assert all(ids.numel() <= 256 for ids in first) and sum(len(ids) for ids in first) == len(reviews)
    assert len(first) == len(again) and all(torch.equal(a, b) for a, b in zip(first, again))
    widths = [ids.shape[1] for ids in first]
    assert widths == sorted(widths, reverse=True)  # longest first: each batch holds similar lengths


def test_predictions_and_labels_come_back_in_dataset_order(tiny, reviews, tmp_path):
    trainer = trainer_for(tiny, tmp_path)
    prediction = trainer.predict(reviews)
    model = trainer.model.eval()
    with torch.no_grad():
        one_by_one = np.stack([model(input_ids=torch.tensor([ids])).logits[0].numpy()
                               for ids in reviews["input_ids"]])
    np.testing.assert_allclose(prediction.predictions, one_by_one, atol=1e-5)
    assert prediction.label_ids.tolist() == column(reviews, "label").tolist()
    accuracy = float(np.mean(one_by_one.argmax(-1) == column(reviews, "label")))
    assert trainer.evaluate(reviews)["eval_loss"] > 0
    assert float(np.mean(prediction.predictions.argmax(-1) == prediction.label_ids)) == accuracy


def test_the_learning_rate_is_scaled_to_the_reviews_per_step(tiny, reviews, tmp_path):
    trainer = trainer_for(tiny, tmp_path, train=reviews, max_tokens=2048, learning_rate=1e-3)
    per_step = len(reviews) / len(TokenBudgetBatchSampler(column(reviews, "length"), 2048))
    assert trainer.samples_per_step() == pytest.approx(per_step) and per_step > 16
    trainer.create_optimizer_and_scheduler(num_training_steps=10)
    wanted = scaled_learning_rate(1e-3, per_step)
    assert trainer.learning_rate == pytest.approx(wanted) and trainer.args.learning_rate == 1e-3
    assert [group["lr"] for group in trainer.optimizer.param_groups] == pytest.approx([wanted] * 2)
    assert trainer.lr_scheduler.base_lrs == pytest.approx([wanted] * 2)
    unscaled = trainer_for(tiny, tmp_path, train=reviews, max_tokens=2048, learning_rate=1e-3)
    unscaled.reference_batch_size = None
    unscaled.create_optimizer_and_scheduler(num_training_steps=10)
    assert [group["lr"] for group in unscaled.optimizer.param_groups] == pytest.approx([1e-3] * 2)


@pytest.fixture
def tf32_available(monkeypatch):
    """TrainingArguments(tf32=True) as on an Ampere GPU; the process's TF32 switch is put back afterwards."""
    import transformers.training_args
    from transformers.utils.import_utils import enable_tf32

    monkeypatch.setattr(transformers.training_args, "is_torch_tf32_available", lambda: True)
    enable_tf32.cache_clear()  # transformers switches TF32 on only in its first call in a process
    before = torch.backends.fp32_precision
    yield before
    torch.backends.fp32_precision = before
    enable_tf32.cache_clear()


def test_training_arguments_leave_the_process_tf32_switch_alone(tf32_available, tmp_path):
    args = training_arguments(FinetuneConfig(output_dir=str(tmp_path), use_cpu=True), "fp32", 10, tf32=True)
    assert args.tf32 is True and torch.backends.fp32_precision == tf32_available != "tf32"


def test_tf32_is_on_inside_training_only(tf32_available, tiny, reviews, tmp_path):
    seen = []

    class Record(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            seen.append(torch.backends.fp32_precision)

    trainer = trainer_for(tiny, tmp_path, train=reviews, max_steps=2, tf32=True, save_strategy="no")
    torch.backends.fp32_precision = tf32_available
    trainer.add_callback(Record())
    trainer.train()
    assert seen == ["tf32", "tf32"] and torch.backends.fp32_precision == tf32_available
    with tf32_inside(False):
        assert torch.backends.fp32_precision == "ieee"
    assert torch.backends.fp32_precision == tf32_available


def test_recipe_comparison_smoke_run(tmp_path):
    spec = importlib.util.spec_from_file_location("recipe_comparison", REPO / "bench" / "recipe_comparison.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    output = tmp_path / "comparison.json"
    bench.main(["--smoke", "--pairs", "1", "--train-size", "120", "--test-size", "40", "--max-length", "64",
                "--max-tokens", "1024", "--output", str(output)])
    results = json.loads(output.read_text())
    assert results["complete"] and results["script"] == "bench/recipe_comparison.py"
    assert {"hardware", "versions", "date", "data", "settings"} <= set(results)
    runs = {r["recipe"]: r for r in results["runs"]}
    assert len({r["train_reviews"] for r in runs.values()}) == 1
    assert runs["article"]["peak_learning_rate"] == pytest.approx(5e-5)
    assert runs["lmtutorial-unscaled"]["peak_learning_rate"] == pytest.approx(5e-5)
    assert runs["lmtutorial"]["optimizer_steps"] < runs["article"]["optimizer_steps"]
    per_step = runs["lmtutorial"]["train_reviews"] / runs["lmtutorial"]["optimizer_steps"]
    assert runs["lmtutorial"]["peak_learning_rate"] == pytest.approx(scaled_learning_rate(5e-5, per_step))
