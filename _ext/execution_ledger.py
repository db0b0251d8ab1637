"""Sphinx extension: write every notebook the build itself executes to the ledger ``_build/executions.jsonl``.

``make test`` lets nbval execute the chapters and stores what it ran in Jupyter Book's execution cache
(``tools/execution_cache.py``), so the build should take every notebook from the cache. A notebook it executed
anyway (a cache miss) is written to the ledger here, and ``tests/book/test_executions.py`` fails on any page executed
twice in one run. myst-nb records, per page, when the outputs it used were made (``exec_data["mtime"]``: the cache
record's creation time, or the time of its own execution); a time after this build started is an execution by it.
Such an execution is also marked as made with today's package (``tools/execution_cache.py``'s fingerprint), so that
``make test`` after an unchanged ``make book`` checks the cached outputs instead of executing the page again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

LEDGER = Path("_build") / "executions.jsonl"  # relative to the book's root (Sphinx's source directory)


def _start(app: Sphinx) -> None:
    app.env.execution_ledger_start = time.time()


def _remember(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    env.execution_ledger_read = set(docnames)


def _record(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """After reading: one ledger line per page read in this build whose outputs were made after it started."""
    start = getattr(env, "execution_ledger_start", None)
    for docname in sorted(getattr(env, "execution_ledger_read", ())):
        data = getattr(env, "nb_metadata", {}).get(docname, {}).get("exec_data") or {}
        if start is None or data.get("method") != "cache" or data.get("mtime", 0) < start:
            continue
        ledger = Path(app.srcdir) / LEDGER
        ledger.parent.mkdir(parents=True, exist_ok=True)
        runtime = data.get("runtime")
        entry = {"page": f"{docname}.md", "executor": "jupyter-book",
                 "seconds": None if runtime is None else round(runtime, 1), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        with ledger.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, allow_nan=False) + "\n")
        _tools(app).remember_build_execution(Path(app.srcdir) / f"{docname}.md")
    return []


def _tools(app: Sphinx):  # noqa: ANN202 - the module tools/execution_cache.py, loaded from the book's root
    import importlib.util
    import sys

    if "execution_cache" not in sys.modules:
        spec = importlib.util.spec_from_file_location("execution_cache", Path(app.srcdir) / "tools" /
                                                      "execution_cache.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["execution_cache"] = module
        spec.loader.exec_module(module)
    return sys.modules["execution_cache"]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _start)
    app.connect("env-before-read-docs", _remember)
    app.connect("env-updated", _record)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
