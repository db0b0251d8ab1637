"""Run one section of chapter 6 in the "full" size profile and keep its results for the website.

Each section page of chapter 6 (book/ch06_<n>_<name>.md) runs at CI size when the book is built; its last
section cites lmtutorial/results/ch06_<name>_full.json, which this script makes by executing the page itself with
LMTUTORIAL_PROFILE=full, so the numbers come from exactly the code on the page:

    python bench/ch06_full.py translation [--profile ci] [--executed run.ipynb]

The page writes its results (with hardware and library versions, see lmtutorial.provenance) to the file named by
$LMTUTORIAL_RESULTS_OUT; page_runner.py adds how they were produced, the date, the run time and the load average.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from page_runner import run_page

REPO = Path(__file__).resolve().parents[1]
SECTIONS = {path.stem.split("_", 2)[2]: path for path in sorted((REPO / "book").glob("ch06_[0-9]_*.md"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("section", choices=sorted(SECTIONS), help="which section page of chapter 6 to run")
    parser.add_argument("--profile", default="full", choices=("ci", "full"), help="size profile (ci: a quick test)")
    parser.add_argument("--out", type=Path, help="results file (default lmtutorial/results/ch06_<section>_full.json)")
    parser.add_argument("--executed", type=Path, help="also save the executed notebook here (kept on failure too)")
    args = parser.parse_args()
    out = args.out or REPO / "lmtutorial" / "results" / f"ch06_{args.section}_full.json"
    run_page(SECTIONS[args.section], out, args.profile,
             f"python bench/ch06_full.py {args.section} --profile {args.profile}", args.executed)


if __name__ == "__main__":
    main()
