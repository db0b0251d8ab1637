"""Pytest hooks for the chapter notebooks (run by nbval).

A chapter without its data is one skip, not a cascade: when a cell raises ``lmtutorial.data.imdb.IMDbUnavailable``
(chapters call ``require_imdb()`` in their first cell), that cell is reported as skipped with the error's one line as
the reason, and the notebook's other cells are not run, instead of failing each one with a ``NameError``. Under CI
(``CI=true``) it is one failure instead: CI must never skip for want of data.

Each chapter is executed once per ``make test`` (``tools/execution_cache.py``): while nbval runs a notebook, its
outputs are recorded and, when every cell passed, stored in the book's execution cache, so the build that follows
executes nothing; a notebook whose page is already in the cache is checked from the cached outputs, cell by cell.
"""

from __future__ import annotations

import os
import re

import pytest

ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
_stopped: dict[str, str] = {}  # notebook node id -> why its remaining cells are not run


def imdb_unavailable(traceback: str | None) -> str | None:
    """The message of an ``IMDbUnavailable`` at the end of a kernel's (coloured) traceback, else ``None``."""
    found = re.findall(r"^IMDbUnavailable: (.*)$", ANSI_CODES.sub("", traceback or ""), re.MULTILINE)
    return found[-1] if found else None


def _is_notebook_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell" and item.parent is not None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Run nothing more of a notebook whose data turned out to be missing."""
    if _is_notebook_cell(item) and item.parent.nodeid in _stopped:
        return True
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed or call.excinfo is None or not _is_notebook_cell(item):
        return
    reason = imdb_unavailable(getattr(call.excinfo.value, "inner_traceback", None))
    if reason is None:
        return
    rest = sum(other.parent is item.parent for other in item.session.items[item.session.items.index(item) + 1:])
    reason = f"IMDbUnavailable: {reason} (the notebook's other {rest} cells were not run)"
    _stopped[item.parent.nodeid] = reason
    if os.environ.get("CI", "").lower() == "true":
        report.longrepr = f"CI must not skip: {reason}"
    else:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, reason)


# --- Each notebook executed once per run (tools/execution_cache.py): nbval's execution feeds the book's cache ---

from pathlib import Path  # noqa: E402

from tools import execution_cache  # noqa: E402

_recorders: dict[str, execution_cache.Recorder] = {}  # notebook node id -> the recorder of its execution


def pytest_configure(config: pytest.Config) -> None:
    """In a pytest-xdist worker, give torch (here and in the kernels nbval starts) its share of the CPU cores: two
    workers with every core each run slower than one (threads contend for the cores)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))


class CachedNotebook(pytest.File):
    """A notebook whose page an unchanged build already executed: its cells are checked from the cache."""

    def collect(self):  # noqa: ANN201 - items are made in pytest_collection_modifyitems
        return []


class CachedCell(pytest.Item):
    """nbval's test of one code cell, answered from the executed notebook in the cache (no kernel)."""

    def __init__(self, *, cell, cached, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cell, self.cached = cell, cached

    def runtest(self) -> None:
        if execution_cache.SKIP_TAGS & set(self.cell.metadata.get("tags", [])):
            pytest.skip("nbval-skip")
        failure = execution_cache.cached_cell_failure(self.cached)
        if failure:
            raise AssertionError(f"{self.name} failed when the book build executed it:\n{failure}")

    def reportinfo(self):  # noqa: ANN201
        return self.path, 0, f"{self.name} (from the execution cache)"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Answer the cells of notebooks already in the execution cache from it; record the others as nbval runs them."""
    files = {}
    for item in items:
        if _is_notebook_cell(item):
            files.setdefault(item.parent.nodeid, item.parent)
    for nodeid, file in files.items():
        page = execution_cache.page_of(Path(file.path))
        if page is None:
            continue
        page_nb = execution_cache.page_notebook(page)
        if not execution_cache.same_code(page_nb, execution_cache.read_notebook(Path(file.path))):
            continue  # a stale Colab notebook: nbval runs it, nothing is cached (tests/book/test_colab_notebooks.py fails)
        cached = execution_cache.cached_notebook(page_nb)
        if cached is None:
            recorder = _recorders[nodeid] = execution_cache.Recorder(page, page_nb)
            read = file.get_kernel_message

            def get_kernel_message(*args, _read=read, _recorder=recorder, **kwargs):
                msg = _read(*args, **kwargs)
                _recorder.feed(msg)
                return msg

            file.get_kernel_message = get_kernel_message
            continue
        replacement = CachedNotebook.from_parent(file.parent, path=file.path)
        cells = iter(zip(execution_cache.code_cells(page_nb), execution_cache.code_cells(cached)))
        for i, item in enumerate(items):
            if _is_notebook_cell(item) and item.parent is file:
                cell, cached_cell = next(cells)
                items[i] = CachedCell.from_parent(replacement, name=item.name, cell=cell, cached=cached_cell)


def _execute_with_history(kernel) -> None:  # noqa: ANN001 - nbval.kernel.RunningKernel
    """Let nbval's kernel execute cells as a notebook front end (and the book's executor) does, with
    ``store_history=True``: IPython then hides the value of a cell that ends with ``;`` and numbers the cells."""
    if getattr(kernel, "stores_history", False):
        return

    def execute_cell_input(cell_input: str, allow_stdin: bool | None = None) -> str:
        return kernel.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    kernel.execute_cell_input, kernel.stores_history = execute_cell_input, True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if _is_notebook_cell(item) and getattr(item.parent, "kernel", None) is not None:
        _execute_with_history(item.parent.kernel)
    recorder = _recorders.get(item.parent.nodeid) if _is_notebook_cell(item) else None
    if recorder is not None:
        recorder.begin(item.cell_num)
    outcome = yield
    if recorder is not None:
        failed = outcome.excinfo is not None and not isinstance(outcome.excinfo[1], pytest.skip.Exception)
        skipped = outcome.excinfo is not None and not failed
        recorder.end(passed=outcome.excinfo is None, skipped_for_tags=skipped and bool(item.options["skip"]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a notebook's last cell (its kernel still running), store the notebook if every cell passed."""
    recorder = _recorders.get(item.parent.nodeid) if _is_notebook_cell(item) else None
    if recorder is not None and (nextitem is None or nextitem.parent is not item.parent):
        if item.parent.nodeid in _stopped:
            recorder.complete = False
        recorder.finish()
        del _recorders[item.parent.nodeid]
    yield
