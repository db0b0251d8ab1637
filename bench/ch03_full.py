"""Run chapter 3 (book/ch03_algorithms.md) in the "full" size profile and store its results for the website.

The chapter's last section shows lmtutorial/results/ch03_full.json; this script makes that file by executing the chapter
itself with LMTUTORIAL_PROFILE=full (see page_runner.py), so the numbers come from exactly the code on the page:

    python bench/ch03_full.py [--out lmtutorial/results/ch03_full.json] [--profile ci] [--executed run.ipynb]

Its run time, with the hardware and the machine's load average before the run, is recorded in the JSON
(page_seconds, hardware, load_average_before): 13 to 17 minutes on a two-core x86_64 CPU with one torch thread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from page_runner import run_page

REPO = Path(__file__).resolve().parents[1]
CHAPTER = REPO / "book" / "ch03_algorithms.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "lmtutorial" / "results" / "ch03_full.json")
    parser.add_argument("--profile", default="full", choices=("ci", "full"), help="size profile (ci: a quick test)")
    parser.add_argument("--executed", type=Path, help="also save the executed notebook here (kept on failure too)")
    args = parser.parse_args()
    run_page(CHAPTER, args.out, args.profile, f"python bench/ch03_full.py --profile {args.profile}", args.executed,
             timeout=3600)


if __name__ == "__main__":
    main()
