"""Run chapter 3 (book/ch03_algorithms.md) in the "full" size profile and store its results for the website.

The chapter's last section shows lmtutorial/results/ch03_full.json; this script makes that file by executing the chapter
itself with LMTUTORIAL_PROFILE=full, so the numbers come from exactly the code on the page:

    python bench/ch03_full.py [--out lmtutorial/results/ch03_full.json]

Its run time, with the hardware and the machine's load average before the run, is recorded in the JSON
(page_seconds, hardware, load_average): 13 to 17 minutes on a two-core x86_64 CPU with one torch thread.
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
CHAPTER = REPO / "book" / "ch03_algorithms.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "lmtutorial" / "results" / "ch03_full.json")
    parser.add_argument("--profile", default="full", choices=("ci", "full"), help="size profile (ci: a quick test)")
    parser.add_argument("--executed", type=Path, help="also save the executed notebook here (kept on failure too)")
    args = parser.parse_args()
    os.environ["LMTUTORIAL_PROFILE"] = args.profile
    os.environ["LMTUTORIAL_CH03_RESULTS"] = str(args.out.resolve())
    notebook = jupytext.read(CHAPTER)
    start = time.perf_counter()
    try:
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    finally:
        if args.executed:
            nbformat.write(notebook, args.executed)
    results = json.loads(args.out.read_text(encoding="utf-8"))  # written by the chapter: hardware, versions, ...
    results.update(produced_by=f"python bench/ch03_full.py --profile {args.profile}",
                   date=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"executed {CHAPTER.name} in the {args.profile} profile in {time.perf_counter() - start:.0f} s; "
          f"results in {args.out}")


if __name__ == "__main__":
    main()
