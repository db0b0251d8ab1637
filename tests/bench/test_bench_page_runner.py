"""bench/page_runner.py: a page runs in the profile asked for and its results gain how, when and how long."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from conftest import REPO

PAGE = '''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{code-cell} ipython3
import json
import os

if WRITE and os.environ.get("LMTUTORIAL_RESULTS_OUT"):
    with open(os.environ["LMTUTORIAL_RESULTS_OUT"], "w") as f:
        json.dump({"profile": os.environ["LMTUTORIAL_PROFILE"], "accuracy": 0.5}, f)
```
'''


def page_runner():
    spec = importlib.util.spec_from_file_location("page_runner", REPO / "bench" / "page_runner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_page(folder: Path, write: bool) -> Path:
    page = folder / "page.md"
    page.write_text(PAGE.replace("if WRITE", f"if {write}"), encoding="utf-8")
    return page


def test_results_keep_the_page_numbers_and_gain_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("LMTUTORIAL_RESULTS_OUT", raising=False)
    out, executed = tmp_path / "out.json", tmp_path / "run.ipynb"
    results = page_runner().run_page(write_page(tmp_path, True), out, "ci", "python bench/x.py --profile ci",
                                     executed)
    assert results == json.loads(out.read_text(encoding="utf-8"))
    assert results["profile"] == "ci" and results["accuracy"] == 0.5  # what the page wrote
    assert results["produced_by"] == "python bench/x.py --profile ci" and results["page_seconds"] > 0
    assert len(results["date"]) == 10 and len(results["load_average_before"]) == 3
    assert executed.exists()
    assert "LMTUTORIAL_RESULTS_OUT" not in os.environ  # set for the page's kernel only


def test_a_page_that_writes_nothing_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(FileNotFoundError, match="expected the results page.md writes when LMTUTORIAL_RESULTS_OUT"):
        page_runner().run_page(write_page(tmp_path, False), tmp_path / "out.json", "ci", "x")
