"""bench/bert_speed.py: reviews tokenized once, parameters counted without building a model, recipes isolated."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import torch

from lmtutorial.costs import count_parameters
from conftest import REPO

spec = importlib.util.spec_from_file_location("bert_speed", REPO / "bench" / "bert_speed.py")
bert_speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bert_speed)


def switch_tf32_on(monkeypatch) -> None:
    """What ``TrainingArguments(tf32=True)`` does to the whole process on an Ampere or newer GPU."""
    if hasattr(torch.backends, "fp32_precision"):  # torch >= 2.9, the API transformers uses there
        monkeypatch.setattr(torch.backends, "fp32_precision", "tf32")
    else:
        monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", True)


def test_head_tail_cut_of_the_full_ids_equals_tokenizing_with_head_tail():
    from lmtutorial.hf.bert_data import tokenize_reviews
    from lmtutorial.hf.tiny_bert import toy_reviews, train_wordpiece

    reviews = toy_reviews(40, min_words=20, max_words=120)
    tokenizer = train_wordpiece(reviews["text"], vocab_size=300)
    full = tokenize_reviews(reviews, tokenizer, max_length=10**9, truncation="head", clean=False)
    direct = tokenize_reviews(reviews, tokenizer, max_length=48, truncation="head+tail", head=12, clean=False)
    assert max(full["length"]) > 48  # some reviews are cut
    assert bert_speed.cap_head_tail(full["input_ids"], max_length=48, head=12) == direct["input_ids"]


def test_tf32_state_reads_the_switch_transformers_flips(monkeypatch):
    assert not bert_speed.tf32_state()["cuda_matmul"]  # torch's default: fp32 matrix products are true fp32
    switch_tf32_on(monkeypatch)
    assert bert_speed.tf32_state()["cuda_matmul"]


def test_a_recipe_trains_in_a_process_of_its_own(monkeypatch, tmp_path):
    """TF32 left on by whatever ran before (an earlier recipe) must not reach the article's fp32 recipe."""
    from transformers import BertConfig, BertForSequenceClassification

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    switch_tf32_on(monkeypatch)
    out = tmp_path / "speed.json"
    results = bert_speed.main(["--smoke", "--reviews", "32", "--steps", "4", "--recipes", "article",
                               "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(results))
    (article,) = results["recipes"]
    assert article["tf32"] == {"cuda_matmul": False, "cudnn_conv": True}, article  # torch's defaults
    assert article["seconds_per_step"] > 0 and results["data"]["reviews"] == 32
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(num_labels=2, **bert_speed.SIZES["tiny"]))
    assert results["model"]["parameters"] == count_parameters(model)
    assert results["goal"]["met"] is None  # a smoke run judges no goal


def test_unknown_recipe_is_one_clear_error(capsys):
    with pytest.raises(SystemExit):
        bert_speed.main(["--smoke", "--recipes", "article,fastest"])
    assert "--recipes: expected names among article, article-bf16, lmtutorial, lmtutorial-compile, got 'fastest'" \
        in capsys.readouterr().err


def test_gpu_check_writes_its_summary_even_when_every_step_fails(tmp_path):
    """A step that fails or runs out of time is reported, the next one runs, and the summary is still written."""
    python = tmp_path / "python"  # fails every step but the summary, as a timed-out step would
    python.write_text(f'#!/bin/sh\ncase "$*" in *gpu_goals.py*) exec {sys.executable} "$@";; esac\nexit 3\n')
    python.chmod(0o755)
    env = {**os.environ, "SMOKE_RESULTS": str(tmp_path / "results"), "PYTHON": str(python), "PYTHONPATH": str(REPO)}
    done = subprocess.run(["bash", "bench/gpu_check.sh", "--smoke"], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "=== speed benchmark: failed (exit status 3)" in done.stdout
    assert "steps that failed: tiny model fine-tune speed benchmark" in done.stdout
    summary = json.loads((tmp_path / "results" / "gpu_check_summary_smoke.json").read_text())["runs"]
    assert summary["bert_speed_smoke.json"] == {"missing": True}
