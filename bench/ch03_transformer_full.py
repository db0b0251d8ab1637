"""The full-size comparison of page ch03_1_transformer: chapter 3's LSTM language model against a small GPT, trained
at an equal budget, at each learning rate and seed of the page's "full" sizes (lmtutorial/book/sizes.py).

It runs the function the page runs, :func:`lmtutorial.training.equal_budget.compare_lstm_and_gpt`, with the page's
"full" sizes, and writes lmtutorial/results/ch03_transformer_full.json with what produced it (command, CPU, torch
threads, library versions, load average before and after, run time, date):

    python bench/ch03_transformer_full.py [--threads 1] [--profile full] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.lstm_cpu import cpu_info  # noqa: E402
from lmtutorial.book.sizes import SIZES  # noqa: E402
from lmtutorial.provenance import hardware, library_versions, write_json  # noqa: E402
from lmtutorial.training.equal_budget import compare_lstm_and_gpt  # noqa: E402

OUT = REPO / "lmtutorial" / "results" / "ch03_transformer_full.json"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the page uses one)")
    parser.add_argument("--profile", default="full", choices=("ci", "full"), help="size profile (ci: a quick test)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads: expected an integer >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    sizes = SIZES["ch03_1_transformer"][args.profile]["compare"]
    load_before, started = os.getloadavg(), time.perf_counter()
    measured = compare_lstm_and_gpt(sizes)
    results = {
        "produced_by": " ".join(["python", "bench/ch03_transformer_full.py",
                                 *(argv if argv is not None else sys.argv[1:])]),
        "profile": args.profile,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "settings": sizes,
        **measured,
        "threads": torch.get_num_threads(),
        "hardware": hardware(),
        **cpu_info(),
        "library_versions": library_versions(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "seconds": time.perf_counter() - started,
    }
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
