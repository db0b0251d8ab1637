"""Every chapter is a MyST notebook paired with a committed, output-free .ipynb that matches it, and a chapter that
reads IMDb checks for it first, so a reader without the data stops at once with one message saying how to get it."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import REPO

BOOK = REPO / "book"
CHAPTERS = sorted(p for p in BOOK.glob("*.md") if p.read_text(encoding="utf-8").startswith("---\njupytext:"))
READS_IMDB = [p for p in CHAPTERS if "load_imdb(" in p.read_text(encoding="utf-8")]


def test_there_are_chapter_notebooks():
    assert len(CHAPTERS) >= 1


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_pair_is_in_sync(md: Path):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} is missing: run `make notebooks`"
    stored = nbformat.read(ipynb, as_version=4)
    from_md = jupytext.read(md)
    simplify = lambda nb: [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]  # noqa: E731
    assert simplify(stored) == simplify(from_md), f"{ipynb.name} is out of sync with {md.name}: run `make notebooks`"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_ipynb_is_stored_without_outputs(md: Path):
    stored = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{md.with_suffix('.ipynb').name} has outputs"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_pairing_metadata(md: Path):
    notebook = jupytext.read(md)
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,md:myst"
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("md", READS_IMDB, ids=lambda p: p.name)
def test_a_chapter_that_reads_imdb_requires_it_right_after_its_imports(md: Path):
    code = [cell.source for cell in jupytext.read(md).cells if cell.cell_type == "code"]
    # code[0] installs the package on Colab, code[1] imports; the next cell checks for the data
    assert len(code) > 2 and "require_imdb()" in code[2], (
        f"{md.name} reads IMDb: the first code cell after the imports must call "
        f"lmtutorial.data.imdb.require_imdb(), got {code[2] if len(code) > 2 else None!r}")
    assert not any("load_imdb(" in source for source in code[:3]), (
        f"{md.name} reads IMDb before require_imdb() has checked that it is there")
