"""Pytest hooks for the chapter notebooks (run by nbval): a chapter without its data is one skip, not a cascade.

When a cell raises ``lmtutorial.data.imdb.IMDbUnavailable`` (chapters call ``require_imdb()`` in their first cell), that
cell is reported as skipped with the error's one line as the reason, and the notebook's other cells are not run,
instead of failing each one with a ``NameError``. Under CI (``CI=true``) it is one failure instead: CI must never
skip for want of data.
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
