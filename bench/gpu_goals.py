"""Chapter 5's goals against what bench/gpu_check.sh measured, in one JSON file.

    python bench/gpu_goals.py SUMMARY.json RESULT.json [RESULT.json ...]

Each RESULT is a results file of ``lmtutorial.hf.finetune`` (goals: a test accuracy and an end-to-end time for MiniLM
on one H200) or of ``bench/bert_speed.py`` (goal: a bert-base epoch time); the goals are those of
``lmtutorial.book.goals``. A file that is absent is listed as missing, a value that a run cut short never wrote is
listed under ``missing_values``, and a goal is ``null`` where the run cannot judge it (a value missing, a smoke
run, a CPU). A partial result never makes the script fail, so a GPU check always ends with its summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lmtutorial.book.goals import BERT_BASE_EPOCH_SECONDS, MINILM_END_TO_END_SECONDS, MINILM_TEST_ACCURACY

GOALS = {"test_accuracy_at_least": MINILM_TEST_ACCURACY, "end_to_end_seconds_at_most": MINILM_END_TO_END_SECONDS,
         "bert_base_epoch_seconds_at_most": BERT_BASE_EPOCH_SECONDS}


def lookup(run: dict, dotted: str, missing: list[str]) -> object:
    """``run["a"]["b"]`` for ``dotted="a.b"``, or ``None`` with ``dotted`` appended to ``missing``."""
    value: object = run
    for key in dotted.split("."):
        if not isinstance(value, dict) or value.get(key) is None:
            missing.append(dotted)
            return None
        value = value[key]
    return value


def judge_speed(run: dict, missing: list[str]) -> dict:
    """A ``bench/bert_speed.py`` result: the fastest lmtutorial epoch against the bert-base goal."""
    recipes = run.get("recipes") or []
    timed = {r["name"]: r["epoch_seconds"] for r in recipes if "epoch_seconds" in r}
    fastest = min((s for name, s in timed.items() if name.startswith("lmtutorial")), default=None)
    if fastest is None:
        missing.append("epoch_seconds of an lmtutorial recipe")
    if "goal" not in run:  # bert_speed.py writes it last: the run stopped before the end
        missing.append("goal (the run stopped before its end)")
    judged = (fastest is not None and lookup(run, "hardware.device", missing) == "cuda" and not run.get("smoke")
              and lookup(run, "model.size", missing) == "bert-base")
    return {"hardware": lookup(run, "hardware.name", missing), "epoch_seconds": timed,
            "fastest_lmtutorial_epoch_seconds": fastest,
            "epoch_goal_met": fastest <= BERT_BASE_EPOCH_SECONDS if judged else None}


def judge_finetune(run: dict, missing: list[str]) -> dict:
    """An ``lmtutorial.hf.finetune`` result: test accuracy and end-to-end time against the MiniLM goals."""
    accuracy = lookup(run, "test.accuracy", missing)
    timing = run.get("timing_seconds") or {}
    seconds = timing.get("process", timing.get("total"))
    if seconds is None:
        missing.append("timing_seconds.process")
    on_gpu = lookup(run, "hardware.device", missing) == "cuda"
    return {"hardware": lookup(run, "hardware.name", missing), "model": lookup(run, "model", missing),
            "test_accuracy": accuracy, "end_to_end_seconds": seconds,
            "accuracy_goal_met": accuracy >= MINILM_TEST_ACCURACY if on_gpu and accuracy is not None else None,
            "time_goal_met": seconds <= MINILM_END_TO_END_SECONDS if on_gpu and seconds is not None else None}


def judge(path: Path) -> dict:
    """What one results file shows against the goals; absent, unreadable or partial files say so."""
    if not path.is_file():
        return {"missing": True}
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return {"unreadable": f"{type(error).__name__}: {error}"}
    if not isinstance(run, dict):
        return {"unreadable": f"expected a JSON object, got {type(run).__name__}"}
    missing: list[str] = []
    verdict = judge_speed(run, missing) if "recipes" in run else judge_finetune(run, missing)
    return {**verdict, "missing_values": missing} if missing else verdict


def main(argv: list[str]) -> dict:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    summary = {"goals": GOALS, "runs": {Path(name).name: judge(Path(name)) for name in argv[1:]}}
    Path(argv[0]).write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2, allow_nan=False))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
