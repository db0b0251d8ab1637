"""Each chapter notebook is executed exactly once per ``make test``: by nbval, whose execution the build reuses.

The ledger ``_build/executions.jsonl`` holds every execution of the run (``tools/execution_cache.py`` writes nbval's,
``_ext/execution_ledger.py`` the build's); a page executed twice, or never and absent from the cache, fails.
"""

from __future__ import annotations

import pytest

from builtsite import REPO, toc_files
from tools import execution_cache as cache


def notebook_pages() -> list[str]:
    return [f"{name}.md" for name in toc_files() if cache.page_of(REPO / f"{name}.ipynb") is not None]


def test_the_book_has_notebook_pages():
    pages = notebook_pages()
    assert len(pages) >= 15, pages
    assert "book/ch06_5_improving.md" in pages


@pytest.mark.site
def test_every_notebook_was_executed_exactly_once_in_this_run():
    header, ledger = cache.read_ledger()
    pages = notebook_pages()
    cached = {page for page in pages if cache.cached_notebook(cache.page_notebook(REPO / page)) is not None}
    fresh = bool(header and header["cache_was_empty"])
    problems = cache.execution_problems(pages, ledger, cached, fresh=fresh)
    assert not problems, "\n".join(problems)
    if fresh:
        assert {entry["executor"] for entry in ledger} == {"nbval"}, "the build executed a notebook itself"


PAGES = ["book/a.md", "book/b.md"]


@pytest.mark.parametrize(("ledger", "cached", "fresh", "complaint"), [
    ([{"page": "book/a.md", "executor": "nbval"}, {"page": "book/b.md", "executor": "nbval"}], PAGES, True, None),
    ([{"page": "book/a.md", "executor": "nbval"}], PAGES, False, None),  # b: from an unchanged earlier build
    ([{"page": "book/a.md", "executor": "nbval"}], PAGES, True, "book/b.md was not executed in this run"),
    ([{"page": "book/a.md", "executor": "nbval"}], ["book/a.md"], False, "book/b.md has no executed notebook"),
    ([{"page": "book/a.md", "executor": "nbval"}, {"page": "book/a.md", "executor": "jupyter-book"},
      {"page": "book/b.md", "executor": "nbval"}], PAGES, True,
     "book/a.md was executed 2 times in this run (nbval, jupyter-book)"),
])
def test_the_check_fails_on_a_page_run_twice_or_never(ledger, cached, fresh, complaint):
    problems = cache.execution_problems(PAGES, ledger, set(cached), fresh=fresh)
    if complaint is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(complaint), problems


def test_the_fingerprint_changes_with_the_package(tmp_path, monkeypatch):
    """A cached execution stops counting as a test of its page once ``lmtutorial`` changes."""
    (tmp_path / "lmtutorial").mkdir()
    module = tmp_path / "lmtutorial" / "module.py"
    module.write_text("x = 1\n")
    monkeypatch.setattr(cache, "REPO", tmp_path)
    before = cache.fingerprint()
    assert cache.fingerprint() == before
    module.write_text("x = 2\n")
    assert cache.fingerprint() != before


def test_a_cached_cell_fails_on_an_error_it_was_not_tagged_to_raise():
    from nbformat.v4 import new_code_cell, new_output

    error = new_output("error", ename="ValueError", evalue="bad", traceback=["ValueError: bad"])
    ran = new_code_cell("1 / 0", execution_count=3, outputs=[error])
    assert cache.cached_cell_failure(ran) == "ValueError: bad"
    ran.metadata["tags"] = ["raises-exception"]
    assert cache.cached_cell_failure(ran) is None
    assert cache.cached_cell_failure(new_code_cell("x = 1", execution_count=None)) is not None  # never ran
    assert cache.cached_cell_failure(new_code_cell("x = 1", execution_count=4)) is None


def open_cache(folder: str, barrier, results) -> None:  # noqa: ANN001 - multiprocessing objects
    """Open the execution cache in ``folder`` once all processes are ready; put "ok" or the error."""
    from pathlib import Path

    cache.CACHE = Path(folder)
    barrier.wait()
    try:
        cache.cache().list_cache_records()
    except Exception as error:  # noqa: BLE001 - the test reports any error
        results.put(f"{type(error).__name__}: {error}"[:200])
    else:
        results.put("ok")


def test_workers_opening_a_new_cache_at_once_all_succeed(tmp_path):
    """The first ``make test`` of a clean clone: its pytest-xdist workers create the cache at the same moment
    (jupyter-cache alone fails about one time in three with six processes: "table settings already exists")."""
    import multiprocessing

    import jupyter_cache.cache.main  # noqa: F401 - imported once, before the processes fork

    context, processes = multiprocessing.get_context("fork"), 6
    for attempt in range(6):
        barrier, results = context.Barrier(processes), context.Queue()
        folder = str(tmp_path / str(attempt) / "cache")
        workers = [context.Process(target=open_cache, args=(folder, barrier, results)) for _ in range(processes)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join()
        assert outcomes == ["ok"] * processes, outcomes
