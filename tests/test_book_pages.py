"""lmtutorial.book.pages: glue (myst-nb's in the book build, a printed value where myst-nb is missing)."""

from __future__ import annotations

import sys

import pytest

from lmtutorial.book.pages import glue


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
