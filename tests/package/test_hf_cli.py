"""lmtutorial.hf.cli: the command line (python -m lmtutorial.hf.finetune): one-line errors naming the flag, --help,
exit codes, parquet folders, torchrun."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FAST, OFFLINE, REPO
from lmtutorial.hf.finetune import finetune, main

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory, toy) -> Path:
    folder = tmp_path_factory.mktemp("parquet")
    for split, data in toy.items():
        data.to_parquet(folder / f"{split}.parquet")
    return folder


def cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmtutorial.hf.finetune", *arguments], capture_output=True, text=True,
                          env=OFFLINE, cwd=REPO, timeout=300)


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


def test_command_line_errors_are_one_line_naming_the_flag(tiny, parquet_folder, run, tmp_path, capsys):
    _, output = run
    common = ["--model", str(tiny), "--data", str(parquet_folder)]
    expected = {
        ("--output-dir", str(output)): "--output-dir: expected no earlier run in .*; pass --resume to continue "
                                       "that run or --overwrite to start over",
        ("--output-dir", str(tmp_path), "--epochs", "0"): "--epochs: expected a number > 0 and <= 1000000, got 0",
        ("--output-dir", str(tmp_path), "--validation-fraction", "1"): "--validation-fraction: expected a share",
        ("--output-dir", str(tmp_path), "--train-size", "1"): "--train-size: expected an integer >= 2, got 1",
        ("--output-dir", str(tmp_path), "--lr", "-1"): "--lr: expected a number > 0 and <= 1, got -1",
    }
    for arguments, message in expected.items():
        with pytest.raises(SystemExit) as exit_:
            main([*common, *arguments])
        error = capsys.readouterr().err
        assert exit_.value.code == 2 and error.count("\n") == 1 and "Traceback" not in error, error
        assert re.match("python -m lmtutorial.hf.finetune: error: " + message, error), error


def test_command_line_keeps_the_traceback_of_an_unexpected_error(tiny, parquet_folder, tmp_path, monkeypatch):
    import lmtutorial.hf.run

    monkeypatch.setattr(lmtutorial.hf.run, "tokenize_reviews", lambda *a, **k: int("not a number"))  # a bug
    with pytest.raises(ValueError, match="invalid literal for int"):
        main(["--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path)])


@pytest.fixture(scope="module")
def help_run() -> subprocess.CompletedProcess:
    """``python -m lmtutorial.hf.finetune --help`` in a fresh, offline process (run once for the tests below)."""
    return cli("--help")


def test_every_option_says_its_default(help_run):
    done = help_run
    assert done.returncode == 0, done.stderr
    options = re.split(r"\n  (?=-)", done.stdout.split("options:")[1])[2:]  # after -h
    assert len(options) == 26 and all("default" in " ".join(o.split()) for o in options), options


def test_command_line_runs_from_parquet(tiny, parquet_folder, tmp_path):
    results = main(["--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path / "cli"),
                    "--epochs", "1", "--max-length", "64", "--head", "16", "--max-tokens", "1024",
                    "--train-size", "100", "--test-size", "40", "--results", str(tmp_path / "copy.json"), "--no-plots"])
    assert results["data"]["source"].startswith("parquet files in") and results["data"]["test"] == 40
    assert json.loads((tmp_path / "copy.json").read_text())["timing_seconds"]["process"] > 0
    assert not (tmp_path / "cli" / "loss_curve.png").exists()


def test_help_works_offline(help_run):
    done = help_run
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


def run_line(capsys, *arguments: str) -> str:
    """The one line ``python -m lmtutorial.hf.finetune`` prints for a user's mistake (exit status 2)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(list(arguments))
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("finetune: error:") == 1 and "Traceback" not in err, err
    return err[err.index("python -m lmtutorial.hf.finetune: error:"):].strip()


@pytest.mark.parametrize(("options", "expected"), [
    (["--epochs", "inf"], "--epochs: expected a number > 0 and <= 1000000 (finite), got inf"),
    (["--lr", "inf"], "--lr: expected a number > 0 and <= 1 (finite), got inf"),
    (["--lr", "1e10"], "--lr: expected a number > 0 and <= 1, got 1e+10"),
    (["--warmup", "nan"], "--warmup: expected a number >= 0 and <= 1 (finite), got nan"),
    (["--weight-decay", "-1"], "--weight-decay: expected a number >= 0 and <= 1000, got -1"),
    (["--seed", "99999999999"], "--seed: expected an integer >= 0 and <= 4294967295, got 99999999999"),
    (["--max-length", "2"], "--max-length: expected an integer >= 3, got 2"),
    (["--max-length", "1000"], "--max-length: expected at most"),
])
def test_bad_numbers_on_the_command_line_are_one_line(tiny, parquet_folder, tmp_path, capsys, options, expected):
    line = run_line(capsys, "--model", str(tiny), "--data", str(parquet_folder), "--output-dir",
                    str(tmp_path / "run"), "--no-plots", *options)
    assert line.startswith(f"python -m lmtutorial.hf.finetune: error: {expected}"), line


def test_outputs_that_cannot_be_written_are_refused_before_training(tiny, parquet_folder, tmp_path, capsys):
    common = ["--model", str(tiny), "--data", str(parquet_folder), "--no-plots"]
    (tmp_path / "a-file").write_text("")
    line = run_line(capsys, *common, "--output-dir", str(tmp_path / "a-file" / "run"))
    assert "--output-dir: expected a folder this process can create, got" in line, line
    (tmp_path / "results-folder").mkdir()
    line = run_line(capsys, *common, "--output-dir", str(tmp_path / "run"), "--results",
                    str(tmp_path / "results-folder"))
    assert "--results: expected a file to write, got the folder" in line, line


def test_a_decoder_without_a_pad_token_is_refused(tmp_path, capsys, parquet_folder):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    bpe.train_from_iterator(["a good film", "a bad film"], trainers.BpeTrainer(vocab_size=60,
                                                                            special_tokens=["<unk>"]))
    folder = tmp_path / "gpt2"
    PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<unk>").save_pretrained(folder)
    GPT2ForSequenceClassification(GPT2Config(vocab_size=60, n_embd=16, n_layer=1, n_head=2)).save_pretrained(folder)
    line = run_line(capsys, "--model", str(folder), "--data", str(parquet_folder), "--output-dir",
                    str(tmp_path / "run"), "--no-plots")
    assert "model: expected an encoder with a classification head and a padding token" in line, line


def test_empty_reviews_are_refused(tiny, toy, tmp_path):
    empty = {"train": toy["train"].map(lambda review: {"text": ""}), "test": toy["test"]}
    with pytest.raises(ValueError, match=r"data\['train'\]: expected reviews with text, got \d+ training reviews "
                                         "that give no token"):
        finetune(tiny, empty, tmp_path, **FAST)


def test_a_folder_that_cannot_be_written_is_refused_before_training(tiny, parquet_folder, tmp_path, capsys,
                                                                   monkeypatch):
    import pathlib

    real = pathlib.Path.write_bytes

    def read_only(self, data):
        if self.name.startswith(".write-test."):
            raise OSError(30, "Read-only file system")
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", read_only)
    line = run_line(capsys, "--model", str(tiny), "--data", str(parquet_folder), "--output-dir", str(tmp_path / "run"),
                    "--no-plots")
    assert "--output-dir: expected a folder this process can write to, got" in line and "Read-only" in line, line
