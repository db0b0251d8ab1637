"""lmtutorial.book.pages: glue (myst-nb's in the book build; nothing where myst-nb is missing, as in Colab)."""

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
