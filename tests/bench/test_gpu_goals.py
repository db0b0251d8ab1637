"""bench/gpu_goals.py: chapter 5's goals against GPU results, complete or cut short."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import REPO

from lmtutorial.book import goals

SCRIPT = REPO / "bench" / "gpu_goals.py"
spec = importlib.util.spec_from_file_location("gpu_goals", SCRIPT)
gpu_goals = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_goals)

H200 = {"device": "cuda", "name": "NVIDIA H200"}


def write(folder: Path, name: str, payload: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(payload))
    return path


def finetune_run(accuracy: float, seconds: float) -> dict:
    return {"hardware": H200, "model": "all-MiniLM-L6-v2-bf16", "test": {"accuracy": accuracy},
            "timing_seconds": {"total": seconds - 1, "process": seconds}}


def test_goals_come_from_lmtutorial_goals(tmp_path):
    summary = gpu_goals.main([str(tmp_path / "summary.json"), str(tmp_path / "absent.json")])
    assert summary["goals"] == {"test_accuracy_at_least": goals.MINILM_TEST_ACCURACY,
                                "end_to_end_seconds_at_most": goals.MINILM_END_TO_END_SECONDS,
                                "bert_base_epoch_seconds_at_most": goals.BERT_BASE_EPOCH_SECONDS}
    assert json.loads((tmp_path / "summary.json").read_text()) == summary


def test_a_complete_gpu_fine_tune_is_judged_against_both_goals(tmp_path):
    fast = write(tmp_path, "fast.json", finetune_run(goals.MINILM_TEST_ACCURACY + 0.001,
                                                     goals.MINILM_END_TO_END_SECONDS - 1))
    slow = write(tmp_path, "slow.json", finetune_run(goals.MINILM_TEST_ACCURACY - 0.001,
                                                     goals.MINILM_END_TO_END_SECONDS + 1))
    assert gpu_goals.judge(fast) == {
        "hardware": "NVIDIA H200", "model": "all-MiniLM-L6-v2-bf16",
        "test_accuracy": goals.MINILM_TEST_ACCURACY + 0.001,
        "end_to_end_seconds": goals.MINILM_END_TO_END_SECONDS - 1,
        "accuracy_goal_met": True, "time_goal_met": True}
    verdict = gpu_goals.judge(slow)
    assert verdict["accuracy_goal_met"] is False and verdict["time_goal_met"] is False


def test_a_cpu_run_judges_no_goal(tmp_path):
    run = finetune_run(0.99, 1.0) | {"hardware": {"device": "cpu", "name": "x86_64"}}
    verdict = gpu_goals.judge(write(tmp_path, "cpu.json", run))
    assert verdict["accuracy_goal_met"] is None and verdict["time_goal_met"] is None


def test_a_fine_tune_cut_short_lists_what_it_never_wrote(tmp_path):
    run = {"hardware": H200, "model": "m", "timing_seconds": {"load": 3.0}}  # killed before the test
    verdict = gpu_goals.judge(write(tmp_path, "partial.json", run))
    assert verdict["missing_values"] == ["test.accuracy", "timing_seconds.process"]
    assert verdict["accuracy_goal_met"] is None and verdict["time_goal_met"] is None


def test_a_speed_benchmark_cut_short_lists_what_it_never_wrote(tmp_path):
    run = {"smoke": False, "hardware": H200, "model": {"size": "bert-base"},
           "recipes": [{"name": "article", "epoch_seconds": 198.0}]}  # timed out during lmtutorial's recipe
    verdict = gpu_goals.judge(write(tmp_path, "bert_speed.json", run))
    assert verdict["epoch_seconds"] == {"article": 198.0} and verdict["epoch_goal_met"] is None
    assert verdict["missing_values"] == ["epoch_seconds of an lmtutorial recipe",
                                         "goal (the run stopped before its end)"]


def test_a_complete_speed_benchmark_is_judged(tmp_path):
    seconds = goals.BERT_BASE_EPOCH_SECONDS - 0.5
    run = {"smoke": False, "hardware": H200, "model": {"size": "bert-base"}, "goal": {},
           "recipes": [{"name": "article", "epoch_seconds": 198.0},
                       {"name": "lmtutorial", "epoch_seconds": seconds + 1},
                       {"name": "lmtutorial-compile", "epoch_seconds": seconds}]}
    verdict = gpu_goals.judge(write(tmp_path, "bert_speed.json", run))
    assert verdict["fastest_lmtutorial_epoch_seconds"] == seconds and verdict["epoch_goal_met"] is True
    assert "missing_values" not in verdict
    smoke = gpu_goals.judge(write(tmp_path, "smoke.json", run | {"smoke": True}))
    assert smoke["epoch_goal_met"] is None


@pytest.mark.parametrize("content, expected", [("{\"recipes\": [", "unreadable"), ("[1, 2]", "unreadable")])
def test_absent_and_unreadable_files_are_reported_not_raised(tmp_path, content, expected):
    (tmp_path / "bad.json").write_text(content)
    summary = gpu_goals.main([str(tmp_path / "s.json"), str(tmp_path / "bad.json"), str(tmp_path / "no.json")])
    assert expected in summary["runs"]["bad.json"] and summary["runs"]["no.json"] == {"missing": True}
