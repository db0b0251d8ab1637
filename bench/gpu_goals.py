"""Chapter 5's goals against what bench/gpu_check.sh measured, in one JSON file.

    python bench/gpu_goals.py SUMMARY.json RESULT.json [RESULT.json ...]

Each RESULT is a results file of ``lmtutorial.finetune`` (goals: test accuracy >= 92.9 % and <= 60 s end to end,
for MiniLM on one H200) or of ``bench/bert_speed.py`` (goal: <= 12 s per bert-base epoch); missing files are
listed as missing. A goal is ``null`` where the run cannot judge it (a smoke run, a CPU).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ACCURACY, SECONDS = 0.929, 60.0


def judge(path: Path) -> dict:
    if not path.is_file():
        return {"missing": True}
    run = json.loads(path.read_text())
    on_gpu = run["hardware"]["device"] == "cuda"
    if "recipes" in run:
        return {"hardware": run["hardware"]["name"], **run["goal"],
                "speedup_vs_article": run.get("speedup_vs_article")}
    seconds = run["timing_seconds"].get("process", run["timing_seconds"]["total"])
    return {"hardware": run["hardware"]["name"], "model": run["model"], "test_accuracy": run["test"]["accuracy"],
            "end_to_end_seconds": seconds,
            "accuracy_goal_met": run["test"]["accuracy"] >= ACCURACY if on_gpu else None,
            "time_goal_met": seconds <= SECONDS if on_gpu else None}


def main(argv: list[str]) -> dict:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    summary = {"goals": {"test_accuracy_at_least": ACCURACY, "end_to_end_seconds_at_most": SECONDS,
                         "bert_base_epoch_seconds_at_most": 12.0},
               "runs": {Path(name).name: judge(Path(name)) for name in argv[1:]}}
    Path(argv[0]).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
