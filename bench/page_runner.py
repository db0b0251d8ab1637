"""Execute one book page in a size profile and keep the results it writes, with how they were produced.

A page that has a full-size run writes its results (with hardware and library versions, see
lmtutorial.provenance) to the file named by $LMTUTORIAL_RESULTS_OUT when that is set; the page's last section
cites the file. ``run_page`` sets the profile and that variable, executes the page itself (so the numbers come
from exactly the code on the page), and adds to the file how it was produced, the date, the run time and the
load average before the run. bench/ch03_full.py and bench/ch06_full.py are its command lines.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient


def run_page(page: Path, out: Path, profile: str, produced_by: str, executed: Path | None = None,
             timeout: int = 7200) -> dict:
    """Execute ``page`` (a MyST notebook) with ``LMTUTORIAL_PROFILE=profile``; return and rewrite the results it
    wrote to ``out``. ``executed``: also save the executed notebook there, kept when a cell fails."""
    out = out.resolve()
    env = {**os.environ, "LMTUTORIAL_PROFILE": profile, "LMTUTORIAL_RESULTS_OUT": str(out)}  # the kernel's
    load_before = os.getloadavg()
    notebook = jupytext.read(page)
    start = time.perf_counter()
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(page.parent)}}).execute(env=env)
    finally:
        if executed:
            nbformat.write(notebook, executed)
    seconds = time.perf_counter() - start
    if not out.exists():
        raise FileNotFoundError(f"{out}: expected the results {page.name} writes when LMTUTORIAL_RESULTS_OUT is "
                                "set, got no file")
    results = json.loads(out.read_text(encoding="utf-8"))  # written by the page: hardware, versions, sizes, seed
    results.update(produced_by=produced_by, date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
                   page_seconds=round(seconds, 1), load_average_before=[round(x, 2) for x in load_before])
    out.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(f"executed {page.name} in the {profile} profile in {seconds:.0f} s; results in {out}")
    return results
