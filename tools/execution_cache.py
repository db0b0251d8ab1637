"""Every chapter notebook executed once per test run: nbval executes it, the book build reuses that execution.

``make test`` runs nbval over the Colab notebooks ``book/*.ipynb`` before it builds the book. Their code cells are the
pages' code cells (``tests/book/test_colab_notebooks.py`` checks it), so what nbval executes is what Jupyter Book would execute.
The hooks in ``conftest.py`` use this module to:

- record, while nbval runs a notebook, the outputs of every cell the way ``nbclient`` (Jupyter Book's executor)
  records them (``Recorder``: streams, displays, display updates, ``clear_output``; the kernel keeps history, so a
  trailing ``;`` hides a value as in Jupyter), and, when every cell passed, store the page's notebook with those
  outputs in Jupyter Book's execution cache (``_build/.jupyter_cache``), under the key Jupyter Book computes from the
  page; the build that follows then executes nothing;
- check a notebook whose page is already in the cache (an unchanged ``make book`` executed it) from the cached
  outputs, cell by cell, instead of executing it again (``cached_cell_failure``), but only if that execution ran with
  today's ``lmtutorial`` and libraries (``fingerprint``): Jupyter Book's key covers the page's code alone.

Each execution is written to a ledger (``_build/executions.jsonl``: nbval's by the hooks, the build's by
``_ext/execution_ledger.py``); ``execution_problems`` turns the ledger and the cache into the list of pages that ran
twice or not at all (``tests/book/test_executions.py``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "_build" / ".jupyter_cache"  # Jupyter Book 1's execution cache (execute_notebooks: cache)
FINGERPRINTS = CACHE / "lmtutorial-fingerprints.json"  # cache key -> the package and libraries it ran with
LEDGER = REPO / "_build" / "executions.jsonl"
LIBRARIES = ("torch", "transformers", "datasets", "tokenizers", "accelerate", "numpy", "matplotlib")
SKIP_TAGS = {"skip-execution", "nbval-skip"}  # a cell the build and nbval both leave unexecuted carries both


def page_of(notebook: Path) -> Path | None:
    """The MyST page a Colab notebook is generated from (``book/x.md`` for ``book/x.ipynb``), if it is one."""
    page = notebook.with_suffix(".md")
    if not page.exists():
        return None
    from myst_nb.core.read import is_myst_markdown_notebook

    return page if is_myst_markdown_notebook(page.read_text(encoding="utf-8")) else None


def page_notebook(page: Path) -> NotebookNode:
    """The page as Jupyter Book reads it into a notebook (myst-nb's reader, the book's Markdown extensions)."""
    import yaml
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    extensions = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["parse"]["myst_enable_extensions"]
    config = MdParserConfig(enable_extensions=set(extensions))
    return read_myst_markdown_notebook(page.read_text(encoding="utf-8"), config=config, add_source_map=True,
                                       path=str(page))


def code_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def same_code(a: NotebookNode, b: NotebookNode) -> bool:
    """Whether two notebooks have the same code cells, in order, with the same tags."""
    def key(nb: NotebookNode) -> list[tuple[str, list[str]]]:
        return [(cell.source, list(cell.metadata.get("tags", []))) for cell in code_cells(nb)]

    return key(a) == key(b)


def cache():  # noqa: ANN201 - jupyter_cache.cache.main.JupyterCacheBase, imported only here
    """The book's execution cache, its database created under a lock: pytest-xdist workers open it at the same
    moment, and jupyter-cache's own creation is not safe against that ("table settings already exists")."""
    import fcntl

    from jupyter_cache import get_cache

    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE.parent / "jupyter_cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = get_cache(str(CACHE))
        store.db  # creates the database and its tables the first time  # noqa: B018
    return store


def fingerprint() -> str:
    """A hash of what a page runs besides its own code: the package's files and the libraries' versions.

    Jupyter Book's cache is keyed by a page's code alone; a cached execution counts as a test of the page only while
    this is unchanged (after an edit to ``lmtutorial/``, nbval executes the pages again).
    """
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in sorted((REPO / "lmtutorial").rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(" ".join(f"{name}=={version(name)}" for name in LIBRARIES).encode())
    return digest.hexdigest()[:16]


def known_fingerprints() -> dict[str, str]:
    """Cache key -> the fingerprint its execution ran with, for every execution recorded so far."""
    return json.loads(FINGERPRINTS.read_text(encoding="utf-8")) if FINGERPRINTS.exists() else {}


def remember_fingerprint(hashkey: str) -> None:
    """Record that the cached execution ``hashkey`` ran with today's package and libraries (under a lock: two
    pytest-xdist workers store notebooks at the same time)."""
    import fcntl
    import os

    value = fingerprint()
    FINGERPRINTS.parent.mkdir(parents=True, exist_ok=True)
    with open(FINGERPRINTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = known_fingerprints()
        known[hashkey] = value
        temporary = FINGERPRINTS.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(known, indent=1, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(temporary, FINGERPRINTS)


def remember_build_execution(page: Path) -> None:
    """After the book build executed ``page`` itself: its newest cache record ran with today's package."""
    records = [record for record in cache().list_cache_records() if Path(record.uri) == page.resolve()]
    if records:
        remember_fingerprint(max(records, key=lambda record: record.created).hashkey)


def cached_notebook(page_nb: NotebookNode) -> NotebookNode | None:
    """The executed notebook the cache holds for this page's code, if it ran with today's package and libraries
    (``fingerprint``), else ``None``."""
    store = cache()
    try:
        record = store.match_cache_notebook(page_nb)
    except KeyError:
        return None
    if known_fingerprints().get(record.hashkey) != fingerprint():
        return None
    return store.get_cache_bundle(record.pk).nb


def store(page: Path, executed: NotebookNode, seconds: float) -> str:
    """Put ``executed`` (the page's notebook with nbval's outputs) into the cache; return its hash key."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_cache.base import CacheBundleIn

    executed.metadata["language_info"] = dict(IPythonKernel.language_info)  # what nbclient records from the kernel
    record = cache().cache_notebook_bundle(
        CacheBundleIn(executed, str(page), data={"execution_seconds": seconds, "executed_by": "nbval"}),
        check_validity=False, overwrite=True)
    remember_fingerprint(record.hashkey)
    log_execution(page, "nbval", seconds)
    return record.hashkey


def log_execution(page: Path, executor: str, seconds: float | None) -> None:
    """Append one execution of ``page`` to the ledger (one JSON object per line; appends from two processes are
    whole lines)."""
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"page": page.resolve().relative_to(REPO).as_posix(), "executor": executor,
                       "seconds": None if seconds is None else round(seconds, 1),
                       "time": time.strftime("%Y-%m-%dT%H:%M:%S")}, allow_nan=False)
    with LEDGER.open("a", encoding="utf-8") as ledger:
        ledger.write(line + "\n")


def new_run() -> None:
    """Start the ledger of a test run (``make test``): its first line says whether the cache was empty."""
    empty = not cache().list_cache_records()  # creates the cache before the test workers open it
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    LEDGER.write_text(json.dumps({"run": time.strftime("%Y-%m-%dT%H:%M:%S"), "cache_was_empty": empty},
                                 allow_nan=False) + "\n",
                      encoding="utf-8")


def read_ledger(path: Path = LEDGER) -> tuple[dict | None, list[dict]]:
    """The run's header (``None`` when no ``make test`` started this ledger) and its executions."""
    if not path.exists():
        return None, []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    header = lines[0] if lines and "run" in lines[0] else None
    return header, [line for line in lines if "page" in line]


def execution_problems(pages: Iterable[str], ledger: list[dict], cached: set[str], *, fresh: bool) -> list[str]:
    """One line per page that ran more than once in this run, or not at all.

    ``pages``: the notebook pages of the book (``book/x.md``); ``ledger``: this run's executions; ``cached``: pages
    whose current code has an executed notebook in the cache (a page that failed is not there); ``fresh``: the run
    started from an empty cache (CI's clean clone), so every page must have been executed in it.
    """
    runs = Counter(entry["page"] for entry in ledger)
    problems = []
    for page in pages:
        by = [entry["executor"] for entry in ledger if entry["page"] == page]
        if runs[page] > 1:
            problems.append(f"{page} was executed {runs[page]} times in this run ({', '.join(by)})")
        elif page not in cached:
            problems.append(f"{page} has no executed notebook in the cache: it was not executed, or it failed")
        elif fresh and runs[page] == 0:
            problems.append(f"{page} was not executed in this run, which started from an empty cache")
    return problems


class Recorder:
    """The outputs of one notebook as nbval executes it, recorded cell by cell the way nbclient records them."""

    def __init__(self, page: Path, page_nb: NotebookNode) -> None:
        from nbclient import NotebookClient

        self.page, self.nb = page, page_nb
        self.positions = [i for i, cell in enumerate(page_nb.cells) if cell.cell_type == "code"]
        self.client = NotebookClient(page_nb, record_timing=False)  # only its message handling: never started
        self.started: float | None = None  # when nbval ran the first cell
        self.index: int | None = None  # position in nb.cells of the cell being executed
        self.msg_id: str | None = None
        self.complete = True  # every cell so far passed, or was skipped for its tags

    def begin(self, cell_num: int) -> None:
        self.started = self.started or time.perf_counter()
        self.index = self.positions[cell_num]
        self.msg_id = None
        cell = self.nb.cells[self.index]
        cell.outputs, cell.execution_count = [], None
        self.client.clear_before_next_output = False

    def feed(self, msg: dict) -> None:
        """Pass one iopub message that nbval read to nbclient's handler, if it belongs to the cell being run."""
        from nbclient.exceptions import CellExecutionComplete

        if self.index is None:
            return
        cell = self.nb.cells[self.index]
        if not cell.source.strip():  # nbclient does not execute an empty cell
            return
        parent = msg.get("parent_header", {}).get("msg_id")
        if self.msg_id is None and msg["msg_type"] == "execute_input" and msg["content"].get("code") == cell.source:
            self.msg_id = parent
        if parent is None or parent != self.msg_id:
            return
        try:
            self.client.process_message(msg, cell, self.index)
        except CellExecutionComplete:
            self.index = None

    def end(self, passed: bool, skipped_for_tags: bool) -> None:
        self.index = None
        self.complete = self.complete and (passed or skipped_for_tags)

    def finish(self) -> str | None:
        """Store the executed notebook if every cell passed; return the cache key, or ``None``."""
        if not self.complete:
            return None
        self.client.set_widgets_metadata()  # as nbclient does after the last cell
        return store(self.page, self.nb, time.perf_counter() - (self.started or time.perf_counter()))


def cached_cell_failure(cell: NotebookNode) -> str | None:
    """Why a cached, executed code cell fails as an nbval test (an error it was not tagged to raise; never run),
    or ``None``."""
    tags = set(cell.metadata.get("tags", []))
    if not cell.source.strip():
        return None
    errors = [output for output in cell.outputs if output.output_type == "error"]
    if errors and "raises-exception" not in tags:
        return "\n".join(errors[0].get("traceback", [f"{errors[0].ename}: {errors[0].evalue}"]))
    if cell.execution_count is None:
        return "the cached notebook has no execution of this cell"
    return None


def read_notebook(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--new-run"]:
        sys.exit("usage: python tools/execution_cache.py --new-run  (make test runs it first)")
    new_run()
