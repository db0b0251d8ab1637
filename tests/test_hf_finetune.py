import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback, TrainingArguments

from conftest import FAST, REPO, require_shared
from lmtutorial.hf.config import ARTICLE_TRAINING_ARGUMENTS, resolve_precision
from lmtutorial.hf.finetune import finetune, load_classifier, main

OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory, toy) -> Path:
    folder = tmp_path_factory.mktemp("parquet")
    for split, data in toy.items():
        data.to_parquet(folder / f"{split}.parquet")
    return folder


@pytest.fixture(scope="module")
def run(tiny, toy, tmp_path_factory) -> tuple[dict, Path]:
    output = tmp_path_factory.mktemp("run")
    return finetune(tiny, toy, output, **FAST), output


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


def test_a_checkpoint_after_each_epoch(run):
    _, output = run
    checkpoints = sorted(output.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    steps = [int(p.name.split("-")[1]) for p in checkpoints]
    assert steps == [steps[0], 2 * steps[0], 3 * steps[0]]
    assert all((c / "optimizer.pt").is_file() and (c / "trainer_state.json").is_file() for c in checkpoints)


def test_bucketing_keeps_padding_low(run):
    results, _ = run
    assert results["data"]["train_padding_fraction"] < 0.15


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


def strip_seconds(epochs: list[dict]) -> list[dict]:
    """Per-epoch results without their wall times."""
    return [{k: v for k, v in e.items() if k != "train_seconds"} for e in epochs]


def test_an_old_run_is_neither_mixed_in_nor_silently_deleted(tiny, toy, run):
    _, output = run
    with pytest.raises(FileExistsError, match="got results.json, model, loss_curve.png, confusion_matrix.png, "
                                              "checkpoint-.*; pass resume=True to continue that run or overwrite=True"):
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


def test_the_final_model_is_the_best_checkpoint_written_once(run):
    results, output = run
    best = output / results["best_checkpoint"]
    assert results["best_checkpoint"].startswith("checkpoint-")
    assert os.path.samefile(output / "model" / "model.safetensors", best / "model.safetensors")
    assert not (output / "model" / "optimizer.pt").exists()


def test_overwrite_removes_the_whole_earlier_run_even_if_the_new_one_dies(tiny, toy, tmp_path):
    finetune(tiny, toy, tmp_path, **{**FAST, "epochs": 1})
    assert (tmp_path / "results.json").is_file() and (tmp_path / "model").is_dir()
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny, toy, tmp_path, overwrite=True, callbacks=[Interrupt()], **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in tmp_path.glob("checkpoint-*")]
    assert len(list(tmp_path.glob("checkpoint-*"))) == 1  # the new run's epoch 1, nothing of the old run


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


def test_float_labels_in_a_parquet_file_name_the_file(tiny, toy, tmp_path, capsys):
    for split, data in toy.items():
        frame = data.to_pandas()
        frame["label"] = frame["label"].astype(float) if split == "test" else frame["label"]
        frame.to_parquet(tmp_path / f"{split}.parquet")
    with pytest.raises(SystemExit):
        main(["--model", str(tiny), "--data", str(tmp_path), "--output-dir", str(tmp_path / "run")])
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"python -m lmtutorial.hf.finetune: error: {tmp_path / 'test.parquet'}: data['test']: expected integer labels "
        "in 0..1 (num_labels=2), got double labels such as 0.0")


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


@pytest.mark.parametrize("option, value, message", [
    ("epochs", 0, "epochs: expected more than 0 epochs, got 0"),
    ("validation_fraction", 0.0, "validation_fraction: expected a share of train strictly between 0 and 1, got 0"),
    ("validation_fraction", 1.0, "validation_fraction: expected a share of train strictly between 0 and 1, got 1"),
    ("validation_fraction", 0.999, "validation_fraction: expected a share of the 240 training reviews that leaves "
                                   "at least one for validation and one for training, got 0.999 \\(240 for"),
    ("train_size", 1, "train_size: expected at least 2, got 1"),
    ("learning_rate", 0.0, "learning_rate: expected a rate above 0, got 0"),
])
def test_options_no_run_can_use(tiny, toy, tmp_path, option, value, message):
    with pytest.raises(ValueError, match=message):
        finetune(tiny, toy, tmp_path, **{**FAST, option: value})


def test_output_dir_that_is_a_file_and_resume_with_overwrite(tiny, toy, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(FileExistsError, match=f"output_dir: expected a folder for the run, got the file "
                                              f"{tmp_path / 'taken'}"):
        finetune(tiny, toy, tmp_path / "taken", **FAST)
    with pytest.raises(ValueError, match="resume=True and overwrite=True: expected at most one of them, got both"):
        finetune(tiny, toy, tmp_path, resume=True, overwrite=True, **FAST)


def cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmtutorial.hf.finetune", *arguments], capture_output=True, text=True,
                          env=OFFLINE, cwd=REPO, timeout=300)


def test_command_line_errors_are_one_line_naming_the_flag(tiny, parquet_folder, run, tmp_path, capsys):
    _, output = run
    common = ["--model", str(tiny), "--data", str(parquet_folder)]
    expected = {
        ("--output-dir", str(output)): "--output-dir: expected no earlier run in .*; pass --resume to continue "
                                       "that run or --overwrite to start over",
        ("--output-dir", str(tmp_path), "--epochs", "0"): "--epochs: expected more than 0 epochs, got 0",
        ("--output-dir", str(tmp_path), "--validation-fraction", "1"): "--validation-fraction: expected a share",
        ("--output-dir", str(tmp_path), "--train-size", "1"): "--train-size: expected at least 2, got 1",
        ("--output-dir", str(tmp_path), "--lr", "-1"): "--lr: expected a rate above 0, got -1",
    }
    for arguments, message in expected.items():
        with pytest.raises(SystemExit) as exit_:
            main([*common, *arguments])
        error = capsys.readouterr().err
        assert exit_.value.code == 2 and error.count("\n") == 1 and "Traceback" not in error, error
        assert re.match("python -m lmtutorial.hf.finetune: error: " + message, error), error


def test_command_line_keeps_the_traceback_of_an_unexpected_error(tiny, parquet_folder, tmp_path, monkeypatch):
    import lmtutorial.hf.finetune

    monkeypatch.setattr(lmtutorial.hf.finetune, "tokenize_reviews", lambda *a, **k: int("not a number"))  # a bug
    with pytest.raises(ValueError, match="invalid literal for int"):
        main(["--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path)])


def test_every_option_says_its_default():
    done = cli("--help")
    assert done.returncode == 0, done.stderr
    options = re.split(r"\n  (?=-)", done.stdout.split("options:")[1])[2:]  # after -h
    assert len(options) == 26 and all("default" in " ".join(o.split()) for o in options), options


def test_empty_dataset(tiny, toy, tmp_path):
    empty = {"train": toy["train"], "test": toy["test"].select([])}
    with pytest.raises(ValueError, match="data\\['test'\\]: expected at least one review, got an empty split"):
        finetune(tiny, empty, tmp_path, **FAST)


@pytest.mark.skipif(torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8,
                    reason="this GPU supports bf16")
def test_bf16_where_unsupported(tiny, toy, tmp_path):
    with pytest.raises(ValueError, match="precision='bf16': expected a GPU with bfloat16 tensor cores"):
        finetune(tiny, toy, tmp_path, precision="bf16", **FAST)
    with pytest.raises(ValueError, match="precision: expected one of"):
        resolve_precision("int8")
    assert resolve_precision("auto", use_cpu=True) == "fp32"


def test_the_articles_training_arguments_no_longer_construct():
    with pytest.raises(TypeError, match="logging_dir"):
        TrainingArguments(**ARTICLE_TRAINING_ARGUMENTS)
    modern = TrainingArguments(**{k: v for k, v in ARTICLE_TRAINING_ARGUMENTS.items() if k != "logging_dir"})
    assert modern.eval_strategy == "no" and not modern.bf16 and not modern.fp16


def test_command_line_runs_from_parquet(tiny, parquet_folder, tmp_path):
    results = main(["--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path / "cli"),
                    "--epochs", "1", "--max-length", "64", "--head", "16", "--max-tokens", "1024",
                    "--train-size", "100", "--test-size", "40", "--results", str(tmp_path / "copy.json"), "--no-plots"])
    assert results["data"]["source"].startswith("parquet files in") and results["data"]["test"] == 40
    assert json.loads((tmp_path / "copy.json").read_text())["timing_seconds"]["process"] > 0
    assert not (tmp_path / "cli" / "loss_curve.png").exists()


def test_help_works_offline():
    done = subprocess.run([sys.executable, "-m", "lmtutorial.hf.finetune", "--help"], capture_output=True, text=True,
                          env=OFFLINE, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--resume" in done.stdout and "torchrun" in done.stdout


def test_two_cpu_processes_with_torchrun(tiny, parquet_folder, tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "lmtutorial.hf.finetune",
               "--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path), "--epochs", "1",
               "--max-length", "64", "--head", "16", "--max-tokens", "1024", "--test-size", "40", "--cpu",
               "--no-plots"]
    done = subprocess.run(command, capture_output=True, text=True, env=OFFLINE, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["hardware"]["world_size"] == 2 and results["data"]["test"] == 40
    assert sum(map(sum, results["test"]["confusion_matrix"])) == 40


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
