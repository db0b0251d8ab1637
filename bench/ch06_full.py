"""Run one section of chapter 6 in the "full" size profile and keep its results for the website.

Each section page of chapter 6 (book/ch06_<n>_<name>.md) runs at CI size when the book is built; its last
section cites lmtutorial/results/ch06_<name>_full.json, which this script makes by executing the page itself with
LMTUTORIAL_PROFILE=full, so the numbers come from exactly the code on the page:

    python bench/ch06_full.py translation [--profile ci] [--executed run.ipynb]

The page writes its results (with hardware and library versions, see lmtutorial.provenance) to the file named by
$LMTUTORIAL_RESULTS_OUT; this script adds how it was produced, the date, the run time and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
SECTIONS = {path.stem.split("_", 2)[2]: path for path in sorted((REPO / "book").glob("ch06_[0-9]_*.md"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("section", choices=sorted(SECTIONS), help="which section page of chapter 6 to run")
    parser.add_argument("--profile", default="full", choices=("ci", "full"), help="size profile (ci: a quick test)")
    parser.add_argument("--out", type=Path, help="results file (default lmtutorial/results/ch06_<section>_full.json)")
    parser.add_argument("--executed", type=Path, help="also save the executed notebook here (kept on failure too)")
    args = parser.parse_args()
    page = SECTIONS[args.section]
    out = (args.out or REPO / "lmtutorial" / "results" / f"ch06_{args.section}_full.json").resolve()
    os.environ["LMTUTORIAL_PROFILE"] = args.profile
    os.environ["LMTUTORIAL_RESULTS_OUT"] = str(out)
    load_before = os.getloadavg()
    notebook = jupytext.read(page)
    start = time.perf_counter()
    try:
        NotebookClient(notebook, timeout=7200, kernel_name="python3",
                       resources={"metadata": {"path": str(page.parent)}}).execute()
    finally:
        if args.executed:
            nbformat.write(notebook, args.executed)
    seconds = time.perf_counter() - start
    results = json.loads(out.read_text(encoding="utf-8"))  # written by the page: hardware, versions, sizes, seed
    results.update(produced_by=f"python bench/ch06_full.py {args.section} --profile {args.profile}",
                   date=datetime.now(timezone.utc).strftime("%Y-%m-%d"), page_seconds=round(seconds, 1),
                   load_average_before=[round(x, 2) for x in load_before])
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"executed {page.name} in the {args.profile} profile in {seconds:.0f} s; results in {out}")


if __name__ == "__main__":
    main()
