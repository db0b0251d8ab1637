"""lmtutorial.hf.finetune: the end-to-end finetune() run (learning, validation, seeds), the model and data it accepts,
and the GPU check's smoke run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from conftest import FAST, OFFLINE, REPO, require_shared, strip_seconds
from lmtutorial.hf.finetune import finetune
from lmtutorial.hf.run import load_classifier

pytestmark = pytest.mark.usefixtures("one_thread")


def test_fine_tune_learns_and_reports(run):
    results, output = run
    assert results["test"]["accuracy"] > 0.8 and 0.0 <= results["test"]["f1"] <= 1.0
    assert sum(map(sum, results["test"]["confusion_matrix"])) == results["data"]["test"] == 100
    assert results["precision"] == "fp32" and results["hardware"]["device"] == "cpu"
    assert results["versions"]["transformers"] and results["versions"]["torch"]
    assert len(results["epochs"]) == 3 and all("train_seconds" in e for e in results["epochs"])
    assert results["train_samples_per_second"] > 0 and results["timing_seconds"]["total"] > 0
    assert json.loads((output / "results.json").read_text())["test"] == results["test"]
    assert (output / "loss_curve.png").stat().st_size > 0 and (output / "confusion_matrix.png").stat().st_size > 0
    assert (output / "model" / "config.json").is_file()


def test_validation_comes_from_train_and_test_is_used_once(run):
    results, _ = run
    assert results["data"]["train"] + results["data"]["validation"] == 240
    assert results["data"]["validation"] == 24
    evaluations = [h for h in results["log_history"] if any(k.startswith("eval_") for k in h)]
    assert len(evaluations) == 3 and not any(k.startswith("test_") for h in results["log_history"] for k in h)


@pytest.fixture(scope="module")
def headless(tiny, tmp_path_factory) -> Path:
    """The tiny BERT saved without a classification head, as a pretrained checkpoint comes."""
    from transformers import AutoTokenizer, BertModel

    folder = tmp_path_factory.mktemp("headless")
    BertModel.from_pretrained(tiny).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(folder)
    return folder


def test_same_seed_same_result_with_a_new_head(headless, toy, tmp_path):
    torch.manual_seed(1)  # whatever the random state before the call
    first = finetune(headless, toy, tmp_path / "a", **{**FAST, "epochs": 1})
    torch.rand(7)
    second = finetune(headless, toy, tmp_path / "b", **{**FAST, "epochs": 1})
    assert first["test"] == second["test"] and first["train_loss"] == second["train_loss"]
    assert strip_seconds(first["epochs"]) == strip_seconds(second["epochs"])
    weights = [load_file(tmp_path / run / "model" / "model.safetensors") for run in ("a", "b")]
    assert "classifier.weight" in weights[0]
    assert all(torch.equal(tensor, weights[1][name]) for name, tensor in weights[0].items())
    other = finetune(headless, toy, tmp_path / "c", **{**FAST, "epochs": 1, "seed": 1})
    assert strip_seconds(other["epochs"]) != strip_seconds(first["epochs"])  # the seed is what decides


def test_unknown_model_path(toy, tmp_path):
    with pytest.raises(FileNotFoundError, match="model: expected a local folder or a Hugging Face Hub name"):
        finetune(tmp_path / "no-such-model", toy, tmp_path / "out", **FAST)
    with pytest.raises(FileNotFoundError, match="without config.json"):
        finetune(tmp_path, toy, tmp_path / "out", **FAST)


def test_unknown_hub_name_offline(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # never touch the network
    with pytest.raises(FileNotFoundError, match="expected a local folder or a model the Hugging Face Hub can serve"):
        load_classifier("lmtutorial/no-such-model-anywhere", 2)


def test_dataset_without_text_or_label(tiny, toy, tmp_path):
    renamed = {"train": toy["train"].rename_column("text", "review"), "test": toy["test"]}
    expected = "data\\['train'\\]: expected columns 'text' and 'label', got "
    with pytest.raises(ValueError, match=expected + "\\['review', 'label'\\]"):
        finetune(tiny, renamed, tmp_path, **FAST)
    folder = tmp_path / "parquet"
    folder.mkdir()
    for split in ("train", "test"):
        toy[split].rename_column("label", "sentiment").to_parquet(folder / f"{split}.parquet")
    with pytest.raises(ValueError, match="train.parquet: expected columns 'text' and 'label', got "
                                         "\\['text', 'sentiment'\\]"):
        finetune(tiny, folder, tmp_path, **FAST)
    with pytest.raises(ValueError, match="data: expected splits 'train' and 'test', got \\['train'\\]"):
        finetune(tiny, {"train": toy["train"]}, tmp_path, **FAST)


def test_labels_outside_num_labels(tiny, toy, tmp_path):
    shifted = {"train": toy["train"].map(lambda e: {"label": e["label"] + 1}), "test": toy["test"]}
    with pytest.raises(ValueError, match="expected integer labels in 0..1 \\(num_labels=2\\), got \\[2\\]"):
        finetune(tiny, shifted, tmp_path, **FAST)


@pytest.mark.parametrize("labels, message", [
    ([0.0, 1.0], "expected integer labels in 0..1 \\(num_labels=2\\), got double labels such as 0.0"),
    (["neg", "pos"], "expected integer labels in 0..1 \\(num_labels=2\\), got string labels such as 'neg'"),
    ([0, None], "expected a label in every row, got 120 rows without one \\(null\\), the first is row 1"),
])
def test_labels_that_are_not_integers(tiny, toy, tmp_path, labels, message):
    import datasets

    bad = datasets.Dataset.from_dict({"text": list(toy["train"]["text"]), "label": labels * 120})
    with pytest.raises(ValueError, match="data\\['train'\\]: " + message):
        finetune(tiny, {"train": bad, "test": toy["test"]}, tmp_path, **FAST)


def test_reviews_without_text(tiny, toy, tmp_path):
    import datasets

    texts = list(toy["train"]["text"])
    texts[5] = None
    bad = datasets.Dataset.from_dict({"text": texts, "label": list(toy["train"]["label"])})
    with pytest.raises(ValueError, match="data\\['train'\\]: expected a review \\(text\\) in every row, got 1 rows "
                                         "without one \\(null\\), the first is row 5"):
        finetune(tiny, {"train": bad, "test": toy["test"]}, tmp_path, **FAST)


def test_one_class_training_data(tiny, toy, tmp_path):
    negative = toy["train"].filter(lambda e: e["label"] == 0)
    with pytest.raises(ValueError, match="train_size: expected at most 0 rows for half of each label, got 10: "
                                         "label 1 has only 0 rows"):
        finetune(tiny, {"train": negative, "test": toy["test"]}, tmp_path, **{**FAST, "train_size": 10})
    with pytest.raises(ValueError, match="data\\['train'\\]: expected reviews of at least two labels to learn "
                                         "from, got only label 0 in the 108 training reviews"):
        finetune(tiny, {"train": negative, "test": toy["test"]}, tmp_path, **FAST)


def test_empty_dataset(tiny, toy, tmp_path):
    empty = {"train": toy["train"], "test": toy["test"].select([])}
    with pytest.raises(ValueError, match="data\\['test'\\]: expected at least one review, got an empty split"):
        finetune(tiny, empty, tmp_path, **FAST)


def test_minilm_stand_in_loads_with_a_new_head_and_fp32_weights():
    folder = require_shared("models/all-MiniLM-L6-v2-bf16")
    tokenizer, model = load_classifier(folder, 2)
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6 and len(tokenizer) == 30522
    assert next(model.parameters()).dtype == torch.float32
    assert model.config._attn_implementation == "sdpa"


def test_gpu_check_smoke_runs_end_to_end(tmp_path):
    env = {**OFFLINE, "SMOKE_RESULTS": str(tmp_path), "PYTHON": sys.executable}
    done = subprocess.run(["bash", "bench/gpu_check.sh", "--smoke"], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    speed = json.loads((tmp_path / "bert_speed_smoke.json").read_text())
    assert {r["name"] for r in speed["recipes"]} >= {"article", "lmtutorial"} and speed["smoke"]
    assert json.loads((tmp_path / "finetune_smoke.json").read_text())["data"]["test"] == 64
    summary = json.loads((tmp_path / "gpu_check_summary_smoke.json").read_text())["runs"]
    assert summary["not_run.json"] == {"missing": True}
    assert summary["finetune_smoke.json"]["accuracy_goal_met"] is None  # a CPU cannot judge a GPU goal
    assert summary["bert_speed_smoke.json"]["epoch_goal_met"] is None
