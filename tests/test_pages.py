"""lmtutorial.pages: glue (myst-nb's in the book build, a printed value where myst-nb is missing) and the page timer."""

from __future__ import annotations

import sys
import time

import pytest

from lmtutorial.pages import CI_PAGE_SECONDS, check_page_time, glue


def test_glue_hands_the_value_to_myst_nb(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: calls.append((name, value, display)))
    glue("ch00_answer", "42", display=False)
    assert calls == [("ch00_answer", "42", False)]


def test_glue_prints_the_value_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` raise ImportError, as on Colab
    glue("ch00_answer", "42")
    assert capsys.readouterr().out == "ch00_answer: 42\n"



def test_page_time_is_printed_and_returned(capsys):
    seconds = check_page_time(time.perf_counter() - 42, "ci")
    assert 42 <= seconds < 43
    assert capsys.readouterr().out == "this page ran in 42 s (ci profile)\n"


def test_a_slow_page_fails_in_the_ci_profile_only():
    too_long_ago = time.perf_counter() - CI_PAGE_SECONDS - 5
    with pytest.raises(AssertionError, match=r"under 3 minutes; this run took 185 s"):
        check_page_time(too_long_ago, "ci")
    assert check_page_time(too_long_ago, "full") >= CI_PAGE_SECONDS
