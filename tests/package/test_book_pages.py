"""lmtutorial.book.pages: glue (myst-nb's in the book build; nothing where myst-nb is missing, as in Colab)."""

from __future__ import annotations

import json
import sys

import pytest

from lmtutorial.book.pages import glue


def test_glue_hands_the_value_to_myst_nb(monkeypatch):
    myst_nb = pytest.importorskip("myst_nb", reason="myst-nb comes with the book extra: pip install 'lmtutorial[book]'")

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: calls.append((name, value, display)))
    glue("ch00_answer", "42", display=False)
    assert calls == [("ch00_answer", "42", False)]


def test_results_are_recorded_only_by_the_full_size_run(tmp_path, monkeypatch):
    from lmtutorial.book.pages import RESULTS_OUT, record_results, recording_results

    monkeypatch.delenv(RESULTS_OUT, raising=False)
    record_results({"accuracy": 0.5})
    assert not recording_results() and not list(tmp_path.iterdir())
    out = tmp_path / "page.json"
    monkeypatch.setenv(RESULTS_OUT, str(out))
    record_results({"accuracy": 0.5})
    written = json.loads(out.read_text())
    assert recording_results() and written["accuracy"] == 0.5
    assert {"hardware", "library_versions"} <= set(written)


def test_full_size_results_are_the_committed_file_unless_this_run_makes_it(monkeypatch, capsys):
    from lmtutorial.book.pages import RESULTS_OUT, full_size_results

    monkeypatch.delenv(RESULTS_OUT, raising=False)
    assert full_size_results("ch06_translation_full")["profile"] == "full"
    assert full_size_results("no_such_run") is None
    assert "no_such_run.json is made by the page's bench script" in capsys.readouterr().out
    monkeypatch.setenv(RESULTS_OUT, "/tmp/elsewhere.json")
    assert full_size_results("ch06_translation_full") is None
    assert capsys.readouterr().out == "(shown once this run has written its results)\n"
